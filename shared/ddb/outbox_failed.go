package ddb

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MarkFailed implements shared/notifier.Outbox: the claimed intent is failed
// for good, with the provider's error code. It leaves the outbox index, so
// no re-drive puts it back on the stream, and loses its raw single-use link
// as a sent one does. It keeps its unsent_mail expiry (30 days from
// queueing): an address that was refused is no reason to keep the record
// longer.
func (o *Outbox) MarkFailed(ctx context.Context, ref, code string, now time.Time) error {
	k, err := refKey(ref)
	if err != nil {
		return err
	}
	if len(code) > 100 {
		code = code[:100]
	}
	_, err = o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(o.table),
		Key:                 k,
		UpdateExpression:    aws.String("SET #st = :failed, failed_at = :now, last_error = :code REMOVE #data.#verify, #data.#confirm, #data.#code, gsi2pk, gsi2sk"),
		ConditionExpression: aws.String("#st = :sending"),
		ExpressionAttributeNames: map[string]string{
			"#st": "status", "#data": "data", "#verify": verifyField, "#confirm": confirmField, "#code": codeField,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":failed":  &types.AttributeValueMemberS{Value: mailFailed},
			":sending": &types.AttributeValueMemberS{Value: mailSending},
			":now":     &types.AttributeValueMemberS{Value: stamp(now)},
			":code":    &types.AttributeValueMemberS{Value: code},
		},
	})
	return classify(err)
}
