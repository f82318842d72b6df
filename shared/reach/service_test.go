package reach_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ids"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/topology"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m, false)) }

const publicBase = "https://api.example.test"

// clock is the service's injected time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// staticSecrets is Secrets Manager holding fixed secrets.
type staticSecrets map[string]string

func (s staticSecrets) Secret(_ context.Context, name string) (string, error) {
	if v, ok := s[name]; ok {
		return v, nil
	}
	return "", errors.New("no such secret")
}

func newSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// delivery is one webhook the receiver took.
type delivery struct {
	header http.Header
	body   []byte
	msg    reach.Message
}

// receiver is the system: an HTTP server answering each webhook with status,
// after calling onWebhook when set.
type receiver struct {
	srv        *httptest.Server
	mu         sync.Mutex
	status     int
	deliveries []delivery
	onWebhook  func(d delivery)
}

func (r *receiver) got() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.deliveries...)
}

func (r *receiver) setStatus(s int) { r.mu.Lock(); r.status = s; r.mu.Unlock() }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	d := delivery{header: req.Header.Clone(), body: body}
	_ = json.Unmarshal(body, &d.msg)
	r.mu.Lock()
	r.deliveries = append(r.deliveries, d)
	status, hook := r.status, r.onWebhook
	r.mu.Unlock()
	if hook != nil {
		hook(d)
	}
	w.WriteHeader(status)
}

type fixture struct {
	t      *testing.T
	db     *dynamodb.Client
	table  string
	jobs   *ddb.Jobs
	svc    *reach.Service
	clock  *clock
	recv   *receiver
	secret string
	ids    *ids.Source
	reg    *reach.Register
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, table := localtest.NewTable(t)
	fn, ok := topology.ClariTru.Function("reach")
	if !ok {
		t.Fatal("no reach function in the topology")
	}
	// The service reaches the table as the reach function may, no further.
	f := &fixture{t: t, db: db, table: table, jobs: ddb.NewJobs(ddb.Guard(db, fn), table), recv: &receiver{status: http.StatusNoContent},
		// Real time, so the receiver can check the signature's time with
		// the library's own tolerance.
		clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, secret: newSecret(t), ids: ids.NewSource()}
	f.recv.srv = httptest.NewServer(f.recv)
	t.Cleanup(f.recv.srv.Close)
	reg, err := reach.NewRegister(
		reach.System{ID: "crm", Name: "CRM", Role: reach.ServiceProvider, ActsOn: []reach.Action{reach.Delete, reach.Access},
			Reach: reach.Webhook, URL: f.recv.srv.URL + "/privacy", Secret: "hooks/crm"},
		reach.System{ID: "hosting", Name: "Hosting", Role: reach.Contractor, ActsOn: []reach.Action{reach.Access}, Reach: reach.StaffTask},
	)
	if err != nil {
		t.Fatal(err)
	}
	f.reg = reg
	f.svc = reach.NewService(f.jobs, reach.Config{
		Register: reg, Secrets: staticSecrets{"hooks/crm": f.secret}, HTTP: f.recv.srv.Client(),
		PublicBaseURL: publicBase + "/", Now: f.clock.Now,
	})
	return f
}

