package ddb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// Update implements request.Store: the whole request item is replaced on the
// condition that its version is still the one read, with the audit event and
// the mail in the same transaction.
func (s *Requests) Update(ctx context.Context, c request.Change) error {
	av, err := attributevalue.MarshalMap(toRequestItem(c.Request))
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName:           aws.String(s.table),
		Item:                av,
		ConditionExpression: aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":v": &types.AttributeValueMemberN{Value: fmt.Sprint(c.FromVersion)},
		},
	}}}
	ev, err := eventPut(c.Request.ID, c.Event)
	if err != nil {
		return err
	}
	ev.Put.TableName = aws.String(s.table)
	items = append(items, ev)
	if c.Mail != nil {
		mp, err := mailPut(prefixRequest+c.Request.ID, *c.Mail, c.Event.At)
		if err != nil {
			return err
		}
		mp.Put.TableName = aws.String(s.table)
		items = append(items, mp)
	}
	if c.TokenHash != "" {
		pk := prefixToken + c.TokenHash
		n := len(items)
		items, err = appendPut(items, tokenItem{
			PK: pk, SK: sortToken, Kind: "token", RequestID: c.Request.ID, ValidUntil: stamp(c.TokenExpiresAt),
			expiry: expires(retention.VerificationToken, pk, sortToken, c.Event.At),
		}, "attribute_not_exists(pk)", nil)
		if err != nil {
			return err
		}
		items[n].Put.TableName = aws.String(s.table)
	}
	if c.VoidTokenHash != "" {
		// The link the new one replaces stops working in the same
		// transaction: only the newest link verifies.
		items = append(items, voidToken(s.table, c.VoidTokenHash, &types.AttributeValueMemberS{Value: stamp(c.Event.At)}))
	}
	// An authorized agent's request tells the agent of the change by
	// status callback, queued with the change or not at all.
	before := c.Request
	before.Status = c.Event.From
	cb, err := callbackPut(s.table, before, c.Request, c.Event.ID, c.Event.At)
	if err != nil {
		return err
	}
	if cb != nil {
		items = append(items, *cb)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if cancelled(err) != nil {
		return fault.Wrap(fault.Conflict, "The request changed meanwhile; reload it and try again.", err)
	}
	return classify(err)
}

// Events implements request.Store: one query of the request's partition.
func (s *Requests) Events(ctx context.Context, id string) ([]request.Event, error) {
	var out []request.Event
	found, err := partition(ctx, s.db, s.table, prefixRequest+id, prefixEvent, "")
	if err != nil {
		return nil, err
	}
	var items []eventItem
	if err := attributevalue.UnmarshalListOfMaps(found, &items); err != nil {
		return nil, err
	}
	for _, it := range items {
		e, err := it.event()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// MailLog implements request.Store.
func (s *Requests) MailLog(ctx context.Context, id string) ([]mail.Record, error) {
	return mailRecords(ctx, s.db, s.table, prefixRequest+id)
}

// Queue implements request.Store: a query of the by-status-due index, never a
// scan. The cursor is the index position to continue from.
func (s *Requests) Queue(ctx context.Context, status request.Status, dueBefore time.Time, cursor string, limit int) ([]request.Request, string, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(topology.IndexByStatus),
		KeyConditionExpression: aws.String("gsi2pk = :st"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":st": &types.AttributeValueMemberS{Value: prefixStatus + string(status)},
		},
		Limit: aws.Int32(int32(limit)),
	}
	if !dueBefore.IsZero() {
		in.KeyConditionExpression = aws.String("gsi2pk = :st AND gsi2sk < :due")
		in.ExpressionAttributeValues[":due"] = &types.AttributeValueMemberS{Value: stamp(dueBefore)}
	}
	if cursor != "" {
		start, err := decodeCursor(cursor, status)
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = start
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", classify(err)
	}
	var items []requestItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, "", err
	}
	rs := make([]request.Request, len(items))
	for i, it := range items {
		if rs[i], err = it.request(); err != nil {
			return nil, "", err
		}
	}
	return rs, encodeCursor(out.LastEvaluatedKey), nil
}

// A cursor is the index position as base64url JSON of its four string keys.
type cursorKey struct {
	PK     string `json:"pk"`
	SK     string `json:"sk"`
	GSI2PK string `json:"s"`
	GSI2SK string `json:"d"`
}

func encodeCursor(k map[string]types.AttributeValue) string {
	if len(k) == 0 {
		return ""
	}
	get := func(name string) string {
		if v, ok := k[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	b, _ := json.Marshal(cursorKey{PK: get("pk"), SK: get("sk"), GSI2PK: get("gsi2pk"), GSI2SK: get("gsi2sk")})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, status request.Status) (map[string]types.AttributeValue, error) {
	bad := func() error {
		var f fault.Fields
		f.Add("cursor", "is not a cursor this query returned")
		return f.Err()
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 {
		return nil, bad()
	}
	var c cursorKey
	if json.Unmarshal(b, &c) != nil || c.PK == "" || c.SK == "" || c.GSI2SK == "" || c.GSI2PK != prefixStatus+string(status) {
		return nil, bad()
	}
	return map[string]types.AttributeValue{
		"pk":     &types.AttributeValueMemberS{Value: c.PK},
		"sk":     &types.AttributeValueMemberS{Value: c.SK},
		"gsi2pk": &types.AttributeValueMemberS{Value: c.GSI2PK},
		"gsi2sk": &types.AttributeValueMemberS{Value: c.GSI2SK},
	}, nil
}
