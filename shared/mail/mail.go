// Package mail is the outbox's content: a mail intent names a template and the
// facts to fill it with. Intents are written in the same transaction as the
// record they belong to, so a mail is never promised without its record nor
// the other way round, and sent later by the notifier, which renders them
// with shared/mailrender. This package holds no templates: functions that
// only queue mail do not link the template engine.
package mail

import (
	"fmt"
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
	// RecipientKey is the subject key of the recipient's address (the
	// keyed hash shared/subject makes, never the address), set on the mail
	// a stranger can cause by typing that address into a public form. The
	// notifier counts such mail per recipient and day and holds back what
	// exceeds the cap (LimitFor). Mail that staff cause carries none.
	RecipientKey string
	// Channel is how the intent reaches its recipient: ChannelEmail (also
	// the empty value, for intents stored before texts existed) or
	// ChannelSMS, whose To is an E.164 number and whose template is a text
	// (shared/mailrender's <template>.sms.txt).
	Channel string
}

// Channels an intent is sent on.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// SMS reports whether the intent is a text message.
func (in Intent) SMS() bool { return in.Channel == ChannelSMS }

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
	// VendorNotice tells a vendor's privacy contact to act on a right for
	// the company (shared/reach: a system reached by mail).
	VendorNotice Template = "vendor_notice"
	// AppealReceived acknowledges an appeal of a denial, with the date its
	// decision is due; AppealDecided tells the decision and its reasons.
	AppealReceived Template = "appeal_received"
	AppealDecided  Template = "appeal_decided"
	// PolicyNotice tells a person of a material change of the privacy
	// policy (shared/policy).
	PolicyNotice Template = "policy_notice"
	// AgentReceipt tells an authorized agent that the request they made
	// for a consumer was received and that the consumer verifies directly
	// (11 CCR §7063).
	AgentReceipt Template = "agent_receipt"
	// RequestLink is a new verification link the requester asked for
	// (POST /v1/verify/resend); it voids the one sent before.
	RequestLink Template = "request_link"
	// Text messages (Channel ChannelSMS).
	SMSCode Template = "sms_code" // the one-time code that confirms an SMS opt-in
	SMSHelp Template = "sms_help" // the answer to HELP
	SMSStop Template = "sms_stop" // the confirmation of STOP
)

// CodeField is the data field of an SMSCode intent that holds the raw
// one-time code; it is removed from the stored intent once the text is
// sent, like a raw link.
const CodeField = "code"

// Message is a rendered mail.
type Message struct {
	Subject string
	Text    string
	HTML    string
	// Unsubscribe, when set, is the HTTPS one-click unsubscribe URL the
	// mail's List-Unsubscribe header names (RFC 2369, RFC 8058).
	Unsubscribe string
}

// UnsubscribeKey is the intent data that holds the one-click unsubscribe
// URL of a mail about marketing consent.
const UnsubscribeKey = "unsubscribe_url"

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

// Limit is a per-recipient daily cap on a kind of mail: at most PerDay mails
// of the Bucket to one address in a day (UTC).
type Limit struct {
	Bucket string
	PerDay int
}

// MaxConfirmationsPerDay caps the receipts of one kind (request receipts,
// consent receipts, lapse notices) one address gets in a day. Anyone may
// type any address into the public forms, so without a cap the service
// would mail whoever a stranger names, from the company's own sender, as
// often as the stranger likes. Three a day covers what a person does for
// themself, and each kind has its own count, so that a flood of consents in
// someone's name cannot hold back the receipt (and verification link) of
// the request they file themself. A stranger gets at most a few mails out
// of the service per victim and day; a request receipt held back shows in
// the request's detail for staff.
const MaxConfirmationsPerDay = 3

// MaxOptOutConfirmationsPerDay caps opt-out confirmations: an opt-out takes
// effect at once and a repeat changes nothing for the person, so one
// confirmation a day says all there is to say.
const MaxOptOutConfirmationsPerDay = 1

