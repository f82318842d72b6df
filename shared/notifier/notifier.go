// Package notifier is the stream adapter that sends the outbox: for every new
// mail intent on the table's stream it claims the intent, renders it, sends it
// and marks it sent (design §3). A mail is sent at most once per intent; when
// sending fails the intent is released and the record reported as a batch item
// failure, so the stream retries it without holding up the rest of the batch.
package notifier

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/mail"
)

// Claim says whether an intent may be sent now.
type Claim int

const (
	// Claimed: this invocation owns the intent and must send it.
	Claimed Claim = iota
	// AlreadySent: nothing to do.
	AlreadySent
	// Busy: another invocation holds a fresh claim; retry later.
	Busy
)

// Outbox is the notifier's view of stored intents.
type Outbox interface {
	// Decode returns the mail intent a stream record carries, and false for
	// records that are not new intents.
	Decode(rec events.DynamoDBEventRecord) (in mail.Intent, ref string, ok bool, err error)
	Claim(ctx context.Context, ref string, now time.Time) (Claim, error)
	MarkSent(ctx context.Context, ref, messageID string, now time.Time) error
	Release(ctx context.Context, ref, reason string) error
}

// Sender delivers a rendered mail.
type Sender interface {
	Send(ctx context.Context, to string, m mail.Message) (messageID string, err error)
}

// Handler handles DynamoDB stream batches.
type Handler struct {
	Outbox Outbox
	Sender Sender
	Log    *slog.Logger
	Now    func() time.Time
}

// Handle processes one batch and reports the records to retry.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		if err := h.one(ctx, rec); err != nil {
			// Only ids and error text are logged: never an address or body.
			h.Log.ErrorContext(ctx, "mail not sent", "event_id", rec.EventID, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{
				ItemIdentifier: rec.Change.SequenceNumber,
			})
		}
	}
	return resp, nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) one(ctx context.Context, rec events.DynamoDBEventRecord) error {
	in, ref, ok, err := h.Outbox.Decode(rec)
	if err != nil || !ok {
		return err
	}
	msg, err := mail.Render(in)
	if err != nil {
		return err
	}
	claim, err := h.Outbox.Claim(ctx, ref, h.now())
	if err != nil {
		return err
	}
	switch claim {
	case AlreadySent:
		return nil
	case Busy:
		return errBusy
	}
	id, err := h.Sender.Send(ctx, in.To, msg)
	if err != nil {
		if rerr := h.Outbox.Release(ctx, ref, err.Error()); rerr != nil {
			h.Log.ErrorContext(ctx, "release failed", "intent", in.ID, "error", rerr.Error())
		}
		return err
	}
	h.Log.InfoContext(ctx, "mail sent", "intent", in.ID, "template", string(in.Template), "message_id", id)
	return h.Outbox.MarkSent(ctx, ref, id, h.now())
}

type busyError struct{}

func (busyError) Error() string { return "intent is being sent by another invocation" }

var errBusy error = busyError{}
