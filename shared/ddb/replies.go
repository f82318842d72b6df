package ddb

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ledger"
	"github.com/claritru/privacy/shared/mail"
)

var _ consent.ReplyStore = (*Consents)(nil)

// QueueText implements consent.ReplyStore: the text goes in the number's
// partition, once per intent id.
func (s *Consents) QueueText(ctx context.Context, subjectKey string, in mail.Intent, at time.Time) error {
	put, err := mailPut(prefixSubject+subjectKey, in, at)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: put.Put.Item, ConditionExpression: put.Put.ConditionExpression,
	})
	_, err = applied(err)
	return err
}

// History implements consent.ReplyStore.
func (s *Consents) History(ctx context.Context, subjectKey string) ([]ledger.Event, error) {
	events, _, err := NewLedger(s.db, s.table).Chain(ctx, subjectKey)
	return events, err
}