// seed verifies a new request of types and returns the jobs written with
// the verification, read back from the table.
func (f *fixture) seed(types ...request.Type) []reach.Job {
	t := f.t
	t.Helper()
	ctx := context.Background()
	now := f.clock.Now()
	id := f.ids.At(now)
	r := request.Request{
		ID: id, Types: types, Status: request.PendingVerification, Channel: request.Web,
		FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Country: "US", State: "CA",
		Regime: deadline.CCPA, ReceivedAt: now, DueAt: now.AddDate(0, 0, 45), SubjectKey: "key-ada", Version: 1,
	}
	requests := ddb.NewRequests(f.db, f.table)
	err := requests.Create(ctx, request.Creation{
		Request: r, TokenHash: "hash-" + id, TokenExpiresAt: now.Add(request.TokenLifetime),
		Event: request.Event{ID: f.ids.At(now), At: now, Action: "received", To: request.PendingVerification, Actor: "requester"},
		Mail:  mail.Intent{ID: f.ids.At(now), Template: mail.RequestReceived, To: r.Email},
	})
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, ty := range types {
		acts = append(acts, string(ty))
	}
	var planned []reach.Job
	for _, a := range reach.ActionsFor(acts) {
		planned = append(planned, reach.Plan(f.reg, a, now, r.DueAt, r.SubjectKey, r.ID,
			[]reach.Identifier{{Kind: "email", Value: r.Email}}, func() string { return f.ids.At(now) })...)
	}
	err = requests.Verify(ctx, request.Verification{
		TokenHash: "hash-" + id, Request: r, At: now,
		Event: request.Event{ID: f.ids.At(now), At: now, Action: "verified", From: r.Status, To: request.Verified, Actor: "requester"},
		Mail:  mail.Intent{ID: f.ids.At(now), Template: mail.RequestVerified, To: r.Email},
		Jobs:  planned,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]reach.Job, len(planned))
	for i, p := range planned {
		out[i] = f.job(p.ID)
	}
	return out
}

// webhookJob seeds a deletion and returns its one job (the CRM's webhook).
func (f *fixture) webhookJob() reach.Job {
	f.t.Helper()
	jobs := f.seed(request.Delete)
	if len(jobs) != 1 || jobs[0].Reach != reach.Webhook || jobs[0].Status != reach.Queued {
		f.t.Fatalf("seeded jobs = %+v, want one queued webhook", jobs)
	}
	return jobs[0]
}

func (f *fixture) job(id string) reach.Job {
	f.t.Helper()
	j, err := f.jobs.Job(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return j
}

// signed is a callback body and headers signed with secret at at.
func signed(t *testing.T, secret string, at time.Time, a any) (http.Header, []byte) {
	t.Helper()
	body, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	msgID := fmt.Sprintf("msg_%d", at.UnixNano())
	sig, err := wh.Sign(msgID, at, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", msgID)
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", sig)
	return h, body
}

func (f *fixture) callback(id string, a reach.Answer) (reach.Job, error) {
	h, body := signed(f.t, f.secret, f.clock.Now(), a)
	return f.svc.Callback(context.Background(), id, h, body)
}

// item reads the job's raw item.
func (f *fixture) item(id string) map[string]types.AttributeValue {
	f.t.Helper()
	out, err := f.db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "JOB#" + id}, "sk": &types.AttributeValueMemberS{Value: "JOB"},
		},
	})
	if err != nil || out.Item == nil {
		f.t.Fatalf("job item %s: %v", id, err)
	}
	return out.Item
}

