package intakeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/request/requesttest"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
)

const (
	chromeAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	baseURL      = "https://api.claritru.example"
	thanksURL    = "https://claritru.example/privacy/thanks"
)

func newHandler(t *testing.T) (*Handler, *requesttest.Memory, *bytes.Buffer) {
	t.Helper()
	k, err := subject.NewKeyer(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	st := requesttest.New()
	now := func() time.Time { return time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC) }
	svc := request.NewService(st, request.Config{PublicBaseURL: baseURL, Keyer: k, Phone: phone.E164, Now: now})
	var logs bytes.Buffer
	h := &Handler{
		Service:        svc,
		PublicBaseURL:  baseURL + "/",
		ReturnURLs:     []string{thanksURL},
		AllowedOrigins: []string{"https://claritru.example"},
		Log:            slog.New(slog.NewJSONHandler(&logs, nil)),
	}
	return h, st, &logs
}

func event(route, contentType, accept, body string) apigw.Request {
	h := map[string]string{}
	if contentType != "" {
		h["content-type"] = contentType
	}
	if accept != "" {
		h["accept"] = accept
	}
	return apigw.Request{RouteKey: route, Headers: h, Body: body}
}

const formBody = "types=delete&first_name=Ada&last_name=Lovelace&email=Ada%40Example.com&declaration=on"

// A form post that names an allow-listed return page (a page whose script
// shows the reference) is sent there.
func TestHandleFormPostRedirects(t *testing.T) {
	h, st, logs := newHandler(t)
	body := formBody + "&return_url=" + url.QueryEscape(thanksURL)
	resp, err := h.Handle(context.Background(), event("POST /v1/requests", apigw.Form, chromeAccept, body))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 303 {
		t.Fatalf("status %d, want 303: %s", resp.StatusCode, resp.Body)
	}
	loc, err := url.Parse(resp.Headers["Location"])
	if err != nil {
		t.Fatal(err)
	}
	if loc.Scheme+"://"+loc.Host+loc.Path != thanksURL {
		t.Errorf("Location %s, want %s?...", loc, thanksURL)
	}
	var id string
	for _, r := range st.Requests() {
		id = r.ID
	}
	if loc.Query().Get("ref") != id || id == "" || loc.Query().Get("status") != "pending_verification" {
		t.Errorf("Location query %v, want ref=%s status=pending_verification", loc.Query(), id)
	}
	if strings.Contains(logs.String(), "Ada") || strings.Contains(strings.ToLower(logs.String()), "example.com") {
		t.Errorf("logs carry personal data: %s", logs)
	}
}

// A form post that names no return page (the form works without a script)
// is answered with a page that shows the reference and what happens next.
func TestHandleFormPostShowsReference(t *testing.T) {
	h, st, _ := newHandler(t)
	resp, _ := h.Handle(context.Background(), event("POST /v1/requests", apigw.Form, chromeAccept, formBody))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		t.Fatalf("status %d %q, want a 200 page: %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
	}
	reqs := st.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests stored, want 1", len(reqs))
	}
	if !strings.Contains(resp.Body, `<span class="ref">`+reqs[0].ID+`</span>`) {
		t.Errorf("page does not show the reference %s:\n%s", reqs[0].ID, resp.Body)
	}
	for _, want := range []string{"<h1>Check your email to confirm your request</h1>", "Confirm my request", "<main", "<footer"} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("page lacks %q:\n%s", want, resp.Body)
		}
	}
}

func TestHandleJSONPost(t *testing.T) {
	h, _, _ := newHandler(t)
	body := `{"types":["opt_out"],"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","declaration":true}`
	resp, _ := h.Handle(context.Background(), event("POST /v1/requests", apigw.JSON, chromeAccept, body))
	if resp.StatusCode != 202 || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("status %d %q, want 202 JSON: %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "status", "types", "received_at", "due_at", "verification_required"} {
		if _, ok := m[k]; !ok {
			t.Errorf("receipt lacks %s: %s", k, resp.Body)
		}
	}
	if m["status"] != "received" || m["verification_required"] != false || m["received_at"] != "2026-01-31T12:00:00Z" {
		t.Errorf("receipt = %s", resp.Body)
	}
}

