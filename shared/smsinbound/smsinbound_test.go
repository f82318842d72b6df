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
	"github.com/claritru/privacy/shared/fault"
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
	if !strings.Contains(logs.String(), `"keyword":"STOP"`) || !strings.Contains(logs.String(), "unreadable") {
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
