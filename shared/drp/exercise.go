package drp

import (
	"context"
	"errors"
	"strings"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
)

// exercises maps the protocol's rights actions (DRP 3.01) onto the
// service's request types. The opt-out of sale is acted on at once, without
// verification (11 CCR §7026, §7060(b)); deletion and access become
// requests on their legal clock. access:categories is the right to know
// the categories (Cal. Civ. Code §1798.110(a)(1)-(4)), access:specific the
// specific pieces (§1798.110(a)(5)). DRP 1.0 spells the sale rights with a
// hyphen; both spellings are taken.
var exercises = map[string]request.Type{
	"sale:opt_out":      request.OptOut,
	"sale:opt-out":      request.OptOut,
	"deletion":          request.Delete,
	"access":            request.Access,
	"access:categories": request.Know,
	"access:specific":   request.Access,
}

// optIn are the spellings of the opt-in to sale.
var optIn = map[string]bool{"sale:opt_in": true, "sale:opt-in": true}

// claimFields names, for each field of the request form, the protocol
// claim it comes from, so that a refusal names what the agent sent.
var claimFields = map[string]string{
	"first_name": "name", "last_name": "name", "email": "email", "phone": "phone_number",
	"state": "address", "country": "address", "types": "exercise", "agent_name": "agent-id",
}

// Exercise takes a Data Rights Exercise (DRP 2.01) from the agent the
// bearer token was issued to: the message is checked against that agent's
// key and claims, marked against replay, and made a request of channel
// agent with the agent recorded (11 CCR §7063). Its status is answered.
func (s *Service) Exercise(ctx context.Context, token string, body []byte) (Status, error) {
	a, err := s.Agent(ctx, token)
	if err != nil {
		return Status{}, err
	}
	c, w, hash, err := s.open(a, body)
	if err != nil {
		return Status{}, err
	}
	sub, err := s.submission(a, c)
	if err != nil {
		return Status{}, err
	}
	if err := s.store.Mark(ctx, a.ID, hash, w.ExpiresAt); err != nil {
		return Status{}, replayed(err)
	}
	// The message is the request's idempotency key: when a failure hid a
	// write that happened, the agent's resend answers the request made
	// rather than making a second one (and mailing the person twice).
	sub.IdempotencyKey, sub.Body = "drp:"+a.ID+":"+hash, body
	rc, err := s.cfg.Requests.Submit(ctx, sub)
	if err != nil {
		// The agent may send the message again once the cause is gone.
		_ = s.store.Unmark(ctx, hash)
		return Status{}, claimErrors(err)
	}
	r, err := s.cfg.Read.Get(ctx, rc.ID)
	if err != nil {
		_ = s.store.Unmark(ctx, hash)
		return Status{}, err
	}
	return StatusOf(r, s.cfg.PublicBaseURL), nil
}

// submission turns an exercise's claims into the request it makes.
func (s *Service) submission(a Agent, c Claims) (request.Submission, error) {
	var f fault.Fields
	t, ok := exercises[c.Exercise]
	switch {
	case optIn[c.Exercise]:
		// Opting back in to sale is the person's own two-step choice
		// (11 CCR §7028(a)): they ask, then confirm separately.
		f.Add("exercise", "sale:opt_in is not taken by protocol; the person opts in themselves")
	case !ok:
		f.Add("exercise", "use one of sale:opt_out, deletion, access, access:categories, access:specific")
	}
	if c.Regime != "" && c.Regime != "ccpa" {
		f.Add("regime", `use "ccpa", or none for a voluntary request`)
	}
	if len(c.AgentRequestID) > 200 {
		f.Add("agent-request-id", "is too long")
	}
	if err := CheckCallback(c.StatusCallback, s.cfg.LoopbackCallbacks); err != nil {
		f.Add("status_callback", "must be an https URL")
	}
	if err := f.Err(); err != nil {
		return request.Submission{}, err
	}
	first, last := splitName(c.Name)
	in := request.Input{
		Types: []string{string(t)}, FirstName: first, LastName: last,
		Email: c.Email, Phone: c.PhoneNumber, Declaration: true,
		OnBehalf: true, AgentName: a.DisplayName(),
	}
	residence(&in, c)
	// The agent signed the request under the protocol's system rules,
	// attesting that the person authorised it (DRP 2.01: agent-id); a
	// power of attorney it references is kept with it.
	permission := "signed Data Rights Protocol request of agent " + a.ID
	if poa := strings.TrimSpace(c.PowerOfAttorney); poa != "" && len(poa) <= 500 {
		permission += "; power of attorney: " + poa
	}
	return request.Submission{
		Input: in, Channel: request.Agent, AgentPermission: permission,
		Protocol: &request.ProtocolAgent{ID: a.ID, RequestID: c.AgentRequestID, StatusCallback: c.StatusCallback,
			RedirectOrigins: a.returnOrigins(s.cfg.LoopbackCallbacks)},
	}, nil
}

