package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/retention"
)

type runner struct {
	rep retention.Report
	err error
}

func (r runner) Run(context.Context) (retention.Report, error) { return r.rep, r.err }

func handle(t *testing.T, r runner) (retention.Report, string, error) {
	t.Helper()
	var logs bytes.Buffer
	h := &Handler{Sweeper: r, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	rep, err := h.Handle(context.Background(), json.RawMessage(`{"execution_id":"x-1","scheduled_time":"2026-11-29T10:30:00Z"}`))
	return rep, logs.String(), err
}

func TestHandleLogsCountsAndReturnsFailures(t *testing.T) {
	done := retention.Report{RunID: "01JZ", Status: retention.Finished, Removed: map[retention.Kind]int{retention.SentMail: 3}}
	rep, logs, err := handle(t, runner{rep: done})
	if err != nil || rep.RunID != "01JZ" {
		t.Fatalf("a finished run: %+v, %v", rep, err)
	}
	if !strings.Contains(logs, `"removed_sent_mail":3`) || !strings.Contains(logs, `"execution_id":"x-1"`) {
		t.Errorf("log %s", logs)
	}

	failed := errors.New("throttled")
	if _, logs, err := handle(t, runner{rep: retention.Report{Status: retention.Failed}, err: failed}); !errors.Is(err, failed) || !strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("a failed run must fail the invocation (so Lambda retries and the DLQ reports it): %v, %s", err, logs)
	}
}

// A second delivery of the schedule while a run holds the lease is no
// failure: retrying it would only fill the dead-letter queue.
func TestHandleBusyIsNoError(t *testing.T) {
	_, logs, err := handle(t, runner{err: retention.ErrBusy})
	if err != nil || !strings.Contains(logs, "another retention sweep is running") {
		t.Fatalf("busy: %v, %s", err, logs)
	}
}
