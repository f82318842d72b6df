// Package watch is the scheduled adapter of the daily deadline watch: it
// closes requests left unverified for 30 days (the person is told) and mails
// the privacy team a digest of open requests that are overdue or due within a
// week, of the ad platforms behind on opt-outs, and of the jobs of the
// company's systems overdue. The rules live in shared/request, shared/feed
// and shared/reach; this package only runs them in order and reports what
// they did.
package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/feed"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/policy"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/topology"
)

// Report is what one run did. It holds counts only, no personal data, so it
// can be logged and returned as the invocation's result.
type Report struct {
	Expired      int  `json:"expired"`
	Overdue      int  `json:"overdue"`
	DueSoon      int  `json:"due_soon"`
	DigestQueued bool `json:"digest_queued"`
	// AdPlatformsLate counts the ad platforms behind on opt-outs.
	AdPlatformsLate int `json:"ad_platforms_late"`
	// Redriven counts mail intents put back on the stream because they
	// outlived its retries unsent.
	Redriven int `json:"redriven"`
	// JobsOverdue counts the jobs of the company's systems overdue.
	JobsOverdue int `json:"jobs_overdue"`
	// PolicyNotices is what a run of the policy notice job did.
	PolicyNotices *policy.NoticeReport `json:"policy_notices,omitempty"`
}

// StaleMail is how long an intent may stay unsent before the watch puts it
// back on the stream: past the stream's own retries (five, within about a
// minute of queueing), so a re-drive mostly finds what the stream gave up
// on. One that the stream is still retrying is safe to re-drive too: the
// notifier's claim lets only one send through.
const StaleMail = 5 * time.Minute

// Handler runs the watch. EventBridge Scheduler invokes it once a day for
// the whole watch, and every few minutes for the mail re-drive alone (the
// topology's schedule with Job topology.JobRedrive); the local runner on the
// topology's intervals.
type Handler struct {
	Requests *request.Service
	// Outbox queues a mail that belongs to no single record
	// (ddb.Outbox.Enqueue); the notifier sends it from the stream.
	Outbox func(context.Context, mail.Intent) error
	// Redrive puts unsent mail older than a time back on the stream
	// (ddb.Outbox.RedriveStale): the stream gives a record up after its
	// last retry, so without this a mail would be lost when SES was down
	// longer than the stream retried (README, "Guarantees the code keeps":
	// a failed send is retried, never lost). Nil skips it.
	Redrive func(ctx context.Context, olderThan time.Time, limit int) (int, error)
	// StaleAfter is how long an intent stays unsent before it is
	// re-driven; zero is StaleMail.
	StaleAfter time.Duration
	// Platforms finds the ad platforms behind on opt-outs
	// (feed.Service.Behind); nil leaves them out of the digest.
	Platforms Platforms
	// Jobs finds the jobs of the company's systems still unanswered past
	// their due date (ddb.Jobs.Overdue); nil leaves them out of the digest.
	Jobs OverdueJobs
	// Notices sends the notices of material privacy policy changes, a
	// paced batch per run of the topology.JobPolicyNotices schedule; nil
	// refuses that job.
	Notices *policy.Notifier
	// TeamEmail receives the digest.
	TeamEmail string
	// Zone is the company's time zone: the digest shows its dates there.
	// The zero Zone is deadline.DefaultZone.
	Zone deadline.Zone
	Log  *slog.Logger
	// Now is the clock that names the day of a digest; nil is time.Now.
	Now func() time.Time
}

// Platforms finds the ad platforms that have not taken every opt-out
// within the opt-out deadline.
type Platforms interface {
	Behind(ctx context.Context) ([]feed.Lag, error)
}

// OverdueJobs finds the open jobs due before at, at most limit.
type OverdueJobs interface {
	Overdue(ctx context.Context, at time.Time, limit int) ([]reach.Job, error)
}

// trigger is what the schedule sends (its Input); every field is optional.
// Job picks the run: empty for the whole watch, topology.JobRedrive for the
// mail re-drive alone; the rest only labels the log.
type trigger struct {
	Job           string `json:"job"`
	ExecutionID   string `json:"execution_id"`
	ScheduledTime string `json:"scheduled_time"`
}

