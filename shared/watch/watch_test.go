package watch_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/feed"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/topology"
	"github.com/claritru/privacy/shared/watch"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m, false)) }

const team = "privacy-team@example.org"

// now is the watch's clock in these tests: a Monday morning, 07:00 in Los
// Angeles.
var now = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// fixture is a table with the watch's handler on it.
type fixture struct {
	db    *dynamodb.Client
	table string
	store *ddb.Requests
	h     *watch.Handler
	logs  *bytes.Buffer
	mu    sync.Mutex
	clock time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, table := localtest.NewTable(t)
	f := &fixture{db: db, table: table, store: ddb.NewRequests(db, table), logs: &bytes.Buffer{}, clock: now}
	clock := func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.clock }
	// The handler's calls run with the watch function's table access, as
	// in AWS; the fixture's own setup does not.
	def, _ := topology.ClariTru.Function("watch")
	guarded := ddb.Guard(db, def)
	f.h = &watch.Handler{
		Requests:  request.NewService(ddb.NewRequests(guarded, table), request.Config{Now: clock}),
		Outbox:    ddb.NewOutbox(guarded, table).Enqueue,
		Platforms: feed.NewService(ddb.NewFeed(guarded, table), reach.Systems(), clock),
		TeamEmail: team,
		Log:       slog.New(slog.NewJSONHandler(f.logs, nil)),
		Now:       clock,
	}
	return f
}

