package request

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/fault"
)

// DecideCorrection records staff's decision on items of a request to
// correct: accept, accept in part (with the value now held) or deny (with
// the basis); a denied item the person disputes is marked contested, with
// their statement when they give one. It sends no mail: the completion
// mail says, item by item, what changed (11 CCR §7023(f)).
const DecideCorrection Action = "decide_correction"

// ItemDecision is staff's decision on one item, named by its place in the
// request's corrections (0 first).
type ItemDecision struct {
	Item         int
	Decision     Decision
	AppliedValue string
	Reason       string
	Contested    bool
	Statement    string
}

// decidable are the statuses items can be decided in: after verification
// (a correction needs it, 11 CCR §7060(a)) and before the request closes.
// A completed request still takes the mark that a denied item is contested
// and the person's statement, which may come after the outcome mail.
var decidable = []Status{Verified, InProgress, Extended}

// DecideCorrections applies decisions to r at now: the new request and its
// audit event. Rules only; nothing is stored. The event names items by
// place and decision, never a value.
func DecideCorrections(r Request, in ActionInput, now time.Time) (Request, Event, error) {
	if in.Version != 0 && in.Version != r.Version {
		return Request{}, Event{}, fault.New(fault.Conflict, fmt.Sprintf("The request changed meanwhile (version %d, not %d); reload it.", r.Version, in.Version))
	}
	closed := r.Status == Completed
	if !closed && !slices.Contains(decidable, r.Status) {
		return Request{}, Event{}, fault.New(fault.Conflict, fmt.Sprintf("Corrections of a request that is %s cannot be decided.", r.Status))
	}
	if len(r.Corrections) == 0 {
		return Request{}, Event{}, fault.New(fault.Conflict, "This request has no items to correct.")
	}
	var errs fault.Fields
	if len(in.Decisions) == 0 {
		errs.Add("decisions", "give a decision for at least one item")
	}
	next := r
	next.Corrections = slices.Clone(r.Corrections)
	var notes []string
	seen := map[int]bool{}
	for i, d := range in.Decisions {
		f := "decisions[" + strconv.Itoa(i) + "]."
		if d.Item < 0 || d.Item >= len(r.Corrections) || seen[d.Item] {
			errs.Add(f+"item", fmt.Sprintf("name each item once by its place, 0 to %d", len(r.Corrections)-1))
			continue
		}
		seen[d.Item] = true
		c, ok := decideItem(&errs, f, r.Corrections[d.Item], d, closed)
		if !ok {
			continue
		}
		c.DecidedAt, c.DecidedBy = now, in.Actor
		next.Corrections[d.Item] = c
		notes = append(notes, itemNote(d.Item, c))
	}
	if err := errs.Err(); err != nil {
		return Request{}, Event{}, err
	}
	next.Version = r.Version + 1
	if next.Status == Verified {
		// Deciding is working on the request.
		next.Status = InProgress
	}
	ev := Event{At: now, Action: string(DecideCorrection), From: r.Status, To: next.Status, Actor: in.Actor,
		Note: "corrections decided: " + strings.Join(notes, "; ")}
	return next, ev, nil
}

