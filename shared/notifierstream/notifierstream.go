// Package notifierstream is the notifier function's Lambda adapter: it takes a
// batch of the table's stream as Lambda delivers it, decodes the mail intents
// the records queue and hands each to shared/notifier. A record that fails is
// reported as a batch item failure, so the stream retries it without holding
// up the rest of the batch.
package notifierstream

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/mail"
)

// Decoder finds the mail intent a change of the table queues (ddb.Outbox).
type Decoder interface {
	Decode(ctx context.Context, c ddb.Change) (in mail.Intent, ref string, ok bool, err error)
}

// Sender sends one queued intent (notifier.Notifier).
type Sender interface {
	Send(ctx context.Context, in mail.Intent, ref string) error
}

// Handler handles DynamoDB stream batches.
type Handler struct {
	Outbox Decoder
	Sender Sender
	Log    *slog.Logger
}

// Handle processes one batch and reports the records to retry.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return EachRecord(ctx, ev, h.Log, "mail not sent", h.one), nil
}

// EachRecord hands each record of a batch to one and reports those it
// failed as batch item failures, so the stream retries them without
// holding up the rest of the batch. Only the event id and the error text
// are logged, under failed: never an address or a body.
func EachRecord(ctx context.Context, ev events.DynamoDBEvent, log *slog.Logger, failed string,
	one func(context.Context, events.DynamoDBEventRecord) error) events.DynamoDBEventResponse {
	var resp events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		if err := one(ctx, rec); err != nil {
			log.ErrorContext(ctx, failed, "event_id", rec.EventID, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{
				ItemIdentifier: rec.Change.SequenceNumber,
			})
		}
	}
	return resp
}

func (h *Handler) one(ctx context.Context, rec events.DynamoDBEventRecord) error {
	c, err := Change(rec)
	if err != nil {
		return err
	}
	in, ref, ok, err := h.Outbox.Decode(ctx, c)
	if err != nil || !ok {
		return err
	}
	return h.Sender.Send(ctx, in, ref)
}

// Change converts a stream record as Lambda delivers it into the table's
// change, with the SDK's attribute values, which the item structs are
// unmarshalled from.
func Change(rec events.DynamoDBEventRecord) (ddb.Change, error) {
	c := ddb.Change{Event: rec.EventName}
	var err error
	if c.New, err = image(rec.Change.NewImage); err != nil {
		return ddb.Change{}, fmt.Errorf("new image: %w", err)
	}
	if c.Old, err = image(rec.Change.OldImage); err != nil {
		return ddb.Change{}, fmt.Errorf("old image: %w", err)
	}
	return c, nil
}

func image(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	if img == nil {
		return nil, nil
	}
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		av, err := value(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func value(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		l := v.List()
		out := make([]types.AttributeValue, len(l))
		for i, e := range l {
			av, err := value(e)
			if err != nil {
				return nil, err
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := image(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %v", v.DataType())
}
