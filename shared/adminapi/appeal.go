package adminapi

import (
	"slices"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subjectdata"
)

// appealView is what staff see of a request's appeal: when it arrived, when
// the decision is due (also the request's due_at while it is appealed,
// which orders the queue), and the decision with its reasons.
type appealView struct {
	AppealReceivedAt *time.Time             `json:"appeal_received_at,omitempty"`
	AppealDueAt      *time.Time             `json:"appeal_due_at,omitempty"`
	AppealDecision   request.AppealDecision `json:"appeal_decision,omitempty"`
	AppealDecidedAt  *time.Time             `json:"appeal_decided_at,omitempty"`
	AppealReason     string                 `json:"appeal_reason,omitempty"`
}

func appealViewOf(a request.AppealState) appealView {
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return appealView{
		AppealReceivedAt: opt(a.AppealReceivedAt), AppealDueAt: opt(a.AppealDueAt),
		AppealDecision: a.AppealDecision, AppealDecidedAt: opt(a.AppealDecidedAt), AppealReason: a.AppealReason,
	}
}

// actionExtras are the action fields only some actions take.
type actionExtras struct {
	Basis      string
	AppealedAt time.Time
	Withheld   []string
}

// appealFields reads a denial's basis, an appeal's arrival time and a
// completion's withheld types, each only for its action: given to another
// action, it is an error naming it, rather than silently ignored.
func appealFields(action request.Action, basis, appealedAt string, withheld []string, bad *fault.Fields) actionExtras {
	var x actionExtras
	if basis = strings.TrimSpace(basis); basis != "" {
		if action != request.Deny {
			bad.Add("basis", "only a deny action takes a basis")
		}
		x.Basis = basis
	}
	if appealedAt = strings.TrimSpace(appealedAt); appealedAt != "" {
		t, err := time.Parse(time.RFC3339, appealedAt)
		switch {
		case action != request.Appeal:
			bad.Add("appealed_at", "only an appeal action takes appealed_at")
		case err != nil:
			bad.Add("appealed_at", "give an RFC 3339 date-time, e.g. 2026-03-01T09:30:00Z")
		}
		x.AppealedAt = t
	}
	if len(withheld) > 0 && action != request.Complete {
		bad.Add("withheld", "only a complete action takes withheld")
	}
	if len(withheld) > len(subjectdata.Kinds) {
		bad.Add("withheld", "name each type withheld once")
	}
	// The mail names each type in the company's words: the export's
	// labels, never text typed here.
	for _, k := range withheld {
		kind := subjectdata.Kind(strings.TrimSpace(k))
		if !subjectdata.KnownKind(kind) {
			bad.Add("withheld", "use the types of the export's withheld list: ssn, drivers_license, government_id, financial_account, payment_card, medical_record_number, health_insurance_id, password, security_answer, identification_number")
			break
		}
		label := kind.Label()
		if !slices.Contains(x.Withheld, label) {
			x.Withheld = append(x.Withheld, label)
		}
	}
	return x
}
