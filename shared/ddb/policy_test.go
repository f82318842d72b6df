package ddb_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/policy"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/topology"
)

// guarded is the table as the named function may use it.
func guarded(db *dynamodb.Client, function string) *dynamodb.Client {
	def, _ := topology.ClariTru.Function(function)
	return ddb.Guard(db, def)
}

func publishInput(id, at string, material bool, text string) policy.Input {
	return policy.Input{ID: id, EffectiveAt: at, Text: text, Material: &material, Summary: "What changed."}
}

// fieldOf is the kind of err and the first field it names.
func fieldOf(err error) (fault.Kind, string) {
	var fe *fault.Error
	if !errors.As(err, &fe) || len(fe.Fields) == 0 {
		return fault.KindOf(err), ""
	}
	return fe.Kind, fe.Fields[0].Field
}

// TestPolicyRegisterPublishes: the register takes well-formed versions
// forward in time only, names the field of every refusal, writes nothing
// for a refused one, and answers which version is in force when.
func TestPolicyRegisterPublishes(t *testing.T) {
	ctx := context.Background()
	db, table := localtest.NewTable(t)
	now := time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC)
	svc := policy.NewService(ddb.NewPolicy(guarded(db, "admin"), table), func() time.Time { return now })

	bad := []struct {
		in    policy.Input
		kind  fault.Kind
		field string
	}{
		{publishInput("", "2025-04-28T00:00:00-07:00", false, "Words."), fault.Invalid, "version"},
		{publishInput("v 1", "2025-04-28T00:00:00-07:00", false, "Words."), fault.Invalid, "version"},
		{publishInput("v1", "28 April 2025", false, "Words."), fault.Invalid, "effective_at"},
		{publishInput("v1", "2025-04-28T00:00:00-07:00", false, " "), fault.Invalid, "text"},
		{policy.Input{ID: "v1", EffectiveAt: "2025-04-28T00:00:00-07:00", Text: "Words.", Summary: "x"}, fault.Invalid, "material"},
		{policy.Input{ID: "v1", EffectiveAt: "2025-04-28T00:00:00-07:00", Text: "Words.", Material: new(bool)}, fault.Invalid, "summary"},
		{policy.Input{ID: "v1", EffectiveAt: "2025-04-28T00:00:00-07:00", Text: "Words.", Material: new(bool), Summary: "x", TextSHA256: strings.Repeat("0", 64)}, fault.Unprocessable, "text_sha256"},
	}
	for _, c := range bad {
		_, err := svc.Publish(ctx, c.in, "staff")
		if k, f := fieldOf(err); k != c.kind || f != c.field {
			t.Errorf("%+v: %v (kind %v, field %q), want %v naming %q", c.in, err, k, f, c.kind, c.field)
		}
	}

	// The first version records the policy already in force: backdated.
	first, err := svc.Publish(ctx, publishInput("2025-04-28", "2025-04-28T00:00:00-07:00", false, "Policy one."), "staff")
	if err != nil || first.TextSHA256 != policy.Hash("Policy one.") {
		t.Fatalf("first version: %+v %v", first, err)
	}
	refused := []struct {
		in    policy.Input
		kind  fault.Kind
		field string
	}{
		// The same id again, whatever else it says.
		{publishInput("2025-04-28", "2027-01-01T00:00:00Z", true, "Other."), fault.Conflict, "version"},
		// Not later than the latest: the register grows forward only.
		{publishInput("2024-01", "2025-04-28T07:00:00Z", false, "Older."), fault.Conflict, "effective_at"},
		// Later than the latest, but before its publication.
		{publishInput("2026-11", "2026-11-01T00:00:00Z", false, "Backdated."), fault.Unprocessable, "effective_at"},
	}
	for _, c := range refused {
		_, err := svc.Publish(ctx, c.in, "staff")
		if k, f := fieldOf(err); k != c.kind || f != c.field {
			t.Errorf("%s: %v (kind %v, field %q), want %v naming %q", c.in.ID, err, k, f, c.kind, c.field)
		}
	}
	second, err := svc.Publish(ctx, publishInput("2027-01", "2027-01-01T00:00:00-08:00", true, "Policy two."), "staff")
	if err != nil {
		t.Fatal(err)
	}
	// The public reader (the consent function) sees both, in order, and
	// the text is kept apart, exactly.
	reader := policy.NewService(ddb.NewPolicy(guarded(db, "consent"), table), nil)
	vs, err := reader.Versions(ctx)
	if err != nil || len(vs) != 2 || vs[0].ID != first.ID || vs[1].ID != second.ID || vs[1].Actor != "staff" || !vs[1].Material {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	if text, ok, err := ddb.NewPolicy(db, table).Text(ctx, "2027-01"); err != nil || !ok || text != "Policy two." {
		t.Errorf("text: %q %v %v", text, ok, err)
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2025, 4, 27, 12, 0, 0, 0, time.UTC), ""},
		{now, "2025-04-28"},
		{time.Date(2027, 1, 1, 7, 59, 59, 0, time.UTC), "2025-04-28"},
		{time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC), "2027-01"},
	} {
		v, ok, err := reader.InForce(ctx, c.at)
		if err != nil || ok != (c.want != "") || v.ID != c.want {
			t.Errorf("in force at %v: %q %v %v, want %q", c.at, v.ID, ok, err, c.want)
		}
	}
}

