package localcloud_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// TestSubscribeFormWithoutScript: the sign-up page's form, posted by a
// browser without JavaScript, through the gateway: an email sign-up ends on
// a page that says to open the mail, a text sign-up on a page with the
// form for the texted code, whose post confirms the number; a refused form
// names the page's labels. Every answer is checked against the OpenAPI
// document.
func TestSubscribeFormWithoutScript(t *testing.T) {
	l := startLocal(t)
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	const form = "application/x-www-form-urlencoded"
	page := l.cloud.APIURL + "/subscribe.html"

	// Email marketing: pending until the mail's link is followed.
	email := url.Values{"email": {"hedy@example.com"}, "purpose": {"email_marketing"},
		"disclosure_id": {"email-optin"}, "disclosure_version": {"2026-11"}, "age_confirmed": {"on"}}
	resp, out := l.do("POST", "/v1/consents", form, browser, email.Encode(), "Referer", page)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(out, "<h1>Check your email to confirm</h1>") {
		t.Fatalf("email sign-up: %d\n%s", resp.StatusCode, out)
	}
	mail := waitForMail(t, l.cloud.SES.Endpoint, "hedy@example.com", "Your consent receipt")
	if !strings.Contains(mail.Body.Text, "/v1/consents/confirm?token=") {
		t.Errorf("receipt mail without its link: %q", mail.Body.Text)
	}

	// Marketing texts: the page carries the form for the code.
	const number = "+14155550177"
	sms := url.Values{"phone": {number}, "purpose": {"sms_marketing"},
		"disclosure_id": {"sms-optin"}, "disclosure_version": {"2026-11"}, "age_confirmed": {"on"}}
	resp, out = l.do("POST", "/v1/consents", form, browser, sms.Encode(), "Referer", page)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(out, "<h1>Check your phone for the code</h1>") ||
		!strings.Contains(out, `<form method="post" action="/v1/consents/confirm">`) || !strings.Contains(out, `aria-describedby="code-hint"`) {
		t.Fatalf("text sign-up: %d\n%s", resp.StatusCode, out)
	}
	carried := regexp.MustCompile(`name="phone" value="([^"]+)"`).FindStringSubmatch(out)
	text := localtest.WaitForText(t, l.cloud.SMS.Endpoint, number, nil)
	code := regexp.MustCompile(`\b([0-9]{6})\b`).FindStringSubmatch(text.Body)
	if carried == nil || code == nil {
		t.Fatalf("no number on the page or no code in the text %q", text.Body)
	}
	confirm := url.Values{"phone": {strings.ReplaceAll(carried[1], "&#43;", "+")}, "code": {code[1]}}
	resp, out = l.do("POST", "/v1/consents/confirm", form, browser, confirm.Encode())
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, "Your subscription is confirmed") || !strings.Contains(out, "marketing text messages") {
		t.Fatalf("code form: %d\n%s", resp.StatusCode, out)
	}

	// A marketing grant without the age confirmation: the page's label.
	delete(email, "age_confirmed")
	resp, out = l.do("POST", "/v1/consents", form, browser, email.Encode())
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(out, ">I am 18 or older</a>") || strings.Contains(out, "age_confirmed") {
		t.Errorf("without age: %d\n%s", resp.StatusCode, out)
	}
}
