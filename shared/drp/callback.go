package drp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/claritru/privacy/shared/fault"
)

// Callback is one status callback (DRP 2.03): the status of an agent's
// request after a change, queued in the transaction of the change (the
// outbox) and posted to the agent's status_callback until it answers.
type Callback struct {
	RequestID string
	ID        string
	URL       string
	Body      []byte
	// Attempts is how many posts were made; the one being made counts
	// once claimed.
	Attempts int
}

// CallbackStore keeps the callbacks and their record (shared/ddb).
type CallbackStore interface {
	// Claim takes a queued callback for one attempt, on the condition that
	// it is still queued with the attempts read: fault.Conflict when
	// another delivery took it.
	Claim(ctx context.Context, cb Callback, at time.Time) error
	// Delivered records the agent's answer and ends the callback.
	Delivered(ctx context.Context, cb Callback, code int, at time.Time) error
	// Failed records a failed attempt: the callback is tried again at
	// next, or given up when next is zero.
	Failed(ctx context.Context, cb Callback, code int, next time.Time) error
	// Due returns queued callbacks whose next attempt is before now.
	Due(ctx context.Context, now time.Time, limit int) ([]Callback, error)
	// Supersede ends a queued callback when a later one of the same
	// request exists, and reports whether it did.
	Supersede(ctx context.Context, cb Callback) (bool, error)
}

// MaxCallbackAttempts is how often a callback is posted before it is given
// up: with the backoff below, over about a day. The agent can still ask
// for the status (DRP 2.02).
const MaxCallbackAttempts = 10

// CallbackTimeout bounds one post.
const CallbackTimeout = 10 * time.Second

// NextCallback is when a callback that failed its n-th attempt is tried
// again: a minute, doubling, at most six hours.
func NextCallback(n int, now time.Time) time.Time {
	d := time.Minute << min(max(n-1, 0), 9)
	return now.Add(min(d, 6*time.Hour))
}

// Sender posts status callbacks.
type Sender struct {
	Store CallbackStore
	// HTTP must not follow redirects: a callback goes to the address the
	// agent signed and nowhere else.
	HTTP *http.Client
	// Loopback allows plain http to the loopback host (locally).
	Loopback bool
	Now      func() time.Time
}

// Deliver makes one attempt of a callback and records it. A failure of the
// agent is recorded and left to the retry schedule; only a failure of the
// store is returned.
func (s *Sender) Deliver(ctx context.Context, cb Callback) error {
	// Only the latest status matters to the agent (DRP 2.03.1): an older
	// one still waiting is not posted after it.
	if done, err := s.Store.Supersede(ctx, cb); done || err != nil {
		return err
	}
	now := s.Now()
	if err := s.Store.Claim(ctx, cb, now); err != nil {
		if fault.KindOf(err) == fault.Conflict {
			return nil
		}
		return err
	}
	cb.Attempts++
	if CheckCallback(cb.URL, s.Loopback) != nil {
		// The URL was checked when the request was taken; one that no
		// longer passes (a local one in AWS) is given up at once.
		return s.Store.Failed(ctx, cb, 0, time.Time{})
	}
	code, err := s.post(ctx, cb)
	if err == nil && code >= 200 && code < 300 {
		return s.Store.Delivered(ctx, cb, code, s.Now())
	}
	var next time.Time
	if cb.Attempts < MaxCallbackAttempts {
		next = NextCallback(cb.Attempts, s.Now())
	}
	return s.Store.Failed(ctx, cb, code, next)
}

func (s *Sender) post(ctx context.Context, cb Callback) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cb.URL, bytes.NewReader(cb.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// The body of the answer is not read for meaning (DRP 2.03.1).
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// Retry makes the next attempt of the callbacks that are due, at most
// limit; it returns how many it tried.
func (s *Sender) Retry(ctx context.Context, limit int) (int, error) {
	due, err := s.Store.Due(ctx, s.Now(), limit)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, cb := range due {
		if err := s.Deliver(ctx, cb); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return len(due), fmt.Errorf("%d callbacks not recorded: %w", len(errs), errs[0])
	}
	return len(due), nil
}