// residence sets the country and state of a request: the address claim's
// when given; under the ccpa regime a California resident otherwise (the
// CCPA's rights are Californians').
func residence(in *request.Input, c Claims) {
	if c.Address != nil {
		in.Country, in.State = strings.ToUpper(strings.TrimSpace(c.Address.Country)), strings.ToUpper(strings.TrimSpace(c.Address.Region))
	}
	if c.Regime == "ccpa" {
		if in.Country == "" || in.Country == "USA" {
			in.Country = "US"
		}
		if in.State == "" && in.Country == "US" {
			in.State = "CA"
		}
	}
}

// claimErrors renames the fields of a refused request after the claims
// they came from.
func claimErrors(err error) error {
	var fe *fault.Error
	if !errors.As(err, &fe) || len(fe.Fields) == 0 {
		return err
	}
	var f fault.Fields
	for _, e := range fe.Fields {
		name := e.Field
		if c, ok := claimFields[name]; ok {
			name = c
		}
		f.Add(name, e.Message)
	}
	return &fault.Error{Kind: fe.Kind, Detail: fe.Detail, Fields: f, Err: err}
}

// Status answers the Data Rights Status endpoint (DRP 2.02) for the
// agent of the token: only the agent that sent a request learns of it.
func (s *Service) Status(ctx context.Context, token, id string) (Status, error) {
	a, err := s.Agent(ctx, token)
	if err != nil {
		return Status{}, err
	}
	r, err := s.owned(ctx, a, id)
	if err != nil {
		return Status{}, err
	}
	return StatusOf(r, s.cfg.PublicBaseURL), nil
}

// owned returns the request id of agent a; ErrNoAgent when it is none or
// another's.
func (s *Service) owned(ctx context.Context, a Agent, id string) (request.Request, error) {
	if len(id) != 26 {
		return request.Request{}, ErrNoAgent
	}
	r, err := s.cfg.Read.Get(ctx, id)
	if fault.KindOf(err) == fault.NotFound {
		return request.Request{}, ErrNoAgent
	}
	if err != nil {
		return request.Request{}, err
	}
	if r.Protocol == nil || r.Protocol.ID != a.ID {
		return request.Request{}, ErrNoAgent
	}
	return r, nil
}

// Revoke answers the Data Rights Revoke endpoint (DRP 2.04): a signed
// message of the token's agent cancels its open request, with the reason
// the person gave; the answer is the new revoked state. The protocol's
// revoke carries only the reason; when the message also carries the
// sender's claims, they are checked like an exercise's and the message is
// marked against replay. Revoking a revoked request answers its state.
func (s *Service) Revoke(ctx context.Context, token, id string, body []byte) (Status, error) {
	a, err := s.Agent(ctx, token)
	if err != nil {
		return Status{}, err
	}
	msg, err := Open(a.Key(), body)
	if err != nil {
		return Status{}, err
	}
	c, err := ParseClaims(msg)
	if err != nil {
		return Status{}, forbidden("The signed message is not a JSON object.")
	}
	// The protocol's revoke carries only a reason, signed (2.04); a message
	// that also carries the exercise's claims is held to them and marked
	// against replay. The request is checked to be the agent's first, so
	// a message naming another id is not used up.
	r, err := s.owned(ctx, a, id)
	if err != nil {
		return Status{}, err
	}
	if c.AgentID != "" || c.ExpiresAt != "" {
		_, w, hash, err := s.open(a, body)
		if err != nil {
			return Status{}, err
		}
		if err := s.store.Mark(ctx, a.ID, hash, w.ExpiresAt); err != nil {
			return Status{}, replayed(err)
		}
	}
	if r.Status == request.Cancelled {
		return StatusOf(r, s.cfg.PublicBaseURL), nil
	}
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		reason = "revoked by the authorized agent"
	}
	r, err = s.cfg.Requests.Act(ctx, id, request.ActionInput{Action: request.Cancel, Reason: reason, Actor: "agent " + a.ID})
	if err != nil {
		return Status{}, err
	}
	return StatusOf(r, s.cfg.PublicBaseURL), nil
}
