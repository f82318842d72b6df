package request_test

import (
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
)

func denied(regime deadline.Regime) request.Request {
	received := day(2026, 1, 5)
	return request.Request{
		ID: "01JZ8X6Q3V4N5T7W9Y0A2B4C6D", Types: []request.Type{request.Access}, Status: request.Denied,
		Email: "ada@example.com", FirstName: "Ada", Regime: regime, ReceivedAt: received,
		DueAt: deadline.Due(regime, received), ClosedAt: day(2026, 1, 20), Version: 4,
		DenialBasis: "No.", AppealState: request.AppealState{DenialCode: request.DenialOther},
	}
}

// TestAppealOnlyOfADenial: every status but denied refuses an appeal, and
// only an appealed request can be upheld or overturned.
func TestAppealOnlyOfADenial(t *testing.T) {
	now := day(2026, 2, 1)
	for _, st := range append(allStatuses, request.Appealed) {
		for _, a := range []request.Action{request.Appeal, request.Uphold, request.Overturn} {
			r := denied(deadline.CCPA)
			r.Status = st
			_, _, _, err := request.Transition(r, request.ActionInput{Action: a, Reason: "Reasons.", Actor: "staff"}, now)
			ok := (a == request.Appeal && st == request.Denied) || (a != request.Appeal && st == request.Appealed)
			if ok != (err == nil) || (!ok && fault.KindOf(err) != fault.Conflict) {
				t.Errorf("%s from %s: %v", a, st, err)
			}
		}
	}
	// Neither a denial nor a cancellation cuts an appeal short.
	r := denied(deadline.CCPA)
	r.Status = request.Appealed
	for _, a := range []request.Action{request.Deny, request.Cancel} {
		if _, _, _, err := request.Transition(r, request.ActionInput{Action: a, Reason: "x"}, now); fault.KindOf(err) != fault.Conflict {
			t.Errorf("%s of an appealed request: %v", a, err)
		}
	}
}

// TestAppealClock: the appeal runs 45 days from when it arrived, given or
// now; not from the future nor from before the denial; once per request.
func TestAppealClock(t *testing.T) {
	now := day(2026, 2, 1)
	r := denied(deadline.GDPR)
	next, ev, m, err := request.Transition(r, request.ActionInput{Action: request.Appeal, AppealedAt: day(2026, 1, 28), Actor: "staff"}, now)
	if err != nil {
		t.Fatal(err)
	}
	// Received 28 January 2026, 09:00 UTC: 01:00 on 28 January in Los
	// Angeles, day 1 of 45; day 45 is 13 March (28 January + 44 days), which
	// ends at 23:59:59.999 PDT (daylight saving time began 8 March), 06:59:59.999
	// UTC on 14 March.
	due := time.Date(2026, 3, 14, 6, 59, 59, 999e6, time.UTC)
	if next.Status != request.Appealed || !next.AppealReceivedAt.Equal(day(2026, 1, 28)) || !next.AppealDueAt.Equal(due) ||
		!next.DueAt.Equal(due) || !next.ClosedAt.IsZero() || next.Version != 5 {
		t.Fatalf("appealed %+v", next)
	}
	if ev.Action != "appeal" || ev.To != request.Appealed || !strings.Contains(ev.Note, "decision due 2026-03-13 PDT") {
		t.Fatalf("event %+v", ev)
	}
	if m == nil || m.Template != mail.AppealReceived || m.Data["due_at"] != "13 March 2026, 23:59 PDT" || m.Data["appeal_days"] != "45" {
		t.Fatalf("mail %+v", m)
	}
	for _, at := range []struct {
		name string
		in   request.ActionInput
	}{
		{"future", request.ActionInput{Action: request.Appeal, AppealedAt: now.Add(time.Second)}},
		{"before the denial", request.ActionInput{Action: request.Appeal, AppealedAt: r.ClosedAt.Add(-1)}},
	} {
		if _, _, _, err := request.Transition(r, at.in, now); !hasField(err, "appealed_at") {
			t.Errorf("%s: %v, want a field error on appealed_at", at.name, err)
		}
	}
	// Decided, the request cannot be appealed again, nor extended after an
	// overturn.
	up, _, _, err := request.Transition(next, request.ActionInput{Action: request.Uphold, Reason: "Reasons."}, now)
	if err != nil || up.Status != request.Denied || up.AppealDecision != request.Upheld || !up.ClosedAt.Equal(now) {
		t.Fatalf("upheld %+v, %v", up, err)
	}
	if _, _, _, err := request.Transition(up, request.ActionInput{Action: request.Appeal}, now); fault.KindOf(err) != fault.Conflict {
		t.Errorf("second appeal: %v", err)
	}
	over, _, m, err := request.Transition(next, request.ActionInput{Action: request.Overturn, Reason: "We found them."}, now)
	if err != nil || over.Status != request.InProgress || over.AppealDecision != request.Overturned || !over.DueAt.Equal(due) || !over.ClosedAt.IsZero() {
		t.Fatalf("overturned %+v, %v", over, err)
	}
	if m.Template != mail.AppealDecided || m.Data["decision"] != "overturned" || m.Data["reason"] != "We found them." {
		t.Fatalf("decision mail %+v", m)
	}
	if _, _, _, err := request.Transition(over, request.ActionInput{Action: request.Extend, Reason: "More."}, now); fault.KindOf(err) != fault.Conflict {
		t.Errorf("extension after an appeal: %v", err)
	}
	for _, a := range []request.Action{request.Uphold, request.Overturn} {
		if _, _, _, err := request.Transition(next, request.ActionInput{Action: a}, now); !hasField(err, "reason") {
			t.Errorf("%s without reasons: %v", a, err)
		}
	}
}

