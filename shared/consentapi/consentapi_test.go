package consentapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/consent/consenttest"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
)

const (
	baseURL      = "https://api.claritru.example"
	thanksURL    = "https://claritru.example/privacy/consent-thanks"
	chromeAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	discText     = "Yes, email me offers from ClariTru. I am 18 or older. I can withdraw at any time."
)

func newKeyer(tb testing.TB) *subject.Keyer {
	tb.Helper()
	k, err := subject.NewKeyer(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func newHandler(tb testing.TB) (*Handler, *consenttest.Memory, *bytes.Buffer) {
	tb.Helper()
	st := consenttest.New()
	// The receipt must carry the sequences the store set, not 1, 2, 3.
	st.WithHistory(10)
	now := func() time.Time { return time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC) }
	cat, err := consent.NewCatalogue(
		// One disclosure for every purpose, so that one call can carry
		// several.
		consent.Disclosure{ID: "signup-footer", Version: "2026-01", Purposes: consent.Purposes, Text: discText},
		consent.Disclosure{ID: "cookie-banner", Version: "2026-11", Purposes: []consent.Purpose{consent.CookiesAnalytics}, Text: "We use cookies & \"similar\" <technologies>."},
	)
	if err != nil {
		tb.Fatal(err)
	}
	svc := consent.NewService(st, consent.Config{Keyer: newKeyer(tb), Phone: phone.E164, PublicBaseURL: baseURL, PolicyURL: "https://claritru.example/privacy", Now: now, Disclosures: cat})
	var logs bytes.Buffer
	h := &Handler{
		Service:        svc,
		PublicBaseURL:  baseURL + "/",
		PolicyURL:      "https://claritru.example/privacy",
		ReturnURLs:     []string{thanksURL},
		AllowedOrigins: []string{"https://claritru.example"},
		Log:            slog.New(slog.NewJSONHandler(&logs, nil)),
	}
	return h, st, &logs
}

func event(route, contentType, accept, body string) apigw.Request {
	r := apigw.Request{RouteKey: route, Headers: map[string]string{}, Body: body}
	if contentType != "" {
		r.Headers["content-type"] = contentType
	}
	if accept != "" {
		r.Headers["accept"] = accept
	}
	r.RequestContext.HTTP.SourceIP = "203.0.113.9"
	r.RequestContext.HTTP.UserAgent = "Mozilla/5.0 (test)"
	return r
}

func post(body string) apigw.Request {
	return event("POST /v1/consents", apigw.JSON, "application/json", body)
}

func handle(t *testing.T, h *Handler, r apigw.Request) apigw.Response {
	t.Helper()
	resp, err := h.Handle(context.Background(), r)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	return resp
}

// problem decodes a problem+json response with the status wanted.
func problem(t *testing.T, resp apigw.Response, status int) apigw.ProblemDoc {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p apigw.ProblemDoc
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, resp.Body)
	}
	if p.Status != status {
		t.Errorf("problem status %d, want %d", p.Status, status)
	}
	return p
}

func names(p apigw.ProblemDoc) []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

func wantField(t *testing.T, p apigw.ProblemDoc, field string) {
	t.Helper()
	for _, e := range p.Errors {
		if e.Field == field && e.Message != "" {
			return
		}
	}
	t.Errorf("errors %v do not name %q", names(p), field)
}

