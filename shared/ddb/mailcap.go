package ddb

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/retention"
)

// mailCounterItem counts one day's capped mail of one bucket to one
// recipient, by the ids of the intents it admitted: admitting the same
// intent again (a send retried after a failure) counts it once.
//
//	pk = MAILCAP#<recipient subject key>#<bucket>#<yyyy-mm-dd>   sk = MAILCAP
//	expiry: mail_counter from the start of its day
type mailCounterItem struct {
	PK      string   `dynamodbav:"pk"`
	SK      string   `dynamodbav:"sk"`
	Kind    string   `dynamodbav:"kind"`
	Intents []string `dynamodbav:"intents,stringset"`
	expiry
}

// mailCounterPK is the counter of a recipient's bucket on the UTC day of at.
func mailCounterPK(recipientKey, bucket string, at time.Time) string {
	return prefixMailCap + recipientKey + "#" + bucket + "#" + at.UTC().Format(expiryDay)
}

// Admit implements shared/notifier.Outbox: one conditional update adds the
// intent to its recipient's counter for the day of now, on the condition
// that the counter holds fewer than the cap's intents or holds this one
// already. Concurrent senders line up on the one item, so no more than the
// cap are ever admitted. False, and nothing written, when the cap is reached.
func (o *Outbox) Admit(ctx context.Context, recipientKey string, lim mail.Limit, intentID string, now time.Time) (bool, error) {
	pk := mailCounterPK(recipientKey, lim.Bucket, now)
	day, _ := time.Parse(expiryDay, now.UTC().Format(expiryDay))
	exp, names, values := expires(retention.MailCounter, pk, sortMailCap, day).set(":e")
	names["#in"] = "intents"
	maps.Copy(values, map[string]types.AttributeValue{
		":id":    &types.AttributeValueMemberSS{Value: []string{intentID}},
		":one":   &types.AttributeValueMemberS{Value: intentID},
		":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(lim.PerDay)},
		":kind":  &types.AttributeValueMemberS{Value: kindMailCounter},
	})
	_, err := o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(o.table),
		Key:                       key(pk, sortMailCap),
		UpdateExpression:          aws.String("ADD #in :id SET kind = :kind, " + exp),
		ConditionExpression:       aws.String("attribute_not_exists(#in) OR size(#in) < :limit OR contains(#in, :one)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	return applied(err)
}

// Hold implements shared/notifier.Outbox: a claimed intent over its cap is
// marked held with the reason, for staff to see, and is never sent. It leaves
// the outbox index (nothing re-drives it), its single-use link is removed
// (it will not be delivered), and it is kept 30 days from holding
// (held_mail).
func (o *Outbox) Hold(ctx context.Context, ref, reason string, now time.Time) error {
	k, err := refKey(ref)
	if err != nil {
		return err
	}
	pk, sk, _ := strings.Cut(ref, "\x00")
	exp, names, values := expires(retention.HeldMail, pk, sk, now).set(":e")
	maps.Copy(names, map[string]string{
		"#st": "status", "#data": "data", "#verify": verifyField, "#confirm": confirmField, "#code": codeField,
	})
	maps.Copy(values, map[string]types.AttributeValue{
		":held":    &types.AttributeValueMemberS{Value: mailHeld},
		":sending": &types.AttributeValueMemberS{Value: mailSending},
		":reason":  &types.AttributeValueMemberS{Value: reason},
		":now":     &types.AttributeValueMemberS{Value: stamp(now)},
	})
	_, err = o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(o.table),
		Key:                       k,
		UpdateExpression:          aws.String("SET #st = :held, held_at = :now, held_reason = :reason, " + exp + " REMOVE #data.#verify, #data.#confirm, #data.#code, last_error, gsi2pk, gsi2sk"),
		ConditionExpression:       aws.String("#st = :sending"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	return classify(err)
}

// mailRecords reads the mail items of a partition as staff see them, oldest
// first (intent ids sort by time): never the address or the content.
func mailRecords(ctx context.Context, db *dynamodb.Client, table, pk string) ([]mail.Record, error) {
	found, err := partition(ctx, db, table, pk, prefixMail, "")
	if err != nil {
		return nil, err
	}
	var items []mailItem
	if err := attributevalue.UnmarshalListOfMaps(found, &items); err != nil {
		return nil, err
	}
	out := make([]mail.Record, 0, len(items))
	for _, it := range items {
		rec, err := it.record()
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// record is the mail as staff see it: a failed mail's error is the
// provider's code (MarkFailed); the release reason of one still queued is
// not shown.
func (it mailItem) record() (mail.Record, error) {
	sent, err := parseStamp(it.SentAt)
	failed, ferr := parseStamp(it.FailedAt)
	undeliverable, uerr := parseStamp(it.UndeliverableAt)
	rec := mail.Record{
		ID: it.ID, Template: mail.Template(it.Template), Status: it.Status, Attempts: it.Attempts,
		SentAt: sent, FailedAt: failed, HeldReason: it.HeldReason,
		Undeliverable: it.UndeliverableReason, UndeliverableAt: undeliverable,
	}
	if it.Status == mailFailed {
		rec.Error = it.LastError
	}
	return rec, errors.Join(err, ferr, uerr)
}
