package request

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/subject"
)

// Pending lists a person's requests still waiting for verification
// (shared/ddb.Requests).
type Pending interface {
	// PendingOf returns at most limit requests filed under the subject key
	// that wait for verification, newest first.
	PendingOf(ctx context.Context, subjectKey string, limit int) ([]Request, error)
}

// Cap counts a mail against its recipient's daily cap before anything is
// written (shared/ddb.Outbox.Admit, the notifier's own count): false when
// the cap is reached.
type Cap interface {
	Admit(ctx context.Context, recipientKey string, lim mail.Limit, intentID string, now time.Time) (bool, error)
}

// Resender sends a new verification link to a requester who asks for one
// (POST /v1/verify/resend).
type Resender struct {
	svc     *Service
	pending Pending
	cap     Cap
}

// NewResender returns a Resender on the service's store.
func NewResender(svc *Service, pending Pending, cap Cap) *Resender {
	return &Resender{svc: svc, pending: pending, cap: cap}
}

// maxResends is how many of a person's waiting requests one resend covers;
// the cap holds more back anyway.
const maxResends = mail.MaxConfirmationsPerDay

var referencePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`) })

// Resend mails a new link for each request of the address still waiting
// for verification (only the one named, when reference is given), each
// voiding the link sent before in the same transaction. The caller learns
// nothing: an address with no such request, a request verified already or
// a reference of someone else's all end as a success, and so does an
// address over its cap. The cap is counted first, with the new mail's id:
// a resend the cap refuses writes nothing, so a stranger asking again and
// again cannot keep voiding the person's link.
func (x *Resender) Resend(ctx context.Context, email, reference string) error {
	var errs fault.Fields
	ids, err := x.svc.subjects.Identify(subject.Given{Email: email},
		subject.Form{Kinds: []subject.Kind{subject.Email}, Count: subject.ExactlyOne}, &errs)
	if err != nil {
		return err
	}
	reference = strings.TrimSpace(reference)
	if reference != "" && !referencePattern().MatchString(reference) {
		errs.Add("reference", "give the reference of your request as its receipt shows it (26 letters and digits)")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	id := ids[0]
	rs, err := x.candidates(ctx, id.Key, reference)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Status != PendingVerification || r.Email != id.Value {
			continue
		}
		admitted, err := x.resendOne(ctx, r, id.Key, "")
		if err != nil || !admitted {
			return err
		}
	}
	return nil
}

// candidates are the requests a resend may cover.
func (x *Resender) candidates(ctx context.Context, key, reference string) ([]Request, error) {
	if reference == "" {
		return x.pending.PendingOf(ctx, key, maxResends)
	}
	r, err := x.svc.store.Get(ctx, reference)
	if fault.KindOf(err) == fault.NotFound || (err == nil && r.SubjectKey != key) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []Request{r}, nil
}

// ResendAgent mails a new link for the request an authorized agent sent
// the person to confirm, from its verification page (AwaitingAgent: id and
// the agent's request_id the same, the request still waiting), to the
// address the agent gave and nowhere else, under the same cap as Resend.
// returnTo, the agent's return address, travels in the link when its
// origin is one the agent's entry lists (AgentReturn), for the page that
// confirms the request to offer the way back. The caller learns nothing:
// any other id ends as a success too.
func (x *Resender) ResendAgent(ctx context.Context, id, requestID, returnTo string) error {
	r, err := x.svc.AwaitingAgent(ctx, id, requestID)
	if errors.Is(err, ErrTokenGone) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = x.resendOne(ctx, r, r.SubjectKey, x.svc.AgentReturn(r, returnTo))
	return err
}

// resendOne counts the new link's mail against the address's cap and, when
// admitted, stores the new token, voids the old one and queues the mail in
// one transaction. It reports whether the cap admitted it. A returnTo
// already checked is added to the link (ResendAgent).
func (x *Resender) resendOne(ctx context.Context, r Request, key, returnTo string) (bool, error) {
	s := x.svc
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	m := mail.Intent{ID: s.NewID(now), Template: mail.RequestLink, To: r.Email, RecipientKey: key}
	if lim, ok := mail.LimitFor(m); ok {
		admitted, err := x.cap.Admit(ctx, key, lim, m.ID, now)
		if err != nil || !admitted {
			return false, err
		}
	}
	raw, hash, err := NewToken()
	if err != nil {
		return false, err
	}
	void, err := s.voidable(ctx, r.TokenHash)
	if err != nil {
		return false, err
	}
	next := r
	next.Version, next.TokenHash = r.Version+1, hash
	link := s.verifyURL(raw)
	if returnTo != "" {
		link += "&redirect_to=" + url.QueryEscape(returnTo)
	}
	m.Data = mailData(s.cfg.Zone, next, link)
	ev := Event{ID: s.NewID(now), At: now, Action: "resend_link", From: r.Status, To: r.Status, Actor: "requester",
		Note: "a new verification link was sent at the requester's asking; the one before no longer works"}
	err = s.store.Update(ctx, Change{Request: next, FromVersion: r.Version, Event: ev, Mail: &m,
		TokenHash: hash, TokenExpiresAt: now.Add(TokenLifetime), VoidTokenHash: void})
	if fault.KindOf(err) == fault.Conflict {
		// Verified or changed meanwhile: nothing to resend.
		return true, nil
	}
	return err == nil, err
}
