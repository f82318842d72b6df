package notifier_test

// Unit tests of the notifier on in-memory fakes (shared/notifier/notifiertest).
// They check the outbox guarantees of the README ("Guarantees the code
// keeps"): a mail is sent at most once per intent, a failed send is released
// and retried, never lost, an intent already sent is not sent again, and a
// busy claim is retried later. notifier_test.go checks the same against
// DynamoDB Local and the SES stand-in.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
	"github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/notifier/notifiertest"
)

var (
	errSESDown = errors.New("ses: connection refused")
	errStorage = errors.New("storage: throttled")
)

// t0 is when the tests' first invocation runs.
var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// unit is a notifier on fakes, with a clock the test moves.
type unit struct {
	n      *notifier.Notifier
	outbox *notifiertest.Outbox
	sender *notifiertest.Sender
	logs   *bytes.Buffer
	clock  time.Time
}

func newUnit(refs ...string) *unit {
	u := &unit{outbox: notifiertest.NewOutbox(refs...), sender: &notifiertest.Sender{}, logs: &bytes.Buffer{}, clock: t0}
	u.n = &notifier.Notifier{
		Outbox: u.outbox,
		Sender: u.sender,
		Footer: mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"},
		Log:    slog.New(slog.NewJSONHandler(u.logs, nil)),
		Now:    func() time.Time { return u.clock },
	}
	return u
}

// receipt is the intent of a request's receipt mail to `to`.
func receipt(id, to string) mail.Intent {
	return mail.Intent{ID: id, Template: mail.RequestReceived, To: to, Data: map[string]string{
		"first_name": "Ada", "request_id": "R-" + id, "types": "Know", "due_at": "1 January 2027",
	}}
}

// state returns where the intent stored under ref stands.
func (u *unit) state(t *testing.T, ref string) notifiertest.Entry {
	t.Helper()
	e, ok := u.outbox.Entry(ref)
	if !ok {
		t.Fatalf("the outbox holds no intent %q", ref)
	}
	return e
}

func TestUnitSendsAQueuedIntentAndMarksItSent(t *testing.T) {
	u := newUnit("ref-1")
	to := "ada@example.com"
	if err := u.n.Send(context.Background(), receipt("I1", to), "ref-1"); err != nil {
		t.Fatal(err)
	}
	got := u.sender.Delivered()
	if len(got) != 1 || got[0].To != to {
		t.Fatalf("delivered %+v, want one mail to %s", got, to)
	}
	m := got[0].Message
	if m.Subject != "We received your privacy request" || !strings.Contains(m.Text, "Hello Ada") ||
		!strings.Contains(m.Text, "R-I1") || !strings.Contains(m.HTML, "R-I1") {
		t.Errorf("the mail is not the rendered receipt: %+v", m)
	}
	e := u.state(t, "ref-1")
	if e.State != notifiertest.Sent || e.MessageID != got[0].MessageID || !e.SentAt.Equal(t0) {
		t.Errorf("outbox entry = %+v, want sent at %s with message id %q", e, t0, got[0].MessageID)
	}
}

func TestUnitARedeliveredIntentIsSentOnce(t *testing.T) {
	u := newUnit("ref-1")
	to := "ada@example.com"
	in := receipt("I1", to)
	// The stream may deliver a record more than once, at once or much later.
	for _, after := range []time.Duration{0, 0, time.Second, time.Hour, 30 * 24 * time.Hour} {
		u.clock = t0.Add(after)
		if err := u.n.Send(context.Background(), in, "ref-1"); err != nil {
			t.Fatalf("delivery %s later: %v", after, err)
		}
	}
	if n := len(u.sender.To(to)); n != 1 {
		t.Fatalf("%d mails sent for one intent, want 1", n)
	}
}

func TestUnitAnIntentAlreadySentIsNotSentAgain(t *testing.T) {
	ctx := context.Background()
	u := newUnit("ref-1")
	// Another invocation sent it before this record arrived.
	if c, err := u.outbox.Claim(ctx, "ref-1", t0); err != nil || c != mail.Claimed {
		t.Fatalf("Claim = %v, %v", c, err)
	}
	if err := u.outbox.MarkSent(ctx, "ref-1", "earlier-message", t0); err != nil {
		t.Fatal(err)
	}
	u.clock = t0.Add(time.Minute)
	if err := u.n.Send(ctx, receipt("I1", "ada@example.com"), "ref-1"); err != nil {
		t.Fatalf("a sent intent is nothing to retry, got %v", err)
	}
	if n := u.sender.Attempts(); n != 0 {
		t.Errorf("the sender was called %d times for a sent intent", n)
	}
	if e := u.state(t, "ref-1"); e.State != notifiertest.Sent || e.MessageID != "earlier-message" {
		t.Errorf("outbox entry = %+v, want it left as sent", e)
	}
}

