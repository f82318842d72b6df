package ddb

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
)

// Mail that belongs to no single record (the privacy team's deadline digest)
// is queued on its own, in a partition of the team's:
// (teamDigestPK; see layout.go). It is the same mail item every record's
// outbox uses, so the notifier's stream handler sends it like any other mail.
// Its content is request ids, due dates, statuses and types: no requester's
// personal data.

// Enqueue queues a mail to the privacy team. It is idempotent on the intent
// id: queueing the same intent again writes nothing and is no error, so a
// retried run never sends a second mail for one intent.
func (o *Outbox) Enqueue(ctx context.Context, in mail.Intent) error {
	if in.ID == "" {
		return fault.New(fault.Internal, "a mail intent needs an id")
	}
	put, err := mailPut(teamDigestPK, in, time.Now())
	if err != nil {
		return err
	}
	put.Put.TableName = aws.String(o.table)
	_, err = o.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           put.Put.TableName,
		Item:                put.Put.Item,
		ConditionExpression: put.Put.ConditionExpression,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	return classify(err)
}