// seed stores a request as intake would have: received at a time, due
// 45 days later unless due is given, in a status.
func (f *fixture) seed(t *testing.T, id string, status request.Status, received, due time.Time) request.Request {
	t.Helper()
	if due.IsZero() {
		due = deadline.Due(deadline.CCPA, received)
	}
	r := request.Request{
		ID: id, Types: []request.Type{request.Access, request.Delete}, Status: status, Channel: request.Web,
		FirstName: "Grace", LastName: "Hopper-" + id, Email: strings.ToLower(id) + "@example.com",
		Country: "US", State: "CA", Regime: deadline.CCPA,
		ReceivedAt: received.Truncate(time.Millisecond), DueAt: due.Truncate(time.Millisecond),
		SubjectKey: "k-" + id, Version: 1,
	}
	err := f.store.Create(context.Background(), request.Creation{
		Request: r,
		Event:   request.Event{ID: id + "-e1", At: received, Action: "received", To: status, Actor: "requester"},
		Mail:    mail.Intent{ID: id + "-m1", Template: mail.RequestReceived, To: r.Email, Data: map[string]string{"request_id": id}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mailItem is what the tests read of a stored mail item.
type mailItem struct {
	PK       string            `dynamodbav:"pk"`
	SK       string            `dynamodbav:"sk"`
	Kind     string            `dynamodbav:"kind"`
	ID       string            `dynamodbav:"id"`
	Template string            `dynamodbav:"template"`
	To       string            `dynamodbav:"to"`
	Data     map[string]string `dynamodbav:"data"`
	Status   string            `dynamodbav:"status"`
	TTL      int64             `dynamodbav:"ttl"`
}

// mails reads the mail items of one partition.
func (f *fixture) mails(t *testing.T, pk string) []mailItem {
	t.Helper()
	out, err := f.db.Query(context.Background(), &dynamodb.QueryInput{
		TableName:              aws.String(f.table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :mail)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   &types.AttributeValueMemberS{Value: pk},
			":mail": &types.AttributeValueMemberS{Value: "MAIL#"},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	var items []mailItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		t.Fatal(err)
	}
	return items
}

// expiry is when the request item of partition pk may be removed, as the
// store wrote it (expires_at).
func (f *fixture) expiry(t *testing.T, pk string) time.Time {
	t.Helper()
	out, err := f.db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "REQ"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var item struct {
		ExpiresAt string `dynamodbav:"expires_at"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &item); err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse("2006-01-02T15:04:05.000Z", item.ExpiresAt)
	if err != nil {
		t.Fatalf("expires_at %q: %v", item.ExpiresAt, err)
	}
	return at
}

func (f *fixture) status(t *testing.T, id string) request.Status {
	t.Helper()
	r, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

func TestWatchExpiresAndMailsTheDigest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	day := 24 * time.Hour
	old := f.seed(t, "OLD", request.PendingVerification, now.Add(-31*day), time.Time{})
	f.seed(t, "RECENT", request.PendingVerification, now.Add(-29*day), time.Time{})
	f.seed(t, "SOON", request.Verified, now.Add(-42*day), now.Add(3*day))
	f.seed(t, "LATE", request.InProgress, now.Add(-50*day), now.Add(-2*day))
	f.seed(t, "LATER", request.Verified, now.Add(-10*day), now.Add(35*day))

	rep, err := f.h.Handle(ctx, []byte(`{"execution_id":"e-1","scheduled_time":"2026-03-02T15:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (watch.Report{Expired: 1, Overdue: 1, DueSoon: 1, DigestQueued: true}); rep != want {
		t.Errorf("report = %+v, want %+v", rep, want)
	}

	// 31 days unverified: expired, and the person is told.
	if got := f.status(t, "OLD"); got != request.ExpiredUnverified {
		t.Errorf("OLD is %s, want %s", got, request.ExpiredUnverified)
	}
	var expiry []mailItem
	for _, m := range f.mails(t, "REQ#OLD") {
		if m.Template == string(mail.RequestExpired) {
			expiry = append(expiry, m)
		}
	}
	if len(expiry) != 1 || expiry[0].To != old.Email || expiry[0].Status != "queued" || expiry[0].Kind != "mail" {
		t.Errorf("expiry mails of OLD = %+v, want one queued to %s", expiry, old.Email)
	}
	// Kept as the 11 CCR §7101 log for 24 months, minimised: no name,
	// address or location, but its types, dates and subject key; its
	// expiry, on the by-expiry index, 24 months after it closed.
	kept, err := f.store.Get(ctx, "OLD")
	if err != nil {
		t.Fatal(err)
	}
	if kept.Email != "" || kept.FirstName != "" || kept.LastName != "" || kept.Country != "" || kept.SubjectKey != old.SubjectKey ||
		len(kept.Types) != 2 || !kept.ReceivedAt.Equal(old.ReceivedAt) || !kept.ClosedAt.Equal(now) {
		t.Errorf("OLD kept as %+v, want the minimised log entry", kept)
	}
	if got, want := f.expiry(t, "REQ#OLD"), deadline.AddMonths(now, 24); !got.Equal(want) {
		t.Errorf("OLD expires %s, want %s (24 months after closing)", got, want)
	}
	// 29 days: still waiting for verification.
	if got := f.status(t, "RECENT"); got != request.PendingVerification {
		t.Errorf("RECENT is %s, want it still %s", got, request.PendingVerification)
	}
	for _, m := range f.mails(t, "REQ#RECENT") {
		if m.Template == string(mail.RequestExpired) {
			t.Errorf("RECENT was told it expired: %+v", m)
		}
	}

	// The digest: one mail item to the team under TEAM#digest, listing the
	// overdue and the due-soon request and nothing else.
	digests := f.mails(t, "TEAM#digest")
	if len(digests) != 1 {
		t.Fatalf("digest items = %+v, want one", digests)
	}
	d := digests[0]
	// The mail item keeps its id in the sort key only.
	if !strings.HasPrefix(d.SK, "MAIL#") || len(d.SK) == len("MAIL#") || d.ID != "" || d.Kind != "mail" || d.Status != "queued" || d.To != team || d.Template != string(mail.DeadlineDigest) {
		t.Errorf("digest item = %+v, want a queued %s mail to %s keyed MAIL#<id> (no id attribute)", d, mail.DeadlineDigest, team)
	}
	if d.TTL <= now.Unix() {
		t.Errorf("digest ttl = %d, want a time after the run", d.TTL)
	}
	if !strings.Contains(d.Data["overdue"], "LATE") || d.Data["overdue_count"] != "1" {
		t.Errorf("overdue = %q (%s), want LATE", d.Data["overdue"], d.Data["overdue_count"])
	}
	if !strings.Contains(d.Data["due_soon"], "SOON") || d.Data["due_soon_count"] != "1" {
		t.Errorf("due soon = %q (%s), want SOON", d.Data["due_soon"], d.Data["due_soon_count"])
	}
	all := d.Data["overdue"] + d.Data["due_soon"]
	for _, absent := range []string{"LATER", "RECENT", "OLD", "@example.com", "Grace"} {
		if strings.Contains(all, absent) {
			t.Errorf("digest mentions %q: %s", absent, all)
		}
	}
	// The notifier renders it like any other mail.
	msg, err := mailrender.Render(mail.Intent{ID: d.ID, Template: mail.Template(d.Template), To: d.To, Data: d.Data}, mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Text, "LATE") || !strings.Contains(msg.Text, "SOON") {
		t.Errorf("rendered digest lacks the requests:\n%s", msg.Text)
	}

	// Logs carry counts, not who asked.
	logs := f.logs.String()
	if !strings.Contains(logs, `"expired":1`) || !strings.Contains(logs, `"due_soon":1`) {
		t.Errorf("logs lack the counts: %s", logs)
	}
	for _, personal := range []string{"@example.com", "Grace", "Hopper", team} {
		if strings.Contains(logs, personal) {
			t.Errorf("logs contain %q: %s", personal, logs)
		}
	}

	// A retry, or a second run the same day, expires nothing more and
	// queues no second digest.
	f.mu.Lock()
	f.clock = now.Add(time.Hour)
	f.mu.Unlock()
	rep, err = f.h.Handle(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Expired != 0 || rep.Overdue != 1 || rep.DueSoon != 1 {
		t.Errorf("second run report = %+v", rep)
	}
	if n := len(f.mails(t, "TEAM#digest")); n != 1 {
		t.Errorf("%d digest items after a second run the same day, want 1", n)
	}
	if n := len(f.mails(t, "REQ#OLD")); n != 2 {
		t.Errorf("OLD has %d mails after a second run, want 2 (receipt, expiry)", n)
	}

	// The next day's run mails the next day's digest.
	f.mu.Lock()
	f.clock = now.Add(day)
	f.mu.Unlock()
	if _, err := f.h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(f.mails(t, "TEAM#digest")); n != 2 {
		t.Errorf("%d digest items after the next day's run, want 2", n)
	}
}

func TestWatchWithNothingDueQueuesNoDigest(t *testing.T) {
	f := newFixture(t)
	day := 24 * time.Hour
	f.seed(t, "RECENT", request.PendingVerification, now.Add(-29*day), time.Time{})
	f.seed(t, "LATER", request.Verified, now.Add(-10*day), now.Add(35*day))
	// Closed requests are not watched, however old their due date.
	f.seed(t, "DONE", request.Completed, now.Add(-90*day), now.Add(-45*day))
	// Pending verification: the clock runs, but staff cannot act yet.
	f.seed(t, "WAITING", request.PendingVerification, now.Add(-20*day), now.Add(2*day))

	rep, err := f.h.Handle(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if rep != (watch.Report{}) {
		t.Errorf("report = %+v, want nothing done", rep)
	}
	if got := f.mails(t, "TEAM#digest"); len(got) != 0 {
		t.Errorf("digest queued with nothing due: %+v", got)
	}
	if got := f.status(t, "RECENT"); got != request.PendingVerification {
		t.Errorf("RECENT is %s", got)
	}
}

func TestWatchWithoutTeamAddressStillExpires(t *testing.T) {
	f := newFixture(t)
	f.h.TeamEmail = ""
	day := 24 * time.Hour
	f.seed(t, "OLD", request.PendingVerification, now.Add(-40*day), time.Time{})
	f.seed(t, "LATE", request.Verified, now.Add(-50*day), now.Add(-5*day))
	rep, err := f.h.Handle(context.Background(), []byte(`not json`))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Expired != 1 || rep.Overdue != 1 || rep.DigestQueued {
		t.Errorf("report = %+v, want one expired, one overdue, no digest", rep)
	}
	if got := f.mails(t, "TEAM#digest"); len(got) != 0 {
		t.Errorf("digest queued without an address: %+v", got)
	}
	if !strings.Contains(f.logs.String(), "no privacy team address") {
		t.Errorf("missing address not logged: %s", f.logs.String())
	}
}

// optOut records an opt-out of sale and sharing made at at, as the optout
// function would.
func (f *fixture) optOut(t *testing.T, at time.Time, email string) {
	t.Helper()
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("w"), 32))
	if err != nil {
		t.Fatal(err)
	}
	s := optout.NewService(ddb.NewOptOuts(f.db, f.table), keyer, phone.E164, func() time.Time { return at })
	if _, err := s.OptOut(context.Background(), optout.Input{Email: email, Source: optout.Form}); err != nil {
		t.Fatal(err)
	}
}

// An ad platform that has not taken an opt-out older than 15 business days
// is listed in the digest by id, version taken and the opt-out's date,
// with or without requests to list; nothing in it matches a person.
func TestDigestListsAdPlatformsBehindOnOptOuts(t *testing.T) {
	old := deadline.AddBusinessDays(now, -16).Truncate(time.Millisecond)
	for _, withRequest := range []bool{false, true} {
		f := newFixture(t)
		f.optOut(t, old, "ada@example.com")
		f.optOut(t, deadline.AddBusinessDays(now, -2), "grace@example.com")
		if withRequest {
			f.seed(t, "LATE", request.InProgress, now.Add(-50*24*time.Hour), now.Add(-48*time.Hour))
		}
		rep, err := f.h.Handle(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.AdPlatformsLate != 1 || !rep.DigestQueued {
			t.Errorf("report = %+v, want one late platform and a digest", rep)
		}
		digests := f.mails(t, "TEAM#digest")
		if len(digests) != 1 {
			t.Fatalf("digests = %+v, want one", digests)
		}
		d := digests[0]
		want := "ads-audiences  took nothing yet  oldest untaken opt-out " + old.UTC().Format("2006-01-02")
		if d.Data["ad_platforms_count"] != "1" || !strings.HasPrefix(d.Data["ad_platforms"], want) {
			t.Errorf("ad platforms = %q (%s), want %q", d.Data["ad_platforms"], d.Data["ad_platforms_count"], want)
		}
		if withRequest != strings.Contains(d.Data["overdue"], "LATE") {
			t.Errorf("overdue = %q, with a request %v", d.Data["overdue"], withRequest)
		}
		msg, err := mailrender.Render(mail.Intent{ID: d.ID, Template: mail.Template(d.Template), To: d.To, Data: d.Data}, mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg.Text, "Ad platforms behind on opt-outs (1)") || !strings.Contains(msg.HTML, want) {
			t.Errorf("rendered digest lacks the section:\n%s", msg.Text)
		}
		for _, personal := range []string{"ada@", "grace@", sha256Hex("ada@example.com"), sha256Hex("grace@example.com")} {
			if strings.Contains(msg.Text+msg.HTML, personal) || strings.Contains(f.logs.String(), personal) {
				t.Errorf("the digest or the logs show %q", personal)
			}
		}
	}
}

// Within the deadline a platform is not late: no digest for it alone.
func TestDigestLeavesOutPlatformsWithinTheDeadline(t *testing.T) {
	f := newFixture(t)
	f.optOut(t, deadline.AddBusinessDays(now, -14), "ada@example.com")
	rep, err := f.h.Handle(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.AdPlatformsLate != 0 || rep.DigestQueued {
		t.Errorf("report = %+v, want no late platform, no digest", rep)
	}
	if got := f.mails(t, "TEAM#digest"); len(got) != 0 {
		t.Errorf("digest queued: %+v", got)
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
