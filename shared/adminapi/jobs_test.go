package adminapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/api"
	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/subjectdata"
	"github.com/claritru/privacy/shared/topology"
)

const jobsStaff = "grace"

// jobsAPI is the staff API on a fresh table, wired as the admin function
// wires it (its calls under the function's table access), called as a
// session of the staff role, every exchange held to the OpenAPI document.
type jobsAPI struct {
	t       *testing.T
	db      *dynamodb.Client
	table   string
	keyer   *subject.Keyer
	h       *adminapi.Handler
	checker *api.Checker
	mu      sync.Mutex
	clock   time.Time
}

func newJobsAPI(t *testing.T, start time.Time) *jobsAPI {
	t.Helper()
	db, table := localtest.NewTable(t)
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("j"), 32))
	if err != nil {
		t.Fatal(err)
	}
	checker, err := api.NewChecker()
	if err != nil {
		t.Fatal(err)
	}
	s := &jobsAPI{t: t, db: db, table: table, keyer: keyer, checker: checker, clock: start}
	now := func() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.clock }
	def, _ := topology.ClariTru.Function("admin")
	guarded := ddb.Guard(db, def)
	jobs := ddb.NewJobs(guarded, table)
	s.h = &adminapi.Handler{
		Requests: request.NewService(ddb.NewRequests(guarded, table), request.Config{
			Keyer: keyer, Phone: phone.E164, Systems: reach.Systems(), Jobs: jobs, Now: now,
		}),
		Subjects: subjectdata.NewService(ddb.NewSubjects(guarded, table), keyer, phone.E164, now),
		Systems:  reach.Systems(),
		Jobs:     jobs,
		Reach:    reach.NewService(jobs, reach.Config{Register: reach.Systems(), Now: now}),
		Log:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:      now,
	}
	return s
}

func (s *jobsAPI) at(t time.Time) { s.mu.Lock(); s.clock = t; s.mu.Unlock() }

// call sends one request; route is the route key's path, path the concrete
// path with its query.
func (s *jobsAPI) call(method, route, path, body string, want int) string {
	t := s.t
	t.Helper()
	hr := httptest.NewRequest(method, "https://api.example.test"+path, strings.NewReader(body))
	ev := apigw.Request{RouteKey: method + " " + route, RawPath: hr.URL.Path, Headers: map[string]string{}, Body: body}
	if body != "" {
		hr.Header.Set("Content-Type", "application/json")
		ev.Headers["content-type"] = "application/json"
	}
	// Admin: the jobs tests also export and erase.
	adminapi.SignIn(&ev, jobsStaff, "privacy-admin")
	return adminapi.HandleChecked(t, s.h, s.checker, hr, ev, route, body, want)
}

// verified stores a request of the given types for email, received at at,
// and verifies it then through the request service: the verification
// writes one job per system that must act, in its transaction.
func (s *jobsAPI) verified(email string, at time.Time, types ...request.Type) request.Request {
	s.t.Helper()
	ctx := context.Background()
	s.at(at)
	raw, hash, err := request.NewToken()
	if err != nil {
		s.t.Fatal(err)
	}
	at = at.Truncate(time.Millisecond)
	r := request.Request{
		ID: s.h.Requests.NewID(at), Types: types, Status: request.PendingVerification, Channel: request.Web,
		FirstName: "Ada", LastName: "Lovelace", Email: email, Country: "US", State: "CA", Regime: deadline.CCPA,
		ReceivedAt: at, DueAt: deadline.Due(deadline.CCPA, at), SubjectKey: s.keyer.Email(email), Version: 1,
	}
	err = ddb.NewRequests(s.db, s.table).Create(ctx, request.Creation{
		Request: r, TokenHash: hash, TokenExpiresAt: at.Add(request.TokenLifetime),
		Event: request.Event{ID: s.h.Requests.NewID(at), At: at, Action: "received", To: r.Status, Actor: "requester"},
		Mail:  mail.Intent{ID: s.h.Requests.NewID(at), Template: mail.RequestReceived, To: email, Data: map[string]string{"request_id": r.ID}},
	})
	if err != nil {
		s.t.Fatal(err)
	}
	v, err := s.h.Requests.Confirm(ctx, raw)
	if err != nil {
		s.t.Fatal(err)
	}
	return v
}

