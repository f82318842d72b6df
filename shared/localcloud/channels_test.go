package localcloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subjectdata"
)

// TestEveryChannel is each way a request reaches the company and leaves it,
// through the local gateway, DynamoDB Local, the stream, the notifier and
// the SES stand-in: a request taken on the phone, dated when it came and
// without an email address, verified by staff; a new verification link on
// request that voids the old one, under its cap; an authorized agent's
// request; and the erasure of a person whose requests are still open.
// Every response is checked against the OpenAPI document.
func TestEveryChannel(t *testing.T) {
	l := startLocal(t)
	t.Run("phone request without email, verified by staff", func(t *testing.T) { phoneRequest(t, l) })
	t.Run("staff verification vouches for the email and phone", func(t *testing.T) { staffVouches(t, l) })
	t.Run("resend voids the old link and reveals nothing", func(t *testing.T) { resendLink(t, l) })
	t.Run("resend cap", func(t *testing.T) { resendCap(t, l) })
	t.Run("authorized agent", func(t *testing.T) { agentRequest(t, l) })
	t.Run("erasure closes open requests first", func(t *testing.T) { erasureOfOpenRequests(t, l) })
}

const js = "application/json"

// staffDo sends a staff request and checks its status; it returns the body.
func staffDo(t *testing.T, l *local, method, path, body string, want int) string {
	t.Helper()
	ct := ""
	if body != "" {
		ct = js
	}
	resp, out := l.do(method, path, ct, js, body, "Authorization", staffBearer(t, l.cloud, "admin"))
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, out, want)
	}
	return out
}

// refused checks that a problem document names field.
func refused(t *testing.T, out, field string) {
	t.Helper()
	var p struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("not a problem document: %s", out)
	}
	for _, e := range p.Errors {
		if e.Field == field {
			return
		}
	}
	t.Fatalf("the problem does not name %s: %s", field, out)
}

func detailOf(t *testing.T, l *local, id string) adminapi.RequestDetail {
	t.Helper()
	var d adminapi.RequestDetail
	staffJSON(t, l, "/v1/admin/requests/"+id, &d)
	return d
}

var linkPattern = regexp.MustCompile(`https?://\S+/v1/verify\?token=([A-Za-z0-9_-]+)`)

// tokenIn is the verification token of a mail's link.
func tokenIn(t *testing.T, m localtest.Mail) string {
	t.Helper()
	s := linkPattern.FindStringSubmatch(m.Body.Text)
	if s == nil {
		t.Fatalf("mail %q without a link: %q", m.Subject, m.Body.Text)
	}
	return s[1]
}

// linkWorks tells whether a token's link can still be confirmed (the GET
// page changes nothing).
func linkWorks(t *testing.T, l *local, token string) bool {
	t.Helper()
	resp, _ := l.do("GET", "/v1/verify?token="+token, "", "text/html", "")
	switch resp.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusGone:
		return false
	}
	t.Fatalf("GET /v1/verify: %d", resp.StatusCode)
	return false
}

