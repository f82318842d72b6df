package request_test

import (
	"context"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/request"
)

func TestRedirectOrigin(t *testing.T) {
	type in struct {
		raw      string
		loopback bool
	}
	ok := map[in]string{
		{"https://agent.example/done?r=1#x", false}: "https://agent.example",
		{"HTTPS://Agent.Example:443/", false}:       "https://agent.example",
		{"https://agent.example:8443/a", false}:     "https://agent.example:8443",
		{"http://127.0.0.1:9000/back", true}:        "http://127.0.0.1:9000",
		{"http://localhost/back", true}:             "http://localhost",
		{"http://[::1]:80/back", true}:              "http://[::1]",
	}
	for c, want := range ok {
		if got, err := request.RedirectOrigin(c.raw, c.loopback); err != nil || got != want {
			t.Errorf("RedirectOrigin(%q, %v) = %q, %v; want %q", c.raw, c.loopback, got, err, want)
		}
	}
	bad := []in{
		{"", true},
		{"http://127.0.0.1:9000/back", false}, // plain http outside the local cloud
		{"http://agent.example/back", true},   // plain http elsewhere
		{"javascript:alert(1)", true},
		{"data:text/html,hi", true},
		{"//agent.example/back", true},
		{"/back", true},
		{"https://agent.example@evil.example/", false},
		{"https://evil.example\\@agent.example/", false},
		{"https://agent.example\\evil.example/", false},
		{"https://agent.example/a b", false},
		{"https://agent.example/\r\nLocation: x", false},
		{"ftp://agent.example/", true},
	}
	for _, c := range bad {
		if got, err := request.RedirectOrigin(c.raw, c.loopback); err == nil {
			t.Errorf("RedirectOrigin(%q, %v) = %q, want an error", c.raw, c.loopback, got)
		}
	}
}

func TestReturnToOnlyOnListedOrigins(t *testing.T) {
	p := &request.ProtocolAgent{ID: "A", RedirectOrigins: []string{"https://agent.example", "http://127.0.0.1:9000"}}
	honoured := map[string]string{
		"https://agent.example/requests/7?done=1": "https://agent.example/requests/7?done=1",
		"https://AGENT.example:443/x":             "https://AGENT.example:443/x",
	}
	for raw, want := range honoured {
		if got := p.ReturnTo(raw, false); got != want {
			t.Errorf("ReturnTo(%q) = %q, want %q", raw, got, want)
		}
	}
	if got := p.ReturnTo("http://127.0.0.1:9000/back", true); got != "http://127.0.0.1:9000/back" {
		t.Errorf("loopback origin listed, local: %q", got)
	}
	for _, raw := range []string{
		"http://127.0.0.1:9000/back",          // listed, but not served locally
		"https://agent.example.evil.example/", // a longer host
		"https://evil.example/?https://agent.example",
		"https://agent.example:444/",  // another port
		"http://agent.example/",       // another scheme
		"https://user@agent.example/", // user information
		"",
	} {
		if got := p.ReturnTo(raw, false); got != "" {
			t.Errorf("ReturnTo(%q) = %q, want ignored", raw, got)
		}
	}
	var none *request.ProtocolAgent
	if got := none.ReturnTo("https://agent.example/", false); got != "" {
		t.Errorf("a request without an agent honoured %q", got)
	}
	if got := (&request.ProtocolAgent{}).ReturnTo("https://agent.example/", false); got != "" {
		t.Errorf("an agent listing no origin honoured %q", got)
	}
}

// The agent's verification page is for the agent's request still waiting,
// named twice alike; everything else is the answer to an unknown link.
func TestAwaitingAgent(t *testing.T) {
	now := day(2026, time.March, 2)
	svc, st, _ := newService(t, now)
	ctx := context.Background()
	agent := &request.ProtocolAgent{ID: "A", RedirectOrigins: []string{"https://agent.example"}}
	// An agent's request in a status, as intake stores it (seed stores
	// the form's).
	agents := func(status request.Status) request.Request {
		r := request.Request{ID: svc.NewID(now), Types: []request.Type{request.Delete}, Status: status, Channel: request.Agent,
			Email: "ada@example.com", FirstName: "Ada", ReceivedAt: now, DueAt: now.AddDate(0, 0, 45), Version: 1, Protocol: agent}
		if err := st.Create(ctx, request.Creation{Request: r,
			Event: request.Event{ID: svc.NewID(now), At: now, Action: "received", To: status, Actor: "requester"}}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	waiting, verified, closed := agents(request.PendingVerification), agents(request.Verified), agents(request.Cancelled)
	web := seed(t, svc, st, now, request.Request{Status: request.PendingVerification})
	r, err := svc.AwaitingAgent(ctx, waiting.ID, waiting.ID)
	if err != nil || r.ID != waiting.ID {
		t.Fatalf("the waiting request: %v %v", r.ID, err)
	}
	if got := svc.AgentReturn(r, "https://agent.example/back"); got != "https://agent.example/back" {
		t.Errorf("a listed return address: %q", got)
	}
	if got := svc.AgentReturn(r, "https://evil.example/back"); got != "" {
		t.Errorf("an unlisted return address: %q", got)
	}
	if got := svc.AgentReturn(web, "https://agent.example/back"); got != "" {
		t.Errorf("a web request's return address: %q", got)
	}
	for name, ids := range map[string][2]string{
		"another request_id": {waiting.ID, web.ID},
		"no request_id":      {waiting.ID, ""},
		"unknown":            {"01JZ8X6Q3V4N5T7W9Y0A2B4C6D", "01JZ8X6Q3V4N5T7W9Y0A2B4C6D"},
		"malformed":          {"x", "x"},
		"a web request":      {web.ID, web.ID},
		"verified":           {verified.ID, verified.ID},
		"closed":             {closed.ID, closed.ID},
	} {
		if _, err := svc.AwaitingAgent(ctx, ids[0], ids[1]); err != request.ErrTokenGone {
			t.Errorf("%s: %v, want the unknown link's answer", name, err)
		}
	}
}
