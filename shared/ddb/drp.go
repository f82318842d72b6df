package ddb

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/drp"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/topology"
)

// The Data Rights Protocol's items (shared/drp).
const (
	prefixDRPToken = "DRPTOKEN#"
	prefixDRPAgent = "DRPAGENT#"
	prefixDRPSeen  = "DRPSEEN#"
	sortDRPToken   = "DRPTOKEN"
	sortDRPAgent   = "DRPAGENT"
	sortDRPSeen    = "DRPSEEN"
	prefixCallback = "CALLBACK#"
	// callbacksQueued is the by-status-due partition of callbacks waiting
	// for their next attempt.
	callbacksQueued = "CALLBACKS#queued"
	// KindCallback is the kind of a status callback item: its insertion
	// is what the agent function posts.
	KindCallback = topology.KindDRPCallback
)

// DRP implements drp.Store: pair-wise tokens and replay marks.
type DRP struct {
	db    *dynamodb.Client
	table string
}

var _ drp.Store = (*DRP)(nil)

// NewDRP returns the protocol's store on the named table.
func NewDRP(db *dynamodb.Client, table string) *DRP { return &DRP{db: db, table: table} }

// drpTokenItem is a pair-wise token, stored as its hash.
//
//	pk = DRPTOKEN#<sha256 of the token>  sk = DRPTOKEN
//	no index; replaced_at once a later setup replaced it (it no longer works);
//	DynamoDB's TTL removes a replaced token a day after it was replaced
type drpTokenItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Kind     string `dynamodbav:"kind"`
	AgentID  string `dynamodbav:"agent_id"`
	IssuedAt string `dynamodbav:"issued_at"`
	// ReplacedAt is when a later setup replaced the token.
	ReplacedAt string `dynamodbav:"replaced_at,omitempty"`
}

// drpAgentItem names an agent's current token.
//
//	pk = DRPAGENT#<agent id>  sk = DRPAGENT
type drpAgentItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Kind      string `dynamodbav:"kind"`
	TokenHash string `dynamodbav:"token_hash"`
	IssuedAt  string `dynamodbav:"issued_at"`
}

// SaveToken implements drp.Store: the new token, the agent's pointer to it
// and the removal of the token it replaces are one transaction, on the
// condition that no other setup replaced it meanwhile.
func (s *DRP) SaveToken(ctx context.Context, agentID, tokenHash string, at time.Time) error {
	var cur drpAgentItem
	found, err := getItem(ctx, s.db, s.table, prefixDRPAgent+agentID, sortDRPAgent, &cur)
	if err != nil {
		return err
	}
	tok, err := attributevalue.MarshalMap(drpTokenItem{PK: prefixDRPToken + tokenHash, SK: sortDRPToken, Kind: "drp_token", AgentID: agentID, IssuedAt: stamp(at)})
	if err != nil {
		return err
	}
	ag, err := attributevalue.MarshalMap(drpAgentItem{PK: prefixDRPAgent + agentID, SK: sortDRPAgent, Kind: "drp_agent", TokenHash: tokenHash, IssuedAt: stamp(at)})
	if err != nil {
		return err
	}
	agentPut := &types.Put{TableName: aws.String(s.table), Item: ag, ConditionExpression: aws.String("attribute_not_exists(pk)")}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.table), Item: tok, ConditionExpression: aws.String("attribute_not_exists(pk)")}}}
	if found {
		agentPut.ConditionExpression = aws.String("token_hash = :old")
		agentPut.ExpressionAttributeValues = map[string]types.AttributeValue{":old": &types.AttributeValueMemberS{Value: cur.TokenHash}}
		// The token it replaces is marked, not deleted: a public
		// function deletes nothing.
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.table), Key: key(prefixDRPToken+cur.TokenHash, sortDRPToken),
			UpdateExpression:         aws.String("SET replaced_at = :at, #ttl = :ttl"),
			ExpressionAttributeNames: map[string]string{"#ttl": "ttl"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":at":  &types.AttributeValueMemberS{Value: stamp(at)},
				":ttl": &types.AttributeValueMemberN{Value: fmt.Sprint(at.Add(24 * time.Hour).Unix())},
			},
		}})
	}
	items = append(items, types.TransactWriteItem{Put: agentPut})
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if cancelled(err) != nil {
		return fault.Wrap(fault.Conflict, "Another token was set up meanwhile; try again.", err)
	}
	return classify(err)
}