func TestUnitAnIntentNoLongerStoredIsNotSent(t *testing.T) {
	// The record's intent was erased with its subject's data before the
	// stream delivered it: there is no one to send to, and nothing to retry.
	u := newUnit()
	if err := u.n.Send(context.Background(), receipt("I1", "ada@example.com"), "ref-gone"); err != nil {
		t.Fatalf("Send = %v, want nil", err)
	}
	if n := u.sender.Attempts(); n != 0 {
		t.Errorf("the sender was called %d times", n)
	}
}

func TestUnitAFailedSendIsReleasedAndRetriedNeverLost(t *testing.T) {
	ctx := context.Background()
	u := newUnit("ref-1")
	to := "ada@example.com"
	in := receipt("I1", to)
	u.sender.FailWith(errSESDown)
	for i := range 3 { // every retry of the stream while SES is down
		u.clock = t0.Add(time.Duration(i) * time.Second)
		err := u.n.Send(ctx, in, "ref-1")
		if err == nil {
			t.Fatalf("try %d: Send = nil while SES is down; the stream would not retry", i)
		}
		e := u.state(t, "ref-1")
		if e.State != notifiertest.Queued || !strings.Contains(e.LastError, errSESDown.Error()) {
			t.Fatalf("try %d: outbox entry = %+v, want it queued again with the reason", i, e)
		}
	}
	if n := len(u.sender.Delivered()); n != 0 {
		t.Fatalf("%d mails delivered while SES was down", n)
	}
	// SES is back: the next retry sends it, once.
	u.sender.FailWith(nil)
	u.clock = t0.Add(time.Minute)
	if err := u.n.Send(ctx, in, "ref-1"); err != nil {
		t.Fatal(err)
	}
	if err := u.n.Send(ctx, in, "ref-1"); err != nil {
		t.Fatal(err)
	}
	if n := len(u.sender.To(to)); n != 1 {
		t.Fatalf("%d mails after SES came back, want 1", n)
	}
	if e := u.state(t, "ref-1"); e.State != notifiertest.Sent {
		t.Errorf("outbox entry = %+v, want sent", e)
	}
}

func TestUnitABusyClaimIsRetriedLater(t *testing.T) {
	ctx := context.Background()
	u := newUnit("ref-1", "ref-2")
	to := "ada@example.com"

	// ref-1: another invocation holds a fresh claim and finishes.
	if c, _ := u.outbox.Claim(ctx, "ref-1", t0); c != mail.Claimed {
		t.Fatalf("Claim = %v", c)
	}
	u.clock = t0.Add(30 * time.Second)
	if err := u.n.Send(ctx, receipt("I1", to), "ref-1"); err == nil {
		t.Fatal("Send = nil while another invocation holds the claim; the record would not be retried")
	}
	if n := u.sender.Attempts(); n != 0 {
		t.Fatalf("the sender was called %d times while the intent was busy", n)
	}
	// The other invocation's claim is left alone: releasing it would let a
	// third invocation send the mail the second is sending.
	if e := u.state(t, "ref-1"); e.State != notifiertest.Sending || !e.ClaimedAt.Equal(t0) {
		t.Fatalf("outbox entry = %+v, want the other invocation's claim of %s untouched", e, t0)
	}
	if err := u.outbox.MarkSent(ctx, "ref-1", "theirs", u.clock); err != nil {
		t.Fatal(err)
	}
	u.clock = t0.Add(time.Minute)
	if err := u.n.Send(ctx, receipt("I1", to), "ref-1"); err != nil {
		t.Fatalf("retry after the other invocation sent it: %v", err)
	}
	if n := u.sender.Attempts(); n != 0 {
		t.Fatalf("the sender was called %d times for a mail another invocation sent", n)
	}

	// ref-2: the invocation holding the claim never finishes (it crashed
	// between claim and send). Within the lease the retry still waits; once
	// the lease has run out the retry takes the intent over and sends it.
	if c, _ := u.outbox.Claim(ctx, "ref-2", t0); c != mail.Claimed {
		t.Fatalf("Claim = %v", c)
	}
	u.clock = t0.Add(u.outbox.Lease - time.Second)
	if err := u.n.Send(ctx, receipt("I2", to), "ref-2"); err == nil {
		t.Fatal("Send = nil within the other invocation's lease")
	}
	u.clock = t0.Add(u.outbox.Lease + time.Second)
	if err := u.n.Send(ctx, receipt("I2", to), "ref-2"); err != nil {
		t.Fatalf("retry after the lease: %v", err)
	}
	if n := len(u.sender.To(to)); n != 1 {
		t.Fatalf("%d mails, want the crashed invocation's intent sent once", n)
	}
	if e := u.state(t, "ref-2"); e.State != notifiertest.Sent {
		t.Errorf("outbox entry = %+v, want sent", e)
	}
}

