package ddb_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/request"
)

// TestAppealRoundTripsAndQueues: a denied request appealed is stored with its
// appeal, open again (no expiry while the appeal waits), and filed in the
// queue of appealed requests by the appeal's due date; upheld, it is closed
// again with the 24-month expiry of the request log.
func TestAppealRoundTripsAndQueues(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	ctx := context.Background()
	at := t0
	act := func(id string, a request.ActionInput) request.Request {
		t.Helper()
		r, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Hour)
		next, ev, m, err := request.Transition(r, a, at)
		if err != nil {
			t.Fatal(err)
		}
		ev.ID = id + "-" + string(a.Action)
		if m != nil {
			m.ID = ev.ID + "-mail"
		}
		if err := s.Update(ctx, request.Change{Request: next, FromVersion: r.Version, Event: ev, Mail: m}); err != nil {
			t.Fatal(err)
		}
		return next
	}
	for _, id := range []string{"A1", "A2"} {
		if err := s.Create(ctx, sampleCreation(id)); err != nil {
			t.Fatal(err)
		}
		act(id, request.ActionInput{Action: request.Deny, Basis: "unverified", Actor: "staff"})
	}
	if !hasExpiry(t, db, table, "REQ#A1") {
		t.Fatal("a denied request carries no expiry")
	}
	// A2 is appealed first (its letter arrived a day earlier), so it is
	// due first; appeals of the same day are due at the same end of day.
	act("A2", request.ActionInput{Action: request.Appeal, Actor: "staff"})
	at = at.Add(24 * time.Hour)
	appealed := act("A1", request.ActionInput{Action: request.Appeal, Actor: "staff"})
	got, err := s.Get(ctx, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != request.Appealed || got.DenialCode != "unverified" || got.AppealReceivedAt.IsZero() ||
		!got.AppealDueAt.Equal(appealed.AppealDueAt) || got.AppealDueAt.Sub(got.AppealReceivedAt) < 44*24*time.Hour ||
		got.AppealDueAt.Sub(got.AppealReceivedAt) > 46*24*time.Hour || !got.DueAt.Equal(got.AppealDueAt) || !got.ClosedAt.IsZero() {
		t.Fatalf("appealed request %+v", got)
	}
	if hasExpiry(t, db, table, "REQ#A1") {
		t.Fatal("an appealed request, open again, still expires")
	}
	queue, _, err := s.Queue(ctx, request.Appealed, time.Time{}, "", 10)
	if err != nil || len(queue) != 2 || queue[0].ID != "A2" || queue[1].ID != "A1" {
		t.Fatalf("appealed queue %+v, %v", queue, err)
	}
	if denied, _, _ := s.Queue(ctx, request.Denied, time.Time{}, "", 10); len(denied) != 0 {
		t.Fatalf("appealed requests still in the denied queue: %+v", denied)
	}
	up := act("A1", request.ActionInput{Action: request.Uphold, Reason: "The documents do not match.", Actor: "staff"})
	got, err = s.Get(ctx, "A1")
	if err != nil || got.Status != request.Denied || got.AppealDecision != request.Upheld || got.AppealReason != "The documents do not match." ||
		!got.AppealDecidedAt.Equal(up.AppealDecidedAt) || !got.ClosedAt.Equal(up.ClosedAt) {
		t.Fatalf("upheld request %+v, %v", got, err)
	}
	if !hasExpiry(t, db, table, "REQ#A1") {
		t.Fatal("an upheld denial carries no expiry")
	}
}

func hasExpiry(t *testing.T, db *dynamodb.Client, table, pk string) bool {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "REQ"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, ok := out.Item["expires_at"]
	return ok
}
