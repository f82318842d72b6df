package adminapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/reach"
)

// Jobs reads the jobs that carry rights to the company's other systems
// (shared/ddb.Jobs).
type Jobs interface {
	// Open returns the jobs awaiting their answer, at most limit.
	Open(ctx context.Context, limit int) ([]reach.Job, error)
	// Overdue returns the open jobs due before at, at most limit.
	Overdue(ctx context.Context, at time.Time, limit int) ([]reach.Job, error)
	// OfRequest returns the jobs of one request of a person.
	OfRequest(ctx context.Context, subjectKey, requestID string) ([]reach.Job, error)
}

// SystemView is one system of the register as staff see it: how it is
// reached, never a secret's value (the webhook's secret by its name in
// Secrets Manager only).
type SystemView struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	Role             reach.Role     `json:"role"`
	Categories       []string       `json:"categories"`
	ActsOn           []reach.Action `json:"acts_on"`
	Reach            reach.Channel  `json:"reach"`
	AnswerWithinDays int            `json:"answer_within_days"`
	URL              string         `json:"url,omitempty"`
	SecretName       string         `json:"secret_name,omitempty"`
	Contact          string         `json:"contact,omitempty"`
}

// SystemList is the register.
type SystemList struct {
	Systems []SystemView `json:"systems"`
}

// JobView is one job as staff see it: which system, what, for which
// request, where it stands and who answered; never the identifiers the
// system is told to find the person by.
type JobView struct {
	ID         string        `json:"id"`
	System     string        `json:"system"`
	Action     reach.Action  `json:"action"`
	Reach      reach.Channel `json:"reach"`
	RequestID  string        `json:"request_id,omitempty"`
	Status     reach.Status  `json:"status"`
	Overdue    bool          `json:"overdue"`
	CreatedAt  time.Time     `json:"created_at"`
	DueAt      time.Time     `json:"due_at"`
	ToldAt     *time.Time    `json:"told_at,omitempty"`
	Attempts   int           `json:"attempts"`
	LastError  string        `json:"last_error,omitempty"`
	AnsweredAt *time.Time    `json:"answered_at,omitempty"`
	Outcome    reach.Outcome `json:"outcome,omitempty"`
	AnsweredBy string        `json:"answered_by,omitempty"`
	Note       string        `json:"note,omitempty"`
}

// JobList is the open or overdue jobs. Truncated says the list stopped at
// its limit.
type JobList struct {
	Jobs      []JobView `json:"jobs"`
	Truncated bool      `json:"truncated"`
}

// jobListLimit bounds one list: staff work the earliest due first.
const jobListLimit = 500

// allJobs is a limit no list of open jobs reaches.
const allJobs = 1 << 30

func jobViewOf(j reach.Job, now time.Time) JobView {
	v := JobView{
		ID: j.ID, System: j.System, Action: j.Action, Reach: j.Reach, RequestID: j.RequestID,
		Status: j.Status, Overdue: j.Overdue(now), CreatedAt: j.CreatedAt, DueAt: j.DueAt,
		Attempts: j.Attempts, LastError: j.LastError,
		Outcome: j.Outcome, AnsweredBy: j.AnsweredBy, Note: j.Note,
	}
	if !j.ToldAt.IsZero() {
		at := j.ToldAt
		v.ToldAt = &at
	}
	if !j.AnsweredAt.IsZero() {
		at := j.AnsweredAt
		v.AnsweredAt = &at
	}
	return v
}

func (h *Handler) register() *reach.Register {
	if h.Systems != nil {
		return h.Systems
	}
	return reach.Systems()
}

var jobsUnavailable = fault.New(fault.Internal, "jobs are not configured")

// systems lists the register of the company's systems (the data map).
func (h *Handler) systems(ctx context.Context, r apigw.Request) apigw.Response {
	out := SystemList{Systems: []SystemView{}}
	for _, s := range h.register().All() {
		out.Systems = append(out.Systems, SystemView{
			ID: s.ID, Name: s.Name, Role: s.Role, Categories: nonNil(s.Categories), ActsOn: s.ActsOn,
			Reach: s.Reach, AnswerWithinDays: s.AnswerWithinDays,
			URL: s.URL, SecretName: s.Secret, Contact: s.Contact,
		})
	}
	return apigw.JSONResponse(http.StatusOK, out, nil)
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// jobList lists the open jobs, or only the overdue ones, the earliest due
// first, of one system when system is given.
func (h *Handler) jobList(ctx context.Context, r apigw.Request) apigw.Response {
	if h.Jobs == nil {
		return apigw.Fail(ctx, h.Log, jobsUnavailable, nil)
	}
	q := r.QueryStringParameters
	var f fault.Fields
	status := strings.TrimSpace(q["status"])
	if status != "open" && status != "overdue" {
		f.Add("status", "use open or overdue")
	}
	system, filter := q["system"]
	if _, ok := h.register().System(system); filter && !ok {
		f.Add("system", "is not a system of the register (GET /v1/admin/systems)")
	}
	if err := f.Err(); err != nil {
		return apigw.Problem(err, nil)
	}
	now := h.now().UTC()
	// One more than the list shows tells whether it stopped there; a
	// list of one system reads every open job, then keeps that system's.
	limit := jobListLimit + 1
	if filter {
		limit = allJobs
	}
	var jobs []reach.Job
	var err error
	if status == "open" {
		jobs, err = h.Jobs.Open(ctx, limit)
	} else {
		jobs, err = h.Jobs.Overdue(ctx, now, limit)
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	if filter {
		jobs = slices.DeleteFunc(jobs, func(j reach.Job) bool { return j.System != system })
	}
	slices.SortStableFunc(jobs, func(a, b reach.Job) int { return a.DueAt.Compare(b.DueAt) })
	out := JobList{Jobs: []JobView{}}
	if len(jobs) > jobListLimit {
		jobs, out.Truncated = jobs[:jobListLimit], true
	}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, jobViewOf(j, now))
	}
	return apigw.JSONResponse(http.StatusOK, out, nil)
}

// jobAnswer records staff's answer for a job: the vendor replied by mail,
// or staff acted in the system themselves. The answer is recorded with the
// staff principal, and the job keeps it as proof.
func (h *Handler) jobAnswer(ctx context.Context, r apigw.Request) apigw.Response {
	if h.Reach == nil {
		return apigw.Fail(ctx, h.Log, jobsUnavailable, nil)
	}
	id := r.PathParameters["job"]
	if !ulidPattern().MatchString(id) {
		return apigw.Problem(fault.New(fault.NotFound, "No such job."), nil)
	}
	body, err := jsonBody(r)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	var outcome, note string
	bad, err := apigw.DecodeJSON(body, map[string]any{"outcome": &outcome, "note": &note})
	if err == nil {
		err = bad.Err()
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	j, err := h.Reach.Resolve(ctx, id, reach.Outcome(strings.TrimSpace(outcome)), note, h.staff(r))
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	return apigw.JSONResponse(http.StatusOK, jobViewOf(j, h.now().UTC()), nil)
}

// requestJobs are the jobs of a request: every system told, when, and its
// answer.
func (h *Handler) requestJobs(ctx context.Context, subjectKey, requestID string) ([]JobView, error) {
	out := []JobView{}
	if h.Jobs == nil || subjectKey == "" {
		return out, nil
	}
	jobs, err := h.Jobs.OfRequest(ctx, subjectKey, requestID)
	if err != nil {
		return nil, err
	}
	now := h.now().UTC()
	for _, j := range jobs {
		out = append(out, jobViewOf(j, now))
	}
	return out, nil
}
