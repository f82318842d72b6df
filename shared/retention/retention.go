// Package retention is the written retention policy: for each kind of record
// the service keeps, how long it is kept, from which event, and the legal
// reason. Personal data is kept "only as long as necessary" or as the law
// requires (the policy). The sweep that enforces it (issue 6) reads this
// table; adding a kind of record is one line here.
package retention

import (
	"fmt"
	"time"

	"github.com/claritru/privacy/shared/deadline"
)

// Kind names a kind of record.
type Kind string

// The kinds of record the service keeps.
const (
	VerificationToken Kind = "verification_token"
	ConfirmationToken Kind = "confirmation_token"
	UnverifiedRequest Kind = "unverified_request"
	SentMail          Kind = "sent_mail"
	UnsentMail        Kind = "unsent_mail"
	ClosedRequest     Kind = "closed_request"
	ConsentEvidence   Kind = "consent_evidence"
	OptOutEvidence    Kind = "optout_evidence"
	Suppression       Kind = "suppression_entry"
	Idempotency       Kind = "idempotency_record"
	SweepReport       Kind = "sweep_report"
	ErasureRecord     Kind = "erasure_record"
	ExportRecord      Kind = "export_record"
	IdentifierLink    Kind = "identifier_link"
	DisclosureText    Kind = "disclosure_text"
	HeldMail          Kind = "held_mail"
	MailCounter       Kind = "mail_counter"
	DuplicateGuard    Kind = "duplicate_guard"
	SMSCode           Kind = "sms_code"
	ReachJob          Kind = "reach_job"
	FeedDelivery      Kind = "feed_delivery"
	PolicyVersion     Kind = "policy_version"
	PolicyNotice      Kind = "policy_notice"
)

// day is a day of 24 hours; months are counted as calendar months.
const day = 24 * time.Hour

// Rule is how long one kind of record is kept.
type Rule struct {
	Kind Kind
	// Keep is how long after From the record is kept; Months, when set,
	// counts calendar months instead. Forever keeps it while in effect.
	Keep    time.Duration
	Months  int
	Forever bool
	// Moves says the expiry can move later after it is set (a withdrawal
	// superseded by a new grant is kept four years from the new grant): the
	// sweep removes such a record only on the condition that its expiry is
	// still the one it read and still past.
	Moves  bool
	From   string // the event the period runs from
	Reason string // the legal reason, cited
}

