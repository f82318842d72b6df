package adminapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/api"
	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/subjectdata"
)

// heldData is a subjectdata.Store holding one person's request; the store
// against DynamoDB Local is tested in shared/ddb.
type heldData struct {
	keys     []string
	actor    string
	exporter string
	erased   int
}

func (d *heldData) Export(_ context.Context, keys []string, h subjectdata.Handover) (subjectdata.Document, error) {
	d.keys, d.exporter = keys, h.Actor
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	return subjectdata.Document{
		Requests: []subjectdata.Request{{ID: "01JZ8X6Q3V4N5T7W9Y0A2B4C6D", Types: []string{"access"}, Status: "verified",
			Channel: "web", Email: "ada@example.com", Details: "SSN 123-45-6789", Regime: "ccpa", ReceivedAt: at, DueAt: at.AddDate(0, 0, 45),
			History: []subjectdata.RequestEvent{{At: at, Action: "received", To: "pending_verification", Actor: "requester"}}}},
		MailLog: []subjectdata.Mail{{Template: "request_received", Status: "sent", SentAt: &at}},
	}, nil
}

func (d *heldData) Erase(_ context.Context, keys []string, e subjectdata.Erasure) (subjectdata.Report, error) {
	d.keys, d.actor = keys, e.Actor
	d.erased++
	return subjectdata.Report{Deleted: map[string]int{"mail": 1}, Minimised: map[string]int{"request": 1}}, nil
}

// subjectCall sends one request to a subject route and holds the exchange to
// the OpenAPI document.
func subjectCall(t *testing.T, h *Handler, checker *api.Checker, method, path, contentType, body string, want int) string {
	t.Helper()
	hr := httptest.NewRequest(method, "https://api.example.test"+path, strings.NewReader(body))
	hr.Header.Set("Authorization", "Bearer test-access-token")
	ev := apigw.Request{RouteKey: method + " " + hr.URL.Path, RawPath: hr.URL.Path, Body: body, Headers: map[string]string{}}
	SignIn(&ev, "ada", "privacy-admin")
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
		ev.Headers["content-type"] = contentType
	}
	if q := hr.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, v := range q {
			ev.QueryStringParameters[k] = strings.Join(v, ",")
		}
	}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Errorf("%s %s: %d %s, want %d", method, path, resp.StatusCode, resp.Body, want)
	}
	hh := http.Header{}
	for k, v := range resp.Headers {
		hh.Set(k, v)
	}
	hresp := &http.Response{StatusCode: resp.StatusCode, Header: hh, Body: io.NopCloser(strings.NewReader(resp.Body))}
	if err := checker.Check(hr, []byte(body), hresp, []byte(resp.Body)); err != nil {
		t.Errorf("%s %s: %v", method, path, err)
	}
	return resp.Body
}

func TestSubjectRoutes(t *testing.T) {
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("p"), 32))
	if err != nil {
		t.Fatal(err)
	}
	checker, err := api.NewChecker()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	store := &heldData{}
	h := &Handler{
		Subjects: subjectdata.NewService(store, keyer, phone.E164, func() time.Time { return now }),
		Log:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	const js = "application/json"
	const export, erase = "/v1/admin/subjects/export", "/v1/admin/subjects/erase"

	out := subjectCall(t, h, checker, "GET", export+"?email=Ada%40Example.com", "", "", 200)
	if len(store.keys) != 1 || store.keys[0] != keyer.Email("ada@example.com") || store.exporter != "ada" {
		t.Fatalf("export asked the store for %v, recorded as handed over by %q", store.keys, store.exporter)
	}
	for _, want := range []string{`"details":"SSN [redacted]"`, `"redactions":1`, `"kind":"email"`, `"mail_log":[{"template":"request_received"`, `"linked_identifiers":[]`} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %s: %s", want, out)
		}
	}
	if strings.Contains(out, "6789") {
		t.Fatalf("export discloses the SSN: %s", out)
	}
	for _, q := range []string{"", "?email=a%40example.com&phone=%2B14155550100", "?email=nope"} {
		if out := subjectCall(t, h, checker, "GET", export+q, "", "", 400); !strings.Contains(out, `"field":"email"`) {
			t.Errorf("export%s: %s", q, out)
		}
	}
	subjectCall(t, h, checker, "GET", export+"?phone=%2B14155550100", "", "", 200)

	out = subjectCall(t, h, checker, "POST", erase, js, `{"phone":"+1 415 555 0100","reason":"Verified request to delete 01JZ8X6Q3V4N5T7W9Y0A2B4C6D"}`, 200)
	if store.erased != 1 || store.keys[0] != keyer.Phone("+14155550100") || store.actor != "ada" {
		t.Fatalf("erase reached the store %d times for %v by %q", store.erased, store.keys, store.actor)
	}
	for _, want := range []string{`"erased_at":"2026-05-04T12:00:00Z"`, `"actor":"ada"`, `"deleted":{"mail":1}`, `"minimised":{"request":1}`, `"kept":["request log (11 CCR §7101), minimised"`, `"kind":"phone"`} {
		if !strings.Contains(out, want) {
			t.Errorf("erasure report lacks %s: %s", want, out)
		}
	}
	for body, field := range map[string]string{
		`{"email":"ada@example.com"}`:                        "reason",
		`{"reason":"why"}`:                                   "email",
		`{"email":"ada@example.com","reason":"x","extra":1}`: "extra",
		`{"email":7,"reason":"x"}`:                           "email",
	} {
		if out := subjectCall(t, h, checker, "POST", erase, js, body, 400); !strings.Contains(out, `"field":"`+field+`"`) {
			t.Errorf("erase %s: %s, want an error on %s", body, out, field)
		}
	}
	subjectCall(t, h, checker, "POST", erase, "application/x-www-form-urlencoded", "email=ada%40example.com&reason=x", 415)
	if store.erased != 1 {
		t.Fatalf("refused erasures reached the store: %d", store.erased)
	}

	// Without the service wired the routes fail closed.
	h.Subjects = nil
	subjectCall(t, h, checker, "GET", export+"?email=ada%40example.com", "", "", 500)
}
