package adminapi

import (
	"strings"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
)

// ChannelFields are what staff see of a request's channel beyond the form:
// the postal address of a request entered without an email address, when
// it was entered (when it was received earlier), how the person was
// verified, and the agent's recorded permission.
type ChannelFields struct {
	PostalAddress      string     `json:"postal_address,omitempty"`
	EnteredAt          *time.Time `json:"entered_at,omitempty"`
	VerificationMethod string     `json:"verification_method,omitempty"`
	VerificationNote   string     `json:"verification_note,omitempty"`
	AgentPermission    string     `json:"agent_permission,omitempty"`
	AgentPermissionAt  *time.Time `json:"agent_permission_at,omitempty"`
}

func channelFieldsOf(r request.Request) ChannelFields {
	f := ChannelFields{
		PostalAddress: r.PostalAddress, VerificationMethod: r.VerificationMethod,
		VerificationNote: r.VerificationNote, AgentPermission: r.AgentPermission,
	}
	if !r.EnteredAt.IsZero() {
		at := r.EnteredAt
		f.EnteredAt = &at
	}
	if !r.AgentPermissionAt.IsZero() {
		at := r.AgentPermissionAt
		f.AgentPermissionAt = &at
	}
	return f
}

// parseReceivedAt reads when a request staff enter reached the company: an
// RFC 3339 date-time with its offset, so that the day its clock starts on
// is never a guess about a zone. Empty means now.
func parseReceivedAt(bad *fault.Fields, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		bad.Add("received_at", "give an RFC 3339 date-time with its offset, e.g. 2026-03-01T09:30:00-08:00")
		return time.Time{}
	}
	return t
}
