package request_test

import (
	"testing"

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