// goodBody is a call that is recorded; extra members are spliced in.
func goodBody(events string, extra ...string) string {
	s := `{"subject":{"email":"Ada.Lovelace@Example.com","phone":"+1 415 555 0100","browser_id":"b-0123456789abcdef"},` +
		`"events":` + events + `,` +
		`"disclosure":{"id":"signup-footer","version":"2026-01","text":` + mustJSON(discText) + `},` +
		`"source_url":"https://claritru.example/signup","locale":"en-US","country":"US","age_confirmed":true`
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

const allEvents = `[{"purpose":"email_marketing","granted":true},{"purpose":"sms_marketing","granted":true},` +
	`{"purpose":"cookies_analytics","granted":true},{"purpose":"cookies_advertising","granted":true}]`

func TestGiveUnsupportedMediaType(t *testing.T) {
	h, st, _ := newHandler(t)
	for _, ct := range []string{"text/plain", "", "application/json; charset=latin1"} {
		resp := handle(t, h, event("POST /v1/consents", ct, "application/json", goodBody(allEvents)))
		problem(t, resp, 415)
	}
	if len(st.Recordings()) != 0 {
		t.Error("a refused call was recorded")
	}
}

func TestGiveMalformed(t *testing.T) {
	cases := []struct {
		name, body string
		fields     []string
	}{
		{"granted as a string", `{"events":[{"purpose":"email_marketing","granted":"yes"}],"subject":{"email":"ada@example.com"},"age_confirmed":true,"disclosure":{"id":"a","version":"1","text":"t"}}`,
			[]string{"events[0].granted"}},
		{"unknown field in an event", goodBody(`[{"purpose":"sms_marketing","granted":true},{"purpose":"cookies_analytics","granted":true,"colour":"blue"}]`),
			[]string{"events[1].colour"}},
		{"purpose not a string", goodBody(`[{"purpose":7,"granted":true}]`), []string{"events[0].purpose"}},
		{"unknown purpose", goodBody(`[{"purpose":"email_marketing","granted":true},{"purpose":"fax","granted":true}]`), []string{"events[1].purpose"}},
		{"missing granted", goodBody(`[{"purpose":"email_marketing"}]`), []string{"events[0].granted"}},
		{"events not a list", goodBody(`{"purpose":"email_marketing","granted":true}`), []string{"events"}},
		{"unknown top-level field", goodBody(allEvents, `"ip":"198.51.100.1"`), []string{"ip"}},
		{"server fields cannot be set by the body", goodBody(allEvents, `"gpc":false`, `"user_agent":"x"`), []string{"gpc", "user_agent"}},
		{"wrong type", goodBody(allEvents, `"source_url":5`), []string{"source_url"}},
		{"bad email", strings.Replace(goodBody(allEvents), "Ada.Lovelace@Example.com", "ada@", 1), []string{"subject.email"}},
		{"no disclosure", `{"subject":{"email":"ada@example.com"},"events":[{"purpose":"cookies_analytics","granted":true}]}`, []string{"disclosure"}},
		{"not an object", `[1,2]`, nil},
		{"not JSON", `{"events":`, nil},
		{"empty", ``, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, st, _ := newHandler(t)
			p := problem(t, handle(t, h, post(tc.body)), 400)
			for _, f := range tc.fields {
				wantField(t, p, f)
			}
			if len(st.Recordings()) != 0 {
				t.Error("a refused call was recorded")
			}
		})
	}
}

