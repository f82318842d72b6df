package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/api"
	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/request/requesttest"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
)

// staffAPI drives the request routes with an in-memory store, holding every
// exchange to the OpenAPI document; the same routes run against DynamoDB
// Local in shared/localcloud.
type staffAPI struct {
	t       *testing.T
	h       *Handler
	store   *requesttest.Memory
	checker *api.Checker
	// user is the signed-in person (privacy-admin unless groups says).
	user   string
	groups []string
}

func newStaffAPI(t *testing.T, now time.Time) *staffAPI {
	t.Helper()
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("p"), 32))
	if err != nil {
		t.Fatal(err)
	}
	store := requesttest.New()
	checker, err := api.NewChecker()
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	return &staffAPI{t: t, store: store, checker: checker, h: &Handler{
		Requests: request.NewService(store, request.Config{PublicBaseURL: "https://api.example.test", Keyer: keyer, Phone: phone.E164, Now: clock}),
		Log:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:      clock,
	}, user: "ada", groups: []string{"privacy-admin"}}
}

// call sends one request to the route; path is the concrete path with its
// query, route the route key's path.
func (s *staffAPI) call(method, route, path, contentType, body string, want int) string {
	t := s.t
	t.Helper()
	hr := httptest.NewRequest(method, "https://api.example.test"+path, strings.NewReader(body))
	ev := apigw.Request{RouteKey: method + " " + route, RawPath: hr.URL.Path, Headers: map[string]string{}, Body: body}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
		ev.Headers["content-type"] = contentType
	}
	hr.Header.Set("Authorization", "Bearer test-access-token")
	SignIn(&ev, s.user, s.groups...)
	return HandleChecked(t, s.h, s.checker, hr, ev, route, body, want)
}

const staffEntered = `{"channel":"phone","types":["know"],"first_name":"Grace","last_name":"Hopper",` +
	`"email":"grace@example.com","phone":"+1 415 555 0123","country":"US","state":"CA","declaration":true}`