// Buckets of the caps.
const (
	BucketRequests = "requests"
	BucketConsents = "consents"
	BucketNotices  = "notices"
	BucketOptOut   = "optout"
	// Agents' receipts, counted by the agent address's key; new links
	// asked for, counted apart from receipts, so that a flood of requests
	// in someone's name cannot keep them from getting a link that works.
	BucketAgents  = "agents"
	BucketResends = "resends"
	// Texts, counted by the number's subject key.
	BucketSMSCodes = "sms_codes"
	BucketSMSHelp  = "sms_help"
	BucketSMSStop  = "sms_stop"
)

// limits are the capped templates: only the mail a stranger can trigger by
// naming an address. Receipts of the public forms, and the notice that an
// unverified request lapsed (a stranger can file requests in anyone's name;
// the address never proved it wanted them). Not capped: the confirmation
// that a request was verified (only the holder of the mailbox can follow the
// link that causes it), the privacy team's digest (our own address), and the
// notices staff actions send the requester (extend, complete, deny, cancel),
// which the law requires (11 CCR §7021(b), §7022, §7024; GDPR Art. 12(3),
// (4)) and a stranger cannot cause.
var limits = map[Template]Limit{
	RequestReceived: {BucketRequests, MaxConfirmationsPerDay},
	RequestExpired:  {BucketNotices, MaxConfirmationsPerDay},
	ConsentReceipt:  {BucketConsents, MaxConfirmationsPerDay},
	OptOutConfirmed: {BucketOptOut, MaxOptOutConfirmationsPerDay},
	AgentReceipt:    {BucketAgents, MaxConfirmationsPerDay},
	RequestLink:     {BucketResends, MaxConfirmationsPerDay},
	// Anyone can type a number into the subscribe form: its codes are
	// capped like receipts, under their own count.
	SMSCode: {BucketSMSCodes, MaxConfirmationsPerDay},
	// Replies to a number's own texts; a spoofed sender or a loop with
	// another autoresponder must not make the service text without end.
	SMSHelp: {BucketSMSHelp, MaxConfirmationsPerDay},
	SMSStop: {BucketSMSStop, MaxOptOutConfirmationsPerDay},
}

// LimitFor returns the cap an intent counts against, and false when none
// holds it back: its template is not capped, or it names no recipient key
// (mail staff cause).
func LimitFor(in Intent) (Limit, bool) {
	l, ok := limits[in.Template]
	if !ok || in.RecipientKey == "" {
		return Limit{}, false
	}
	return l, true
}

// HeldReason says, for staff, why a mail over its cap was not sent; it names
// the cap, never the recipient.
func (l Limit) HeldReason() string {
	return fmt.Sprintf("held back: the address reached its limit of %d %s mail(s) a day (per-recipient cap)", l.PerDay, l.Bucket)
}

// Record is a stored mail as staff see it: what, where it stands, and when;
// never its address or content.
type Record struct {
	ID       string
	Template Template
	Status   string
	// Attempts counts how often sending it was begun.
	Attempts int
	SentAt   time.Time
	FailedAt time.Time
	// Error is the provider's code of a mail refused for good (failed).
	Error string
	// HeldReason says why a held mail was not sent.
	HeldReason string
	// Undeliverable is the reason of the mark (bounce, complaint) that
	// kept an undeliverable mail from being sent, and UndeliverableAt
	// when.
	Undeliverable   string
	UndeliverableAt time.Time
}

// Statuses of a stored mail: queued -> sending -> sent; sending -> held when
// the recipient's cap is reached; sending -> failed, for good, when the
// provider rejects the mail; queued -> undeliverable when the address was
// marked undeliverable (a permanent bounce or a complaint,
// shared/deliverability) before its turn. Held, failed and undeliverable
// mail is never sent.
const (
	StatusQueued        = "queued"
	StatusSending       = "sending"
	StatusSent          = "sent"
	StatusHeld          = "held"
	StatusFailed        = "failed"
	StatusUndeliverable = "undeliverable"
)
