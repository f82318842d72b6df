package request

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/reach"
)

// Action is what staff do with a request.
type Action string

// Actions, as the README's staff workflow lists them; from, below, says
// which statuses each may be taken from.
const (
	Start    Action = "start"
	Extend   Action = "extend"
	Complete Action = "complete"
	Deny     Action = "deny"
	Cancel   Action = "cancel"
	// Resend sends the receipt again with a new verification link: the
	// remedy when the first never arrived (held back by the per-recipient
	// cap a stranger may have used up, or refused by the mail service).
	// Staff send it, so no cap holds it back.
	Resend Action = "resend"
)

// ActionInput is one staff action.
type ActionInput struct {
	Action Action
	// Reason is required to extend (the notice must say why, 11 CCR
	// §7021(b)) and to deny (the basis, §7101(b)); Outcome may describe a
	// completion.
	Reason  string
	Outcome string
	Actor   string // staff id, for the audit history
	// OverrideReason lets staff complete a request while systems have not
	// answered its deletion: why it is complete without them (recorded in
	// the audit history with the systems' ids).
	OverrideReason string
	// Decisions are staff's decisions on the items of a correction
	// (DecideCorrection, decide.go).
	Decisions []ItemDecision
	// Version, when set, must equal the stored version: two staff acting
	// at once cannot overwrite each other.
	Version int
	// Basis is a denial's basis, one of DenialBases (appeal.go); none is
	// DenialOther, explained by Reason.
	Basis string
	// AppealedAt is when an appeal arrived, if not now (appeal.go).
	AppealedAt time.Time
	// Withheld names, in words, the types of information a completion
	// holds back by law (11 CCR §7024(d)); the mail lists them.
	Withheld []string
	// Method and Note are how staff verified the person (verify) and what
	// they checked, or the reference of an agent's signed permission
	// (agent_permission, Note only); ToldBy is how staff told a person
	// with no email address of the outcome (channels.go).
	Method string
	Note   string
	ToldBy string
}

// from lists the statuses each action may be taken from.
var from = map[Action][]Status{
	Start:    {Received, Verified},
	Extend:   {Received, Verified, InProgress},
	Complete: {Received, Verified, InProgress, Extended},
	Deny:     {PendingVerification, Received, Verified, InProgress, Extended},
	Cancel:   {PendingVerification, Received, Verified, InProgress, Extended},
	Resend:   {PendingVerification},
}

var to = map[Action]Status{Start: InProgress, Extend: Extended, Complete: Completed, Deny: Denied, Cancel: Cancelled, Resend: PendingVerification}

// reasonHints say what the reason of an action that needs one is for.
var reasonHints = map[Action]string{
	Extend: "say why more time is needed; the requester is told (11 CCR §7021(b))",
	Deny:   "give the basis for the denial, or choose one (basis); the requester is told (11 CCR §7101(b))",
}

// Transition applies an action to a request at a time: the new request, its
// audit event and the mail the requester gets. Rules only; nothing is stored.
// The clocks run in the default zone (TransitionIn).
func Transition(r Request, in ActionInput, now time.Time) (Request, Event, *mail.Intent, error) {
	return TransitionIn(deadline.Zone{}, r, in, now)
}