func phoneRequest(t *testing.T, l *local) {
	now := time.Now()
	pacific := time.FixedZone("PST", -8*3600)
	received := now.Add(-10 * 24 * time.Hour).In(pacific).Truncate(time.Second)
	body := func(receivedAt, contact string) string {
		return `{"channel":"phone","types":["delete"],"first_name":"Ada","last_name":"Byron",` + contact +
			`,"country":"US","state":"CA","declaration":true,"received_at":"` + receivedAt + `"}`
	}
	phone := `"phone":"+14155550142"`
	refused(t, staffDo(t, l, "POST", "/v1/admin/requests", body(now.Add(time.Hour).Format(time.RFC3339), phone), 400), "received_at")
	refused(t, staffDo(t, l, "POST", "/v1/admin/requests", body(now.Add(-50*24*time.Hour).Format(time.RFC3339), phone), 400), "received_at")
	refused(t, staffDo(t, l, "POST", "/v1/admin/requests", body("10 days ago", phone), 400), "received_at")
	refused(t, staffDo(t, l, "POST", "/v1/admin/requests", body(received.Format(time.RFC3339), `"email":""`), 400), "email")

	var rc request.Receipt
	out := staffDo(t, l, "POST", "/v1/admin/requests", body(received.Format(time.RFC3339), phone+`,"postal_address":"  12  Crescent Road \n\n Mobile, AL 36602 "`), 202)
	if err := json.Unmarshal([]byte(out), &rc); err != nil {
		t.Fatal(err)
	}
	// The clock runs from the day the call came, not from the entry.
	if !rc.ReceivedAt.Equal(received) || rc.DueAt.Sub(received) < 44*24*time.Hour || rc.DueAt.After(now.Add(36*24*time.Hour)) {
		t.Fatalf("receipt %+v for a call received %s", rc, received)
	}
	d := detailOf(t, l, rc.ID)
	if d.Status != request.PendingVerification || d.Email != "" || d.Phone != "+14155550142" || d.EnteredAt == nil ||
		d.PostalAddress != "12 Crescent Road\nMobile, AL 36602" || len(d.Mail) != 0 {
		t.Fatalf("entered request %+v", d)
	}
	act := "/v1/admin/requests/" + rc.ID + "/actions"
	refused(t, staffDo(t, l, "POST", act, `{"action":"verify","method":"guessed","note":"x"}`, 400), "method")
	refused(t, staffDo(t, l, "POST", act, `{"action":"verify","method":"phone_callback"}`, 400), "note")
	staffDo(t, l, "POST", act, `{"action":"verify","method":"phone_callback","note":"Called back the number on the account; she confirmed the last invoice."}`, 200)
	d = detailOf(t, l, rc.ID)
	if d.Status != request.Verified || d.VerificationMethod != "phone_callback" || d.VerificationNote == "" {
		t.Fatalf("after verify: %+v", d)
	}
	// The jobs to the company's other systems were written with it.
	if len(d.Jobs) == 0 {
		t.Fatalf("a verified deletion wrote no jobs: %+v", d)
	}
	staffDo(t, l, "POST", act, `{"action":"verify","method":"in_person","note":"again"}`, 409)
	// No address to mail: staff say how they told the person.
	refused(t, staffDo(t, l, "POST", act, `{"action":"complete","override_reason":"Systems answer by post."}`, 400), "told_by")
	staffDo(t, l, "POST", act, `{"action":"complete","told_by":"phone","override_reason":"Systems answer by post."}`, 200)
	d = detailOf(t, l, rc.ID)
	last := d.History[len(d.History)-1]
	if d.Status != request.Completed || !strings.Contains(last.Note, "told by phone") || len(d.Mail) != 0 {
		t.Fatalf("completed: %+v, last event %+v", d, last)
	}
	// Filed under the phone's key, the request is in the export by phone.
	var doc subjectdata.Document
	staffJSON(t, l, "/v1/admin/subjects/export?phone=%2B14155550142", &doc)
	if len(doc.Requests) != 1 || doc.Requests[0].ID != rc.ID || doc.Requests[0].PostalAddress == "" ||
		doc.Requests[0].VerificationMethod != "phone_callback" {
		t.Fatalf("export by phone: %+v", doc.Requests)
	}
}

func staffVouches(t *testing.T, l *local) {
	email := "vouched.caller@example.com"
	out := staffDo(t, l, "POST", "/v1/admin/requests", `{"channel":"phone","types":["access"],"first_name":"Lin","last_name":"Vouch",`+
		`"email":"`+email+`","phone":"+14155550177","declaration":true}`, 202)
	var rc request.Receipt
	if err := json.Unmarshal([]byte(out), &rc); err != nil {
		t.Fatal(err)
	}
	link := tokenIn(t, waitForMail(t, l.cloud.SES.Endpoint, email, "We received your privacy request"))
	staffDo(t, l, "POST", "/v1/admin/requests/"+rc.ID+"/actions", `{"action":"verify","method":"knowledge_based","note":"Answered three questions from the account."}`, 200)
	waitForMail(t, l.cloud.SES.Endpoint, email, "Your privacy request is verified")
	if linkWorks(t, l, link) {
		t.Fatal("the mailed link still works after staff verified the request")
	}
	doc := exportOf(t, l, email)
	vouched := false
	for _, li := range doc.Linked {
		vouched = vouched || (li.Kind == "phone" && li.Evidence == subjectdata.Vouched)
	}
	if !vouched {
		t.Fatalf("the phone is not linked as vouched: %+v", doc.Linked)
	}
}

