package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// capture watches every call of a DynamoDB client: it asks DynamoDB Local
// for the capacity each consumed (TOTAL and by index), and keeps what each
// wrote and read, the items before and after every write read back through
// a client of its own, so that the arithmetic can price them.
type capture struct {
	plain *dynamodb.Client // unwatched, for reading items back
	table Table

	mu     sync.Mutex
	writes []Write
	reads  []Read
	calls  map[string]int
	// Local's own figures: what DynamoDB Local said the calls consumed.
	localRead, localWrite, localIndex float64
}

// option adds the capture to a client.
func (c *capture) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("bench-capture", c.handle), middleware.Before)
	})
}

// reset forgets what was captured.
func (c *capture) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes, c.reads, c.calls = nil, nil, map[string]int{}
	c.localRead, c.localWrite, c.localIndex = 0, 0, 0
}

// pending is a write in flight: its key and kind, the item before it.
type pending struct {
	kind   string
	tx     bool
	table  string
	key    Item
	before Item
}

func (c *capture) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	indexes := types.ReturnConsumedCapacityIndexes
	var ws []pending
	call := ""
	switch v := in.Parameters.(type) {
	case *dynamodb.PutItemInput:
		v.ReturnConsumedCapacity, call = indexes, "PutItem"
		ws = append(ws, pending{kind: "put", table: aws.ToString(v.TableName), key: c.table.Key(v.Item)})
	case *dynamodb.UpdateItemInput:
		v.ReturnConsumedCapacity, call = indexes, "UpdateItem"
		ws = append(ws, pending{kind: "update", table: aws.ToString(v.TableName), key: v.Key})
	case *dynamodb.DeleteItemInput:
		v.ReturnConsumedCapacity, call = indexes, "DeleteItem"
		ws = append(ws, pending{kind: "delete", table: aws.ToString(v.TableName), key: v.Key})
	case *dynamodb.BatchWriteItemInput:
		v.ReturnConsumedCapacity, call = indexes, "BatchWriteItem"
		for t, reqs := range v.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					ws = append(ws, pending{kind: "put", table: t, key: c.table.Key(r.PutRequest.Item)})
				} else if r.DeleteRequest != nil {
					ws = append(ws, pending{kind: "delete", table: t, key: r.DeleteRequest.Key})
				}
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		v.ReturnConsumedCapacity, call = indexes, "TransactWriteItems"
		for _, ti := range v.TransactItems {
			ws = append(ws, transactPending(c.table, ti))
		}
	case *dynamodb.GetItemInput:
		v.ReturnConsumedCapacity, call = indexes, "GetItem"
	case *dynamodb.BatchGetItemInput:
		v.ReturnConsumedCapacity, call = indexes, "BatchGetItem"
	case *dynamodb.QueryInput:
		v.ReturnConsumedCapacity, call = indexes, "Query"
	case *dynamodb.ScanInput:
		v.ReturnConsumedCapacity, call = indexes, "Scan"
	case *dynamodb.TransactGetItemsInput:
		v.ReturnConsumedCapacity, call = indexes, "TransactGetItems"
	}
	for i := range ws {
		ws[i].before = c.get(ctx, ws[i].table, ws[i].key, true)
	}
	out, md, err := next.HandleInitialize(ctx, in)
	failed := err != nil && conditionFailed(err)
	if err != nil && !failed {
		return out, md, err
	}
	var done []Write
	for _, p := range ws {
		w := Write{Kind: p.kind, Tx: p.tx, Failed: failed, Before: p.before}
		if !failed && p.kind != "check" {
			w.After = c.get(ctx, p.table, p.key, true)
		} else {
			w.After = p.before
		}
		done = append(done, w)
	}
	var rd []Read
	if err == nil {
		rd = c.readsOf(ctx, in.Parameters)
	}
	c.record(call, done, rd, consumed(out.Result))
	return out, md, err
}

// transactPending is one item of a transaction.
func transactPending(t Table, ti types.TransactWriteItem) pending {
	switch {
	case ti.Put != nil:
		return pending{kind: "put", tx: true, table: aws.ToString(ti.Put.TableName), key: t.Key(ti.Put.Item)}
	case ti.Update != nil:
		return pending{kind: "update", tx: true, table: aws.ToString(ti.Update.TableName), key: ti.Update.Key}
	case ti.Delete != nil:
		return pending{kind: "delete", tx: true, table: aws.ToString(ti.Delete.TableName), key: ti.Delete.Key}
	default:
		return pending{kind: "check", tx: true, table: aws.ToString(ti.ConditionCheck.TableName), key: ti.ConditionCheck.Key}
	}
}

