package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/intakeapi"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/request/requesttest"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/topology"
)

func TestDocumentLoadsAndValidates(t *testing.T) {
	doc, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	// The statuses the document promises are the ones the code has.
	status := doc.Components.Schemas["RequestStatus"].Value
	var got []string
	for _, v := range status.Enum {
		got = append(got, v.(string))
	}
	want := []string{}
	for _, s := range []request.Status{
		request.PendingVerification, request.Received, request.Verified, request.InProgress,
		request.Extended, request.Appealed, request.Completed, request.Denied, request.Cancelled, request.ExpiredUnverified,
	} {
		want = append(want, string(s))
	}
	if !slices.Equal(got, want) {
		t.Errorf("RequestStatus enum = %v, want %v", got, want)
	}
	types := doc.Components.Schemas["RequestType"].Value
	got = nil
	for _, v := range types.Enum {
		got = append(got, v.(string))
	}
	want = nil
	for _, ty := range request.AllTypes {
		want = append(want, string(ty))
	}
	if !slices.Equal(got, want) {
		t.Errorf("RequestType enum = %v, want %v", got, want)
	}
}

// The sweep reports' statuses and kinds of record are the ones the retention
// policy has, so a kind added to the policy cannot break the staff API.
func TestSweepReportMatchesRetention(t *testing.T) {
	doc, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range doc.Components.Schemas["SweepStatus"].Value.Enum {
		got = append(got, v.(string))
	}
	var want []string
	for _, s := range []retention.RunStatus{
		retention.Running, retention.Finished, retention.Stopped, retention.Failed, retention.Interrupted,
	} {
		want = append(want, string(s))
	}
	if !slices.Equal(got, want) {
		t.Errorf("SweepStatus enum = %v, want %v", got, want)
	}
	got = nil
	for k := range doc.Components.Schemas["SweepRemoved"].Value.Properties {
		got = append(got, k)
	}
	want = nil
	for _, r := range retention.Policy {
		want = append(want, string(r.Kind))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("SweepRemoved properties = %v, want the policy's kinds %v", got, want)
	}
}

func TestCheckerHoldsSweepReports(t *testing.T) {
	c := newChecker(t)
	const page = `{"sweeps":[{"run_id":"01K0A7Q2XJ5M8N3P4R6S7T9V0W","started_at":"2026-03-03T10:30:00.000Z",` +
		`"ended_at":"2026-03-03T10:30:04.212Z","status":"finished","removed":{"idempotency_record":2},` +
		`"dependents":0,"kept":0,"buckets":128,"errors":{"ThrottlingException":1}}],"next_cursor":"01K0A7Q2XJ5M8N3P4R6S7T9V0W"}`
	get := func(query string) *http.Request {
		return httptest.NewRequest(http.MethodGet, "https://api.example.test/v1/admin/sweeps"+query, nil)
	}
	resp, body := response(http.StatusOK, "application/json", page)
	if err := c.Check(get("?limit=10"), nil, resp, body); err != nil {
		t.Fatal(err)
	}
	running := `{"sweeps":[{"run_id":"01K0A7Q2XJ5M8N3P4R6S7T9V0W","started_at":"2026-03-03T10:30:00.000Z",` +
		`"status":"running","removed":{},"dependents":0,"kept":0,"buckets":3}]}`
	resp, body = response(http.StatusOK, "application/json", running)
	if err := c.Check(get(""), nil, resp, body); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"unknown kind":      strings.Replace(page, "idempotency_record", "customer_email", 1),
		"unknown status":    strings.Replace(page, `"finished"`, `"done"`, 1),
		"negative count":    strings.Replace(page, `"idempotency_record":2`, `"idempotency_record":-2`, 1),
		"without removed":   strings.Replace(page, `"removed":{"idempotency_record":2},`, "", 1),
		"a key in a report": strings.Replace(page, `"buckets":128`, `"buckets":128,"pk":"REQ#01K0A7Q2XJ5M8N3P4R6S7T9V0W"`, 1),
		"empty next_cursor": strings.Replace(page, `"next_cursor":"01K0A7Q2XJ5M8N3P4R6S7T9V0W"`, `"next_cursor":""`, 1),
	} {
		if bad == page {
			t.Fatalf("%s: the fixture did not change", name)
		}
		resp, body := response(http.StatusOK, "application/json", bad)
		if err := c.Check(get(""), nil, resp, body); err == nil {
			t.Errorf("%s: Check accepted it", name)
		}
	}
	// A limit the contract does not allow must be refused.
	resp, body = response(http.StatusOK, "application/json", page)
	if err := c.Check(get("?limit=0"), nil, resp, body); err == nil {
		t.Error("Check accepted a 200 to limit=0")
	}
}

