package ddb_test

import (
	"bytes"
	"context"
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
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/retention"
)

func cookieChoice(p consent.Purpose, granted *bool) consent.Input {
	return consent.Input{
		BrowserID:  "browser-retention-1",
		Choices:    []consent.Choice{{Purpose: p, Granted: granted}},
		Disclosure: &consent.Disclosure{ID: "cookie-banner", Version: "2026-11"},
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
		// The "request expired" mail goes out late, 30 days before the
		// request's 24 months end (1 April 2026 + 24 months - 30 days is
		// 2 March 2028), so the two fall due together on 1 April 2028.
		sent := expiredAt.AddDate(0, 24, -30)
		ref := "REQ#" + id + "\x00MAIL#" + id + "-m2"
		if _, err := outbox.Claim(ctx, ref, sent); err != nil {
			t.Fatal(err)
		}
		if err := outbox.MarkSent(ctx, ref, "msg", sent); err != nil {
			t.Fatal(err)
		}
	}
	// The receipts, never sent here, went after 30 days, the tokens after
	// 72 hours.
	now := t0.AddDate(0, 0, 30).Add(time.Hour)
	sw := sweeper(db, table, &now)
	sameCounts(t, "after 30 days", sweep(t, sw), map[retention.Kind]int{retention.UnsentMail: n, retention.VerificationToken: n})
	now = time.Date(2028, 4, 1, 10, 30, 0, 0, time.UTC)
	quietUntil(t, db, table, now.AddDate(0, 0, -2))
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