func resendLink(t *testing.T, l *local) {
	email := "resend.person@example.com"
	resp, out := l.do("POST", "/v1/requests", js, js, `{"types":["access"],"first_name":"Rose","last_name":"Send","email":"`+email+`","declaration":true}`)
	var rc request.Receipt
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil {
		t.Fatalf("request: %d %s", resp.StatusCode, out)
	}
	first := tokenIn(t, waitForMail(t, l.cloud.SES.Endpoint, email, "We received your privacy request"))
	resend := func(body string) string {
		t.Helper()
		resp, out := l.do("POST", "/v1/verify/resend", js, js, body)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("resend %s: %d %s", body, resp.StatusCode, out)
		}
		return out
	}
	known := resend(`{"email":"` + email + `"}`)
	unknown := resend(`{"email":"nobody.here@example.com"}`)
	if known != unknown {
		t.Fatalf("the answers differ: %s and %s", known, unknown)
	}
	second := tokenIn(t, waitForMail(t, l.cloud.SES.Endpoint, email, "Your new link to confirm your privacy request"))
	if linkWorks(t, l, first) {
		t.Fatal("the first link still works after a new one was sent")
	}
	if resp, out := l.do("POST", "/v1/verify", js, js, `{"token":"`+first+`"}`); resp.StatusCode != http.StatusGone {
		t.Fatalf("the old link: %d %s, want 410", resp.StatusCode, out)
	}
	if resp, out := l.do("POST", "/v1/verify", js, js, `{"token":"`+second+`"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("the new link: %d %s", resp.StatusCode, out)
	}
	// A verified request gets no link, and the answer is the same.
	if verified := resend(`{"email":"` + email + `","reference":"` + rc.ID + `"}`); verified != known {
		t.Fatalf("the answer for a verified request differs: %s", verified)
	}
	// Someone else's reference sends nothing to the one who asked.
	stranger := "resend.stranger@example.com"
	if other := resend(`{"email":"` + stranger + `","reference":"` + rc.ID + `"}`); other != known {
		t.Fatalf("the answer for another's reference differs: %s", other)
	}
	resp, out = l.do("POST", "/v1/verify/resend", js, js, `{"email":"not an address"}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed address: %d %s", resp.StatusCode, out)
	}
	refused(t, out, "email")
	drained(t, l)
	if n := mailsTo(t, l, email, "Your new link to confirm your privacy request"); n != 1 {
		t.Fatalf("%d new links after verification, want the 1 sent before", n)
	}
	if n := len(localtest.Mails(t, l.cloud.SES.Endpoint)); n == 0 || mailsTo(t, l, stranger, "Your new link to confirm your privacy request") != 0 {
		t.Fatal("a link went to an address that does not own the request")
	}
}

