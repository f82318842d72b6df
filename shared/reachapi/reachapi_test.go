package reachapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/claritru/privacy/api"
	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/ids"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/reachapi"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/topology"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m, false)) }

const (
	route      = "POST /v1/callbacks/{job}"
	edgeSecret = "edge-secret-for-tests"
	email      = "ada@example.com"
)

type secrets map[string]string

func (s secrets) Secret(_ context.Context, name string) (string, error) { return s[name], nil }

// system is the receiving system: it keeps each webhook's body and answers
// with status.
type system struct {
	mu     sync.Mutex
	status int
	bodies [][]byte
}

func (s *system) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, b)
	st := s.status
	s.mu.Unlock()
	w.WriteHeader(st)
}

func (s *system) answer(status int) { s.mu.Lock(); s.status = status; s.mu.Unlock() }

func (s *system) messages(t *testing.T) []reach.Message {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []reach.Message
	for _, b := range s.bodies {
		var m reach.Message
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

type env struct {
	t       *testing.T
	h       *reachapi.Handler
	store   *ddb.Jobs
	reqs    *ddb.Requests
	table   string
	sys     *system
	secret  string
	now     time.Time
	ids     *ids.Source
	logs    *bytes.Buffer
	checker *api.Checker
	reg     *reach.Register
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, table := localtest.NewTable(t)
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	fn, ok := topology.ClariTru.Function("reach")
	if !ok {
		t.Fatal("no reach function in the topology")
	}
	e := &env{t: t, store: ddb.NewJobs(ddb.Guard(db, fn), table), reqs: ddb.NewRequests(db, table), table: table,
		sys: &system{status: http.StatusOK}, secret: "whsec_" + base64.StdEncoding.EncodeToString(b),
		now: time.Now().UTC().Truncate(time.Second), ids: ids.NewSource(), logs: &bytes.Buffer{}}
	srv := httptest.NewServer(e.sys)
	t.Cleanup(srv.Close)
	var err error
	e.reg, err = reach.NewRegister(reach.System{ID: "crm", Name: "CRM", Role: reach.ServiceProvider,
		ActsOn: []reach.Action{reach.Delete}, Reach: reach.Webhook, URL: srv.URL + "/hook", Secret: "hooks/crm"})
	if err != nil {
		t.Fatal(err)
	}
	if e.checker, err = api.NewChecker(); err != nil {
		t.Fatal(err)
	}
	svc := reach.NewService(e.store, reach.Config{Register: e.reg, Secrets: secrets{"hooks/crm": e.secret}, HTTP: srv.Client(),
		PublicBaseURL: "https://api.example.test", Now: func() time.Time { return e.now }})
	e.h = &reachapi.Handler{Service: svc, Jobs: e.store, Log: slog.New(slog.NewJSONHandler(e.logs, nil)),
		EdgeSecret: edgeSecret, RetryBatch: 10}
	return e
}

// verified writes a verified deletion request with its jobs, as the intake
// does, and returns the one job.
func (e *env) verified() reach.Job {
	t := e.t
	t.Helper()
	ctx := context.Background()
	id := e.ids.At(e.now)
	r := request.Request{ID: id, Types: []request.Type{request.Delete}, Status: request.PendingVerification, Channel: request.Web,
		FirstName: "Ada", LastName: "Lovelace", Email: email, Country: "US", State: "CA", Regime: deadline.CCPA,
		ReceivedAt: e.now, DueAt: e.now.AddDate(0, 0, 45), SubjectKey: "key-ada", Version: 1}
	if err := e.reqs.Create(ctx, request.Creation{Request: r, TokenHash: "hash-" + id, TokenExpiresAt: e.now.Add(time.Hour),
		Event: request.Event{ID: e.ids.At(e.now), At: e.now, Action: "received", To: r.Status, Actor: "requester"},
		Mail:  mail.Intent{ID: e.ids.At(e.now), Template: mail.RequestReceived, To: email}}); err != nil {
		t.Fatal(err)
	}
	jobs := reach.Plan(e.reg, reach.Delete, e.now, r.DueAt, r.SubjectKey, id, []reach.Identifier{{Kind: "email", Value: email}},
		func() string { return e.ids.At(e.now) })
	if err := e.reqs.Verify(ctx, request.Verification{TokenHash: "hash-" + id, Request: r, At: e.now, Jobs: jobs,
		Event: request.Event{ID: e.ids.At(e.now), At: e.now, Action: "verified", From: r.Status, To: request.Verified, Actor: "requester"},
		Mail:  mail.Intent{ID: e.ids.At(e.now), Template: mail.RequestVerified, To: email}}); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 {
		t.Fatalf("jobs %+v", jobs)
	}
	return jobs[0]
}

// callbackEvent is a signed callback as API Gateway hands it over: header
// names lower-case.
func (e *env) callbackEvent(id string, answer any, signedAt time.Time, secret string) (apigw.Request, *http.Request) {
	e.t.Helper()
	body, _ := json.Marshal(answer)
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		e.t.Fatal(err)
	}
	msgID := "msg_" + strconv.FormatInt(signedAt.UnixNano(), 36)
	sig, _ := wh.Sign(msgID, signedAt, body)
	hdr := map[string]string{
		"content-type": "application/json", "webhook-id": msgID,
		"webhook-timestamp": strconv.FormatInt(signedAt.Unix(), 10), "webhook-signature": sig,
	}
	ev := apigw.Request{Version: "2.0", RouteKey: route, RawPath: "/v1/callbacks/" + id, Headers: hdr,
		PathParameters: map[string]string{"job": id}, Body: string(body)}
	ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = "POST", ev.RawPath
	hr := httptest.NewRequest("POST", "https://api.example.test"+ev.RawPath, bytes.NewReader(body))
	for k, v := range hdr {
		hr.Header.Set(k, v)
	}
	return ev, hr
}

// check holds one exchange to the OpenAPI document and returns the
// problem's fields when it is one.
func (e *env) check(hr *http.Request, body string, resp apigw.Response, want int) apigw.ProblemDoc {
	e.t.Helper()
	if resp.StatusCode != want {
		e.t.Errorf("%s: %d %s, want %d", hr.URL.Path, resp.StatusCode, resp.Body, want)
	}
	h := http.Header{}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	hresp := &http.Response{StatusCode: resp.StatusCode, Header: h, Body: io.NopCloser(strings.NewReader(resp.Body))}
	if err := e.checker.Check(hr, []byte(body), hresp, []byte(resp.Body)); err != nil {
		e.t.Errorf("contract: %v", err)
	}
	var p apigw.ProblemDoc
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
			e.t.Errorf("problem %s: %v", resp.Body, err)
		}
	}
	return p
}