// The document and the topology describe the same routes, so neither can
// gain or lose one without the other.
func TestRoutesMatchTopology(t *testing.T) {
	doc, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	inDoc := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			inDoc[method+" "+path] = true
		}
	}
	inTopology := map[string]bool{}
	for _, r := range topology.ClariTru.Routes {
		inTopology[r.Method+" "+r.Path] = true
	}
	for k := range inTopology {
		if !inDoc[k] {
			t.Errorf("route %s is in topology.ClariTru.Routes but has no operation in openapi.yaml", k)
		}
	}
	for k := range inDoc {
		if !inTopology[k] {
			t.Errorf("operation %s is in openapi.yaml but not in topology.ClariTru.Routes", k)
		}
	}
}

// jsonRequest is a JSON POST as a client sends it.
func jsonRequest(path string, body string) (*http.Request, []byte) {
	r := httptest.NewRequest(http.MethodPost, "https://api.example.test"+path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	return r, []byte(body)
}

func response(status int, contentType, body string) (*http.Response, []byte) {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}, []byte(body)
}

const validSubmission = `{"types":["access","delete"],"first_name":"Ada","last_name":"Lovelace",` +
	`"email":"ada@example.com","country":"US","state":"CA","declaration":true}`

const validReceipt = `{"id":"01JZ8X6Q3V4N5T7W9Y0A2B4C6D","status":"pending_verification",` +
	`"types":["access","delete"],"received_at":"2025-07-01T14:03:22.517Z",` +
	`"due_at":"2025-08-15T14:03:22.517Z","verification_required":true}`

func newChecker(t *testing.T) *Checker {
	t.Helper()
	c, err := NewChecker()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckerAcceptsReceipt(t *testing.T) {
	c := newChecker(t)
	req, reqBody := jsonRequest("/v1/requests", validSubmission)
	resp, respBody := response(http.StatusAccepted, "application/json", validReceipt)
	if err := c.Check(req, reqBody, resp, respBody); err != nil {
		t.Fatal(err)
	}
}

func TestCheckerRejects(t *testing.T) {
	withoutDueAt := strings.Replace(validReceipt, `"due_at":"2025-08-15T14:03:22.517Z",`, "", 1)
	if withoutDueAt == validReceipt {
		t.Fatal("the receipt fixture has no due_at to remove")
	}
	tests := []struct {
		name        string
		path        string
		reqBody     string
		status      int
		contentType string
		body        string
	}{
		{"receipt without due_at", "/v1/requests", validSubmission, 202, "application/json", withoutDueAt},
		{"receipt with an unknown status", "/v1/requests", validSubmission, 202, "application/json",
			strings.Replace(validReceipt, "pending_verification", "pending", 1)},
		{"receipt with an extra field", "/v1/requests", validSubmission, 202, "application/json",
			strings.Replace(validReceipt, `{`, `{"email":"ada@example.com",`, 1)},
		{"undocumented status", "/v1/requests", validSubmission, 201, "application/json", validReceipt},
		{"undocumented 404", "/v1/requests", validSubmission, 404, "application/problem+json",
			`{"type":"about:blank","title":"Not Found","status":404}`},
		{"undocumented media type", "/v1/requests", validSubmission, 202, "text/plain", "ok"},
		{"problem whose status disagrees", "/v1/requests", validSubmission, 400, "application/problem+json",
			`{"type":"about:blank","title":"Conflict","status":409}`},
		{"accepted a request the contract forbids", "/v1/requests",
			strings.Replace(validSubmission, `"declaration":true`, `"declaration":false`, 1),
			202, "application/json", validReceipt},
		{"route not in the document", "/v1/nowhere", `{}`, 200, "application/json", `{}`},
		{"verified with another status", "/v1/verify", `{"token":"abc"}`, 200, "application/json",
			`{"id":"01JZ8X6Q3V4N5T7W9Y0A2B4C6D","status":"received"}`},
		{"page that is not a page", "/v1/verify", `{"token":"abc"}`, 410, "text/html; charset=utf-8", "Gone"},
		{"409 is not a verify status", "/v1/verify", `{"token":"abc"}`, 409, "application/problem+json",
			`{"type":"about:blank","title":"Conflict","status":409}`},
	}
	c := newChecker(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, reqBody := jsonRequest(tt.path, tt.reqBody)
			resp, respBody := response(tt.status, tt.contentType, tt.body)
			err := c.Check(req, reqBody, resp, respBody)
			if err == nil {
				t.Fatal("Check accepted it")
			}
			t.Log(err)
		})
	}
}

