package localcloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claritru/privacy/api"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/request"
)

// local is a running local cloud with an HTTP client that checks every API
// response against the OpenAPI document.
type local struct {
	t       *testing.T
	cloud   *localcloud.Cloud
	logs    *syncBuffer
	checker *api.Checker
	client  *http.Client
}

const adminToken = "test-admin-token"

// startLocal starts a local cloud; opts change its options (faults_test.go).
func startLocal(t *testing.T, opts ...func(*localcloud.Options)) *local {
	t.Helper()
	root, err := localcloud.Root()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := localcloud.Options{
		Root:       root,
		Table:      "e2e",
		Pepper:     bytes.Repeat([]byte("p"), 32),
		AdminToken: adminToken,
		// The scheduled watch has tests of its own (schedule_test.go).
		ScheduleEvery: -1,
		Log:           slog.New(slog.NewJSONHandler(logs, nil)),
	}
	for _, opt := range opts {
		opt(&o)
	}
	cloud, err := localcloud.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cloud.Stop)
	checker, err := api.NewChecker()
	if err != nil {
		t.Fatal(err)
	}
	return &local{t: t, cloud: cloud, logs: logs, checker: checker, client: &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// syncBuffer lets the handlers' goroutines log into one buffer.
type syncBuffer struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// staff calls the staff API signed in as the seeded admin (a JSON body when
// body is not empty) and fails the test unless the status is want.
func (l *local) staff(t *testing.T, method, path, body string, want int) string {
	t.Helper()
	return l.staffAs(t, "admin", method, path, body, want)
}

// staffAs calls the staff API signed in as a seeded user.
func (l *local) staffAs(t *testing.T, user, method, path, body string, want int) string {
	t.Helper()
	const js = "application/json"
	ct := ""
	if body != "" {
		ct = js
	}
	resp, out := l.do(method, path, ct, js, body, "Authorization", staffBearer(t, l.cloud, user))
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, out, want)
	}
	return out
}

// do sends a request; header pairs follow the body.
func (l *local) do(method, path, contentType, accept, body string, headers ...string) (*http.Response, string) {
	t := l.t
	t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = l.cloud.APIURL + path
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := l.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.HasPrefix(req.URL.Path, "/v1/") {
		if err := l.checker.Check(req, []byte(body), resp, b); err != nil {
			t.Errorf("%s %s -> %d does not match the OpenAPI document: %v", method, req.URL.Path, resp.StatusCode, err)
		}
	}
	return resp, string(b)
}

