package notifier_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/topology"
)

// A verified deletion writes, with its jobs, the notice to the privacy
// contact of the vendor reached by mail (in the job's partition); the
// notifier, with its own table access, sends it once: what to do, for
// whom, by when, quoting the job and the request. The log names neither
// the person nor the vendor's address.
func TestVendorNoticeIsSent(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	const person = "vendor-notice-ada@example.com"
	raw, hash, err := request.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	r := request.Request{ID: "01JVENDORREQ00000000000000", Types: []request.Type{request.Delete}, Status: request.PendingVerification,
		Email: person, FirstName: "Ada", ReceivedAt: now, DueAt: deadline.Due(deadline.CCPA, now), Regime: deadline.CCPA, Version: 1, SubjectKey: "k-vendor"}
	store := ddb.NewRequests(db, table)
	err = store.Create(ctx, request.Creation{Request: r, TokenHash: hash, TokenExpiresAt: now.Add(time.Hour),
		Event: request.Event{ID: "E1", At: now, Action: "received", To: r.Status, Actor: "requester"},
		Mail:  mail.Intent{ID: "01JVENDORMAIL0000000000000", Template: mail.RequestReceived, To: person, Data: map[string]string{"request_id": r.ID, "types": "Delete", "due_at": "1 January 2027"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := request.NewService(store, request.Config{Systems: reach.Systems()}).Confirm(ctx, raw); err != nil {
		t.Fatal(err)
	}
	jobs, err := ddb.NewJobs(db, table).OfRequest(ctx, r.SubjectKey, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var billing reach.Job
	for _, j := range jobs {
		if j.System == "billing" {
			billing = j
		}
	}
	if billing.ID == "" {
		t.Fatalf("jobs %+v: no job for the vendor reached by mail", jobs)
	}

	recs := records(t, db, table)
	def, _ := topology.ClariTru.Function("notifier")
	var logs bytes.Buffer
	h := handler(ddb.NewOutbox(ddb.Guard(db, def), table), localtest.SES(t), &logs)
	for range 2 { // a redelivered batch sends nothing twice
		resp, err := h.Handle(ctx, events.DynamoDBEvent{Records: recs})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("Handle = %+v, %v\n%s", resp, err, logs.String())
		}
	}
	got := mailsTo(t, "privacy@payments.example")
	if len(got) != 1 {
		t.Fatalf("%d notices to the vendor, want 1", len(got))
	}
	m := got[0]
	due := billing.DueAt.UTC().Format("2 January 2006")
	if m.Subject != "Privacy request from ClariTru: action needed" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, want := range []string{"Delete the personal information", person, due, billing.ID, r.ID, "reply to this mail"} {
		if !strings.Contains(m.Body.Text, want) {
			t.Errorf("notice lacks %q:\n%s", want, m.Body.Text)
		}
	}
	if strings.Contains(m.Body.Text, "Ada") {
		t.Errorf("the notice shows the person's name:\n%s", m.Body.Text)
	}
	if s := logs.String(); strings.Contains(s, person) || strings.Contains(s, "payments.example") {
		t.Errorf("personal data or the vendor's address in logs: %s", s)
	}
}