func TestHandleJSONInvalid(t *testing.T) {
	h, st, _ := newHandler(t)
	body := `{"types":["know"],"first_name":5,"last_name":"L","email":"ada@example.com","declaration":true,"nick":"x"}`
	resp, _ := h.Handle(context.Background(), event("POST /v1/requests", apigw.JSON, "application/json", body))
	if resp.StatusCode != 400 || resp.Headers["Content-Type"] != "application/problem+json" {
		t.Fatalf("status %d %q: %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
	}
	var p apigw.ProblemDoc
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range p.Errors {
		got[e.Field]++
	}
	if len(got) != 2 || got["first_name"] != 1 || got["nick"] != 1 {
		t.Errorf("errors = %+v, want first_name and nick once each", p.Errors)
	}
	if len(st.Requests()) != 0 {
		t.Error("an invalid request was stored")
	}
}

// Bodies encoding/json would read without a word are refused before they
// are decoded, naming the field, and nothing is stored.
func TestHandleJSONStrict(t *testing.T) {
	h, st, _ := newHandler(t)
	const person = `"types":["know"],"first_name":"Ada","last_name":"L","declaration":true,`
	for body, field := range map[string]string{
		`{` + person + `"email":"ada@example.com","email":"eve@example.com"}`:                                         "email",
		`{` + person + `"email":"ada@example.com","Email":"eve@example.com"}`:                                         "Email",
		`{` + person + `"email":"ada@example.com","details":"\ud800"}`:                                                "details",
		`{"first_name":"Ada","last_name":"L","declaration":true,"email":"ada@example.com","types":["know","\udfff"]}`: "types[1]",
		`{` + person + `"email":"ada@example.com","agent_name":"x` + "\xff" + `"}`:                                    "agent_name",
	} {
		resp, _ := h.Handle(context.Background(), event("POST /v1/requests", apigw.JSON, "application/json", body))
		var p apigw.ProblemDoc
		if resp.StatusCode != 400 || json.Unmarshal([]byte(resp.Body), &p) != nil || len(p.Errors) == 0 || p.Errors[0].Field != field {
			t.Errorf("%s: %d %s, want 400 naming %s", body, resp.StatusCode, resp.Body, field)
		}
	}
	if len(st.Requests()) != 0 {
		t.Error("a refused request was stored")
	}
}

func TestHandleFormInvalidShowsPage(t *testing.T) {
	h, _, _ := newHandler(t)
	resp, _ := h.Handle(context.Background(), event("POST /v1/requests", apigw.Form, chromeAccept, "first_name=%3Cb%3EAda&declaration=on"))
	if resp.StatusCode != 400 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		t.Fatalf("status %d %q, want a 400 page", resp.StatusCode, resp.Headers["Content-Type"])
	}
	for f, label := range map[string]string{"types": "What would you like us to do?", "last_name": "Last name", "email": "Email"} {
		if !strings.Contains(resp.Body, `<a href="/#`+f+`">`+label+`</a>`) {
			t.Errorf("page does not link %s by its label %q:\n%s", f, label, resp.Body)
		}
	}
	for _, bad := range []string{"Bad Request", ">types", ">last_name", "request type"} {
		if strings.Contains(resp.Body, bad) {
			t.Errorf("page shows %q:\n%s", bad, resp.Body)
		}
	}
	if !strings.Contains(resp.Body, `<a href="/">Back to the Data Rights Request form</a>`) {
		t.Errorf("page has no link back to the form:\n%s", resp.Body)
	}
}

