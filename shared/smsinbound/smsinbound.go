// Package smsinbound is the inbound function's adapter: it reads the
// two-way SMS messages AWS End User Messaging SMS publishes to an SNS topic
// and hands each to the consent service (consent.Service.Receive), and the
// events SES publishes about the service's mail (bounces, complaints,
// rejections, deliveries) to another topic, and hands those to the
// deliverability service. Locally the SMS sink and the mail tap
// (shared/localcloud) build the same SNS events.
package smsinbound

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/topology"
)

// Message is the SNS message of one inbound text, as End User Messaging
// SMS publishes it.
type Message struct {
	OriginationNumber string `json:"originationNumber"`
	DestinationNumber string `json:"destinationNumber"`
	MessageKeyword    string `json:"messageKeyword"`
	MessageBody       string `json:"messageBody"`
	InboundMessageID  string `json:"inboundMessageId"`
}

// Receiver acts on a reply (consent.Service).
type Receiver interface {
	Receive(ctx context.Context, r consent.Reply) (consent.ReplyResult, error)
}

// MailEvents acts on an SES event (deliverability.Service).
type MailEvents interface {
	Receive(ctx context.Context, ev deliverability.Event) (deliverability.Outcome, error)
}

// Handler handles the topics' events.
type Handler struct {
	Service Receiver
	// Mail acts on the mail events; nil refuses them.
	Mail MailEvents
	Log  *slog.Logger
}

// Handle acts on every message of an event: a text, or an SES event
// record, told apart by their content (an SES record has an eventType and
// a mail object; a text an origination number and an inbound message id)
// and, where the topic's name is the topology's, by the topic too. A
// message of neither shape, one that cannot be read, or a text from no
// valid number is logged and dropped, with nothing written: retrying
// changes nothing. Any other error fails the invocation, and Lambda's
// asynchronous retries (then the dead-letter queue) take the event again;
// a STOP, a bounce or a complaint acted on twice changes nothing the
// second time.
func (h *Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	var errs []error
	for _, rec := range ev.Records {
		msg := []byte(rec.SNS.Message)
		topic := topicOf(rec.SNS.TopicArn)
		var err error
		switch {
		case deliverability.IsEvent(msg) && topic != topology.TopicSMSInbound:
			err = h.mailEvent(ctx, rec.SNS.MessageID, msg)
		case topic != topology.TopicMailEvents:
			err = h.text(ctx, rec.SNS.MessageID, msg)
		default:
			h.Log.WarnContext(ctx, "inbound message of unknown shape refused", "sns_message_id", rec.SNS.MessageID)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// topicOf is the topology's name of the topic of arn, when the topic has
// that name (the local cloud's do); empty when it has another.
func topicOf(arn string) string {
	name := arn[strings.LastIndex(arn, ":")+1:]
	if name == topology.TopicSMSInbound || name == topology.TopicMailEvents {
		return name
	}
	return ""
}

// text acts on one inbound text.
func (h *Handler) text(ctx context.Context, snsID string, msg []byte) error {
	var m Message
	if err := json.Unmarshal(msg, &m); err != nil || m.OriginationNumber == "" || m.InboundMessageID == "" {
		h.Log.WarnContext(ctx, "inbound message of unknown shape refused", "sns_message_id", snsID)
		return nil
	}
	res, err := h.Service.Receive(ctx, consent.Reply{From: m.OriginationNumber, Body: m.MessageBody, MessageID: m.InboundMessageID})
	switch k := fault.KindOf(err); {
	case err == nil:
		// The keyword and what changed; never the number or the words.
		h.Log.InfoContext(ctx, "inbound text", "inbound_id", m.InboundMessageID, "keyword", string(res.Keyword),
			"changed", len(res.Changed), "texted", res.Texted)
	case k == fault.Invalid || k == fault.Unprocessable:
		h.Log.WarnContext(ctx, "inbound text from no valid number", "inbound_id", m.InboundMessageID)
	default:
		h.Log.ErrorContext(ctx, "inbound text failed", "inbound_id", m.InboundMessageID, "kind", int(k))
		return err
	}
	return nil
}

// mailEvent acts on one SES event record. The log names the event's type
// and SES's message id, never an address.
func (h *Handler) mailEvent(ctx context.Context, snsID string, msg []byte) error {
	ev, err := deliverability.Parse(msg)
	if err != nil || h.Mail == nil {
		h.Log.WarnContext(ctx, "mail event refused", "sns_message_id", snsID, "reason", reasonOf(err))
		return nil
	}
	out, err := h.Mail.Receive(ctx, ev)
	if err != nil {
		h.Log.ErrorContext(ctx, "mail event failed", "ses_message_id", ev.MessageID, "event_type", ev.Type, "kind", int(fault.KindOf(err)))
		return err
	}
	h.Log.InfoContext(ctx, "mail event", "ses_message_id", ev.MessageID, "event_type", ev.Type, "bounce_type", ev.BounceType,
		"subtype", ev.BounceSubType, "marked", out.Marked, "repeated", out.Repeated, "counted", out.Counted)
	return nil
}

// reasonOf says why an event was refused; Parse's errors name fields,
// never values.
func reasonOf(err error) string {
	if err == nil {
		return "mail events are not taken here"
	}
	return err.Error()
}
