package notifier_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/topology"
)

// TestMarkedAddressGetsNoMail: mail to an address marked undeliverable is
// ended unsent with the record done (no batch failure, so the stream does
// not retry it), counted against no cap, never re-driven, and a redelivered
// stream record sends nothing; once the mark is cleared, a new intent to
// the address is sent, and the one ended stays unsent.
func TestMarkedAddressGetsNoMail(t *testing.T) {
	to := "gone.away@example.com"
	db, table := localtest.NewTable(t)
	seed(t, db, table, to, mail.RequestReceived)
	def, _ := topology.ClariTru.Function("notifier")
	o := ddb.NewOutbox(ddb.Guard(db, def), table)
	marks := ddb.NewMarks(db, table)
	ctx := context.Background()
	key := "key-of-" + to
	now := time.Now().UTC()
	if _, err := marks.Mark(ctx, key, deliverability.Mark{Reason: deliverability.ReasonBounce, Subtype: "General", At: now, MessageID: "m0", EventID: "f0"}, now); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := handler(o, localtest.SES(t), &logs)
	h.Sender.(*notifier.Notifier).Marks = o
	h.Sender.(*notifier.Notifier).AddressKey = func(addr string) string { return "key-of-" + addr }
	recs := records(t, db, table)
	for range 2 {
		resp, err := h.Handle(ctx, events.DynamoDBEvent{Records: recs})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("Handle = %+v, %v: a mail to a marked address must not be retried", resp, err)
		}
	}
	if n := len(mailsTo(t, to)); n != 0 {
		t.Fatalf("%d mails reached a marked address", n)
	}
	recMails, err := ddb.NewRequests(db, table).MailLog(ctx, "R-gone.away")
	if err != nil || len(recMails) != 1 || recMails[0].Status != mail.StatusUndeliverable || recMails[0].Undeliverable != "bounce" {
		t.Fatalf("the mail: %+v %v, want undeliverable (bounce)", recMails, err)
	}
	// The watch re-drives what is left unsent; it finds nothing.
	if n, err := ddb.NewOutbox(db, table).RedriveStale(ctx, time.Now().Add(time.Hour), 10); err != nil || n != 0 {
		t.Fatalf("an undeliverable mail was re-driven: %d %v", n, err)
	}
	if _, err := marks.Clear(ctx, key, deliverability.Clearance{At: now, Actor: "staff", Reason: "works"}); err != nil {
		t.Fatal(err)
	}
	seed(t, db, table, "gone.away+2@example.com", mail.RequestReceived)
	h.Sender.(*notifier.Notifier).AddressKey = func(string) string { return key }
	if resp, err := h.Handle(ctx, events.DynamoDBEvent{Records: records(t, db, table)}); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("after clearing: %+v %v", resp, err)
	}
	if n := len(mailsTo(t, "gone.away+2@example.com")); n != 1 {
		t.Fatalf("%d mails after clearing, want 1", n)
	}
	// The mail ended undeliverable stays so: clearing sends nothing old.
	if n := len(mailsTo(t, to)); n != 0 {
		t.Fatalf("%d mails to the first address after clearing, want 0", n)
	}
}