// noticeFixture is a table with people on record: consents granted to
// email addresses, open and closed requests.
type noticeFixture struct {
	db       *dynamodb.Client
	table    string
	keyer    *subject.Keyer
	consents *consent.Service
	register *policy.Service
	now      time.Time
}

func newNoticeFixture(t *testing.T) *noticeFixture {
	t.Helper()
	db, table := localtest.NewTable(t)
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("n"), 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &noticeFixture{db: db, table: table, keyer: keyer, now: time.Now().UTC().Truncate(time.Millisecond)}
	f.register = policy.NewService(ddb.NewPolicy(guarded(db, "admin"), table), nil)
	f.consents = consent.NewService(ddb.NewConsents(guarded(db, "consent"), table), consent.Config{
		Keyer: keyer, Phone: phone.E164, PublicBaseURL: "https://api.example", Policy: policy.NewService(ddb.NewPolicy(guarded(db, "consent"), table), nil),
	})
	return f
}

// give records a consent of email to purpose under disclosure id.
func (f *noticeFixture) give(t *testing.T, email string, p consent.Purpose, disclosure string, granted bool) consent.Result {
	t.Helper()
	res, err := f.consents.Give(context.Background(), consent.Input{
		Email: email, Choices: []consent.Choice{{Purpose: p, Granted: &granted}},
		Disclosure: &consent.Disclosure{ID: disclosure, Version: "2026-11"}, AgeConfirmed: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// request files a request of email in status st.
func (f *noticeFixture) request(t *testing.T, id, email string, st request.Status) {
	t.Helper()
	r := request.Request{
		ID: id, Types: []request.Type{request.Know}, Status: st, Channel: request.Web, FirstName: "Ada", LastName: "L",
		Email: email, Regime: deadline.CCPA, ReceivedAt: f.now, DueAt: f.now.AddDate(0, 0, 45),
		SubjectKey: f.keyer.Email(email), Version: 1,
	}
	if err := ddb.NewRequests(f.db, f.table).Create(context.Background(), request.Creation{
		Request: r, Event: request.Event{ID: "E" + id, At: f.now, Action: "received", To: st, Actor: "staff"},
		Mail: mail.Intent{ID: "M" + id, Template: mail.RequestReceived, To: email, Data: map[string]string{"request_id": id}},
	}); err != nil {
		t.Fatal(err)
	}
}

// notices counts the notice mails per address in the table.
func (f *noticeFixture) notices(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	p := dynamodb.NewScanPaginator(f.db, &dynamodb.ScanInput{TableName: aws.String(f.table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			if tmpl, _ := it["template"].(*types.AttributeValueMemberS); tmpl != nil && tmpl.Value == string(mail.PolicyNotice) {
				out[it["to"].(*types.AttributeValueMemberS).Value]++
			}
		}
	}
	return out
}

// flaky fails Notify once after n calls, as a run killed midway would stop.
type flaky struct {
	policy.NoticeStore
	n int
}

func (s *flaky) Notify(ctx context.Context, v policy.Version, r policy.Recipient, in mail.Intent, at time.Time) (bool, error) {
	if s.n == 0 {
		s.n--
		return false, errors.New("killed")
	}
	s.n--
	return s.NoticeStore.Notify(ctx, v, r, in, at)
}

// TestMaterialVersionNoticesOncePerPerson: a material version is queued
// once to each person with a granted consent to an address (given at once,
// or confirmed from the mail) or an open request, never to a withdrawn,
// pending or closed one; at most PerRun a batch; a batch killed midway and
// a cursor lost are continued without a second notice to anyone; a later
// run of the same version queues nothing; a version that is not material
// queues nothing at all.
func TestMaterialVersionNoticesOncePerPerson(t *testing.T) {
	ctx := context.Background()
	f := newNoticeFixture(t)
	if _, err := f.register.Publish(ctx, publishInput("2025-04-28", "2025-04-28T00:00:00-07:00", false, "Policy one."), "staff"); err != nil {
		t.Fatal(err)
	}
	// Granted at once (cookies recorded against the address), cited.
	res := f.give(t, "cookie@example.com", consent.CookiesFunctional, "cookie-banner", true)
	if res.Recording.Policy == nil || res.Recording.Policy.ID != "2025-04-28" || res.Recording.Fields["policy_version"] != "2025-04-28" ||
		res.Recording.Mail.Data["policy_version"] != "2025-04-28" {
		t.Fatalf("the recording does not cite the version in force: %+v %v", res.Recording.Policy, res.Recording.Fields)
	}
	// Confirmed from the mail: on the roster once confirmed.
	res = f.give(t, "confirmed@example.com", consent.EmailMarketing, "email-optin", true)
	u, _ := url.Parse(res.Recording.Mail.Data["confirm_url"])
	if _, err := f.consents.Confirm(ctx, u.Query().Get("token")); err != nil {
		t.Fatal(err)
	}
	// Pending (never confirmed), and granted then withdrawn: no notice.
	f.give(t, "pending@example.com", consent.EmailMarketing, "email-optin", true)
	f.give(t, "withdrawn@example.com", consent.CookiesAnalytics, "cookie-banner", true)
	f.give(t, "withdrawn@example.com", consent.CookiesAnalytics, "cookie-banner", false)
	// Two consents and two open requests of one person: one notice.
	f.give(t, "busy@example.com", consent.CookiesFunctional, "cookie-banner", true)
	f.give(t, "busy@example.com", consent.CookiesAnalytics, "cookie-banner", true)
	f.request(t, "R1", "busy@example.com", request.Verified)
	f.request(t, "R2", "busy@example.com", request.PendingVerification)
	for i, st := range []request.Status{request.Received, request.InProgress, request.Extended, request.Verified} {
		f.request(t, "O"+string(rune('A'+i)), "open"+string(rune('a'+i))+"@example.com", st)
	}
	f.request(t, "C1", "closed@example.com", request.Completed)
	want := []string{"cookie@example.com", "confirmed@example.com", "busy@example.com", "opena@example.com", "openb@example.com", "openc@example.com", "opend@example.com"}

	// Not material: nothing to send.
	if _, err := f.register.Publish(ctx, publishInput("2026-12-minor", f.now.Add(time.Hour).Format(time.RFC3339), false, "Typo."), "staff"); err != nil {
		t.Fatal(err)
	}
	store := ddb.NewPolicy(guarded(f.db, "watch"), f.table)
	n := &policy.Notifier{Store: store, PolicyURL: "https://www.example/privacy-policy", PerRun: 3}
	if rep, err := n.Batch(ctx); err != nil || rep.Queued != 0 || rep.Runs != 0 {
		t.Fatalf("non-material: %+v %v", rep, err)
	}
	if _, err := f.register.Publish(ctx, publishInput("2027-01", f.now.Add(48*time.Hour).Format(time.RFC3339), true, "Policy two."), "staff"); err != nil {
		t.Fatal(err)
	}

	// The first batch keeps the pace; a second is killed after one notice.
	rep, err := n.Batch(ctx)
	if err != nil || rep.Queued != 3 {
		t.Fatalf("first batch: %+v %v, want 3 queued", rep, err)
	}
	killed := &policy.Notifier{Store: &flaky{NoticeStore: store, n: 1}, PolicyURL: n.PolicyURL, PerRun: 3}
	if _, err := killed.Batch(ctx); err == nil {
		t.Fatal("the killed batch reported no error")
	}
	for i := 0; i < 10; i++ {
		rep, err := n.Batch(ctx)
		if err != nil || rep.Queued > 3 {
			t.Fatalf("batch: %+v %v", rep, err)
		}
		if rep.Runs == 0 {
			break
		}
	}
	got := f.notices(t)
	if len(got) != len(want) {
		t.Errorf("notices to %v, want one to each of %v", got, want)
	}
	for _, to := range want {
		if got[to] != 1 {
			t.Errorf("%s got %d notices, want 1", to, got[to])
		}
	}

	// The cursor lost (the run read again from the start): nothing more.
	if _, err := f.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(f.table), Key: noticeRunKey(t, f),
		UpdateExpression: aws.String("SET #c = :s REMOVE done_at"), ExpressionAttributeNames: map[string]string{"#c": "cursor"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: "start"}},
	}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		rep, err := n.Batch(ctx)
		if err != nil || rep.Queued != 0 {
			t.Fatalf("rerun: %+v %v", rep, err)
		}
		if rep.Runs == 0 {
			break
		}
	}
	if again := f.notices(t); len(again) != len(want) || again["busy@example.com"] != 1 {
		t.Errorf("after the rerun: %v", again)
	}
	// The notice names the version and is recorded in the person's
	// partition.
	rec := getItem(t, f.db, f.table, "SUBJ#"+f.keyer.Email("busy@example.com"), "POLICYNOTICE#2027-01")
	if rec["mail_id"] == nil || rec["retention"].(*types.AttributeValueMemberS).Value != "policy_notice" {
		t.Errorf("notice record: %v", rec)
	}
}

// noticeRunKey finds the key of the fixture's one notice run.
func noticeRunKey(t *testing.T, f *noticeFixture) map[string]types.AttributeValue {
	t.Helper()
	out, err := f.db.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(f.table), KeyConditionExpression: aws.String("pk = :p AND begins_with(sk, :s)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": &types.AttributeValueMemberS{Value: "POLICY"}, ":s": &types.AttributeValueMemberS{Value: "NOTICERUN#"},
		},
	})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("notice runs: %v %v", out, err)
	}
	return map[string]types.AttributeValue{"pk": out.Items[0]["pk"], "sk": out.Items[0]["sk"]}
}