func str(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func TestDeliveredWebhookIsSignedAndAnswered(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	j := f.webhookJob()
	if err := f.svc.Deliver(ctx, j); err != nil {
		t.Fatal(err)
	}
	got := f.recv.got()
	if len(got) != 1 {
		t.Fatalf("receiver got %d webhooks, want 1", len(got))
	}
	d := got[0]
	wh, _ := standardwebhooks.NewWebhook(f.secret)
	if err := wh.Verify(d.body, d.header); err != nil {
		t.Fatalf("the library does not verify the webhook: %v", err)
	}
	if d.header.Get("webhook-id") != j.ID || d.header.Get("webhook-timestamp") != strconv.FormatInt(f.clock.Now().Unix(), 10) ||
		d.header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v, want webhook-id %s", d.header, j.ID)
	}
	m := d.msg
	if m.Type != "privacy.delete" || m.Data.JobID != j.ID || m.Data.Action != reach.Delete || m.Data.RequestID != j.RequestID ||
		len(m.Data.Identifiers) != 1 || m.Data.Identifiers[0].Value != "ada@example.com" || !m.Data.DueAt.Equal(j.DueAt) ||
		m.Data.Callback.URL != publicBase+"/v1/callbacks/"+j.ID || len(m.Data.Callback.Token) != 43 {
		t.Fatalf("message %s", d.body)
	}
	told := f.job(j.ID)
	if told.Status != reach.Told || told.Attempts != 1 || !told.ToldAt.Equal(f.clock.Now()) || told.LastError != "" {
		t.Fatalf("after delivery: %+v", told)
	}
	// Delivered once: the stream's copy of the same insert does nothing.
	if err := f.svc.Deliver(ctx, j); err != nil || len(f.recv.got()) != 1 {
		t.Fatalf("second Deliver: %v, %d webhooks", err, len(f.recv.got()))
	}

	f.clock.Advance(3 * time.Minute)
	answered, err := f.callback(j.ID, reach.Answer{Token: m.Data.Callback.Token, Outcome: reach.Done, Note: "deleted"})
	if err != nil {
		t.Fatal(err)
	}
	stored := f.job(j.ID)
	for _, x := range []reach.Job{answered, stored} {
		if x.Status != reach.Answered || x.Outcome != reach.Done || x.AnsweredBy != "system" || x.Note != "deleted" ||
			!x.AnsweredAt.Equal(f.clock.Now()) || len(x.Identifiers) != 0 || !x.ToldAt.Equal(told.ToldAt) {
			t.Fatalf("answered job %+v", x)
		}
	}
	it := f.item(j.ID)
	// Kept 24 months from the answer as proof, without the identifiers.
	wantExpiry := deadline.AddMonths(f.clock.Now(), 24)
	if str(it, "retention") != "reach_job" || str(it, "expires_at") == "" || it["identifiers"] != nil || it["gsi2pk"] != nil || it["callback_hashes"] != nil {
		t.Fatalf("answered item %v", it)
	}
	if exp, err := time.Parse(time.RFC3339Nano, str(it, "expires_at")); err != nil || !exp.Equal(wantExpiry) {
		t.Fatalf("expires_at %s (%v), want %s", str(it, "expires_at"), err, wantExpiry)
	}
	// The same callback again, even signed anew: the token is spent.
	if _, err := f.callback(j.ID, reach.Answer{Token: m.Data.Callback.Token, Outcome: reach.Done}); !errors.Is(err, reach.ErrAnswered) || fault.KindOf(err) != fault.Gone {
		t.Fatalf("replayed callback: %v, want ErrAnswered", err)
	}
	if x := f.job(j.ID); x.Outcome != reach.Done || x.Note != "deleted" {
		t.Fatalf("replay changed the answer: %+v", x)
	}
}

