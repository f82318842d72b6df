package request

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/reach"
)

// Staff actions of the channels beyond the web form.
const (
	// VerifyByStaff records that staff verified the person's identity by
	// another means than the mailed link (a caller cannot click one), and
	// how: the request is verified as by the link, and its jobs written.
	VerifyByStaff Action = "verify"
	// RecordAgentPermission records the signed permission an authorized
	// agent showed (11 CCR §7063(a)); until it is recorded an agent's
	// request is not started or completed.
	RecordAgentPermission Action = "agent_permission"
)

// VerificationMethods are how staff may verify a person. Each is a way
// 11 CCR §7060-§7062 allow of matching what the person says to what the
// company holds, with a degree of certainty staff judge for the request:
// calling back the number on file, asking questions only the person can
// answer from the company's records, seeing them in person with an ID, or a
// declaration signed under penalty of perjury (§7062).
var VerificationMethods = []string{"phone_callback", "knowledge_based", "in_person", "signed_declaration"}

// ToldByChannels are how staff tell a person without an email address of
// an outcome: by phone, or by letter to the postal address.
var ToldByChannels = []string{"phone", "mail"}

// channelAction applies the actions of this file; ok is false for any other.
func (s *Service) channelAction(ctx context.Context, r Request, in ActionInput, now time.Time) (Request, bool, error) {
	switch in.Action {
	case VerifyByStaff:
		next, err := s.staffVerify(ctx, r, in, now)
		return next, true, err
	case RecordAgentPermission:
		next, err := s.agentPermission(ctx, r, in, now)
		return next, true, err
	}
	return Request{}, false, nil
}

// staleOrWrong checks the version the caller read and the status the
// action is taken from.
func staleOrWrong(r Request, in ActionInput, ok bool, what string) error {
	if in.Version != 0 && in.Version != r.Version {
		return fault.New(fault.Conflict, fmt.Sprintf("The request changed meanwhile (version %d, not %d); reload it.", r.Version, in.Version))
	}
	if !ok {
		return fault.New(fault.Conflict, fmt.Sprintf("A request that is %s cannot be %s.", r.Status, what))
	}
	return nil
}

// staffVerify verifies a request waiting for verification on staff's word
// of how they verified the person. It writes what the link writes, in one
// transaction (jobs to the company's other systems, the verified mail when
// there is an address), and links the request's email and phone as vouched:
// staff vouch both are the person's.
func (s *Service) staffVerify(ctx context.Context, r Request, in ActionInput, now time.Time) (Request, error) {
	var errs fault.Fields
	var err error
	method := strings.TrimSpace(in.Method)
	if !slices.Contains(VerificationMethods, method) {
		errs.Add("method", "use one of "+strings.Join(VerificationMethods, ", "))
	}
	n := note(&errs, "note", in.Note, true)
	if err := errs.Err(); err != nil {
		return Request{}, err
	}
	erased := r.Email == "" && r.Phone == "" && r.PostalAddress == ""
	if err := staleOrWrong(r, in, r.Status == PendingVerification && !erased, "verified by staff"); err != nil {
		return Request{}, err
	}
	next := r
	next.Status, next.VerifiedAt = Verified, now
	next.VerificationMethod, next.VerificationNote = method, n
	v := Verification{
		Request: r, At: now, Method: method, Note: n,
		// The event says how, not what staff checked: the note may name
		// the person's details and stays on the request, which erasure
		// minimises.
		Event: Event{ID: s.NewID(now), At: now, Action: string(VerifyByStaff), From: r.Status, To: Verified, Actor: in.Actor, Note: "verified by staff: " + method},
	}
	if next.Email != "" {
		v.Mail = mail.Intent{ID: s.NewID(now), Template: mail.RequestVerified, To: next.Email, Data: mailData(s.cfg.Zone, next, "")}
	}
	ids := s.identities(r)
	var told []reach.Identifier
	for _, id := range ids {
		told = append(told, reach.Identifier{Kind: string(id.Kind), Value: id.Value})
	}
	v.Jobs = s.jobsFor(next, now, told)
	if len(ids) > 1 {
		v.Vouch = ids
	}
	if v.VoidTokenHash, err = s.voidable(ctx, r.TokenHash); err != nil {
		return Request{}, err
	}
	if err := s.store.Verify(ctx, v); err != nil {
		if fault.KindOf(err) == fault.Conflict {
			return Request{}, fault.New(fault.Conflict, "The request changed meanwhile; reload it and try again.")
		}
		return Request{}, err
	}
	next.Version++
	return next, nil
}

// agentPermission records the agent's signed permission, with staff's note
// or reference of the document (11 CCR §7063(a)).
func (s *Service) agentPermission(ctx context.Context, r Request, in ActionInput, now time.Time) (Request, error) {
	var errs fault.Fields
	n := note(&errs, "note", in.Note, true)
	if err := errs.Err(); err != nil {
		return Request{}, err
	}
	if !r.OnBehalf {
		return Request{}, fault.New(fault.Conflict, "This request was not made by an authorized agent.")
	}
	if err := staleOrWrong(r, in, r.Status.Open(), "given an agent's permission"); err != nil {
		return Request{}, err
	}
	next := r
	next.Version = r.Version + 1
	next.AgentPermission, next.AgentPermissionAt = n, now
	ev := Event{ID: s.NewID(now), At: now, Action: string(RecordAgentPermission), From: r.Status, To: r.Status, Actor: in.Actor,
		Note: "the agent's signed permission is recorded"}
	if err := s.store.Update(ctx, Change{Request: next, FromVersion: r.Version, Event: ev}); err != nil {
		return Request{}, err
	}
	return next, nil
}

// AgentPermissionField is the field a start or completion of an agent's
// request without recorded permission is refused with.
const AgentPermissionField = "agent_permission"

// channelCheck refuses what the channel of a request forbids before the
// action's own rules run, and returns the note on how the person was told:
//   - an authorized agent's request is not started or completed before the
//     agent's signed permission is recorded (11 CCR §7063(a)); it may be
//     denied for the want of it;
//   - a person staff entered without an email address gets no mail, so
//     staff say how they told them of the outcome (told_by).
func channelCheck(r Request, in ActionInput) (string, error) {
	if r.OnBehalf && r.AgentPermissionAt.IsZero() && (in.Action == Start || in.Action == Complete) {
		msg := "record the agent's signed permission first (action agent_permission; 11 CCR §7063(a)), or deny the request"
		return "", &fault.Error{Kind: fault.Conflict, Detail: "The agent's signed permission is not recorded.",
			Fields: []fault.FieldError{{Field: AgentPermissionField, Message: msg}}}
	}
	if r.Email != "" || !r.Channel.Offline() {
		return "", nil
	}
	switch in.Action {
	case Extend, Complete, Deny, Cancel:
	default:
		return "", nil
	}
	told := strings.TrimSpace(in.ToldBy)
	if !slices.Contains(ToldByChannels, told) {
		var f fault.Fields
		f.Add("told_by", "the person gave no email address: say how you told them, phone or mail")
		return "", f.Err()
	}
	return "the person was told by " + told, nil
}

// voidable returns the hash of a request's last link when it can still be
// voided (it exists and is unused), else "".
func (s *Service) voidable(ctx context.Context, hash string) (string, error) {
	if hash == "" {
		return "", nil
	}
	t, err := s.store.Token(ctx, hash)
	if fault.KindOf(err) == fault.Gone {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if t.Used {
		return "", nil
	}
	return hash, nil
}
