package watch_test

// Unit tests of the watch on in-memory fakes: requests in
// shared/request/requesttest, the team's outbox and the re-drive as
// functions of the test, and the notifier on shared/notifier/notifiertest.
// They check the rules the watch keeps: the digest lists the open requests
// that are overdue or due within 7 days and goes to the team address,
// requests left unverified for 30 days expire and the person is told, and
// mail that outlived the stream's retries is re-driven and sent once.
// watch_test.go checks the same against DynamoDB Local.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
	"github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/notifier/notifiertest"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/request/requesttest"
	"github.com/claritru/privacy/shared/watch"
)

const day = 24 * time.Hour

// teamOutbox fakes the queueing of team mail (ddb.Outbox.Enqueue): it is
// idempotent on the intent id, so queueing the same intent again stores
// nothing more.
type teamOutbox struct {
	calls  []mail.Intent // every intent handed over
	stored []mail.Intent // the intents kept, one per id
	fail   error
}

func (o *teamOutbox) enqueue(_ context.Context, in mail.Intent) error {
	if o.fail != nil {
		return o.fail
	}
	o.calls = append(o.calls, in)
	for _, s := range o.stored {
		if s.ID == in.ID {
			return nil
		}
	}
	o.stored = append(o.stored, in)
	return nil
}

// unitWatch is a watch handler on fakes, with a clock the test moves.
type unitWatch struct {
	store *requesttest.Memory
	team  *teamOutbox
	h     *watch.Handler
	logs  *bytes.Buffer
	clock time.Time
}

func newUnitWatch(t *testing.T) *unitWatch {
	t.Helper()
	return newUnitWatchOn(t, requesttest.New(), nil)
}

// newUnitWatchOn builds the handler on store, read and written through
// wrap(store) when wrap is given.
func newUnitWatchOn(t *testing.T, store *requesttest.Memory, wrap request.Store) *unitWatch {
	t.Helper()
	w := &unitWatch{store: store, team: &teamOutbox{}, logs: &bytes.Buffer{}, clock: now}
	var s request.Store = store
	if wrap != nil {
		s = wrap
	}
	clock := func() time.Time { return w.clock }
	w.h = &watch.Handler{
		Requests:  request.NewService(s, request.Config{Now: clock}),
		Outbox:    w.team.enqueue,
		TeamEmail: team,
		Log:       slog.New(slog.NewJSONHandler(w.logs, nil)),
		Now:       clock,
	}
	return w
}