func TestCallbackRoute(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j := e.verified()
	if err := e.h.Service.Deliver(ctx, j); err != nil {
		t.Fatal(err)
	}
	msgs := e.sys.messages(t)
	if len(msgs) != 1 {
		t.Fatalf("%d webhooks", len(msgs))
	}
	tok := msgs[0].Data.Callback.Token
	good := reach.Answer{Token: tok, Outcome: reach.Done}
	other := make([]byte, 32)
	_, _ = rand.Read(other)
	otherSecret := "whsec_" + base64.StdEncoding.EncodeToString(other)

	refusals := []struct {
		name   string
		id     string
		answer any
		at     time.Time
		secret string
		edit   func(r *apigw.Request, hr *http.Request)
		status int
		field  string
	}{
		{"bad signature", j.ID, good, e.now, otherSecret, nil, http.StatusUnauthorized, ""},
		{"unknown job", e.ids.At(e.now), good, e.now, e.secret, nil, http.StatusUnauthorized, ""},
		{"job id that is no id", "not-a-job", good, e.now, e.secret, nil, http.StatusUnauthorized, ""},
		{"signed six minutes ago", j.ID, good, e.now.Add(-6 * time.Minute), e.secret, nil, http.StatusUnauthorized, "webhook-timestamp"},
		{"refused without a note", j.ID, reach.Answer{Token: tok, Outcome: reach.Refused}, e.now, e.secret, nil, http.StatusBadRequest, "note"},
		{"not JSON", j.ID, good, e.now, e.secret, func(r *apigw.Request, hr *http.Request) {
			r.Headers["content-type"] = "text/plain"
			hr.Header.Set("Content-Type", "text/plain")
		}, http.StatusUnsupportedMediaType, ""},
	}
	var unauthorized []string
	for _, c := range refusals {
		ev, hr := e.callbackEvent(c.id, c.answer, c.at, c.secret)
		if c.edit != nil {
			c.edit(&ev, hr)
		}
		resp, err := e.h.Handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		p := e.check(hr, ev.Body, resp, c.status)
		if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field) {
			t.Errorf("%s: %s, want the error to name %s", c.name, resp.Body, c.field)
		}
		if c.status == http.StatusUnauthorized && c.field == "" {
			unauthorized = append(unauthorized, resp.Body)
		}
	}
	// A bad signature and a job that does not exist read the same.
	for _, b := range unauthorized[1:] {
		if b != unauthorized[0] {
			t.Errorf("401 bodies differ: %s and %s", unauthorized[0], b)
		}
	}

	ev, hr := e.callbackEvent(j.ID, good, e.now, e.secret)
	resp, err := e.h.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	e.check(hr, ev.Body, resp, http.StatusOK)
	var out reachapi.CallbackAnswer
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil || out.JobID != j.ID || out.Status != "answered" || out.Outcome != "done" || !out.AnsweredAt.Equal(e.now) {
		t.Fatalf("answer %s", resp.Body)
	}
	// The same callback again: gone.
	resp, _ = e.h.Handle(ctx, ev)
	e.check(hr, ev.Body, resp, http.StatusGone)

	for _, secret := range []string{email, tok} {
		if strings.Contains(e.logs.String(), secret) {
			t.Fatalf("the log carries personal data or a token: %s", e.logs.String())
		}
	}
}

