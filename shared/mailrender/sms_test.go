package mailrender

import (
	"regexp"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/mail"
)

// Every text names the company and is short; the code and HELP texts say
// that rates may apply and how to stop; HELP and STOP give the policy's
// contact phone.
func TestRenderSMS(t *testing.T) {
	const phone = "+1 (251) 428-3182"
	cases := []struct {
		tmpl mail.Template
		want []string
	}{
		{mail.SMSCode, []string{"ClariTru", "482913", "Msg & data rates may apply", "Reply STOP to cancel", "HELP for help"}},
		{mail.SMSHelp, []string{"ClariTru", phone, "Msg & data rates may apply", "Reply STOP to cancel"}},
		{mail.SMSStop, []string{"ClariTru", phone, "no more texts"}},
	}
	for _, c := range cases {
		s, err := RenderSMS(mail.Intent{Template: c.tmpl, Channel: mail.ChannelSMS, Data: map[string]string{"code": "482913"}})
		if err != nil {
			t.Fatalf("RenderSMS(%s): %v", c.tmpl, err)
		}
		for _, w := range c.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s = %q, lacks %q", c.tmpl, s, w)
			}
		}
		if len(s) > 160*2 || strings.Contains(s, "<no value>") || strings.ContainsAny(s, "<>") {
			t.Errorf("%s = %q: too long or not plain text", c.tmpl, s)
		}
	}
}

// A code text without its code is an error, not a text saying "<no value>".
func TestRenderSMSNeedsTheCode(t *testing.T) {
	if s, err := RenderSMS(mail.Intent{Template: mail.SMSCode}); err == nil {
		t.Errorf("RenderSMS without a code = %q, want an error", s)
	}
	if _, err := RenderSMS(mail.Intent{Template: mail.RequestReceived}); err == nil {
		t.Error("a mail template rendered as a text")
	}
}

// The texts show only the service's own values.
func TestSMSTemplatesShowOnlyTheCode(t *testing.T) {
	entries, err := smsFiles.ReadDir("smstemplates")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(smsNames) {
		t.Fatalf("%d text templates, want %d", len(entries), len(smsNames))
	}
	field := regexp.MustCompile(`{{[^}]*}}`)
	for _, e := range entries {
		b, _ := smsFiles.ReadFile("smstemplates/" + e.Name())
		for _, a := range field.FindAllString(string(b), -1) {
			if a != "{{.code}}" {
				t.Errorf("%s shows %s", e.Name(), a)
			}
		}
	}
}