func TestFailedDeliveryBacksOffAndRetries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	j := f.webhookJob()
	f.recv.setStatus(http.StatusServiceUnavailable)
	start := f.clock.Now()
	if err := f.svc.Deliver(ctx, j); err != nil {
		t.Fatal(err)
	}
	failed := f.job(j.ID)
	if failed.Status != reach.Queued || failed.Attempts != 1 || failed.LastError != "HTTP 503" || !failed.NextAttemptAt.Equal(start.Add(time.Minute)) {
		t.Fatalf("after a 503: %+v", failed)
	}
	// Before the backoff ends, nothing is tried.
	f.clock.Advance(59 * time.Second)
	if n, err := f.svc.Retry(ctx, 10); err != nil || n != 0 || len(f.recv.got()) != 1 {
		t.Fatalf("retry before the backoff: tried %d (%v), receiver got %d", n, err, len(f.recv.got()))
	}
	// Once it ends, the next attempt goes out; it fails again and waits longer.
	f.clock.Advance(time.Second)
	if n, err := f.svc.Retry(ctx, 10); err != nil || n != 1 || len(f.recv.got()) != 2 {
		t.Fatalf("retry after the backoff: tried %d (%v), receiver got %d", n, err, len(f.recv.got()))
	}
	if x := f.job(j.ID); x.Status != reach.Queued || x.Attempts != 2 || !x.NextAttemptAt.Equal(f.clock.Now().Add(5*time.Minute)) {
		t.Fatalf("after the second 503: %+v", x)
	}
	f.recv.setStatus(http.StatusOK)
	f.clock.Advance(5 * time.Minute)
	if n, err := f.svc.Retry(ctx, 10); err != nil || n != 1 {
		t.Fatalf("third attempt: tried %d (%v)", n, err)
	}
	got := f.recv.got()
	if len(got) != 3 {
		t.Fatalf("receiver got %d webhooks, want 3", len(got))
	}
	x := f.job(j.ID)
	if x.Status != reach.Told || x.Attempts != 3 || x.LastError != "" || !x.ToldAt.Equal(f.clock.Now()) {
		t.Fatalf("after delivery: %+v", x)
	}
	// Every attempt is the same message to the receiver (same webhook-id)
	// with its own token; the token of any attempt answers, once: a
	// receiver that took the first and dropped the repeats answers with
	// the first one's.
	for _, d := range got {
		if d.header.Get("webhook-id") != j.ID {
			t.Fatalf("attempt with webhook-id %s", d.header.Get("webhook-id"))
		}
	}
	if got[0].msg.Data.Callback.Token == got[2].msg.Data.Callback.Token {
		t.Fatal("a redelivery carries the old token")
	}
	if _, err := f.callback(j.ID, reach.Answer{Token: got[0].msg.Data.Callback.Token, Outcome: reach.Done}); err != nil {
		t.Fatalf("callback with the first delivery's token: %v", err)
	}
	if _, err := f.callback(j.ID, reach.Answer{Token: got[2].msg.Data.Callback.Token, Outcome: reach.NotFound}); !errors.Is(err, reach.ErrAnswered) {
		t.Fatalf("a second callback, with the latest token: %v, want ErrAnswered", err)
	}
	if x := f.job(j.ID); x.Outcome != reach.Done {
		t.Fatalf("the second callback changed the answer: %+v", x)
	}
	// Nothing left to retry.
	f.clock.Advance(48 * time.Hour)
	if n, err := f.svc.Retry(ctx, 10); err != nil || n != 0 {
		t.Fatalf("retry of an answered job: tried %d (%v)", n, err)
	}
}

