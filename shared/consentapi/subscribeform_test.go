package consentapi

import (
	"net/url"
	"strings"
	"testing"
)

// signUp is the sign-up page's form, posted without a script.
func signUp(extra url.Values) string {
	v := url.Values{
		"email": {"ada@example.com"}, "purpose": {"email_marketing"},
		"disclosure_id": {"signup-footer"}, "disclosure_version": {"2026-01"}, "age_confirmed": {"on"},
	}
	for k, vs := range extra {
		v[k] = vs
	}
	return v.Encode()
}

// TestGiveFormShowsPage: a browser's form post records the choice (the
// page it came from as the proof's page) and gets a page that says what
// to do next.
func TestGiveFormShowsPage(t *testing.T) {
	h, st, logs := newHandler(t)
	r := event("POST /v1/consents", "application/x-www-form-urlencoded", chromeAccept, signUp(nil))
	r.Headers["referer"] = "https://claritru.example/subscribe.html"
	resp := handle(t, h, r)
	if resp.StatusCode != 201 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		t.Fatalf("status %d %q: %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
	}
	recs := st.Recordings()
	if len(recs) != 1 || recs[0].Fields["source_url"] != "https://claritru.example/subscribe.html" {
		t.Fatalf("recorded %+v", recs)
	}
	for _, want := range []string{"<h1>Check your email to confirm</h1>", "Confirm my subscription", `<span class="ref">` + recs[0].ReceiptID + `</span>`} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("page lacks %q:\n%s", want, resp.Body)
		}
	}
	if strings.Contains(logs.String(), "ada@") {
		t.Errorf("logs carry the address: %s", logs)
	}

	// A page of another site is not recorded as the page.
	r = event("POST /v1/consents", "application/x-www-form-urlencoded", chromeAccept, signUp(url.Values{"email": {"eve@example.com"}}))
	r.Headers["referer"] = "https://evil.example/subscribe.html"
	if resp := handle(t, h, r); resp.StatusCode != 201 || st.Recordings()[1].Fields["source_url"] != "" {
		t.Errorf("foreign referer: %d %q", resp.StatusCode, st.Recordings()[1].Fields["source_url"])
	}

	// Withdrawing by the form.
	resp = handle(t, h, event("POST /v1/consents", "application/x-www-form-urlencoded", chromeAccept, signUp(url.Values{"granted": {"false"}})))
	if resp.StatusCode != 201 || !strings.Contains(resp.Body, "<h1>You are unsubscribed</h1>") || !strings.Contains(resp.Body, "no more marketing emails") {
		t.Errorf("withdrawal: %d\n%s", resp.StatusCode, resp.Body)
	}
}

// TestGiveFormErrorsSpeakThePage: the refusal names the page's labels.
func TestGiveFormErrorsSpeakThePage(t *testing.T) {
	h, st, _ := newHandler(t)
	resp := handle(t, h, event("POST /v1/consents", "application/x-www-form-urlencoded", chromeAccept, signUp(url.Values{"age_confirmed": {""}})))
	if resp.StatusCode != 422 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		t.Fatalf("status %d %q: %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
	}
	if !strings.Contains(resp.Body, `<a href="/subscribe.html#sub-age">I am 18 or older</a>`) || strings.Contains(resp.Body, "the person is") ||
		!strings.Contains(resp.Body, `<a href="/subscribe.html">Back to the sign-up page</a>`) {
		t.Errorf("page:\n%s", resp.Body)
	}
	if len(st.Recordings()) != 0 {
		t.Error("a refused form was recorded")
	}
	// A script that posts the form gets JSON.
	resp = handle(t, h, event("POST /v1/consents", "application/x-www-form-urlencoded", "application/json", signUp(nil)))
	if resp.StatusCode != 201 || resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("form by a script: %d %q", resp.StatusCode, resp.Headers["Content-Type"])
	}
}

// TestGiveFormWithdrawsWithoutWords: the sign-up page's "Stop" button,
// posted without a script, withdraws with no disclosure sent.
func TestGiveFormWithdrawsWithoutWords(t *testing.T) {
	h, st, _ := newHandler(t)
	body := "return_url=%2Fsubscribe.html&email=annie%40example.com&phone=&code=&withdraw=email_marketing"
	resp := handle(t, h, event("POST /v1/consents", "application/x-www-form-urlencoded", chromeAccept, body))
	if resp.StatusCode != 201 || !strings.Contains(resp.Body, "<h1>You are unsubscribed</h1>") {
		t.Fatalf("status %d:\n%s", resp.StatusCode, resp.Body)
	}
	recs := st.Recordings()
	if len(recs) != 1 || len(recs[0].Records) != 1 || recs[0].Records[0].Granted || recs[0].Fields["disclosure_id"] != "signup-footer" {
		t.Errorf("recorded %+v", recs)
	}
}
