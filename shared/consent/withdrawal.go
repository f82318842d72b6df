package consent

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/subject"
)

// Channels a withdrawal can reach the company by, besides the website: the
// TCPA revocation rule (47 CFR 64.1200(a)(10), 2025) and GDPR Art. 7(3)
// accept any reasonable means, and staff record what came by phone, letter
// or email.
var Channels = []string{"phone", "letter", "email"}

// MaxNote bounds the note staff add to a recorded withdrawal.
const MaxNote = 500

// Withdrawal is a withdrawal that reached staff by another channel: who it
// is about, which purposes, how it came and who recorded it.
type Withdrawal struct {
	Email, Phone, BrowserID string
	Purposes                []Purpose
	Channel                 string
	Note                    string
	// Actor is the staff principal who recorded it.
	Actor string
}

// RecordWithdrawal records a withdrawal staff took by phone, letter or
// email: a ledger event per purpose, with the channel, the note and the
// actor, and the state withdrawn at once. Withdrawing is as easy as giving
// (GDPR Art. 7(3)), so no disclosure or confirmation is needed; staff record
// only withdrawals, since a grant must come from the person with the words
// they were shown.
func (s *Service) RecordWithdrawal(ctx context.Context, w Withdrawal) (Result, error) {
	if strings.TrimSpace(w.Actor) == "" {
		return Result{}, fault.New(fault.Internal, "A recorded withdrawal must name who recorded it.")
	}
	var errs fault.Fields
	ids, err := s.subjects.Identify(subject.Given{Email: w.Email, Phone: w.Phone, BrowserID: w.BrowserID},
		subject.Form{Count: subject.AtLeastOne, Prefix: "subject."}, &errs)
	if err != nil {
		return Result{}, err
	}
	note := strings.TrimSpace(w.Note)
	checkWithdrawal(&errs, w, note)
	if err := errs.Err(); err != nil {
		return Result{}, err
	}
	// Each purpose is withdrawn on the identifier later checks look it up
	// by: an email purpose needs the address, an SMS one the number.
	var refuse fault.Fields
	choices := make([]Choice, len(w.Purposes))
	no := false
	for i, p := range w.Purposes {
		choices[i] = Choice{Purpose: p, Granted: &no}
	}
	refusal(&refuse, Input{Choices: choices}, ids)
	if err := refuse.Refuse("The withdrawal cannot be recorded as given."); err != nil {
		return Result{}, err
	}
	for i := range ids {
		ids[i] = ids[i].KeyOnly()
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	rec := Recording{ReceiptID: s.newID(), At: now, Fields: map[string]string{
		"channel": w.Channel, "recorded_by": w.Actor, "note": note, "source": "staff",
	}}
	rec.Fields["receipt_id"] = rec.ReceiptID
	for _, p := range w.Purposes {
		rec.Records = append(rec.Records, Record{Purpose: p, Status: Withdrawn, Subject: target(ids, p), EventID: s.newID()})
	}
	if err := s.store.Record(ctx, &rec); err != nil {
		return Result{}, err
	}
	return Result{Recording: rec, Subjects: ids}, nil
}

// checkWithdrawal checks the purposes, channel and note of a withdrawal.
func checkWithdrawal(errs *fault.Fields, w Withdrawal, note string) {
	if len(w.Purposes) == 0 {
		errs.Add("events", "name at least one purpose to withdraw")
	}
	for i, p := range w.Purposes {
		f := "events[" + strconv.Itoa(i) + "].purpose"
		switch {
		case !slices.Contains(Purposes, p):
			errs.Add(f, "unknown purpose")
		case slices.Contains(w.Purposes[:i], p):
			errs.Add(f, "is given twice")
		}
	}
	if !slices.Contains(Channels, w.Channel) {
		errs.Add("channel", "say how the withdrawal reached us: phone, letter or email")
	}
	switch {
	case !utf8.ValidString(note) || utf8.RuneCountInString(note) > MaxNote:
		errs.Add("note", "must be plain text of at most 500 characters")
	case strings.IndexFunc(note, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0:
		errs.Add("note", "must be plain text")
	case strings.Contains(note, "@"):
		errs.Add("note", "must not contain an email address: the ledger keeps the note for years")
	}
}