func TestCheckerRejectsFormTheContractForbids(t *testing.T) {
	c := newChecker(t)
	form := "types=know&types=sell&first_name=Ada&last_name=Lovelace&email=ada%40example.com&declaration=on"
	req := httptest.NewRequest(http.MethodPost, "/v1/requests", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, respBody := response(http.StatusAccepted, "application/json", validReceipt)
	if err := c.Check(req, []byte(form), resp, respBody); err == nil {
		t.Fatal("Check accepted a 202 to a form with an unknown type")
	}
	resp, respBody = response(http.StatusBadRequest, "text/html; charset=utf-8", "<!DOCTYPE html><html></html>")
	if err := c.Check(req, []byte(form), resp, respBody); err != nil {
		t.Fatal(err)
	}
}

func TestCheckerRejectsSeeOtherWithoutLocation(t *testing.T) {
	c := newChecker(t)
	form := "types=know&first_name=Ada&last_name=Lovelace&email=ada%40example.com&declaration=on"
	req := httptest.NewRequest(http.MethodPost, "/v1/requests", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, respBody := response(http.StatusSeeOther, "", "")
	if err := c.Check(req, []byte(form), resp, respBody); err == nil {
		t.Fatal("Check accepted a 303 without Location")
	}
	resp.Header.Set("Location", "https://claritru.com/privacy/thanks?ref=01JZ8X6Q3V4N5T7W9Y0A2B4C6D&status=received")
	if err := c.Check(req, []byte(form), resp, respBody); err != nil {
		t.Fatal(err)
	}
}

func TestCheckerAcceptsValidationProblem(t *testing.T) {
	c := newChecker(t)
	// A request the contract allows that a rule outside the schema refuses.
	sub := `{"types":["correct"],"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","declaration":true}`
	req, reqBody := jsonRequest("/v1/requests", sub)
	problem := `{"type":"https://claritru.com/problems/validation","title":"Bad Request","status":400,` +
		`"detail":"The request has invalid fields.","errors":[{"field":"correction","message":"say what should be corrected"}]}`
	resp, respBody := response(http.StatusBadRequest, "application/problem+json", problem)
	if err := c.Check(req, reqBody, resp, respBody); err != nil {
		t.Fatal(err)
	}
	// A request the contract does not allow, refused: the refusal keeps it.
	req, reqBody = jsonRequest("/v1/requests", `{"types":["know"],"nickname":"Ada"}`)
	resp, respBody = response(http.StatusBadRequest, "application/problem+json", problem)
	if err := c.Check(req, reqBody, resp, respBody); err != nil {
		t.Fatal(err)
	}
	// An errors entry without its message breaks it.
	resp, respBody = response(http.StatusBadRequest, "application/problem+json",
		strings.Replace(problem, `,"message":"say what should be corrected"`, "", 1))
	if err := c.Check(req, reqBody, resp, respBody); err == nil {
		t.Fatal("Check accepted a field error without a message")
	}
}

// The handler of the routes, driven over HTTP, keeps the contract in every
// outcome it has.
func TestIntakeKeepsContract(t *testing.T) {
	c := newChecker(t)
	store := requesttest.New()
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("p"), 32))
	if err != nil {
		t.Fatal(err)
	}
	h := &intakeapi.Handler{
		Service:        request.NewService(store, request.Config{PublicBaseURL: "https://api.example.test", Keyer: keyer, Phone: phone.E164}),
		PublicBaseURL:  "https://api.example.test",
		ReturnURLs:     []string{"https://example.test/thanks.html"},
		AllowedOrigins: []string{"https://example.test"},
		Log:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	srv := httptest.NewServer(gateway(h))
	defer srv.Close()

	type call struct {
		method, path, contentType, accept, body string
		header                                  map[string]string
	}
	do := func(t *testing.T, cl call, wantStatus int) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(cl.method, srv.URL+cl.path, strings.NewReader(cl.body))
		if err != nil {
			t.Fatal(err)
		}
		if cl.contentType != "" {
			req.Header.Set("Content-Type", cl.contentType)
		}
		if cl.accept != "" {
			req.Header.Set("Accept", cl.accept)
		}
		for k, v := range cl.header {
			req.Header.Set(k, v)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != wantStatus {
			t.Errorf("%s %s: status %d, want %d; body %s", cl.method, cl.path, resp.StatusCode, wantStatus, body)
		}
		if err := c.Check(req, []byte(cl.body), resp, body); err != nil {
			t.Error(err)
		}
		return resp, body
	}
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	const form = "application/x-www-form-urlencoded"
	formBody := url.Values{
		"types": {"know", "delete"}, "first_name": {"Ada"}, "last_name": {"Lovelace"},
		"email": {"ada@example.com"}, "phone": {""}, "country": {""}, "state": {""},
		"details": {""}, "correction": {""}, "agent_name": {""}, "agent_email": {""},
		"declaration": {"true"}, "return_url": {"https://evil.test/"},
	}.Encode()

	var receipt request.Receipt
	t.Run("json receipt", func(t *testing.T) {
		_, body := do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json",
			body: validSubmission, header: map[string]string{"Origin": "https://example.test"}}, 202)
		if err := json.Unmarshal(body, &receipt); err != nil {
			t.Fatal(err)
		}
		if receipt.Status != request.PendingVerification || !receipt.VerificationRequired {
			t.Errorf("receipt = %+v, want pending verification", receipt)
		}
	})
	t.Run("json receipt without verification", func(t *testing.T) {
		_, body := do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json; charset=utf-8",
			body: `{"types":["opt_out"],"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com",` +
				`"phone":null,"country":"de","details":"","on_behalf":false,"declaration":true}`}, 202)
		var rc request.Receipt
		if err := json.Unmarshal(body, &rc); err != nil {
			t.Fatal(err)
		}
		if rc.Status != request.Received || rc.VerificationRequired {
			t.Errorf("receipt = %+v, want received without verification", rc)
		}
	})
	t.Run("invalid json fields", func(t *testing.T) {
		_, body := do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json",
			body: `{"types":["know"],"first_name":7,"last_name":"L","email":"","declaration":true,"nickname":"x"}`}, 400)
		var p apigw.ProblemDoc
		if err := json.Unmarshal(body, &p); err != nil || len(p.Errors) < 3 {
			t.Errorf("problem = %s, want errors for first_name, email and nickname", body)
		}
	})
	t.Run("not a json object", func(t *testing.T) {
		do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json", body: `[1]`}, 400)
	})
	t.Run("correction rule outside the schema", func(t *testing.T) {
		do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json",
			body: `{"types":["correct"],"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","declaration":true}`}, 400)
	})
	t.Run("browser form post", func(t *testing.T) {
		// Without a return page (a form without its script): a page of its own.
		noReturn := strings.Replace(formBody, "return_url="+url.QueryEscape("https://evil.test/")+"&", "", 1)
		_, page := do(t, call{method: "POST", path: "/v1/requests", contentType: form, accept: browser, body: noReturn}, 200)
		if noReturn == formBody || !strings.Contains(string(page), `<span class="ref">`) {
			t.Errorf("page without the reference: %s", page)
		}
		resp, _ := do(t, call{method: "POST", path: "/v1/requests", contentType: form, accept: browser, body: formBody}, 303)
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || loc.Host != "example.test" || loc.Query().Get("ref") == "" {
			t.Errorf("Location = %q, want the allow-listed page with ?ref=", resp.Header.Get("Location"))
		}
	})
	t.Run("form posted by fetch", func(t *testing.T) {
		do(t, call{method: "POST", path: "/v1/requests", contentType: form, accept: "application/json", body: formBody}, 202)
	})
	t.Run("invalid browser form post", func(t *testing.T) {
		do(t, call{method: "POST", path: "/v1/requests", contentType: form, accept: browser,
			body: "types=know&types=sell&first_name=Ada&first_name=Eve&declaration=maybe"}, 400)
	})
	t.Run("idempotent retry and conflict", func(t *testing.T) {
		key := map[string]string{"Idempotency-Key": "k-1"}
		_, first := do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json", body: validSubmission, header: key}, 202)
		_, again := do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json", body: validSubmission, header: key}, 202)
		if !bytes.Equal(first, again) {
			t.Errorf("retry receipt %s differs from %s", again, first)
		}
		other := strings.Replace(validSubmission, "Ada", "Eve", 1)
		do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json", body: other, header: key}, 409)
		do(t, call{method: "POST", path: "/v1/requests", contentType: form, accept: browser, body: formBody, header: key}, 409)
		long := map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}
		do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json", body: validSubmission, header: long}, 400)
	})
	t.Run("too large", func(t *testing.T) {
		big := `{"details":"` + strings.Repeat("x", 70<<10) + `"}`
		do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json", body: big}, 413)
		do(t, call{method: "POST", path: "/v1/requests", contentType: form, accept: browser, body: "details=" + strings.Repeat("x", 70<<10)}, 413)
		do(t, call{method: "POST", path: "/v1/verify", contentType: "application/json", body: big}, 413)
	})
	t.Run("unsupported media type", func(t *testing.T) {
		do(t, call{method: "POST", path: "/v1/requests", contentType: "text/plain", body: "hello"}, 415)
		do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json; charset=latin1", accept: browser, body: validSubmission}, 415)
		do(t, call{method: "POST", path: "/v1/verify", contentType: "text/plain", body: "hello"}, 415)
	})

	token := store.LastToken(t)
	t.Run("confirm page", func(t *testing.T) {
		_, body := do(t, call{method: "GET", path: "/v1/verify?token=" + url.QueryEscape(token), accept: browser}, 200)
		if !strings.Contains(string(body), `name="token"`) {
			t.Errorf("confirm page has no token field: %s", body)
		}
		do(t, call{method: "GET", path: "/v1/verify?token=nonsense", accept: browser}, 410)
		do(t, call{method: "GET", path: "/v1/verify"}, 410)
	})
	t.Run("verify", func(t *testing.T) {
		do(t, call{method: "POST", path: "/v1/verify", contentType: "application/json", body: `{}`}, 400)
		do(t, call{method: "POST", path: "/v1/verify", contentType: form, accept: browser, body: "token="}, 400)
		_, body := do(t, call{method: "POST", path: "/v1/verify", contentType: "application/json", body: `{"token":"` + token + `"}`}, 200)
		var v struct{ ID, Status string }
		if err := json.Unmarshal(body, &v); err != nil || v.Status != string(request.Verified) {
			t.Errorf("verify answered %s", body)
		}
		do(t, call{method: "POST", path: "/v1/verify", contentType: "application/json", body: `{"token":"` + token + `"}`}, 410)
		do(t, call{method: "POST", path: "/v1/verify", contentType: form, accept: browser, body: "token=" + token}, 410)
	})
	t.Run("verify by browser", func(t *testing.T) {
		// Other types than before: the same ones within ten minutes would be
		// the first request again, whose token is used.
		do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json", body: strings.Replace(validSubmission, `"access","delete"`, `"know"`, 1)}, 202)
		tok := store.LastToken(t)
		do(t, call{method: "POST", path: "/v1/verify", contentType: form, accept: browser,
			body: url.Values{"token": {tok}, "return_url": {"https://example.test/thanks.html"}}.Encode()}, 303)
	})
	t.Run("store throttled", func(t *testing.T) {
		store.FailWith(fault.Wrap(fault.TooMany, "The service is busy; try again shortly.", errors.New("throttled")))
		defer store.FailWith(nil)
		resp, _ := do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json", body: validSubmission}, 429)
		if resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		do(t, call{method: "POST", path: "/v1/requests", contentType: form, accept: browser, body: formBody}, 429)
		do(t, call{method: "GET", path: "/v1/verify?token=" + url.QueryEscape(token), accept: browser}, 429)
		do(t, call{method: "POST", path: "/v1/verify", contentType: "application/json", body: `{"token":"` + token + `"}`}, 429)
	})
	t.Run("store down", func(t *testing.T) {
		store.FailWith(errors.New("connection refused"))
		defer store.FailWith(nil)
		_, body := do(t, call{method: "POST", path: "/v1/requests", contentType: "application/json", body: validSubmission}, 500)
		if strings.Contains(string(body), "refused") {
			t.Errorf("500 tells the cause: %s", body)
		}
		do(t, call{method: "POST", path: "/v1/requests", contentType: form, accept: browser, body: formBody}, 500)
		do(t, call{method: "GET", path: "/v1/verify?token=" + url.QueryEscape(token), accept: browser}, 500)
		do(t, call{method: "POST", path: "/v1/verify", contentType: "application/json", body: `{"token":"` + token + `"}`}, 500)
		do(t, call{method: "POST", path: "/v1/verify", contentType: form, accept: browser, body: "token=" + token}, 500)
	})
}

// gateway stands in for API Gateway in front of the intake handler: it turns
// an HTTP request into the v2.0 event of its route and the answer back.
func gateway(h *intakeapi.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ev := apigw.Request{
			RouteKey: r.Method + " " + r.URL.Path,
			RawPath:  r.URL.Path,
			Headers:  map[string]string{},
			Body:     string(body),
		}
		for k, v := range r.Header {
			ev.Headers[strings.ToLower(k)] = strings.Join(v, ",")
		}
		if q := r.URL.Query(); len(q) > 0 {
			ev.QueryStringParameters = map[string]string{}
			for k, v := range q {
				ev.QueryStringParameters[k] = strings.Join(v, ",")
			}
		}
		resp, err := h.Handle(r.Context(), ev)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(w, resp.Body)
	})
}
