package request

import (
	"slices"
	"time"
)

// offered is every staff action in the order a console offers them: the
// next step of the work first, the closing ones last.
var offered = []Action{VerifyByStaff, Resend, RecordAgentPermission, Start, DecideCorrection, Extend, Complete, Appeal, Uphold, Overturn, Deny, Cancel}

// Allowed lists the actions staff may take on r at now, by the rules Act
// applies: the status each action is taken from, and what else the request
// must be for it (one extension, within the original period, of a request
// that needs verification; the agent's permission before a start or
// completion; every correction decided before completion; a denied item to
// mark contested once the request is completed). What an action
// then needs of its input (a reason, a basis, how the person was told, why
// a deletion systems have not answered is complete) is checked when it is
// taken. A console offers these and only these.
func Allowed(r Request, now time.Time) []Action {
	out := []Action{}
	for _, a := range offered {
		if allowed(r, a, now) {
			out = append(out, a)
		}
	}
	return out
}

// allowed says whether a is allowed on r at now.
func allowed(r Request, a Action, now time.Time) bool {
	switch a {
	case VerifyByStaff:
		return r.Status == PendingVerification && (r.Email != "" || r.Phone != "" || r.PostalAddress != "")
	case RecordAgentPermission:
		return r.OnBehalf && r.Status.Open()
	case DecideCorrection:
		if r.Status == Completed {
			// The outcome was mailed: only a denied item may yet be
			// marked contested.
			return slices.ContainsFunc(r.Corrections, func(c Correction) bool { return c.Decision == Rejected })
		}
		return len(r.Corrections) > 0 && slices.Contains(decidable, r.Status)
	case Resend:
		// Without an address there is no receipt to send again.
		if r.Email == "" {
			return false
		}
	}
	if !slices.Contains(from[a], r.Status) {
		return false
	}
	switch a {
	case Start, Complete:
		if r.OnBehalf && r.AgentPermissionAt.IsZero() {
			return false
		}
		return a == Start || undecided(r) == nil
	case Extend:
		return canExtend(r, now) == nil
	case Appeal:
		return r.AppealReceivedAt.IsZero()
	}
	return true
}
