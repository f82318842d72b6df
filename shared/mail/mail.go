// Package mail is the outbox's content: a mail intent names a template and the
// facts to fill it with. Intents are written in the same transaction as the
// record they belong to, so a mail is never promised without its record nor
// the other way round, and sent later by the notifier, which renders them
// with shared/mailrender. This package holds no templates: functions that
// only queue mail do not link the template engine.
package mail

import (
	"maps"
	"time"
)

// Intent is one mail to send.
type Intent struct {
	// ID makes sending idempotent: one intent, at most one mail.
	ID       string
	Template Template
	To       string
	Data     map[string]string
}

// Clone returns a copy of the intent that shares no map with it.
func (in Intent) Clone() Intent {
	in.Data = maps.Clone(in.Data)
	return in
}

// CloneAll returns copies of intents, in order.
func CloneAll(ins []Intent) []Intent {
	out := make([]Intent, len(ins))
	for i, in := range ins {
		out[i] = in.Clone()
	}
	return out
}

// Template names a mail.
type Template string

// The mails the service sends.
const (
	RequestReceived  Template = "request_received"
	RequestVerified  Template = "request_verified"
	OptOutConfirmed  Template = "optout_confirmed"
	ConsentReceipt   Template = "consent_receipt"
	RequestExtended  Template = "request_extended"
	RequestCompleted Template = "request_completed"
	RequestDenied    Template = "request_denied"
	RequestCancelled Template = "request_cancelled"
	RequestExpired   Template = "request_expired"
	DeadlineDigest   Template = "deadline_digest"
)

// Message is a rendered mail.
type Message struct {
	Subject string
	Text    string
	HTML    string
}

// Record is where one stored intent stands, as staff see it: no address,
// no content.
type Record struct {
	ID       string
	Template Template
	// Status is queued, sending, sent or failed (for good: the provider
	// rejected the mail, Error holds its code).
	Status   string
	Attempts int
	SentAt   time.Time
	FailedAt time.Time
	Error    string
}

// Claim says whether a stored intent may be sent now.
type Claim int

const (
	// Claimed: this invocation owns the intent and must send it.
	Claimed Claim = iota
	// AlreadySent: nothing to do.
	AlreadySent
	// Busy: another invocation holds a fresh claim; retry later.
	Busy
)
