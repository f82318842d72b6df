package ddb

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/claritru/privacy/shared/fault"
)

// The plumbing every store shares: keys, stored times, reads of one item or
// one partition, batch reads and deletes, and the mapping of SDK errors to
// fault kinds.

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

// stampLayout is fixed-width UTC with milliseconds, so that stored times
// compare correctly as strings in condition expressions and sort keys.
const stampLayout = "2006-01-02T15:04:05.000Z"

func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

// parseStamp reads a stored time; an empty one (an optional time not set)
// is the zero time, and one that does not parse is an error, never read as
// the zero time.
func parseStamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(stampLayout, s)
	if err != nil {
		return time.Time{}, fault.Wrap(fault.Internal, "a stored time is corrupt", err)
	}
	return t, nil
}

// stampReader reads stored times, keeping the first that does not parse, so
// that a conversion of several checks once, at its end.
type stampReader struct{ err error }

func (p *stampReader) at(s string) time.Time {
	t, err := parseStamp(s)
	if err != nil && p.err == nil {
		p.err = err
	}
	return t
}

func optStamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return stamp(t)
}

// getItem reads one item with a strongly consistent read into out, and
// reports whether it exists.
func getItem(ctx context.Context, db *dynamodb.Client, table, pk, sk string, out any) (bool, error) {
	res, err := db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(table), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, classify(err)
	}
	if res.Item == nil {
		return false, nil
	}
	return true, attributevalue.UnmarshalMap(res.Item, out)
}

// partition reads the items of one partition whose sort key begins with
// prefix (all of them when prefix is empty), with consistent reads, page by
// page; projection, when given, limits the attributes read.
func partition(ctx context.Context, db *dynamodb.Client, table, pk, prefix, projection string) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(table),
		KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk},
		},
		ConsistentRead: aws.Bool(true),
	}
	if prefix != "" {
		in.KeyConditionExpression = aws.String("pk = :pk AND begins_with(sk, :prefix)")
		in.ExpressionAttributeValues[":prefix"] = &types.AttributeValueMemberS{Value: prefix}
	}
	if projection != "" {
		in.ProjectionExpression = aws.String(projection)
	}
	var out []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, classify(err)
		}
		out = append(out, page.Items...)
	}
	return out, nil
}

// cancelled returns, for a cancelled transaction, which of its items failed
// their condition; nil for any other outcome.
func cancelled(err error) []bool {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return nil
	}
	failed := make([]bool, len(tc.CancellationReasons))
	any := false
	for i, r := range tc.CancellationReasons {
		if aws.ToString(r.Code) == "ConditionalCheckFailed" {
			failed[i], any = true, true
		}
	}
	if !any {
		return nil
	}
	return failed
}

// classify maps SDK errors to fault kinds: throttling is TooMany; a table
// that cannot be reached or fails on its side (Unavailable) is something
// the caller may retry shortly; the rest Internal.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var throttled *types.ProvisionedThroughputExceededException
	var limit *types.RequestLimitExceeded
	var tc *types.TransactionCanceledException
	var conflict *types.TransactionConflictException
	if errors.As(err, &throttled) || errors.As(err, &limit) || errors.As(err, &conflict) {
		return fault.Wrap(fault.TooMany, "The service is busy; try again shortly.", err)
	}
	if unavailable(err) {
		return fault.Wrap(fault.Unavailable, "The service is unavailable for a moment; try again shortly.", err)
	}
	if errors.As(err, &tc) {
		// Only a conflict with another transaction or throttling is worth
		// retrying; anything else (validation, item size) is ours.
		for _, r := range tc.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
				return fault.Wrap(fault.TooMany, "The service is busy; try again shortly.", err)
			}
		}
		return fault.Wrap(fault.Internal, "storage transaction cancelled", err)
	}
	return fault.Wrap(fault.Internal, "storage error", err)
}

// unavailable reports whether err means the table could not answer: no
// connection (refused, reset, timed out), a 5xx from DynamoDB, the SDK's
// retry quota spent on such errors, or the handler's own deadline passed
// while waiting for it. Nothing is half-written (a transaction is applied
// whole or not at all), but a write sent before the connection failed may
// have been applied: the caller's retry is one the double-submit guard and
// idempotency keys make safe for requests.
func unavailable(err error) bool {
	var send *smithyhttp.RequestSendError
	var server *types.InternalServerError
	var quota ratelimit.QuotaExceededError
	var resp *awshttp.ResponseError
	switch {
	case errors.As(err, &send), errors.As(err, &server), errors.As(err, &quota):
		return true
	case errors.As(err, &resp) && resp.HTTPStatusCode() >= 500:
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

func skOf(item map[string]types.AttributeValue) string {
	if v, ok := item["sk"].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func keyString(k map[string]types.AttributeValue) string {
	pk, _ := k["pk"].(*types.AttributeValueMemberS)
	sk, _ := k["sk"].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return ""
	}
	return pk.Value + "\x00" + sk.Value
}

// batchGet reads items with consistent reads, 100 keys a call, retrying
// unprocessed keys.
func batchGet(ctx context.Context, db *dynamodb.Client, table string, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	for len(keys) > 0 {
		n := min(len(keys), 100)
		req := map[string]types.KeysAndAttributes{table: {Keys: keys[:n], ConsistentRead: aws.Bool(true)}}
		keys = keys[n:]
		err := retry(ctx, unprocessed, func(int) error {
			res, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return classify(err)
			}
			out = append(out, res.Responses[table]...)
			if req = res.UnprocessedKeys; len(req) > 0 {
				return again(errUnprocessed)
			}
			return nil
		})
		if errors.Is(err, errUnprocessed) {
			return nil, fault.Wrap(fault.TooMany, "The service is busy; try again.", err)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// batchDelete deletes items 25 a call, retrying unprocessed deletes with a
// growing pause (unprocessed). Deleting an item that is gone changes nothing. On failure it
// returns the deletes not done.
func batchDelete(ctx context.Context, db *dynamodb.Client, table string, deletes []types.WriteRequest) ([]types.WriteRequest, error) {
	for len(deletes) > 0 {
		n := min(len(deletes), batchSize)
		pending := deletes[:n]
		rest := deletes[n:]
		err := retry(ctx, unprocessed, func(int) error {
			out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{table: pending},
			})
			if err != nil {
				return classify(err)
			}
			if pending = out.UnprocessedItems[table]; len(pending) > 0 {
				return again(errUnprocessed)
			}
			return nil
		})
		if errors.Is(err, errUnprocessed) {
			err = fault.Wrap(fault.TooMany, "The service is busy; try again.", err)
		}
		if err != nil {
			return append(pending, rest...), err
		}
		deletes = rest
	}
	return nil, nil
}

// applied reads the outcome of a conditional write: false, and no error,
// when its condition did not hold.
func applied(err error) (bool, error) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, classify(err)
	}
	return true, nil
}
