package subjectdata

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The portable copy keeps what the person provided and leaves out what
// the company derived: history, outcome, basis, jobs, mail log.
func TestPortableOfKeepsWhatThePersonProvided(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	doc := Document{GeneratedAt: at, Subject: Reference{Kind: "email", Reference: "k"},
		Requests: []Request{{
			ID: "R1", Types: []string{"portability", "correct"}, FirstName: "Ines", Email: "ines@example.com", Details: "my account",
			Outcome: "staff words", DenialBasis: "basis", History: []RequestEvent{{Action: "received", Note: "internal"}},
			Corrections: []Correction{{Item: "surname", CorrectedValue: "Weber", Decision: "accept", Reason: "staff reason"}},
			ReceivedAt:  at,
		}},
		Consents: Consents{Current: []ConsentState{{Purpose: "email_marketing", Status: "withdrawn", Since: at, ReceiptID: "RC1"}}},
		OptOuts:  []OptOut{{Right: "sale_sharing", Identifier: "hash", Since: at, Source: "request", OptOutID: "O1"}},
		MailLog:  []Mail{{Template: "request_received"}},
	}
	b, err := json.Marshal(PortableOf(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{`"format":"claritru.portable.v1"`, `"first_name":"Ines"`, `"email":"ines@example.com"`, `"details":"my account"`,
		`"corrected_value":"Weber"`, `"purpose":"email_marketing","status":"withdrawn"`, `"right":"sale_sharing"`} {
		if !strings.Contains(got, want) {
			t.Errorf("portable copy lacks %s: %s", want, got)
		}
	}
	for _, derived := range []string{"staff words", "basis", "internal", "staff reason", "request_received", "RC1", "O1", "hash", `"decision"`} {
		if strings.Contains(got, derived) {
			t.Errorf("portable copy carries %q: %s", derived, got)
		}
	}
}
