package localcloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subjectdata"
	"github.com/claritru/privacy/shared/topology"
)

// TestMailCannonFaults is the mail cannon tried against the local cloud
// (gateway, DynamoDB Local, the stream poller, the notifier, the SES
// stand-in): double submits, a flood of consents and of opt-outs naming one
// address, and an idempotency key reused by another person. Mail is counted
// in the stand-in's store once the outbox has drained.
func TestMailCannonFaults(t *testing.T) {
	l := startLocal(t)
	t.Run("fifty identical submissions are one request and one mail", func(t *testing.T) { fiftySubmissions(t, l) })
	t.Run("consents for one address stop mailing at the cap", func(t *testing.T) { tenConsents(t, l) })
	t.Run("opt-out confirmations once a day, only to the address given", func(t *testing.T) { optOutConfirmations(t, l) })
	t.Run("an idempotency key reused by another person", func(t *testing.T) { reusedKey(t, l) })
	t.Run("request receipts beyond the cap are held, and staff see it", func(t *testing.T) { heldReceipt(t, l) })
}

// heldReceipt files four different requests for one address: three
// receipts go out, and the fourth request's detail shows its receipt held;
// staff send it again (resend), and its new link verifies the request.
func heldReceipt(t *testing.T, l *local) {
	const email = "many.requests@example.com"
	var ids []string
	for _, types := range []string{`"know"`, `"access"`, `"delete"`, `"know","access"`} {
		body := `{"types":[` + types + `],"first_name":"Max","last_name":"Many","email":"` + email + `","country":"US","state":"CA","declaration":true}`
		resp, out := l.do("POST", "/v1/requests", "application/json", "", body)
		var rc request.Receipt
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil {
			t.Fatalf("request %s: %d %s", types, resp.StatusCode, out)
		}
		ids = append(ids, rc.ID)
	}
	drained(t, l)
	sent := mailsTo(t, l, email, "We received your privacy request")
	statuses := map[string]int{}
	held := ""
	for _, id := range ids {
		var d adminapi.RequestDetail
		staffJSON(t, l, "/v1/admin/requests/"+id, &d)
		if len(d.Mail) != 1 || d.Mail[0].Template != string(mail.RequestReceived) {
			t.Fatalf("request %s shows mail %+v, want its receipt", id, d.Mail)
		}
		statuses[d.Mail[0].Status]++
		if d.Mail[0].Status == mail.StatusHeld {
			held = id
			if !strings.Contains(d.Mail[0].HeldReason, "per-recipient cap") {
				t.Errorf("held receipt without its reason: %+v", d.Mail[0])
			}
		}
	}
	t.Logf("4 requests for one address: all 4 stored, %d receipts sent, request details show %v", sent, statuses)
	if sent != 3 || statuses[mail.StatusSent] != 3 || statuses[mail.StatusHeld] != 1 {
		t.Fatalf("%d receipts sent, details %v; want 3 sent and 1 held", sent, statuses)
	}
	resendHeld(t, l, email, held)
}

// resendHeld has staff send a held receipt again: it goes out past the
// cap, and its new link verifies the request.
func resendHeld(t *testing.T, l *local, email, id string) {
	t.Helper()
	if code, out, err := post(l, "/v1/admin/requests/"+id+"/actions", `{"action":"resend"}`,
		map[string]string{"Authorization": staffBearer(t, l.cloud, "admin")}); err != nil || code != http.StatusOK {
		t.Fatalf("resend: %d %s %v", code, out, err)
	}
	drained(t, l)
	var link string
	for _, m := range localtest.Mails(t, l.cloud.SES.Endpoint) {
		if len(m.Destination.To) == 1 && m.Destination.To[0] == email && strings.Contains(m.Body.Text, id) {
			link = regexp.MustCompile(`https?://\S+/v1/verify\?token=[A-Za-z0-9_-]+`).FindString(m.Body.Text)
		}
	}
	if link == "" {
		t.Fatalf("no receipt of %s with a link after the resend", id)
	}
	token := link[strings.Index(link, "token=")+len("token="):]
	if code, out, err := post(l, "/v1/verify", `{"token":"`+token+`"}`, nil); err != nil || code != http.StatusOK {
		t.Fatalf("verify with the resent link: %d %s %v", code, out, err)
	}
	var d adminapi.RequestDetail
	staffJSON(t, l, "/v1/admin/requests/"+id, &d)
	if d.Status != request.Verified || d.History[len(d.History)-2].Action != "resend" || d.History[len(d.History)-2].Actor != "admin" {
		t.Fatalf("after the resend and verification: %s, history %+v", d.Status, d.History)
	}
}