// Handle runs one watch. Expiry and the digest are independent: a failure of
// one does not keep the other from running, and the error is returned so
// Lambda retries the run (Scheduler invokes asynchronously; infra/schedule.go)
// and, failing that, reports it to the schedule's dead-letter queue. Both are
// safe to repeat: an expired request is no longer pending, and the digest has
// one intent id per day, so a retry queues no second mail.
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (Report, error) {
	var tr trigger
	if len(event) > 0 {
		// The trigger only labels the log; a malformed one is no reason
		// to skip the watch.
		_ = json.Unmarshal(event, &tr)
	}
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("execution_id", tr.ExecutionID, "scheduled_time", tr.ScheduledTime)
	switch tr.Job {
	case "":
	case topology.JobRedrive:
		return h.redriveOnly(ctx, log)
	case topology.JobPolicyNotices:
		return h.policyNotices(ctx, log)
	default:
		// A schedule asking for a job this handler does not know is a
		// deployment error: failing sends it to the dead-letter queue.
		return Report{}, fmt.Errorf("unknown watch job %q", tr.Job)
	}

	var rep Report
	var errs []error
	n, err := h.Requests.ExpireUnverified(ctx)
	rep.Expired = n
	if err != nil {
		log.ErrorContext(ctx, "expiry of unverified requests failed", "expired", n, "error", err.Error())
		errs = append(errs, fmt.Errorf("expire unverified: %w", err))
	}

	if h.TeamEmail == "" {
		log.WarnContext(ctx, "no privacy team address is configured; the digest is not mailed")
	}
	late, err := h.behind(ctx)
	rep.AdPlatformsLate = len(late)
	if err != nil {
		log.ErrorContext(ctx, "ad platform lag failed", "error", err.Error())
		errs = append(errs, fmt.Errorf("ad platform lag: %w", err))
	}
	overdueJobs, err := h.overdueJobs(ctx)
	rep.JobsOverdue = len(overdueJobs)
	if err != nil {
		log.ErrorContext(ctx, "overdue jobs failed", "error", err.Error())
		errs = append(errs, fmt.Errorf("overdue jobs: %w", err))
	}
	day := h.now().UTC().Format("20060102")
	queue := func(ctx context.Context, in mail.Intent) error {
		// One digest per day: a retried or repeated run the same day
		// finds its intent already queued.
		in.ID = "digest-" + day
		addLate(&in, late, h.Zone)
		addOverdueJobs(&in, overdueJobs, h.Zone)
		return h.Outbox(ctx, in)
	}
	d, queued, err := h.Requests.Watch(ctx, h.TeamEmail, queue)
	if err == nil && !queued && (len(late) > 0 || len(overdueJobs) > 0) && h.TeamEmail != "" {
		// No request to list, but a platform or a system to chase: the
		// digest goes out with those sections alone.
		err = queue(ctx, mail.Intent{Template: mail.DeadlineDigest, To: h.TeamEmail, Data: map[string]string{
			"date": h.Zone.Day(h.now()), "overdue_count": "0", "due_soon_count": "0",
		}})
		queued = err == nil
	}
	rep.Overdue, rep.DueSoon, rep.DigestQueued = len(d.Overdue), len(d.DueSoon), queued
	if err != nil {
		log.ErrorContext(ctx, "deadline watch failed", "error", err.Error())
		errs = append(errs, fmt.Errorf("deadline watch: %w", err))
	}

	if h.Redrive != nil {
		n, err := h.redrive(ctx, log)
		rep.Redriven = n
		if err != nil {
			errs = append(errs, err)
		}
	}

	// Counts only: no id, address or name of a requester.
	log.InfoContext(ctx, "watch done",
		"expired", rep.Expired, "overdue", rep.Overdue, "due_soon", rep.DueSoon, "digest_queued", rep.DigestQueued,
		"redriven", rep.Redriven, "ad_platforms_late", rep.AdPlatformsLate, "jobs_overdue", rep.JobsOverdue)
	return rep, errors.Join(errs...)
}

// digestJobs bounds the overdue jobs one digest lists, the earliest due
// first; GET /v1/admin/jobs?status=overdue lists them all.
const digestJobs = 100

// overdueJobs returns the jobs overdue now, none when no Jobs is wired.
func (h *Handler) overdueJobs(ctx context.Context) ([]reach.Job, error) {
	if h.Jobs == nil {
		return nil, nil
	}
	return h.Jobs.Overdue(ctx, h.now().UTC(), digestJobs)
}