func TestGiveRefused(t *testing.T) {
	h, st, _ := newHandler(t)
	body := strings.Replace(goodBody(`[{"purpose":"email_marketing","granted":true}]`), `"age_confirmed":true`, `"age_confirmed":false`, 1)
	p := problem(t, handle(t, h, post(body)), 422)
	if len(p.Errors) == 0 {
		t.Fatalf("422 without an errors list: %+v", p)
	}
	wantField(t, p, "age_confirmed")
	if p.Type == "about:blank" || p.Detail == "" {
		t.Errorf("problem %+v, want a validation type and a detail", p)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(handle(t, h, post(body)).Body), &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["errors"].([]any); !ok {
		t.Errorf("body has no errors array: %v", raw)
	}
	if len(st.Recordings()) != 0 {
		t.Error("a refused call was recorded")
	}

	// A withdrawal needs no age confirmation (GDPR Art. 7(3)).
	body = strings.Replace(goodBody(`[{"purpose":"email_marketing","granted":false},{"purpose":"sms_marketing","granted":false}]`), `"age_confirmed":true`, `"age_confirmed":false`, 1)
	if resp := handle(t, h, post(body)); resp.StatusCode != 201 {
		t.Errorf("withdrawal: status %d, want 201: %s", resp.StatusCode, resp.Body)
	}
}

func decodeReceipt(t *testing.T, resp apigw.Response) Receipt {
	t.Helper()
	if resp.StatusCode != 201 {
		t.Fatalf("status %d, want 201: %s", resp.StatusCode, resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var rc Receipt
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rc); err != nil {
		t.Fatalf("receipt: %v: %s", err, resp.Body)
	}
	return rc
}

func TestGiveReceipt(t *testing.T) {
	h, st, logs := newHandler(t)
	resp := handle(t, h, post(goodBody(allEvents)))
	rc := decodeReceipt(t, resp)
	if len(st.Recordings()) != 1 {
		t.Fatalf("%d recordings, want 1", len(st.Recordings()))
	}
	rec := st.Recordings()[0]

	if rc.ReceiptID == "" || rc.ReceiptID != rec.ReceiptID {
		t.Errorf("receipt_id %q, recorded %q", rc.ReceiptID, rec.ReceiptID)
	}
	sum := sha256.Sum256([]byte(discText))
	if want := hex.EncodeToString(sum[:]); rc.DisclosureSHA256 != want {
		t.Errorf("disclosure_sha256 %s, want %s", rc.DisclosureSHA256, want)
	}
	if !rc.ConsentTimestamp.Equal(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)) || rc.Jurisdiction != "US" {
		t.Errorf("timestamp %v jurisdiction %q", rc.ConsentTimestamp, rc.Jurisdiction)
	}
	if !rc.ConfirmationRequired {
		t.Error("confirmation_required false with an email marketing grant")
	}
	if rc.PolicyURL != "https://claritru.example/privacy" || rc.Controller.Name == "" {
		t.Errorf("policy %q controller %+v", rc.PolicyURL, rc.Controller)
	}

	if len(rc.Purposes) != len(rec.Records) {
		t.Fatalf("%d purposes, %d records", len(rc.Purposes), len(rec.Records))
	}
	want := map[string]string{"email_marketing": "pending", "sms_marketing": "pending", "cookies_analytics": "granted", "cookies_advertising": "granted"}
	for i, p := range rc.Purposes {
		r := rec.Records[i]
		if p.Purpose != string(r.Purpose) {
			t.Errorf("purpose %d = %+v, record %+v", i, p, r)
		}
		if p.Status != want[p.Purpose] {
			t.Errorf("%s status %s, want %s", p.Purpose, p.Status, want[p.Purpose])
		}
		if p.LegalBasis != "consent" || p.SubjectKind != string(r.Subject.Kind) {
			t.Errorf("%s legal_basis %q subject_kind %q", p.Purpose, p.LegalBasis, p.SubjectKind)
		}
	}

	if len(rc.Subjects) != 3 || rc.Subjects[0].Kind != "email" || rc.Subjects[1].Kind != "phone" || rc.Subjects[2].Kind != "browser_id" {
		t.Errorf("subjects %+v, want the kinds given", rc.Subjects)
	}
	// Nothing that differs with the person's history: the store gave every
	// subject ten earlier events, which neither a sequence, an event hash
	// nor the keyed reference may betray.
	k := newKeyer(t)
	for _, r := range rec.Records {
		if strings.Contains(resp.Body, r.Hash) {
			t.Errorf("receipt carries the event hash of %s", r.Purpose)
		}
	}
	for _, secret := range []string{k.Email("ada.lovelace@example.com"), k.Phone("+14155550100"), k.Browser("b-0123456789abcdef"), `"sequence"`, `"event_hash"`, `"reference"`} {
		if strings.Contains(resp.Body, secret) {
			t.Errorf("receipt carries %q: %s", secret, resp.Body)
		}
	}
	lower := strings.ToLower(resp.Body)
	for _, pii := range []string{"ada.lovelace", "example.com", "4155550100", "415 555", "b-0123456789abcdef"} {
		if strings.Contains(lower, pii) {
			t.Errorf("response carries %q: %s", pii, resp.Body)
		}
		if strings.Contains(strings.ToLower(logs.String()), pii) {
			t.Errorf("logs carry %q", pii)
		}
	}

	// Server-side proof: IP, user agent and GPC come from the request.
	if rec.Fields["ip"] != "203.0.113.9" || rec.Fields["user_agent"] != "Mozilla/5.0 (test)" || rec.Fields["gpc"] != "false" {
		t.Errorf("proof fields %v", rec.Fields)
	}
}

func TestGiveGPC(t *testing.T) {
	h, st, _ := newHandler(t)
	r := post(goodBody(allEvents))
	r.Headers["sec-gpc"] = "1"
	rc := decodeReceipt(t, handle(t, h, r))
	seen := 0
	for _, p := range rc.Purposes {
		switch p.Purpose {
		case "cookies_advertising":
			seen++
			if p.Status != "not_granted" || p.Granted || p.Reason == "" {
				t.Errorf("cookies_advertising with Sec-GPC: %+v, want not_granted with a reason", p)
			}
		case "cookies_analytics":
			seen++
			if p.Status != "granted" || !p.Granted {
				t.Errorf("cookies_analytics with Sec-GPC: %+v, want granted", p)
			}
		}
	}
	if seen != 2 {
		t.Errorf("receipt purposes %+v", rc.Purposes)
	}
	if st.Recordings()[0].Fields["gpc"] != "true" {
		t.Errorf("gpc proof field %q", st.Recordings()[0].Fields["gpc"])
	}
}

// giveEmail records an email marketing grant and returns the raw token of
// its confirmation link and the receipt id.
func giveEmail(t *testing.T, h *Handler, st *consenttest.Memory) (token, receiptID string) {
	t.Helper()
	rc := decodeReceipt(t, handle(t, h, post(goodBody(`[{"purpose":"email_marketing","granted":true}]`))))
	m := st.Recordings()[len(st.Recordings())-1].Mail
	if m == nil {
		t.Fatal("no mail")
	}
	u, err := url.Parse(m.Data["confirm_url"])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Data["confirm_url"], baseURL+"/v1/consents/confirm?token=") {
		t.Errorf("confirm_url %q", m.Data["confirm_url"])
	}
	return u.Query().Get("token"), rc.ReceiptID
}

