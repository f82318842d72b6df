package localcloud_test

// Fault tests on the real stand-ins: the SES stand-in and DynamoDB Local
// stopped and started again on the same port under a running local cloud.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/topology"
)

// port is the port of a stand-in's endpoint.
func port(t *testing.T, endpoint string) int {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func root(t *testing.T) string {
	t.Helper()
	r, err := localcloud.Root()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// restartSES starts the SES stand-in again on the port it had.
func (l *local) restartSES(p int) {
	t := l.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ses, err := localcloud.StartSES(ctx, root(t), p, nil)
	if err != nil {
		t.Fatalf("restart the SES stand-in: %v", err)
	}
	l.cloud.SES = ses
}

// restartDynamoDB starts DynamoDB Local again on the port it had, on the
// same data folder.
func (l *local) restartDynamoDB(p int, dataDir string) {
	t := l.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := localcloud.StartDynamoDB(ctx, root(t), p, dataDir, nil)
	if err != nil {
		t.Fatalf("restart DynamoDB Local: %v", err)
	}
	l.cloud.DynamoDB = db
}

// receiptsTo counts the receipt mails the SES stand-in holds per recipient.
func receiptsTo(t *testing.T, endpoint string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, m := range localtest.Mails(t, endpoint) {
		if m.Subject != "We received your privacy request" {
			continue
		}
		for _, to := range m.Destination.To {
			got[to]++
		}
	}
	return got
}

func requestBody(email string) string {
	return `{"types":["know"],"first_name":"Fay","last_name":"Fault","email":"` + email + `","country":"US","state":"CA","declaration":true}`
}

// TestSESDownEveryMailArrivesOnce: the SES stand-in is stopped while 50
// requests are submitted and started again. The stream's retries give
// some records up; the re-drive schedule puts those back. Every receipt
// arrives, none twice.
func TestSESDownEveryMailArrivesOnce(t *testing.T) {
	l := startLocal(t, func(o *localcloud.Options) {
		o.Table = "ses-down"
		o.Schedules = map[string]time.Duration{"watch-" + topology.JobRedrive: 2 * time.Second}
		o.MailStaleAfter = 10 * time.Second
	})
	sesPort := port(t, l.cloud.SES.Endpoint)
	l.cloud.SES.Stop()

	const n = 50
	emails := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 10)
	statuses := make([]int, n)
	for i := range n {
		emails[i] = fmt.Sprintf("ses-down-%02d@example.com", i)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			resp, _ := l.do("POST", "/v1/requests", "application/json", "", requestBody(emails[i]))
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusAccepted {
			t.Fatalf("request %d with SES down: %d, want 202 (mail is the outbox's business)", i, st)
		}
	}
	// SES stays down until the stream has given records up, so the
	// re-drive is needed for them.
	downFor := time.Now()
	for deadline := time.Now().Add(2 * time.Minute); !strings.Contains(l.logs.String(), "stream record dropped after retries"); time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Fatal("the stream gave no record up within 2 minutes of SES being down")
		}
	}
	time.Sleep(5 * time.Second)
	t.Logf("SES stand-in down for %v", time.Since(downFor).Round(time.Second))

	l.restartSES(sesPort)
	back := time.Now()
	var got map[string]int
	for deadline := back.Add(4 * time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if got = receiptsTo(t, l.cloud.SES.Endpoint); len(got) == n {
			break
		}
	}
	took := time.Since(back)
	if len(got) != n {
		t.Fatalf("%d of %d receipts arrived within 4 minutes of SES coming back", len(got), n)
	}
	t.Logf("all %d receipts arrived %v after the SES stand-in came back", n, took.Round(100*time.Millisecond))
	// A few more re-drive runs and stream polls: still one each.
	time.Sleep(6 * time.Second)
	got = receiptsTo(t, l.cloud.SES.Endpoint)
	for _, e := range emails {
		if got[e] != 1 {
			t.Errorf("%s got %d receipts, want 1", e, got[e])
		}
	}
	redriven := 0
	for _, m := range regexp.MustCompile(`"msg":"mail re-drive done"[^\n]*"redriven":(\d+)`).FindAllStringSubmatch(l.logs.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		redriven += n
	}
	if redriven == 0 {
		t.Error("the re-drive schedule re-drove nothing")
	}
	t.Logf("%d re-drives of unsent intents in all", redriven)
}

