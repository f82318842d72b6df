package consent

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ledger"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/subject"
)

// Replies to the service's texts. Consent may be revoked by any reasonable
// means, and a reply of STOP or a like word in a text is one (47 CFR
// 64.1200(a)(10), in force since April 2025): it ends every SMS purpose of
// the number at once, whatever words surround it. HELP gets the company's
// name and contact, START the number's earlier confirmed consent back (CTIA
// Messaging Principles and Best Practices).

// Keyword is what a reply asks for.
type Keyword string

// Keywords.
const (
	NoKeyword Keyword = ""
	Stop      Keyword = "STOP"
	Help      Keyword = "HELP"
	Start     Keyword = "START"
)

// stopWords, helpWords and startWords are the reply words of each keyword.
var (
	stopWords  = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
	helpWords  = []string{"HELP"}
	startWords = []string{"START", "UNSTOP", "YES"}
)

// maxReply bounds what is read of a reply: a text is at most ten segments.
const maxReply = 1600

// ParseKeyword reads the keyword of a reply: any of its words, in any case.
// A stop word wins over the others ("yes, stop"): a revocation is honoured
// whatever else the text says. Words are split at anything not a letter,
// so "weekend" is no END and "STOP!" is STOP.
func ParseKeyword(body string) Keyword {
	if len(body) > maxReply {
		body = body[:maxReply]
	}
	words := strings.FieldsFunc(strings.ToUpper(body), func(r rune) bool { return !unicode.IsLetter(r) })
	has := func(set []string) bool {
		for _, w := range words {
			for _, k := range set {
				if w == k {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has(stopWords):
		return Stop
	case has(helpWords):
		return Help
	case has(startWords):
		return Start
	}
	return NoKeyword
}

// smsPurposes are the purposes a number's replies act on.
var smsPurposes = []Purpose{SMSMarketing, SMSTransactional}

// ReplyChannel is the channel a reply's ledger events name.
const ReplyChannel = "sms_reply"

// ReplyStore is what acting on replies needs from storage besides Store.
type ReplyStore interface {
	// QueueText queues a text that belongs to no record (the HELP reply)
	// in the number's partition.
	QueueText(ctx context.Context, subjectKey string, in mail.Intent, at time.Time) error
	// History returns the number's ledger events, oldest first.
	History(ctx context.Context, subjectKey string) ([]ledger.Event, error)
}

// Reply is an inbound text: the number it came from (E.164, as the
// messaging service gives it), its words, and the service's id of it.
type Reply struct {
	From, Body, MessageID string
}

// ReplyResult says what a reply did: its keyword, the purposes it changed
// and whether a text answers it. It names no number.
type ReplyResult struct {
	Keyword Keyword
	Changed []Purpose
	Texted  bool
}

// Receive acts on a reply. STOP withdraws every SMS purpose of the number
// not withdrawn already, with one ledger event each, and texts the STOP
// confirmation (the one message CTIA practice allows after STOP, saying
// that no more will come); a STOP that changes nothing texts nothing. A
// number the service never knew gets its withdrawals recorded too (keyed
// hash only): the ledger then proves the revocation if the number is typed
// into a form later. HELP texts the HELP reply; START re-grants only the
// purposes the number confirmed before; anything else does nothing.
func (s *Service) Receive(ctx context.Context, r Reply) (ReplyResult, error) {
	kw := ParseKeyword(r.Body)
	res := ReplyResult{Keyword: kw}
	if kw == NoKeyword {
		return res, nil
	}
	replies, ok := s.store.(ReplyStore)
	if !ok {
		return res, fault.New(fault.Internal, "this store takes no replies")
	}
	var errs fault.Fields
	ids, err := s.subjects.Identify(subject.Given{Phone: r.From}, subject.Form{Count: subject.ExactlyOne}, &errs)
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return res, err
	}
	num := ids[0]
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	if kw == Help {
		res.Texted = true
		return res, replies.QueueText(ctx, num.Key, s.text(mail.SMSHelp, num, kw), now)
	}
	states, err := s.store.States(ctx, num.Key)
	if err != nil {
		return res, err
	}
	current := map[Purpose]Status{}
	for _, st := range states {
		current[st.Purpose] = st.Status
	}
	rec := Recording{ReceiptID: s.newID(), At: now, Fields: map[string]string{"channel": ReplyChannel, "keyword": string(kw)}}
	rec.Fields["receipt_id"] = rec.ReceiptID
	if r.MessageID != "" {
		rec.Fields["inbound_message_id"] = r.MessageID
	}
	targets, err := s.replyTargets(ctx, replies, kw, num.Key, current)
	if err != nil {
		return res, err
	}
	for _, p := range targets {
		granted := kw == Start
		status := Withdrawn
		if granted {
			status = Granted
		}
		rec.Records = append(rec.Records, Record{Purpose: p, Granted: granted, Status: status, Subject: num.KeyOnly(), EventID: s.newID()})
		res.Changed = append(res.Changed, p)
	}
	if len(rec.Records) == 0 {
		return res, nil
	}
	if kw == Stop {
		t := s.text(mail.SMSStop, num, kw)
		rec.Text, res.Texted = &t, true
	}
	return res, s.store.Record(ctx, &rec)
}

// replyTargets are the purposes a STOP or START changes: STOP every SMS
// purpose not withdrawn or refused already; START those the number had
// confirmed (ConfirmedBefore) and that are not granted now.
func (s *Service) replyTargets(ctx context.Context, replies ReplyStore, kw Keyword, key string, current map[Purpose]Status) ([]Purpose, error) {
	var out []Purpose
	if kw == Stop {
		for _, p := range smsPurposes {
			if st := current[p]; st != Withdrawn && st != NotGranted {
				out = append(out, p)
			}
		}
		return out, nil
	}
	history, err := replies.History(ctx, key)
	if err != nil {
		return nil, err
	}
	for _, p := range ConfirmedBefore(history) {
		if current[p] != Granted {
			out = append(out, p)
		}
	}
	return out, nil
}

// ConfirmedBefore lists the SMS purposes a number's ledger shows it agreed
// to itself: marketing confirmed by its code (or a START that restored such
// a grant), and account texts granted, which need no confirmation. A grant
// typed into a form and never confirmed does not count: START must not turn
// a stranger's entry into consent.
func ConfirmedBefore(events []ledger.Event) []Purpose {
	seen := map[Purpose]bool{}
	for _, e := range events {
		p := Purpose(e.Fields["purpose"])
		switch {
		case e.Kind == ConfirmedKind && p == SMSMarketing,
			e.Kind == EventKind && p == SMSTransactional && e.Fields["status"] == string(Granted),
			e.Kind == EventKind && p == SMSMarketing && e.Fields["status"] == string(Granted) && e.Fields["keyword"] == string(Start):
			seen[p] = true
		}
	}
	var out []Purpose
	for _, p := range smsPurposes {
		if seen[p] {
			out = append(out, p)
		}
	}
	return out
}

// text is a reply text to a number, counted against its cap; its data
// names the keyword it answers (never the words of the reply).
func (s *Service) text(t mail.Template, num Identity, kw Keyword) mail.Intent {
	return mail.Intent{ID: s.newID(), Template: t, Channel: mail.ChannelSMS, To: num.Value, RecipientKey: num.Key,
		Data: map[string]string{"keyword": string(kw)}}
}
