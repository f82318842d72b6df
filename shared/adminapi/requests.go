package adminapi

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
)

// RequestView is a Data Rights Request as staff see it: everything needed
// to handle it, and the 11 CCR §7101 log entry (date, types, channel,
// response date, outcome, basis for denial).
type RequestView struct {
	ID              string          `json:"id"`
	Status          request.Status  `json:"status"`
	Channel         request.Channel `json:"channel"`
	Types           []request.Type  `json:"types"`
	FirstName       string          `json:"first_name"`
	LastName        string          `json:"last_name"`
	Email           string          `json:"email"`
	Phone           string          `json:"phone,omitempty"`
	PracticeName    string          `json:"practice_name,omitempty"`
	Country         string          `json:"country,omitempty"`
	State           string          `json:"state,omitempty"`
	Details         string          `json:"details,omitempty"`
	Correction      string          `json:"correction,omitempty"`
	OnBehalf        bool            `json:"on_behalf"`
	AgentName       string          `json:"agent_name,omitempty"`
	AgentEmail      string          `json:"agent_email,omitempty"`
	Regime          deadline.Regime `json:"regime"`
	ReceivedAt      time.Time       `json:"received_at"`
	DueAt           time.Time       `json:"due_at"`
	Extended        bool            `json:"extended"`
	ExtensionReason string          `json:"extension_reason,omitempty"`
	ClosedAt        *time.Time      `json:"closed_at,omitempty"`
	Outcome         string          `json:"outcome,omitempty"`
	DenialBasis     string          `json:"denial_basis,omitempty"`
	// DenialCode and the appeal fields: see appealView.
	DenialCode request.DenialCode `json:"denial_code,omitempty"`
	appealView
	Version int `json:"version"`
	corrections
	ChannelFields

	// AgentID is the authorized agent of a request sent by the Data
	// Rights Protocol (channel agent).
	AgentID string `json:"agent_id,omitempty"`
	// Actions are those the request's rules allow staff now; a console
	// offers these and no others.
	Actions []request.Action `json:"actions"`
}

func viewOf(r request.Request, now time.Time) RequestView {
	v := RequestView{
		ID: r.ID, Status: r.Status, Channel: r.Channel, Types: r.Types,
		FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Phone: r.Phone,
		PracticeName: r.PracticeName, Country: r.Country, State: r.State,
		Details: r.Details, Correction: r.Correction, corrections: corrections{correctionViews(r.Corrections)},
		OnBehalf: r.OnBehalf, AgentName: r.AgentName, AgentEmail: r.AgentEmail,
		Regime: r.Regime, ReceivedAt: r.ReceivedAt, DueAt: r.DueAt,
		Extended: r.Extended, ExtensionReason: r.ExtensionReason,
		Outcome: r.Outcome, DenialBasis: r.DenialBasis, Version: r.Version,
		DenialCode: r.DenialCode, appealView: appealViewOf(r.AppealState),
		ChannelFields: channelFieldsOf(r), Actions: request.Allowed(r, now),
	}
	if r.Protocol != nil {
		v.AgentID = r.Protocol.ID
	}
	if v.Types == nil {
		v.Types = []request.Type{}
	}
	if !r.ClosedAt.IsZero() {
		at := r.ClosedAt
		v.ClosedAt = &at
	}
	return v
}

// RequestEvent is one entry of a request's audit history.
type RequestEvent struct {
	ID     string         `json:"id"`
	At     time.Time      `json:"at"`
	Action string         `json:"action"`
	From   request.Status `json:"from,omitempty"`
	To     request.Status `json:"to"`
	Actor  string         `json:"actor"`
	Note   string         `json:"note,omitempty"`
}