// conditionFailed tells a write DynamoDB refused on its condition (which
// it still charges) from other errors.
func conditionFailed(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.ErrorCode() == "ConditionalCheckFailedException" || ae.ErrorCode() == "TransactionCanceledException"
}

// get reads one whole item back, nil when there is none.
func (c *capture) get(ctx context.Context, table string, key Item, consistent bool) Item {
	out, err := c.plain.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(consistent)})
	if err != nil || len(out.Item) == 0 {
		return nil
	}
	return out.Item
}

// readsOf reads again, whole and unfiltered, what a read call read:
// DynamoDB charges a read for the items it reads, not for the attributes
// projected or the items a filter keeps.
func (c *capture) readsOf(ctx context.Context, params any) []Read {
	switch v := params.(type) {
	case *dynamodb.GetItemInput:
		cons := aws.ToBool(v.ConsistentRead)
		return []Read{{Items: []Item{c.get(ctx, aws.ToString(v.TableName), v.Key, cons)}, PerItem: true, Consistent: cons}}
	case *dynamodb.BatchGetItemInput:
		var out []Read
		for t, ka := range v.RequestItems {
			r := Read{PerItem: true, Consistent: aws.ToBool(ka.ConsistentRead)}
			for _, k := range ka.Keys {
				r.Items = append(r.Items, c.get(ctx, t, k, r.Consistent))
			}
			out = append(out, r)
		}
		return out
	case *dynamodb.TransactGetItemsInput:
		r := Read{PerItem: true, Consistent: true, Tx: true}
		for _, ti := range v.TransactItems {
			r.Items = append(r.Items, c.get(ctx, aws.ToString(ti.Get.TableName), ti.Get.Key, true))
		}
		return []Read{r}
	case *dynamodb.QueryInput:
		q := &dynamodb.QueryInput{
			TableName: v.TableName, IndexName: v.IndexName, KeyConditionExpression: v.KeyConditionExpression,
			ExclusiveStartKey: v.ExclusiveStartKey, Limit: v.Limit, ScanIndexForward: v.ScanIndexForward, ConsistentRead: v.ConsistentRead,
		}
		q.ExpressionAttributeNames, q.ExpressionAttributeValues = usedIn(aws.ToString(v.KeyConditionExpression), v.ExpressionAttributeNames, v.ExpressionAttributeValues)
		out, err := c.plain.Query(ctx, q)
		if err != nil {
			return nil
		}
		return []Read{{Items: out.Items, Consistent: aws.ToBool(v.ConsistentRead)}}
	case *dynamodb.ScanInput:
		s := &dynamodb.ScanInput{TableName: v.TableName, IndexName: v.IndexName, ExclusiveStartKey: v.ExclusiveStartKey,
			Limit: v.Limit, Segment: v.Segment, TotalSegments: v.TotalSegments, ConsistentRead: v.ConsistentRead}
		out, err := c.plain.Scan(ctx, s)
		if err != nil {
			return nil
		}
		return []Read{{Items: out.Items, Consistent: aws.ToBool(v.ConsistentRead)}}
	}
	return nil
}

// usedIn keeps the expression's names and values that expr uses (DynamoDB
// refuses unused ones).
func usedIn(expr string, names map[string]string, values map[string]types.AttributeValue) (map[string]string, map[string]types.AttributeValue) {
	var n map[string]string
	var v map[string]types.AttributeValue
	for k, x := range names {
		if strings.Contains(expr, k) {
			if n == nil {
				n = map[string]string{}
			}
			n[k] = x
		}
	}
	for k, x := range values {
		if strings.Contains(expr, k) {
			if v == nil {
				v = map[string]types.AttributeValue{}
			}
			v[k] = x
		}
	}
	return n, v
}

// localFigure is what DynamoDB Local reported for one call.
type localFigure struct {
	write       bool
	total, gsis float64
}

