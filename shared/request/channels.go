package request

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/subject"
)

// Offline reports whether requests of the channel reach the company by
// email, phone or letter and are entered by staff.
func (c Channel) Offline() bool { return c == Email || c == Phone || c == Letter }

// MaxReceiptAge is how far back staff may date a request they enter. The
// longest first period a request has is 45 days (11 CCR §7021(b)); a
// request received longer ago than that is already overdue, and an earlier
// date is far more often a typing slip (a wrong month or year) than a
// letter found that late. Such a request is escalated to the privacy lead
// rather than entered with a date nobody can check.
const MaxReceiptAge = 45 * 24 * time.Hour

// receiptSkew is how far ahead of the service's clock a stated receipt time
// may be: a staff member's clock running a little fast is not a future date.
const receiptSkew = time.Minute

// receiptTime returns when the submitted request was received: the time
// staff state for a request that reached the company by email, phone or
// letter, else now. A date in the future, or older than MaxReceiptAge, is
// added to errs under received_at.
func receiptTime(errs *fault.Fields, sub Submission, now time.Time) time.Time {
	at := sub.ReceivedAt.UTC().Truncate(time.Millisecond)
	switch {
	case at.IsZero() || !sub.Channel.Offline():
		return now
	case at.After(now.Add(receiptSkew)):
		errs.Add("received_at", "must not be in the future")
	case now.Sub(at) > MaxReceiptAge:
		errs.Add("received_at", "must be within the last 45 days; escalate an older request to the privacy lead")
	case at.After(now):
		return now
	default:
		return at
	}
	return now
}

// Postal address limits: enough for any country's address format
// (recipient, street, locality, region, postcode, country).
const (
	maxPostalLines = 6
	maxPostal      = 300
)

// postalAddress checks and minimises the postal address a request entered
// by staff is answered at: its non-empty lines, each trimmed and with runs
// of spaces made one, at most six lines and 300 characters, nothing else.
func postalAddress(errs *fault.Fields, s string) string {
	s = text(errs, "postal_address", s, maxPostal)
	if s == "" {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > maxPostalLines {
		errs.Add("postal_address", "give at most 6 lines")
		return ""
	}
	return strings.Join(lines, "\n")
}

// offline checks what a request entered by staff needs beyond the form's
// fields: a way to answer the person. An email address is not required (a
// caller or a letter may give none), but one of email, phone or postal
// address is.
func offline(errs *fault.Fields, r *Request, in Input) {
	r.PostalAddress = postalAddress(errs, in.PostalAddress)
	if r.Email == "" && r.Phone == "" && r.PostalAddress == "" &&
		!errs.Has("email") && !errs.Has("phone") && !errs.Has("postal_address") {
		errs.Add("email", "give an email address, a phone number or a postal address to answer the person at")
	}
}

// postalKey gives a request known only by its postal address a subject key:
// the keyed digest of the minimised address, so that its records are
// filed under a key carrying no personal data like everyone's.
func (s *Service) postalKey(r *Request) {
	if r.SubjectKey != "" || r.PostalAddress == "" || s.cfg.Keyer == nil {
		return
	}
	r.SubjectKey = s.cfg.Keyer.Digest("postal", strings.ToLower(r.PostalAddress))
}

// receipts adds the creation's mails: the receipt to the requester, when
// there is an address to send it to, and the receipt to an authorized
// agent (11 CCR §7063).
func (s *Service) receipts(c *Creation, verifyURL string, now time.Time) {
	r := c.Request
	if r.Email != "" {
		c.Mail = mail.Intent{
			ID:       s.NewID(now),
			Template: mail.RequestReceived,
			To:       r.Email,
			Data:     mailData(s.cfg.Zone, r, verifyURL),
			// The receipt counts against the address's daily cap.
			RecipientKey: recipientKey(r),
		}
		if r.OnBehalf {
			// The consumer verifies directly, and is told that someone
			// asked on their behalf (11 CCR §7063(a)(1)); the agent's
			// name is typed text, so the mail does not show it.
			c.Mail.Data["on_behalf"] = "yes"
		}
	}
	if r.OnBehalf && r.AgentEmail != "" {
		c.Extra = append(c.Extra, s.agentReceipt(r, now))
	}
}

// agentReceipt is the mail that tells an authorized agent the request was
// received and that the consumer will be asked to verify their identity
// directly (11 CCR §7063(a)(1)). It names the request and its due date,
// nothing of the consumer: whoever typed the agent's address learns nothing
// from it. Anyone can type any address as the agent's, so it counts against
// the agent address's daily cap like a receipt.
func (s *Service) agentReceipt(r Request, now time.Time) mail.Intent {
	in := mail.Intent{
		ID:       s.NewID(now),
		Template: mail.AgentReceipt,
		To:       r.AgentEmail,
		Data: map[string]string{
			"request_id":  r.ID,
			"received_at": s.cfg.Zone.Day(r.ReceivedAt),
			"due_at":      s.cfg.Zone.Day(r.DueAt),
		},
	}
	if r.Channel == Web && s.cfg.Keyer != nil {
		in.RecipientKey = s.cfg.Keyer.Email(r.AgentEmail)
	}
	return in
}

// maxNote bounds staff notes (verification, agent permission).
const maxNote = 2000

// note checks a staff note: required when asked, plain text, bounded.
func note(errs *fault.Fields, field, s string, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		errs.Add(field, "this field is required")
	case !utf8.ValidString(s):
		errs.Add(field, "must be valid UTF-8 text")
	case utf8.RuneCountInString(s) > maxNote:
		errs.Add(field, "is too long")
	default:
		return s
	}
	return ""
}

// identities are the identifiers of a request staff verified, with their
// keys: the email and the phone given with it.
func (s *Service) identities(r Request) []subject.Identity {
	if s.cfg.Keyer == nil {
		return nil
	}
	var out []subject.Identity
	if r.Email != "" {
		out = append(out, subject.Identity{Kind: subject.Email, Key: s.cfg.Keyer.Email(r.Email), Value: r.Email, Match: subject.MatchHash(r.Email)})
	}
	if r.Phone != "" {
		out = append(out, subject.Identity{Kind: subject.Phone, Key: s.cfg.Keyer.Phone(r.Phone), Value: r.Phone, Match: subject.MatchHash(r.Phone)})
	}
	return out
}
