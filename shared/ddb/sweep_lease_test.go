package ddb_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/retention"
)

// seedExpiring creates n requests, each with a verification token and an
// idempotency record: 2n records due after 72 hours, spread over the shards.
func seedExpiring(t *testing.T, db *dynamodb.Client, table string, n int) {
	t.Helper()
	s := ddb.NewRequests(db, table)
	for i := range n {
		c := sampleCreation(fmt.Sprintf("K%03d", i))
		c.TokenHash = fmt.Sprintf("tok-%03d", i)
		c.IdempotencyKeyHash, c.BodyHash, c.IdempotencyExpires = fmt.Sprintf("idem-%03d", i), "b", t0.Add(24*time.Hour)
		if err := s.Create(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
}

// A run with too little time left stops cleanly before doing anything; the
// next run does the work. Two runs at once: the second is refused.
func TestSweepStopsBeforeItsDeadlineAndRunsOneAtATime(t *testing.T) {
	db, table := localtest.NewTable(t)
	seedExpiring(t, db, table, 5)
	now := t0.Add(72*time.Hour + time.Minute)
	sw := sweeper(db, table, &now)
	sw.Margin = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := sw.Run(ctx)
	if err != nil || rep.Status != retention.Stopped || rep.Total() != 0 {
		t.Fatalf("a run inside its margin: %+v, %v", rep, err)
	}
	sw.Margin = 0
	if rep := sweep(t, sw); rep.Total() != 10 {
		t.Fatalf("the next run removed %d, want 10", rep.Total())
	}

	// A lease held by a run that is still going keeps a second one out.
	other := sweeper(db, table, &now)
	_, err = db.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "SWEEPS"}, "sk": &types.AttributeValueMemberS{Value: "LOCK"},
			"run_id": &types.AttributeValueMemberS{Value: "01JZZZZZZZZZZZZZZZZZZZZZZZ"},
			"until":  &types.AttributeValueMemberS{Value: now.Add(5 * time.Minute).Format("2006-01-02T15:04:05.000Z")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Run(context.Background()); !errors.Is(err, retention.ErrBusy) {
		t.Fatalf("a second run at once: %v", err)
	}
}

// A run that outlives its lease and finds another run holding it stops and
// fails visibly: it is not a run that found itself busy and did nothing.
func TestSweepThatLosesItsLeaseFails(t *testing.T) {
	db, table := localtest.NewTable(t)
	seedExpiring(t, db, table, 60)
	var mu sync.Mutex
	now := t0.Add(72*time.Hour + time.Minute)
	sw := ddb.NewSweeper(ddb.Guard(db, fn("retention")), table)
	sw.Since, sw.Lease = t0.AddDate(0, 0, -1), time.Minute
	sw.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var once sync.Once
	sw.Progress = func(retention.Report) {
		once.Do(func() {
			// Two minutes pass (the lease lapses) and another run
			// takes it.
			mu.Lock()
			now = now.Add(2 * time.Minute)
			until := now.Add(time.Hour).Format("2006-01-02T15:04:05.000Z")
			mu.Unlock()
			_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{
				TableName: aws.String(table),
				Item: map[string]types.AttributeValue{
					"pk": &types.AttributeValueMemberS{Value: "SWEEPS"}, "sk": &types.AttributeValueMemberS{Value: "LOCK"},
					"run_id": &types.AttributeValueMemberS{Value: "01JZZZZZZZZZZZZZZZZZZZZZZZ"},
					"until":  &types.AttributeValueMemberS{Value: until},
				},
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	rep, err := sw.Run(context.Background())
	if err == nil || errors.Is(err, retention.ErrBusy) || rep.Status != retention.Failed || rep.Errors["lease_lost"] == 0 {
		t.Fatalf("a run that lost its lease: %+v, %v", rep, err)
	}
	if rep.Total() == 0 || rep.Total() == 120 {
		t.Fatalf("removed %d of 120 before losing the lease", rep.Total())
	}
}

// A record written with an expiry on a day the checkpoints have passed (a
// writer's clock behind the sweep's) is still found: the last checkpointed
// days are read again.
func TestSweepFindsARecordWrittenBehindTheCheckpoint(t *testing.T) {
	db, table := localtest.NewTable(t)
	now := t0.AddDate(0, 0, 10)
	sw := sweeper(db, table, &now)
	sweep(t, sw) // checkpoints: the day before now
	c := sampleCreation("LATE1")
	c.Request.ReceivedAt = now.AddDate(0, 0, -3).Add(time.Hour) // idempotency record due two days ago
	c.Event.At = c.Request.ReceivedAt                           // its period runs from the creation
	c.IdempotencyKeyHash, c.BodyHash, c.IdempotencyExpires = "idem-late", "b", c.Request.ReceivedAt.Add(24*time.Hour)
	c.TokenHash = ""
	if err := ddb.NewRequests(db, table).Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	now = now.Add(24 * time.Hour)
	if rep := sweep(t, sw); rep.Removed[retention.Idempotency] != 1 {
		t.Fatalf("a record due behind the checkpoint: %+v", rep.Removed)
	}
}