func (s *jobsAPI) jobs(query string) adminapi.JobList {
	s.t.Helper()
	var l adminapi.JobList
	if err := json.Unmarshal([]byte(s.call("GET", "/v1/admin/jobs", "/v1/admin/jobs?"+query, "", 200)), &l); err != nil {
		s.t.Fatal(err)
	}
	return l
}

func systemsOf(l adminapi.JobList) map[string]int {
	out := map[string]int{}
	for _, j := range l.Jobs {
		out[j.System]++
	}
	return out
}

// The register as staff read it: every system with how it is reached, a
// webhook's secret by its name only.
func TestSystemsRoute(t *testing.T) {
	s := newJobsAPI(t, time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	body := s.call("GET", "/v1/admin/systems", "/v1/admin/systems", "", 200)
	var l adminapi.SystemList
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	byID := map[string]adminapi.SystemView{}
	for _, v := range l.Systems {
		byID[v.ID] = v
	}
	crm, billing, hosting, ads := byID["crm"], byID["billing"], byID["hosting"], byID["ads-audiences"]
	if len(l.Systems) != 4 || crm.Reach != reach.Webhook || crm.URL == "" || crm.SecretName != "claritru/privacy/webhooks/crm" ||
		billing.Contact != "privacy@payments.example" || billing.AnswerWithinDays != 15 || hosting.Reach != reach.StaffTask ||
		ads.Reach != reach.Feed || ads.AnswerWithinDays != reach.DefaultAnswerDays || len(crm.ActsOn) != 7 || len(billing.Categories) == 0 {
		t.Errorf("systems = %+v", l.Systems)
	}
	if strings.Contains(body, "whsec_") || strings.Contains(body, `"secret"`) {
		t.Errorf("the register shows a secret: %s", body)
	}
}

// Jobs listed open or overdue, by system, with what staff need and no
// identifier; staff record an answer once, with their principal; bad input
// names the field.
func TestJobRoutes(t *testing.T) {
	start := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	s := newJobsAPI(t, start)
	r := s.verified("ada@example.com", start, request.Delete, request.Access)

	open := s.jobs("status=open")
	if got := systemsOf(open); len(open.Jobs) != 6 || got["crm"] != 2 || got["billing"] != 2 || got["hosting"] != 2 || open.Truncated {
		t.Fatalf("open jobs = %+v, want delete and access for crm, billing, hosting", open)
	}
	for _, j := range open.Jobs {
		if j.RequestID != r.ID || j.Overdue || j.DueAt.IsZero() || (j.Reach == reach.Webhook) != (j.Status == reach.Queued) {
			t.Errorf("job %+v", j)
		}
	}
	if l := s.jobs("status=open&system=billing"); len(l.Jobs) != 2 || systemsOf(l)["billing"] != 2 {
		t.Errorf("billing's jobs = %+v", l)
	}
	if l := s.jobs("status=overdue"); len(l.Jobs) != 0 {
		t.Errorf("overdue at once: %+v", l)
	}
	// Twelve business days on: the CRM and hosting (ten days) are overdue,
	// the payment processor (fifteen) is not.
	s.at(deadline.AddBusinessDays(start, 12))
	over := s.jobs("status=overdue")
	if got := systemsOf(over); len(over.Jobs) != 4 || got["crm"] != 2 || got["hosting"] != 2 {
		t.Errorf("overdue = %+v, want crm's and hosting's", over)
	}
	for _, j := range over.Jobs {
		if !j.Overdue {
			t.Errorf("overdue job not flagged: %+v", j)
		}
	}
	if l := s.jobs("status=overdue&system=billing"); len(l.Jobs) != 0 {
		t.Errorf("billing overdue: %+v", l)
	}
	for _, q := range []struct{ query, field string }{{"", "status"}, {"status=late", "status"}, {"status=open&system=nope", "system"}} {
		body := s.call("GET", "/v1/admin/jobs", "/v1/admin/jobs?"+q.query, "", 400)
		if !strings.Contains(body, `"field":"`+q.field+`"`) {
			t.Errorf("%q: %s, want the field %s named", q.query, body, q.field)
		}
	}

	var billingDelete string
	for _, j := range open.Jobs {
		if j.System == "billing" && j.Action == reach.Delete {
			billingDelete = j.ID
		}
	}
	path := "/v1/admin/jobs/" + billingDelete
	for _, bad := range []struct{ body, field string }{
		{`{"outcome":"maybe","note":""}`, "outcome"},
		{`{"outcome":"refused"}`, "note"},
		{`{"outcome":"done","note":"x","by":"me"}`, "by"},
	} {
		body := s.call("POST", "/v1/admin/jobs/{job}", path, bad.body, 400)
		if !strings.Contains(body, `"field":"`+bad.field+`"`) {
			t.Errorf("%s: %s, want the field %s named", bad.body, body, bad.field)
		}
	}
	s.call("POST", "/v1/admin/jobs/{job}", "/v1/admin/jobs/01JZZZZZZZZZZZZZZZZZZZZZZZ", `{"outcome":"done"}`, 404)
	s.call("POST", "/v1/admin/jobs/{job}", "/v1/admin/jobs/not-a-job", `{"outcome":"done"}`, 404)

	var answered adminapi.JobView
	body := s.call("POST", "/v1/admin/jobs/{job}", path, `{"outcome":"done","note":"The vendor confirmed the deletion by mail."}`, 200)
	if err := json.Unmarshal([]byte(body), &answered); err != nil {
		t.Fatal(err)
	}
	if answered.Status != reach.Answered || answered.Outcome != reach.Done || answered.AnsweredBy != jobsStaff ||
		answered.AnsweredAt == nil || answered.ToldAt == nil || answered.Note != "The vendor confirmed the deletion by mail." {
		t.Errorf("answered = %+v", answered)
	}
	s.call("POST", "/v1/admin/jobs/{job}", path, `{"outcome":"not_found"}`, 409)
	if l := s.jobs("status=open"); len(l.Jobs) != 5 {
		t.Errorf("open after the answer = %d, want 5", len(l.Jobs))
	}
	stored, err := ddb.NewJobs(s.db, s.table).Job(context.Background(), billingDelete)
	if err != nil || len(stored.Identifiers) != 0 || stored.AnsweredBy != jobsStaff {
		t.Errorf("stored = %+v, %v: want the answer kept and the identifiers gone", stored, err)
	}
}

// A request is not completed while a system has not answered its deletion,
// unless staff say why; the refusal names the field and the systems, the
// completion records the reason and the systems in the audit history. The
// request's detail and the person's export show every system, when it was
// told and how it answered, and no identifier.
func TestCompletionWaitsForDeletionJobs(t *testing.T) {
	start := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	s := newJobsAPI(t, start)
	r := s.verified("ada@example.com", start, request.Delete)
	s.at(start.Add(48 * time.Hour))
	actions := "/v1/admin/requests/" + r.ID + "/actions"
	const route = "/v1/admin/requests/{id}/actions"

	body := s.call("POST", route, actions, `{"action":"complete"}`, 409)
	if !strings.Contains(body, `"field":"override_reason"`) || !strings.Contains(body, "3 systems have not answered") ||
		!strings.Contains(body, "crm, billing, hosting") {
		t.Errorf("refusal = %s", body)
	}
	jobs, err := ddb.NewJobs(s.db, s.table).OfRequest(context.Background(), r.SubjectKey, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.System == "hosting" {
			s.call("POST", "/v1/admin/jobs/{job}", "/v1/admin/jobs/"+j.ID, `{"outcome":"done","note":"Deleted from the hosts and backups."}`, 200)
		}
	}
	body = s.call("POST", route, actions, `{"action":"complete","override_reason":"  "}`, 409)
	if !strings.Contains(body, "2 systems have not answered") || !strings.Contains(body, "crm, billing") || strings.Contains(body, "hosting") {
		t.Errorf("refusal after hosting answered = %s", body)
	}
	long := `{"action":"complete","override_reason":"` + strings.Repeat("x", 2001) + `"}`
	if body := s.call("POST", route, actions, long, 400); !strings.Contains(body, `"field":"override_reason"`) {
		t.Errorf("long reason: %s", body)
	}

	s.call("POST", route, actions, `{"action":"complete","outcome":"Deleted.","override_reason":"The payment processor must keep records 7 years; CRM deletion confirmed by phone."}`, 200)
	var d adminapi.RequestDetail
	body = s.call("GET", "/v1/admin/requests/{id}", "/v1/admin/requests/"+r.ID, "", 200)
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	last := d.History[len(d.History)-1]
	if d.Status != request.Completed || last.Action != "complete" || last.Actor != jobsStaff ||
		!strings.Contains(last.Note, "crm, billing") || !strings.Contains(last.Note, "must keep records 7 years") || strings.Contains(last.Note, "hosting") {
		t.Errorf("completion = %s, event %+v", d.Status, last)
	}
	if len(d.Jobs) != 3 {
		t.Fatalf("detail jobs = %+v, want three", d.Jobs)
	}
	for _, j := range d.Jobs {
		answered := j.System == "hosting"
		if j.Action != reach.Delete || j.RequestID != r.ID || (j.Status == reach.Answered) != answered ||
			answered && (j.AnsweredBy != jobsStaff || j.Outcome != reach.Done || j.AnsweredAt == nil || j.Note == "") ||
			j.Reach == reach.VendorMail && j.ToldAt == nil {
			t.Errorf("detail job %+v", j)
		}
	}
	if strings.Contains(body, `"identifiers"`) || strings.Count(body, "ada@example.com") != 1 {
		t.Errorf("the detail shows the identifiers the systems were told: %s", body)
	}

	body = s.call("GET", "/v1/admin/subjects/export", "/v1/admin/subjects/export?email=ada@example.com", "", 200)
	var doc subjectdata.Document
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Jobs) != 3 {
		t.Fatalf("export jobs = %+v, want three", doc.Jobs)
	}
	for _, j := range doc.Jobs {
		if j.RequestID != r.ID || j.Action != "delete" || (j.System == "hosting") != (j.Status == "answered") ||
			j.System == "hosting" && (j.AnsweredBy != jobsStaff || j.Outcome != "done" || j.AnsweredAt == nil || j.ToldAt == nil) {
			t.Errorf("export job %+v", j)
		}
	}
	if strings.Contains(body, `"identifiers"`) {
		t.Errorf("the export shows the identifiers the systems were told: %s", body)
	}
}