func TestUnreachableReceiverIsRecordedWithoutItsBody(t *testing.T) {
	f := newFixture(t)
	j := f.webhookJob()
	f.recv.srv.Close()
	if err := f.svc.Deliver(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	if x := f.job(j.ID); x.Status != reach.Queued || x.LastError != "unreachable" || x.Attempts != 1 {
		t.Fatalf("after an unreachable receiver: %+v", x)
	}
}

func TestConcurrentDeliveriesDeliverOnce(t *testing.T) {
	f := newFixture(t)
	j := f.webhookJob()
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f.svc.Deliver(context.Background(), j) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(f.recv.got()); got != 1 {
		t.Fatalf("%d concurrent Deliver calls sent %d webhooks, want 1", n, got)
	}
	if x := f.job(j.ID); x.Attempts != 1 || x.Status != reach.Told {
		t.Fatalf("after concurrent deliveries: %+v", x)
	}
}

// A system may answer from inside its webhook handler, before the webhook's
// own response arrives: the job stays answered.
func TestCallbackBeforeTheWebhookReturns(t *testing.T) {
	f := newFixture(t)
	j := f.webhookJob()
	var cbErr error
	f.recv.onWebhook = func(d delivery) {
		_, cbErr = f.callback(d.msg.Data.JobID, reach.Answer{Token: d.msg.Data.Callback.Token, Outcome: reach.Done})
	}
	if err := f.svc.Deliver(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	if cbErr != nil {
		t.Fatalf("callback inside the webhook: %v", cbErr)
	}
	x := f.job(j.ID)
	if x.Status != reach.Answered || x.Outcome != reach.Done || x.ToldAt.IsZero() || len(x.Identifiers) != 0 {
		t.Fatalf("after a callback inside the webhook: %+v", x)
	}
	if it := f.item(j.ID); it["gsi2pk"] != nil {
		t.Fatalf("answered job still indexed as open: %v", it["gsi2pk"])
	}
}

func TestCallbackSignatureAndTiming(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	j := f.webhookJob()
	if err := f.svc.Deliver(ctx, j); err != nil {
		t.Fatal(err)
	}
	tok := f.recv.got()[0].msg.Data.Callback.Token
	good := reach.Answer{Token: tok, Outcome: reach.Done}
	now := f.clock.Now()

	badSig := func() (http.Header, []byte) { return signed(t, newSecret(t), now, good) }
	tampered := func() (http.Header, []byte) {
		h, _ := signed(t, f.secret, now, good)
		b, _ := json.Marshal(reach.Answer{Token: tok, Outcome: reach.NotFound})
		return h, b
	}
	unsigned := func() (http.Header, []byte) { b, _ := json.Marshal(good); return http.Header{}, b }
	at := func(d time.Duration) func() (http.Header, []byte) {
		return func() (http.Header, []byte) { return signed(t, f.secret, now.Add(d), good) }
	}
	answer := func(a reach.Answer) func() (http.Header, []byte) {
		return func() (http.Header, []byte) { return signed(t, f.secret, now, a) }
	}
	cases := []struct {
		name  string
		id    string
		req   func() (http.Header, []byte)
		kind  fault.Kind
		field string
	}{
		{"signed with another secret", j.ID, badSig, fault.Unauthorized, ""},
		{"body changed after signing", j.ID, tampered, fault.Unauthorized, ""},
		{"unsigned", j.ID, unsigned, fault.Unauthorized, ""},
		{"unknown job, well signed", f.ids.At(now), answer(good), fault.Unauthorized, ""},
		{"signed six minutes ago", j.ID, at(-6 * time.Minute), fault.Unauthorized, "webhook-timestamp"},
		{"signed six minutes ahead", j.ID, at(6 * time.Minute), fault.Unauthorized, "webhook-timestamp"},
		{"refused without a note", j.ID, answer(reach.Answer{Token: tok, Outcome: reach.Refused, Note: "  "}), fault.Invalid, "note"},
		{"unknown outcome", j.ID, answer(reach.Answer{Token: tok, Outcome: "deleted"}), fault.Invalid, "outcome"},
		{"no token", j.ID, answer(reach.Answer{Outcome: reach.Done}), fault.Invalid, "token"},
		{"a token that is not this job's", j.ID, answer(reach.Answer{Token: otherToken(tok), Outcome: reach.Done}), fault.Gone, ""},
	}
	for _, c := range cases {
		h, body := c.req()
		_, err := f.svc.Callback(ctx, c.id, h, body)
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Kind != c.kind {
			t.Errorf("%s: %v, want kind %d", c.name, err, c.kind)
			continue
		}
		if c.field != "" && (len(fe.Fields) == 0 || fe.Fields[0].Field != c.field) {
			t.Errorf("%s: fields %+v, want %s named", c.name, fe.Fields, c.field)
		}
		// A bad signature and an unknown job are the same answer.
		if c.kind == fault.Unauthorized && c.field == "" && err != reach.ErrSignature {
			t.Errorf("%s: %v, want ErrSignature itself", c.name, err)
		}
	}
	if x := f.job(j.ID); x.Status != reach.Told || len(x.Identifiers) != 1 {
		t.Fatalf("a refused callback changed the job: %+v", x)
	}
	// Within the tolerance, either way, is fine; a refusal with its reason
	// is an answer.
	h, body := at(-4 * time.Minute)()
	if _, err := f.svc.Callback(ctx, j.ID, h, body); err != nil {
		t.Fatalf("callback signed four minutes ago: %v", err)
	}
}

// otherToken changes the first character of tok to one it is not, so the
// result is never the token itself (a fixed "A" was, one time in 64).
func otherToken(tok string) string {
	if tok[0] == 'A' {
		return "B" + tok[1:]
	}
	return "A" + tok[1:]
}

func TestRefusalWithReasonIsAnAnswer(t *testing.T) {
	f := newFixture(t)
	j := f.webhookJob()
	if err := f.svc.Deliver(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	tok := f.recv.got()[0].msg.Data.Callback.Token
	x, err := f.callback(j.ID, reach.Answer{Token: tok, Outcome: reach.Refused, Note: "legal hold until 2027"})
	if err != nil || x.Outcome != reach.Refused || f.job(j.ID).Note != "legal hold until 2027" {
		t.Fatalf("refusal: %+v %v", x, err)
	}
}

func TestStaffResolveClosesTheJob(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	j := f.webhookJob()
	if err := f.svc.Deliver(ctx, j); err != nil {
		t.Fatal(err)
	}
	tok := f.recv.got()[0].msg.Data.Callback.Token
	if _, err := f.svc.Resolve(ctx, j.ID, reach.Refused, "", "staff:ada"); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("staff refusal without a note: %v, want Invalid", err)
	}
	x, err := f.svc.Resolve(ctx, j.ID, reach.Done, "deleted by hand in the console", "staff:ada")
	if err != nil || x.AnsweredBy != "staff:ada" || x.Status != reach.Answered {
		t.Fatalf("resolve: %+v %v", x, err)
	}
	if _, err := f.callback(j.ID, reach.Answer{Token: tok, Outcome: reach.NotFound}); !errors.Is(err, reach.ErrAnswered) {
		t.Fatalf("callback after staff resolved: %v, want ErrAnswered", err)
	}
	if _, err := f.svc.Resolve(ctx, j.ID, reach.NotFound, "", "staff:bob"); fault.KindOf(err) != fault.Conflict {
		t.Fatalf("second resolve: %v, want Conflict", err)
	}
	if s := f.job(j.ID); s.AnsweredBy != "staff:ada" || s.Outcome != reach.Done {
		t.Fatalf("stored %+v", s)
	}
	if _, err := f.svc.Resolve(ctx, f.ids.At(f.clock.Now()), reach.Done, "", "staff:ada"); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("resolve of an unknown job: %v, want NotFound", err)
	}
}

// A staff task is told when written; staff answer it, and a callback can
// never answer it (it has no secret or token).
func TestStaffTaskIsAnsweredByStaffOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	jobs := f.seed(request.Access)
	if len(jobs) != 2 || jobs[1].System != "hosting" || jobs[1].Status != reach.Told {
		t.Fatalf("access jobs = %+v", jobs)
	}
	task := jobs[1]
	if err := f.svc.Deliver(ctx, task); err != nil || len(f.recv.got()) != 0 {
		t.Fatalf("Deliver of a task: %v, %d webhooks", err, len(f.recv.got()))
	}
	if _, err := f.callback(task.ID, reach.Answer{Token: "x", Outcome: reach.Done}); err != reach.ErrSignature {
		t.Fatalf("callback for a task: %v, want ErrSignature", err)
	}
	if x, err := f.svc.Resolve(ctx, task.ID, reach.NotFound, "", "staff:ada"); err != nil || x.Outcome != reach.NotFound || !x.ToldAt.Equal(task.ToldAt) {
		t.Fatalf("resolve task: %+v %v", x, err)
	}
}