// TransitionIn is Transition with the clocks counted, and the mail's dates
// shown, in the company's zone z.
func TransitionIn(z deadline.Zone, r Request, in ActionInput, now time.Time) (Request, Event, *mail.Intent, error) {
	reason, err := checkAction(r, in)
	if err != nil {
		return Request{}, Event{}, nil, err
	}
	next := r
	next.Status = to[in.Action]
	next.Version = r.Version + 1
	ev := Event{At: now, Action: string(in.Action), From: r.Status, To: next.Status, Actor: in.Actor}
	var tmpl mail.Template
	data := mailData(z, next, "")
	switch in.Action {
	case Extend:
		if err := canExtend(r, now); err != nil {
			return Request{}, Event{}, nil, err
		}
		next.Extended, next.ExtensionReason = true, reason
		next.DueAt = z.Extended(r.Regime, r.ReceivedAt)
		tmpl = mail.RequestExtended
		data = mailData(z, next, "")
		data["reason"] = reason
		ev.Note = "due " + z.ISODay(next.DueAt)
	case Complete:
		if err := undecided(r); err != nil {
			return Request{}, Event{}, nil, err
		}
		next.ClosedAt, next.Outcome = now, strings.TrimSpace(in.Outcome)
		tmpl = mail.RequestCompleted
		data["outcome"] = next.Outcome
		withheld(data, &ev, in.Withheld)
		data["corrections"] = correctionOutcome(r)
	case Deny:
		tmpl = mail.RequestDenied
		if data, err = deny(z, r, &next, in, reason, now); err != nil {
			return Request{}, Event{}, nil, err
		}
	case Appeal, Uphold, Overturn:
		if tmpl, data, err = appealStep(z, r, &next, &ev, in, reason, now); err != nil {
			return Request{}, Event{}, nil, err
		}
	case Cancel:
		next.ClosedAt = now
		tmpl = mail.RequestCancelled
		ev.Note = reason
	case Resend:
		// The receipt again; Act adds the new link (mail data verify_url).
		tmpl = mail.RequestReceived
		ev.Note = "receipt sent again with a new verification link"
	}
	var m *mail.Intent
	// An erased request has no address left to tell.
	if tmpl != "" && r.Email != "" {
		m = &mail.Intent{Template: tmpl, To: r.Email, Data: data}
	}
	return next, ev, m, nil
}

// checkAction checks that the action is known, its reason and outcome are
// given as required, the request has not changed since the caller read it,
// and the action is allowed from the request's status. It returns the
// trimmed reason.
func checkAction(r Request, in ActionInput) (string, error) {
	allowed, ok := from[in.Action]
	if !ok {
		var f fault.Fields
		f.Add("action", "use one of start, extend, complete, deny, cancel, resend, appeal, uphold, overturn, decide_correction, verify, agent_permission")
		return "", f.Err()
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" && reasonRequired(in) {
		var f fault.Fields
		f.Add("reason", reasonHints[in.Action])
		return "", f.Err()
	}
	if len(reason) > 2000 || len(in.Outcome) > 5000 {
		var f fault.Fields
		if len(reason) > 2000 {
			f.Add("reason", "is too long")
		}
		if len(in.Outcome) > 5000 {
			f.Add("outcome", "is too long")
		}
		return "", f.Err()
	}
	if in.Version != 0 && in.Version != r.Version {
		return "", fault.New(fault.Conflict, fmt.Sprintf("The request changed meanwhile (version %d, not %d); reload it.", r.Version, in.Version))
	}
	okFrom := false
	for _, s := range allowed {
		okFrom = okFrom || s == r.Status
	}
	if !okFrom {
		return "", fault.New(fault.Conflict, fmt.Sprintf("A request that is %s cannot be %s.", r.Status, pastTense(in.Action)))
	}
	return reason, nil
}

// canExtend says why the request cannot be extended at now, if it cannot.
func canExtend(r Request, now time.Time) error {
	if r.Extended {
		return fault.New(fault.Conflict, "The one permitted extension was already taken.")
	}
	if !r.AppealReceivedAt.IsZero() {
		return fault.New(fault.Conflict, "A request reopened on appeal runs on its appeal's clock, which has no extension.")
	}
	if !r.VerificationRequired() {
		// Opt-out and limit-sensitive requests allow no extension
		// (11 CCR §7026(f), §7027(g)).
		return fault.New(fault.Conflict, "Opt-out and limit-sensitive requests cannot be extended.")
	}
	// The notice must reach the requester inside the original period
	// (11 CCR §7021(b); GDPR Art. 12(3)).
	if !now.Before(r.DueAt) {
		return fault.New(fault.Conflict, "The original period has ended; an extension must be noticed within it.")
	}
	return nil
}