// A request with no job open completes as before, with no note.
func TestCompletionWithoutOpenJobs(t *testing.T) {
	start := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	s := newJobsAPI(t, start)
	r := s.verified("grace@example.com", start, request.Access)
	body := s.call("POST", "/v1/admin/requests/{id}/actions", "/v1/admin/requests/"+r.ID+"/actions", `{"action":"complete"}`, 200)
	if !strings.Contains(body, `"status":"completed"`) {
		t.Errorf("complete = %s", body)
	}
}

// A request staff enter from a call is verified by the same link as the
// form's, and its verification writes the jobs: one per system that must
// act, with the request.
func TestStaffEnteredRequestWritesJobsOnVerification(t *testing.T) {
	start := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	s := newJobsAPI(t, start)
	const entered = `{"channel":"phone","types":["delete"],"first_name":"Grace","last_name":"Hopper",` +
		`"email":"grace@example.com","country":"US","state":"CA","declaration":true}`
	var rc request.Receipt
	if err := json.Unmarshal([]byte(s.call("POST", "/v1/admin/requests", "/v1/admin/requests", entered, 202)), &rc); err != nil {
		t.Fatal(err)
	}
	out, err := s.db.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(s.table), KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :mail)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "REQ#" + rc.ID}, ":mail": &types.AttributeValueMemberS{Value: "MAIL#"},
		},
	})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("receipt mail: %d items, %v", len(out.Items), err)
	}
	var m struct {
		Data map[string]string `dynamodbav:"data"`
	}
	if err := attributevalue.UnmarshalMap(out.Items[0], &m); err != nil {
		t.Fatal(err)
	}
	link, err := url.Parse(m.Data["verify_url"])
	if err != nil || link.Query().Get("token") == "" {
		t.Fatalf("receipt without a verification link: %q", m.Data["verify_url"])
	}
	if l := s.jobs("status=open"); len(l.Jobs) != 0 {
		t.Fatalf("jobs before verification: %+v", l)
	}
	if _, err := s.h.Requests.Confirm(context.Background(), link.Query().Get("token")); err != nil {
		t.Fatal(err)
	}
	l := s.jobs("status=open")
	if got := systemsOf(l); len(l.Jobs) != 3 || got["crm"] != 1 || got["billing"] != 1 || got["hosting"] != 1 {
		t.Fatalf("jobs after verification = %+v", l)
	}
	for _, j := range l.Jobs {
		if j.RequestID != rc.ID || j.Action != reach.Delete {
			t.Errorf("job %+v", j)
		}
	}
}
