package subjectdata_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/subjectdata"
)

// fixed is a Store returning a fixed document and remembering its calls.
type fixed struct {
	doc    subjectdata.Document
	keys   []string
	reason string
	actor  string
	at     time.Time
}

func (f *fixed) Export(_ context.Context, keys []string, h subjectdata.Handover) (subjectdata.Document, error) {
	f.keys, f.at, f.actor = keys, h.At, h.Actor
	return f.doc, nil
}

func (f *fixed) Erase(_ context.Context, keys []string, e subjectdata.Erasure) (subjectdata.Report, error) {
	f.keys, f.at, f.reason, f.actor = keys, e.At, e.Reason, e.Actor
	return subjectdata.Report{Deleted: map[string]int{"mail": 2}}, nil
}

var now = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

func service(t *testing.T, store subjectdata.Store) (*subjectdata.Service, *subject.Keyer) {
	t.Helper()
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	return subjectdata.NewService(store, keyer, phone.E164, func() time.Time { return now }), keyer
}

func fields(err error) map[string]bool {
	out := map[string]bool{}
	if e, ok := err.(*fault.Error); ok {
		for _, f := range e.Fields {
			out[f.Field] = true
		}
	}
	return out
}

func TestIdentifyNeedsExactlyOneIdentifier(t *testing.T) {
	svc, keyer := service(t, &fixed{})
	for _, c := range []struct{ email, phone, field string }{
		{"", "", "email"},
		{"a@example.com", "+14155550100", "email"},
		{"not an email", "", "email"},
		{"", "12", "phone"},
	} {
		_, err := svc.Identify(c.email, c.phone)
		if fault.KindOf(err) != fault.Invalid || !fields(err)[c.field] {
			t.Errorf("Identify(%q, %q) = %v; want Invalid naming %s", c.email, c.phone, err, c.field)
		}
	}
	id, err := svc.Identify(" Ada@Example.com ", "")
	if err != nil || id.Kind != subjectdata.Email || id.Key != keyer.Email("ada@example.com") {
		t.Fatalf("email identity %+v, %v", id, err)
	}
	id, err = svc.Identify("", "(415) 555-0100")
	if err != nil || id.Kind != subjectdata.Phone || id.Key != keyer.Phone("+14155550100") {
		t.Fatalf("phone identity %+v, %v", id, err)
	}
}

func TestExportRedactsFreeTextAndListsAreNeverNull(t *testing.T) {
	store := &fixed{doc: subjectdata.Document{
		Requests: []subjectdata.Request{{ID: "R1", Details: "SSN 123-45-6789; MRN 00451234", Correction: "card 4111 1111 1111 1111",
			History: []subjectdata.RequestEvent{{Action: "received", Note: "called from 4155550100"}}}},
		Consents: subjectdata.Consents{Events: []subjectdata.LedgerEvent{{Seq: 1, Kind: "consent",
			Fields: map[string]string{"reason": "password: hunter2", "ip": "203.0.113.5"}}}},
	}}
	svc, keyer := service(t, store)
	doc, err := svc.Export(context.Background(), "ada@example.com", "", "staff")
	if err != nil {
		t.Fatal(err)
	}
	if len(store.keys) != 1 || store.keys[0] != keyer.Email("ada@example.com") {
		t.Fatalf("store asked for %v", store.keys)
	}
	if store.actor != "staff" || !store.at.Equal(now) {
		t.Errorf("handover recorded by %q at %s, want the staff member now", store.actor, store.at)
	}
	if _, err := svc.Export(context.Background(), "ada@example.com", "", " "); err == nil {
		t.Error("an export without an actor was handed over")
	}
	if doc.Redactions != 5 || doc.Requests[0].Details != "SSN [redacted]; MRN [redacted]" || doc.Requests[0].Correction != "card [redacted]" ||
		doc.Requests[0].History[0].Note != "called from [redacted]" || doc.Consents.Events[0].Fields["reason"] != "password: [redacted]" ||
		doc.Consents.Events[0].Fields["ip"] != "203.0.113.5" {
		t.Fatalf("document %+v", doc)
	}
	// The kinds withheld are named, in the fixed order, each with its count
	// (11 CCR §7024(d): the person is told which types are held back).
	var kinds []string
	for _, w := range doc.Withheld {
		kinds = append(kinds, fmt.Sprintf("%s=%d %s", w.Type, w.Count, w.Label))
	}
	if got := strings.Join(kinds, "; "); got != "ssn=1 Social Security number; payment_card=1 payment card number; "+
		"medical_record_number=1 medical record number; password=1 password, passcode or PIN; identification_number=1 identification or account number" {
		t.Errorf("withheld %s", got)
	}
	if !doc.GeneratedAt.Equal(now) || doc.Subject != (subjectdata.Reference{Kind: "email", Reference: keyer.Email("ada@example.com")}) {
		t.Fatalf("generated_at %s subject %+v", doc.GeneratedAt, doc.Subject)
	}

	empty, err := subjectdata.NewService(&fixed{}, keyer, phone.E164, nil).Export(context.Background(), "", "+14155550100", "staff")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(empty)
	for _, want := range []string{`"requests":[]`, `"events":[]`, `"current":[]`, `"opt_outs":[]`, `"mail_log":[]`, `"redactions":0`, `"withheld":[]`, `"kind":"phone"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("empty export %s lacks %s", b, want)
		}
	}
}

func TestEraseNeedsAReasonWithoutPersonalData(t *testing.T) {
	store := &fixed{}
	svc, keyer := service(t, store)
	ctx := context.Background()
	for _, c := range []struct{ email, reason, field string }{
		{"ada@example.com", "", "reason"},
		{"ada@example.com", "   ", "reason"},
		{"ada@example.com", strings.Repeat("x", subjectdata.MaxReason+1), "reason"},
		{"ada@example.com", "erase ada@example.com", "reason"},
		{"ada@example.com", "bell\a", "reason"},
		{"", "request 01J0000000000000000000000", "email"},
	} {
		if _, err := svc.Erase(ctx, c.email, "", c.reason, "arn:aws:iam::123456789012:role/privacy-staff"); fault.KindOf(err) != fault.Invalid || !fields(err)[c.field] {
			t.Errorf("Erase(%q, %q) = %v; want Invalid naming %s", c.email, c.reason, err, c.field)
		}
	}
	if store.keys != nil {
		t.Fatal("a refused erasure reached the store")
	}
	// An erasure names who carries it out; without one it is refused.
	if _, err := svc.Erase(ctx, "ada@example.com", "", "Verified request", " "); err == nil || store.keys != nil {
		t.Fatalf("an erasure without an actor: %v, store reached: %v", err, store.keys != nil)
	}
	const actor = "arn:aws:iam::123456789012:role/privacy-staff"
	rep, err := svc.Erase(ctx, "ada@example.com", "", strings.Repeat("é", subjectdata.MaxReason-30)+" SSN 123-45-6789", actor)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(store.reason, "SSN [redacted]") || !store.at.Equal(now) || store.actor != actor || rep.Actor != actor {
		t.Fatalf("store got reason %q at %s by %q; report by %q", store.reason, store.at, store.actor, rep.Actor)
	}
	if !rep.ErasedAt.Equal(now) || rep.Subject.Reference != keyer.Email("ada@example.com") || rep.Deleted["mail"] != 2 ||
		rep.Minimised == nil || len(rep.Kept) != 2 || rep.Kept[0] != subjectdata.KeptRequestLog {
		t.Fatalf("report %+v", rep)
	}
}