// Policy is the retention policy, one rule per kind.
var Policy = []Rule{
	{Kind: VerificationToken, Keep: 72 * time.Hour, From: "creation",
		Reason: "single-use identity verification link; useless once used or expired"},
	{Kind: ConfirmationToken, Keep: 72 * time.Hour, From: "creation",
		Reason: "single-use double opt-in link; useless once used or expired"},
	{Kind: UnverifiedRequest, Months: 24, From: "expiry as unverified",
		Reason: "request log kept 24 months like every other request, with its history (11 CCR §7101(a)); minimised when it expires: no name, contact details or free text, only the log of §7101(b)"},
	{Kind: UnsentMail, Keep: 30 * day, Moves: true, From: "queueing",
		Reason: "a mail not sent in 30 days of retries will not be; once sent it is kept as sent mail"},
	{Kind: SentMail, Keep: 30 * day, From: "sending",
		Reason: "delivery questions; the request log keeps what was done (11 CCR §7101)"},
	{Kind: ClosedRequest, Months: 24, From: "closing (completed, denied, cancelled)",
		Reason: "request log kept at least 24 months, with its history and mail (11 CCR §7101(a)); removed together"},
	{Kind: ConsentEvidence, Months: 48, Moves: true, From: "being superseded or withdrawn (an unconfirmed email opt-in: its link lapsing; an SMS grant the number has not confirmed: the grant)",
		Reason: "proof of consent for the TCPA's four-year limitation period (28 U.S.C. §1658; 47 CFR 64.1200) and GDPR Art. 7(1); a removed ledger event leaves a stub (sequence and hashes, no content) so the chain still verifies"},
	{Kind: OptOutEvidence, Months: 48, From: "being superseded",
		Reason: "proof that opt-outs were honoured (11 CCR §7025, §7026), kept like consent evidence"},
	{Kind: Suppression, Forever: true, From: "opt-out",
		Reason: "the person stays opted out while the opt-out is in effect (11 CCR §7026)"},
	{Kind: Idempotency, Keep: 24 * time.Hour, From: "creation",
		Reason: "retried form posts within a day; nothing else"},
	{Kind: SweepReport, Months: 24, From: "the sweep's run",
		Reason: "proof that retention ran, kept as long as the request log"},
	{Kind: ErasureRecord, Months: 24, From: "the erasure",
		Reason: "proof that an erasure request was carried out, kept as long as the request log (11 CCR §7101)"},
	{Kind: ExportRecord, Months: 24, From: "the export",
		Reason: "who handed a person's data over, and when (GDPR Art. 5(2)); the keyed hash and the staff principal only, kept as long as the request log"},
	{Kind: ReachJob, Months: 24, From: "its answer",
		Reason: "proof that a system that holds the data was told of a right and when it answered (11 CCR §7022(b)(3), §7101; GDPR Art. 19); kept while open, without the identifiers once answered"},
	{Kind: FeedDelivery, Months: 24, From: "the delivery",
		Reason: "proof that an ad platform was passed the opt-outs up to a version, and when (11 CCR §7026(f), §7101); the platform, version, count and staff principal only, kept as long as the request log"},
	{Kind: PolicyVersion, Forever: true, From: "publication",
		Reason: "the register of the privacy policy's versions and their exact words, which consent receipts cite (GDPR Art. 7(1)); no personal data"},
	{Kind: PolicyNotice, Months: 24, From: "the notice",
		Reason: "proof that a person was told of a material change of the privacy policy, and that no one is told twice; the keyed hash, version and mail id only, kept as long as the request log"},
	{Kind: IdentifierLink, Forever: true, From: "opt-out",
		Reason: "an opt-out covers the linked profile (11 CCR §7025(c)); keyed hashes only"},
	{Kind: DisclosureText, Forever: true, From: "first display",
		Reason: "the exact words consent evidence points to; no personal data"},
	{Kind: HeldMail, Keep: 30 * day, From: "holding",
		Reason: "shows staff which mail the per-recipient cap held back and why; never sent"},
	{Kind: MailCounter, Keep: 2 * day, From: "the day it counts",
		Reason: "counts a day's capped mail to one address (keyed hash only); useless the next day"},
	{Kind: DuplicateGuard, Keep: 10 * time.Minute, Moves: true, From: "the first submission",
		Reason: "a repeated submission within 10 minutes is the first request; keyed hash and request id only"},
	{Kind: SMSCode, Keep: 24 * time.Hour, Moves: true, From: "the latest code sent to the number",
		Reason: "a one-time code confirming an SMS opt-in works 10 minutes and 5 tries; kept a day for the count of tries on the number; keyed hashes only"},
}

// RuleFor returns the rule of a kind.
func RuleFor(k Kind) (Rule, error) {
	for _, r := range Policy {
		if r.Kind == k {
			return r, nil
		}
	}
	return Rule{}, fmt.Errorf("retention: no rule for %q", k)
}

// Expiry is when a record of this rule, whose period started at from, may be
// removed; ok is false for records kept while in effect.
func (r Rule) Expiry(from time.Time) (t time.Time, ok bool) {
	switch {
	case r.Forever:
		return time.Time{}, false
	case r.Months > 0:
		// Calendar months, clamped to the month's end (29 Feb + 24 months
		// is 28 Feb), as the legal clocks count them.
		return deadline.AddMonths(from, r.Months), true
	}
	return from.Add(r.Keep), true
}

// Period says the rule's period in words, as the README shows it.
func (r Rule) Period() string {
	switch {
	case r.Forever:
		return "while in effect"
	case r.Months >= 36 && r.Months%12 == 0:
		return fmt.Sprintf("%d years", r.Months/12)
	case r.Months > 0:
		return fmt.Sprintf("%d months", r.Months)
	case r.Keep < time.Hour:
		return fmt.Sprintf("%d minutes", int(r.Keep/time.Minute))
	case r.Keep < 7*day:
		return fmt.Sprintf("%d hours", int(r.Keep/time.Hour))
	}
	return fmt.Sprintf("%d days", int(r.Keep/day))
}
