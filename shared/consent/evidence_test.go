package consent

import (
	"maps"
	"testing"
	"time"
)

func TestRecordingEvidence(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	r := &Recording{
		At:     at,
		Fields: map[string]string{"ip": "192.0.2.1"},
		Records: []Record{
			{Purpose: SMSMarketing, Granted: true, Status: Granted, Subject: Identity{Kind: Phone, Key: "p"}},
			{Purpose: EmailMarketing, Granted: true, Status: Pending, Subject: Identity{Kind: Email, Key: "e"}},
			{Purpose: CookiesAdvertising, Granted: true, Status: NotGranted, Reason: "gpc", Subject: Identity{Kind: BrowserID, Key: "b"}},
		},
		ConfirmExpires: at.Add(72 * time.Hour),
	}
	if got := r.ReceiptSubject(); got != "e" {
		t.Errorf("receipt subject = %q, want the email's", got)
	}
	if k, p := r.ConfirmSubject(); k != "e" || p != EmailMarketing {
		t.Errorf("confirm subject = %q %q, want the pending grant's", k, p)
	}
	want := map[string]string{"purpose": "cookies_advertising", "granted": "true", "status": "not_granted", "reason": "gpc", "ip": "192.0.2.1"}
	if got := r.EventFields(r.Records[2]); !maps.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	if _, ok := r.EvidenceFrom(r.Records[0]); ok {
		t.Error("a grant in effect is evidence with an expiry")
	}
	if from, _ := r.EvidenceFrom(r.Records[1]); !from.Equal(r.ConfirmExpires) {
		t.Errorf("pending email evidence from %v, want the link's lapse", from)
	}
	if from, _ := r.EvidenceFrom(Record{Purpose: CookiesAnalytics, Status: Withdrawn}); !from.Equal(at) {
		t.Errorf("withdrawal evidence from %v, want the event", from)
	}
	// A pending SMS grant has no link to lapse, even beside a pending
	// email grant's: four years from the event.
	if from, ok := r.EvidenceFrom(Record{Purpose: SMSMarketing, Status: Pending}); !ok || !from.Equal(at) {
		t.Errorf("pending SMS evidence from %v (%v), want the event", from, ok)
	}
	smsOnly := &Recording{At: at, Records: []Record{{Purpose: SMSMarketing, Granted: true, Status: Pending, Subject: Identity{Kind: Phone, Key: "p"}}}}
	if k, _ := smsOnly.ConfirmSubject(); k != "" {
		t.Errorf("a pending SMS grant has confirm subject %q; no mailed link confirms it", k)
	}
	noEmail := &Recording{Records: r.Records[:1]}
	if got := noEmail.ReceiptSubject(); got != "p" {
		t.Errorf("receipt subject without email = %q, want the last record's", got)
	}
}

func TestReplaces(t *testing.T) {
	for _, c := range []struct {
		current, next Status
		want          bool
	}{
		{Granted, Pending, false},
		{Granted, Withdrawn, true},
		{Granted, Granted, true},
		{Pending, Pending, true},
		{Withdrawn, Pending, true},
		{"", Pending, true},
		{NotGranted, Pending, true},
	} {
		if got := Replaces(c.current, Record{Status: c.next}); got != c.want {
			t.Errorf("Replaces(%s, %s) = %v, want %v", c.current, c.next, got, c.want)
		}
	}
}
