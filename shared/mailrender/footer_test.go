package mailrender

import (
	"regexp"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/mail"
)

var footer = Footer{PostalAddress: "100 Sample Street, Suite 200, Mobile, AL 36602, USA", Email: "privacy@claritru.example"}

// everyKind is data enough to render each kind of mail.
func everyKind() map[mail.Template]map[string]string {
	out := map[mail.Template]map[string]string{}
	for tmpl := range subjects {
		out[tmpl] = data(map[string]string{
			"reason": "Staff text.", "outcome": "Staff text.", "optout_id": "01JOPTOUT00000000000000000",
			"effective_at": "1 March 2026", "rights": "Sale", "receipt_id": "01JRECEIPT0000000000000000",
			"at": "1 March 2026, 09:30 UTC", "choices": "Email marketing: waiting for you to confirm", "disclosure": "Words.",
			"date": "1 March 2026", "overdue_count": "0", "due_soon_count": "0",
			"system": "Payment processor", "action": "delete", "job_id": "01JJOB000000000000000000000", "due_date": "16 March 2026",
			"appeal_days": "45", "decision": "upheld",
			"version": "2026-12", "summary": "Staff text.", "policy_url": "https://claritru.example/privacy-policy",
			"text_sha256": strings.Repeat("ab", 32),
			"verify_url":  "https://privacy.claritru.example/v1/verify?token=t", "verify_expires": "72 hours",
		})
	}
	return out
}

// TestEveryMailCarriesTheFooter: every kind of mail, transactional or not,
// shows the postal address (CAN-SPAM, 16 CFR 316.5) and the contact email
// and phone in both parts; none carries an unsubscribe link it was not given.
func TestEveryMailCarriesTheFooter(t *testing.T) {
	kinds := everyKind()
	if len(kinds) != 16 {
		t.Fatalf("%d kinds of mail, want the 16 the service sends", len(kinds))
	}
	for tmpl, d := range kinds {
		m, err := Render(mail.Intent{Template: tmpl, Data: d}, footer)
		if err != nil {
			t.Fatalf("%s: %v", tmpl, err)
		}
		for part, s := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			for _, want := range []string{"100 Sample Street, Suite 200, Mobile, AL 36602", "privacy@claritru.example", "+1 (251) 428-3182"} {
				if !strings.Contains(s, want) {
					t.Errorf("%s %s part lacks %q:\n%s", tmpl, part, want, s)
				}
			}
			if strings.Contains(s, "<no value>") || strings.Contains(strings.ToLower(s), "unsubscribe with") {
				t.Errorf("%s %s part:\n%s", tmpl, part, s)
			}
		}
		if !regexp.MustCompile(`(?s)428-3182</p>\s*</div>\s*</div>\s*</div>\s*</body>\s*</html>$`).MatchString(strings.TrimSpace(m.HTML)) {
			t.Errorf("%s HTML does not end with the footer inside the body:\n%s", tmpl, m.HTML)
		}
		if m.Unsubscribe != "" {
			t.Errorf("%s: unsubscribe %q without one given", tmpl, m.Unsubscribe)
		}
	}
}

// TestConsentReceiptCarriesUnsubscribe: a consent receipt given its
// one-click URL shows it in both parts and hands it on for the
// List-Unsubscribe header; it is escaped in the HTML.
func TestConsentReceiptCarriesUnsubscribe(t *testing.T) {
	const u = "https://api.claritru.example/v1/unsubscribe?token=v1.AbC_-1&x=1"
	d := everyKind()[mail.ConsentReceipt]
	d[mail.UnsubscribeKey] = u
	m, err := Render(mail.Intent{Template: mail.ConsentReceipt, Data: d}, footer)
	if err != nil {
		t.Fatal(err)
	}
	if m.Unsubscribe != u {
		t.Errorf("Unsubscribe %q, want %q", m.Unsubscribe, u)
	}
	if !strings.Contains(m.Text, "unsubscribe with one click (no login needed): "+u+"\n") {
		t.Errorf("text part lacks the link:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, `<a target="_blank" rel="noopener" href="https://api.claritru.example/v1/unsubscribe?token=v1.AbC_-1&amp;x=1" style="color:#0b3d6e;">unsubscribe with one click</a>`) {
		t.Errorf("HTML part lacks the link:\n%s", m.HTML)
	}
}

// TestRenderNeedsTheFooter: no mail is rendered without the postal address
// and the contact email, and an address that would break the footer (or a
// header) is refused.
func TestRenderNeedsTheFooter(t *testing.T) {
	for _, f := range []Footer{
		{},
		{PostalAddress: "  ", Email: "privacy@claritru.example"},
		{PostalAddress: footer.PostalAddress},
		{PostalAddress: "1 Street\r\nBcc: eve@example.com", Email: "privacy@claritru.example"},
		{PostalAddress: strings.Repeat("a", MaxPostalAddress+1), Email: "privacy@claritru.example"},
	} {
		if m, err := Render(mail.Intent{Template: mail.RequestReceived, Data: data(nil)}, f); err == nil {
			t.Errorf("Render with footer %+v = %q, want an error", f, m.Text)
		}
	}
}
