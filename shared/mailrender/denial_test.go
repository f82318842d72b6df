package mailrender

import (
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/mail"
)

// TestDenialNamesTheWayOut: a denial says why and how to appeal; a GDPR
// requester also reads of the supervisory authority and the courts (GDPR
// Art. 12(4)), a CCPA requester of the California regulators; a request
// appealed already is not offered a second appeal.
func TestDenialNamesTheWayOut(t *testing.T) {
	cases := []struct {
		name, supervisory, appealDays string
		want, not                     []string
	}{
		{"ccpa", "", "45",
			[]string{"Why: Staff text.", "How to appeal", "within 45 days", "privacy@claritru.example", "100 Sample Street", "cppa.ca.gov", "oag.ca.gov"},
			[]string{"supervisory authority", "Art. 79"}},
		{"gdpr", "yes", "45",
			[]string{"Why: Staff text.", "How to appeal", "supervisory authority", "GDPR Art. 77", "judicial remedy", "GDPR Art. 79"},
			[]string{"cppa.ca.gov"}},
		{"after an appeal", "yes", "",
			[]string{"Why: Staff text.", "supervisory authority", "judicial remedy"},
			[]string{"How to appeal", "appeal this decision"}},
	}
	for _, c := range cases {
		m, err := Render(mail.Intent{Template: mail.RequestDenied, Data: data(map[string]string{
			"supervisory": c.supervisory, "reason": "Staff text.", "appeal_days": c.appealDays,
		})}, footer)
		if err != nil {
			t.Fatal(err)
		}
		for part, s := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			for _, w := range c.want {
				if !strings.Contains(s, w) {
					t.Errorf("%s %s part lacks %q:\n%s", c.name, part, w, s)
				}
			}
			for _, n := range c.not {
				if strings.Contains(s, n) {
					t.Errorf("%s %s part shows %q:\n%s", c.name, part, n, s)
				}
			}
		}
	}
}

// TestAppealDecisionMails: an overturned appeal says when the request will
// be done; an upheld one names the regulator to turn to.
func TestAppealDecisionMails(t *testing.T) {
	over, err := Render(mail.Intent{Template: mail.AppealDecided, Data: data(map[string]string{"decision": "overturned", "reason": "We found your records."})}, footer)
	if err != nil {
		t.Fatal(err)
	}
	up, err := Render(mail.Intent{Template: mail.AppealDecided, Data: data(map[string]string{"decision": "upheld", "reason": "The law requires us to keep it.", "supervisory": "yes"})}, footer)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"reversed our decision", "17 March 2026", "Our reasons: We found your records."} {
		if !strings.Contains(over.Text, w) || !strings.Contains(over.HTML, w) {
			t.Errorf("overturned mail lacks %q:\n%s", w, over.Text)
		}
	}
	if strings.Contains(over.Text, "uphold") || strings.Contains(over.Text, "supervisory") {
		t.Errorf("overturned mail reads as upheld:\n%s", over.Text)
	}
	for _, w := range []string{"We uphold our decision", "Our reasons: The law requires us to keep it.", "supervisory authority", "judicial remedy"} {
		if !strings.Contains(up.Text, w) || !strings.Contains(up.HTML, w) {
			t.Errorf("upheld mail lacks %q:\n%s", w, up.Text)
		}
	}
}

// TestCompletionNamesWithheldTypes: the completion lists by name each type
// of information withheld under 11 CCR §7024(d), and says nothing of it
// when none was.
func TestCompletionNamesWithheldTypes(t *testing.T) {
	m, err := Render(mail.Intent{Template: mail.RequestCompleted, Data: data(map[string]string{
		"withheld": "Social Security number\nmedical record number",
	})}, footer)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"- Social Security number\n- medical record number\n", "11 CCR §7024(d)"} {
		if !strings.Contains(m.Text, w) {
			t.Errorf("text lacks %q:\n%s", w, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "<li>Social Security number</li><li>medical record number</li>") {
		t.Errorf("HTML lacks the list:\n%s", m.HTML)
	}
	plain, err := Render(mail.Intent{Template: mail.RequestCompleted, Data: data(nil)}, footer)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.Text, "7024") || strings.Contains(plain.HTML, "7024") {
		t.Errorf("a completion withholding nothing speaks of it:\n%s", plain.Text)
	}
}