// TokenAgent implements drp.Store.
func (s *DRP) TokenAgent(ctx context.Context, tokenHash string) (string, error) {
	var it drpTokenItem
	found, err := getItem(ctx, s.db, s.table, prefixDRPToken+tokenHash, sortDRPToken, &it)
	if err != nil {
		return "", err
	}
	if !found || it.ReplacedAt != "" {
		return "", fault.New(fault.NotFound, "No such token.")
	}
	return it.AgentID, nil
}

// drpSeenItem is the replay mark of a signed message.
//
//	pk = DRPSEEN#<sha256 of the message>  sk = DRPSEEN
//	no index; ttl a day after the message expires (a message past its
//	expires-at is refused anyway, so the mark is needed only until then);
//	released_at when what the message asked for failed (it may be sent again)
type drpSeenItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Kind    string `dynamodbav:"kind"`
	AgentID string `dynamodbav:"agent_id"`
	Until   string `dynamodbav:"until"`
	TTL     int64  `dynamodbav:"ttl"`
}

// Mark implements drp.Store.
func (s *DRP) Mark(ctx context.Context, agentID, messageHash string, until time.Time) error {
	av, err := attributevalue.MarshalMap(drpSeenItem{
		PK: prefixDRPSeen + messageHash, SK: sortDRPSeen, Kind: "drp_seen", AgentID: agentID,
		Until: stamp(until), TTL: until.Add(24 * time.Hour).Unix(),
	})
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av,
		ConditionExpression: aws.String("attribute_not_exists(pk) OR attribute_exists(released_at)")})
	ok, err := applied(err)
	if err == nil && !ok {
		return fault.New(fault.Conflict, "This message was already used.")
	}
	return err
}

// Unmark implements drp.Store: the mark is released (a public function
// deletes nothing), and the message may be taken again.
func (s *DRP) Unmark(ctx context.Context, messageHash string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: key(prefixDRPSeen+messageHash, sortDRPSeen),
		UpdateExpression:          aws.String("SET released_at = :now"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberS{Value: stamp(time.Now())}},
	})
	_, err = applied(err)
	return err
}

// callbackItem is a status callback, an outbox item in its request's
// partition, removed with the request.
//
//	pk = REQ#<request id>  sk = CALLBACK#<callback id (sorts by time)>
//	gsi2: CALLBACKS#queued / <next attempt>#<request id>#<callback id> while
//	it waits for an attempt; none once delivered or given up
//	status queued | delivered | failed | superseded (a later one of the request
//	came first); attempts, last_code, delivered_at
type callbackItem struct {
	PK          string `dynamodbav:"pk"`
	SK          string `dynamodbav:"sk"`
	Kind        string `dynamodbav:"kind"`
	GSI2PK      string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK      string `dynamodbav:"gsi2sk,omitempty"`
	URL         string `dynamodbav:"url"`
	Body        string `dynamodbav:"body"`
	Status      string `dynamodbav:"status"`
	Attempts    int    `dynamodbav:"attempts"`
	QueuedAt    string `dynamodbav:"queued_at"`
	LastCode    int    `dynamodbav:"last_code,omitempty"`
	LastAt      string `dynamodbav:"last_at,omitempty"`
	DeliveredAt string `dynamodbav:"delivered_at,omitempty"`
}