func pastTense(a Action) string {
	if p, ok := appealPast[a]; ok {
		return p
	}
	switch a {
	case Start:
		return "started"
	case Extend:
		return "extended"
	case Complete:
		return "completed"
	case Deny:
		return "denied"
	case Resend:
		return "sent its receipt again"
	}
	return "cancelled"
}

// Act applies a staff action to a stored request.
func (s *Service) Act(ctx context.Context, id string, in ActionInput) (Request, error) {
	if in.Action == DecideCorrection {
		return s.decideCorrection(ctx, id, in)
	}
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return Request{}, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	if next, ok, err := s.channelAction(ctx, r, in, now); ok {
		return next, err
	}
	toldBy, err := channelCheck(r, in)
	if err != nil {
		return Request{}, err
	}
	next, ev, m, err := TransitionIn(s.cfg.Zone, r, in, now)
	if err != nil {
		return Request{}, err
	}
	ev.ID = s.NewID(now)
	if in.Action == Complete {
		note, err := s.unansweredDeletion(ctx, r, in.OverrideReason)
		if err != nil {
			return Request{}, err
		}
		ev.Note = joinNotes(ev.Note, note)
	}
	ev.Note = joinNotes(ev.Note, toldBy)
	c := Change{Request: next, FromVersion: r.Version, Event: ev, Mail: m}
	if in.Action == Resend && m != nil {
		raw, hash, err := NewToken()
		if err != nil {
			return Request{}, err
		}
		c.TokenHash, c.TokenExpiresAt = hash, now.Add(TokenLifetime)
		c.VoidTokenHash, err = s.voidable(ctx, r.TokenHash)
		if err != nil {
			return Request{}, err
		}
		c.Request.TokenHash, next.TokenHash = hash, hash
		m.Data = mailData(s.cfg.Zone, next, s.verifyURL(raw))
	}
	if m != nil {
		m.ID = s.NewID(now)
	}
	if err := s.store.Update(ctx, c); err != nil {
		return Request{}, err
	}
	return next, nil
}

// unansweredDeletion checks the completion of r against its deletion jobs:
// while a system has not answered one, the request is not complete unless
// staff say why (11 CCR §7022(b)(3): the business must have told its
// service providers and contractors to delete, and their deletion is part
// of complying). With a reason it returns the audit note that records it
// and the systems that had not answered. The update that completes the
// request is conditional on its version, and jobs are written only with
// the verification, so no new job can slip in between.
func (s *Service) unansweredDeletion(ctx context.Context, r Request, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > 2000 {
		var f fault.Fields
		f.Add(OverrideField, "is too long")
		return "", f.Err()
	}
	if s.cfg.Jobs == nil || r.SubjectKey == "" {
		return "", nil
	}
	jobs, err := s.cfg.Jobs.OfRequest(ctx, r.SubjectKey, r.ID)
	if err != nil {
		return "", err
	}
	open := reach.OpenDeletions(jobs)
	if len(open) == 0 {
		return "", nil
	}
	systems := make([]string, 0, len(open))
	for _, j := range open {
		if !slices.Contains(systems, j.System) {
			systems = append(systems, j.System)
		}
	}
	if reason == "" {
		waiting := fmt.Sprintf("%d systems have not answered the deletion (%s)", len(systems), strings.Join(systems, ", "))
		if len(systems) == 1 {
			waiting = fmt.Sprintf("1 system has not answered the deletion (%s)", systems[0])
		}
		return "", &fault.Error{Kind: fault.Conflict, Detail: waiting + ".",
			Fields: []fault.FieldError{{Field: OverrideField, Message: waiting +
				"; record their answers (POST /v1/admin/jobs/{job}), or say why the request is complete without them"}}}
	}
	return fmt.Sprintf("completed before %s answered the deletion: %s", strings.Join(systems, ", "), reason), nil
}

// OverrideField is the action's field that says why a request is complete
// while systems have not answered its deletion.
const OverrideField = "override_reason"

