package ddb_test

import (
	"bytes"
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/feed"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/topology"
)

const platform = "ads-audiences"

// feedFixture is a table with opt-outs made at the fixture's clock, and the
// feed served with the admin function's table access.
type feedFixture struct {
	db     *dynamodb.Client
	table  string
	optOut *optout.Service
	feed   *feed.Service
	mu     sync.Mutex
	clock  time.Time
}

func newFeedFixture(t *testing.T, start time.Time) *feedFixture {
	t.Helper()
	db, table := localtest.NewTable(t)
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("f"), 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &feedFixture{db: db, table: table, clock: start}
	now := func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.clock }
	def, _ := topology.ClariTru.Function("admin")
	f.optOut = optout.NewService(ddb.NewOptOuts(db, table), keyer, phone.E164, now)
	f.feed = feed.NewService(ddb.NewFeed(ddb.Guard(db, def), table), reach.Systems(), now)
	return f
}

func (f *feedFixture) at(t time.Time) { f.mu.Lock(); f.clock = t; f.mu.Unlock() }

func (f *feedFixture) optOutAt(t *testing.T, at time.Time, in optout.Input) {
	t.Helper()
	f.at(at)
	in.Source = optout.Form
	if _, err := f.optOut.OptOut(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

var versionShape = regexp.MustCompile(`^[0-9]{8}T[0-9]{9}Z-[0-9a-f]{16}$`)

// Versions order every entry, two of the same millisecond included, and a
// page after a version holds exactly the entries after it.
func TestFeedVersionsOrderEveryEntry(t *testing.T) {
	t1 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f := newFeedFixture(t, t1)
	ctx := context.Background()
	// One opt-out of two identifiers: two entries with the same since.
	f.optOutAt(t, t1, optout.Input{Email: "ada@example.com", BrowserID: "browser-0001"})
	f.optOutAt(t, t1.Add(time.Hour), optout.Input{Phone: "+1 415 555 0123"})
	f.at(t1.Add(2 * time.Hour))

	all, err := f.feed.Pull(ctx, platform, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Entries) != 3 || !all.Complete || all.FromVersion != "" || all.Version != all.Entries[2].Version {
		t.Fatalf("pull = %+v, want 3 entries, complete", all)
	}
	if !all.Entries[0].Since.Equal(t1) || !all.Entries[1].Since.Equal(t1) || all.Entries[2].Kind != optout.Phone {
		t.Fatalf("entries = %+v, want the two of %s, then the phone", all.Entries, t1)
	}
	for i, e := range all.Entries {
		if !versionShape.MatchString(e.Version) {
			t.Errorf("version %q is not the documented shape", e.Version)
		}
		if i > 0 && e.Version <= all.Entries[i-1].Version {
			t.Errorf("versions %q, %q do not increase", all.Entries[i-1].Version, e.Version)
		}
	}

	// Page by page, one entry at a time: each page starts right after the
	// version before, so nothing is skipped or repeated.
	since, seen := "", map[string]bool{}
	for i := 0; i < 3; i++ {
		p, err := f.feed.Pull(ctx, platform, since, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) != 1 || p.Entries[0].Version != all.Entries[i].Version || p.FromVersion != since || p.Complete != (i == 2) {
			t.Fatalf("page %d after %q = %+v, want entry %+v", i, since, p, all.Entries[i])
		}
		seen[p.Entries[0].Match] = true
		since = p.Version
	}
	last, err := f.feed.Pull(ctx, platform, since, 1)
	if err != nil || len(last.Entries) != 0 || !last.Complete || last.Version != since || len(seen) != 3 {
		t.Fatalf("after the last version: %+v, %v (seen %d)", last, err, len(seen))
	}

	// An entry younger than feed.Settle waits for the next pull.
	f.optOutAt(t, t1.Add(3*time.Hour), optout.Input{BrowserID: "browser-0002"})
	f.at(t1.Add(3*time.Hour + 30*time.Second))
	if p, err := f.feed.Pull(ctx, platform, since, 10); err != nil || len(p.Entries) != 0 {
		t.Fatalf("a settling entry was handed out: %+v, %v", p, err)
	}
	f.at(t1.Add(3*time.Hour + 2*time.Minute))
	if p, err := f.feed.Pull(ctx, platform, since, 10); err != nil || len(p.Entries) != 1 || p.Entries[0].Match != "browser-0002" {
		t.Fatalf("after settling: %+v, %v", p, err)
	}
}

// A pull without since starts after the platform's latest delivery; the
// deliveries list newest first with the staff principal.
func TestFeedDeltaAfterDelivery(t *testing.T) {
	t1 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f := newFeedFixture(t, t1)
	ctx := context.Background()
	f.optOutAt(t, t1, optout.Input{Email: "ada@example.com"})
	f.optOutAt(t, t1.Add(time.Hour), optout.Input{Email: "grace@example.com"})
	f.at(t1.Add(2 * time.Hour))
	first, err := f.feed.Pull(ctx, platform, "", 1)
	if err != nil || len(first.Entries) != 1 || first.Complete {
		t.Fatalf("first page = %+v, %v", first, err)
	}
	d, err := f.feed.Record(ctx, platform, first.Version, 1, "arn:aws:sts::111122223333:assumed-role/PrivacyStaff/ada")
	if err != nil || d.ID == "" || d.Version != first.Version {
		t.Fatalf("record = %+v, %v", d, err)
	}

	f.optOutAt(t, t1.Add(3*time.Hour), optout.Input{Phone: "+1 415 555 0123"})
	f.at(t1.Add(4 * time.Hour))
	delta, err := f.feed.Pull(ctx, platform, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if delta.FromVersion != first.Version || len(delta.Entries) != 2 || !delta.Entries[0].Since.Equal(t1.Add(time.Hour)) ||
		delta.Entries[1].Kind != optout.Phone || !delta.Complete {
		t.Fatalf("delta = %+v, want the two entries after the delivery", delta)
	}
	if _, err := f.feed.Record(ctx, platform, delta.Version, 2, "local-staff"); err != nil {
		t.Fatal(err)
	}
	if p, err := f.feed.Pull(ctx, platform, "", 10); err != nil || len(p.Entries) != 0 || p.Version != delta.Version {
		t.Fatalf("after the second delivery: %+v, %v", p, err)
	}

	ds, err := f.feed.Deliveries(ctx, platform, 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
	if ds[0].Version != delta.Version || ds[0].Entries != 2 || ds[0].Actor != "local-staff" ||
		ds[1].Version != first.Version || ds[1].Actor != "arn:aws:sts::111122223333:assumed-role/PrivacyStaff/ada" {
		t.Errorf("deliveries = %+v, want the second, then the first", ds)
	}
	// The delivery record expires with the request log; the latest is kept.
	items := feedItems(t, f)
	if len(items) != 3 {
		t.Fatalf("FEED# items = %+v", items)
	}
	for _, it := range items {
		sk := it["sk"].(*types.AttributeValueMemberS).Value
		ret, _ := it["retention"].(*types.AttributeValueMemberS)
		if sk == "LATEST" && ret != nil || sk != "LATEST" && (ret == nil || ret.Value != "feed_delivery") {
			t.Errorf("item %s retention = %v", sk, ret)
		}
	}
}

func feedItems(t *testing.T, f *feedFixture) []map[string]types.AttributeValue {
	t.Helper()
	out, err := f.db.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(f.table), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "FEED#" + platform}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

// A delivery never moves a platform's version back, and records nothing
// when refused; versions the feed did not hand out and platforms that are
// not ad platforms are refused naming the field.
func TestFeedDeliveryCannotGoBack(t *testing.T) {
	t1 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f := newFeedFixture(t, t1)
	ctx := context.Background()
	f.optOutAt(t, t1, optout.Input{Email: "ada@example.com"})
	f.optOutAt(t, t1.Add(time.Hour), optout.Input{Email: "grace@example.com"})
	f.at(t1.Add(2 * time.Hour))
	p, err := f.feed.Pull(ctx, platform, "", 10)
	if err != nil || len(p.Entries) != 2 {
		t.Fatalf("pull = %+v, %v", p, err)
	}
	older, newer := p.Entries[0].Version, p.Entries[1].Version
	if _, err := f.feed.Record(ctx, platform, newer, 2, "local-staff"); err != nil {
		t.Fatal(err)
	}
	_, err = f.feed.Record(ctx, platform, older, 1, "local-staff")
	if fault.KindOf(err) != fault.Conflict || !names(err, "version") {
		t.Fatalf("going back: %v, want a conflict naming version", err)
	}
	if latest, _, _ := ddb.NewFeed(f.db, f.table).Latest(ctx, platform); latest.Version != newer {
		t.Errorf("latest = %+v, want %s", latest, newer)
	}
	if n := len(feedItems(t, f)); n != 2 {
		t.Errorf("%d FEED# items after a refused delivery, want 2 (one delivery, the latest)", n)
	}
	// The same version again is a second delivery, not a step back.
	if _, err := f.feed.Record(ctx, platform, newer, 2, "local-staff"); err != nil {
		t.Errorf("same version again: %v", err)
	}

	cases := []struct {
		platform, version, field string
		kind                     fault.Kind
	}{
		{platform, "20260302T100000000Z-0123456789abcdef", "version", fault.Invalid}, // well-formed, no entry
		{platform, "20260302T100000000Z", "version", fault.Invalid},
		{platform, "", "version", fault.Invalid},
		{"crm", newer, "platform", fault.Unprocessable}, // in the register, but not fed
		{"nobody", newer, "platform", fault.Unprocessable},
	}
	for _, c := range cases {
		if _, err := f.feed.Record(ctx, c.platform, c.version, 1, "local-staff"); fault.KindOf(err) != c.kind || !names(err, c.field) {
			t.Errorf("record %s %q: %v, want %v naming %s", c.platform, c.version, err, c.kind, c.field)
		}
	}
	if _, err := f.feed.Pull(ctx, platform, "not-a-version", 10); fault.KindOf(err) != fault.Invalid || !names(err, "since") {
		t.Errorf("pull after a bad version: %v", err)
	}
}

func names(err error, field string) bool {
	fe, ok := err.(*fault.Error)
	return ok && len(fe.Fields) == 1 && fe.Fields[0].Field == field
}

// A platform is late once the oldest opt-out it has not taken is older
// than 15 business days (11 CCR §7026(f)).
func TestFeedLagAgainstTheOptOutDeadline(t *testing.T) {
	since := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday
	f := newFeedFixture(t, since)
	ctx := context.Background()
	f.optOutAt(t, since, optout.Input{Email: "ada@example.com"})

	f.at(deadline.AddBusinessDays(since, 14))
	l, err := f.feed.Lag(ctx, platform)
	if err != nil || l.Late || !l.OldestPending.Equal(since) || l.Taken != "" {
		t.Fatalf("after 14 business days: %+v, %v; want pending, not late", l, err)
	}
	if late, err := f.feed.Behind(ctx); err != nil || len(late) != 0 {
		t.Fatalf("behind after 14 business days = %+v, %v", late, err)
	}

	f.at(deadline.AddBusinessDays(since, 16))
	l, err = f.feed.Lag(ctx, platform)
	// Due by the end of the 15th business day in Los Angeles, the day of
	// the opt-out (Monday 2 March, 02:00 PST) the first: 2-6 March (5),
	// 9-13 (10), 16-20 (15); the end of Friday 20 March PDT is 06:59:59.999
	// UTC on the 21st.
	dueBy := time.Date(2026, 3, 21, 6, 59, 59, 999_000_000, time.UTC)
	if err != nil || !l.Late || !l.OldestPending.Equal(since) || !l.DueBy.Equal(dueBy) {
		t.Fatalf("after 16 business days: %+v, %v; want late", l, err)
	}
	late, err := f.feed.Behind(ctx)
	if err != nil || len(late) != 1 || late[0].Platform != platform {
		t.Fatalf("behind = %+v, %v", late, err)
	}
	p, err := f.feed.Pull(ctx, platform, "", 10)
	if err != nil || !p.Lag.Late || len(p.Entries) != 1 {
		t.Fatalf("pull of a late platform = %+v, %v", p, err)
	}

	// Taking the version that covers it ends the lag.
	if _, err := f.feed.Record(ctx, platform, p.Version, 1, "local-staff"); err != nil {
		t.Fatal(err)
	}
	if l, err := f.feed.Lag(ctx, platform); err != nil || l.Late || !l.OldestPending.IsZero() || l.Taken != p.Version {
		t.Fatalf("after the delivery: %+v, %v", l, err)
	}
}

// The watch function reads the lag with its own table access.
func TestFeedLagWithTheWatchAccess(t *testing.T) {
	db, table := localtest.NewTable(t)
	def, _ := topology.ClariTru.Function("watch")
	s := feed.NewService(ddb.NewFeed(ddb.Guard(db, def), table), reach.Systems(), nil)
	if _, err := s.Behind(context.Background()); err != nil {
		t.Fatal(err)
	}
}
