package request

import (
	"context"
	"slices"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
)

// Outcomes of a request the erasure of its person closes. The mail says
// what happened in the company's words; nothing the person typed.
const (
	erasedOutcome = "We deleted your personal information. We keep only the log of this request for 24 months, " +
		"as the law requires (11 CCR §7101), and, if you opted out of the sale or sharing of your personal " +
		"information, a hashed entry so that your opt-out stays in force."
	erasedReason = "We deleted your personal information at your request, so nothing is left for this request to act on."
)

// CloseForErasure closes an open request of a person whose data staff are
// about to erase, with its outcome mail, before the erasure minimises it:
// the erasure must neither swallow the answer the person is owed nor leave
// a request waiting with nobody left to answer. A request to delete is what
// the erasure carries out, so it is completed (11 CCR §7022); any other is
// cancelled with the reason, as nothing is left for it to act on. A request
// that closed or changed meanwhile is read again; one closed already is
// left as it is. The mail goes to the address on the request, when there
// is one (the erasure keeps it until it is sent).
func (s *Service) CloseForErasure(ctx context.Context, id, actor string) error {
	for range 3 {
		r, err := s.store.Get(ctx, id)
		if err != nil || !r.Status.Open() {
			return err
		}
		err = s.store.Update(ctx, s.erasureChange(r, actor))
		if fault.KindOf(err) != fault.Conflict {
			return err
		}
	}
	return fault.New(fault.Conflict, "A request of the person kept changing; try the erasure again.")
}

// erasureChange is the closing of r by an erasure at now.
func (s *Service) erasureChange(r Request, actor string) Change {
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	next := r
	next.Version, next.ClosedAt = r.Version+1, now
	ev := Event{ID: s.NewID(now), At: now, From: r.Status, Actor: actor}
	var tmpl mail.Template
	if slices.Contains(r.Types, Delete) {
		next.Status, next.Outcome = Completed, erasedOutcome
		ev.Action, ev.Note = string(Complete), "completed by the erasure of the person's data; jobs to other systems stay open until they answer"
		tmpl = mail.RequestCompleted
	} else {
		next.Status = Cancelled
		ev.Action, ev.Note = string(Cancel), "cancelled: the person's data was erased, nothing is left to act on"
		tmpl = mail.RequestCancelled
	}
	ev.To = next.Status
	c := Change{Request: next, FromVersion: r.Version, Event: ev}
	if r.Email == "" {
		c.Event.Note += "; the person gave no email address: staff tell them"
		return c
	}
	data := mailData(s.cfg.Zone, next, "")
	if next.Status == Completed {
		data["outcome"] = erasedOutcome
	} else {
		data["reason"] = erasedReason
	}
	c.Mail = &mail.Intent{ID: s.NewID(now), Template: tmpl, To: r.Email, Data: data}
	return c
}