// addOverdueJobs adds the section "jobs overdue" to the digest: each job's
// id, system, action, request and due date; nothing that names or matches
// a person (the identifiers the system was told stay on the job).
func addOverdueJobs(in *mail.Intent, jobs []reach.Job, zone deadline.Zone) {
	if len(jobs) == 0 {
		return
	}
	lines := make([]string, 0, len(jobs))
	for _, j := range jobs {
		req := j.RequestID
		if req == "" {
			req = "no request (opt-out)"
		}
		lines = append(lines, fmt.Sprintf("%s  %s  %s  request %s  due %s", j.ID, j.System, j.Action, req, zone.ISODay(j.DueAt)))
	}
	data := maps.Clone(in.Data)
	if data == nil {
		data = map[string]string{}
	}
	data["jobs_overdue"], data["jobs_overdue_count"] = strings.Join(lines, "\n"), fmt.Sprint(len(lines))
	in.Data = data
}

// behind returns the late ad platforms, none when no Platforms is wired.
func (h *Handler) behind(ctx context.Context) ([]feed.Lag, error) {
	if h.Platforms == nil {
		return nil, nil
	}
	return h.Platforms.Behind(ctx)
}

// addLate adds the section "ad platforms behind on opt-outs" to the
// digest: each platform's id, the version it took and the date of the
// oldest opt-out it has not; nothing that names or matches a person.
func addLate(in *mail.Intent, late []feed.Lag, zone deadline.Zone) {
	if len(late) == 0 {
		return
	}
	var lines []string
	for _, l := range late {
		taken := l.Taken
		if taken == "" {
			taken = "nothing yet"
		}
		lines = append(lines, fmt.Sprintf("%s  took %s  oldest untaken opt-out %s  due %s",
			l.Platform, taken, zone.ISODay(l.OldestPending), zone.ISODay(l.DueBy)))
	}
	data := maps.Clone(in.Data)
	if data == nil {
		data = map[string]string{}
	}
	data["ad_platforms"], data["ad_platforms_count"] = strings.Join(lines, "\n"), fmt.Sprint(len(lines))
	in.Data = data
}

// redriveLimit bounds the intents one run re-drives; the next run takes
// the rest.
const redriveLimit = 200

// redrive puts unsent mail older than StaleAfter back on the stream.
func (h *Handler) redrive(ctx context.Context, log *slog.Logger) (int, error) {
	stale := h.StaleAfter
	if stale <= 0 {
		stale = StaleMail
	}
	n, err := h.Redrive(ctx, h.now().Add(-stale), redriveLimit)
	if err != nil {
		log.ErrorContext(ctx, "re-driving unsent mail failed", "redriven", n, "error", err.Error())
		return n, fmt.Errorf("redrive mail: %w", err)
	}
	return n, nil
}

// redriveOnly is the run of the re-drive schedule: no expiry, no digest.
func (h *Handler) redriveOnly(ctx context.Context, log *slog.Logger) (Report, error) {
	if h.Redrive == nil {
		return Report{}, errors.New("the mail re-drive is not wired")
	}
	n, err := h.redrive(ctx, log)
	if n > 0 || err != nil {
		// Counts only. Quiet when there was nothing to do: this runs
		// every few minutes.
		log.InfoContext(ctx, "mail re-drive done", "redriven", n)
	}
	return Report{Redriven: n}, err
}

// policyNotices is the run of the policy notice schedule: one paced batch.
func (h *Handler) policyNotices(ctx context.Context, log *slog.Logger) (Report, error) {
	if h.Notices == nil {
		return Report{}, errors.New("the policy notices are not wired")
	}
	rep, err := h.Notices.Batch(ctx)
	if rep.Read > 0 || err != nil {
		// Counts only, never an address or key; quiet when no run is
		// open: this runs every minute.
		log.InfoContext(ctx, "policy notices", "runs", rep.Runs, "read", rep.Read, "queued", rep.Queued, "skipped", rep.Skipped, "done", rep.Done)
	}
	if err != nil {
		log.ErrorContext(ctx, "policy notices failed", "error", err.Error())
	}
	return Report{PolicyNotices: &rep}, err
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
