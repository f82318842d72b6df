// Package sweep is the scheduled adapter of the retention sweep: it runs one
// sweep (shared/ddb.Sweeper enforcing shared/retention's policy) and logs
// its report, which holds counts only.
package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/claritru/privacy/shared/retention"
)

// Runner runs one sweep and returns its report (ddb.Sweeper).
type Runner interface {
	Run(ctx context.Context) (retention.Report, error)
}

// Handler runs the sweep. EventBridge Scheduler invokes it daily; the local
// runner on the topology's interval; `make sweep` once.
type Handler struct {
	Sweeper Runner
	Log     *slog.Logger
}

// trigger is what the schedule sends; only logged.
type trigger struct {
	ExecutionID   string `json:"execution_id"`
	ScheduledTime string `json:"scheduled_time"`
}

// Handle runs one sweep. An error (records that could not be removed) is
// returned so Lambda retries the run and, failing that, the schedule's
// dead-letter queue reports it; a run is safe to repeat. A run that stopped
// before its time ran out is no error: the next run continues.
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (retention.Report, error) {
	var tr trigger
	if len(event) > 0 {
		_ = json.Unmarshal(event, &tr)
	}
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	rep, err := h.Sweeper.Run(ctx)
	if errors.Is(err, retention.ErrBusy) {
		// A duplicate delivery of the schedule, or a retry while the run
		// is still going: nothing to do, and nothing to retry.
		log.InfoContext(ctx, "another retention sweep is running; this one did nothing",
			"execution_id", tr.ExecutionID, "scheduled_time", tr.ScheduledTime)
		return rep, nil
	}
	attrs := []any{
		"execution_id", tr.ExecutionID, "scheduled_time", tr.ScheduledTime,
		"run_id", rep.RunID, "status", string(rep.Status), "removed", rep.Total(),
		"dependents", rep.Dependents, "kept", rep.Kept, "buckets", rep.Buckets,
	}
	for k, n := range rep.Removed {
		attrs = append(attrs, "removed_"+string(k), n)
	}
	if err != nil {
		log.ErrorContext(ctx, "retention sweep failed", append(attrs, "error", err.Error())...)
		return rep, err
	}
	log.InfoContext(ctx, "retention sweep done", attrs...)
	return rep, nil
}
