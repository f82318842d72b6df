// Package notifiertest provides in-memory fakes of what the notifier
// consumes, notifier.Outbox and notifier.Sender, for unit tests. The outbox
// behaves like the DynamoDB outbox in shared/ddb, which is itself tested
// against DynamoDB Local there and in shared/notifier; the sender stands in
// for SES and records what it was asked to deliver.
package notifiertest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/notifier"
)

var (
	_ notifier.Outbox = (*Outbox)(nil)
	_ notifier.Sender = (*Sender)(nil)
)

// State is where a stored intent stands.
type State string

// The states of a stored intent: queued -> sending -> sent, back from
// sending to queued when a send fails, from sending to failed, for good,
// when the provider rejects the mail, and from sending to held over a cap.
const (
	Queued  State = "queued"
	Sending State = "sending"
	Sent    State = "sent"
	Held    State = "held"
	Failed  State = "failed"
)

// DefaultLease is how long a claim holds before another invocation may take
// the intent over, as in shared/ddb (ddb.ClaimLease).
const DefaultLease = 2 * time.Minute

// Entry is one stored intent as the fake outbox keeps it.
type Entry struct {
	State State
	// Attempts counts the successful claims.
	Attempts  int
	ClaimedAt time.Time
	SentAt    time.Time
	MessageID string
	// LastError is the reason given when the intent was last released, or
	// the code it failed with.
	LastError string
	// HeldReason is the reason given when the intent was held.
	HeldReason string
	FailedAt   time.Time
	// TextSHA256 is what NoteText recorded on a text intent.
	TextSHA256 string
}

// Outbox is an in-memory notifier.Outbox. Claim takes a queued intent, or
// one whose claim is older than Lease, and answers mail.AlreadySent for a
// sent intent and for a reference it does not hold (an intent erased with
// its subject's data); MarkSent and Release need the intent to be claimed.
// It is safe for concurrent use. The zero value is not usable; call
// NewOutbox.
type Outbox struct {
	// Lease is how long a claim holds; NewOutbox sets DefaultLease.
	Lease time.Duration

	mu      sync.Mutex
	entries map[string]*Entry
	fail    map[op]error
	calls   map[op]int
	// counters holds the intent ids admitted per recipient, bucket and day.
	counters map[string]map[string]bool
}

type op string

const (
	opClaim    op = "claim"
	opMarkSent op = "mark sent"
	opRelease  op = "release"
	opFail     op = "mark failed"
)

// NewOutbox returns an outbox holding the given references, each queued.
func NewOutbox(refs ...string) *Outbox {
	o := &Outbox{Lease: DefaultLease, entries: map[string]*Entry{}, fail: map[op]error{}, calls: map[op]int{}, counters: map[string]map[string]bool{}}
	for _, ref := range refs {
		o.Queue(ref)
	}
	return o
}

// Queue stores an intent under ref, queued; a reference already held is
// queued again, as a re-drive does, unless it failed for good (a failed
// intent has left the outbox index a re-drive reads).
func (o *Outbox) Queue(ref string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.entries[ref]; ok {
		if e.State != Failed {
			e.State = Queued
		}
		return
	}
	o.entries[ref] = &Entry{State: Queued}
}

// Entry returns what the outbox holds under ref.
func (o *Outbox) Entry(ref string) (Entry, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.entries[ref]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

// Entries returns every stored intent by reference.
func (o *Outbox) Entries() map[string]Entry {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]Entry, len(o.entries))
	for ref, e := range o.entries {
		out[ref] = *e
	}
	return out
}

// Refs returns the stored references in order.
func (o *Outbox) Refs() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Sorted(maps.Keys(o.entries))
}

// FailClaim makes Claim return err, changing nothing, until it is called
// again with nil.
func (o *Outbox) FailClaim(err error) { o.setFail(opClaim, err) }

// FailMarkSent makes MarkSent return err, changing nothing, until it is
// called again with nil.
func (o *Outbox) FailMarkSent(err error) { o.setFail(opMarkSent, err) }

// FailRelease makes Release return err, changing nothing, until it is called
// again with nil.
func (o *Outbox) FailRelease(err error) { o.setFail(opRelease, err) }

