// Package smsinbound is the inbound function's adapter: it reads the
// two-way SMS messages AWS End User Messaging SMS publishes to an SNS topic
// and hands each to the consent service (consent.Service.Receive). Locally
// the SMS sink (shared/localcloud) builds the same SNS event.
package smsinbound

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/fault"
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

// Handler handles the topic's events.
type Handler struct {
	Service Receiver
	Log     *slog.Logger
}

// Handle acts on every text of an event. A message that cannot be read or
// comes from no valid number is logged and dropped: retrying changes
// nothing. Any other error fails the invocation, and Lambda's asynchronous
// retries (then the dead-letter queue) take the event again; a STOP acted
// on twice changes nothing the second time.
func (h *Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	var errs []error
	for _, rec := range ev.Records {
		var m Message
		if err := json.Unmarshal([]byte(rec.SNS.Message), &m); err != nil {
			h.Log.WarnContext(ctx, "inbound text unreadable", "sns_message_id", rec.SNS.MessageID)
			continue
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
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