// resendCap: a stranger asking again and again gets the address at most
// three new links a day, and the asks over the cap void nothing: one link
// still works, the newest mailed.
func resendCap(t *testing.T, l *local) {
	email := "resend.capped@example.com"
	resp, out := l.do("POST", "/v1/requests", js, js, `{"types":["know"],"first_name":"Cap","last_name":"Ped","email":"`+email+`","declaration":true}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("request: %d %s", resp.StatusCode, out)
	}
	original := tokenIn(t, waitForMail(t, l.cloud.SES.Endpoint, email, "We received your privacy request"))
	for range 6 {
		if resp, out := l.do("POST", "/v1/verify/resend", js, js, `{"email":"`+email+`"}`); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("resend: %d %s", resp.StatusCode, out)
		}
	}
	drained(t, l)
	var tokens []string
	for _, m := range localtest.Mails(t, l.cloud.SES.Endpoint) {
		if len(m.Destination.To) == 1 && m.Destination.To[0] == email && m.Subject == "Your new link to confirm your privacy request" {
			tokens = append(tokens, tokenIn(t, m))
		}
	}
	if len(tokens) != 3 {
		t.Fatalf("%d new links mailed, want the cap of 3", len(tokens))
	}
	working := 0
	for _, tok := range append(tokens, original) {
		if linkWorks(t, l, tok) {
			working++
		}
	}
	if working != 1 || linkWorks(t, l, original) {
		t.Fatalf("%d links work (the original: %v), want exactly one of the mailed new ones", working, linkWorks(t, l, original))
	}
}

func agentRequest(t *testing.T, l *local) {
	consumer, agent := "agent.consumer@example.com", "the.agent@example.com"
	body := func(email string) string {
		return `{"types":["delete"],"first_name":"Cora","last_name":"Sumer","email":"` + email +
			`","on_behalf":true,"agent_name":"Ann Agent","agent_email":"` + agent + `","declaration":true}`
	}
	resp, out := l.do("POST", "/v1/requests", js, js, body(consumer))
	var rc request.Receipt
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil {
		t.Fatalf("agent's request: %d %s", resp.StatusCode, out)
	}
	receipt := waitForMail(t, l.cloud.SES.Endpoint, agent, "We received the privacy request you made as an authorized agent")
	if !strings.Contains(receipt.Body.Text, rc.ID) || strings.Contains(receipt.Body.Text, consumer) || strings.Contains(receipt.Body.Text, "Cora") {
		t.Fatalf("agent's receipt: %q", receipt.Body.Text)
	}
	toConsumer := waitForMail(t, l.cloud.SES.Endpoint, consumer, "We received your privacy request")
	if !strings.Contains(toConsumer.Body.Text, "authorized agent") || strings.Contains(toConsumer.Body.Text, "Ann Agent") {
		t.Fatalf("consumer's receipt: %q", toConsumer.Body.Text)
	}
	if resp, out := l.do("POST", "/v1/verify", js, js, `{"token":"`+tokenIn(t, toConsumer)+`"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("consumer verifies: %d %s", resp.StatusCode, out)
	}
	act := "/v1/admin/requests/" + rc.ID + "/actions"
	refused(t, staffDo(t, l, "POST", act, `{"action":"start"}`, 409), "agent_permission")
	refused(t, staffDo(t, l, "POST", act, `{"action":"complete","override_reason":"x"}`, 409), "agent_permission")
	refused(t, staffDo(t, l, "POST", act, `{"action":"agent_permission"}`, 400), "note")
	staffDo(t, l, "POST", act, `{"action":"agent_permission","note":"Signed authorization received by post, ref AUTH-2026-114."}`, 200)
	staffDo(t, l, "POST", act, `{"action":"start"}`, 200)
	if d := detailOf(t, l, rc.ID); d.AgentPermissionAt == nil || d.Status != request.InProgress {
		t.Fatalf("after the permission: %+v", d)
	}
	// A stranger can name anyone as the agent: the agent's receipts are
	// capped like any receipt.
	for i := range 3 {
		if resp, out := l.do("POST", "/v1/requests", js, js, body("agent.consumer"+string(rune('a'+i))+"@example.com")); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, out)
		}
	}
	drained(t, l)
	if n := mailsTo(t, l, agent, "We received the privacy request you made as an authorized agent"); n != 3 {
		t.Fatalf("the agent got %d receipts of 4 requests, want the cap of 3", n)
	}
}

func erasureOfOpenRequests(t *testing.T, l *local) {
	email := "erase.open@example.com"
	submit := func(types string) request.Receipt {
		t.Helper()
		resp, out := l.do("POST", "/v1/requests", js, js, `{"types":[`+types+`],"first_name":"Eve","last_name":"Rased","email":"`+email+`","declaration":true}`)
		var rc request.Receipt
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil {
			t.Fatalf("request: %d %s", resp.StatusCode, out)
		}
		return rc
	}
	del := submit(`"delete"`)
	receipt := waitForMail(t, l.cloud.SES.Endpoint, email, "We received your privacy request")
	if resp, out := l.do("POST", "/v1/verify", js, js, `{"token":"`+tokenIn(t, receipt)+`"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("verify: %d %s", resp.StatusCode, out)
	}
	access := submit(`"access"`)
	drained(t, l)

	var rep subjectdata.Report
	out := staffDo(t, l, "POST", "/v1/admin/subjects/erase", `{"email":"`+email+`","reason":"Verified deletion request `+del.ID+`"}`, 200)
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.ClosedRequests != 2 {
		t.Fatalf("erasure report %s", out)
	}
	done := waitForMail(t, l.cloud.SES.Endpoint, email, "Your privacy request is complete")
	if !strings.Contains(done.Body.Text, del.ID) || !strings.Contains(done.Body.Text, "We deleted your personal information") {
		t.Fatalf("completion mail: %q", done.Body.Text)
	}
	cancelled := waitForMail(t, l.cloud.SES.Endpoint, email, "Your privacy request is cancelled")
	if !strings.Contains(cancelled.Body.Text, access.ID) {
		t.Fatalf("cancellation mail: %q", cancelled.Body.Text)
	}
	d := detailOf(t, l, del.ID)
	if d.Status != request.Completed || d.Email != "" || d.FirstName != "" || d.ClosedAt == nil {
		t.Fatalf("the deletion request after the erasure: %+v", d)
	}
	if a := detailOf(t, l, access.ID); a.Status != request.Cancelled || a.Email != "" {
		t.Fatalf("the access request after the erasure: %+v", a)
	}
	// Once sent, no mail of the request holds the address or the content:
	// a mail sent before the erasure read it is deleted, one still unsent
	// then is kept until sent and then forgotten (shared/ddb tests both).
	db := l.cloud.Settings.DynamoDB()
	deadline := time.Now().Add(30 * time.Second)
	for {
		items, err := db.Query(context.Background(), &dynamodb.QueryInput{
			TableName:              aws.String("e2e"),
			KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :m)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: "REQ#" + del.ID},
				":m":  &types.AttributeValueMemberS{Value: "MAIL#"},
			},
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		forgotten := true
		for _, it := range items.Items {
			_, to := it["to"]
			_, data := it["data"]
			forgotten = forgotten && !to && !data
		}
		if forgotten {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the request's mail after the erasure: %v", items.Items)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