// fiftySubmissions posts one body fifty times at once, without a key.
func fiftySubmissions(t *testing.T, l *local) {
	const email = "double.click@example.com"
	body := `{"types":["delete","access"],"first_name":"Dora","last_name":"Double","email":"` + email + `","country":"US","state":"CA","declaration":true}`
	const n = 50
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, out, err := post(l, "/v1/requests", body, nil)
			var rc request.Receipt
			if err != nil || status != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil {
				t.Errorf("submission %d: %d %s %v", i, status, out, err)
				return
			}
			ids[i] = rc.ID
		}()
	}
	wg.Wait()
	distinct := map[string]int{}
	for _, id := range ids {
		distinct[id]++
	}
	// One more, through the OpenAPI check: the same receipt, 202.
	resp, out := l.do("POST", "/v1/requests", "application/json", "", body)
	var rc request.Receipt
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil || distinct[rc.ID] != n {
		t.Fatalf("%d submissions answered with %d request ids %v; the 51st: %d %s", n, len(distinct), distinct, resp.StatusCode, out)
	}
	var queue adminapi.RequestQueue
	staffJSON(t, l, "/v1/admin/requests?status=pending_verification&limit=100", &queue)
	stored := 0
	for _, r := range queue.Requests {
		if r.Email == email {
			stored++
		}
	}
	drained(t, l)
	receipts := mailsTo(t, l, email, "We received your privacy request")
	t.Logf("%d concurrent identical submissions: %d request id(s) answered, %d request(s) in the staff queue, %d receipt mail(s)",
		n, len(distinct), stored, receipts)
	if stored != 1 || receipts != 1 {
		t.Fatalf("%d requests stored, %d receipts sent; want one of each", stored, receipts)
	}
}

// tenConsents gives ten consents for one address within a minute.
func tenConsents(t *testing.T, l *local) {
	const email = "flooded@example.com"
	for i := range 10 {
		granted := i%2 == 0
		body := fmt.Sprintf(`{"subject":{"email":%q},"events":[{"purpose":"email_marketing","granted":%t}],`+
			`"disclosure":{"id":"email-optin","version":"2026-11"},`+
			`"source_url":"https://www.example.com/subscribe","locale":"en-US","country":"US","age_confirmed":true}`, email, granted)
		if resp, out := l.do("POST", "/v1/consents", "application/json", "", body); resp.StatusCode != http.StatusCreated {
			t.Fatalf("consent %d: %d %s", i, resp.StatusCode, out)
		}
	}
	drained(t, l)
	sent := mailsTo(t, l, email, "Your consent receipt")
	var hist adminapi.History
	staffJSON(t, l, "/v1/admin/consents?email="+email, &hist)
	doc := exportOf(t, l, email)
	held := 0
	for _, m := range doc.MailLog {
		if m.Template == string(mail.ConsentReceipt) && m.Status == mail.StatusHeld && strings.Contains(m.HeldReason, "cap") {
			held++
		}
	}
	t.Logf("10 consents for one address: %d ledger events, %d receipts sent, %d held (staff export)", len(hist.Events), sent, held)
	if len(hist.Events) != 10 || !hist.Chain.Valid {
		t.Errorf("the ledger holds %d events (chain %+v), want all 10", len(hist.Events), hist.Chain)
	}
	if sent != mail.MaxConfirmationsPerDay || held != 10-mail.MaxConfirmationsPerDay {
		t.Errorf("%d receipts sent, %d held; want %d sent and the rest held", sent, held, mail.MaxConfirmationsPerDay)
	}
}