func TestAdminRequestRoutes(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	s := newStaffAPI(t, now)
	const js = "application/json"

	// A request taken on the phone: the web form's receipt, the channel kept.
	var rc request.Receipt
	if err := json.Unmarshal([]byte(s.call("POST", "/v1/admin/requests", "/v1/admin/requests", js, staffEntered, 202)), &rc); err != nil {
		t.Fatal(err)
	}
	stored, err := s.store.Get(context.Background(), rc.ID)
	if err != nil || stored.Channel != request.Phone || stored.Status != request.PendingVerification || stored.Phone != "+14155550123" {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	if m := s.store.Mails(); len(m) != 1 || m[0].To != "grace@example.com" || m[0].Data["verify_url"] == "" {
		t.Fatalf("receipt mail %+v", m)
	}
	// The history says who entered it: the signed-in person.
	if evs, _ := s.store.Events(context.Background(), rc.ID); len(evs) != 1 || evs[0].Action != "received" || evs[0].Actor != "ada" {
		t.Errorf("history %+v, want the staff member who entered it as actor", evs)
	}
	for _, bad := range []string{
		strings.Replace(staffEntered, `"channel":"phone",`, "", 1),
		strings.Replace(staffEntered, `"phone",`, `"web",`, 1),
		strings.Replace(staffEntered, `"phone",`, `7,`, 1),
	} {
		if out := s.call("POST", "/v1/admin/requests", "/v1/admin/requests", js, bad, 400); !strings.Contains(out, `"field":"channel"`) {
			t.Errorf("bad channel: %s", out)
		}
	}
	// The web form's rules hold too, reported with the channel's.
	out := s.call("POST", "/v1/admin/requests", "/v1/admin/requests", js, `{"channel":"fax","types":["correct"],"email":"x"}`, 400)
	for _, f := range []string{"channel", "correction", "email", "first_name", "declaration"} {
		if !strings.Contains(out, `"field":"`+f+`"`) {
			t.Errorf("missing error on %s: %s", f, out)
		}
	}
	s.call("POST", "/v1/admin/requests", "/v1/admin/requests", "application/x-www-form-urlencoded", "channel=phone", 415)
	if len(s.store.Requests()) != 1 {
		t.Fatalf("refused entries were stored")
	}

	// The queue.
	s.call("GET", "/v1/admin/requests", "/v1/admin/requests", "", "", 400)
	if out := s.call("GET", "/v1/admin/requests", "/v1/admin/requests?status=open", "", "", 400); !strings.Contains(out, `"field":"status"`) {
		t.Errorf("unknown status: %s", out)
	}
	for _, q := range []string{"due_before=tomorrow", "due_before=2026-13-01", "limit=0", "limit=101", "limit=ten"} {
		s.call("GET", "/v1/admin/requests", "/v1/admin/requests?status=pending_verification&"+q, "", "", 400)
	}
	var page RequestQueue
	out = s.call("GET", "/v1/admin/requests", "/v1/admin/requests?status=pending_verification&due_before=2026-04-17&limit=10", "", "", 200)
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Requests) != 1 || page.Requests[0].ID != rc.ID || page.NextCursor != "" {
		t.Fatalf("queue %s", out)
	}
	// Due 16 April 15:00: not before the 16th's midnight, before 15:00:01.
	for q, n := range map[string]int{"due_before=2026-04-16": 0, "due_before=2026-04-16T15:00:01Z": 1, "due_before=2026-04-16T08:00:01-07:00": 1} {
		out = s.call("GET", "/v1/admin/requests", "/v1/admin/requests?status=pending_verification&"+q, "", "", 200)
		if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Requests) != n {
			t.Errorf("%s: %s, want %d", q, out, n)
		}
	}

	// One request.
	path := "/v1/admin/requests/" + rc.ID
	var detail RequestDetail
	if err := json.Unmarshal([]byte(s.call("GET", "/v1/admin/requests/{id}", path, "", "", 200)), &detail); err != nil {
		t.Fatal(err)
	}
	if detail.Channel != request.Phone || detail.Email != "grace@example.com" || detail.Version != 1 || detail.History == nil {
		t.Errorf("detail %+v", detail)
	}
	// Waiting for verification: staff may verify it, send the receipt
	// again, deny or cancel it, and nothing else.
	if want := []request.Action{"verify", "resend", "deny", "cancel"}; !slices.Equal(detail.Actions, want) {
		t.Errorf("actions %v, want %v", detail.Actions, want)
	}
	s.call("GET", "/v1/admin/requests/{id}", "/v1/admin/requests/01JZ8X6Q3V4N5T7W9Y0A2B4C6D", "", "", 404)
	s.call("GET", "/v1/admin/requests/{id}", "/v1/admin/requests/not-an-id", "", "", 404)

	// Actions.
	actions := "/v1/admin/requests/{id}/actions"
	s.call("POST", actions, path+"/actions", js, `{"action":"start"}`, 409) // not verified yet
	if out := s.call("POST", actions, path+"/actions", js, `{"action":"extend"}`, 400); !strings.Contains(out, `"field":"reason"`) {
		t.Errorf("extend without reason: %s", out)
	}
	if out := s.call("POST", actions, path+"/actions", js, `{"action":"deny","reason":"","version":0}`, 400); !strings.Contains(out, `"field":"version"`) {
		t.Errorf("version 0: %s", out)
	}
	if out := s.call("POST", actions, path+"/actions", js, `{"action":"deny","why":"x"}`, 400); !strings.Contains(out, `"field":"why"`) {
		t.Errorf("unknown field: %s", out)
	}
	s.call("POST", actions, path+"/actions", js, `{}`, 400)
	s.call("POST", actions, path+"/actions", js, `[]`, 400)
	s.call("POST", actions, "/v1/admin/requests/01JZ8X6Q3V4N5T7W9Y0A2B4C6D/actions", js, `{"action":"cancel"}`, 404)
	s.call("POST", actions, path+"/actions", js, `{"action":"cancel","version":2}`, 409)

	s.user, s.groups = "grace", []string{"privacy-handler"}
	var done RequestView
	out = s.call("POST", actions, path+"/actions", js, `{"action":"deny","reason":"The caller could not be verified.","version":1}`, 200)
	if err := json.Unmarshal([]byte(out), &done); err != nil || done.Status != request.Denied || done.DenialBasis != "The caller could not be verified." || done.ClosedAt == nil || done.Version != 2 {
		t.Fatalf("deny: %s", out)
	}
	if want := []request.Action{"appeal"}; !slices.Equal(done.Actions, want) {
		t.Errorf("actions after the denial %v, want %v", done.Actions, want)
	}
	evs, _ := s.store.Events(context.Background(), rc.ID)
	if len(evs) != 2 || evs[0].Action != "received" || evs[1].Actor != "grace" {
		t.Errorf("history %+v, want the person who acted as actor", evs)
	}

	// Metrics.
	var m request.Metrics
	if err := json.Unmarshal([]byte(s.call("GET", "/v1/admin/metrics", "/v1/admin/metrics", "", "", 200)), &m); err != nil || m.Year != 2026 || m.Denied["know"] != 1 {
		t.Errorf("metrics %+v, %v", m, err)
	}
	s.call("GET", "/v1/admin/metrics", "/v1/admin/metrics?year=2025", "", "", 200)
	for _, y := range []string{"1999", "26", "twenty", "10000"} {
		s.call("GET", "/v1/admin/metrics", "/v1/admin/metrics?year="+y, "", "", 400)
	}
}

