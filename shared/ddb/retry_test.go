package ddb

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/fault"
)

var quick = backoff{attempts: 4, base: time.Microsecond, ceiling: time.Millisecond}

func TestRetryStopsAtTheAttemptLimit(t *testing.T) {
	calls := 0
	busyErr := errors.New("busy")
	err := retry(context.Background(), quick, func(int) error {
		calls++
		return again(busyErr)
	})
	if calls != 4 {
		t.Errorf("tried %d times, want 4", calls)
	}
	var r retryable
	if !errors.Is(err, busyErr) || errors.As(err, &r) {
		t.Errorf("err = %v, want the last error without the again mark", err)
	}
}

func TestRetryReturnsOnSuccess(t *testing.T) {
	calls := 0
	err := retry(context.Background(), quick, func(attempt int) error {
		calls++
		if attempt < 2 {
			return again(errors.New("busy"))
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("err = %v after %d tries, want nil after 3", err, calls)
	}
}

func TestRetryReturnsAnErrorNotMarkedAtOnce(t *testing.T) {
	calls := 0
	final := fault.New(fault.Internal, "broken")
	err := retry(context.Background(), quick, func(int) error {
		calls++
		return final
	})
	if calls != 1 || !errors.Is(err, final) {
		t.Errorf("err = %v after %d tries, want %v after 1", err, calls, final)
	}
}

func TestRetryStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	slow := backoff{attempts: 10, base: time.Hour, ceiling: time.Hour}
	calls := 0
	start := time.Now()
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	err := retry(ctx, slow, func(int) error {
		calls++
		return again(errors.New("busy"))
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if calls != 1 {
		t.Errorf("tried %d times, want 1", calls)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("returned after %v, not when cancelled", waited)
	}
}

func TestRetryAgainIfBusy(t *testing.T) {
	calls := 0
	err := retry(context.Background(), quick, func(int) error {
		calls++
		return againIfBusy(fault.New(fault.TooMany, "throttled"))
	})
	if calls != 4 || fault.KindOf(err) != fault.TooMany {
		t.Errorf("err = %v after %d tries, want TooMany after 4", err, calls)
	}
	calls = 0
	_ = retry(context.Background(), quick, func(int) error {
		calls++
		return againIfBusy(fault.New(fault.Conflict, "moved"))
	})
	if calls != 1 {
		t.Errorf("a conflict was tried %d times, want 1", calls)
	}
}

func TestBackoffPauseGrowsToTheCeiling(t *testing.T) {
	b := backoff{attempts: 10, base: 10 * time.Millisecond, ceiling: 50 * time.Millisecond}
	for attempt, want := range map[int]time.Duration{1: 10 * time.Millisecond, 2: 20 * time.Millisecond, 3: 40 * time.Millisecond, 4: 50 * time.Millisecond, 9: 50 * time.Millisecond} {
		if got := b.pause(attempt); got < want || got >= want+b.base {
			t.Errorf("pause(%d) = %v, want %v plus less than %v of jitter", attempt, got, want, b.base)
		}
	}
}