// callbackPut is the status callback of a change of an agent's request,
// written in the change's transaction; none when the request has no
// callback or its protocol status did not change.
func callbackPut(table string, before, after request.Request, id string, at time.Time) (*types.TransactWriteItem, error) {
	p := after.Protocol
	if p == nil || p.StatusCallback == "" || !drp.Changed(before, after) {
		return nil, nil
	}
	body, err := json.Marshal(drp.StatusOf(after, ""))
	if err != nil {
		return nil, err
	}
	av, err := attributevalue.MarshalMap(callbackItem{
		PK: prefixRequest + after.ID, SK: prefixCallback + id, Kind: KindCallback,
		GSI2PK: callbacksQueued, GSI2SK: stamp(at) + "#" + after.ID + "#" + id,
		URL: p.StatusCallback, Body: string(body), Status: "queued", QueuedAt: stamp(at),
	})
	if err != nil {
		return nil, err
	}
	return &types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: av}}, nil
}

// Callbacks implements drp.CallbackStore.
type Callbacks struct {
	db    *dynamodb.Client
	table string
}

var _ drp.CallbackStore = (*Callbacks)(nil)

// NewCallbacks returns the callbacks' store on the named table.
func NewCallbacks(db *dynamodb.Client, table string) *Callbacks {
	return &Callbacks{db: db, table: table}
}

func (it callbackItem) callback() drp.Callback {
	return drp.Callback{
		RequestID: strings.TrimPrefix(it.PK, prefixRequest), ID: strings.TrimPrefix(it.SK, prefixCallback),
		URL: it.URL, Body: []byte(it.Body), Attempts: it.Attempts,
	}
}

// Decode finds the new callback a change of the table writes.
func (c *Callbacks) Decode(ch Change) (drp.Callback, bool, error) {
	if ch.Event != ChangeInsert || ch.New == nil {
		return drp.Callback{}, false, nil
	}
	var it callbackItem
	if err := attributevalue.UnmarshalMap(ch.New, &it); err != nil {
		return drp.Callback{}, false, err
	}
	if it.Kind != KindCallback || it.Status != "queued" {
		return drp.Callback{}, false, nil
	}
	return it.callback(), true, nil
}

func callbackKey(cb drp.Callback) map[string]types.AttributeValue {
	return key(prefixRequest+cb.RequestID, prefixCallback+cb.ID)
}

// callbackLease is how long a claimed callback is out of the schedule's
// reach: one post's time and a margin, so the schedule does not post it a
// second time while the stream's delivery is under way, and takes it up
// again if that delivery died.
const callbackLease = drp.CallbackTimeout + 50*time.Second

// Claim implements drp.CallbackStore: attempts goes up by one on the
// condition that it is still the one read, and the callback is leased.
func (c *Callbacks) Claim(ctx context.Context, cb drp.Callback, at time.Time) error {
	_, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(c.table), Key: callbackKey(cb),
		UpdateExpression:         aws.String("SET attempts = :next, last_at = :at, gsi2sk = :lease"),
		ConditionExpression:      aws.String("#st = :queued AND attempts = :n"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":next":   &types.AttributeValueMemberN{Value: fmt.Sprint(cb.Attempts + 1)},
			":n":      &types.AttributeValueMemberN{Value: fmt.Sprint(cb.Attempts)},
			":queued": &types.AttributeValueMemberS{Value: "queued"},
			":at":     &types.AttributeValueMemberS{Value: stamp(at)},
			":lease":  &types.AttributeValueMemberS{Value: stamp(at.Add(callbackLease)) + "#" + cb.RequestID + "#" + cb.ID},
		},
	})
	ok, err := applied(err)
	if err == nil && !ok {
		return fault.New(fault.Conflict, "The callback was taken by another delivery.")
	}
	return err
}

// Delivered implements drp.CallbackStore.
func (c *Callbacks) Delivered(ctx context.Context, cb drp.Callback, code int, at time.Time) error {
	_, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(c.table), Key: callbackKey(cb),
		UpdateExpression:         aws.String("SET #st = :done, last_code = :code, delivered_at = :at REMOVE gsi2pk, gsi2sk"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":done": &types.AttributeValueMemberS{Value: "delivered"},
			":code": &types.AttributeValueMemberN{Value: fmt.Sprint(code)},
			":at":   &types.AttributeValueMemberS{Value: stamp(at)},
		},
	})
	return classify(err)
}