// A failed mail shows the provider's code and when it failed, a held one
// its reason; neither shows a sent time it never had.
func TestRequestMailOf(t *testing.T) {
	failedAt := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	got := requestMailOf(mail.Record{ID: "01JZ8X6Q3V4N5T7W9Y0A2B4C6E", Template: mail.RequestReceived, Status: mail.StatusFailed,
		Attempts: 1, FailedAt: failedAt, Error: "MessageRejected"})
	if got.Status != "failed" || got.Error != "MessageRejected" || got.FailedAt == nil || !got.FailedAt.Equal(failedAt) || got.SentAt != nil || got.Attempts != 1 {
		t.Errorf("failed mail %+v", got)
	}
	held := requestMailOf(mail.Record{ID: "01JZ8X6Q3V4N5T7W9Y0A2B4C6F", Template: mail.ConsentReceipt, Status: mail.StatusHeld, HeldReason: "cap"})
	if held.HeldReason != "cap" || held.SentAt != nil || held.FailedAt != nil || held.Error != "" {
		t.Errorf("held mail %+v", held)
	}
}

// HandleChecked hands the staff API the event ev of the request hr (its
// query and the path parameter of route filled in from hr), fails the test
// unless the status is want, checks the exchange against the OpenAPI
// document and returns the body. Exported for the package's external tests.
func HandleChecked(t *testing.T, h *Handler, checker *api.Checker, hr *http.Request, ev apigw.Request, route, body string, want int) string {
	t.Helper()
	if q := hr.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, v := range q {
			ev.QueryStringParameters[k] = strings.Join(v, ",")
		}
	}
	rs, ps := strings.Split(route, "/"), strings.Split(hr.URL.Path, "/")
	for i := range rs {
		if strings.HasPrefix(rs[i], "{") && i < len(ps) {
			ev.PathParameters = map[string]string{strings.Trim(rs[i], "{}"): ps[i]}
		}
	}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Errorf("%s %s: %d %s, want %d", hr.Method, hr.URL.RequestURI(), resp.StatusCode, resp.Body, want)
	}
	hh := http.Header{}
	for k, v := range resp.Headers {
		hh.Set(k, v)
	}
	hresp := &http.Response{StatusCode: resp.StatusCode, Header: hh, Body: io.NopCloser(strings.NewReader(resp.Body))}
	if err := checker.Check(hr, []byte(body), hresp, []byte(resp.Body)); err != nil {
		t.Errorf("%s %s: %v", hr.Method, hr.URL.RequestURI(), err)
	}
	return resp.Body
}