// Detail returns a request with its audit history and its mail.
func (s *Service) Detail(ctx context.Context, id string) (Request, []Event, []mail.Record, error) {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return Request{}, nil, nil, err
	}
	evs, err := s.store.Events(ctx, id)
	if err != nil {
		return Request{}, nil, nil, err
	}
	mails, err := s.store.MailLog(ctx, id)
	return r, evs, mails, err
}

// QueuePage is one page of the staff queue.
type QueuePage struct {
	Requests []Request
	Next     string
}

// Queue lists requests of a status by due date.
func (s *Service) Queue(ctx context.Context, status Status, dueBefore time.Time, cursor string, limit int) (QueuePage, error) {
	known := false
	for _, st := range append(OpenStatuses, Completed, Denied, Cancelled, ExpiredUnverified) {
		known = known || st == status
	}
	if !known {
		var f fault.Fields
		f.Add("status", "use one of pending_verification, received, verified, in_progress, extended, appealed, completed, denied, cancelled, expired_unverified")
		return QueuePage{}, f.Err()
	}
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	rs, next, err := s.store.Queue(ctx, status, dueBefore, cursor, limit)
	return QueuePage{Requests: rs, Next: next}, err
}

// UnverifiedFor is how long a request may wait for verification before it
// expires and the person is told.
const UnverifiedFor = 30 * 24 * time.Hour

// ExpireUnverified closes requests left unverified for 30 days, minimised
// (Request.Minimised), and tells the person. It returns how many it closed.
func (s *Service) ExpireUnverified(ctx context.Context) (int, error) {
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	n, cursor := 0, ""
	for {
		rs, next, err := s.store.Queue(ctx, PendingVerification, time.Time{}, cursor, 100)
		if err != nil {
			return n, err
		}
		for _, r := range rs {
			// A request staff entered late runs its 30 days from its
			// entry: the person had no link before.
			if now.Sub(r.ReceivedAt) < UnverifiedFor || now.Sub(r.EnteredAt) < UnverifiedFor {
				continue
			}
			closed := r
			closed.Status, closed.Version, closed.ClosedAt = ExpiredUnverified, r.Version+1, now
			// Kept 24 months like every request (11 CCR §7101(a)), but
			// minimised: an unverified request never proved whose it was.
			e := closed.Minimised()
			ev := Event{ID: s.NewID(now), At: now, Action: "expire", From: r.Status, To: ExpiredUnverified, Actor: "system"}
			var m *mail.Intent
			if r.Email != "" {
				m = &mail.Intent{ID: s.NewID(now), Template: mail.RequestExpired, To: r.Email, Data: mailData(s.cfg.Zone, closed, ""), RecipientKey: recipientKey(r)}
			}
			err := s.store.Update(ctx, Change{Request: e, FromVersion: r.Version, Event: ev, Mail: m})
			if fault.KindOf(err) == fault.Conflict {
				continue // verified meanwhile
			}
			if err != nil {
				return n, err
			}
			n++
		}
		if next == "" {
			return n, nil
		}
		cursor = next
	}
}

// Digest is the deadline watch: open requests due within a week, and overdue
// ones, for the privacy team.
type Digest struct {
	Overdue []Request
	DueSoon []Request
}

