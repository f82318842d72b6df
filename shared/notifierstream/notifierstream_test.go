package notifierstream_test

// Unit tests of the stream adapter on in-memory fakes: the notifier runs on
// shared/notifier/notifiertest, and the decoder is the test's own. A record
// whose mail is not sent is reported as a batch item failure, so the stream
// retries it and only it (README, "Guarantees the code keeps": a failed send
// is retried, never lost). shared/notifier tests the adapter against DynamoDB
// Local's stream.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
	"github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/notifier/notifiertest"
	"github.com/claritru/privacy/shared/notifierstream"
)

// decoder reads an intent from a new image with the attributes ref, to and
// template; an image without ref queues no mail, one with template "broken"
// cannot be decoded.
type decoder struct{}

func (decoder) Decode(_ context.Context, c ddb.Change) (mail.Intent, string, bool, error) {
	str := func(k string) string {
		if v, ok := c.New[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	ref := str("ref")
	if ref == "" || c.Event != ddb.ChangeInsert {
		return mail.Intent{}, "", false, nil
	}
	if str("template") == "broken" {
		return mail.Intent{}, "", false, errors.New("decode mail item: malformed")
	}
	return mail.Intent{ID: "I-" + ref, Template: mail.Template(str("template")), To: str("to"), Data: map[string]string{
		"first_name": "Ada", "request_id": "R-" + ref, "types": "Know", "due_at": "1 January 2027",
	}}, ref, true, nil
}

func record(seq string, attrs map[string]string) events.DynamoDBEventRecord {
	img := map[string]events.DynamoDBAttributeValue{}
	for k, v := range attrs {
		img[k] = events.NewStringAttribute(v)
	}
	return events.DynamoDBEventRecord{EventID: "ev-" + seq, EventName: string(ddb.ChangeInsert),
		Change: events.DynamoDBStreamRecord{SequenceNumber: seq, NewImage: img}}
}

func mailRecord(seq, ref, to, tmpl string) events.DynamoDBEventRecord {
	return record(seq, map[string]string{"ref": ref, "to": to, "template": tmpl})
}

type adapter struct {
	h      *notifierstream.Handler
	outbox *notifiertest.Outbox
	sender *notifiertest.Sender
	logs   *bytes.Buffer
}

func newAdapter(refs ...string) *adapter {
	a := &adapter{outbox: notifiertest.NewOutbox(refs...), sender: &notifiertest.Sender{}, logs: &bytes.Buffer{}}
	log := slog.New(slog.NewJSONHandler(a.logs, nil))
	a.h = &notifierstream.Handler{
		Outbox: decoder{},
		Sender: &notifier.Notifier{Outbox: a.outbox, Sender: a.sender, Footer: mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"}, Log: log},
		Log:    log,
	}
	return a
}

func failed(resp events.DynamoDBEventResponse) []string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func TestABatchIsSentOnceAcrossRedeliveries(t *testing.T) {
	a := newAdapter("r1", "r2")
	batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		mailRecord("1", "r1", "ada@example.com", string(mail.RequestReceived)),
		record("2", map[string]string{"kind": "request"}), // not a mail
		mailRecord("3", "r2", "grace@example.com", string(mail.RequestReceived)),
	}}
	for range 3 {
		resp, err := a.h.Handle(context.Background(), batch)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("Handle = %+v, %v", resp, err)
		}
	}
	if n, m := len(a.sender.To("ada@example.com")), len(a.sender.To("grace@example.com")); n != 1 || m != 1 {
		t.Fatalf("%d and %d mails, want one to each", n, m)
	}
}

func TestOnlyTheRecordsNotSentAreRetried(t *testing.T) {
	a := newAdapter("good", "bad", "down")
	a.sender.FailNext(nil, errors.New("ses: throttled")) // the second send fails
	batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		mailRecord("10", "good", "good@example.com", string(mail.RequestReceived)),
		mailRecord("11", "bad", "bad@example.com", "no_such_template"),
		mailRecord("12", "down", "down@example.com", string(mail.RequestReceived)),
		mailRecord("13", "odd", "odd@example.com", "broken"),
	}}
	resp, err := a.h.Handle(context.Background(), batch)
	if err != nil {
		t.Fatalf("Handle = %v; an error would make the stream retry the whole batch", err)
	}
	if got := strings.Join(failed(resp), ","); got != "11,12,13" {
		t.Fatalf("batch item failures %q, want the unrenderable, the failed and the undecodable record: 11,12,13", got)
	}
	if n := len(a.sender.To("good@example.com")); n != 1 {
		t.Errorf("%d mails to the good address, want 1", n)
	}
	if e, _ := a.outbox.Entry("down"); e.State != notifiertest.Queued {
		t.Errorf("the failed intent is %+v, want it queued for the retry", e)
	}
	// The stream retries the failed records; now SES takes them.
	retry := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{batch.Records[1], batch.Records[2]}}
	resp, err = a.h.Handle(context.Background(), retry)
	if err != nil || strings.Join(failed(resp), ",") != "11" {
		t.Fatalf("retry: %+v, %v; want only the unrenderable record failing", resp, err)
	}
	if n := len(a.sender.To("down@example.com")); n != 1 {
		t.Errorf("%d mails after the retry, want 1", n)
	}
	for _, personal := range []string{"@example.com", "Ada"} {
		if strings.Contains(a.logs.String(), personal) {
			t.Errorf("logs contain %q: %s", personal, a.logs.String())
		}
	}
}
