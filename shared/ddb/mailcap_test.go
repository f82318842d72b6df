package ddb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
)

// getItem reads one item with a consistent read; nil when absent.
func getItem(t *testing.T, db *dynamodb.Client, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk},
	}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// The counter admits at most the cap's intents a day per recipient and
// bucket, the same intent again without counting it twice, and concurrent
// senders no more than the cap between them; it keeps only the key and the
// intent ids, and expires two days after its day began.
func TestMailCounterAdmitsUpToTheCap(t *testing.T) {
	db, table := localtest.NewTable(t)
	o := ddb.NewOutbox(db, table)
	ctx := context.Background()
	lim := mail.Limit{Bucket: mail.BucketRequests, PerDay: 3}
	day := time.Date(2026, 3, 2, 23, 59, 0, 0, time.UTC)

	var mu sync.Mutex
	admitted := 0
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := o.Admit(ctx, "key-a", lim, fmt.Sprintf("I%02d", i), day)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if admitted != 3 {
		t.Fatalf("%d of 10 concurrent intents admitted, want the cap, 3", admitted)
	}
	item := getItem(t, db, table, "MAILCAP#key-a#requests#2026-03-02", "MAILCAP")
	ids := item["intents"].(*types.AttributeValueMemberSS).Value
	if len(ids) != 3 || str(item, "retention") != "mail_counter" || str(item, "expires_at") != "2026-03-04T00:00:00.000Z" {
		t.Fatalf("counter %v", item)
	}
	// An intent admitted before is admitted again (a retried send).
	if ok, err := o.Admit(ctx, "key-a", lim, ids[0], day); err != nil || !ok {
		t.Errorf("re-admitting %s: %v, %v; want admitted", ids[0], ok, err)
	}
	for _, c := range []struct {
		key string
		lim mail.Limit
		at  time.Time
	}{
		{"key-b", lim, day}, // another recipient
		{"key-a", mail.Limit{Bucket: "optout", PerDay: 1}, day}, // another bucket
		{"key-a", lim, day.Add(time.Minute)},                    // the next day (UTC)
	} {
		if ok, err := o.Admit(ctx, c.key, c.lim, "J1", c.at); err != nil || !ok {
			t.Errorf("%s/%s at %s: %v, %v; want admitted", c.key, c.lim.Bucket, c.at, ok, err)
		}
	}
	if ok, _ := o.Admit(ctx, "key-a", lim, "I99", day); ok {
		t.Error("a fourth intent on the same day was admitted")
	}
}

// A held mail is final: its status and reason are stored, it leaves the
// outbox index, its single-use link is removed, it is kept as held mail, and
// a later claim finds nothing to send.
func TestOutboxHold(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	o := ddb.NewOutbox(db, table)
	ctx := context.Background()
	c := sampleCreation("H1")
	c.Mail.RecipientKey = "k-H1"
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	ref := "REQ#H1\x00MAIL#H1-m1"
	if err := o.Hold(ctx, ref, "over the cap", t0); err == nil {
		t.Fatal("an unclaimed intent was held")
	}
	if got, err := o.Claim(ctx, ref, t0); err != nil || got != mail.Claimed {
		t.Fatalf("Claim = %v, %v", got, err)
	}
	if err := o.Hold(ctx, ref, "over the cap", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	item := getItem(t, db, table, "REQ#H1", "MAIL#H1-m1")
	data := item["data"].(*types.AttributeValueMemberM).Value
	if str(item, "status") != "held" || str(item, "held_reason") != "over the cap" || str(item, "recipient_key") != "k-H1" ||
		str(item, "gsi2pk") != "" || str(item, "retention") != "held_mail" || str(item, "expires_at") != "2026-04-01T09:30:01.000Z" {
		t.Fatalf("held item %v", item)
	}
	if _, ok := data["verify_url"]; ok {
		t.Error("a held mail keeps its verification link")
	}
	if got, err := o.Claim(ctx, ref, t0.Add(time.Hour)); err != nil || got != mail.AlreadySent {
		t.Errorf("Claim of a held mail = %v, %v; want AlreadySent", got, err)
	}
	if n, err := o.RedriveStale(ctx, t0.Add(48*time.Hour), 10); err != nil || n != 0 {
		t.Errorf("RedriveStale re-drove %d (%v); a held mail is never re-driven", n, err)
	}
	recs, err := s.MailLog(ctx, "H1")
	if err != nil || len(recs) != 1 || recs[0].Status != mail.StatusHeld || recs[0].HeldReason != "over the cap" {
		t.Errorf("MailLog = %+v, %v; want the held mail with its reason", recs, err)
	}
}

// The duplicate guard: a second creation by the same key within the window
// writes nothing and names the first request; after the window it is a
// request of its own and takes the guard over.
func TestCreateDuplicateGuard(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	ctx := context.Background()
	at := func(id string, when time.Time) request.Creation {
		c := sampleCreation(id)
		// The window runs from when the submission was taken (the event),
		// which for a staff-entered request is later than its receipt.
		c.Request.ReceivedAt, c.Event.At, c.DuplicateKey = when, when, "subj#access,delete"
		return c
	}
	if err := s.Create(ctx, at("D1", t0)); err != nil {
		t.Fatal(err)
	}
	guard := getItem(t, db, table, "DEDUP#subj#access,delete", "DEDUP")
	if str(guard, "request_id") != "D1" || str(guard, "retention") != "duplicate_guard" || str(guard, "expires_at") != "2026-03-02T09:40:00.000Z" {
		t.Fatalf("guard %v", guard)
	}
	err := s.Create(ctx, at("D2", t0.Add(request.DuplicateWindow-time.Millisecond)))
	var dup *request.Duplicate
	if !errors.As(err, &dup) || dup.RequestID != "D1" {
		t.Fatalf("second Create = %v, want a Duplicate of D1", err)
	}
	if n := count(t, db, table, "REQ#D2"); n != 0 {
		t.Fatalf("a duplicate wrote %d items of its own", n)
	}
	if err := s.Create(ctx, at("D3", t0.Add(request.DuplicateWindow))); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if g := getItem(t, db, table, "DEDUP#subj#access,delete", "DEDUP"); str(g, "request_id") != "D3" {
		t.Errorf("guard after the window names %q, want D3", str(g, "request_id"))
	}
}

// Of concurrent creations under one duplicate key exactly one is stored;
// every other answers with it.
func TestCreateDuplicateGuardUnderConcurrency(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	ctx := context.Background()
	const n = 20
	results := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := sampleCreation(fmt.Sprintf("C%02d", i))
			c.DuplicateKey = "subj#know"
			err := s.Create(ctx, c)
			var dup *request.Duplicate
			switch {
			case err == nil:
				results[i] = "created " + c.Request.ID
			case errors.As(err, &dup):
				results[i] = dup.RequestID
			default:
				t.Errorf("creation %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	var winner string
	for _, r := range results {
		if id, ok := strings.CutPrefix(r, "created "); ok {
			if winner != "" {
				t.Fatalf("two creations stored: %s and %s", winner, id)
			}
			winner = id
		}
	}
	for i, r := range results {
		if r != winner && r != "created "+winner {
			t.Errorf("creation %d answered %q, want %s", i, r, winner)
		}
	}
	stored := 0
	for i := range n {
		stored += count(t, db, table, fmt.Sprintf("REQ#C%02d", i))
	}
	if winner == "" || stored != 3 {
		t.Errorf("winner %q, %d items in request partitions; want one request (request, event, mail)", winner, stored)
	}
}
