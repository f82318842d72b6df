package drp

import (
	"testing"
	"time"

	"github.com/claritru/privacy/shared/request"
)

func TestStatusOfEveryRequestStatus(t *testing.T) {
	received := time.Date(2026, 11, 2, 17, 0, 0, 0, time.UTC)
	due := time.Date(2026, 12, 17, 7, 59, 59, 999_000_000, time.UTC)
	base := request.Request{ID: "01JDRP0000000000000000000A", ReceivedAt: received, DueAt: due,
		Protocol: &request.ProtocolAgent{ID: "AA", RequestID: "agent-ref-1"}}
	type want struct {
		state, reason, details string
		expected, url          bool
	}
	cases := []struct {
		name string
		edit func(*request.Request)
		want want
	}{
		{"pending verification", func(r *request.Request) { r.Status = request.PendingVerification },
			want{StateInProgress, ReasonNeedUserVerification, "The person must confirm this request from the email we sent them.", true, true}},
		{"received", func(r *request.Request) { r.Status = request.Received }, want{StateInProgress, "", "", true, false}},
		{"verified", func(r *request.Request) { r.Status = request.Verified }, want{StateInProgress, "", "", true, false}},
		{"in progress", func(r *request.Request) { r.Status = request.InProgress }, want{StateInProgress, "", "", true, false}},
		{"extended", func(r *request.Request) { r.Status, r.ExtensionReason = request.Extended, "many systems" },
			want{StateInProgress, "", "Extended: many systems", true, false}},
		{"completed", func(r *request.Request) { r.Status, r.Outcome = request.Completed, "deleted" }, want{StateFulfilled, "", "deleted", false, false}},
		{"denied unverified", func(r *request.Request) {
			r.Status, r.DenialCode, r.DenialBasis = request.Denied, "unverified", "could not verify"
		},
			want{StateDenied, ReasonInsufVerification, "could not verify", false, false}},
		{"denied for a legal obligation", func(r *request.Request) { r.Status, r.DenialCode = request.Denied, "legal_obligation" },
			want{StateDenied, ReasonClaimNotCovered, "", false, false}},
		{"denied otherwise", func(r *request.Request) { r.Status, r.DenialCode = request.Denied, request.DenialOther },
			want{StateDenied, ReasonOther, "", false, false}},
		{"cancelled", func(r *request.Request) { r.Status = request.Cancelled }, want{StateRevoked, "", "", false, false}},
		{"expired unverified", func(r *request.Request) { r.Status = request.ExpiredUnverified },
			want{StateDenied, ReasonInsufVerification, "The person did not confirm the request in time.", false, false}},
	}
	for _, c := range cases {
		r := base
		c.edit(&r)
		st := StatusOf(r, "https://privacy.claritru.example/")
		if st.RequestID != r.ID || st.AgentRequestID != "agent-ref-1" || st.Status != c.want.state || st.Reason != c.want.reason ||
			st.ProcessingDetails != c.want.details || st.ReceivedAt == nil || !st.ReceivedAt.Equal(received) {
			t.Errorf("%s: %+v", c.name, st)
		}
		if c.want.expected != (st.ExpectedBy != nil) || (st.ExpectedBy != nil && !st.ExpectedBy.Equal(due)) {
			t.Errorf("%s: expected_by %v", c.name, st.ExpectedBy)
		}
		wantURL := ""
		if c.want.url {
			wantURL = "https://privacy.claritru.example/v1/verify?reference=01JDRP0000000000000000000A"
		}
		if st.UserVerificationURL != wantURL {
			t.Errorf("%s: user_verification_url %q", c.name, st.UserVerificationURL)
		}
	}
}

func TestChangedIsAChangeOfTheProtocolStatus(t *testing.T) {
	r := request.Request{ID: "X", Status: request.Received, DueAt: time.Unix(100, 0)}
	started := r
	started.Status = request.InProgress
	if Changed(r, started) {
		t.Error("received to in progress is in_progress both times: no callback")
	}
	extended := started
	extended.Status, extended.ExtensionReason, extended.DueAt = request.Extended, "why", time.Unix(200, 0)
	verified := r
	verified.Status = request.PendingVerification
	done := started
	done.Status = request.Completed
	for name, pair := range map[string][2]request.Request{
		"extended": {started, extended}, "verified": {verified, r}, "completed": {started, done},
	} {
		if !Changed(pair[0], pair[1]) {
			t.Errorf("%s: not a change", name)
		}
	}
}