// Invoke hands each trigger to its part: the stream's new job is delivered,
// the schedule retries what is due, an HTTP event is a callback (behind the
// edge secret like every public route).
func TestInvokeDispatchesEachTrigger(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j := e.verified()

	// The stream: the verification's records, the job among them.
	db := localtest.DynamoDB(t)
	recs, err := localcloud.StreamRecords(ctx, db, localcloud.StreamsClient(localtest.DynamoDBEndpoint()), e.table)
	if err != nil || len(recs) < 2 {
		t.Fatalf("stream records %d, %v", len(recs), err)
	}
	e.sys.answer(http.StatusServiceUnavailable)
	payload, _ := json.Marshal(events.DynamoDBEvent{Records: recs})
	got, err := e.h.Invoke(ctx, payload)
	sr, ok := got.(events.DynamoDBEventResponse)
	if err != nil || !ok || len(sr.BatchItemFailures) != 0 {
		t.Fatalf("stream: %#v %v", got, err)
	}
	// A failed delivery is the schedule's to retry, not the stream's.
	if msgs := e.sys.messages(t); len(msgs) != 1 || msgs[0].Data.JobID != j.ID {
		t.Fatalf("webhooks after the stream: %+v", msgs)
	}
	if x, _ := e.store.Job(ctx, j.ID); x.Status != reach.Queued || x.LastError != "HTTP 503" {
		t.Fatalf("after a refused first delivery: %+v", x)
	}

	// The schedule: an EventBridge event, once the backoff has passed.
	e.sys.answer(http.StatusOK)
	e.now = e.now.Add(time.Minute)
	sched := []byte(`{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-30T09:00:00Z","detail":{}}`)
	got, err = e.h.Invoke(ctx, sched)
	if rep, ok := got.(reachapi.Report); err != nil || !ok || rep.Tried != 1 {
		t.Fatalf("schedule: %#v %v", got, err)
	}
	msgs := e.sys.messages(t)
	if len(msgs) != 2 {
		t.Fatalf("%d webhooks after the schedule, want 2", len(msgs))
	}
	if x, _ := e.store.Job(ctx, j.ID); x.Status != reach.Told || x.Attempts != 2 {
		t.Fatalf("after the retry: %+v", x)
	}

	// HTTP: the callback, first without the edge's secret.
	ev, hr := e.callbackEvent(j.ID, reach.Answer{Token: msgs[1].Data.Callback.Token, Outcome: reach.NotFound}, e.now, e.secret)
	raw, _ := json.Marshal(ev)
	got, err = e.h.Invoke(ctx, raw)
	if r, ok := got.(apigw.Response); err != nil || !ok || r.StatusCode != http.StatusForbidden {
		t.Fatalf("HTTP without the edge secret: %#v %v", got, err)
	}
	ev.Headers[strings.ToLower(apigw.EdgeHeader)] = edgeSecret
	raw, _ = json.Marshal(ev)
	got, err = e.h.Invoke(ctx, raw)
	r, ok := got.(apigw.Response)
	if err != nil || !ok {
		t.Fatalf("HTTP: %#v %v", got, err)
	}
	e.check(hr, ev.Body, r, http.StatusOK)
	if x, _ := e.store.Job(ctx, j.ID); x.Status != reach.Answered || x.Outcome != reach.NotFound || len(x.Identifiers) != 0 {
		t.Fatalf("after the callback: %+v", x)
	}
	if strings.Contains(e.logs.String(), email) {
		t.Fatalf("the log carries the address: %s", e.logs.String())
	}
}
