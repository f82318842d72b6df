package localcloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/request"
)

// TestStrictInputThroughTheGateway: bodies that encoding/json alone would
// read without a word (a key given twice, an unpaired surrogate escape,
// invalid UTF-8) are a 400 naming the field on the request and consent
// routes, and nothing is written: the table holds what it held before, the
// staff queue is empty, and no mail goes to either address of a duplicate.
// Then an address at an internationalised domain is taken in its ASCII form,
// mailed there, and a browser id that starts like a formula is quoted in the
// staff CSV. Every response is checked against the OpenAPI document.
func TestStrictInputThroughTheGateway(t *testing.T) {
	l := startLocal(t)
	const js, form = "application/json", "application/x-www-form-urlencoded"
	staff := []string{"Authorization", staffBearer(t, l.cloud, "admin")}
	before := itemCount(t, l)

	person := `"types":["access"],"first_name":"Ada","last_name":"Lovelace","country":"US","state":"CA","declaration":true,`
	disclosure := `"disclosure":{"id":"email-optin","version":"2026-11","text":"Send me ClariTru news and offers by email. I can unsubscribe at any time."},` +
		`"source_url":"https://www.example.com/subscribe","age_confirmed":true`
	refused := []struct{ name, path, contentType, body, field string }{
		{"request, email twice", "/v1/requests", js,
			`{` + person + `"email":"attacker@example.com","email":"victim@example.com"}`, "email"},
		{"request, email twice differing in case", "/v1/requests", js,
			`{` + person + `"email":"attacker@example.com","EMAIL":"victim@example.com"}`, "EMAIL"},
		{"request, lone surrogate", "/v1/requests", js,
			`{` + person + `"email":"attacker@example.com","details":"see \ud800 here"}`, "details"},
		{"request, invalid UTF-8", "/v1/requests", js,
			`{` + person + `"email":"attacker@example.com","details":"caf` + "\xe9" + `"}`, "details"},
		{"request, unicode local part", "/v1/requests", js,
			`{` + person + `"email":"zoë@example.com"}`, "email"},
		{"request, percent in the address", "/v1/requests", js,
			`{` + person + `"email":"victim%example.com@attacker.example"}`, "email"},
		{"request form, email twice", "/v1/requests", form,
			"types=access&first_name=Ada&last_name=Lovelace&declaration=on&email=attacker%40example.com&email=victim%40example.com", "email"},
		{"request form, invalid UTF-8", "/v1/requests", form,
			"types=access&first_name=Ada%FF&last_name=Lovelace&declaration=on&email=attacker%40example.com", "first_name"},
		{"consent, subject email twice", "/v1/consents", js,
			`{"subject":{"email":"attacker@example.com","email":"victim@example.com"},"events":[{"purpose":"email_marketing","granted":true}],` + disclosure + `}`, "subject.email"},
		{"consent, lone surrogate in the address", "/v1/consents", js,
			`{"subject":{"email":"victim\udc00@example.com"},"events":[{"purpose":"email_marketing","granted":true}],` + disclosure + `}`, "subject.email"},
		{"consent, granted twice", "/v1/consents", js,
			`{"subject":{"email":"attacker@example.com"},"events":[{"purpose":"email_marketing","granted":false,"granted":true}],` + disclosure + `}`, "events[0].granted"},
		{"consent, encoded word", "/v1/consents", js,
			`{"subject":{"email":"=?utf-8?q?victim?=@example.com"},"events":[{"purpose":"email_marketing","granted":true}],` + disclosure + `}`, "subject.email"},
		{"opt-out, email twice", "/v1/opt-out", js,
			`{"email":"attacker@example.com","email":"victim@example.com"}`, "email"},
	}
	for _, c := range refused {
		resp, out := l.do("POST", c.path, c.contentType, js, c.body)
		var p apigw.ProblemDoc
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/problem+json" ||
			json.Unmarshal([]byte(out), &p) != nil || len(p.Errors) == 0 || p.Errors[0].Field != c.field {
			t.Errorf("%s: %d %s, want 400 naming %s", c.name, resp.StatusCode, out, c.field)
		}
	}
	// Staff queries are as strict: a parameter given twice is not joined.
	for _, q := range []string{"/v1/admin/requests?status=received&status=verified", "/v1/admin/consents?email=attacker%40example.com&email=victim%40example.com"} {
		if resp, out := l.do("GET", q, "", js, "", staff...); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: %d %s, want 400", q, resp.StatusCode, out)
		}
	}
	if resp, out := l.do("GET", "/v1/opt-out/status?browser_id=abcdefgh1&browser_id=abcdefgh2", "", js, ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status with browser_id twice: %d %s, want 400", resp.StatusCode, out)
	}

	if after := itemCount(t, l); after != before {
		t.Fatalf("refused bodies wrote %d items", after-before)
	}
	queue := func(status request.Status) []adminapi.RequestView {
		t.Helper()
		resp, out := l.do("GET", "/v1/admin/requests?status="+string(status), "", js, "", staff...)
		var q adminapi.RequestQueue
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &q) != nil {
			t.Fatalf("queue %s: %d %s", status, resp.StatusCode, out)
		}
		return q.Requests
	}
	for _, s := range []request.Status{request.PendingVerification, request.Received} {
		if q := queue(s); len(q) != 0 {
			t.Fatalf("queue %s after refused bodies: %+v", s, q)
		}
	}

	// An internationalised domain is taken in its ASCII form, which staff
	// see and the receipt goes to; the mail also proves that the pipeline
	// ran, so the absence of the refused ones' mail means something.
	resp, out := l.do("POST", "/v1/requests", js, js, `{`+person+`"email":"Ada@Bücher.example"}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("request to an IDN address: %d %s", resp.StatusCode, out)
	}
	const ascii = "ada@xn--bcher-kva.example"
	if q := queue(request.PendingVerification); len(q) != 1 || q[0].Email != ascii {
		t.Fatalf("queue after the IDN request: %+v", q)
	}
	// The mail goes to the ASCII address stored; the SES stand-in parses
	// the raw message it is given and shows the domain decoded again.
	waitForMail(t, l.cloud.SES.Endpoint, "ada@bücher.example", "We received your privacy request")
	for _, m := range localtest.Mails(t, l.cloud.SES.Endpoint) {
		if slices.ContainsFunc(m.Destination.To, func(to string) bool {
			return strings.Contains(to, "victim") || strings.Contains(to, "attacker")
		}) {
			t.Errorf("a refused body was mailed: %v %q", m.Destination.To, m.Subject)
		}
	}

	// A browser id that starts like a formula is quoted in the CSV.
	if resp, out := l.do("POST", "/v1/opt-out", js, js, `{"browser_id":"-strict-browser-1"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("opt-out: %d %s", resp.StatusCode, out)
	}
	resp, out = l.do("GET", "/v1/admin/suppression?"+url.Values{"format": {"csv"}}.Encode(), "", "text/csv", "", staff...)
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, ",,'-strict-browser-1,") {
		t.Fatalf("suppression CSV: %d %q", resp.StatusCode, out)
	}
}

// itemCount counts the items of the local cloud's table.
func itemCount(t *testing.T, l *local) int32 {
	t.Helper()
	db := l.cloud.Settings.DynamoDB()
	var n int32
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(l.cloud.Settings.Table), Select: types.SelectCount})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += page.Count
	}
	return n
}