// TestDenialBasis: a basis from the list gives the company's words, staff's
// reason after them; other (or none) needs the reason; an unknown basis
// names the field. The mail offers an appeal unless one was made.
func TestDenialBasis(t *testing.T) {
	now := day(2026, 1, 20)
	open := denied(deadline.CCPA)
	open.Status, open.ClosedAt, open.DenialBasis, open.DenialCode = request.InProgress, now.AddDate(0, 0, -100), "", ""
	for _, b := range request.DenialBases {
		in := request.ActionInput{Action: request.Deny, Basis: string(b.Code)}
		_, _, _, err := request.Transition(open, in, now)
		if (b.Code == request.DenialOther) != hasField(err, "reason") {
			t.Errorf("basis %s without a reason: %v", b.Code, err)
		}
		in.Reason = "Staff words."
		next, _, m, err := request.Transition(open, in, now)
		if err != nil {
			t.Fatalf("basis %s: %v", b.Code, err)
		}
		want := strings.TrimSpace(b.Words + " Staff words.")
		if next.DenialCode != b.Code || next.DenialBasis != want || m.Data["reason"] != want || m.Data["appeal_days"] != "45" {
			t.Errorf("basis %s: %+v, mail %v", b.Code, next, m.Data)
		}
	}
	if _, _, _, err := request.Transition(open, request.ActionInput{Action: request.Deny, Basis: "whim", Reason: "x"}, now); !hasField(err, "basis") {
		t.Errorf("unknown basis: %v", err)
	}
	if next, _, _, err := request.Transition(open, request.ActionInput{Action: request.Deny, Reason: "Plain."}, now); err != nil || next.DenialCode != request.DenialOther {
		t.Errorf("no basis: %+v, %v", next.AppealState, err)
	}
	// A GDPR requester's denial names the supervisory authority, a CCPA
	// requester's the California regulators (GDPR Art. 12(4)).
	gdpr := open
	gdpr.Regime = deadline.GDPR
	_, _, mg, err := request.Transition(gdpr, request.ActionInput{Action: request.Deny, Basis: "unverified"}, now)
	_, _, mc, err2 := request.Transition(open, request.ActionInput{Action: request.Deny, Basis: "unverified"}, now)
	if err != nil || err2 != nil || mg.Data["supervisory"] != "yes" || mc.Data["supervisory"] != "" {
		t.Errorf("regulators: gdpr %v, ccpa %v (%v, %v)", mg, mc, err, err2)
	}
	// After an overturned appeal a new denial offers no second appeal.
	again := open
	again.AppealReceivedAt, again.AppealDecision = now.AddDate(0, 0, -10), request.Overturned
	_, _, m, err := request.Transition(again, request.ActionInput{Action: request.Deny, Basis: "legal_claims"}, now)
	if err != nil || m.Data["appeal_days"] != "" {
		t.Errorf("denial after an appeal: %v, mail %v", err, m)
	}
}

// TestCompletionWithheld: the completion mail and its history name the types
// withheld.
func TestCompletionWithheld(t *testing.T) {
	r := denied(deadline.CCPA)
	r.Status = request.InProgress
	_, ev, m, err := request.Transition(r, request.ActionInput{Action: request.Complete, Withheld: []string{"Social Security number", "medical record number"}}, day(2026, 1, 21))
	if err != nil {
		t.Fatal(err)
	}
	if m.Data["withheld"] != "Social Security number\nmedical record number" || !strings.Contains(ev.Note, "11 CCR §7024(d): Social Security number, medical record number") {
		t.Fatalf("mail %v, note %q", m.Data, ev.Note)
	}
	_, ev, m, _ = request.Transition(r, request.ActionInput{Action: request.Complete}, day(2026, 1, 21))
	if _, ok := m.Data["withheld"]; ok || ev.Note != "" {
		t.Fatalf("nothing withheld: mail %v, note %q", m.Data, ev.Note)
	}
}
