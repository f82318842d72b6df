package localcloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
)

const receiptSubject = "We received your privacy request"

// TestBouncesAndComplaintsStopMail sends through the local cloud (gateway,
// DynamoDB Local, the stream poller, the notifier, the mail tap and the SES
// stand-in) to SES's mailbox simulator: a bounce or complaint event
// follows the first mail, as SES publishes it to the mail events topic,
// the inbound function marks the address, and the next mail to it is not
// sent. Mail is counted in the stand-in's store.
func TestBouncesAndComplaintsStopMail(t *testing.T) {
	l := startLocal(t)
	t.Run("a bounce stops mail until staff clear it", func(t *testing.T) {
		stopped(t, l, "bounce+x@simulator.amazonses.com", "bounce", "General")
	})
	t.Run("a complaint stops mail", func(t *testing.T) {
		stopped(t, l, "complaint+x@simulator.amazonses.com", "complaint", "abuse")
	})
	t.Run("a transient bounce does not", func(t *testing.T) { transientBounce(t, l) })
	t.Run("forged and unknown events are refused, nothing written", func(t *testing.T) { forgedEvents(t, l) })
	for _, addr := range []string{"bounce+x@simulator.amazonses.com", "complaint+x@simulator.amazonses.com"} {
		if strings.Contains(l.logs.String(), addr) {
			t.Errorf("an address is in the logs: %s", addr)
		}
	}
}

// fileRequest files a request of the web form for email and returns its
// id; types (JSON strings) differ from request to request, or the
// double-submit guard answers with the earlier one.
func fileRequest(t *testing.T, l *local, email, types string) string {
	t.Helper()
	resp, out := l.do("POST", "/v1/requests", js, js, `{"types":[`+types+`],"first_name":"Bo","last_name":"Unce","email":"`+email+`","country":"US","state":"CA","declaration":true}`)
	var rc request.Receipt
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil {
		t.Fatalf("request: %d %s", resp.StatusCode, out)
	}
	return rc.ID
}

