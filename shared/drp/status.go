package drp

import (
	"net/url"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/request"
)

// The protocol's request states (DRP 3.02).
const (
	StateOpen       = "open"
	StateInProgress = "in_progress"
	StateFulfilled  = "fulfilled"
	StateRevoked    = "revoked"
	StateDenied     = "denied"
	StateExpired    = "expired"
)

// The protocol's reasons (DRP 3.02).
const (
	ReasonNeedUserVerification = "need_user_verification"
	ReasonSuspectedFraud       = "suspected_fraud"
	ReasonInsufVerification    = "insuf_verification"
	ReasonNoMatch              = "no_match"
	ReasonClaimNotCovered      = "claim_not_covered"
	ReasonOutsideJurisdiction  = "outside_jurisdiction"
	ReasonTooManyRequests      = "too_many_requests"
	ReasonOther                = "other"
)

// Status is the protocol's Exercise Status object (DRP 3.03): the answer to
// an exercise, a status query and a revoke, and the body of every status
// callback.
type Status struct {
	RequestID           string     `json:"request_id"`
	AgentRequestID      string     `json:"agent_request_id,omitempty"`
	Status              string     `json:"status"`
	Reason              string     `json:"reason,omitempty"`
	ReceivedAt          *time.Time `json:"received_at,omitempty"`
	ExpectedBy          *time.Time `json:"expected_by,omitempty"`
	ProcessingDetails   string     `json:"processing_details,omitempty"`
	UserVerificationURL string     `json:"user_verification_url,omitempty"`
}

// denialReasons maps the service's denial bases onto the protocol's
// reasons; a basis not listed is "other".
var denialReasons = map[request.DenialCode]string{
	"unverified":             ReasonInsufVerification,
	"legal_obligation":       ReasonClaimNotCovered,
	"legal_claims":           ReasonClaimNotCovered,
	"others_rights":          ReasonClaimNotCovered,
	"correction_accurate":    ReasonClaimNotCovered,
	"unfounded_or_excessive": ReasonTooManyRequests,
}

// StatusOf is the protocol's status of a request. The service acts on the
// requests itself, so a request is never left "open": it is in progress
// from receipt (DRP 3.03 [1]), with expected_by its legal due date; while
// the person has not confirmed it, the reason is need_user_verification
// and user_verification_url the verification page on base (empty: none,
// as in a status callback, which the agent answers by asking). A request
// closes as fulfilled, denied with the closest reason, revoked (cancelled)
// or denied for insufficient verification (never confirmed).
func StatusOf(r request.Request, base string) Status {
	received, due := r.ReceivedAt, r.DueAt
	st := Status{RequestID: r.ID, Status: StateInProgress, ReceivedAt: &received, ExpectedBy: &due}
	if r.Protocol != nil {
		st.AgentRequestID = r.Protocol.RequestID
	}
	switch r.Status {
	case request.PendingVerification:
		st.Reason = ReasonNeedUserVerification
		st.ProcessingDetails = "The person must confirm this request from the email we sent them."
		if base != "" {
			st.UserVerificationURL = VerificationURL(base, r.ID)
		}
	case request.Extended:
		// An extension must say why (DRP 3.08; 11 CCR §7021(b)).
		st.ProcessingDetails = "Extended: " + r.ExtensionReason
	case request.Completed:
		st.Status, st.ExpectedBy = StateFulfilled, nil
		st.ProcessingDetails = r.Outcome
	case request.Denied:
		st.Status, st.ExpectedBy = StateDenied, nil
		st.Reason = denialReasons[r.DenialCode]
		if st.Reason == "" {
			st.Reason = ReasonOther
		}
		st.ProcessingDetails = r.DenialBasis
	case request.Cancelled:
		st.Status, st.ExpectedBy = StateRevoked, nil
	case request.ExpiredUnverified:
		st.Status, st.ExpectedBy = StateDenied, nil
		st.Reason = ReasonInsufVerification
		st.ProcessingDetails = "The person did not confirm the request in time."
	}
	return st
}

// VerificationURL is the verification page of one request (DRP 3.02.1):
// the agent adds request_id, which must name the same request, and
// redirect_to as further query parameters. For the agent's request still
// waiting, the page says a link was mailed and mails a new one on asking;
// the link goes only to the person's address and confirming it is the
// verification (they verify with the business directly, 11 CCR
// §7063(a)(1)). Once confirmed, the page that says so links back to
// redirect_to when its origin is one the agent's register entry lists.
func VerificationURL(base, requestID string) string {
	return strings.TrimRight(base, "/") + "/v1/verify?reference=" + url.QueryEscape(requestID)
}

// Changed reports whether a change of a request from one state to the next
// is a change of its protocol status, which the agent is told of by status
// callback: a new state or reason, a new expected_by, new details.
func Changed(before, after request.Request) bool {
	a, b := StatusOf(before, ""), StatusOf(after, "")
	return a.Status != b.Status || a.Reason != b.Reason || a.ProcessingDetails != b.ProcessingDetails ||
		!sameTime(a.ExpectedBy, b.ExpectedBy)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