// TestDynamoDBDownAnswers503AndRecovers: with DynamoDB Local stopped the
// public routes answer 503 with Retry-After, within the Lambda timeout,
// and write nothing; started again on the same port and data, the same
// local cloud serves again, and every request it holds has its mail
// intent and every mail intent its request.
func TestDynamoDBDownAnswers503AndRecovers(t *testing.T) {
	dataDir := t.TempDir()
	l := startLocal(t, func(o *localcloud.Options) {
		o.Table = "db-down"
		o.DataDir = dataDir
	})
	if resp, out := l.do("POST", "/v1/requests", "application/json", "", requestBody("before-down@example.com")); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("before: %d %s", resp.StatusCode, out)
	}
	waitForMail(t, l.cloud.SES.Endpoint, "before-down@example.com", "We received your privacy request")

	dbPort := port(t, l.cloud.DynamoDB.Endpoint)
	l.cloud.DynamoDB.Stop()
	calls := []struct{ path, body string }{
		{"/v1/requests", requestBody("while-down@example.com")},
		{"/v1/opt-out", `{"email":"while-down@example.com","browser_id":"browser-down-0001"}`},
		{"/v1/consents", `{"subject":{"email":"while-down@example.com"},"events":[{"purpose":"email_marketing","granted":true}],` +
			`"disclosure":{"id":"email-optin","version":"2026-11"},"age_confirmed":true}`},
	}
	for _, c := range calls {
		start := time.Now()
		resp, out := l.do("POST", c.path, "application/json", "", c.body)
		took := time.Since(start)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s with DynamoDB down: %d, Retry-After %q: %s", c.path, resp.StatusCode, resp.Header.Get("Retry-After"), out)
		}
		if took > 8*time.Second {
			t.Errorf("%s answered after %v; the function has 10 s", c.path, took)
		}
		t.Logf("%s with DynamoDB down: %d in %v", c.path, resp.StatusCode, took.Round(time.Millisecond))
	}

	l.restartDynamoDB(dbPort, dataDir)
	// The same cloud, not restarted itself, serves again.
	var resp *http.Response
	var out string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if resp, out = l.do("POST", "/v1/requests", "application/json", "", requestBody("after-down@example.com")); resp.StatusCode == http.StatusAccepted {
			break
		}
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("after DynamoDB came back: %d %s", resp.StatusCode, out)
	}
	waitForMail(t, l.cloud.SES.Endpoint, "after-down@example.com", "We received your privacy request")
	if resp, out := l.do("POST", "/v1/opt-out", "application/json", "", `{"browser_id":"browser-down-0002"}`, "Sec-GPC", "1"); resp.StatusCode/100 != 2 {
		t.Errorf("opt-out after DynamoDB came back: %d %s", resp.StatusCode, out)
	}

	checkWhole(t, l, "while-down@example.com")
}

