package ddb

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ledger"
)

// People's hash-chained ledgers (shared/ledger): each event an item of the
// person's partition, its head beside them.

// ledgerItem is one event of a person's hash-chained ledger; the head item
// beside it holds the last sequence number and hash, and every append is
// conditional on it, so concurrent appends cannot fork the chain.
//
//	pk = SUBJ#<key>   sk = LEDGER#<seq, 12 digits>
//	pk = SUBJ#<key>   sk = LEDGER                    (head)
//	expiry on consent events once superseded or withdrawn (consent_evidence); no TTL
//
// The sweep replaces an expired event with a stub: event = "pruned", with
// subject, seq, prev_hash and hash, the time, the event's kind
// (pruned_event), its expiry (pruned_expiry) and pruned_at; no fields or id.
// The chain still verifies (ledger.Event.Pruned).
type ledgerItem struct {
	PK       string            `dynamodbav:"pk"`
	SK       string            `dynamodbav:"sk"`
	Kind     string            `dynamodbav:"kind"`
	Subject  string            `dynamodbav:"subject"`
	Seq      int64             `dynamodbav:"seq"`
	ID       string            `dynamodbav:"id"`
	At       string            `dynamodbav:"at"`
	Event    string            `dynamodbav:"event"`
	Fields   map[string]string `dynamodbav:"fields"`
	PrevHash string            `dynamodbav:"prev_hash"`
	Hash     string            `dynamodbav:"hash"`
	PrunedAt string            `dynamodbav:"pruned_at,omitempty"`
	// A stub says which event it was and the expiry it was pruned at.
	PrunedEvent  string `dynamodbav:"pruned_event,omitempty"`
	PrunedExpiry string `dynamodbav:"pruned_expiry,omitempty"`
	expiry
}

type headItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Seq  int64  `dynamodbav:"seq"`
	Hash string `dynamodbav:"hash"`
}

// appendEvents returns the writes that append events, in order, after head
// (nil for a new chain): the events, and the head moved on to the last on the
// condition that nobody moved it first. It returns the sealed events.
func appendEvents(table string, head *ledger.Head, events ...ledger.Event) ([]types.TransactWriteItem, []ledger.Event, error) {
	var writes []types.TransactWriteItem
	sealed := make([]ledger.Event, len(events))
	h := head
	for i, e := range events {
		if h == nil {
			e = ledger.Next(nil, e)
		} else {
			e = ledger.NextAfter(*h, e)
		}
		sealed[i] = e
		next := ledger.HeadOf(e)
		h = &next
		av, err := attributevalue.MarshalMap(ledgerItem{
			PK: prefixSubject + e.Subject, SK: ledgerSort(e.Seq), Kind: "ledger", Subject: e.Subject,
			Seq: e.Seq, ID: e.ID, At: stamp(e.At), Event: e.Kind, Fields: e.Fields, PrevHash: e.PrevHash, Hash: e.Hash,
		})
		if err != nil {
			return nil, nil, err
		}
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(table), Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}})
	}
	if len(events) == 0 {
		return nil, nil, nil
	}
	last := sealed[len(sealed)-1]
	update := &types.Update{
		TableName:        aws.String(table),
		Key:              key(prefixSubject+last.Subject, sortHead),
		UpdateExpression: aws.String("SET seq = :seq, #h = :hash"),
		ExpressionAttributeNames: map[string]string{
			"#h": "hash",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":seq":  &types.AttributeValueMemberN{Value: fmt.Sprint(last.Seq)},
			":hash": &types.AttributeValueMemberS{Value: last.Hash},
		},
	}
	if head == nil {
		update.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		update.ConditionExpression = aws.String("seq = :prev")
		update.ExpressionAttributeValues[":prev"] = &types.AttributeValueMemberN{Value: fmt.Sprint(head.Seq)}
	}
	return append(writes, types.TransactWriteItem{Update: update}), sealed, nil
}

// heads reads the ledger heads of subjects with consistent reads.
func heads(ctx context.Context, db *dynamodb.Client, table string, subjects []string) (map[string]*ledger.Head, error) {
	out := map[string]*ledger.Head{}
	var keys []map[string]types.AttributeValue
	seen := map[string]bool{}
	for _, sub := range subjects {
		if !seen[sub] {
			seen[sub] = true
			keys = append(keys, key(prefixSubject+sub, sortHead))
		}
	}
	items, err := batchGet(ctx, db, table, keys)
	if err != nil {
		return nil, err
	}
	for _, item := range items {
		var h headItem
		if err := attributevalue.UnmarshalMap(item, &h); err != nil {
			return nil, err
		}
		out[strings.TrimPrefix(h.PK, prefixSubject)] = &ledger.Head{Seq: h.Seq, Hash: h.Hash}
	}
	return out, nil
}

// Ledger reads and appends to people's hash-chained ledgers on their own; an
// opt-out appends inside its own transaction.
type Ledger struct {
	db    *dynamodb.Client
	table string
}

// NewLedger returns the ledger store on the named table.
func NewLedger(db *dynamodb.Client, table string) *Ledger {
	return &Ledger{db: db, table: table}
}

// Append seals e after the subject's current head and writes it on the
// condition that the head did not move meanwhile, retrying when it did, so
// concurrent appends line up instead of forking the chain.
func (l *Ledger) Append(ctx context.Context, e ledger.Event) (ledger.Event, error) {
	var sealed ledger.Event
	err := retry(ctx, chainMoved, func(int) error {
		var h headItem
		found, err := getItem(ctx, l.db, l.table, prefixSubject+e.Subject, sortHead, &h)
		if err != nil {
			return err
		}
		var head *ledger.Head
		if found {
			head = &ledger.Head{Seq: h.Seq, Hash: h.Hash}
		}
		writes, events, err := appendEvents(l.table, head, e)
		if err != nil {
			return err
		}
		_, err = l.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		if cancelled(err) == nil {
			sealed = events[0]
			return classify(err)
		}
		return again(fault.Wrap(fault.Conflict, "The ledger moved meanwhile.", err))
	})
	return sealed, err
}

// Chain returns a subject's ledger in sequence order and its stored head.
func (l *Ledger) Chain(ctx context.Context, subjectKey string) ([]ledger.Event, ledger.Head, error) {
	var out []ledger.Event
	var head ledger.Head
	items, err := partition(ctx, l.db, l.table, prefixSubject+subjectKey, sortHead, "")
	if err != nil {
		return nil, head, err
	}
	for _, item := range items {
		if item["sk"].(*types.AttributeValueMemberS).Value == sortHead {
			var h headItem
			if err := attributevalue.UnmarshalMap(item, &h); err != nil {
				return nil, head, err
			}
			head = ledger.Head{Seq: h.Seq, Hash: h.Hash}
			continue
		}
		var it ledgerItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, head, err
		}
		at, err := parseStamp(it.At)
		if err != nil {
			return nil, head, err
		}
		out = append(out, ledger.Event{
			Subject: it.Subject, Seq: it.Seq, ID: it.ID, At: at, Kind: it.Event,
			Fields: it.Fields, PrevHash: it.PrevHash, Hash: it.Hash, Pruned: it.Event == eventPruned,
		})
		if it.Event == eventPruned {
			out[len(out)-1].Kind = it.PrunedEvent
		}
	}
	return out, head, nil
}