// A deliverer that dies after claiming an attempt holds the job only for
// the lease: then the schedule finds it due again.
func TestAbandonedClaimIsRetriedAfterTheLease(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	j := f.webhookJob()
	if _, err := f.jobs.Claim(ctx, j, f.clock.Now(), reach.Lease, "0000000000000000000000000000000000000000000000000000000000000000"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Deliver(ctx, j); err != nil || len(f.recv.got()) != 0 {
		t.Fatalf("Deliver while another holds the attempt: %v, %d webhooks", err, len(f.recv.got()))
	}
	f.clock.Advance(reach.Lease - time.Second)
	if n, err := f.svc.Retry(ctx, 10); err != nil || n != 0 {
		t.Fatalf("retry within the lease: tried %d (%v)", n, err)
	}
	f.clock.Advance(2 * time.Second)
	if n, err := f.svc.Retry(ctx, 10); err != nil || n != 1 || len(f.recv.got()) != 1 {
		t.Fatalf("retry after the lease: tried %d (%v), %d webhooks", n, err, len(f.recv.got()))
	}
	if x := f.job(j.ID); x.Status != reach.Told || x.Attempts != 2 {
		t.Fatalf("after the retry: %+v", x)
	}
}

// A system may act on a webhook it answered with an error: its callback
// still closes the job, and nothing is retried.
func TestCallbackAfterAFailedAttemptClosesTheJob(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	j := f.webhookJob()
	f.recv.setStatus(http.StatusInternalServerError)
	if err := f.svc.Deliver(ctx, j); err != nil {
		t.Fatal(err)
	}
	tok := f.recv.got()[0].msg.Data.Callback.Token
	if _, err := f.callback(j.ID, reach.Answer{Token: tok, Outcome: reach.Done}); err != nil {
		t.Fatalf("callback of a queued job: %v", err)
	}
	f.clock.Advance(time.Hour)
	if n, err := f.svc.Retry(ctx, 10); err != nil || n != 0 || len(f.recv.got()) != 1 {
		t.Fatalf("retry of the answered job: tried %d (%v), %d webhooks", n, err, len(f.recv.got()))
	}
	if x := f.job(j.ID); x.Status != reach.Answered || x.Attempts != 1 {
		t.Fatalf("after the callback: %+v", x)
	}
}

// Retry takes at most its batch, the earliest due first.
func TestRetryTakesAtMostItsBatch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for range 3 {
		f.webhookJob()
		f.clock.Advance(time.Millisecond)
	}
	if n, err := f.svc.Retry(ctx, 2); err != nil || n != 2 || len(f.recv.got()) != 2 {
		t.Fatalf("retry with a batch of 2: tried %d (%v), %d webhooks", n, err, len(f.recv.got()))
	}
	if n, err := f.svc.Retry(ctx, 2); err != nil || n != 1 || len(f.recv.got()) != 3 {
		t.Fatalf("second run: tried %d (%v), %d webhooks", n, err, len(f.recv.got()))
	}
}

