package request

import (
	"context"
	"slices"
	"time"
)

// Marketing stops direct marketing to an address and a number at once: a
// withdrawal of email and SMS marketing consent recorded with the request
// as its source (shared/consent implements it). phone may be empty.
type Marketing interface {
	StopDirectMarketing(ctx context.Context, email, phone, requestID string) (time.Time, error)
}

// applyObjection applies at once the part of an objection that takes
// effect without weighing: to direct marketing, which the controller must
// stop on objection (GDPR Art. 21(2)-(3)). Email and SMS marketing consent
// is withdrawn for the address and number the request gives, and the
// person is opted out of the sale and sharing of their data, which covers
// the customer-list audiences of ad platforms (marketing "profiling to the
// extent that it is related to such direct marketing", Art. 21(2)).
//
// The identifiers are only claimed until the requester follows the link:
// anyone can type anyone's address. That is safe here because an
// objection to direct marketing, like an opt-out (11 CCR §7060(b) needs no
// verification for one), only stops processing: at worst a stranger stops
// marketing mail to someone, which harms no one and which that person can
// undo by consenting again. Nothing is disclosed, deleted or changed in
// the person's data. The rest of the objection (Art. 21(1)) waits for
// verification and staff, like the other rights; the company's systems
// are told of it with the proven address only (Service.jobs).
//
// It returns when the objection took effect, for the receipt, or "" when
// the request objects to nothing.
func (s *Service) applyObjection(ctx context.Context, c *Creation) (string, error) {
	if !slices.Contains(c.Request.Types, Object) || s.cfg.Marketing == nil {
		return "", nil
	}
	if c.Request.Email == "" && c.Request.Phone == "" {
		// A request staff took without an address or number names no
		// one to stop marketing to; staff act on it by hand.
		return "", nil
	}
	at, err := s.cfg.Marketing.StopDirectMarketing(ctx, c.Request.Email, c.Request.Phone, c.Request.ID)
	if err != nil {
		return "", err
	}
	note := "objection to direct marketing applied: email and SMS marketing withdrawn"
	if s.cfg.OptOuts != nil && !slices.Contains(c.Request.Types, OptOut) {
		sale := c.Request
		sale.Types = []Type{OptOut}
		if _, err := s.cfg.OptOuts.ApplyRequest(ctx, sale); err != nil {
			return "", err
		}
		note += ", opted out of sale and sharing"
	}
	if c.Event.Note != "" {
		note = c.Event.Note + "; " + note
	}
	c.Event.Note = note
	return s.cfg.Zone.Time(at), nil
}