// optOutConfirmations opts one address out with a fresh browser id each
// time, then links another address to it through a phone.
func optOutConfirmations(t *testing.T, l *local) {
	const email, other = "optout.flood@example.com", "optout.other@example.com"
	const subject = "You have opted out of the sale and sharing of your personal information"
	for i := range 3 {
		body := fmt.Sprintf(`{"email":%q,"browser_id":"fresh-browser-%04d"}`, email, i)
		if resp, out := l.do("POST", "/v1/opt-out", "application/json", "", body); resp.StatusCode != http.StatusOK {
			t.Fatalf("opt-out %d: %d %s", i, resp.StatusCode, out)
		}
	}
	for _, body := range []string{
		`{"email":"` + email + `","phone":"+14155550142","country":"US"}`,
		`{"email":"` + other + `","phone":"+14155550142","country":"US"}`,
	} {
		if resp, out := l.do("POST", "/v1/opt-out", "application/json", "", body); resp.StatusCode != http.StatusOK {
			t.Fatalf("opt-out %s: %d %s", body, resp.StatusCode, out)
		}
	}
	drained(t, l)
	first, second := mailsTo(t, l, email, subject), mailsTo(t, l, other, subject)
	held := 0
	for _, m := range exportOf(t, l, email).MailLog {
		if m.Template == string(mail.OptOutConfirmed) && m.Status == mail.StatusHeld {
			held++
		}
	}
	t.Logf("4 new opt-outs naming one address: %d confirmation(s) sent, %d held; the linked address: %d", first, held, second)
	if first != 1 || held != 3 || second != 1 {
		t.Errorf("confirmations: %d to the flooded address (%d held), %d to the other; want 1 (3 held) and 1", first, held, second)
	}
}

// reusedKey sends one Idempotency-Key for two people.
func reusedKey(t *testing.T, l *local) {
	body := func(email string) string {
		return `{"types":["know"],"first_name":"Kay","last_name":"Key","email":"` + email + `","country":"US","state":"CA","declaration":true}`
	}
	key := []string{"Idempotency-Key", "shared-key-0001"}
	id := func(email string) string {
		t.Helper()
		resp, out := l.do("POST", "/v1/requests", "application/json", "", body(email), key...)
		var rc request.Receipt
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil {
			t.Fatalf("submission for %s: %d %s", email, resp.StatusCode, out)
		}
		return rc.ID
	}
	alice, mallory, again := id("alice.key@example.com"), id("mallory.key@example.com"), id("alice.key@example.com")
	t.Logf("one key, two people: %s and %s; the first again: %s", alice, mallory, again)
	if alice == mallory || again != alice {
		t.Errorf("the key reused by another person answered %s (first %s, retry %s); want a request of their own", mallory, alice, again)
	}
}

// post sends a JSON POST without failing the test, for use from goroutines.
func post(l *local, path, body string, headers map[string]string) (int, string, error) {
	req, err := http.NewRequest("POST", l.cloud.APIURL+path, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// staffJSON reads a staff route into out.
func staffJSON(t *testing.T, l *local, path string, out any) {
	t.Helper()
	resp, body := l.do("GET", path, "", "", "", "Authorization", staffBearer(t, l.cloud, "admin"))
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), out) != nil {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
}

// exportOf is the staff export of one address.
func exportOf(t *testing.T, l *local, email string) subjectdata.Document {
	t.Helper()
	var d subjectdata.Document
	staffJSON(t, l, "/v1/admin/subjects/export?email="+email, &d)
	return d
}

// drained waits until the outbox index holds no unsent mail: every intent
// queued so far was sent or held.
func drained(t *testing.T, l *local) {
	t.Helper()
	db := l.cloud.Settings.DynamoDB()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		out, err := db.Query(context.Background(), &dynamodb.QueryInput{
			TableName:              aws.String("e2e"),
			IndexName:              aws.String(topology.IndexByStatus),
			KeyConditionExpression: aws.String("gsi2pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":p": &types.AttributeValueMemberS{Value: "OUTBOX#pending"},
			},
			Select: types.SelectCount,
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.Count == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the outbox did not drain within 60s")
}

// mailsTo counts the mails with the subject the stand-in received for to.
func mailsTo(t *testing.T, l *local, to, subject string) int {
	t.Helper()
	n := 0
	for _, m := range localtest.Mails(t, l.cloud.SES.Endpoint) {
		for _, rcpt := range m.Destination.To {
			if rcpt == to && m.Subject == subject {
				n++
			}
		}
	}
	return n
}