func TestConfirmPage(t *testing.T) {
	h, st, _ := newHandler(t)
	tok, _ := giveEmail(t, h, st)
	r := event("GET /v1/consents/confirm", "", chromeAccept, "")
	r.QueryStringParameters = map[string]string{"token": tok}
	resp := handle(t, h, r)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		t.Fatalf("status %d %q: %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
	}
	for _, want := range []string{
		`<form method="post" action="` + baseURL + `/v1/consents/confirm">`,
		`<input type="hidden" name="token" value="` + tok + `">`,
	} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("page lacks %s:\n%s", want, resp.Body)
		}
	}
	if resp.Headers["Content-Security-Policy"] == "" {
		t.Error("page without a Content-Security-Policy")
	}

	// GET changes nothing: the link still confirms afterwards.
	c := event("POST /v1/consents/confirm", apigw.JSON, "application/json", `{"token":"`+tok+`"}`)
	if resp := handle(t, h, c); resp.StatusCode != 200 {
		t.Errorf("confirm after GET: %d %s", resp.StatusCode, resp.Body)
	}

	// A hostile token is neither accepted nor reflected unescaped.
	hostile := `"><script>alert(1)</script>`
	r.QueryStringParameters = map[string]string{"token": hostile}
	resp = handle(t, h, r)
	if resp.StatusCode != 410 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		t.Errorf("hostile token: %d %q", resp.StatusCode, resp.Headers["Content-Type"])
	}
	if strings.Contains(resp.Body, "<script>") {
		t.Errorf("hostile token reflected:\n%s", resp.Body)
	}
}

// TestConfirmTemplateEscapes renders the page template directly with a
// token that needs escaping, since the handler only renders tokens that
// passed the format check.
func TestConfirmTemplateEscapes(t *testing.T) {
	tok := `x"><script>alert(1)</script>&`
	page := apipage.Render(pages, "confirm", apipage.Company, "Confirm", struct{ Action, Token string }{baseURL + "/v1/consents/confirm", tok})
	if strings.Contains(page, "<script>") || !strings.Contains(page, `value="`+html.EscapeString(tok)+`"`) {
		t.Errorf("token not escaped:\n%s", page)
	}
}

