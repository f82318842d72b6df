package deliverability

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/subject"
)

// Reason is why an address is marked undeliverable.
type Reason string

const (
	// ReasonBounce: a permanent bounce (the mailbox does not exist, or
	// SES suppresses the address).
	ReasonBounce Reason = "bounce"
	// ReasonComplaint: the recipient reported the service's mail as spam.
	ReasonComplaint Reason = "complaint"
)

// Mark is one event that makes an address undeliverable.
type Mark struct {
	Reason Reason
	// Subtype is the bounce's subtype (General, NoEmail, Suppressed,
	// OnAccountSuppressionList) or the complaint's feedback type (abuse),
	// when given.
	Subtype string
	// At is when the event happened; MessageID is the SES message id of
	// the mail that bounced or was complained about; EventID is SES's
	// feedback id, which makes marking idempotent.
	At        time.Time
	MessageID string
	EventID   string
}

// Status is an address's mark as staff see it.
type Status struct {
	// Undeliverable is true while the mark holds: the notifier sends the
	// address nothing.
	Undeliverable bool
	Mark
	// MarkedAt is when the service recorded the mark.
	MarkedAt time.Time
	// Clears are staff's clearings of earlier marks, oldest first.
	Clears []Clearance
}

// Clearance is staff clearing a mark: when, who (the staff principal), why,
// and what the mark said.
type Clearance struct {
	At     time.Time
	Actor  string
	Reason string
	// Was is the reason of the mark cleared.
	Was Reason
}

// Marks is what the service needs from storage (shared/ddb).
type Marks interface {
	// Mark records m for the address under key, unless m.EventID was
	// recorded for it before (then false, and nothing changes): SNS
	// delivers an event at least once.
	Mark(ctx context.Context, key string, m Mark, now time.Time) (bool, error)
	// Clear ends the mark in effect for key, recording c; a
	// fault.NotFound error when none is in effect.
	Clear(ctx context.Context, key string, c Clearance) (Status, error)
	// Status reads the mark of key; false when the address never had one.
	Status(ctx context.Context, key string) (Status, bool, error)
}

// Service acts on SES events and staff's clearings.
type Service struct {
	marks Marks
	keyer *subject.Keyer
	now   func() time.Time
}

// NewService returns the service; now nil is time.Now.
func NewService(marks Marks, keyer *subject.Keyer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{marks: marks, keyer: keyer, now: now}
}

// Outcome is what an event did, for the log: counts and kinds, no address.
type Outcome struct {
	// Marked counts the addresses marked now; Repeated those whose mark
	// already recorded this event.
	Marked, Repeated int
	// Counted says, for an event that marks nothing, what it is counted
	// as ("transient_bounce", "delivery"...): a log line and the metrics
	// SES keeps, nothing stored.
	Counted string
}

// Receive acts on one event. A permanent bounce or a complaint marks each
// recipient's address; the rest is counted only:
//
//   - a transient bounce (mailbox full, message too large, a server out of
//     reach) or one SES could not classify (Undetermined) may pass, and
//     the mail that would stop includes notices the law requires
//     (11 CCR §7022, §7024; GDPR Art. 12(3)); SES retries a soft bounce
//     itself before reporting it, and its bounce rate, which the account
//     is reviewed on, counts hard bounces. So no number of them marks an
//     address: a person whose mailbox is full still gets the answer once
//     it is emptied.
//   - a complaint whose feedback type is not-spam is the recipient saying
//     the mail was wanted.
//   - Reject and Delivery say nothing about the address worth keeping.
func (s *Service) Receive(ctx context.Context, ev Event) (Outcome, error) {
	var m Mark
	switch {
	case ev.Type == TypeBounce && ev.BounceType == Permanent:
		m = Mark{Reason: ReasonBounce, Subtype: ev.BounceSubType}
	case ev.Type == TypeBounce && ev.BounceType == Transient:
		return Outcome{Counted: "transient_bounce"}, nil
	case ev.Type == TypeBounce:
		return Outcome{Counted: "undetermined_bounce"}, nil
	case ev.Type == TypeComplaint && ev.FeedbackType == "not-spam":
		return Outcome{Counted: "not_spam_report"}, nil
	case ev.Type == TypeComplaint:
		m = Mark{Reason: ReasonComplaint, Subtype: ev.FeedbackType}
	default:
		return Outcome{Counted: strings.ToLower(ev.Type)}, nil
	}
	// One feedback id covers every recipient of the event; each address's
	// mark keeps the ids it recorded, so it is the id of the event there.
	m.At, m.MessageID, m.EventID = ev.At, ev.MessageID, ev.FeedbackID
	now := s.now().UTC()
	var out Outcome
	for _, addr := range ev.Recipients {
		key, ok := s.key(addr)
		if !ok {
			continue
		}
		marked, err := s.marks.Mark(ctx, key, m, now)
		if err != nil {
			return out, err
		}
		if marked {
			out.Marked++
		} else {
			out.Repeated++
		}
	}
	return out, nil
}

// key is the subject key of a reported address, in the one form the
// service keys addresses by; false for one it would never have mailed.
func (s *Service) key(addr string) (string, bool) {
	n, err := subject.NormaliseEmail(addr)
	if err != nil {
		return "", false
	}
	return s.keyer.Email(n), true
}

// Of returns the mark of an address, for staff; false when it never had
// one. An address that does not read as one has none.
func (s *Service) Of(ctx context.Context, email string) (Status, bool, error) {
	key, ok := s.key(email)
	if !ok {
		return Status{}, false, nil
	}
	return s.marks.Status(ctx, key)
}

// MaxClearReason bounds the reason staff give for clearing a mark.
const MaxClearReason = 500

// emailLike finds an address in free text: the reason is kept with the
// mark, under the keyed hash, and must not name the person's address.
var emailLike = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^\s@]+@[^\s@]+\.[^\s@]+`) })

// Clear ends the mark of an address after the person gave a working one
// (or confirmed this one works), recording who (actor, the staff
// principal), when and why. The email must be valid; the reason is
// required plain text without an address in it.
func (s *Service) Clear(ctx context.Context, email, reason, actor string) (Status, error) {
	if strings.TrimSpace(actor) == "" {
		return Status{}, fault.New(fault.Internal, "Clearing a mark must name who clears it.")
	}
	var bad fault.Fields
	n, err := subject.NormaliseEmail(email)
	if err != nil {
		bad.Add("email", "give the email address whose mark to clear")
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		bad.Add("reason", "say why the address can be mailed again")
	case !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > MaxClearReason:
		bad.Add("reason", "give plain text of at most 500 characters")
	case emailLike().MatchString(reason):
		bad.Add("reason", "the reason is kept with the record; do not name an email address in it")
	}
	if err := bad.Err(); err != nil {
		return Status{}, err
	}
	return s.marks.Clear(ctx, s.keyer.Email(n), Clearance{At: s.now().UTC().Truncate(time.Millisecond), Actor: actor, Reason: reason})
}
