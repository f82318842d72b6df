package request_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/request"
)

// everyAction is every staff action Act takes, written out here so that
// the test does not take its list from the code under test.
var everyAction = []request.Action{
	"verify", "resend", "agent_permission", "start", "decide_correction", "extend", "complete",
	"appeal", "uphold", "overturn", "deny", "cancel",
}

// TestAllowedAgreesWithAct takes every action on each request below, each
// time on a fresh copy with a complete input: an action Allowed lists is
// accepted by Act, and one it leaves out is refused.
func TestAllowedAgreesWithAct(t *testing.T) {
	now := day(2026, 3, 10)
	undecided := []request.Correction{{Item: "postal address", CurrentValue: "1 Old St", CorrectedValue: "2 New St"}}
	rejected := []request.Correction{{Item: "postal address", CurrentValue: "1 Old St", CorrectedValue: "2 New St", Decision: request.Rejected, Reason: "records"}}
	cases := map[string]request.Request{
		"pending":                 {Status: request.PendingVerification},
		"received":                {Status: request.Received},
		"verified":                {Status: request.Verified},
		"in progress":             {Status: request.InProgress},
		"extended":                {Status: request.Extended, Extended: true},
		"appealed":                {Status: request.Appealed, AppealState: request.AppealState{AppealReceivedAt: now.Add(-time.Hour)}},
		"completed":               {Status: request.Completed, ClosedAt: now.Add(-time.Hour)},
		"denied":                  {Status: request.Denied, ClosedAt: now.Add(-time.Hour)},
		"denied after appeal":     {Status: request.Denied, ClosedAt: now.Add(-time.Hour), AppealState: request.AppealState{AppealReceivedAt: now.Add(-2 * time.Hour)}},
		"cancelled":               {Status: request.Cancelled, ClosedAt: now.Add(-time.Hour)},
		"expired":                 {Status: request.ExpiredUnverified, ClosedAt: now.Add(-time.Hour)},
		"past its original due":   {Status: request.Verified, ReceivedAt: now.AddDate(0, 0, -50), DueAt: now.AddDate(0, 0, -5)},
		"opt-out":                 {Status: request.Received, Types: []request.Type{request.OptOut}},
		"agent, no permission":    {Status: request.Verified, OnBehalf: true, AgentName: "Agent"},
		"agent with permission":   {Status: request.Verified, OnBehalf: true, AgentName: "Agent", AgentPermission: "ref 12", AgentPermissionAt: now.Add(-time.Hour)},
		"correction undecided":    {Status: request.Verified, Types: []request.Type{request.Correct}, Corrections: undecided},
		"correction, one denied":  {Status: request.Completed, Types: []request.Type{request.Correct}, Corrections: rejected, ClosedAt: now.Add(-time.Hour)},
		"completed, all accepted": {Status: request.Completed, Types: []request.Type{request.Correct}, Corrections: []request.Correction{{Item: "x", CorrectedValue: "y", Decision: request.Accepted}}},
	}
	for name, r := range cases {
		for _, a := range everyAction {
			svc, st, _ := newService(t, now)
			stored := seed(t, svc, st, now, r)
			listed := request.Allowed(stored, now)
			if a == everyAction[0] {
				for _, l := range listed {
					if !slices.Contains(everyAction, l) {
						t.Errorf("%s: lists %q, not an action", name, l)
					}
				}
			}
			in := request.ActionInput{Action: a, Reason: "a reason", Outcome: "done", Actor: "staff-1",
				Method: "phone_callback", Note: "called back the number on file", ToldBy: "phone",
				Decisions: []request.ItemDecision{{Item: 0, Decision: request.Accepted}}}
			if stored.Status == request.Completed {
				in.Decisions = []request.ItemDecision{{Item: 0, Decision: request.Rejected, Contested: true}}
			}
			_, err := svc.Act(context.Background(), stored.ID, in)
			switch {
			case slices.Contains(listed, a) && err != nil:
				t.Errorf("%s: %s is listed, but Act refused it: %v", name, a, err)
			case !slices.Contains(listed, a) && err == nil:
				t.Errorf("%s: %s is not listed, but Act accepted it", name, a)
			}
		}
	}
}

// TestAllowedOfAnErasedRequest: a request whose person was erased has no
// one left to verify or send a receipt to.
func TestAllowedOfAnErasedRequest(t *testing.T) {
	r := request.Request{Status: request.PendingVerification, Types: []request.Type{request.Access}}
	got := request.Allowed(r, day(2026, 3, 10))
	if want := []request.Action{request.Deny, request.Cancel}; !slices.Equal(got, want) {
		t.Errorf("Allowed = %v, want %v", got, want)
	}
}
