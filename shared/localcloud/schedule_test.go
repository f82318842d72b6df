package localcloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
)

// runs records the invocations of a scheduled handler.
type runs struct {
	mu     sync.Mutex
	events []map[string]string
	ids    []string
}

func (r *runs) handle(ctx context.Context, ev json.RawMessage) error {
	var m map[string]string
	if err := json.Unmarshal(ev, &m); err != nil {
		return err
	}
	lc, _ := lambdacontext.FromContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, m)
	if lc != nil {
		r.ids = append(r.ids, lc.AwsRequestID)
	}
	return nil
}

func (r *runs) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func TestScheduleRunsAtStartThenEveryInterval(t *testing.T) {
	var r runs
	s := &localcloud.Scheduler{Function: "watch", Every: 50 * time.Millisecond, Handler: r.handle, Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()

	deadline := time.Now().Add(5 * time.Second)
	for r.count() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the scheduler did not stop with its context")
	}
	n := r.count()
	if n < 3 {
		t.Fatalf("%d runs, want one at start and more every interval", n)
	}
	time.Sleep(150 * time.Millisecond)
	if r.count() != n {
		t.Error("the scheduler ran after it was stopped")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ids) != n || r.ids[0] == "" || r.ids[0] == r.ids[1] {
		t.Errorf("request ids %v, want a fresh one per run", r.ids)
	}
	if ev := r.events[0]; ev["execution_id"] == "" || ev["scheduled_time"] == "" {
		t.Errorf("event %v, want the schedule's execution_id and scheduled_time", ev)
	}
}

// A schedule with a job sends it, as the stack's schedule puts it in its
// input; one without sends none.
func TestScheduleSendsItsJob(t *testing.T) {
	for _, job := range []string{"redrive", ""} {
		var r runs
		s := &localcloud.Scheduler{Function: "watch", Job: job, Every: time.Hour, Handler: r.handle, Log: slog.New(slog.DiscardHandler)}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		for deadline := time.Now().Add(5 * time.Second); r.count() == 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
		r.mu.Lock()
		got, ok := "", len(r.events) > 0
		if ok {
			got = r.events[0]["job"]
		}
		r.mu.Unlock()
		if !ok || got != job {
			t.Errorf("job %q: first event %v (ran %v), want job %q", job, got, ok, job)
		}
	}
}

// A run in flight when the scheduler stops finishes with its context
// intact: cut short it would fail halfway and log errors at every Ctrl-C.
func TestScheduleLetsARunInFlightFinish(t *testing.T) {
	started := make(chan struct{})
	var runErr error
	h := func(ctx context.Context, _ json.RawMessage) error {
		close(started) // once: the next run is an hour away
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
		runErr = ctx.Err()
		return nil
	}
	s := &localcloud.Scheduler{Function: "watch", Every: time.Hour, Handler: h, Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	<-started
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the scheduler did not stop after its run")
	}
	if runErr != nil {
		t.Fatalf("the run in flight saw %v when the scheduler stopped, want its context intact", runErr)
	}
}

func TestScheduleOffWhenNegative(t *testing.T) {
	var r runs
	s := &localcloud.Scheduler{Function: "watch", Every: -1, Handler: r.handle, Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.Run(ctx) // returns at once
	if ctx.Err() != nil {
		t.Error("a schedule that is off waited for its context")
	}
	if r.count() != 0 {
		t.Errorf("%d runs of a schedule that is off", r.count())
	}
}

// TestScheduleRunsTheWatchLocally: the local cloud runs the topology's
// schedule with the same handler the watch function runs; its digest goes
// through the outbox, the stream poller and the notifier to the SES
// stand-in, to the team address.
func TestScheduleRunsTheWatchLocally(t *testing.T) {
	root, err := localcloud.Root()
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const team = "team@local.example"
	cloud, err := localcloud.Start(ctx, localcloud.Options{
		Root:             root,
		Table:            "schedule",
		Pepper:           bytes.Repeat([]byte("p"), 32),
		AdminToken:       adminToken,
		PrivacyTeamEmail: team,
		ScheduleEvery:    300 * time.Millisecond,
		Log:              slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cloud.Stop)

	// An overdue request appears after the first run.
	now := time.Now().UTC().Truncate(time.Millisecond)
	r := request.Request{
		ID: "OVERDUE1", Types: []request.Type{request.Know}, Status: request.Verified, Channel: request.Web,
		FirstName: "Lin", LastName: "Local", Email: "lin@example.com", Regime: deadline.CCPA,
		ReceivedAt: now.AddDate(0, 0, -50), DueAt: now.AddDate(0, 0, -5), SubjectKey: "k", Version: 1,
	}
	store := ddb.NewRequests(cloud.Settings.DynamoDB(), cloud.Settings.Table)
	if err := store.Create(ctx, request.Creation{
		Request: r,
		Event:   request.Event{ID: "E1", At: r.ReceivedAt, Action: "received", To: r.Status, Actor: "staff"},
		Mail:    mail.Intent{ID: "M1", Template: mail.RequestReceived, To: r.Email, Data: map[string]string{"request_id": r.ID}},
	}); err != nil {
		t.Fatal(err)
	}

	m := waitForMail(t, cloud.SES.Endpoint, team, "Privacy requests due soon")
	if !strings.Contains(m.Body.Text, r.ID) {
		t.Errorf("digest does not list %s:\n%s", r.ID, m.Body.Text)
	}
	if !strings.Contains(logs.String(), `"function":"watch"`) {
		t.Errorf("no log of the watch: %s", logs.String())
	}
}
