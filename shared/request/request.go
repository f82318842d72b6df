// Package request is the Data Rights Request: what a person may ask for, how a
// request is validated, which legal clock runs on it, and how its identity is
// verified. It imports no AWS package; the store it needs is the Store
// interface below, implemented in shared/ddb.
package request

import (
	"strings"
	"time"

	"github.com/claritru/privacy/shared/deadline"
)

// Type is one right the person invokes.
type Type string

// The rights the Data Rights Request form offers: to know (Cal. Civ. Code
// §1798.110, §1798.115), to access and receive a copy of the specific
// pieces (§1798.110(a)(5); GDPR Art. 15, Art. 20), to correct (§1798.106;
// Art. 16), to delete (§1798.105; Art. 17), to opt out of sale or sharing
// (§1798.120) and to limit the use of sensitive personal information
// (§1798.121).
const (
	Know           Type = "know"
	Access         Type = "access"
	Correct        Type = "correct"
	Delete         Type = "delete"
	OptOut         Type = "opt_out"
	LimitSensitive Type = "limit_sensitive"
)

// AllTypes in the order forms show them; the GDPR's further rights
// (gdpr.go) come last.
var AllTypes = []Type{Know, Access, Correct, Delete, OptOut, LimitSensitive, Restrict, Portability, Object}

// Label is how mails and pages name a type.
func (t Type) Label() string {
	switch t {
	case Know:
		return "Know what personal information we hold"
	case Access:
		return "Access and receive a copy"
	case Correct:
		return "Correct inaccurate information"
	case Delete:
		return "Delete personal information"
	case OptOut:
		return "Opt out of sale or sharing"
	case LimitSensitive:
		return "Limit use of sensitive personal information"
	case Restrict:
		return "Restrict the processing of personal information"
	case Portability:
		return "Receive personal information in a portable format"
	case Object:
		return "Object to processing, including direct marketing"
	}
	return string(t)
}

// NeedsVerification reports whether the right requires identity
// verification. Opt-out of sale/sharing and limiting sensitive data need none
// (11 CCR §7060(b)); know, access, correct and delete do (§7060(a)).
func (t Type) NeedsVerification() bool {
	switch t {
	case OptOut, LimitSensitive:
		return false
	}
	return true
}

// Status is where a request stands.
type Status string

// Request statuses. A request that needs verification waits in
// PendingVerification until the requester confirms from the mail; the open
// statuses are the staff queue (OpenStatuses); Completed, Denied, Cancelled
// and ExpiredUnverified close it (Status.Open). Which staff action leads from
// which status is in workflow.go.
const (
	PendingVerification Status = "pending_verification"
	Received            Status = "received"
	Verified            Status = "verified"
	InProgress          Status = "in_progress"
	Extended            Status = "extended"
	Completed           Status = "completed"
	Denied              Status = "denied"
	Cancelled           Status = "cancelled"
	ExpiredUnverified   Status = "expired_unverified"
)

// Channel is how the request reached us (kept for the 11 CCR §7101 log).
type Channel string

// Channels.
const (
	Web    Channel = "web"
	Email  Channel = "email"
	Phone  Channel = "phone"
	Letter Channel = "mail"
	// Agent is an authorized agent's request sent by the Data Rights
	// Protocol (shared/drp), machine to machine.
	Agent Channel = "agent"
)

