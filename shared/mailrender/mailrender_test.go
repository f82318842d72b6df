package mailrender

import (
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/mail"
)

func data(extra map[string]string) map[string]string {
	d := map[string]string{
		"first_name":  "Ada",
		"request_id":  "01JREQUEST0000000000000000",
		"types":       "Know what personal information we hold\nDelete personal information",
		"received_at": "31 January 2026",
		"due_at":      "17 March 2026",
		"regime":      "ccpa",
		"status":      "pending_verification",
	}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

const link = "https://api.claritru.example/v1/verify?token=AbC-_123"

func TestRenderSubjects(t *testing.T) {
	want := map[mail.Template]string{
		mail.RequestReceived: "We received your privacy request",
		mail.RequestVerified: "Your privacy request is verified",
	}
	for tmpl, subject := range want {
		// User text that tries to reach a header changes nothing.
		m, err := Render(mail.Intent{ID: "M1", Template: tmpl, To: "ada@example.com", Data: data(map[string]string{"first_name": "Ada\r\nBcc: eve@example.com"})})
		if err != nil {
			t.Fatalf("Render(%s): %v", tmpl, err)
		}
		if m.Subject != subject {
			t.Errorf("%s subject = %q, want %q", tmpl, m.Subject, subject)
		}
		if strings.TrimSpace(m.Text) == "" || strings.TrimSpace(m.HTML) == "" {
			t.Errorf("%s: text %d bytes, HTML %d bytes; want both parts", tmpl, len(m.Text), len(m.HTML))
		}
		for part, s := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			if !strings.Contains(s, "01JREQUEST0000000000000000") || !strings.Contains(s, "17 March 2026") {
				t.Errorf("%s %s part lacks the reference or the due date:\n%s", tmpl, part, s)
			}
			if strings.Contains(s, "<no value>") {
				t.Errorf("%s %s part shows a missing value:\n%s", tmpl, part, s)
			}
		}
		if !strings.HasPrefix(strings.TrimSpace(m.HTML), "<!DOCTYPE html>") {
			t.Errorf("%s HTML part does not start with a doctype", tmpl)
		}
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	for _, tmpl := range []mail.Template{mail.RequestReceived, mail.RequestVerified} {
		m, err := Render(mail.Intent{Template: tmpl, Data: data(map[string]string{
			"first_name": "<script>alert(1)</script>",
			"request_id": `"><img src=x onerror=alert(2)>`,
		})})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<img") {
			t.Errorf("%s HTML is not escaped:\n%s", tmpl, m.HTML)
		}
		if !strings.Contains(m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s HTML lacks the escaped name:\n%s", tmpl, m.HTML)
		}
		// Plain text is plain: the name as given.
		if !strings.Contains(m.Text, "Hello <script>alert(1)</script>,") {
			t.Errorf("%s text part lacks the name:\n%s", tmpl, m.Text)
		}
	}
}

func TestRenderTypesAsList(t *testing.T) {
	m, err := Render(mail.Intent{Template: mail.RequestReceived, Data: data(map[string]string{"types": "Know <what>\nDelete"})})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.HTML, "<li>Know &lt;what&gt;</li><li>Delete</li>") {
		t.Errorf("HTML list of types:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, "  - Know <what>\n  - Delete\n") {
		t.Errorf("text list of types:\n%s", m.Text)
	}
}

func TestRenderVerifyLink(t *testing.T) {
	with, err := Render(mail.Intent{Template: mail.RequestReceived, Data: data(map[string]string{"verify_url": link, "verify_expires": "72 hours"})})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(with.Text, "\n"+link+"\n") {
		t.Errorf("text part lacks the link on its own line:\n%s", with.Text)
	}
	if !strings.Contains(with.HTML, `href="`+link+`"`) {
		t.Errorf("HTML part lacks the link:\n%s", with.HTML)
	}
	for _, s := range []string{with.Text, with.HTML} {
		if !strings.Contains(s, "72 hours") || !strings.Contains(s, "Confirm my request") {
			t.Errorf("part lacks the expiry or the button text:\n%s", s)
		}
	}

	without, err := Render(mail.Intent{Template: mail.RequestReceived, Data: data(nil)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{without.Text, without.HTML} {
		if strings.Contains(s, "/v1/verify") || strings.Contains(s, "href=") || strings.Contains(s, "Confirm my request") || strings.Contains(s, "expires after") {
			t.Errorf("a mail without verify_url shows a link:\n%s", s)
		}
	}

	// The verified mail never carries a link, even if given one.
	verified, err := Render(mail.Intent{Template: mail.RequestVerified, Data: data(map[string]string{"verify_url": link})})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(verified.Text, link) || strings.Contains(verified.HTML, "/v1/verify") {
		t.Errorf("verified mail shows a verify link")
	}
}

func TestRenderRefusesScriptURL(t *testing.T) {
	m, err := Render(mail.Intent{Template: mail.RequestReceived, Data: data(map[string]string{"verify_url": "javascript:alert(1)"})})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "javascript:") {
		t.Errorf("HTML link keeps a javascript: URL:\n%s", m.HTML)
	}
}

func TestRenderUnknownTemplate(t *testing.T) {
	for _, tmpl := range []mail.Template{"", "nope", "request_received.txt", "../mail"} {
		if m, err := Render(mail.Intent{Template: tmpl, Data: data(nil)}); err == nil {
			t.Errorf("Render(%q) = %+v, want an error", tmpl, m)
		}
	}
}