// RequestMail is one mail of a request: what and where it stands, never its
// address or content. A mail the recipient's daily cap held back is `held`,
// with the reason; one the mail service refused for good is `failed`, with
// its code.
type RequestMail struct {
	ID         string     `json:"id"`
	Template   string     `json:"template"`
	Status     string     `json:"status"`
	Attempts   int        `json:"attempts"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
	FailedAt   *time.Time `json:"failed_at,omitempty"`
	Error      string     `json:"error,omitempty"`
	HeldReason string     `json:"held_reason,omitempty"`
	// UndeliverableReason and UndeliverableAt: the mail was not sent, its
	// address being marked undeliverable (bounce or complaint) by then.
	UndeliverableReason string     `json:"undeliverable_reason,omitempty"`
	UndeliverableAt     *time.Time `json:"undeliverable_at,omitempty"`
}

// RequestDetail is one request with its history, oldest event first, its
// mail, oldest first, and its jobs: every system told to act on it, when
// it was told and when it answered, oldest first. Undeliverable is the
// mark of the requester's address, when it ever had one: why the person
// got no answer by mail.
type RequestDetail struct {
	RequestView
	History       []RequestEvent `json:"history"`
	Mail          []RequestMail  `json:"mail"`
	Jobs          []JobView      `json:"jobs"`
	Undeliverable *Undeliverable `json:"undeliverable,omitempty"`
}

func requestMailOf(m mail.Record) RequestMail {
	v := RequestMail{ID: m.ID, Template: string(m.Template), Status: m.Status, Attempts: m.Attempts, Error: m.Error, HeldReason: m.HeldReason}
	if !m.SentAt.IsZero() {
		at := m.SentAt
		v.SentAt = &at
	}
	if !m.FailedAt.IsZero() {
		at := m.FailedAt
		v.FailedAt = &at
	}
	if m.Status == mail.StatusUndeliverable {
		at := m.UndeliverableAt
		v.UndeliverableReason, v.UndeliverableAt = m.Undeliverable, &at
	}
	return v
}

// RequestQueue is one page of the staff queue.
type RequestQueue struct {
	Requests   []RequestView `json:"requests"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// requestID is the {id} of the route when it can be a request id (a ULID);
// anything else names no request and never reaches the store.
func requestID(r apigw.Request) (string, bool) {
	id := r.PathParameters["id"]
	return id, ulidPattern().MatchString(id)
}

var ulidPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`) })
var noSuchRequest = fault.New(fault.NotFound, "No such request.")

// requestQueue lists the requests of one status by due date, the soonest
// first: a query of the status/due-date index, never a scan, so a page costs
// what it returns however large the table grows, and reads no other record
// (GET /v1/admin/requests in api/openapi.yaml).
func (h *Handler) requestQueue(ctx context.Context, r apigw.Request) apigw.Response {
	q := r.QueryStringParameters
	var f fault.Fields
	status := request.Status(strings.TrimSpace(q["status"]))
	if status == "" {
		f.Add("status", "say which status to list, e.g. verified or in_progress")
	}
	var dueBefore time.Time
	if s := strings.TrimSpace(q["due_before"]); s != "" {
		t, ok := parseDueBefore(s)
		if !ok {
			f.Add("due_before", "give an RFC 3339 date (2026-03-01) or date-time (2026-03-01T00:00:00Z)")
		}
		dueBefore = t
	}
	limit := 0
	if s, ok := q["limit"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 100 {
			f.Add("limit", "give a whole number from 1 to 100")
		}
		limit = n
	}
	if err := f.Err(); err != nil {
		return apigw.Problem(err, nil)
	}
	page, err := h.Requests.Queue(ctx, status, dueBefore, q["cursor"], limit)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	out := RequestQueue{Requests: make([]RequestView, 0, len(page.Requests)), NextCursor: page.Next}
	now := h.now()
	for _, req := range page.Requests {
		out.Requests = append(out.Requests, viewOf(req, now))
	}
	return apigw.JSONResponse(http.StatusOK, out, nil)
}

// parseDueBefore reads an RFC 3339 date-time, or a full date meaning the
// start of that day in UTC.
func parseDueBefore(s string) (time.Time, bool) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC(), err == nil
}

// requestDetail shows one request with its audit history.
func (h *Handler) requestDetail(ctx context.Context, r apigw.Request) apigw.Response {
	id, ok := requestID(r)
	if !ok {
		return apigw.Problem(noSuchRequest, nil)
	}
	req, events, mails, err := h.Requests.Detail(ctx, id)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	jobs, err := h.requestJobs(ctx, req.SubjectKey, req.ID)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	marked, err := h.undeliverable(ctx, req.Email)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	out := RequestDetail{RequestView: viewOf(req, h.now()), History: make([]RequestEvent, 0, len(events)), Mail: make([]RequestMail, 0, len(mails)), Jobs: jobs,
		Undeliverable: marked}
	for _, m := range mails {
		out.Mail = append(out.Mail, requestMailOf(m))
	}
	for _, e := range events {
		out.History = append(out.History, RequestEvent{
			ID: e.ID, At: e.At, Action: e.Action, From: e.From, To: e.To, Actor: e.Actor, Note: e.Note,
		})
	}
	return apigw.JSONResponse(http.StatusOK, out, nil)
}

// jsonBody reads a JSON body; the staff API takes no forms.
func jsonBody(r apigw.Request) ([]byte, error) {
	body, mt, err := apigw.Body(r)
	if err != nil {
		return nil, err
	}
	if mt != apigw.JSON {
		return nil, fault.New(fault.Unsupported, "Send application/json.")
	}
	return body, nil
}

// enterRequest takes a request that reached staff by email, phone or letter.
// It is validated, clocked from now and acknowledged by mail exactly as the
// web form's (11 CCR §7021: the period runs from receipt, whatever the
// channel); the channel is kept for the §7101 log.
func (h *Handler) enterRequest(ctx context.Context, r apigw.Request) apigw.Response {
	body, err := jsonBody(r)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	var in request.Input
	var channel, receivedAt string
	var items json.RawMessage
	bad, err := apigw.DecodeJSON(body, map[string]any{
		"types": &in.Types, "first_name": &in.FirstName, "last_name": &in.LastName,
		"email": &in.Email, "phone": &in.Phone, "practice_name": &in.PracticeName,
		"country": &in.Country, "state": &in.State, "details": &in.Details,
		"correction": &in.Correction, "on_behalf": &in.OnBehalf, "agent_name": &in.AgentName,
		"agent_email": &in.AgentEmail, "declaration": &in.Declaration, "channel": &channel,
		"corrections": &items,
		"received_at": &receivedAt, "postal_address": &in.PostalAddress,
	})
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	in.Corrections = request.DecodeCorrections(items, &bad)
	received := parseReceivedAt(&bad, receivedAt)
	ch := request.Channel(strings.TrimSpace(channel))
	switch ch {
	case request.Email, request.Phone, request.Letter:
	case "":
		bad.Add("channel", "say how the request reached us: email, phone or mail")
	default:
		bad.Add("channel", "use one of email, phone, mail")
	}
	rc, err := h.Requests.Submit(ctx, request.Submission{
		Input:          in,
		DecodeErrors:   bad,
		Channel:        ch,
		IdempotencyKey: apigw.Header(r, "Idempotency-Key"),
		Body:           body,
		EnteredBy:      h.staff(r),
		ReceivedAt:     received,
	})
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	return apigw.JSONResponse(http.StatusAccepted, rc, nil)
}

// requestAction applies one staff action; the rules, the audit event and the
// requester's mail are shared/request's.
func (h *Handler) requestAction(ctx context.Context, r apigw.Request) apigw.Response {
	id, ok := requestID(r)
	if !ok {
		return apigw.Problem(noSuchRequest, nil)
	}
	body, err := jsonBody(r)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	var action, reason, outcome, override, basis, appealedAt, method, note, toldBy string
	var version *int
	var withheld []string
	var decisions json.RawMessage
	bad, err := apigw.DecodeJSON(body, map[string]any{
		"action": &action, "reason": &reason, "outcome": &outcome, "version": &version,
		request.OverrideField: &override, "basis": &basis, "appealed_at": &appealedAt, "withheld": &withheld,
		"decisions": &decisions,
		"method":    &method, "note": &note, "told_by": &toldBy,
	})
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	ds := decodeDecisions(decisions, &bad)
	if len(decisions) > 0 && request.Action(strings.TrimSpace(action)) != request.DecideCorrection {
		bad.Add("decisions", "decisions are given only with the action decide_correction")
	}
	if version != nil && *version < 1 {
		bad.Add("version", "give the version you read, 1 or more")
	}
	extra := appealFields(request.Action(strings.TrimSpace(action)), basis, appealedAt, withheld, &bad)
	if err := bad.Err(); err != nil {
		return apigw.Problem(err, nil)
	}
	in := request.ActionInput{
		Action:  request.Action(strings.TrimSpace(action)),
		Reason:  reason,
		Outcome: outcome,
		Actor:   h.staff(r),
		// Staff's reason to complete while systems have not answered the
		// deletion.
		OverrideReason: override,
		Basis:          extra.Basis,
		AppealedAt:     extra.AppealedAt,
		Withheld:       extra.Withheld,
		// Staff's decisions on the items of a correction.
		Decisions: ds,
		Method:    method, Note: note, ToldBy: toldBy,
	}
	if version != nil {
		in.Version = *version
	}
	next, err := h.Requests.Act(ctx, id, in)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	return apigw.JSONResponse(http.StatusOK, viewOf(next, h.now()), nil)
}

// staff names who acts, for the audit history: the signed-in person's
// username from the verified token; on a machine route the system's IAM
// principal, or "local-system" behind the local bearer token.
func (h *Handler) staff(r apigw.Request) string {
	if p, ok := person(r); ok {
		return p.Username
	}
	if a := r.RequestContext.Authorizer; a != nil && a.IAM != nil && a.IAM.UserARN != "" {
		return a.IAM.UserARN
	}
	if h.Token != "" {
		return "local-system"
	}
	return "system"
}

// requestMetrics returns the 11 CCR §7102 figures of a calendar year of the
// company's zone, this year's when none is given.
func (h *Handler) requestMetrics(ctx context.Context, r apigw.Request) apigw.Response {
	year := h.Zone.In(h.now()).Year()
	if s, ok := r.QueryStringParameters["year"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			var f fault.Fields
			f.Add("year", "give a four-digit year")
			return apigw.Problem(f.Err(), nil)
		}
		year = n
	}
	m, err := h.Requests.Metrics(ctx, year)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	out := metricsView{Metrics: m, OptOutsBySource: map[string]int{}}
	if h.OptOutCounts != nil {
		loc := h.Zone.Location()
		from, to := time.Date(year, time.January, 1, 0, 0, 0, 0, loc), time.Date(year+1, time.January, 1, 0, 0, 0, 0, loc)
		if out.OptOutsBySource, err = h.OptOutCounts.CountBySource(ctx, from, to); err != nil {
			return apigw.Fail(ctx, h.Log, err, nil)
		}
	}
	return apigw.JSONResponse(http.StatusOK, out, nil)
}