// TestWebFormToVerifiedRequest is the first slice end to end, through the
// local gateway, DynamoDB Local, the stream poller, the notifier and the SES
// stand-in: post the form, read the mail, follow the link, confirm, see the
// request verified, confirm again and get 410. Every response is checked
// against the OpenAPI document.
func TestWebFormToVerifiedRequest(t *testing.T) {
	l := startLocal(t)
	cloud, logs, do := l.cloud, l.logs, l.do
	ctx := context.Background()
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	const form = "application/x-www-form-urlencoded"

	// The sample page is served and posts to the API.
	resp, page := do("GET", "/", "", browser, "")
	if resp.StatusCode != 200 || !strings.Contains(page, `action="/v1/requests"`) {
		t.Fatalf("form page: %d", resp.StatusCode)
	}

	// A browser posts the form without JavaScript.
	email := "ada.e2e@example.com"
	fields := url.Values{
		"types": {"access", "delete"}, "first_name": {"Ada"}, "last_name": {"Lovelace"},
		"email": {"  Ada.E2E@Example.com "}, "country": {"US"}, "state": {"CA"}, "declaration": {"on"},
	}
	// It names no return page, so the answer is a page with the reference.
	resp, received := do("POST", "/v1/requests", form, browser, fields.Encode())
	ref := regexp.MustCompile(`<span class="ref">([0-9A-Z]{26})</span>`).FindStringSubmatch(received)
	if resp.StatusCode != http.StatusOK || ref == nil || !strings.Contains(received, "Check your email to confirm your request") {
		t.Fatalf("form post: status %d, want 200 with the reference:\n%s", resp.StatusCode, received)
	}
	id := ref[1]

	store := ddb.NewRequests(cloud.Settings.DynamoDB(), cloud.Settings.Table)
	stored, err := store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// 45 calendar days for a Californian, the day of receipt the first
	// (11 CCR §7021(b)), counted in the company's zone (Los Angeles) to the
	// end of the 45th day there.
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	rl := stored.ReceivedAt.In(la)
	if stored.Email != email || stored.Status != request.PendingVerification ||
		!stored.DueAt.Equal(time.Date(rl.Year(), rl.Month(), rl.Day()+44, 23, 59, 59, 999_000_000, la)) {
		t.Fatalf("stored %+v", stored)
	}

	// The receipt mail arrives with a verification link on the public base URL.
	receipt := waitForMail(t, cloud.SES.Endpoint, email, "We received your privacy request")
	link := regexp.MustCompile(`https?://\S+/v1/verify\?token=[A-Za-z0-9_-]+`).FindString(receipt.Body.Text)
	if !strings.HasPrefix(link, cloud.APIURL+"/v1/verify?token=") || !strings.Contains(receipt.Body.Text, id) {
		t.Fatalf("receipt mail without a usable link: %q", receipt.Body.Text)
	}

	// Following the link shows a confirm page and changes nothing.
	resp, confirm := do("GET", link, "", browser, "")
	if resp.StatusCode != 200 || !strings.Contains(confirm, `method="post"`) {
		t.Fatalf("confirm page: %d %s", resp.StatusCode, confirm)
	}
	if r, _ := store.Get(ctx, id); r.Status != request.PendingVerification {
		t.Fatalf("GET of the link changed the request to %s", r.Status)
	}
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(confirm)
	if token == nil {
		t.Fatal("confirm page carries no token")
	}
	action := regexp.MustCompile(`action="([^"]+)"`).FindStringSubmatch(confirm)[1]

	// Pressing the button verifies the request.
	resp, verified := do("POST", action, form, browser, url.Values{"token": {token[1]}}.Encode())
	if resp.StatusCode != http.StatusOK || !strings.Contains(verified, "Your request is confirmed") || !strings.Contains(verified, id) {
		t.Fatalf("confirm: %d\n%s", resp.StatusCode, verified)
	}
	if r, _ := store.Get(ctx, id); r.Status != request.Verified {
		t.Fatalf("after confirm the request is %s", r.Status)
	}
	waitForMail(t, cloud.SES.Endpoint, email, "Your privacy request is verified")

	// The token works once: confirming again, or opening the link again, is 410.
	body, _ := json.Marshal(map[string]string{"token": token[1]})
	resp, problem := do("POST", "/v1/verify", "application/json", "application/json", string(body))
	if resp.StatusCode != http.StatusGone || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("second confirm: %d %s", resp.StatusCode, problem)
	}
	if resp, _ := do("GET", link, "", browser, ""); resp.StatusCode != http.StatusGone {
		t.Fatalf("link after use: %d, want 410", resp.StatusCode)
	}

	// JSON clients get JSON: a receipt, and problems naming the fields.
	resp, out := do("POST", "/v1/requests", "application/json", "", `{"types":["opt_out"],"first_name":"Lin","last_name":"Opt","email":"lin@example.com","country":"DE","declaration":true}`)
	var rc request.Receipt
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil ||
		rc.Status != request.Completed || rc.VerificationRequired {
		t.Fatalf("JSON opt-out request: %d %s", resp.StatusCode, out)
	}
	// An opt-out needs no verification: it is in effect at once, and the
	// receipt says so (11 CCR §7060(b)).
	optedOut := waitForMail(t, cloud.SES.Endpoint, "lin@example.com", "We received your privacy request")
	if !strings.Contains(optedOut.Body.Text, "Your opt-out is in effect since") || strings.Contains(optedOut.Body.Text, "/v1/verify") {
		t.Fatalf("opt-out receipt: %q", optedOut.Body.Text)
	}
	resp, out = do("POST", "/v1/requests", "application/json", "", `{"types":["delete"],"email":"not-an-email","declaration":false}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(out, `"field":"email"`) || !strings.Contains(out, `"field":"declaration"`) {
		t.Fatalf("invalid JSON request: %d %s", resp.StatusCode, out)
	}
	resp, _ = do("POST", "/v1/requests", "application/json", "", `{"details":"`+strings.Repeat("x", 70_000)+`"}`)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize body: %d, want 413", resp.StatusCode)
	}

	// DynamoDB stopped: the caller gets a 503 problem to retry, which
	// reveals nothing of the cause, and the person's data is not echoed
	// anywhere (faults_test.go has the rest of that story).
	cloud.DynamoDB.Stop()
	resp, out = do("POST", "/v1/requests", "application/json", "", `{"types":["know"],"first_name":"Down","last_name":"Time","email":"down@example.com","declaration":true}`)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "application/problem+json" ||
		resp.Header.Get("Retry-After") == "" ||
		strings.Contains(out, "dynamodb") || strings.Contains(out, "127.0.0.1") {
		t.Fatalf("with DynamoDB stopped: %d %s", resp.StatusCode, out)
	}

	// No personal data reached the logs.
	for _, pii := range []string{email, "Ada", "Lovelace", "lin@example.com", "down@example.com", token[1]} {
		if strings.Contains(logs.String(), pii) {
			t.Errorf("logs contain %q", pii)
		}
	}
}

func waitForMail(t *testing.T, endpoint, to, subject string) localcloud.Mail {
	t.Helper()
	return localtest.WaitForMail(t, endpoint, to, func(m localtest.Mail) bool { return m.Subject == subject })
}

// staffBearer is the Authorization header of a seeded staff user (viewer,
// handler or admin) signed in through cognito-local: password, then the
// authenticator's current code.
func staffBearer(t testing.TB, cloud *localcloud.Cloud, user string) string {
	t.Helper()
	token, err := cloud.StaffToken(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + token
}