// Request is one Data Rights Request.
type Request struct {
	ID           string
	Types        []Type
	Status       Status
	Channel      Channel
	FirstName    string
	LastName     string
	Email        string // normalised
	Phone        string // E.164, optional
	PracticeName string
	Country      string // ISO 3166-1 alpha-2, optional
	State        string // US state code, optional
	Details      string
	Correction   string
	OnBehalf     bool
	AgentName    string
	AgentEmail   string // normalised
	Regime       deadline.Regime
	ReceivedAt   time.Time
	// DueAt is counted from receipt, not from verification (11 CCR §7021(b),
	// GDPR Art. 12(3)).
	DueAt time.Time
	// SubjectKey is the keyed hash of the email: every record of this person
	// carries it.
	SubjectKey string
	// Version increases with every change (optimistic concurrency).
	Version int
	// Extended is set once the one permitted extension is taken;
	// ExtensionReason is what the requester was told.
	Extended        bool
	ExtensionReason string
	// VerifiedAt is when the requester confirmed the request.
	VerifiedAt time.Time
	// ClosedAt is when the request was completed, denied, cancelled or
	// expired: the response date of the 11 CCR §7101 log.
	ClosedAt time.Time
	// Outcome is what the requester was told on completion; DenialBasis
	// the basis for a denial (§7101(b)).
	Outcome     string
	DenialBasis string
	// AppealState is the denial's basis and the appeal (appeal.go).
	AppealState
	// Corrections are the items of a request to correct (correction.go);
	// a request made with the free-text Correction alone has it as one
	// item.
	Corrections []Correction
	// PostalAddress is where a request received by letter or phone is
	// answered when the person gave no email address (staff-entered only;
	// minimised: the lines of the address, nothing else).
	PostalAddress string
	// EnteredAt is when staff entered a request that reached the company
	// earlier by email, phone or letter (ReceivedAt); zero for the form.
	EnteredAt time.Time
	// VerificationMethod is how the identity was verified: "link" when the
	// requester followed the mailed link, else the staff method
	// (VerificationMethods); VerificationNote is staff's note of it.
	VerificationMethod string
	VerificationNote   string
	// AgentPermission is staff's note or reference of the signed
	// permission an authorized agent showed (11 CCR §7063(a)), recorded
	// at AgentPermissionAt.
	AgentPermission   string
	AgentPermissionAt time.Time
	// TokenHash is the hash of the verification link last sent, so that a
	// new link voids it.
	TokenHash string
	// Protocol is set on a request an authorized agent sent by the Data
	// Rights Protocol (channel Agent): the agent, its own reference and
	// where its status changes are posted.
	Protocol *ProtocolAgent
}

// ProtocolAgent is the authorized agent of a request sent by the Data
// Rights Protocol: its id in the register of trusted agents (shared/drp),
// the agent's own reference of the request (agent-request-id) and the
// status callback URL every change of the request is posted to (empty:
// the agent asks instead). RedirectOrigins are the origins its entry in
// the register listed when it sent the request: a return address the agent
// adds to the verification page must be on one of them (ReturnTo).
type ProtocolAgent struct {
	ID              string
	RequestID       string
	StatusCallback  string
	RedirectOrigins []string
}

// Open reports whether the request still waits for an answer.
func (s Status) Open() bool {
	switch s {
	case Completed, Denied, Cancelled, ExpiredUnverified:
		return false
	}
	return true
}

// OpenStatuses are the statuses of the staff queue.
var OpenStatuses = []Status{PendingVerification, Received, Verified, InProgress, Extended, Appealed}

// VerificationRequired reports whether any asked-for right needs identity
// verification.
func (r Request) VerificationRequired() bool {
	for _, t := range r.Types {
		if t.NeedsVerification() {
			return true
		}
	}
	return false
}

// Immediate returns the asked-for rights that are acted on at once, with no
// verification (11 CCR §7060(b)).
func (r Request) Immediate() []Type {
	var out []Type
	for _, t := range r.Types {
		if !t.NeedsVerification() {
			out = append(out, t)
		}
	}
	return out
}

func joinTypes(ts []Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

// Event is one entry in a request's audit history.
type Event struct {
	ID     string
	At     time.Time
	Action string
	From   Status
	To     Status
	Actor  string // "requester", "system", or a staff id
	Note   string // what was done, in words; no personal data
}

// Receipt is what the person is told when the request is taken.
type Receipt struct {
	ID                   string    `json:"id"`
	Status               Status    `json:"status"`
	Types                []Type    `json:"types"`
	ReceivedAt           time.Time `json:"received_at"`
	DueAt                time.Time `json:"due_at"`
	VerificationRequired bool      `json:"verification_required"`
}

// ReceiptOf returns the receipt of a stored request.
func ReceiptOf(r Request) Receipt {
	return Receipt{
		ID:                   r.ID,
		Status:               r.Status,
		Types:                r.Types,
		ReceivedAt:           r.ReceivedAt,
		DueAt:                r.DueAt,
		VerificationRequired: r.VerificationRequired(),
	}
}