// put stores a request as intake would have, with its receipt mail:
// received at a time, due 45 days later unless due is given, in a status.
func (w *unitWatch) put(t *testing.T, id string, status request.Status, received, due time.Time) request.Request {
	t.Helper()
	if due.IsZero() {
		due = deadline.Due(deadline.CCPA, received)
	}
	r := request.Request{
		ID: id, Types: []request.Type{request.Access}, Status: status, Channel: request.Web,
		FirstName: "Grace", LastName: "Hopper-" + id, Email: strings.ToLower(id) + "@example.com",
		Country: "US", State: "CA", Regime: deadline.CCPA, ReceivedAt: received, DueAt: due,
		SubjectKey: "k-" + id, Version: 1,
	}
	err := w.store.Create(context.Background(), request.Creation{
		Request: r,
		Event:   request.Event{ID: id + "-e1", At: received, Action: "received", To: status, Actor: "requester"},
		Mail:    mail.Intent{ID: id + "-m1", Template: mail.RequestReceived, To: r.Email, Data: map[string]string{"request_id": id}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *unitWatch) get(t *testing.T, id string) request.Request {
	t.Helper()
	r, err := w.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// expiryMails returns the expiry notices queued for an address.
func (w *unitWatch) expiryMails(to string) []mail.Intent {
	var out []mail.Intent
	for _, m := range w.store.Mails() {
		if m.Template == mail.RequestExpired && m.To == to {
			out = append(out, m)
		}
	}
	return out
}

func TestUnitWatchExpiresRequestsUnverifiedFor30DaysAndTellsThePerson(t *testing.T) {
	w := newUnitWatch(t)
	old := w.put(t, "OLD", request.PendingVerification, now.Add(-30*day-time.Hour), time.Time{})
	recent := w.put(t, "RECENT", request.PendingVerification, now.Add(-30*day+time.Hour), time.Time{})
	// Verified in time: the 30 days no longer matter.
	verified := w.put(t, "VERIFIED", request.Verified, now.Add(-40*day), now.Add(20*day))

	rep, err := w.h.Handle(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Expired != 1 {
		t.Errorf("report says %d expired, want 1", rep.Expired)
	}

	got := w.get(t, "OLD")
	if got.Status != request.ExpiredUnverified || got.Status.Open() {
		t.Errorf("OLD is %s, want %s", got.Status, request.ExpiredUnverified)
	}
	if !got.ClosedAt.Equal(now) {
		t.Errorf("OLD closed at %s, want the run's time %s", got.ClosedAt, now)
	}
	told := w.expiryMails(old.Email)
	if len(told) != 1 {
		t.Fatalf("expiry mails to OLD = %+v, want one", told)
	}
	if told[0].ID == "" || told[0].Data["request_id"] != "OLD" {
		t.Errorf("expiry mail = %+v, want an intent id and the request's reference", told[0])
	}
	if _, err := mailrender.Render(told[0], mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"}); err != nil {
		t.Errorf("the notifier could not render the expiry mail: %v", err)
	}
	evs, err := w.store.Events(context.Background(), "OLD")
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.To != request.ExpiredUnverified || last.From != request.PendingVerification || last.Actor != "system" {
		t.Errorf("OLD's last audit event = %+v, want the system expiring it", last)
	}

	for _, r := range []request.Request{recent, verified} {
		if got := w.get(t, r.ID); got.Status != r.Status {
			t.Errorf("%s is %s, want it still %s", r.ID, got.Status, r.Status)
		}
		if m := w.expiryMails(r.Email); len(m) != 0 {
			t.Errorf("%s was told it expired: %+v", r.ID, m)
		}
	}

	// A retry of the run, or the next day's, does not expire OLD or tell
	// the person twice; RECENT expires once its 30 days are up.
	w.clock = now.Add(2 * time.Hour)
	rep, err = w.h.Handle(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Expired != 1 || w.get(t, "RECENT").Status != request.ExpiredUnverified {
		t.Errorf("second run: report %+v, RECENT %s; want RECENT expired", rep, w.get(t, "RECENT").Status)
	}
	if n := len(w.expiryMails(old.Email)); n != 1 {
		t.Errorf("OLD was told %d times, want once", n)
	}
	if n := len(w.expiryMails(recent.Email)); n != 1 {
		t.Errorf("RECENT was told %d times, want once", n)
	}
}

func TestUnitWatchExpiresAnErasedRequestWithoutMail(t *testing.T) {
	w := newUnitWatch(t)
	r := w.put(t, "ERASED", request.PendingVerification, now.Add(-31*day), time.Time{})
	// The person's data was erased meanwhile: no address is left.
	r.Email, r.FirstName, r.LastName, r.Version = "", "", "", 2
	if err := w.store.Update(context.Background(), request.Change{Request: r, FromVersion: 1, Event: request.Event{ID: "e2", Action: "erase"}}); err != nil {
		t.Fatal(err)
	}
	before := len(w.store.Mails())
	rep, err := w.h.Handle(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Expired != 1 || w.get(t, "ERASED").Status != request.ExpiredUnverified {
		t.Errorf("report %+v, status %s; want it expired", rep, w.get(t, "ERASED").Status)
	}
	if after := w.store.Mails(); len(after) != before {
		t.Errorf("mail queued for an erased request: %+v", after[before:])
	}
}

func TestUnitWatchDigestListsOverdueAndDueWithinAWeekToTheTeam(t *testing.T) {
	w := newUnitWatch(t)
	w.put(t, "LATE", request.InProgress, now.Add(-50*day), now.Add(-2*day))
	w.put(t, "LATEEXT", request.Extended, now.Add(-100*day), now.Add(-time.Hour))
	w.put(t, "SOON", request.Verified, now.Add(-42*day), now.Add(3*day))
	w.put(t, "OPTOUT", request.Received, now.Add(-14*day), now.Add(day))
	w.put(t, "EDGE", request.InProgress, now.Add(-38*day), now.Add(7*day-time.Hour))
	w.put(t, "LATER", request.Verified, now.Add(-10*day), now.Add(7*day+time.Hour))
	// Closed requests are not watched, however old their due date.
	w.put(t, "DONE", request.Completed, now.Add(-90*day), now.Add(-45*day))
	w.put(t, "DENIED", request.Denied, now.Add(-60*day), now.Add(-15*day))
	// Waiting for the person to verify: staff cannot act on it yet.
	w.put(t, "WAITING", request.PendingVerification, now.Add(-20*day), now.Add(2*day))

	rep, err := w.h.Handle(context.Background(), []byte(`{"execution_id":"e-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Overdue != 2 || rep.DueSoon != 3 || !rep.DigestQueued {
		t.Errorf("report = %+v, want 2 overdue, 3 due soon, digest queued", rep)
	}
	if len(w.team.stored) != 1 {
		t.Fatalf("team mail = %+v, want one digest", w.team.stored)
	}
	d := w.team.stored[0]
	if d.To != team || d.Template != mail.DeadlineDigest || d.ID == "" {
		t.Errorf("digest = %+v, want a %s mail with an id to %s", d, mail.DeadlineDigest, team)
	}
	listed := func(field string) map[string]bool {
		ids := map[string]bool{}
		for line := range strings.Lines(d.Data[field]) {
			if f := strings.Fields(line); len(f) > 0 {
				ids[f[0]] = true
			}
		}
		return ids
	}
	overdue, soon := listed("overdue"), listed("due_soon")
	for _, id := range []string{"LATE", "LATEEXT"} {
		if !overdue[id] || soon[id] {
			t.Errorf("%s: overdue %v, due soon %v; want it overdue only", id, overdue, soon)
		}
	}
	for _, id := range []string{"SOON", "OPTOUT", "EDGE"} {
		if !soon[id] || overdue[id] {
			t.Errorf("%s: overdue %v, due soon %v; want it due soon only", id, overdue, soon)
		}
	}
	if len(overdue) != 2 || len(soon) != 3 {
		t.Errorf("digest lists overdue %v and due soon %v; want LATE, LATEEXT and SOON, OPTOUT, EDGE only", overdue, soon)
	}
	if d.Data["overdue_count"] != "2" || d.Data["due_soon_count"] != "3" {
		t.Errorf("counts %s overdue, %s due soon; want 2 and 3", d.Data["overdue_count"], d.Data["due_soon_count"])
	}
	// The digest names requests, not the people who made them.
	for k, v := range d.Data {
		for _, personal := range []string{"@example.com", "Grace", "Hopper"} {
			if strings.Contains(v, personal) {
				t.Errorf("digest field %s contains %q: %s", k, personal, v)
			}
		}
	}
	msg, err := mailrender.Render(d, mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"})
	if err != nil {
		t.Fatalf("the notifier could not render the digest: %v", err)
	}
	if !strings.Contains(msg.Text, "LATE") || !strings.Contains(msg.Text, "EDGE") {
		t.Errorf("rendered digest lacks the requests:\n%s", msg.Text)
	}
}

func TestUnitWatchQueuesOneDigestADay(t *testing.T) {
	w := newUnitWatch(t)
	w.put(t, "LATE", request.InProgress, now.Add(-50*day), now.Add(-2*day))
	ctx := context.Background()
	// A run, its retry an hour later and the next day's run.
	for _, at := range []time.Time{now, now.Add(time.Hour), now.Add(day)} {
		w.clock = at
		if rep, err := w.h.Handle(ctx, nil); err != nil || !rep.DigestQueued {
			t.Fatalf("run at %s: %+v, %v", at, rep, err)
		}
	}
	if len(w.team.calls) != 3 {
		t.Fatalf("%d digests handed to the outbox, want one a run", len(w.team.calls))
	}
	if w.team.calls[0].ID != w.team.calls[1].ID {
		t.Errorf("two runs the same day queue different intents (%s, %s): the team would get two digests",
			w.team.calls[0].ID, w.team.calls[1].ID)
	}
	if len(w.team.stored) != 2 || w.team.calls[2].ID == w.team.calls[0].ID {
		t.Errorf("stored digests %+v, want one for each of the two days", w.team.stored)
	}
}

func TestUnitWatchWithNothingDueQueuesNoDigest(t *testing.T) {
	w := newUnitWatch(t)
	w.put(t, "RECENT", request.PendingVerification, now.Add(-29*day), time.Time{})
	w.put(t, "LATER", request.Verified, now.Add(-10*day), now.Add(35*day))
	w.put(t, "DONE", request.Completed, now.Add(-90*day), now.Add(-45*day))
	rep, err := w.h.Handle(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if rep != (watch.Report{}) {
		t.Errorf("report = %+v, want nothing done", rep)
	}
	if len(w.team.calls) != 0 {
		t.Errorf("digest queued with nothing due: %+v", w.team.calls)
	}
}

func TestUnitWatchWithoutTeamAddressStillExpires(t *testing.T) {
	w := newUnitWatch(t)
	w.h.TeamEmail = ""
	w.put(t, "OLD", request.PendingVerification, now.Add(-40*day), time.Time{})
	w.put(t, "LATE", request.Verified, now.Add(-50*day), now.Add(-5*day))
	rep, err := w.h.Handle(context.Background(), []byte(`not json`))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Expired != 1 || rep.Overdue != 1 || rep.DigestQueued {
		t.Errorf("report = %+v, want one expired, one overdue, no digest", rep)
	}
	if len(w.team.calls) != 0 {
		t.Errorf("digest queued without an address: %+v", w.team.calls)
	}
	if !strings.Contains(w.logs.String(), "no privacy team address") {
		t.Errorf("missing address not logged: %s", w.logs.String())
	}
}

// failingUpdates is the request store with every write failing.
type failingUpdates struct {
	*requesttest.Memory
	err error
}

func (s failingUpdates) Update(context.Context, request.Change) error { return s.err }

// failingWatchQueue is the request store failing to list any status but
// pending verification: the expiry works, the digest does not.
type failingWatchQueue struct {
	*requesttest.Memory
	err error
}

func (s failingWatchQueue) Queue(ctx context.Context, st request.Status, due time.Time, cursor string, limit int) ([]request.Request, string, error) {
	if st != request.PendingVerification {
		return nil, "", s.err
	}
	return s.Memory.Queue(ctx, st, due, cursor, limit)
}

func TestUnitWatchStepsFailIndependentlyAndTheRunIsRetried(t *testing.T) {
	errStore := errors.New("storage unavailable")
	ctx := context.Background()

	t.Run("expiry fails", func(t *testing.T) {
		mem := requesttest.New()
		w := newUnitWatchOn(t, mem, failingUpdates{mem, errStore})
		redriven := 0
		w.h.Redrive = func(context.Context, time.Time, int) (int, error) { redriven++; return 0, nil }
		w.put(t, "OLD", request.PendingVerification, now.Add(-40*day), time.Time{})
		w.put(t, "LATE", request.Verified, now.Add(-50*day), now.Add(-5*day))
		rep, err := w.h.Handle(ctx, nil)
		if !errors.Is(err, errStore) {
			t.Fatalf("Handle = %v, want the storage error so the run is retried", err)
		}
		if rep.Expired != 0 || !rep.DigestQueued || len(w.team.stored) != 1 || redriven != 1 {
			t.Errorf("report %+v, %d digests, %d re-drives; want the digest and the re-drive despite the failed expiry",
				rep, len(w.team.stored), redriven)
		}
	})

	t.Run("digest fails", func(t *testing.T) {
		mem := requesttest.New()
		w := newUnitWatchOn(t, mem, failingWatchQueue{mem, errStore})
		redriven := 0
		w.h.Redrive = func(context.Context, time.Time, int) (int, error) { redriven++; return 0, nil }
		w.put(t, "OLD", request.PendingVerification, now.Add(-40*day), time.Time{})
		rep, err := w.h.Handle(ctx, nil)
		if !errors.Is(err, errStore) {
			t.Fatalf("Handle = %v, want the storage error so the run is retried", err)
		}
		if rep.Expired != 1 || rep.DigestQueued || redriven != 1 {
			t.Errorf("report %+v, %d re-drives; want the expiry and the re-drive despite the failed digest", rep, redriven)
		}
	})

	t.Run("queueing the digest fails", func(t *testing.T) {
		w := newUnitWatch(t)
		w.team.fail = errStore
		w.put(t, "LATE", request.Verified, now.Add(-50*day), now.Add(-5*day))
		rep, err := w.h.Handle(ctx, nil)
		if !errors.Is(err, errStore) {
			t.Fatalf("Handle = %v, want the outbox's error so the run is retried", err)
		}
		if rep.DigestQueued {
			t.Errorf("report %+v says the digest was queued", rep)
		}
	})

	t.Run("re-drive fails", func(t *testing.T) {
		w := newUnitWatch(t)
		w.h.Redrive = func(context.Context, time.Time, int) (int, error) { return 2, errStore }
		w.put(t, "OLD", request.PendingVerification, now.Add(-40*day), time.Time{})
		rep, err := w.h.Handle(ctx, nil)
		if !errors.Is(err, errStore) {
			t.Fatalf("Handle = %v, want the re-drive's error so the run is retried", err)
		}
		if rep.Expired != 1 || rep.Redriven != 2 {
			t.Errorf("report %+v, want the expiry and the two intents re-driven before the failure", rep)
		}
	})
}

// streamedIntent is one mail intent of the fake table: queued at a time and
// handed to the notifier the way the stream would.
type streamedIntent struct {
	in       mail.Intent
	ref      string
	queuedAt time.Time
}

func TestUnitWatchRedrivesMailThatOutlivedTheStreamRetriesAndItIsSentOnce(t *testing.T) {
	ctx := context.Background()
	w := newUnitWatch(t)
	outbox := notifiertest.NewOutbox()
	sender := &notifiertest.Sender{}
	n := &notifier.Notifier{Outbox: outbox, Sender: sender, Footer: mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"}, Log: slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil)),
		Now: func() time.Time { return w.clock }}
	intent := func(id, to string) mail.Intent {
		return mail.Intent{ID: id, Template: mail.RequestReceived, To: to, Data: map[string]string{
			"first_name": "Ada", "request_id": id, "types": "Know", "due_at": "1 January 2027",
		}}
	}
	// STUCK was queued an hour ago while SES was down: the stream tried,
	// gave up, and the intent is still unsent. FRESH was queued a minute
	// ago; its stream delivery has failed once and is still being retried.
	intents := []streamedIntent{
		{intent("STUCK", "stuck@example.com"), "ref-stuck", now.Add(-time.Hour)},
		{intent("FRESH", "fresh@example.com"), "ref-fresh", now.Add(-time.Minute)},
	}
	sender.FailWith(errors.New("ses down"))
	for _, s := range intents {
		outbox.Queue(s.ref)
		w.clock = s.queuedAt
		if err := n.Send(ctx, s.in, s.ref); err == nil {
			t.Fatal("sent while SES was down")
		}
	}
	if n := sender.Attempts(); n != 2 {
		t.Fatalf("the sender was tried %d times, want once for each intent", n)
	}
	sender.FailWith(nil)
	w.clock = now

	// The fake of ddb.Outbox.RedriveStale: every unsent intent queued
	// before olderThan goes back on the stream, which hands it to the
	// notifier.
	var olderThans []time.Time
	w.h.Redrive = func(ctx context.Context, olderThan time.Time, limit int) (int, error) {
		olderThans = append(olderThans, olderThan)
		count := 0
		for _, s := range intents {
			if e, _ := outbox.Entry(s.ref); e.State == notifiertest.Sent || !s.queuedAt.Before(olderThan) || count == limit {
				continue
			}
			count++
			if err := n.Send(ctx, s.in, s.ref); err != nil {
				return count, err
			}
		}
		return count, nil
	}

	rep, err := w.h.Handle(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Redriven != 1 {
		t.Errorf("report says %d re-driven, want 1", rep.Redriven)
	}
	if got := sender.To("stuck@example.com"); len(got) != 1 {
		t.Errorf("%d mails for the stuck intent after the re-drive, want 1", len(got))
	}
	// The fresh intent is still the stream's to retry.
	if got := sender.To("fresh@example.com"); len(got) != 0 {
		t.Errorf("an intent within the stream's retries was re-driven: %+v", got)
	}
	if len(olderThans) != 1 || olderThans[0].After(now.Add(-5*time.Minute)) {
		t.Errorf("re-drive asked for intents older than %v; want only intents well past the stream's retries", olderThans)
	}

	// The next run re-drives nothing sent: the stuck mail is not sent twice.
	w.clock = now.Add(day)
	rep, err = w.h.Handle(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := sender.To("stuck@example.com"); len(got) != 1 {
		t.Errorf("%d mails for the stuck intent after a second run, want 1", len(got))
	}
	// By then the fresh intent outlived the stream's retries too, and is
	// re-driven and sent once.
	if rep.Redriven != 1 || len(sender.To("fresh@example.com")) != 1 {
		t.Errorf("second run: report %+v, %d mails to fresh; want it re-driven and sent once", rep, len(sender.To("fresh@example.com")))
	}
}

func TestUnitWatchWithoutRedriveSkipsIt(t *testing.T) {
	w := newUnitWatch(t)
	w.h.Redrive = nil
	rep, err := w.h.Handle(context.Background(), nil)
	if err != nil || rep.Redriven != 0 {
		t.Fatalf("Handle = %+v, %v", rep, err)
	}
}

func TestUnitWatchLogsCountsNotPeople(t *testing.T) {
	w := newUnitWatch(t)
	w.put(t, "OLD", request.PendingVerification, now.Add(-31*day), time.Time{})
	w.put(t, "LATE", request.InProgress, now.Add(-50*day), now.Add(-2*day))
	if _, err := w.h.Handle(context.Background(), []byte(`{"execution_id":"e-7"}`)); err != nil {
		t.Fatal(err)
	}
	logs := w.logs.String()
	if !strings.Contains(logs, `"expired":1`) || !strings.Contains(logs, `"overdue":1`) || !strings.Contains(logs, `"e-7"`) {
		t.Errorf("logs lack the counts or the execution: %s", logs)
	}
	for _, personal := range []string{"@example.com", "Grace", "Hopper", team} {
		if strings.Contains(logs, personal) {
			t.Errorf("logs contain %q: %s", personal, logs)
		}
	}
}

// The re-drive schedule's run (job "redrive") re-drives unsent mail past
// StaleAfter and does nothing else: no expiry, no digest.
func TestUnitRedriveJobRunsOnlyTheRedrive(t *testing.T) {
	w := newUnitWatch(t)
	w.put(t, "OLD", request.PendingVerification, now.Add(-40*day), time.Time{})
	w.put(t, "LATE", request.Verified, now.Add(-50*day), now.Add(-5*day))
	var olderThans []time.Time
	w.h.Redrive = func(_ context.Context, olderThan time.Time, _ int) (int, error) {
		olderThans = append(olderThans, olderThan)
		return 3, nil
	}
	w.h.StaleAfter = 10 * time.Second
	rep, err := w.h.Handle(context.Background(), []byte(`{"job":"redrive","execution_id":"e-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	if rep != (watch.Report{Redriven: 3}) {
		t.Errorf("report %+v, want only the three re-driven", rep)
	}
	if len(olderThans) != 1 || !olderThans[0].Equal(now.Add(-10*time.Second)) {
		t.Errorf("re-drive asked for intents older than %v, want %v", olderThans, now.Add(-10*time.Second))
	}
	if r, _ := w.store.Get(context.Background(), "OLD"); r.Status != request.PendingVerification {
		t.Errorf("the re-drive job expired a request: %s", r.Status)
	}
	if len(w.team.stored) != 0 {
		t.Errorf("the re-drive job queued %d digests", len(w.team.stored))
	}
	// The daily run still re-drives too, at the default age.
	w.h.StaleAfter = 0
	if rep, err := w.h.Handle(context.Background(), nil); err != nil || rep.Expired != 1 || len(olderThans) != 2 ||
		!olderThans[1].Equal(now.Add(-watch.StaleMail)) {
		t.Errorf("daily run: %+v, %v, re-drives %v", rep, err, olderThans)
	}
}

func TestUnitUnknownJobFails(t *testing.T) {
	w := newUnitWatch(t)
	w.put(t, "OLD", request.PendingVerification, now.Add(-40*day), time.Time{})
	if _, err := w.h.Handle(context.Background(), []byte(`{"job":"sweep"}`)); err == nil {
		t.Fatal("an unknown job ran")
	}
	if r, _ := w.store.Get(context.Background(), "OLD"); r.Status != request.PendingVerification {
		t.Errorf("an unknown job expired a request: %s", r.Status)
	}
	w.h.Redrive = nil
	if _, err := w.h.Handle(context.Background(), []byte(`{"job":"redrive"}`)); err == nil {
		t.Error("the re-drive job without a re-drive succeeded")
	}
}
