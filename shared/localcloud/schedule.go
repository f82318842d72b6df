package localcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/claritru/privacy/shared/topology"
)

// DefaultPrivacyTeamEmail receives the deadline digest locally when
// Options.PrivacyTeamEmail is empty; the SES stand-in's page shows it.
const DefaultPrivacyTeamEmail = "privacy-team@claritru.example"

// ScheduledHandler is the signature of a scheduled function's handler, with
// its result dropped (the handlers log what they did).
type ScheduledHandler func(ctx context.Context, event json.RawMessage) error

// Scheduled adapts a Lambda handler of a scheduled function, as its main
// passes it to lambda.Start, to a ScheduledHandler.
func Scheduled[R any](h func(context.Context, json.RawMessage) (R, error)) ScheduledHandler {
	return func(ctx context.Context, ev json.RawMessage) error {
		_, err := h(ctx, ev)
		return err
	}
}

// Scheduler invokes one scheduled function the way EventBridge Scheduler
// does, on a local interval instead of the cron expression: once when it
// starts, so a developer sees it act, then every Every until its context
// ends. A failed run is logged; the next tick runs it again.
type Scheduler struct {
	Function string
	// Job is sent in the event ("job") when set, as the stack's schedule
	// sends it (topology.Schedule.Job).
	Job     string
	Every   time.Duration
	Handler ScheduledHandler
	Log     *slog.Logger
}

// Run invokes the handler until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	if s.Every <= 0 {
		return
	}
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		s.invoke(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runBound bounds one scheduled run once the scheduler stops waiting for it.
const runBound = 30 * time.Second

// invoke sends the event the stack's schedule sends (its Input, with
// Scheduler's context attributes filled in), under a Lambda request id.
func (s *Scheduler) invoke(ctx context.Context, at time.Time) {
	id := newRequestID()
	in := map[string]string{
		"execution_id":   id,
		"scheduled_time": at.UTC().Format(time.RFC3339),
	}
	if s.Job != "" {
		in["job"] = s.Job
	}
	ev, _ := json.Marshal(in)
	// A run in flight when Stop cancels ctx finishes, bounded as a Lambda
	// invocation is: cut short, it would fail halfway through its queries
	// and log storage errors at every Ctrl-C of `make dev`.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), runBound)
	defer cancel()
	ictx := lambdacontext.NewContext(rctx, &lambdacontext.LambdaContext{AwsRequestID: id})
	if err := s.Handler(ictx, ev); err != nil && ctx.Err() == nil {
		s.Log.Error("scheduled run failed", "function", s.Function, "job", s.Job, "request_id", id, "error", err.Error())
	}
}

// scheduleEvery is the local interval of a schedule: its entry in
// Options.Schedules, else Options.ScheduleEvery when set (negative turns
// schedules off), else the topology's Every.
func scheduleEvery(o Options, sc topology.Schedule) time.Duration {
	if every, ok := o.Schedules[sc.Name()]; ok {
		return every
	}
	if o.ScheduleEvery != 0 {
		return o.ScheduleEvery
	}
	return sc.Every
}

// runSchedules starts a Scheduler for each topology schedule under ctx (the
// pollers' context, which Stop cancels) and makes Stop wait for them: a run
// in flight finishes before DynamoDB Local goes away.
func (c *Cloud) runSchedules(ctx context.Context, defs []topology.Schedule, handlers map[string]ScheduledHandler, o Options) error {
	var schedulers []*Scheduler
	for _, sc := range defs {
		h := handlers[sc.Function]
		if h == nil {
			return fmt.Errorf("schedule of %s has no local handler", sc.Function)
		}
		every := scheduleEvery(o, sc)
		if every == 0 {
			return fmt.Errorf("schedule %s has no local interval (topology Every)", sc.Name())
		}
		schedulers = append(schedulers, &Scheduler{Function: sc.Function, Job: sc.Job, Every: every, Handler: h, Log: o.Log})
	}
	var wg sync.WaitGroup
	for _, s := range schedulers {
		wg.Go(func() { s.Run(ctx) })
	}
	cancel := c.cancel
	c.cancel = func() {
		if cancel != nil {
			cancel()
		}
		wg.Wait()
	}
	return nil
}