func TestConfirmFormRedirects(t *testing.T) {
	h, st, _ := newHandler(t)
	tok, id := giveEmail(t, h, st)
	form := "token=" + url.QueryEscape(tok)
	resp := handle(t, h, event("POST /v1/consents/confirm", apigw.Form, chromeAccept, form+"&return_url="+url.QueryEscape(thanksURL)))
	if resp.StatusCode != 303 {
		t.Fatalf("status %d, want 303: %s", resp.StatusCode, resp.Body)
	}
	loc, err := url.Parse(resp.Headers["Location"])
	if err != nil {
		t.Fatal(err)
	}
	if loc.Scheme+"://"+loc.Host+loc.Path != thanksURL || loc.Query().Get("status") != "confirmed" || loc.Query().Get("ref") != id {
		t.Errorf("Location %s, want %s?ref=%s&status=confirmed", loc, thanksURL, id)
	}

	// Second use: a page saying the link is gone.
	resp = handle(t, h, event("POST /v1/consents/confirm", apigw.Form, chromeAccept, form))
	if resp.StatusCode != 410 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		t.Errorf("second confirm: %d %q, want 410 page", resp.StatusCode, resp.Headers["Content-Type"])
	}
	for _, want := range []string{"<h1>This link has already been used or has expired</h1>", "sign up again", `<a href="/subscribe.html">Back to the sign-up page</a>`} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("410 page lacks %q:\n%s", want, resp.Body)
		}
	}
	if strings.Contains(resp.Body, "correct the form") {
		t.Errorf("410 page asks to correct the form:\n%s", resp.Body)
	}
}

// The confirm page's own form (no return page) is answered with a page
// that says what was confirmed and shows the receipt.
func TestConfirmFormShowsPage(t *testing.T) {
	h, st, _ := newHandler(t)
	tok, id := giveEmail(t, h, st)
	resp := handle(t, h, event("POST /v1/consents/confirm", apigw.Form, chromeAccept, "token="+url.QueryEscape(tok)))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		t.Fatalf("status %d %q, want a 200 page: %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
	}
	for _, want := range []string{"<h1>Your subscription is confirmed</h1>", "marketing emails", `<span class="ref">` + id + `</span>`} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("page lacks %q:\n%s", want, resp.Body)
		}
	}
}

func TestConfirmJSON(t *testing.T) {
	h, st, _ := newHandler(t)
	tok, id := giveEmail(t, h, st)
	body := `{"token":"` + tok + `"}`
	resp := handle(t, h, event("POST /v1/consents/confirm", apigw.JSON, "application/json", body))
	if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("status %d %q: %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"receipt_id": id, "purpose": "email_marketing", "status": "granted"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("body %v, want %v", got, want)
	}
	problem(t, handle(t, h, event("POST /v1/consents/confirm", apigw.JSON, "application/json", body)), 410)

	// Missing and malformed tokens.
	p := problem(t, handle(t, h, event("POST /v1/consents/confirm", apigw.JSON, "application/json", `{}`)), 400)
	wantField(t, p, "token")
	problem(t, handle(t, h, event("POST /v1/consents/confirm", apigw.JSON, "application/json", `{"token":"abc"}`)), 410)
	problem(t, handle(t, h, event("POST /v1/consents/confirm", "text/plain", "application/json", "token="+tok)), 415)
}

func TestUnknownRoute(t *testing.T) {
	h, _, _ := newHandler(t)
	problem(t, handle(t, h, event("DELETE /v1/consents", apigw.JSON, "", `{}`)), 404)
}

// TestGiveManyEvents: a body full of events is refused quickly with a
// bounded answer. fault.Fields.Add is linear, so tens of thousands of
// per-event errors cost quadratic time, and every one is echoed.
func TestGiveManyEvents(t *testing.T) {
	h, st, _ := newHandler(t)
	n := (apigw.MaxBody - 600) / 3
	body := goodBody("[" + strings.TrimSuffix(strings.Repeat("{},", n), ",") + "]")
	if len(body) > apigw.MaxBody {
		t.Fatalf("body %d bytes", len(body))
	}
	start := time.Now()
	resp := handle(t, h, post(body))
	took := time.Since(start)
	p := problem(t, resp, 400)
	wantField(t, p, "events")
	if took > time.Second {
		t.Errorf("refusing %d events took %v", n, took)
	}
	if len(resp.Body) > 64<<10 {
		t.Errorf("problem body is %d bytes with %d errors for a %d-byte request", len(resp.Body), len(p.Errors), len(body))
	}
	if len(st.Recordings()) != 0 {
		t.Error("recorded")
	}
}