// markedIn waits until the request's detail shows its address marked.
func markedIn(t *testing.T, l *local, id string) adminapi.RequestDetail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var d adminapi.RequestDetail
		staffJSON(t, l, "/v1/admin/requests/"+id, &d)
		if d.Undeliverable != nil && d.Undeliverable.InEffect {
			return d
		}
		if time.Now().After(deadline) {
			// What the inbound function said (ids and kinds only).
			for _, line := range strings.Split(l.logs.String(), "\n") {
				if strings.Contains(line, `"function":"inbound"`) {
					t.Log(line)
				}
			}
			t.Fatalf("the address of %s was not marked within 30s: %+v", id, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func mailsToAny(t *testing.T, l *local, to string) int {
	t.Helper()
	n := 0
	for _, m := range localtest.Mails(t, l.cloud.SES.Endpoint) {
		for _, rcpt := range m.Destination.To {
			if rcpt == to {
				n++
			}
		}
	}
	return n
}

// stopped: the first mail goes out and bounces (or is complained about);
// the address is marked; a new link asked for is not sent, and the public
// answer is the one anyone gets; the mail not sent counts against no cap;
// staff see why and clear the mark, and mail flows again.
func stopped(t *testing.T, l *local, email, reason, subtype string) {
	id := fileRequest(t, l, email, `"access"`)
	d := markedIn(t, l, id)
	drained(t, l)
	if u := d.Undeliverable; u.Reason != reason || u.Subtype != subtype || u.At.IsZero() || u.MarkedAt.IsZero() {
		t.Fatalf("the mark: %+v, want %s/%s with its times", u, reason, subtype)
	}
	if n := mailsTo(t, l, email, receiptSubject); n != 1 {
		t.Fatalf("%d receipts sent, want the 1 before the event", n)
	}

	// A new link asked for: the same public answer as for any address,
	// and nothing sent.
	resend := func(addr string) string {
		t.Helper()
		resp, out := l.do("POST", "/v1/verify/resend", js, js, `{"email":"`+addr+`"}`)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("resend: %d %s", resp.StatusCode, out)
		}
		return out
	}
	if marked, other := resend(email), resend("nobody.marked@example.com"); marked != other {
		t.Fatalf("the public answers differ for a marked address: %s and %s", marked, other)
	}
	// Two more requests: their receipts are not sent either.
	more := []string{fileRequest(t, l, email, `"know"`), fileRequest(t, l, email, `"delete"`)}
	drained(t, l)
	if n := mailsToAny(t, l, email); n != 1 {
		t.Fatalf("%d mails reached the marked address, want only the first", n)
	}
	staffJSON(t, l, "/v1/admin/requests/"+id, &d)
	statuses := map[string]string{}
	for _, m := range d.Mail {
		statuses[m.Template] = m.Status
		if m.Status == mail.StatusUndeliverable && (m.UndeliverableReason != reason || m.UndeliverableAt == nil) {
			t.Errorf("undeliverable mail without its reason: %+v", m)
		}
	}
	if statuses[string(mail.RequestReceived)] != mail.StatusSent || statuses[string(mail.RequestLink)] != mail.StatusUndeliverable {
		t.Fatalf("the request's mail: %+v, want the receipt sent and the new link undeliverable", d.Mail)
	}
	for _, other := range more {
		var od adminapi.RequestDetail
		staffJSON(t, l, "/v1/admin/requests/"+other, &od)
		if len(od.Mail) != 1 || od.Mail[0].Status != mail.StatusUndeliverable {
			t.Fatalf("request %s's receipt: %+v, want undeliverable", other, od.Mail)
		}
	}
	// Mail not sent counts against no cap: today's receipt counter holds
	// the first receipt only.
	if n := capCount(t, l, email, mail.BucketRequests); n != 1 {
		t.Fatalf("the receipt cap counts %d mails, want 1", n)
	}
	exported(t, l, email, reason)
	cleared(t, l, email, reason)
}

// exported checks that the person's export shows the mark and the mail not
// sent.
func exported(t *testing.T, l *local, email, reason string) {
	t.Helper()
	doc := exportOf(t, l, url.QueryEscape(email))
	if len(doc.Undeliverable) != 1 || !doc.Undeliverable[0].InEffect || doc.Undeliverable[0].Reason != reason {
		t.Fatalf("the export's marks: %+v", doc.Undeliverable)
	}
	undeliverable := 0
	for _, m := range doc.MailLog {
		if m.Status == mail.StatusUndeliverable && m.Undeliverable == reason {
			undeliverable++
		}
	}
	if undeliverable != 3 {
		t.Fatalf("the export's mail log shows %d mails undeliverable, want 3: %+v", undeliverable, doc.MailLog)
	}
}

// cleared: staff clear the mark; a new request's receipt is sent.
func cleared(t *testing.T, l *local, email, reason string) {
	t.Helper()
	out := staffDo(t, l, "POST", "/v1/admin/subjects/deliverable", `{"email":"`+email+`","reason":"The person confirmed the mailbox works"}`, http.StatusOK)
	var u adminapi.Undeliverable
	if err := json.Unmarshal([]byte(out), &u); err != nil || u.InEffect || len(u.Clears) != 1 ||
		u.Clears[0].Actor != "admin" || u.Clears[0].Was != reason || u.Clears[0].At.IsZero() {
		t.Fatalf("after clearing: %s", out)
	}
	staffDo(t, l, "POST", "/v1/admin/subjects/deliverable", `{"email":"`+email+`","reason":"again"}`, http.StatusNotFound)
	refusedOut := staffDo(t, l, "POST", "/v1/admin/subjects/deliverable", `{"email":"`+email+`","reason":"now at a.b@example.org"}`, http.StatusBadRequest)
	refused(t, refusedOut, "reason")
	before := mailsTo(t, l, email, receiptSubject)
	fileRequest(t, l, email, `"know","access"`)
	drained(t, l)
	if n := mailsTo(t, l, email, receiptSubject); n != before+1 {
		t.Fatalf("%d receipts after clearing, want %d", n, before+1)
	}
}

// capCount is how many intents today's counter of the bucket admitted for
// the address.
func capCount(t *testing.T, l *local, email, bucket string) int {
	t.Helper()
	out, err := l.cloud.Settings.DynamoDB().GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String("e2e"),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "MAILCAP#" + keyOf(t, email) + "#" + bucket + "#" + time.Now().UTC().Format("2006-01-02")},
			"sk": &types.AttributeValueMemberS{Value: "MAILCAP"},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := out.Item["intents"].(*types.AttributeValueMemberSS)
	if ids == nil {
		return 0
	}
	return len(ids.Value)
}