func TestHandleVerifyFlow(t *testing.T) {
	ctx := context.Background()
	h, st, _ := newHandler(t)
	if resp, _ := h.Handle(ctx, event("POST /v1/requests", apigw.Form, chromeAccept, formBody)); resp.StatusCode != 200 {
		t.Fatalf("submit: %d %s", resp.StatusCode, resp.Body)
	}
	link, err := url.Parse(st.Mails()[0].Data["verify_url"])
	if err != nil {
		t.Fatal(err)
	}
	token := link.Query().Get("token")

	// GET shows the page and changes nothing.
	get := event("GET /v1/verify", "", chromeAccept, "")
	get.QueryStringParameters = map[string]string{"token": token}
	resp, _ := h.Handle(ctx, get)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `<form method="post" action="`+baseURL+`/v1/verify">`) || !strings.Contains(resp.Body, `value="`+token+`"`) {
		t.Fatalf("GET verify: %d\n%s", resp.StatusCode, resp.Body)
	}
	for _, r := range st.Requests() {
		if r.Status != request.PendingVerification {
			t.Errorf("GET changed the status to %q", r.Status)
		}
	}

	// POST from the page's form confirms and says so.
	resp, _ = h.Handle(ctx, event("POST /v1/verify", apigw.Form, chromeAccept, "token="+url.QueryEscape(token)))
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, "<h1>Your request is confirmed</h1>") || !strings.Contains(resp.Body, st.Requests()[0].ID) {
		t.Fatalf("POST verify: %d %v\n%s", resp.StatusCode, resp.Headers, resp.Body)
	}

	// Used: 410 for the page, the form and JSON alike.
	if resp, _ = h.Handle(ctx, get); resp.StatusCode != 410 {
		t.Errorf("GET used token: %d", resp.StatusCode)
	}
	if resp, _ = h.Handle(ctx, event("POST /v1/verify", apigw.Form, chromeAccept, "token="+url.QueryEscape(token))); resp.StatusCode != 410 {
		t.Errorf("POST used token (form): %d", resp.StatusCode)
	}
	resp, _ = h.Handle(ctx, event("POST /v1/verify", apigw.JSON, "application/json", `{"token":"`+token+`"}`))
	if resp.StatusCode != 410 || resp.Headers["Content-Type"] != "application/problem+json" {
		t.Errorf("POST used token (JSON): %d %q", resp.StatusCode, resp.Headers["Content-Type"])
	}
	get.QueryStringParameters = map[string]string{"token": "<script>"}
	if resp, _ = h.Handle(ctx, get); resp.StatusCode != 410 || strings.Contains(resp.Body, "<script>") {
		t.Errorf("GET malformed token: %d", resp.StatusCode)
	}
}

func TestHandleLimitsAndRoutes(t *testing.T) {
	ctx := context.Background()
	h, _, _ := newHandler(t)
	big := "details=" + strings.Repeat("a", apigw.MaxBody)
	if resp, _ := h.Handle(ctx, event("POST /v1/requests", apigw.Form, "application/json", big)); resp.StatusCode != 413 {
		t.Errorf("65 KiB body: %d, want 413", resp.StatusCode)
	}
	if resp, _ := h.Handle(ctx, event("POST /v1/requests", "text/plain", "application/json", "x")); resp.StatusCode != 415 {
		t.Errorf("text/plain: %d, want 415", resp.StatusCode)
	}
	if resp, _ := h.Handle(ctx, event("DELETE /v1/requests", apigw.JSON, "", "{}")); resp.StatusCode != 404 {
		t.Errorf("unknown route: %d, want 404", resp.StatusCode)
	}
	r := event("POST /v1/requests", apigw.JSON, "", "[]")
	r.Headers["origin"] = "https://evil.example"
	if resp, _ := h.Handle(ctx, r); resp.Headers["Access-Control-Allow-Origin"] != "" {
		t.Errorf("CORS for a foreign origin: %v", resp.Headers)
	}
	r.Headers["origin"] = "https://claritru.example"
	if resp, _ := h.Handle(ctx, r); resp.Headers["Access-Control-Allow-Origin"] != "https://claritru.example" {
		t.Errorf("no CORS for an allowed origin: %v", resp.Headers)
	}
}