var okStatus = map[int]bool{201: true, 400: true, 413: true, 415: true, 422: true}

func FuzzConsentBody(f *testing.F) {
	f.Add([]byte(goodBody(allEvents)))
	f.Add([]byte(goodBody(`[{"purpose":"sms_transactional","granted":true},{"purpose":"cookies_functional","granted":false}]`)))
	f.Add([]byte(strings.Replace(goodBody(`[{"purpose":"sms_marketing","granted":true}]`), `"age_confirmed":true`, `"age_confirmed":false`, 1)))
	f.Add([]byte(`{"events":[{"purpose":"email_marketing","granted":"yes"}],"subject":{"email":"a@b.co"}}`))
	f.Add([]byte(`{"events":[null,{},[],1,"x",{"purpose":null,"granted":null}],"subject":null,"disclosure":null}`))
	f.Add([]byte(`{"subject":{"email":"a@b.co\r\nBcc: eve@example.com","phone":"\u0000","browser_id":"\ud800"},"country":"\u202e"}`))
	f.Add([]byte(`{"disclosure":{"id":"a","version":"1","text":"` + strings.Repeat("𝔄", 10001) + `"}}`))
	f.Add([]byte(`{"events":[` + strings.Repeat(`{"purpose":"cookies_analytics","granted":true},`, 7) + `{}]}`))
	f.Add([]byte(strings.Repeat("[", 5000)))
	f.Add([]byte("\xff\xfe{}"))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"subject":{"email":"a@b.co","email":"eve@example.com"},"events":[{"purpose":"email_marketing","granted":true,"GRANTED":false}]}`))
	f.Add([]byte(`{"subject":{"email":"a\udc00@b.co"},"events":[{"purpose":"email_marketing","granted":true}],"disclosure":{"text":"\ud83d\ude00"}}`))
	f.Add([]byte(`{"source_url":"https://x.example/` + strings.Repeat("a", 2100) + `","legal_basis":"consent","locale":"en\n"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		h, st, _ := newHandler(t)
		before := len(st.Recordings())
		resp, err := h.Handle(context.Background(), post(string(body)))
		if err != nil {
			t.Fatalf("Handle error: %v", err)
		}
		if !okStatus[resp.StatusCode] {
			t.Fatalf("status %d for %q: %s", resp.StatusCode, body, resp.Body)
		}
		if len(body) <= apigw.MaxBody && apigw.CheckJSON(body) != nil && resp.StatusCode != 400 {
			t.Fatalf("status %d for %q, which holds a duplicate key, an unpaired surrogate or invalid UTF-8", resp.StatusCode, body)
		}
		recorded := len(st.Recordings()) - before
		if (resp.StatusCode == 201) != (recorded == 1) || recorded > 1 {
			t.Fatalf("status %d with %d recordings", resp.StatusCode, recorded)
		}
		if resp.StatusCode != 201 {
			var p apigw.ProblemDoc
			if json.Unmarshal([]byte(resp.Body), &p) != nil || p.Status != resp.StatusCode {
				t.Fatalf("status %d with body %s", resp.StatusCode, resp.Body)
			}
			if resp.StatusCode == 422 && len(p.Errors) == 0 {
				t.Fatalf("422 without errors: %s", resp.Body)
			}
		}
	})
}

