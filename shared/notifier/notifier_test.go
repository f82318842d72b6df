package notifier_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awsses "github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/oklog/ulid/v2"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
	"github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/notifierstream"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/sesmail"
	"github.com/claritru/privacy/shared/topology"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m, true)) }

// seed stores a request whose receipt mail, of the given template, goes to
// `to`.
func seed(t *testing.T, db *dynamodb.Client, table, to string, tmpl mail.Template) {
	t.Helper()
	now := time.Now().UTC()
	err := ddb.NewRequests(db, table).Create(context.Background(), request.Creation{
		Request: request.Request{ID: "R-" + strings.Split(to, "@")[0], Types: []request.Type{request.Know}, Status: request.PendingVerification,
			Email: to, FirstName: "Grace", ReceivedAt: now, DueAt: now.AddDate(0, 0, 45), Version: 1, SubjectKey: "k"},
		Event: request.Event{ID: "E1", At: now, Action: "received", To: request.PendingVerification, Actor: "requester"},
		Mail: mail.Intent{ID: ulid.Make().String(), Template: tmpl, To: to, Data: map[string]string{
			"first_name": "Grace", "request_id": "R-" + strings.Split(to, "@")[0], "types": "Know", "due_at": "1 January 2027",
			"verify_url": "http://127.0.0.1:3000/v1/verify?token=abc",
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// records returns the stream records the table now holds.
func records(t *testing.T, db *dynamodb.Client, table string) []events.DynamoDBEventRecord {
	t.Helper()
	recs, err := localcloud.StreamRecords(context.Background(), db, localcloud.StreamsClient(localtest.DynamoDBEndpoint()), table)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// seeded is a fresh table holding one request with its mail to `to`.
func seeded(t *testing.T, to string) (*ddb.Outbox, []events.DynamoDBEventRecord) {
	db, table := localtest.NewTable(t)
	seed(t, db, table, to, mail.RequestReceived)
	// The notifier's calls run with its table access, as in AWS.
	def, _ := topology.ClariTru.Function("notifier")
	return ddb.NewOutbox(ddb.Guard(db, def), table), records(t, db, table)
}

func mailsTo(t *testing.T, to string) []localtest.Mail {
	var out []localtest.Mail
	for _, m := range localtest.Mails(t, localtest.SESEndpoint()) {
		for _, r := range m.Destination.To {
			if r == to {
				out = append(out, m)
			}
		}
	}
	return out
}

// handler is the notifier as its function runs it: behind the stream
// adapter.
func handler(o *ddb.Outbox, sesClient *awsses.Client, logs *bytes.Buffer) *notifierstream.Handler {
	log := slog.New(slog.NewJSONHandler(logs, nil))
	return &notifierstream.Handler{
		Outbox: o,
		Sender: &notifier.Notifier{Outbox: o, Sender: sesmail.NewSender(sesClient, "privacy@claritru.example"), Footer: mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"}, Log: log},
		Log:    log,
	}
}

func TestSendsEachIntentOnceEvenWhenTheStreamRedelivers(t *testing.T) {
	to := "once@example.com"
	o, recs := seeded(t, to)
	var logs bytes.Buffer
	h := handler(o, localtest.SES(t), &logs)
	for range 3 { // the stream may deliver a batch more than once
		resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("Handle = %+v, %v", resp, err)
		}
	}
	got := mailsTo(t, to)
	if len(got) != 1 {
		t.Fatalf("%d mails sent, want 1", len(got))
	}
	m := got[0]
	if m.Subject != "We received your privacy request" || !strings.Contains(m.Body.Text, "Hello Grace") ||
		!strings.Contains(m.Body.HTML, `href="http://127.0.0.1:3000/v1/verify?token=abc"`) {
		t.Fatalf("unexpected mail %+v", m)
	}
	if strings.Contains(logs.String(), to) || strings.Contains(logs.String(), "Grace") {
		t.Fatalf("personal data in logs: %s", logs.String())
	}
}

func TestMailStandInDownIsRetriedNotLost(t *testing.T) {
	to := "retry@example.com"
	o, recs := seeded(t, to)
	port, err := localcloud.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	down := awsses.NewFromConfig(localcloud.LocalAWS(), func(op *awsses.Options) {
		op.BaseEndpoint = aws.String("http://127.0.0.1:" + strconv.Itoa(port))
		op.RetryMaxAttempts = 1
	})
	var logs bytes.Buffer
	resp, err := handler(o, down, &logs).Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("want the mail record reported as a batch item failure, got %+v", resp)
	}
	if n := len(mailsTo(t, to)); n != 0 {
		t.Fatalf("%d mails sent while SES was down", n)
	}
	if strings.Contains(logs.String(), to) {
		t.Fatalf("address in logs: %s", logs.String())
	}
	// The stream retries: now SES is up and the mail goes out once.
	resp, err = handler(o, localtest.SES(t), &logs).Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry: %+v, %v", resp, err)
	}
	if n := len(mailsTo(t, to)); n != 1 {
		t.Fatalf("%d mails after retry, want 1", n)
	}
}

func TestOneBadRecordDoesNotBlockTheBatch(t *testing.T) {
	db, table := localtest.NewTable(t)
	bad, good := "bad@example.com", "good@example.com"
	seed(t, db, table, bad, mail.Template("no_such_template"))
	seed(t, db, table, good, mail.RequestReceived)
	recs := records(t, db, table)
	var badSeq string
	for _, r := range recs {
		if r.Change.NewImage["kind"].String() == "mail" && r.Change.NewImage["to"].String() == bad {
			badSeq = r.Change.SequenceNumber
		}
	}
	var logs bytes.Buffer
	resp, err := handler(ddb.NewOutbox(db, table), localtest.SES(t), &logs).Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != badSeq || badSeq == "" {
		t.Fatalf("failures %+v, want only the bad record %q", resp.BatchItemFailures, badSeq)
	}
	if n := len(mailsTo(t, good)); n != 1 {
		t.Fatalf("%d mails to the good address, want 1", n)
	}
	if n := len(mailsTo(t, bad)); n != 0 {
		t.Fatalf("%d mails for an unrenderable intent", n)
	}
}

// SES stays down longer than the stream retries: the record is given up,
// but the intent is still unsent in the outbox; the watch re-drives it onto
// the stream and it is sent, once (the record is never lost).
func TestStuckMailIsRedrivenAndSentOnce(t *testing.T) {
	to := "stuck@example.com"
	db, table := localtest.NewTable(t)
	seed(t, db, table, to, mail.RequestReceived)
	o := ddb.NewOutbox(db, table)
	port, err := localcloud.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	down := awsses.NewFromConfig(localcloud.LocalAWS(), func(op *awsses.Options) {
		op.BaseEndpoint = aws.String("http://127.0.0.1:" + strconv.Itoa(port))
		op.RetryMaxAttempts = 1
	})
	var logs bytes.Buffer
	first := records(t, db, table)
	for range 3 { // every retry the stream makes fails
		if resp, _ := handler(o, down, &logs).Handle(context.Background(), events.DynamoDBEvent{Records: first}); len(resp.BatchItemFailures) != 1 {
			t.Fatalf("with SES down: %+v", resp)
		}
	}
	ctx := context.Background()
	if n, err := o.RedriveStale(ctx, time.Now().Add(-time.Hour), 10); err != nil || n != 0 {
		t.Fatalf("a fresh intent was re-driven: %d %v", n, err)
	}
	if n, err := o.RedriveStale(ctx, time.Now().Add(time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("RedriveStale = %d, %v; want 1", n, err)
	}
	// The stream now carries the re-drive; SES is back.
	all := records(t, db, table)
	resp, err := handler(o, localtest.SES(t), &logs).Handle(ctx, events.DynamoDBEvent{Records: all[len(first):]})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("after the re-drive: %+v %v", resp, err)
	}
	if n := len(mailsTo(t, to)); n != 1 {
		t.Fatalf("%d mails after the re-drive, want 1", n)
	}
	// Sent intents leave the outbox index: nothing more to re-drive, and
	// replaying every record sends nothing again.
	if n, _ := o.RedriveStale(ctx, time.Now().Add(time.Hour), 10); n != 0 {
		t.Fatalf("a sent intent was re-driven (%d)", n)
	}
	if _, err := handler(o, localtest.SES(t), &logs).Handle(ctx, events.DynamoDBEvent{Records: records(t, db, table)}); err != nil {
		t.Fatal(err)
	}
	if n := len(mailsTo(t, to)); n != 1 {
		t.Fatalf("%d mails after replaying the stream, want 1", n)
	}
}

// rejectingSES is an SES endpoint that refuses every mail with
// MessageRejected, as SES does for an address it will not deliver to.
func rejectingSES(t *testing.T) *awsses.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>MessageRejected</Code><Message>Email address is not verified.</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`))
	}))
	t.Cleanup(srv.Close)
	return awsses.NewFromConfig(localcloud.LocalAWS(), func(op *awsses.Options) {
		op.BaseEndpoint = aws.String(srv.URL)
	})
}

// TestRejectedAddressFailsForGood: SES refusing a mail is final. The
// record is done (no batch failure, so the stream does not retry it), the
// intent is failed with SES's code for staff to see, it leaves the outbox
// index (no re-drive) and a replayed stream sends nothing, even with SES
// accepting again.
func TestRejectedAddressFailsForGood(t *testing.T) {
	to := "rejected@example.com"
	db, table := localtest.NewTable(t)
	seed(t, db, table, to, mail.RequestReceived)
	o := ddb.NewOutbox(db, table)
	ctx := context.Background()
	var logs bytes.Buffer
	resp, err := handler(o, rejectingSES(t), &logs).Handle(ctx, events.DynamoDBEvent{Records: records(t, db, table)})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v; want the record done", resp, err)
	}
	got, err := ddb.NewRequests(db, table).MailLog(ctx, "R-rejected")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Status != "failed" || got[0].Error != "MessageRejected" || got[0].FailedAt.IsZero() || !got[0].SentAt.IsZero() {
		t.Fatalf("request mail %+v, want one failed with MessageRejected", got)
	}
	if n, err := o.RedriveStale(ctx, time.Now().Add(time.Hour), 10); err != nil || n != 0 {
		t.Fatalf("RedriveStale = %d, %v; a failed mail is not re-driven", n, err)
	}
	resp, err = handler(o, localtest.SES(t), &logs).Handle(ctx, events.DynamoDBEvent{Records: records(t, db, table)})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("replay: %+v, %v", resp, err)
	}
	if n := len(mailsTo(t, to)); n != 0 {
		t.Fatalf("%d mails sent for a rejected intent", n)
	}
	if !strings.Contains(logs.String(), "MessageRejected") || strings.Contains(logs.String(), to) {
		t.Errorf("logs: want the code, never the address: %s", logs.String())
	}
	// The raw link is gone with the failure, as with a sent mail.
	item, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]dynamodbtypes.AttributeValue{
		"pk": &dynamodbtypes.AttributeValueMemberS{Value: "REQ#R-rejected"},
		"sk": &dynamodbtypes.AttributeValueMemberS{Value: "MAIL#" + got[0].ID},
	}})
	if err != nil || item.Item == nil {
		t.Fatalf("read the mail item: %v", err)
	}
	data, _ := item.Item["data"].(*dynamodbtypes.AttributeValueMemberM)
	if data == nil || data.Value["verify_url"] != nil || item.Item["gsi2pk"] != nil {
		t.Errorf("failed item keeps its link or its outbox index key: %v", item.Item)
	}
}
