package consent

import (
	"fmt"
	"time"
)

// What a consent event proves, and where its receipt goes, are rules of
// consent: the store (shared/ddb) writes what these methods decide.

// Ledger event kinds.
const (
	// EventKind is the ledger event of a choice made.
	EventKind = "consent"
	// ConfirmedKind is the ledger event of a double opt-in confirmed from
	// its mail.
	ConfirmedKind = "consent_confirmed"
)

// EventFields returns the ledger fields of rec's event: the purpose, the
// choice, the status it led to, the reason when the choice was overridden
// (the GPC signal refuses advertising cookies whatever was chosen), and the
// proof common to the call (r.Fields: disclosure, page, IP, user agent,
// legal basis), which GDPR Art. 7(1) and, for SMS marketing, the TCPA (47
// CFR 64.1200) ask of a consent record.
func (r *Recording) EventFields(rec Record) map[string]string {
	fields := map[string]string{"purpose": string(rec.Purpose), "granted": fmt.Sprint(rec.Granted), "status": string(rec.Status)}
	if rec.Reason != "" {
		fields["reason"] = rec.Reason
	}
	for k, v := range r.Fields {
		fields[k] = v
	}
	return fields
}

// ReceiptSubject is the key of the subject the receipt mail is filed under:
// the email identifier's, the person it is sent to; without one, the last
// record's. Empty when the recording has no records.
func (r *Recording) ReceiptSubject() string {
	owner := ""
	for _, rec := range r.Records {
		if rec.Subject.Kind == Email {
			owner = rec.Subject.Key
		}
	}
	if owner == "" {
		for _, rec := range r.Records {
			owner = rec.Subject.Key
		}
	}
	return owner
}

// ConfirmSubject is what a double opt-in link confirms: the subject of the
// pending grant of email marketing (the only purpose confirmed by mail; a
// pending SMS grant is confirmed by its number).
func (r *Recording) ConfirmSubject() (subjectKey string, p Purpose) {
	for _, rec := range r.Records {
		if rec.Status == Pending && rec.Purpose == EmailMarketing {
			subjectKey = rec.Subject.Key
		}
	}
	return subjectKey, EmailMarketing
}

// EvidenceFrom is when the event of rec becomes evidence whose four years
// (the TCPA's limitation period, 28 U.S.C. §1658) run: never for a grant
// (kept while in effect; ok is false); a withdrawal or refusal from the
// moment it is made; a pending email grant from when its confirmation link
// lapses (its confirmation makes it a grant in effect). A pending SMS grant
// has no link that could lapse: it runs from the event, like a refusal, so
// a number that never confirms is not kept longer than four years; a
// confirmation before then makes it a grant in effect, with no expiry.
func (r *Recording) EvidenceFrom(rec Record) (from time.Time, ok bool) {
	switch rec.Status {
	case Granted:
		return time.Time{}, false
	case Pending:
		if rec.Purpose == EmailMarketing && !r.ConfirmExpires.IsZero() {
			return r.ConfirmExpires, true
		}
	}
	return r.At, true
}

// EventFields returns the ledger fields of the confirmation of c.
func (c Confirmation) EventFields() map[string]string {
	return map[string]string{"purpose": string(c.Purpose), "receipt_id": c.ReceiptID, "status": string(Granted), "method": "double opt-in link"}
}

// Replaces says whether a new record becomes the state of its purpose, given
// the state in force. A grant still waiting for confirmation does not
// replace a granted state: anyone can type an address or a number, and an
// unconfirmed grant in someone's name must not turn their confirmed consent
// back into "pending" (and the check into "not allowed"). The record is
// still evidence in the ledger, and confirming it grants again. Anything
// else replaces the state: a withdrawal, as easy as giving, whoever sends it
// (GDPR Art. 7(3)), and a confirmed or immediate grant.
func Replaces(current Status, rec Record) bool {
	return !(rec.Status == Pending && current == Granted)
}
