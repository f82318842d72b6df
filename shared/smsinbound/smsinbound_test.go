package smsinbound

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/topology"
)

type receiver struct {
	got []consent.Reply
	err error
}

func (r *receiver) Receive(_ context.Context, rep consent.Reply) (consent.ReplyResult, error) {
	r.got = append(r.got, rep)
	return consent.ReplyResult{Keyword: consent.ParseKeyword(rep.Body)}, r.err
}

func event(messages ...string) events.SNSEvent {
	var ev events.SNSEvent
	for i, m := range messages {
		ev.Records = append(ev.Records, events.SNSEventRecord{SNS: events.SNSEntity{MessageID: "sns-" + string(rune('a'+i)), Message: m}})
	}
	return ev
}

const stop = `{"originationNumber":"+14155550123","destinationNumber":"+12515550100","messageKeyword":"KEYWORD_STOP","messageBody":"please stop now","inboundMessageId":"in-1"}`

func TestHandleReadsEndUserMessagingReplies(t *testing.T) {
	var logs bytes.Buffer
	r := &receiver{}
	h := &Handler{Service: r, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	if err := h.Handle(context.Background(), event(stop, "not json")); err != nil {
		t.Fatal(err)
	}
	if len(r.got) != 1 || r.got[0] != (consent.Reply{From: "+14155550123", Body: "please stop now", MessageID: "in-1"}) {
		t.Fatalf("replies %+v", r.got)
	}
	if !strings.Contains(logs.String(), `"keyword":"STOP"`) || !strings.Contains(logs.String(), "unknown shape refused") {
		t.Errorf("logs:\n%s", logs.String())
	}
	for _, s := range []string{"5550123", "please stop"} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log carries %q", s)
		}
	}
}

// A number the service cannot read is dropped (retrying changes nothing);
// a failure of the store fails the invocation, so Lambda retries it.
func TestHandleErrors(t *testing.T) {
	h := &Handler{Service: &receiver{err: fault.New(fault.Invalid, "bad number")}, Log: slog.New(slog.DiscardHandler)}
	if err := h.Handle(context.Background(), event(stop)); err != nil {
		t.Errorf("an unreadable number failed the invocation: %v", err)
	}
	down := errors.New("table down")
	h.Service = &receiver{err: down}
	if err := h.Handle(context.Background(), event(stop)); !errors.Is(err, down) {
		t.Errorf("err = %v, want the store's", err)
	}
}

// mails is a deliverability service that records what it is given.
type mails struct {
	got []deliverability.Event
	err error
}

func (m *mails) Receive(_ context.Context, ev deliverability.Event) (deliverability.Outcome, error) {
	m.got = append(m.got, ev)
	return deliverability.Outcome{Marked: 1}, m.err
}

// sesBounce is SES's example bounce record, shortened to what SES always
// sends.
const sesBounce = `{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",` +
	`"bouncedRecipients":[{"emailAddress":"recipient@example.com","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],` +
	`"timestamp":"2017-08-05T00:41:02.669Z","feedbackId":"01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000","reportingMTA":"dsn; mta.example.com"},` +
	`"mail":{"timestamp":"2017-08-05T00:40:02.012Z","source":"Sender Name <sender@example.com>","sendingAccountId":"123456789012",` +
	`"messageId":"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000","destination":["recipient@example.com"]}}`

// TestHandleTellsTextsFromMailEvents: each message goes to the service of
// its shape, and a message whose shape and topic disagree goes to none.
func TestHandleTellsTextsFromMailEvents(t *testing.T) {
	var logs bytes.Buffer
	r, m := &receiver{}, &mails{}
	h := &Handler{Service: r, Mail: m, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	ev := event(stop, sesBounce, sesBounce, stop)
	ev.Records[2].SNS.TopicArn = "arn:aws:sns:us-east-1:000000000000:" + topology.TopicSMSInbound
	ev.Records[3].SNS.TopicArn = "arn:aws:sns:us-east-1:000000000000:" + topology.TopicMailEvents
	if err := h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if len(r.got) != 1 || len(m.got) != 1 || m.got[0].Type != deliverability.TypeBounce {
		t.Fatalf("texts %+v, mail events %+v: want one of each", r.got, m.got)
	}
	if strings.Count(logs.String(), "refused") != 2 || strings.Contains(logs.String(), "recipient@example.com") {
		t.Errorf("logs:\n%s", logs.String())
	}
	m.err = errors.New("table down")
	if err := h.Handle(context.Background(), event(sesBounce)); !errors.Is(err, m.err) {
		t.Errorf("err = %v, want the store's", err)
	}
	h.Mail = nil
	if err := h.Handle(context.Background(), event(sesBounce)); err != nil {
		t.Errorf("a mail event with no service to take it failed the invocation: %v", err)
	}
}
