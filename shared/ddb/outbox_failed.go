package ddb

import (
	"context"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/mail"
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
		UpdateExpression:    aws.String("SET #st = :failed, failed_at = :now, last_error = :code REMOVE #data.#verify, #data.#confirm, gsi2pk, gsi2sk"),
		ConditionExpression: aws.String("#st = :sending"),
		ExpressionAttributeNames: map[string]string{
			"#st": "status", "#data": "data", "#verify": verifyField, "#confirm": confirmField,
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

// RequestMail lists the mail of one request, oldest first, as staff see it:
// template, status, times, attempts and the error a failed mail ended with;
// never the address or the content.
func (o *Outbox) RequestMail(ctx context.Context, requestID string) ([]mail.Record, error) {
	items, err := partition(ctx, o.db, o.table, prefixRequest+requestID, prefixMail, "")
	if err != nil {
		return nil, err
	}
	var its []mailItem
	if err := attributevalue.UnmarshalListOfMaps(items, &its); err != nil {
		return nil, err
	}
	// Intent ids are ULIDs: by id is by queueing time.
	sort.Slice(its, func(i, j int) bool { return its[i].ID < its[j].ID })
	out := make([]mail.Record, 0, len(its))
	var ts stampReader
	for _, it := range its {
		r := mail.Record{ID: it.ID, Template: mail.Template(it.Template), Status: it.Status, Attempts: it.Attempts,
			SentAt: ts.at(it.SentAt), FailedAt: ts.at(it.FailedAt)}
		if it.Status == mailFailed {
			// A failed mail's error is the provider's code (MarkFailed);
			// a release reason of one still queued is not shown.
			r.Error = it.LastError
		}
		out = append(out, r)
	}
	return out, ts.err
}