// A webhook that never reaches its system is tried MaxAttempts times, then
// no more: it stays open and shows overdue, for staff to answer, and any of
// the tokens sent still answers it.
func TestDeliveryStopsAfterMaxAttempts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	j := f.webhookJob()
	f.recv.setStatus(http.StatusServiceUnavailable)
	for range reach.MaxAttempts + 2 {
		if _, err := f.svc.Retry(ctx, 10); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(25 * time.Hour)
	}
	got := f.recv.got()
	if len(got) != reach.MaxAttempts {
		t.Fatalf("%d attempts, want %d", len(got), reach.MaxAttempts)
	}
	x := f.job(j.ID)
	if x.Status != reach.Queued || x.Attempts != reach.MaxAttempts || !x.NextAttemptAt.Equal(reach.Parked) || len(x.CallbackHashes) != reach.MaxAttempts {
		t.Fatalf("after the last attempt: status %s, attempts %d, next %s, %d tokens", x.Status, x.Attempts, x.NextAttemptAt, len(x.CallbackHashes))
	}
	over, err := f.jobs.Overdue(ctx, f.clock.Now(), 10)
	if err != nil || len(over) != 1 || over[0].ID != j.ID {
		t.Fatalf("overdue: %+v (%v), want the parked job", over, err)
	}
	if _, err := f.callback(j.ID, reach.Answer{Token: got[3].msg.Data.Callback.Token, Outcome: reach.Done}); err != nil {
		t.Fatalf("callback with the fourth attempt's token: %v", err)
	}
}