func TestUnitARecordDeliveredWhileItsMailIsBeingSentSendsNothingMore(t *testing.T) {
	ctx := context.Background()
	u := newUnit("ref-1")
	to := "ada@example.com"
	in := receipt("I1", to)
	var concurrent error
	calls := 0
	u.sender.OnSend = func(ctx context.Context, _ string) {
		calls++
		if calls == 1 {
			// A second invocation gets the same record while the first
			// is talking to SES.
			concurrent = u.n.Send(ctx, in, "ref-1")
		}
	}
	if err := u.n.Send(ctx, in, "ref-1"); err != nil {
		t.Fatal(err)
	}
	if concurrent == nil {
		t.Error("the concurrent invocation reported success without sending; it should be retried")
	}
	if n := len(u.sender.To(to)); n != 1 || calls != 1 {
		t.Fatalf("%d mails (%d sends), want 1", n, calls)
	}
	// Its retry finds the mail sent.
	if err := u.n.Send(ctx, in, "ref-1"); err != nil {
		t.Fatal(err)
	}
	if n := len(u.sender.To(to)); n != 1 {
		t.Fatalf("%d mails after the retry, want 1", n)
	}
}

func TestUnitAnUnrenderableIntentIsNotSentAndStaysQueued(t *testing.T) {
	u := newUnit("ref-1")
	in := receipt("I1", "ada@example.com")
	in.Template = "no_such_template"
	if err := u.n.Send(context.Background(), in, "ref-1"); err == nil {
		t.Fatal("Send = nil for a template that does not exist")
	}
	if n := u.sender.Attempts(); n != 0 {
		t.Errorf("the sender was called %d times", n)
	}
	// Not claimed and left claimed: it is not lost, nor locked for a lease.
	if e := u.state(t, "ref-1"); e.State != notifiertest.Queued {
		t.Errorf("outbox entry = %+v, want queued", e)
	}
}

func TestUnitAClaimThatFailsSendsNothingAndIsRetried(t *testing.T) {
	ctx := context.Background()
	u := newUnit("ref-1")
	to := "ada@example.com"
	u.outbox.FailClaim(errStorage)
	if err := u.n.Send(ctx, receipt("I1", to), "ref-1"); !errors.Is(err, errStorage) {
		t.Fatalf("Send = %v, want the storage error so the record is retried", err)
	}
	if n := u.sender.Attempts(); n != 0 {
		t.Fatalf("the sender was called %d times without a claim", n)
	}
	u.outbox.FailClaim(nil)
	if err := u.n.Send(ctx, receipt("I1", to), "ref-1"); err != nil {
		t.Fatal(err)
	}
	if n := len(u.sender.To(to)); n != 1 {
		t.Fatalf("%d mails after the retry, want 1", n)
	}
}

func TestUnitADeliveredMailIsNotReleasedWhenMarkingItSentFails(t *testing.T) {
	ctx := context.Background()
	u := newUnit("ref-1")
	to := "ada@example.com"
	in := receipt("I1", to)
	u.outbox.FailMarkSent(errStorage)
	if err := u.n.Send(ctx, in, "ref-1"); err == nil {
		t.Fatal("Send = nil though the outbox does not know the mail was sent")
	}
	if n := len(u.sender.To(to)); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
	// Queuing it again would send it a second time.
	if _, _, release := u.outbox.Calls(); release != 0 {
		t.Errorf("a delivered mail was released %d times", release)
	}
	if e := u.state(t, "ref-1"); e.State == notifiertest.Queued {
		t.Errorf("outbox entry = %+v: a delivered mail is queued again", e)
	}
	// The stream's retry within the claim's lease sends nothing more.
	u.outbox.FailMarkSent(nil)
	u.clock = t0.Add(10 * time.Second)
	_ = u.n.Send(ctx, in, "ref-1")
	if n := len(u.sender.To(to)); n != 1 {
		t.Fatalf("%d mails after the stream's retry, want 1", n)
	}
}

