package ddb_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/subjectdata"
)

// An erasure keeps a request's mail that is still to be sent (the outcome
// of the request it closed), so the person is told; once sent, the mail
// loses its address and content. A mail sent before the erasure is deleted,
// and so is an unsent receipt (TestSubjectExportAndErasure).
func TestErasureKeepsUnsentMailUntilSent(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	s, o := ddb.NewRequests(db, table), ddb.NewOutbox(db, table)
	// Each request's mail is its outcome, queued when it was closed.
	for _, id := range []string{"K1", "K2"} {
		c := sampleCreation(id)
		c.Mail.Template = mail.RequestCompleted
		if err := s.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// K2's receipt is sent before the erasure.
	sentRef := "REQ#K2\x00MAIL#K2-m1"
	if c, err := o.Claim(ctx, sentRef, t0); err != nil || c != mail.Claimed {
		t.Fatalf("claim: %v %v", c, err)
	}
	if err := o.MarkSent(ctx, sentRef, "msg-2", t0); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, id := range []string{"K1", "K2"} {
		r, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, r.SubjectKey)
	}
	rep, err := ddb.NewSubjects(db, table).Erase(ctx, keys, subjectdata.Erasure{At: t0.Add(time.Hour), Reason: "deletion request K1", Actor: "local-staff"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Minimised["mail_kept_until_sent"] != 1 || rep.Deleted["mail"] != 1 {
		t.Fatalf("report %+v, want one mail kept until sent and one deleted", rep)
	}
	if n := withPrefix(items(t, db, table, "REQ#K2"), "MAIL#"); n != 0 {
		t.Fatalf("the sent mail of K2 was kept (%d)", n)
	}
	kept := items(t, db, table, "REQ#K1")["MAIL#K1-m1"]
	if kept == nil || kept["to"] == nil || kept["erase_after_send"] == nil {
		t.Fatalf("the unsent mail of K1: %v", kept)
	}
	ref := "REQ#K1\x00MAIL#K1-m1"
	if c, err := o.Claim(ctx, ref, t0.Add(2*time.Hour)); err != nil || c != mail.Claimed {
		t.Fatalf("claim after the erasure: %v %v", c, err)
	}
	if err := o.MarkSent(ctx, ref, "msg-1", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	sent := items(t, db, table, "REQ#K1")["MAIL#K1-m1"]
	st, _ := sent["status"].(*types.AttributeValueMemberS)
	if st == nil || st.Value != mail.StatusSent || sent["to"] != nil || sent["data"] != nil {
		t.Fatalf("the kept mail once sent: %v", sent)
	}
}