// checkWhole reads the whole table: every request has its mail intent and
// every request's mail intent its request, and nothing of the person whose
// calls failed was written.
func checkWhole(t *testing.T, l *local, failed string) {
	t.Helper()
	db := l.cloud.Settings.DynamoDB()
	requests, mails := map[string]bool{}, map[string]bool{}
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(l.cloud.Settings.Table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			pk, sk := str(item["pk"]), str(item["sk"])
			for _, v := range item {
				if s, ok := v.(*types.AttributeValueMemberS); ok && strings.Contains(s.Value, failed) {
					t.Errorf("item %s %s holds the address of a call that failed", pk, sk)
				}
			}
			if !strings.HasPrefix(pk, "REQ#") {
				continue
			}
			switch {
			case sk == "REQ":
				requests[pk] = true
			case strings.HasPrefix(sk, "MAIL#"):
				mails[pk] = true
			}
		}
	}
	if len(requests) < 2 {
		t.Fatalf("%d requests in the table, want at least the one before and the one after", len(requests))
	}
	for pk := range requests {
		if !mails[pk] {
			t.Errorf("request %s has no mail intent", pk)
		}
	}
	for pk := range mails {
		if !requests[pk] {
			t.Errorf("mail intent under %s has no request", pk)
		}
	}
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// TestLogsCarryNoPersonalData captures every log line the local cloud's
// handlers, stream consumer and schedules write (and the default logger)
// over a whole journey: request, verification, opt-out, consent and its
// confirmation, staff actions, export and erasure. None holds an email
// address, phone number, name, free text or token from the inputs.
func TestLogsCarryNoPersonalData(t *testing.T) {
	l := startLocal(t, func(o *localcloud.Options) {
		o.Table = "log-capture"
		o.ScheduleEvery = 2 * time.Second
	})
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(l.logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	const (
		browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
		js      = "application/json"
		email   = "Quentin.Quill@Example.com"
		lower   = "quentin.quill@example.com"
		phone   = "+1 (415) 555-0199"
		e164    = "+14155550199"
		first   = "Quentin"
		last    = "Quillfeather"
		details = "Please look for my loyalty card records"
		bid     = "browser-quill-0001"
	)
	staff := []string{"Authorization", staffBearer(t, l.cloud, "admin")}
	secrets := []string{email, lower, "quentin.quill", phone, e164, "4155550199", "555-0199", first, last, details, bid}

	resp, out := l.do("POST", "/v1/requests", js, "", `{"types":["access"],"first_name":"`+first+`","last_name":"`+last+`","email":"`+email+
		`","phone":"`+phone+`","country":"US","state":"CA","details":"`+details+`","declaration":true}`, "Idempotency-Key", "idem-quill-0001")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("request: %d %s", resp.StatusCode, out)
	}
	var id string
	if m := regexp.MustCompile(`"id":"([0-9A-Z]{26})"`).FindStringSubmatch(out); m != nil {
		id = m[1]
	} else {
		t.Fatalf("no request id in %s", out)
	}
	receipt := waitForMail(t, l.cloud.SES.Endpoint, lower, "We received your privacy request")
	verifyLink := regexp.MustCompile(`https?://\S+/v1/verify\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(receipt.Body.Text)
	if verifyLink == nil {
		t.Fatalf("receipt without a link: %s", receipt.Body.Text)
	}
	secrets = append(secrets, verifyLink[1])
	if resp, _ := l.do("GET", verifyLink[0], "", browser, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("verify page: %d", resp.StatusCode)
	}
	if resp, out := l.do("POST", "/v1/verify", js, "", `{"token":"`+verifyLink[1]+`"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("verify: %d %s", resp.StatusCode, out)
	}

	if resp, out := l.do("POST", "/v1/opt-out", js, "", `{"email":"`+email+`","phone":"`+phone+`","browser_id":"`+bid+`"}`); resp.StatusCode/100 != 2 {
		t.Fatalf("opt-out: %d %s", resp.StatusCode, out)
	}
	if resp, out := l.do("GET", "/v1/opt-out/status?browser_id="+bid, "", "", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("opt-out status: %d %s", resp.StatusCode, out)
	}

	resp, out = l.do("POST", "/v1/consents", js, "", `{"subject":{"email":"`+email+`"},"events":[{"purpose":"email_marketing","granted":true}],`+
		`"disclosure":{"id":"email-optin","version":"2026-11"},"age_confirmed":true}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("consent: %d %s", resp.StatusCode, out)
	}
	consentMail := waitForMail(t, l.cloud.SES.Endpoint, lower, "Your consent receipt")
	confirm := regexp.MustCompile(`https?://\S+/v1/consents/confirm\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(consentMail.Body.Text)
	if confirm == nil {
		t.Fatalf("consent receipt without a link: %s", consentMail.Body.Text)
	}
	secrets = append(secrets, confirm[1])
	if resp, out := l.do("POST", "/v1/consents/confirm", js, "", `{"token":"`+confirm[1]+`"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d %s", resp.StatusCode, out)
	}

	admin := "/v1/admin/requests/" + id
	for _, step := range []struct{ method, path, body string }{
		{"GET", admin, ""},
		{"POST", admin + "/actions", `{"action":"start"}`},
		{"POST", admin + "/actions", `{"action":"complete","outcome":"We sent your data by post."}`},
		{"GET", "/v1/admin/consents?email=" + url.QueryEscape(email), ""},
		{"GET", "/v1/admin/consents/check?phone=" + url.QueryEscape(phone) + "&purpose=sms_marketing", ""},
		{"GET", "/v1/admin/subjects/export?email=" + url.QueryEscape(email), ""},
		{"POST", "/v1/admin/subjects/erase", `{"email":"` + email + `","reason":"Verified deletion request"}`},
	} {
		ct := ""
		if step.body != "" {
			ct = js
		}
		if resp, out := l.do(step.method, step.path, ct, "", step.body, staff...); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", step.method, step.path, resp.StatusCode, out)
		}
	}
	// The notifier sends the staff actions' mail, the schedules run.
	waitForMail(t, l.cloud.SES.Endpoint, lower, "Your privacy request is complete")
	time.Sleep(3 * time.Second)

	logs := l.logs.String()
	if !strings.Contains(logs, `"msg":"handled"`) || !strings.Contains(logs, `"msg":"mail sent"`) || !strings.Contains(logs, `"function":"watch"`) {
		t.Fatalf("the capture missed the handlers, the notifier or the schedules:\n%s", logs)
	}
	low := strings.ToLower(logs)
	for _, s := range secrets {
		if strings.Contains(low, strings.ToLower(s)) {
			t.Errorf("the logs hold %q", s)
		}
	}
	t.Logf("%d log lines captured, none with personal data", strings.Count(logs, "\n"))
}