// keyOf is the subject key of an address under the test cloud's pepper.
func keyOf(t *testing.T, email string) string {
	t.Helper()
	k, err := subject.NewKeyer(bytes.Repeat([]byte("p"), 32))
	if err != nil {
		t.Fatal(err)
	}
	n, err := subject.NormaliseEmail(email)
	if err != nil {
		t.Fatal(err)
	}
	return k.Email(n)
}

// sesSample is one of SES's example event records (shared/deliverability's
// testdata), about a mail to addr with the given SES message id.
func sesSample(t *testing.T, name, addr string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "deliverability", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("recipient@example.com"), []byte(addr))
}

// transientBounce: SES reports a soft bounce of the receipt; the address
// is not marked and the next mail goes out.
func transientBounce(t *testing.T, l *local) {
	const email = "mailbox.full@example.com"
	id := fileRequest(t, l, email, `"access"`)
	waitForMail(t, l.cloud.SES.Endpoint, email, receiptSubject)
	msg := bytes.Replace(sesSample(t, "bounce.json", email), []byte(`"Permanent"`), []byte(`"Transient"`), 1)
	msg = bytes.Replace(msg, []byte(`"General"`), []byte(`"MailboxFull"`), 1)
	if err := l.cloud.MailTap.Publish(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if resp, out := l.do("POST", "/v1/verify/resend", js, js, `{"email":"`+email+`"}`); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("resend: %d %s", resp.StatusCode, out)
	}
	waitForMail(t, l.cloud.SES.Endpoint, email, "Your new link to confirm your privacy request")
	var d adminapi.RequestDetail
	staffJSON(t, l, "/v1/admin/requests/"+id, &d)
	if d.Undeliverable != nil || !strings.Contains(l.logs.String(), `"counted":"transient_bounce"`) {
		t.Fatalf("after a transient bounce: mark %+v", d.Undeliverable)
	}
}

// forgedEvents: a bounce naming an address the mail was not sent to, a
// record of an event type the configuration set does not publish, and a
// message of neither topic's shape are refused, and nothing is written.
func forgedEvents(t *testing.T, l *local) {
	const victim = "forged.victim@example.com"
	before := undeliverableItems(t, l)
	forged := bytes.Replace(sesSample(t, "bounce.json", "someone.else@example.com"),
		[]byte(`"emailAddress": "someone.else@example.com"`), []byte(`"emailAddress": "`+victim+`"`), 1)
	open := bytes.Replace(sesSample(t, "bounce.json", victim), []byte(`"eventType": "Bounce"`), []byte(`"eventType": "Open"`), 1)
	for _, msg := range [][]byte{forged, open, []byte(`{"hello":"world"}`), []byte(`not json`)} {
		if err := l.cloud.MailTap.Publish(context.Background(), msg); err != nil {
			t.Fatalf("a refused event failed the invocation (SNS would retry it): %v", err)
		}
	}
	if after := undeliverableItems(t, l); after != before {
		t.Fatalf("%d undeliverable marks after forged events, %d before", after, before)
	}
	logs := l.logs.String()
	if strings.Count(logs, `"msg":"mail event refused"`) < 2 || !strings.Contains(logs, `"msg":"inbound message of unknown shape refused"`) {
		t.Fatal("the refusals are not logged")
	}
	if strings.Contains(logs, victim) {
		t.Fatal("the forged address is in the logs")
	}
}

// undeliverableItems counts the table's undeliverable marks.
func undeliverableItems(t *testing.T, l *local) int32 {
	t.Helper()
	p := dynamodb.NewScanPaginator(l.cloud.Settings.DynamoDB(), &dynamodb.ScanInput{
		TableName:                 aws.String("e2e"),
		FilterExpression:          aws.String("sk = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": &types.AttributeValueMemberS{Value: "UNDELIVERABLE"}},
		ConsistentRead:            aws.Bool(true),
		Select:                    types.SelectCount,
	})
	var n int32
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += page.Count
	}
	return n
}