func (o *Outbox) setFail(p op, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fail[p] = err
}

// Calls returns how often Claim, MarkSent and Release were called, failed
// calls included.
func (o *Outbox) Calls() (claim, markSent, release int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls[opClaim], o.calls[opMarkSent], o.calls[opRelease]
}

// errNotClaimed is what MarkSent and Release return for an intent that is
// not being sent: the DynamoDB outbox's conditional update fails the same way.
var errNotClaimed = errors.New("notifiertest: the intent is not claimed")

// Claim implements notifier.Outbox.
func (o *Outbox) Claim(_ context.Context, ref string, now time.Time) (mail.Claim, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls[opClaim]++
	if err := o.fail[opClaim]; err != nil {
		return 0, err
	}
	e, ok := o.entries[ref]
	if !ok {
		return mail.AlreadySent, nil
	}
	switch e.State {
	case Sent, Held, Failed:
		return mail.AlreadySent, nil
	case Sending:
		if !e.ClaimedAt.Before(now.Add(-o.Lease)) {
			return mail.Busy, nil
		}
	}
	e.State, e.ClaimedAt = Sending, now
	e.Attempts++
	return mail.Claimed, nil
}

// MarkSent implements notifier.Outbox.
func (o *Outbox) MarkSent(_ context.Context, ref, messageID string, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls[opMarkSent]++
	if err := o.fail[opMarkSent]; err != nil {
		return err
	}
	e, ok := o.entries[ref]
	if !ok || e.State != Sending {
		return fmt.Errorf("mark %q sent: %w", ref, errNotClaimed)
	}
	e.State, e.SentAt, e.MessageID, e.LastError = Sent, now, messageID, ""
	return nil
}

// Release implements notifier.Outbox.
func (o *Outbox) Release(_ context.Context, ref, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls[opRelease]++
	if err := o.fail[opRelease]; err != nil {
		return err
	}
	e, ok := o.entries[ref]
	if !ok || e.State != Sending {
		return fmt.Errorf("release %q: %w", ref, errNotClaimed)
	}
	e.State, e.LastError = Queued, reason
	return nil
}

// Admit implements notifier.Outbox: like the DynamoDB counter, it admits an
// intent while fewer than the cap's were admitted that day (UTC), and the
// same intent again.
func (o *Outbox) Admit(_ context.Context, recipientKey string, lim mail.Limit, intentID string, now time.Time) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := recipientKey + "#" + lim.Bucket + "#" + now.UTC().Format("2006-01-02")
	ids := o.counters[k]
	if ids == nil {
		ids = map[string]bool{}
		o.counters[k] = ids
	}
	if !ids[intentID] && len(ids) >= lim.PerDay {
		return false, nil
	}
	ids[intentID] = true
	return true, nil
}

// Hold implements notifier.Outbox.
func (o *Outbox) Hold(_ context.Context, ref, reason string, _ time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.entries[ref]
	if !ok || e.State != Sending {
		return fmt.Errorf("hold %q: %w", ref, errNotClaimed)
	}
	e.State, e.HeldReason = Held, reason
	return nil
}

// FailMarkFailed makes MarkFailed return err, changing nothing, until it is
// called again with nil.
func (o *Outbox) FailMarkFailed(err error) { o.setFail(opFail, err) }

// MarkFailed implements notifier.Outbox.
func (o *Outbox) MarkFailed(_ context.Context, ref, code string, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls[opFail]++
	if err := o.fail[opFail]; err != nil {
		return err
	}
	e, ok := o.entries[ref]
	if !ok || e.State != Sending {
		return fmt.Errorf("mark %q failed: %w", ref, errNotClaimed)
	}
	e.State, e.LastError, e.FailedAt = Failed, code, now
	return nil
}

// NoteText implements notifier.Outbox.
func (o *Outbox) NoteText(_ context.Context, ref, textSHA256 string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.entries[ref]
	if !ok || e.State != Sending {
		return fmt.Errorf("note text of %q: %w", ref, errNotClaimed)
	}
	e.TextSHA256 = textSHA256
	return nil
}