func TestUnitAFailedReleaseLeavesTheIntentToBeRetriedAfterTheLease(t *testing.T) {
	ctx := context.Background()
	u := newUnit("ref-1")
	to := "ada@example.com"
	in := receipt("I1", to)
	u.sender.FailWith(errSESDown)
	u.outbox.FailRelease(errStorage)
	if err := u.n.Send(ctx, in, "ref-1"); err == nil {
		t.Fatal("Send = nil for a mail that was not sent")
	}
	if !strings.Contains(u.logs.String(), "release failed") {
		t.Errorf("the failed release is not logged: %s", u.logs.String())
	}
	u.sender.FailWith(nil)
	u.outbox.FailRelease(nil)
	// The intent is still claimed by the failed invocation: a retry within
	// its lease waits, one after it sends the mail.
	u.clock = t0.Add(time.Second)
	if err := u.n.Send(ctx, in, "ref-1"); err == nil {
		t.Fatal("Send = nil within the failed invocation's lease")
	}
	u.clock = t0.Add(u.outbox.Lease + time.Second)
	if err := u.n.Send(ctx, in, "ref-1"); err != nil {
		t.Fatalf("retry after the lease: %v", err)
	}
	if n := len(u.sender.To(to)); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
}

func TestUnitLogsCarryNoAddressOrName(t *testing.T) {
	ctx := context.Background()
	u := newUnit("ref-1", "ref-2")
	if err := u.n.Send(ctx, receipt("I1", "ada@example.com"), "ref-1"); err != nil {
		t.Fatal(err)
	}
	u.sender.FailWith(errSESDown)
	u.outbox.FailRelease(errStorage)
	_ = u.n.Send(ctx, receipt("I2", "grace@example.com"), "ref-2")
	logs := u.logs.String()
	if !strings.Contains(logs, `"intent":"I1"`) || !strings.Contains(logs, `"intent":"I2"`) {
		t.Errorf("logs do not name the intents: %s", logs)
	}
	for _, personal := range []string{"ada@", "grace@", "example.com", "Ada"} {
		if strings.Contains(logs, personal) {
			t.Errorf("logs contain %q: %s", personal, logs)
		}
	}
}

