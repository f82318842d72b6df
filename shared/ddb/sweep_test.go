package ddb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/subjectdata"
	"github.com/claritru/privacy/shared/topology"
)

// sweeper returns a sweeper on the table whose clock the test sets.
func sweeper(db *dynamodb.Client, table string, now *time.Time) *ddb.Sweeper {
	s := ddb.NewSweeper(ddb.Guard(db, fn("retention")), table)
	s.Now = func() time.Time { return *now }
	s.Since = t0.AddDate(0, 0, -1)
	return s
}

// fn is a function of the topology: tests of its store calls run with its
// table access (ddb.Guard), as it would in AWS.
func fn(name string) topology.Function {
	f, ok := topology.ClariTru.Function(name)
	if !ok {
		panic("no function " + name)
	}
	return f
}

// quietUntil stands for the daily runs between now and the day before
// until that found nothing: it moves every shard's checkpoint there, as
// they would have, so a test can jump years without reading each day.
func quietUntil(t *testing.T, db *dynamodb.Client, table string, until time.Time) {
	t.Helper()
	through := until.UTC().AddDate(0, 0, -1).Format("2006-01-02")
	for shard := range topology.ExpiryShards {
		_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{
			TableName: aws.String(table),
			Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "SWEEPS"}, "sk": &types.AttributeValueMemberS{Value: fmt.Sprintf("SHARD#%d", shard)},
				"through": &types.AttributeValueMemberS{Value: through},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func exists(t *testing.T, db *dynamodb.Client, table, pk, sk string) bool {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item != nil
}

func sweep(t *testing.T, s *ddb.Sweeper) retention.Report {
	t.Helper()
	rep, err := s.Run(context.Background())
	if err != nil {
		t.Fatalf("sweep: %v (report %+v)", err, rep)
	}
	if rep.Status != retention.Finished {
		t.Fatalf("sweep status %s", rep.Status)
	}
	return rep
}

// removed is the report's counts without the zero ones and without the
// sweep's own reports (each run writes one; they go after 24 months).
func removed(rep retention.Report) map[retention.Kind]int {
	out := map[retention.Kind]int{}
	for k, n := range rep.Removed {
		if n > 0 && k != retention.SweepReport {
			out[k] = n
		}
	}
	return out
}

func sameCounts(t *testing.T, when string, got retention.Report, want map[retention.Kind]int) {
	t.Helper()
	g := removed(got)
	if len(g) != len(want) {
		t.Errorf("%s: removed %v, want %v", when, g, want)
		return
	}
	for k, n := range want {
		if g[k] != n {
			t.Errorf("%s: removed %v, want %v", when, g, want)
			return
		}
	}
}

// The request records through their lives, with the clock moved past each
// retention period in turn (periods from shared/retention, dates worked
// out here): each sweep removes what has just expired and nothing else.
func TestSweepRemovesEachRecordWhenItsPeriodEnds(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	s := ddb.NewRequests(db, table)
	outbox := ddb.NewOutbox(db, table)

	// R1: received t0 with an Idempotency-Key, verified never, closed
	// (cancelled by staff) a day later. R2: received t0, still open.
	c1 := sampleCreation("R1")
	c1.IdempotencyKeyHash, c1.BodyHash, c1.IdempotencyExpires = "idem-R1", "body", t0.Add(24*time.Hour)
	for _, c := range []request.Creation{c1, sampleCreation("R2")} {
		if err := s.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// R1's receipt mail is sent at t0+1m.
	ref := "REQ#R1\x00MAIL#R1-m1"
	if _, err := outbox.Claim(ctx, ref, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := outbox.MarkSent(ctx, ref, "msg-1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	closedAt := t0.Add(24 * time.Hour)
	r1 := c1.Request
	r1.Status, r1.ClosedAt, r1.Version = request.Cancelled, closedAt, 2
	if err := s.Update(ctx, request.Change{Request: r1, FromVersion: 1, Event: request.Event{
		ID: "R1-e2", At: closedAt, Action: "cancel", From: request.PendingVerification, To: request.Cancelled, Actor: "staff",
	}}); err != nil {
		t.Fatal(err)
	}

	now := t0.Add(23 * time.Hour)
	sw := sweeper(db, table, &now)
	rep := sweep(t, sw)
	sameCounts(t, "before any period ends", rep, map[retention.Kind]int{})

	now = t0.Add(24*time.Hour + time.Second) // idempotency: 24 hours
	sameCounts(t, "after 24 hours", sweep(t, sw), map[retention.Kind]int{retention.Idempotency: 1})
	if exists(t, db, table, "IDEM#idem-R1", "IDEM") || !exists(t, db, table, "TOKEN#hash-R1", "TOKEN") {
		t.Fatal("24 hours: the idempotency record must go and the token stay")
	}

	now = t0.Add(72*time.Hour + time.Second) // tokens: 72 hours
	sameCounts(t, "after 72 hours", sweep(t, sw), map[retention.Kind]int{retention.VerificationToken: 2})

	now = t0.AddDate(0, 0, 30).Add(-time.Second) // unsent mail: 30 days from queueing
	sameCounts(t, "a second before 30 days", sweep(t, sw), map[retention.Kind]int{})
	now = t0.Add(time.Minute).AddDate(0, 0, 30).Add(time.Second) // sent mail: 30 days from sending
	sameCounts(t, "30 days after sending", sweep(t, sw), map[retention.Kind]int{retention.SentMail: 1, retention.UnsentMail: 1})
	if exists(t, db, table, "REQ#R1", "MAIL#R1-m1") || exists(t, db, table, "REQ#R2", "MAIL#R2-m1") || !exists(t, db, table, "REQ#R2", "REQ") {
		t.Fatal("R1's sent mail and R2's mail never sent in 30 days must go, R2 stay")
	}

	// Closed 3 Mar 2026 09:30: the request log is kept to 3 Mar 2028.
	now = time.Date(2028, 3, 3, 9, 29, 0, 0, time.UTC)
	quietUntil(t, db, table, now.AddDate(0, 0, -2))
	sameCounts(t, "a minute before 24 months", sweep(t, sw), map[retention.Kind]int{})
	now = time.Date(2028, 3, 3, 9, 31, 0, 0, time.UTC)
	rep = sweep(t, sw)
	sameCounts(t, "24 months after closing", rep, map[retention.Kind]int{retention.ClosedRequest: 1})
	if rep.Dependents != 2 { // the two audit events; the mail went before
		t.Errorf("dependents %d, want 2", rep.Dependents)
	}
	if n := count(t, db, table, "REQ#R1"); n != 0 {
		t.Errorf("R1's partition keeps %d items", n)
	}
	if n := count(t, db, table, "REQ#R2"); n != 2 { // request, event
		t.Errorf("R2's partition has %d items, want 2", n)
	}
	// A later sweep finds nothing more, but the first runs' reports,
	// now 24 months old.
	now = now.Add(48 * time.Hour)
	rep = sweep(t, sw)
	sameCounts(t, "again", rep, map[retention.Kind]int{})
	if rep.Removed[retention.SweepReport] == 0 {
		t.Error("sweep reports older than 24 months stay")
	}
}

// A request left unverified is closed by the watch, and kept 24 months like
// every request (11 CCR §7101(a)): 1 April 2026 + 24 months is 1 April 2028.
func TestSweepRemovesUnverifiedRequests24MonthsAfterTheyExpire(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	s := ddb.NewRequests(db, table)
	c := sampleCreation("U1")
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	expiredAt := t0.AddDate(0, 0, 30) // 1 April 2026 09:30 UTC
	r := c.Request.Minimised()
	r.Status, r.ClosedAt, r.Version = request.ExpiredUnverified, expiredAt, 2
	if err := s.Update(ctx, request.Change{Request: r, FromVersion: 1, Event: request.Event{
		ID: "U1-e2", At: expiredAt, Action: "expire", From: request.PendingVerification, To: request.ExpiredUnverified, Actor: "system",
	}}); err != nil {
		t.Fatal(err)
	}
	// Still there 30 days on, the old period.
	now := expiredAt.AddDate(0, 0, 30).Add(time.Minute)
	sw := sweeper(db, table, &now)
	if rep := sweep(t, sw); rep.Removed[retention.UnverifiedRequest] != 0 || !exists(t, db, table, "REQ#U1", "REQ") {
		t.Fatalf("removed 30 days after expiry: %v", rep.Removed)
	}
	stored, err := s.Get(ctx, "U1")
	if err != nil || stored.Email != "" || stored.FirstName != "" || stored.Status != request.ExpiredUnverified || len(stored.Types) == 0 {
		t.Fatalf("kept %+v (%v), want the minimised log entry", stored, err)
	}
	now = time.Date(2028, 4, 1, 9, 29, 0, 0, time.UTC)
	quietUntil(t, db, table, now.AddDate(0, 0, -2))
	if rep := sweep(t, sw); rep.Removed[retention.UnverifiedRequest] != 0 || !exists(t, db, table, "REQ#U1", "REQ") {
		t.Fatalf("removed a minute before 24 months: %v", rep.Removed)
	}
	now = time.Date(2028, 4, 1, 9, 31, 0, 0, time.UTC)
	rep := sweep(t, sw)
	if rep.Removed[retention.UnverifiedRequest] != 1 || count(t, db, table, "REQ#U1") != 0 {
		t.Fatalf("24 months after expiry: removed %v, %d items left", rep.Removed, count(t, db, table, "REQ#U1"))
	}
}

// keys lists every record of the table but the sweep's own.
func keys(t *testing.T, db *dynamodb.Client, table string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			pk := it["pk"].(*types.AttributeValueMemberS).Value
			if pk != "SWEEPS" {
				out[pk+" "+it["sk"].(*types.AttributeValueMemberS).Value] = true
			}
		}
	}
	return out
}

// What is kept while in effect stays, however late the sweep: an opt-out
// (its entries, ledger events, links), a grant and its disclosure text, an
// open request with its unsent mail. An erasure record goes after 24 months.
func TestSweepKeepsWhatIsInEffect(t *testing.T) {
	svc, _, keyer, db, table := optOutService(t)
	ctx := context.Background()
	if _, err := svc.OptOut(ctx, optout.Input{Email: "keep@example.com", Phone: "+1 415 555 0100", BrowserID: "browser-keep", Source: optout.Form}); err != nil {
		t.Fatal(err)
	}
	consents := ddb.NewConsents(db, table)
	cs := consent.NewService(consents, consent.Config{Keyer: keyer, PublicBaseURL: "https://api.example", Now: func() time.Time { return t0 }})
	if _, err := cs.Give(ctx, consent.Input{
		BrowserID: "browser-keep", Choices: []consent.Choice{{Purpose: consent.CookiesAnalytics, Granted: yes}},
		Disclosure: &consent.Disclosure{ID: "cookie-banner", Version: "2026-11"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := ddb.NewRequests(db, table).Create(ctx, sampleCreation("OPEN1")); err != nil {
		t.Fatal(err)
	}
	// Somebody else's records, erased at t0: the erasure record is kept 24
	// months.
	other := keyer.Email("gone@example.com")
	if _, err := ddb.NewSubjects(db, table).Erase(ctx, []string{other}, subjectdata.Erasure{At: t0, Reason: "verified deletion request", Actor: "local-staff"}); err != nil {
		t.Fatal(err)
	}
	// The opt-out's confirmation and the request's receipt were never sent
	// (no notifier here): they go after 30 days, the request's
	// verification token after 72 hours.
	now := t0.AddDate(0, 0, 31)
	sw := sweeper(db, table, &now)
	sameCounts(t, "after 30 days", sweep(t, sw), map[retention.Kind]int{retention.UnsentMail: 2, retention.VerificationToken: 1})
	before := keys(t, db, table)

	now = t0.AddDate(2, 0, 0).Add(-time.Hour)
	quietUntil(t, db, table, now.AddDate(0, 0, -2))
	sameCounts(t, "before 24 months", sweep(t, sw), map[retention.Kind]int{})

	now = t0.AddDate(2, 0, 0).Add(time.Hour)
	sameCounts(t, "after 24 months", sweep(t, sw), map[retention.Kind]int{retention.ErasureRecord: 1})
	now = t0.AddDate(10, 0, 0)
	quietUntil(t, db, table, now.AddDate(0, 0, -2))
	sameCounts(t, "ten years on", sweep(t, sw), map[retention.Kind]int{})
	after := keys(t, db, table)
	for k := range before {
		if !after[k] && !strings.HasPrefix(k, "SUBJ#"+other+" ERASURE#") {
			t.Errorf("%s was removed", k)
		}
	}
	if len(after) != len(before)-1 {
		t.Errorf("%d records before, %d after; only the erasure record should go", len(before), len(after))
	}
}

// A request that only opts out is completed at once: it is kept 24 months
// from then like any closed request, while the opt-out it made stays.
func TestSweepRemovesAnOptOutOnlyRequest24MonthsOnAndKeepsTheOptOut(t *testing.T) {
	svc, _, keyer, db, table := optOutService(t)
	ctx := context.Background()
	clock := t0
	requests := request.NewService(ddb.NewRequests(db, table), request.Config{
		OptOuts: svc, Keyer: keyer, PublicBaseURL: "https://api.example", Now: func() time.Time { return clock },
	})
	rec, err := requests.Submit(ctx, request.Submission{Input: request.Input{
		Types: []string{"opt_out"}, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		Country: "US", State: "CA", Declaration: true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := ddb.NewRequests(db, table).Get(ctx, rec.ID)
	if err != nil || stored.Status != request.Completed || !stored.ClosedAt.Equal(t0) {
		t.Fatalf("an opt-out-only request: %+v, %v", stored, err)
	}
	// Its receipt, never sent here (no notifier), goes after 30 days; its
	// duplicate guard went ten minutes after the submission.
	now := t0.AddDate(0, 0, 31)
	sw := sweeper(db, table, &now)
	sameCounts(t, "after 30 days", sweep(t, sw), map[retention.Kind]int{retention.UnsentMail: 1, retention.DuplicateGuard: 1})
	before := keys(t, db, table)

	now = t0.AddDate(2, 0, 0).Add(-time.Minute)
	quietUntil(t, db, table, now.AddDate(0, 0, -2))
	sameCounts(t, "before 24 months", sweep(t, sw), map[retention.Kind]int{})
	now = t0.AddDate(2, 0, 0).Add(time.Minute)
	rep := sweep(t, sw)
	sameCounts(t, "24 months on", rep, map[retention.Kind]int{retention.ClosedRequest: 1})
	after := keys(t, db, table)
	for k := range before {
		if strings.HasPrefix(k, "REQ#"+rec.ID+" ") {
			if after[k] {
				t.Errorf("%s stays", k)
			}
		} else if !after[k] {
			t.Errorf("%s was removed with the request", k)
		}
	}
	if n := count(t, db, table, "REQ#"+rec.ID); n != 0 {
		t.Errorf("%d items of the request stay", n)
	}
}
