package ddb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/notifier"
)

const (
	kindMail    = "mail"
	mailQueued  = "queued"
	mailSending = "sending"
	mailSent    = "sent"
	// ClaimLease is how long a claim holds before another invocation may take
	// the intent over (the sender crashed between claim and send).
	ClaimLease = 2 * time.Minute
	// verifyField and confirmField are removed from an intent once its mail
	// is sent: a raw single-use link lives in the table only until it is
	// delivered.
	verifyField  = "verify_url"
	confirmField = "confirm_url"
)

// Outbox implements notifier.Outbox on the table.
type Outbox struct {
	db    *dynamodb.Client
	table string
}

var _ notifier.Outbox = (*Outbox)(nil)

// NewOutbox returns an Outbox on the named table.
func NewOutbox(db *dynamodb.Client, table string) *Outbox {
	return &Outbox{db: db, table: table}
}

// Decode implements notifier.Outbox: only inserts of queued mail items count.
func (o *Outbox) Decode(rec events.DynamoDBEventRecord) (mail.Intent, string, bool, error) {
	if rec.EventName != string(events.DynamoDBOperationTypeInsert) {
		return mail.Intent{}, "", false, nil
	}
	img := rec.Change.NewImage
	if img["kind"].DataType() != events.DataTypeString || img["kind"].String() != kindMail {
		return mail.Intent{}, "", false, nil
	}
	av, err := FromStreamImage(img)
	if err != nil {
		return mail.Intent{}, "", false, err
	}
	var it mailItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return mail.Intent{}, "", false, fmt.Errorf("decode mail item: %w", err)
	}
	if it.Status != mailQueued {
		return mail.Intent{}, "", false, nil
	}
	in := mail.Intent{ID: it.ID, Template: mail.Template(it.Template), To: it.To, Data: it.Data}
	return in, it.PK + "\x00" + it.SK, true, nil
}

func refKey(ref string) (map[string]types.AttributeValue, error) {
	pk, sk, ok := strings.Cut(ref, "\x00")
	if !ok {
		return nil, errors.New("malformed outbox reference")
	}
	return key(pk, sk), nil
}

// Claim implements notifier.Outbox with a conditional update: queued, or a
// claim older than the lease, becomes this invocation's.
func (o *Outbox) Claim(ctx context.Context, ref string, now time.Time) (notifier.Claim, error) {
	k, err := refKey(ref)
	if err != nil {
		return 0, err
	}
	nowAV := &types.AttributeValueMemberS{Value: stamp(now)}
	staleAV := &types.AttributeValueMemberS{Value: stamp(now.Add(-ClaimLease))}
	_, err = o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(o.table),
		Key:                 k,
		UpdateExpression:    aws.String("SET #st = :sending, claimed_at = :now ADD attempts :one"),
		ConditionExpression: aws.String("#st = :queued OR (#st = :sending AND claimed_at < :stale)"),
		ExpressionAttributeNames: map[string]string{
			"#st": "status",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": &types.AttributeValueMemberS{Value: mailSending},
			":queued":  &types.AttributeValueMemberS{Value: mailQueued},
			":one":     &types.AttributeValueMemberN{Value: "1"},
			":now":     nowAV,
			":stale":   staleAV,
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if len(ccf.Item) == 0 {
			// The intent is gone: erased with its subject's data
			// (shared/subjectdata). There is nothing, and no one, to send to.
			return notifier.AlreadySent, nil
		}
		var it mailItem
		if err := attributevalue.UnmarshalMap(ccf.Item, &it); err != nil {
			return 0, err
		}
		if it.Status == mailSent {
			return notifier.AlreadySent, nil
		}
		return notifier.Busy, nil
	}
	if err != nil {
		return 0, classify(err)
	}
	return notifier.Claimed, nil
}

// MarkSent implements notifier.Outbox.
func (o *Outbox) MarkSent(ctx context.Context, ref, messageID string, now time.Time) error {
	k, err := refKey(ref)
	if err != nil {
		return err
	}
	nowAV := &types.AttributeValueMemberS{Value: stamp(now)}
	_, err = o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(o.table),
		Key:                 k,
		UpdateExpression:    aws.String("SET #st = :sent, sent_at = :now, message_id = :id REMOVE #data.#verify, #data.#confirm, last_error"),
		ConditionExpression: aws.String("#st = :sending"),
		ExpressionAttributeNames: map[string]string{
			"#st": "status", "#data": "data", "#verify": verifyField, "#confirm": confirmField,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent":    &types.AttributeValueMemberS{Value: mailSent},
			":sending": &types.AttributeValueMemberS{Value: mailSending},
			":id":      &types.AttributeValueMemberS{Value: messageID},
			":now":     nowAV,
		},
	})
	return classify(err)
}

// Release implements notifier.Outbox: the intent is queued again with the
// reason it failed.
func (o *Outbox) Release(ctx context.Context, ref, reason string) error {
	k, err := refKey(ref)
	if err != nil {
		return err
	}
	if len(reason) > 500 {
		reason = reason[:500]
	}
	_, err = o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(o.table),
		Key:                 k,
		UpdateExpression:    aws.String("SET #st = :queued, last_error = :reason"),
		ConditionExpression: aws.String("#st = :sending"),
		ExpressionAttributeNames: map[string]string{
			"#st": "status",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":queued":  &types.AttributeValueMemberS{Value: mailQueued},
			":sending": &types.AttributeValueMemberS{Value: mailSending},
			":reason":  &types.AttributeValueMemberS{Value: reason},
		},
	})
	return classify(err)
}