// Watch builds the digest, and queues it as a mail to the team when there is
// something to say. It returns the digest and whether a mail was queued.
func (s *Service) Watch(ctx context.Context, teamEmail string, queue func(context.Context, mail.Intent) error) (Digest, bool, error) {
	now := s.cfg.Now().UTC()
	var d Digest
	for _, st := range OpenStatuses {
		if st == PendingVerification {
			continue // the clock runs, but staff cannot act before verification
		}
		cursor := ""
		for {
			rs, next, err := s.store.Queue(ctx, st, now.Add(7*24*time.Hour), cursor, 100)
			if err != nil {
				return Digest{}, false, err
			}
			for _, r := range rs {
				if r.DueAt.Before(now) {
					d.Overdue = append(d.Overdue, r)
				} else {
					d.DueSoon = append(d.DueSoon, r)
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	if len(d.Overdue)+len(d.DueSoon) == 0 || teamEmail == "" {
		return d, false, nil
	}
	sortByDue(d.Overdue)
	sortByDue(d.DueSoon)
	line := func(r Request) string {
		return fmt.Sprintf("%s  due %s  %s  %s", r.ID, s.cfg.Zone.ISODay(r.DueAt), r.Status, joinTypes(r.Types))
	}
	var over, soon []string
	for _, r := range d.Overdue {
		over = append(over, line(r))
	}
	for _, r := range d.DueSoon {
		soon = append(soon, line(r))
	}
	m := mail.Intent{ID: s.NewID(now), Template: mail.DeadlineDigest, To: teamEmail, Data: map[string]string{
		"date": s.cfg.Zone.Day(now), "overdue": strings.Join(over, "\n"), "due_soon": strings.Join(soon, "\n"),
		"overdue_count": fmt.Sprint(len(over)), "due_soon_count": fmt.Sprint(len(soon)),
	}}
	if err := queue(ctx, m); err != nil {
		return d, false, err
	}
	return d, true, nil
}

func sortByDue(rs []Request) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].DueAt.Before(rs[j].DueAt) })
}

// Metrics are the figures 11 CCR §7102 asks large businesses to publish for
// a calendar year.
type Metrics struct {
	Year      int            `json:"year"`
	Received  map[string]int `json:"received"`
	Completed map[string]int `json:"completed"`
	// Denied counts every request denied, including those that could not
	// be verified (DeniedByReason).
	Denied map[string]int `json:"denied"`
	// DeniedByReason breaks down the denials by a reason the service
	// records itself: "unverifiable", a request whose requester never
	// confirmed it (expired unverified). 11 CCR §7102(a)(1) counts the
	// requests received, complied with and denied in whole or in part, and
	// §7102(a)(3) names "not verifiable" as a ground of denial a business
	// may report: such a request is counted as denied, with that reason,
	// not left out of the figures.
	DeniedByReason      map[string]map[string]int `json:"denied_by_reason"`
	MedianDaysToRespond map[string]float64        `json:"median_days_to_respond"`
}

// Unverifiable is the denial reason of a request that expired unverified.
const Unverifiable = "unverifiable"

// Metrics counts the requests received in a year of the company's zone, by
// type.
func (s *Service) Metrics(ctx context.Context, year int) (Metrics, error) {
	if year < 2000 || year > 9999 {
		var f fault.Fields
		f.Add("year", "give a four-digit year")
		return Metrics{}, f.Err()
	}
	m := Metrics{Year: year, Received: map[string]int{}, Completed: map[string]int{}, Denied: map[string]int{},
		DeniedByReason: map[string]map[string]int{Unverifiable: {}}, MedianDaysToRespond: map[string]float64{}}
	days := map[string][]float64{}
	for _, st := range append(OpenStatuses, Completed, Denied, Cancelled, ExpiredUnverified) {
		cursor := ""
		for {
			rs, next, err := s.store.Queue(ctx, st, time.Time{}, cursor, 100)
			if err != nil {
				return Metrics{}, err
			}
			for _, r := range rs {
				if s.cfg.Zone.In(r.ReceivedAt).Year() != year {
					continue
				}
				for _, t := range r.Types {
					k := string(t)
					m.Received[k]++
					switch r.Status {
					case Completed:
						m.Completed[k]++
					case Denied:
						m.Denied[k]++
					case ExpiredUnverified:
						m.Denied[k]++
						m.DeniedByReason[Unverifiable][k]++
					}
					if r.Status == Completed || r.Status == Denied || r.Status == ExpiredUnverified {
						// The expiry notice is the response to an
						// unverifiable request.
						days[k] = append(days[k], r.ClosedAt.Sub(r.ReceivedAt).Hours()/24)
					}
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	for k, ds := range days {
		m.MedianDaysToRespond[k] = median(ds)
	}
	return m, nil
}

func median(xs []float64) float64 {
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return round1(xs[n/2])
	}
	return round1((xs[n/2-1] + xs[n/2]) / 2)
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }
