package ddb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/ledger"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// sweeper returns a sweeper on the table whose clock the test sets.
func sweeper(db *dynamodb.Client, table string, now *time.Time) *ddb.Sweeper {
	s := ddb.NewSweeper(db, table)
	s.Now = func() time.Time { return *now }
	s.Since = t0.AddDate(0, 0, -1)
	return s
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

// A request left unverified is closed by the watch; 30 days later it goes.
func TestSweepRemovesUnverifiedRequests30DaysAfterTheyExpire(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	s := ddb.NewRequests(db, table)
	c := sampleCreation("U1")
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	expiredAt := t0.AddDate(0, 0, 30)
	r := c.Request
	r.Status, r.ClosedAt, r.Version = request.ExpiredUnverified, expiredAt, 2
	if err := s.Update(ctx, request.Change{Request: r, FromVersion: 1, Event: request.Event{
		ID: "U1-e2", At: expiredAt, Action: "expire", From: request.PendingVerification, To: request.ExpiredUnverified, Actor: "system",
	}}); err != nil {
		t.Fatal(err)
	}
	now := expiredAt.AddDate(0, 0, 30).Add(-time.Minute)
	sw := sweeper(db, table, &now)
	rep := sweep(t, sw)
	if rep.Removed[retention.UnverifiedRequest] != 0 || !exists(t, db, table, "REQ#U1", "REQ") {
		t.Fatalf("removed before its time: %v", rep.Removed)
	}
	now = expiredAt.AddDate(0, 0, 30).Add(time.Minute)
	rep = sweep(t, sw)
	if rep.Removed[retention.UnverifiedRequest] != 1 || count(t, db, table, "REQ#U1") != 0 {
		t.Fatalf("30 days after expiry: removed %v, %d items left", rep.Removed, count(t, db, table, "REQ#U1"))
	}
}

func cookieChoice(p consent.Purpose, granted *bool) consent.Input {
	return consent.Input{
		BrowserID:  "browser-retention-1",
		Choices:    []consent.Choice{{Purpose: p, Granted: granted}},
		Disclosure: &consent.Disclosure{ID: "cookie-banner", Version: "2026-11", Text: "We use cookies."},
	}
}

// Consent evidence is kept four years after it is superseded or withdrawn;
// a withdrawal superseded by a new grant is kept four years from the grant;
// a pruned event leaves a stub and the chain still verifies.
func TestSweepPrunesSupersededConsentEvidence(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	key := f.keyer.Browser("browser-retention-1")
	give := func(in consent.Input) {
		t.Helper()
		if _, err := f.svc.Give(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	give(cookieChoice(consent.CookiesAnalytics, yes))  // seq 1, t0
	give(cookieChoice(consent.CookiesFunctional, yes)) // seq 2: never superseded
	f.advance(24 * time.Hour)                          // t0 + 1 day
	give(cookieChoice(consent.CookiesAnalytics, no))   // seq 3 withdraws: seq 1 and 3 from now
	withdrawnAt := f.now
	f.advance(365 * 24 * time.Hour)                   // a year later
	give(cookieChoice(consent.CookiesAnalytics, yes)) // seq 4 supersedes the withdrawal
	regrantedAt := f.now
	// Ledger events carry no TTL: TTL would delete one outright, a gap in
	// the chain, where the sweep leaves a stub.
	items, err := f.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(f.table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :l)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "SUBJ#" + key}, ":l": &types.AttributeValueMemberS{Value: "LEDGER#"},
		},
	})
	if err != nil || len(items.Items) != 4 {
		t.Fatalf("ledger events: %v, %v", items, err)
	}
	for _, it := range items.Items {
		if _, ok := it["ttl"]; ok {
			t.Errorf("ledger event %v carries a TTL", it["sk"])
		}
	}

	now := withdrawnAt.AddDate(4, 0, 0).Add(-time.Minute)
	quietUntil(t, f.db, f.table, now.AddDate(0, 0, -1))
	sw := sweeper(f.db, f.table, &now)
	sameCounts(t, "a minute before four years", sweep(t, sw), map[retention.Kind]int{})

	now = withdrawnAt.AddDate(4, 0, 0).Add(time.Minute)
	sameCounts(t, "four years after the withdrawal", sweep(t, sw), map[retention.Kind]int{retention.ConsentEvidence: 1})
	evs, head, err := f.l.Chain(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	pruned := map[int64]bool{}
	for _, e := range evs {
		pruned[e.Seq] = e.Pruned
		if e.Pruned && (len(e.Fields) != 0 || e.ID != "" || e.Kind != "consent" || !e.At.Equal(t0.Add(time.Millisecond))) {
			t.Errorf("stub %d keeps content, or not its kind and time: %+v", e.Seq, e)
		}
	}
	if len(evs) != 4 || !pruned[1] || pruned[2] || pruned[3] || pruned[4] {
		t.Fatalf("after four years: pruned %v of %d events; want only the first grant", pruned, len(evs))
	}
	if c := ledger.VerifyHead(evs, head); !c.Valid {
		t.Fatalf("chain with a stub: %+v", c)
	}
	if st := f.state(t, key, consent.CookiesAnalytics); st.Status != consent.Granted {
		t.Fatalf("the current grant went: %+v", st)
	}

	now = regrantedAt.AddDate(4, 0, 0).Add(time.Minute)
	quietUntil(t, f.db, f.table, now.AddDate(0, 0, -1))
	sameCounts(t, "four years after the new grant", sweep(t, sw), map[retention.Kind]int{retention.ConsentEvidence: 1})
	evs, head, err = f.l.Chain(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 || !evs[2].Pruned || evs[1].Pruned || evs[3].Pruned {
		t.Fatalf("the withdrawal should be pruned now, and only it besides the first: %+v", evs)
	}
	if c := ledger.VerifyHead(evs, head); !c.Valid {
		t.Fatalf("chain with two stubs: %+v", c)
	}
	// A stub cannot hide an edit of the events around it.
	_, err = f.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(f.table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "SUBJ#" + key}, "sk": &types.AttributeValueMemberS{Value: "LEDGER#000000000004"},
		},
		UpdateExpression:          aws.String("SET #f.granted = :f"),
		ExpressionAttributeNames:  map[string]string{"#f": "fields"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":f": &types.AttributeValueMemberS{Value: "false"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	evs, head, _ = f.l.Chain(ctx, key)
	if c := ledger.VerifyHead(evs, head); c.Valid || c.BrokenAt != 4 {
		t.Fatalf("an edit after stubs: %+v", c)
	}
}

// A withdrawn state is removed four years on; if a new event replaces it in
// between the sweep's read and its removal, the new state stays.
func TestSweepKeepsARecordSupersededAfterItWasRead(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	key := f.keyer.Browser("browser-retention-1")
	if _, err := f.svc.Give(ctx, cookieChoice(consent.CookiesAdvertising, no)); err != nil {
		t.Fatal(err)
	}
	now := t0.AddDate(4, 0, 1)
	quietUntil(t, f.db, f.table, now.AddDate(0, 0, -2))
	// The new choice is made at the moment the sweep has read the due
	// records and is about to remove the first one that can move; every
	// removal waits for it.
	var raced atomic.Bool
	var once sync.Once
	hooked := dynamodb.New(f.db.Options(), func(o *dynamodb.Options) {
		o.HTTPClient = &http.Client{Transport: roundTrip(func(req *http.Request) (*http.Response, error) {
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return nil, err
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			// The conditional removal of a record whose expiry can move.
			if bytes.Contains(body, []byte("expires_at = :seen")) {
				once.Do(func() {
					raced.Store(true)
					// A minute before the withdrawal's four years end.
					f.advance(t0.AddDate(4, 0, 0).Add(-time.Minute).Sub(f.now))
					if _, err := f.svc.Give(ctx, cookieChoice(consent.CookiesAdvertising, yes)); err != nil {
						t.Errorf("the new choice: %v", err)
					}
				})
			}
			return http.DefaultTransport.RoundTrip(req)
		})}
	})
	rep := sweep(t, sweeper(hooked, f.table, &now))
	if !raced.Load() {
		t.Fatal("the sweep removed nothing that can move")
	}
	if st := f.state(t, key, consent.CookiesAdvertising); st.Status != consent.Granted {
		t.Fatalf("the new grant was removed: %+v (report %+v)", st, rep)
	}
	if rep.Kept != 2 || rep.Removed[retention.ConsentEvidence] != 0 {
		t.Fatalf("report %+v: the state and the withdrawal moved and must be kept", rep)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

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

// A sweep killed halfway (its process gone between two deletes) and run
// again finishes the job, and the reports together count every record once.
func TestSweepKilledHalfwayFinishesOnTheNextRunWithoutDoubleCounting(t *testing.T) {
	db, table := localtest.NewTable(t)
	const n = 100
	seedExpiring(t, db, table, n)

	var writes atomic.Int32
	var dead atomic.Bool
	dying := dynamodb.New(db.Options(), func(o *dynamodb.Options) {
		o.RetryMaxAttempts = 1
		o.HTTPClient = &http.Client{Transport: roundTrip(func(req *http.Request) (*http.Response, error) {
			if strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".BatchWriteItem") && writes.Add(1) > 3 {
				dead.Store(true)
			}
			if dead.Load() {
				return nil, errors.New("process killed")
			}
			return http.DefaultTransport.RoundTrip(req)
		})}
	})
	now := t0.Add(72*time.Hour + time.Minute)
	first, err := sweeper(dying, table, &now).Run(context.Background())
	if err == nil || !dead.Load() {
		t.Fatalf("the first run was not cut short: %+v", first)
	}
	if first.Total() == 0 || first.Total() >= 2*n {
		t.Fatalf("the first run removed %d of %d", first.Total(), 2*n)
	}

	// The next run, after the dead run's lease has lapsed.
	now = now.Add(15 * time.Minute)
	sw := sweeper(db, table, &now)
	second := sweep(t, sw)
	if first.Total()+second.Total() != 2*n {
		t.Fatalf("removed %d + %d, want %d in all", first.Total(), second.Total(), 2*n)
	}
	reps, _, err := sw.Reports(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 2 || reps[0].RunID != second.RunID || reps[1].Status != retention.Interrupted {
		t.Fatalf("reports %+v", reps)
	}
	stored := reps[0].Total() + reps[1].Total()
	if stored != 2*n {
		t.Fatalf("stored reports count %d + %d, want %d", reps[1].Total(), reps[0].Total(), 2*n)
	}
	for i := range n {
		if exists(t, db, table, fmt.Sprintf("TOKEN#tok-%03d", i), "TOKEN") || exists(t, db, table, fmt.Sprintf("IDEM#idem-%03d", i), "IDEM") {
			t.Fatalf("record %d survived", i)
		}
		if !exists(t, db, table, fmt.Sprintf("REQ#K%03d", i), "REQ") {
			t.Fatalf("open request %d was removed", i)
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
		Disclosure: &consent.Disclosure{ID: "cookie-banner", Version: "2026-11", Text: "We use cookies."},
	}); err != nil {
		t.Fatal(err)
	}
	if err := ddb.NewRequests(db, table).Create(ctx, sampleCreation("OPEN1")); err != nil {
		t.Fatal(err)
	}
	// Somebody else's records, erased at t0: the erasure record is kept 24
	// months.
	other := keyer.Email("gone@example.com")
	if _, err := ddb.NewSubjects(db, table).Erase(ctx, []string{other}, t0, "verified deletion request"); err != nil {
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
	// Its receipt, never sent here (no notifier), goes after 30 days.
	now := t0.AddDate(0, 0, 31)
	sw := sweeper(db, table, &now)
	sameCounts(t, "after 30 days", sweep(t, sw), map[retention.Kind]int{retention.UnsentMail: 1})
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

// A request and its sent mail due the same day: the mail is counted once,
// under its own kind, whichever shard reaches it first.
func TestSweepCountsARequestsDueMailOnce(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	s := ddb.NewRequests(db, table)
	outbox := ddb.NewOutbox(db, table)
	const n = 16 // requests, spread over the shards
	for i := range n {
		id := fmt.Sprintf("M%02d", i)
		c := sampleCreation(id)
		if err := s.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		expiredAt := t0.AddDate(0, 0, 30)
		r := c.Request
		r.Status, r.ClosedAt, r.Version = request.ExpiredUnverified, expiredAt, 2
		m := &mail.Intent{ID: id + "-m2", Template: mail.RequestExpired, To: r.Email, Data: map[string]string{"first_name": "Ada"}}
		if err := s.Update(ctx, request.Change{Request: r, FromVersion: 1, Mail: m, Event: request.Event{
			ID: id + "-e2", At: expiredAt, Action: "expire", From: request.PendingVerification, To: request.ExpiredUnverified, Actor: "system",
		}}); err != nil {
			t.Fatal(err)
		}
		// The "request expired" mail goes out a second later.
		ref := "REQ#" + id + "\x00MAIL#" + id + "-m2"
		if _, err := outbox.Claim(ctx, ref, expiredAt.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := outbox.MarkSent(ctx, ref, "msg", expiredAt.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	// The receipts, never sent here, went after 30 days, the tokens after
	// 72 hours.
	now := t0.AddDate(0, 0, 30).Add(time.Hour)
	sw := sweeper(db, table, &now)
	sameCounts(t, "after 30 days", sweep(t, sw), map[retention.Kind]int{retention.UnsentMail: n, retention.VerificationToken: n})
	now = t0.AddDate(0, 0, 60).Add(time.Hour)
	rep := sweep(t, sw)
	// Each partition: the request, two audit events (dependents) and the
	// sent expiry mail (its own kind).
	sameCounts(t, "both due", rep, map[retention.Kind]int{retention.UnverifiedRequest: n, retention.SentMail: n})
	if rep.Dependents != 2*n {
		t.Errorf("dependents %d, want %d", rep.Dependents, 2*n)
	}
	for i := range n {
		if c := count(t, db, table, fmt.Sprintf("REQ#M%02d", i)); c != 0 {
			t.Errorf("request %d keeps %d items", i, c)
		}
	}
}

// An email opt-in never confirmed starts its four years when the link
// lapses; a confirmed one is kept while in effect.
func TestSweepRemovesAnUnconfirmedOptInAndKeepsAConfirmedOne(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	key := f.keyer.Email("sub@example.com")
	if _, err := f.svc.Give(ctx, emailOptIn(yes)); err != nil { // pending, never confirmed
		t.Fatal(err)
	}
	lapse := t0.Add(consent.ConfirmLifetime)
	other := emailOptIn(yes)
	other.Email = "confirms@example.com"
	res2, err := f.svc.Give(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	link, err := url.Parse(res2.Recording.Mail.Data["confirm_url"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Confirm(ctx, link.Query().Get("token")); err != nil {
		t.Fatal(err)
	}

	now := lapse.AddDate(4, 0, 0).Add(-time.Hour)
	quietUntil(t, f.db, f.table, now.AddDate(0, 0, -2))
	sw := sweeper(f.db, f.table, &now)
	sameCounts(t, "before four years from the lapse", sweep(t, sw), map[retention.Kind]int{})
	now = lapse.AddDate(4, 0, 0).Add(time.Hour)
	// The unconfirmed opt-in's state and its event (its mails, never sent
	// here, went 30 days after queueing, in buckets skipped above).
	sameCounts(t, "four years from the lapse", sweep(t, sw), map[retention.Kind]int{retention.ConsentEvidence: 2})
	if st := f.state(t, key, consent.EmailMarketing); st.Status != consent.None {
		t.Errorf("the unconfirmed opt-in's state stays: %+v", st)
	}
	evs, head, err := f.l.Chain(ctx, key)
	if err != nil || len(evs) != 1 || !evs[0].Pruned || !ledger.VerifyHead(evs, head).Valid {
		t.Fatalf("the unconfirmed opt-in's chain: %+v %v", evs, err)
	}

	now = t0.AddDate(10, 0, 0)
	quietUntil(t, f.db, f.table, now.AddDate(0, 0, -2))
	sameCounts(t, "ten years on", sweep(t, sw), map[retention.Kind]int{})
	confirmed := f.keyer.Email("confirms@example.com")
	if st := f.state(t, confirmed, consent.EmailMarketing); st.Status != consent.Granted {
		t.Fatalf("the confirmed opt-in went: %+v", st)
	}
	evs, _, _ = f.l.Chain(ctx, confirmed)
	if len(evs) != 2 || evs[0].Pruned || evs[1].Pruned {
		t.Fatalf("the confirmed opt-in's evidence: %+v", evs)
	}
}

// A run that outlives its lease and finds another run holding it stops and
// fails visibly: it is not a run that found itself busy and did nothing.
func TestSweepThatLosesItsLeaseFails(t *testing.T) {
	db, table := localtest.NewTable(t)
	seedExpiring(t, db, table, 60)
	var mu sync.Mutex
	now := t0.Add(72*time.Hour + time.Minute)
	sw := ddb.NewSweeper(db, table)
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

// A mail a sender is sending when its 30 days end is not removed under it.
func TestSweepLeavesAMailBeingSent(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	if err := ddb.NewRequests(db, table).Create(ctx, sampleCreation("S1")); err != nil {
		t.Fatal(err)
	}
	outbox := ddb.NewOutbox(db, table)
	ref := "REQ#S1\x00MAIL#S1-m1"
	due := t0.AddDate(0, 0, 30)
	if _, err := outbox.Claim(ctx, ref, due.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	now := due.Add(time.Second)
	rep := sweep(t, sweeper(db, table, &now))
	if rep.Removed[retention.UnsentMail] != 0 || rep.Kept != 1 {
		t.Fatalf("a mail being sent: %+v", rep)
	}
	if err := outbox.MarkSent(ctx, ref, "msg-1", now); err != nil {
		t.Fatalf("the send could not be recorded: %v", err)
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

// The sweep prunes superseded evidence between a recording's read of the
// states and its write: the recording still goes through.
func TestConsentRecordedWhileItsEvidenceIsPruned(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	key := f.keyer.Browser("browser-retention-1")
	if _, err := f.svc.Give(ctx, cookieChoice(consent.CookiesAnalytics, no)); err != nil { // seq 1
		t.Fatal(err)
	}
	var once sync.Once
	hooked := dynamodb.New(f.db.Options(), func(o *dynamodb.Options) {
		o.HTTPClient = &http.Client{Transport: roundTrip(func(req *http.Request) (*http.Response, error) {
			if strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".TransactWriteItems") {
				once.Do(func() {
					// What the sweep leaves of seq 1.
					_, err := f.db.PutItem(ctx, &dynamodb.PutItemInput{
						TableName: aws.String(f.table),
						Item: map[string]types.AttributeValue{
							"pk": &types.AttributeValueMemberS{Value: "SUBJ#" + key}, "sk": &types.AttributeValueMemberS{Value: "LEDGER#000000000001"},
							"event": &types.AttributeValueMemberS{Value: "pruned"},
						},
					})
					if err != nil {
						t.Error(err)
					}
				})
			}
			return http.DefaultTransport.RoundTrip(req)
		})}
	})
	svc := consent.NewService(ddb.NewConsents(hooked, f.table), consent.Config{Keyer: f.keyer, PublicBaseURL: "https://api.example", Now: f.clock})
	if _, err := svc.Give(ctx, cookieChoice(consent.CookiesAnalytics, yes)); err != nil {
		t.Fatalf("a grant while its superseded evidence is pruned: %v", err)
	}
	if st := f.state(t, key, consent.CookiesAnalytics); st.Status != consent.Granted {
		t.Fatalf("state %+v", st)
	}
}