// decideItem checks one decision and returns the item as decided.
func decideItem(errs *fault.Fields, f string, c Correction, d ItemDecision, closed bool) (Correction, bool) {
	n := len(*errs)
	reason := text(errs, f+"reason", d.Reason, 2000)
	applied := text(errs, f+"applied_value", d.AppliedValue, maxValue)
	statement := text(errs, f+"statement", d.Statement, 3000)
	switch d.Decision {
	case Accepted:
		if applied != "" {
			errs.Add(f+"applied_value", "an accepted item takes the corrected value; use accept_in_part to apply another")
		}
		applied = c.CorrectedValue
	case AcceptedInPart:
		if applied == "" && !errs.Has(f+"applied_value") {
			errs.Add(f+"applied_value", "say what the information now is")
		}
		if reason == "" && !errs.Has(f+"reason") {
			errs.Add(f+"reason", "say why the rest was not corrected; the person is told (11 CCR §7023(f)(1))")
		}
	case Rejected:
		if applied != "" {
			errs.Add(f+"applied_value", "a denied item changes nothing")
		}
		if reason == "" && !errs.Has(f+"reason") && !closed {
			errs.Add(f+"reason", "give the basis for the denial; the person is told (11 CCR §7023(f)(1))")
		}
	default:
		errs.Add(f+"decision", "use one of accept, accept_in_part, deny")
	}
	if (d.Contested || statement != "") && d.Decision != Rejected {
		errs.Add(f+"contested", "only a denied item can be contested")
	}
	if statement != "" && !d.Contested {
		errs.Add(f+"statement", "a statement is kept only for a contested item; set contested")
	}
	if words(statement) > maxStatementWords {
		errs.Add(f+"statement", "the statement is limited to 250 words (11 CCR §7023(f)(3))")
	}
	if closed {
		// The outcome was mailed: only the contest of a denial is added.
		switch {
		case c.Decision != Rejected || d.Decision != Rejected:
			errs.Add(f+"decision", "the request is completed: only a denied item can be marked contested")
		case reason != "" && reason != c.Reason:
			errs.Add(f+"reason", "the request is completed: the basis told to the person cannot change")
		}
		reason = c.Reason
	}
	if len(*errs) > n {
		return Correction{}, false
	}
	c.Decision, c.AppliedValue, c.Reason = d.Decision, applied, reason
	c.Contested, c.Statement = d.Contested, statement
	return c, true
}

// itemNote is the audit history's line for a decided item: its place and
// the decision, never the values.
func itemNote(i int, c Correction) string {
	s := strconv.Itoa(i) + " " + string(c.Decision)
	if c.Contested {
		s += " (contested"
		if c.Statement != "" {
			s += ", statement kept"
		}
		s += ")"
	}
	return s
}

// decideCorrection applies DecideCorrection to a stored request.
func (s *Service) decideCorrection(ctx context.Context, id string, in ActionInput) (Request, error) {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return Request{}, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	next, ev, err := DecideCorrections(r, in, now)
	if err != nil {
		return Request{}, err
	}
	ev.ID = s.NewID(now)
	if err := s.store.Update(ctx, Change{Request: next, FromVersion: r.Version, Event: ev}); err != nil {
		return Request{}, err
	}
	return next, nil
}

// undecided checks, before a request is completed, that every item of its
// correction is decided: the outcome mail must say what became of each
// (11 CCR §7023(f)).
func undecided(r Request) error {
	var open []string
	for i, c := range r.Corrections {
		if c.Decision == "" {
			open = append(open, strconv.Itoa(i))
		}
	}
	if len(open) == 0 {
		return nil
	}
	msg := "decide items " + strings.Join(open, ", ") + " first (action decide_correction): the person is told what became of each"
	return &fault.Error{Kind: fault.Conflict, Detail: "Items of the correction are not decided.",
		Fields: []fault.FieldError{{Field: "corrections", Message: msg}}}
}

// correctionOutcome is what the completion mail says of each item, in the
// company's and staff's words: the person's own text (the item's name,
// the values they typed) is not repeated, as in every mail; an item is
// named by its place in their request. A value staff applied in part is
// staff's, and shown.
func correctionOutcome(r Request) string {
	lines := make([]string, 0, len(r.Corrections))
	for i, c := range r.Corrections {
		n := "Item " + strconv.Itoa(i+1) + " of your correction: "
		switch c.Decision {
		case Accepted:
			lines = append(lines, n+"corrected as you asked.")
		case AcceptedInPart:
			lines = append(lines, n+"corrected in part. We now hold: "+c.AppliedValue+". Why not in full: "+c.Reason)
		case Rejected:
			l := n + "not corrected. Why: " + c.Reason
			if c.Contested {
				l += " You dispute this: we mark the information as contested, keep any written statement you send us (up to 250 words) with it, and pass the statement on to whoever we share this information with."
			} else {
				l += " You may send us a written statement (up to 250 words) disputing it; we keep it with the information and pass it on to whoever we share this information with."
			}
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
