package retention

import (
	"context"
	"errors"
	"time"
)

// ErrBusy says another sweep run is going on; this one did nothing.
var ErrBusy = errors.New("another retention sweep is running")

// RunStatus is how a sweep run ended.
type RunStatus string

// Run statuses.
const (
	// Running: the run has not ended, or it was killed before it could
	// say so (the next run marks it Interrupted).
	Running RunStatus = "running"
	// Finished: every due bucket was swept.
	Finished RunStatus = "finished"
	// Stopped: the run stopped before its time ran out; the next run
	// continues from the checkpoints.
	Stopped RunStatus = "stopped"
	// Failed: some records could not be removed; they stay due and the
	// next run tries again.
	Failed RunStatus = "failed"
	// Interrupted: a later run found this one still running.
	Interrupted RunStatus = "interrupted"
)

// Report is what one sweep run removed: counts per kind of record and the
// errors met, never a key or any other personal data. It is kept as proof
// that retention ran (kind sweep_report).
type Report struct {
	RunID     string    `json:"run_id"`
	StartedAt time.Time `json:"started_at"`
	// EndedAt is zero while the run is going on.
	EndedAt time.Time `json:"ended_at,omitzero"`
	Status  RunStatus `json:"status"`
	// Removed counts the records removed because their own retention
	// period ended, by kind.
	Removed map[Kind]int `json:"removed"`
	// Dependents counts the records removed with them (a request's audit
	// history and mail).
	Dependents int `json:"dependents"`
	// Kept counts due records that were not removed because their expiry
	// had moved since it was read (a withdrawal superseded meanwhile).
	Kept int `json:"kept"`
	// Buckets counts the index partitions (expiry day and shard) read.
	Buckets int `json:"buckets"`
	// Errors are error codes with how often they happened, no keys.
	Errors map[string]int `json:"errors,omitempty"`
}

// Total is the number of records removed for their own retention period.
func (r Report) Total() int {
	n := 0
	for _, c := range r.Removed {
		n += c
	}
	return n
}

// Reports lists sweep reports, newest first.
type Reports interface {
	// Reports returns up to limit reports after the cursor and the cursor
	// of the next page ("" at the end).
	Reports(ctx context.Context, cursor string, limit int) ([]Report, string, error)
}