// Failed implements drp.CallbackStore.
func (c *Callbacks) Failed(ctx context.Context, cb drp.Callback, code int, next time.Time) error {
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(c.table), Key: callbackKey(cb),
		UpdateExpression:         aws.String("SET last_code = :code, gsi2sk = :due"),
		ExpressionAttributeNames: nil,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":code": &types.AttributeValueMemberN{Value: fmt.Sprint(code)},
			":due":  &types.AttributeValueMemberS{Value: stamp(next) + "#" + cb.RequestID + "#" + cb.ID},
		},
	}
	if next.IsZero() {
		in.UpdateExpression = aws.String("SET last_code = :code, #st = :failed REMOVE gsi2pk, gsi2sk")
		in.ExpressionAttributeNames = map[string]string{"#st": "status"}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":code":   &types.AttributeValueMemberN{Value: fmt.Sprint(code)},
			":failed": &types.AttributeValueMemberS{Value: "failed"},
		}
	}
	_, err := c.db.UpdateItem(ctx, in)
	return classify(err)
}

// Supersede implements drp.CallbackStore: one query of the request's
// partition for a callback after this one (sort keys sort by time), and
// the end of this one on the condition that it is still queued.
func (c *Callbacks) Supersede(ctx context.Context, cb drp.Callback) (bool, error) {
	out, err := c.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(c.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :after AND :end"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: prefixRequest + cb.RequestID},
			":after": &types.AttributeValueMemberS{Value: prefixCallback + cb.ID + "#"},
			":end":   &types.AttributeValueMemberS{Value: prefixCallback + "~"},
		},
		ProjectionExpression: aws.String("pk, sk"),
		Limit:                aws.Int32(1),
	})
	if err != nil {
		return false, classify(err)
	}
	if len(out.Items) == 0 {
		return false, nil
	}
	_, err = c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(c.table), Key: callbackKey(cb),
		UpdateExpression:         aws.String("SET #st = :sup REMOVE gsi2pk, gsi2sk"),
		ConditionExpression:      aws.String("#st = :queued"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sup":    &types.AttributeValueMemberS{Value: "superseded"},
			":queued": &types.AttributeValueMemberS{Value: "queued"},
		},
	})
	if _, err := applied(err); err != nil {
		return false, err
	}
	return true, nil
}

// Due implements drp.CallbackStore: one query of the by-status-due index.
func (c *Callbacks) Due(ctx context.Context, now time.Time, limit int) ([]drp.Callback, error) {
	out, err := c.db.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(c.table), IndexName: aws.String(topology.IndexByStatus),
		KeyConditionExpression: aws.String("gsi2pk = :q AND gsi2sk < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":q":   &types.AttributeValueMemberS{Value: callbacksQueued},
			":now": &types.AttributeValueMemberS{Value: stamp(now)},
		},
		Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, classify(err)
	}
	var items []callbackItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, err
	}
	cbs := make([]drp.Callback, len(items))
	for i, it := range items {
		cbs[i] = it.callback()
	}
	return cbs, nil
}

// CallbackRecord is one callback as staff and tests read it.
type CallbackRecord struct {
	ID          string
	Status      string
	Attempts    int
	LastCode    int
	DeliveredAt string
	Body        string
}

// OfRequest returns a request's callbacks, oldest first.
func (c *Callbacks) OfRequest(ctx context.Context, requestID string) ([]CallbackRecord, error) {
	found, err := partition(ctx, c.db, c.table, prefixRequest+requestID, prefixCallback, "")
	if err != nil {
		return nil, err
	}
	var items []callbackItem
	if err := attributevalue.UnmarshalListOfMaps(found, &items); err != nil {
		return nil, err
	}
	out := make([]CallbackRecord, len(items))
	for i, it := range items {
		out[i] = CallbackRecord{ID: strings.TrimPrefix(it.SK, prefixCallback), Status: it.Status, Attempts: it.Attempts,
			LastCode: it.LastCode, DeliveredAt: it.DeliveredAt, Body: it.Body}
	}
	return out, nil
}