// Capped mail beyond the recipient's daily cap is held, with its reason, and
// never sent; a retried intent counts once; mail without a recipient key
// (staff-caused) and another recipient are not held back; the next day the
// cap starts afresh.
func TestUnitHoldsCappedMailBeyondTheCap(t *testing.T) {
	refs := []string{"r1", "r2", "r3", "r4", "r5", "r6", "r7"}
	u := newUnit(refs...)
	ctx := context.Background()
	capped := func(id, key string) mail.Intent {
		in := receipt(id, "ada@example.com")
		in.RecipientKey = key
		return in
	}
	// A failed send is released and counts once when retried.
	u.sender.FailNext(errSESDown)
	if err := u.n.Send(ctx, capped("I1", "key-a"), "r1"); err == nil {
		t.Fatal("a failed send reported no error")
	}
	for i, ref := range refs[:4] {
		if err := u.n.Send(ctx, capped(fmt.Sprintf("I%d", i+1), "key-a"), ref); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(u.sender.Delivered()); got != mail.MaxConfirmationsPerDay {
		t.Fatalf("%d mails delivered to one recipient, want the cap %d", got, mail.MaxConfirmationsPerDay)
	}
	held := u.state(t, "r4")
	if held.State != notifiertest.Held || !strings.Contains(held.HeldReason, "per-recipient cap") {
		t.Fatalf("the fourth intent is %+v, want held with the cap as reason", held)
	}
	// Held is final: a redelivery neither sends nor errs.
	if err := u.n.Send(ctx, capped("I4", "key-a"), "r4"); err != nil || len(u.sender.Delivered()) != 3 {
		t.Fatalf("a held intent sent again (%v, %d delivered)", err, len(u.sender.Delivered()))
	}
	// Another recipient, and mail without a key, go out.
	if err := u.n.Send(ctx, capped("I5", "key-b"), "r5"); err != nil {
		t.Fatal(err)
	}
	if err := u.n.Send(ctx, receipt("I6", "ada@example.com"), "r6"); err != nil {
		t.Fatal(err)
	}
	u.clock = u.clock.Add(24 * time.Hour)
	if err := u.n.Send(ctx, capped("I7", "key-a"), "r7"); err != nil {
		t.Fatal(err)
	}
	if got := len(u.sender.Delivered()); got != 6 {
		t.Fatalf("%d mails delivered, want 6 (3 capped, another recipient, one uncapped, the next day's)", got)
	}
	if strings.Contains(u.logs.String(), "ada@example.com") {
		t.Error("a log line names the recipient")
	}
}

// A mail the provider refuses for good is marked failed with its code and
// the call succeeds, so the stream does not retry it; a redelivery of the
// record sends nothing and re-queueing (a re-drive) leaves it failed.
func TestUnitRejectedMailIsFinal(t *testing.T) {
	u := newUnit("ref-1")
	ctx := context.Background()
	u.sender.FailNext(fmt.Errorf("ses SendEmail: %w", &notifier.Rejected{Code: "MessageRejected"}))
	if err := u.n.Send(ctx, receipt("I1", "nobody@example.com"), "ref-1"); err != nil {
		t.Fatalf("Send = %v, want nil: a rejected mail is done", err)
	}
	e := u.state(t, "ref-1")
	if e.State != notifiertest.Failed || e.LastError != "MessageRejected" || !e.FailedAt.Equal(t0) {
		t.Fatalf("entry %+v, want failed with MessageRejected at %v", e, t0)
	}
	if _, _, release := u.outbox.Calls(); release != 0 {
		t.Errorf("a rejected mail was released %d times", release)
	}
	u.outbox.Queue("ref-1") // a re-drive finds nothing to put back
	u.clock = t0.Add(time.Hour)
	if err := u.n.Send(ctx, receipt("I1", "nobody@example.com"), "ref-1"); err != nil {
		t.Fatal(err)
	}
	if u.sender.Attempts() != 1 || len(u.sender.Delivered()) != 0 {
		t.Errorf("%d attempts, %d delivered; want the one refused attempt", u.sender.Attempts(), len(u.sender.Delivered()))
	}
	if strings.Contains(u.logs.String(), "nobody@example.com") || !strings.Contains(u.logs.String(), "MessageRejected") {
		t.Errorf("logs: want the code, never the address: %s", u.logs.String())
	}
}

// A failed marking that cannot be written is an error, so the stream
// retries the record: the claim lapses and the next try asks SES again.
func TestUnitRejectedButNotMarkedIsRetried(t *testing.T) {
	u := newUnit("ref-1")
	storage := errors.New("storage: unavailable")
	u.outbox.FailMarkFailed(storage)
	u.sender.FailNext(&notifier.Rejected{Code: "InvalidParameterValue"})
	if err := u.n.Send(context.Background(), receipt("I1", "bad@example.com"), "ref-1"); !errors.Is(err, storage) {
		t.Fatalf("Send = %v, want the storage error", err)
	}
}

// Each kind of receipt has its own count: consent receipts a stranger
// floods an address with do not hold back the receipt of a request filed
// for that address, which carries its verification link.
func TestUnitCapsCountEachKindApart(t *testing.T) {
	refs := []string{"c1", "c2", "c3", "c4", "r1"}
	u := newUnit(refs...)
	ctx := context.Background()
	for i, ref := range refs[:4] {
		in := mail.Intent{ID: fmt.Sprintf("C%d", i), Template: mail.ConsentReceipt, To: "ada@example.com", RecipientKey: "key-a",
			Data: map[string]string{"receipt_id": fmt.Sprintf("RC%d", i), "at": "1 January 2027, 10:00 UTC", "choices": "Email marketing: pending", "disclosure": "News by email."}}
		if err := u.n.Send(ctx, in, ref); err != nil {
			t.Fatal(err)
		}
	}
	if got := u.state(t, "c4"); got.State != notifiertest.Held {
		t.Fatalf("the fourth consent receipt is %+v, want held", got)
	}
	req := receipt("R1", "ada@example.com")
	req.RecipientKey = "key-a"
	if err := u.n.Send(ctx, req, "r1"); err != nil {
		t.Fatal(err)
	}
	if got := u.state(t, "r1"); got.State != notifiertest.Sent {
		t.Fatalf("the request receipt is %+v, want sent: consent receipts count apart", got)
	}
}