// Unknown fields inside subject and disclosure are named like those inside
// events.
func TestGiveUnknownNestedFields(t *testing.T) {
	h, store, _ := newHandler(t)
	resp := handle(t, h, post(`{"subject":{"email":"a@example.com","mail":"x"},"events":[{"purpose":"cookies_analytics","granted":true}],"disclosure":{"id":"d","version":"1","text":"t","lang":"en"}}`))
	p := problem(t, resp, 400)
	names := map[string]bool{}
	for _, e := range p.Errors {
		names[e.Field] = true
	}
	if !names["subject.mail"] || !names["disclosure.lang"] {
		t.Fatalf("errors %+v, want subject.mail and disclosure.lang", p.Errors)
	}
	if len(store.Recordings()) != 0 {
		t.Fatal("a refused call was recorded")
	}
}

// TestDisclosures: the catalogue as the pages read it, every entry with its
// purposes and exact text, cacheable.
func TestDisclosures(t *testing.T) {
	h, _, _ := newHandler(t)
	r := event("GET /v1/disclosures", "", "application/json", "")
	r.Headers["origin"] = "https://claritru.example"
	resp := handle(t, h, r)
	if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("status %d %v: %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	if cc := resp.Headers["Cache-Control"]; cc != "public, max-age=300" {
		t.Errorf("Cache-Control %q, want public, max-age=300", cc)
	}
	if resp.Headers["Access-Control-Allow-Origin"] != "https://claritru.example" || resp.Headers["X-Content-Type-Options"] != "nosniff" {
		t.Errorf("headers %v", resp.Headers)
	}
	var got []Disclosure
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%v: %s", err, resp.Body)
	}
	want := []Disclosure{
		{ID: "signup-footer", Version: "2026-01", Purposes: []string{"email_marketing", "sms_marketing", "sms_transactional", "cookies_functional", "cookies_analytics", "cookies_advertising"}, Text: discText},
		{ID: "cookie-banner", Version: "2026-11", Purposes: []string{"cookies_analytics"}, Text: `We use cookies & "similar" <technologies>.`},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("disclosures\n%+v\nwant\n%+v", got, want)
	}
}

// TestGiveUnderTheCatalogue: a consent names its disclosure by id and
// version; the words recorded and mailed are the stored ones, whatever the
// caller sends.
func TestGiveUnderTheCatalogue(t *testing.T) {
	cookie := func(disclosure string) string {
		return `{"subject":{"email":"ada@example.com"},"events":[{"purpose":"cookies_analytics","granted":true}],"disclosure":` + disclosure + `}`
	}
	refused := []struct{ name, body, field string }{
		{"unknown id", cookie(`{"id":"cookie-banner-x","version":"2026-11"}`), "disclosure"},
		{"unknown version", cookie(`{"id":"cookie-banner","version":"2026-12"}`), "disclosure"},
		{"text not the stored one", cookie(`{"id":"cookie-banner","version":"2026-11","text":"<a href=\"https://evil.example\">Claim your prize</a>"}`), "disclosure.text"},
		{"purpose not covered", `{"subject":{"email":"ada@example.com"},"events":[{"purpose":"cookies_analytics","granted":true},{"purpose":"cookies_advertising","granted":false}],"disclosure":{"id":"cookie-banner","version":"2026-11"}}`, "events[1].purpose"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			h, st, _ := newHandler(t)
			wantField(t, problem(t, handle(t, h, post(tc.body)), 422), tc.field)
			if len(st.Recordings()) != 0 {
				t.Error("a refused call was recorded")
			}
		})
	}
	stored := `We use cookies & "similar" <technologies>.`
	for name, d := range map[string]string{
		"id and version": `{"id":"cookie-banner","version":"2026-11"}`,
		"with the text":  `{"id":"cookie-banner","version":"2026-11","text":` + mustJSON(stored) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			h, st, _ := newHandler(t)
			rc := decodeReceipt(t, handle(t, h, post(cookie(d))))
			sum := sha256.Sum256([]byte(stored))
			rec := st.Recordings()[0]
			if rc.DisclosureSHA256 != hex.EncodeToString(sum[:]) || rec.Disclosure.Text != stored || rec.Mail.Data["disclosure"] != stored {
				t.Errorf("receipt %s, recorded %+v, mailed %q: want the stored text", rc.DisclosureSHA256, rec.Disclosure, rec.Mail.Data["disclosure"])
			}
		})
	}
}