// consumed reads the consumed capacity DynamoDB Local returned.
func consumed(result any) localFigure {
	sum := func(write bool, cs ...types.ConsumedCapacity) localFigure {
		f := localFigure{write: write}
		for _, c := range cs {
			f.total += aws.ToFloat64(c.CapacityUnits)
			for _, g := range c.GlobalSecondaryIndexes {
				f.gsis += aws.ToFloat64(g.CapacityUnits)
			}
		}
		return f
	}
	one := func(write bool, c *types.ConsumedCapacity) localFigure {
		if c == nil {
			return localFigure{write: write}
		}
		return sum(write, *c)
	}
	switch r := result.(type) {
	case *dynamodb.PutItemOutput:
		return one(true, r.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		return one(true, r.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		return one(true, r.ConsumedCapacity)
	case *dynamodb.BatchWriteItemOutput:
		return sum(true, r.ConsumedCapacity...)
	case *dynamodb.TransactWriteItemsOutput:
		return sum(true, r.ConsumedCapacity...)
	case *dynamodb.GetItemOutput:
		return one(false, r.ConsumedCapacity)
	case *dynamodb.BatchGetItemOutput:
		return sum(false, r.ConsumedCapacity...)
	case *dynamodb.QueryOutput:
		return one(false, r.ConsumedCapacity)
	case *dynamodb.ScanOutput:
		return one(false, r.ConsumedCapacity)
	case *dynamodb.TransactGetItemsOutput:
		return sum(false, r.ConsumedCapacity...)
	}
	return localFigure{}
}

func (c *capture) record(call string, ws []Write, rs []Read, f localFigure) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	if call != "" {
		c.calls[call]++
	}
	c.writes = append(c.writes, ws...)
	c.reads = append(c.reads, rs...)
	if f.write {
		c.localWrite += f.total
	} else {
		c.localRead += f.total
	}
	c.localIndex += f.gsis
}

// Usage is what one operation cost, three ways.
type Usage struct {
	Calls map[string]float64 `json:"calls"`
	// Items written (each Put, Update, Delete and ConditionCheck) and
	// index entries written.
	ItemWrites  float64 `json:"item_writes"`
	TxItems     float64 `json:"transaction_items"`
	IndexWrites float64 `json:"index_writes"`
	// WCU and RCU from the items' sizes; Arith* by count (every item and
	// index entry within 1 KB, every read within 4 KB); Local* as DynamoDB
	// Local reported them (LocalIndexWCU: its per-index figures).
	WCU        float64 `json:"wcu"`
	ArithWCU   float64 `json:"arith_wcu"`
	LocalWCU   float64 `json:"local_wcu"`
	RCU        float64 `json:"rcu"`
	ArithRCU   float64 `json:"arith_rcu"`
	LocalRCU   float64 `json:"local_rcu"`
	LocalIndex float64 `json:"local_index_cu"`
	MaxItem    int     `json:"largest_item_bytes"`
	// Over lists the kinds of item (key prefixes) whose writes cost more
	// than the count: an item over 1 KB, or an index entry over it.
	Over []string `json:"over_1kb,omitempty"`
}

// usage prices what was captured since the last reset, divided by n
// operations.
func (c *capture) usage(n int) Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := Usage{Calls: map[string]float64{}}
	var wc WriteCost
	over := map[string]int{}
	for _, w := range c.writes {
		cost := c.table.Cost(w)
		wc = wc.Add(cost)
		if cost.TableUnits+cost.IndexUnits > cost.TableArith+cost.IndexArith {
			it := w.After
			if it == nil {
				it = w.Before
			}
			over[fmt.Sprintf("%s %s (%d B)", kindOf(it, c.table.PK), kindOf(it, c.table.SK), max(ItemSize(w.Before), ItemSize(w.After)))]++
		}
		u.ItemWrites++
		if w.Tx {
			u.TxItems++
		}
		u.MaxItem = max(u.MaxItem, ItemSize(w.Before), ItemSize(w.After))
	}
	for _, r := range c.reads {
		rc := r.Cost()
		u.RCU += rc.Units
		u.ArithRCU += rc.Arith
	}
	for _, k := range slices.Sorted(maps.Keys(over)) {
		u.Over = append(u.Over, fmt.Sprintf("%s x%d", k, over[k]))
	}
	f := float64(n)
	for k, v := range c.calls {
		u.Calls[k] = float64(v) / f
	}
	u.IndexWrites = float64(wc.IndexWrites)
	u.WCU = float64(wc.TableUnits+wc.IndexUnits) / f
	u.ArithWCU = float64(wc.TableArith+wc.IndexArith) / f
	u.RCU /= f
	u.ArithRCU /= f
	u.LocalWCU, u.LocalRCU, u.LocalIndex = c.localWrite/f, c.localRead/f, c.localIndex/f
	u.ItemWrites /= f
	u.TxItems /= f
	u.IndexWrites /= f
	return u
}

// kindOf is a key attribute's value up to its first '#': the kind of item,
// without the identifier (a subject's keyed hash, an id).
func kindOf(it Item, attr string) string {
	v, ok := it[attr].(*types.AttributeValueMemberS)
	if !ok {
		return "-"
	}
	if i := strings.IndexByte(v.Value, '#'); i >= 0 {
		return v.Value[:i+1] + "…"
	}
	return v.Value
}
