package ddb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/claritru/privacy/shared/fault"
)

// backoff is how a store tries an operation again: at most attempts tries,
// the pause before the second base, doubling each time up to ceiling, with up
// to base of jitter so that writers that collided do not collide again.
type backoff struct {
	attempts int
	base     time.Duration
	ceiling  time.Duration
}

// The package's retry policies.
var (
	// chainMoved: a concurrent write moved a ledger chain or a consent or
	// opt-out state between the read and the conditional write; reading
	// again and writing again lines the writers up.
	chainMoved = backoff{attempts: 20, base: 5 * time.Millisecond, ceiling: 100 * time.Millisecond}
	// optOutMoved: the same for an opt-out, whose transaction is larger.
	optOutMoved = backoff{attempts: 5, base: 10 * time.Millisecond, ceiling: 50 * time.Millisecond}
	// busy: throttling, or a conflict with another transaction.
	busy = backoff{attempts: 8, base: 10 * time.Millisecond, ceiling: 2 * time.Second}
	// unprocessed: a batch read or write that DynamoDB did not finish
	// (it was throttled); the rest is sent again, after 50 ms, 100 ms, ...
	// 3.2 s: about six seconds in all before the caller is told it is busy.
	unprocessed = backoff{attempts: 8, base: 50 * time.Millisecond, ceiling: 5 * time.Second}
)

// errUnprocessed says a batch left items unprocessed.
var errUnprocessed = errors.New("the batch left items unprocessed")

// retryable marks an error worth another try.
type retryable struct{ err error }

func (r retryable) Error() string { return r.err.Error() }
func (r retryable) Unwrap() error { return r.err }

// again marks err as worth another try; nil stays nil.
func again(err error) error {
	if err == nil {
		return nil
	}
	return retryable{err}
}

// againIfBusy marks err as worth another try when it is throttling or a
// conflict with another transaction (fault.TooMany, as classify says).
func againIfBusy(err error) error {
	if fault.KindOf(err) == fault.TooMany {
		return again(err)
	}
	return err
}

// retry runs f until it succeeds, fails with an error not marked by again,
// or has been tried b.attempts times; it then returns f's last error, with
// the again mark taken off. It pauses between tries on a timer and stops as
// soon as ctx is done, returning ctx.Err() (with f's last error in its text
// only, so that the caller sees a cancellation, not the error it retried).
func retry(ctx context.Context, b backoff, f func(attempt int) error) error {
	var err error
	for attempt := range max(b.attempts, 1) {
		if attempt > 0 {
			t := time.NewTimer(b.pause(attempt))
			select {
			case <-ctx.Done():
				t.Stop()
				if err == nil {
					return ctx.Err()
				}
				return fmt.Errorf("%w (the last try failed: %v)", ctx.Err(), err)
			case <-t.C:
			}
		}
		err = f(attempt)
		var r retryable
		if !errors.As(err, &r) {
			return err
		}
		err = r.err
	}
	return err
}

// pause is the wait before try attempt (from 1).
func (b backoff) pause(attempt int) time.Duration {
	d := b.base << min(attempt-1, 30)
	if d > b.ceiling || d <= 0 {
		d = b.ceiling
	}
	if b.base > 0 {
		d += time.Duration(rand.Int64N(int64(b.base)))
	}
	return d
}
