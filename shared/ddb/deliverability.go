package ddb

import (
	"context"
	"errors"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/retention"
)

const (
	sortUndeliverable  = "UNDELIVERABLE"
	kindUndeliverable  = "undeliverable"
	stateUndeliverable = "undeliverable"
	stateCleared       = "cleared"
	// mailUndeliverable is final: the address was marked undeliverable
	// when the mail's turn came (SkipUndeliverable); it is never sent.
	mailUndeliverable = mail.StatusUndeliverable
)

// undeliverableItem is an address's undeliverable mark (see layout.go).
//
//	pk = SUBJ#<email key>   sk = UNDELIVERABLE
//	state: undeliverable -> cleared (staff) -> undeliverable (a later event)
//	no expiry: kept while in effect, and once cleared as the record of who
//	cleared it and why; an erasure keeps it (it names no one but by the
//	keyed hash, and keeps the service from mailing a dead address again)
type undeliverableItem struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	Kind         string `dynamodbav:"kind"`
	State        string `dynamodbav:"state"`
	Reason       string `dynamodbav:"reason"`
	Subtype      string `dynamodbav:"subtype"`
	EventAt      string `dynamodbav:"event_at"`
	MarkedAt     string `dynamodbav:"marked_at"`
	SESMessageID string `dynamodbav:"ses_message_id"`
	// Events are the SES feedback ids recorded: an event delivered again
	// finds its id here and changes nothing.
	Events []string     `dynamodbav:"events,stringset"`
	Clears []clearEntry `dynamodbav:"clears,omitempty"`
}

type clearEntry struct {
	At     string `dynamodbav:"at"`
	Actor  string `dynamodbav:"actor"`
	Reason string `dynamodbav:"reason"`
	Was    string `dynamodbav:"was"`
}

// Marks is the table's store of undeliverable marks
// (deliverability.Marks).
type Marks struct {
	db    *dynamodb.Client
	table string
}

// NewMarks returns the marks on the named table.
func NewMarks(db *dynamodb.Client, table string) *Marks { return &Marks{db: db, table: table} }

var _ deliverability.Marks = (*Marks)(nil)

// Mark implements deliverability.Marks: one conditional update sets the
// mark and adds the event's id, unless the id is there already.
func (m *Marks) Mark(ctx context.Context, subjectKey string, mk deliverability.Mark, now time.Time) (bool, error) {
	_, err := m.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(m.table),
		Key:       key(prefixSubject+subjectKey, sortUndeliverable),
		UpdateExpression: aws.String("SET #kind = :kind, #state = :u, #reason = :r, #subtype = :st, event_at = :at, " +
			"marked_at = :now, ses_message_id = :mid ADD #events :ids"),
		ConditionExpression: aws.String("attribute_not_exists(#events) OR NOT contains(#events, :id)"),
		ExpressionAttributeNames: map[string]string{
			"#kind": "kind", "#state": "state", "#reason": "reason", "#subtype": "subtype", "#events": "events",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind": attrS(kindUndeliverable), ":u": attrS(stateUndeliverable), ":r": attrS(string(mk.Reason)),
			":st": attrS(mk.Subtype), ":at": attrS(stamp(mk.At)), ":now": attrS(stamp(now)), ":mid": attrS(mk.MessageID),
			":ids": &types.AttributeValueMemberSS{Value: []string{mk.EventID}}, ":id": attrS(mk.EventID),
		},
	})
	return applied(err)
}

// Status implements deliverability.Marks with a strongly consistent read.
func (m *Marks) Status(ctx context.Context, subjectKey string) (deliverability.Status, bool, error) {
	it, ok, err := m.get(ctx, subjectKey)
	if err != nil || !ok {
		return deliverability.Status{}, ok, err
	}
	st, err := it.status()
	return st, true, err
}

func (m *Marks) get(ctx context.Context, subjectKey string) (undeliverableItem, bool, error) {
	out, err := m.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(m.table), Key: key(prefixSubject+subjectKey, sortUndeliverable), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return undeliverableItem{}, false, classify(err)
	}
	if len(out.Item) == 0 {
		return undeliverableItem{}, false, nil
	}
	var it undeliverableItem
	err = attributevalue.UnmarshalMap(out.Item, &it)
	return it, err == nil, err
}

// Clear implements deliverability.Marks: the mark's state becomes cleared
// and the clearing is appended to its record, on the condition that the
// mark read is still the one in effect (a bounce in between is not
// cleared unseen).
func (m *Marks) Clear(ctx context.Context, subjectKey string, c deliverability.Clearance) (deliverability.Status, error) {
	it, ok, err := m.get(ctx, subjectKey)
	if err != nil {
		return deliverability.Status{}, err
	}
	if !ok || it.State != stateUndeliverable {
		return deliverability.Status{}, fault.New(fault.NotFound, "This address is not marked undeliverable.")
	}
	entry, err := attributevalue.Marshal([]clearEntry{{At: stamp(c.At), Actor: c.Actor, Reason: c.Reason, Was: it.Reason}})
	if err != nil {
		return deliverability.Status{}, err
	}
	out, err := m.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(m.table),
		Key:                      key(prefixSubject+subjectKey, sortUndeliverable),
		UpdateExpression:         aws.String("SET #state = :cleared, #clears = list_append(if_not_exists(#clears, :none), :c)"),
		ConditionExpression:      aws.String("#state = :u AND marked_at = :marked"),
		ExpressionAttributeNames: map[string]string{"#state": "state", "#clears": "clears"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":cleared": attrS(stateCleared), ":u": attrS(stateUndeliverable), ":marked": attrS(it.MarkedAt),
			":none": &types.AttributeValueMemberL{Value: []types.AttributeValue{}}, ":c": entry,
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return deliverability.Status{}, fault.New(fault.Conflict, "The mark changed meanwhile; read it again.")
	}
	if err != nil {
		return deliverability.Status{}, classify(err)
	}
	var after undeliverableItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &after); err != nil {
		return deliverability.Status{}, err
	}
	return after.status()
}

func (it undeliverableItem) status() (deliverability.Status, error) {
	at, err1 := parseStamp(it.EventAt)
	marked, err2 := parseStamp(it.MarkedAt)
	st := deliverability.Status{
		Undeliverable: it.State == stateUndeliverable,
		Mark: deliverability.Mark{
			Reason: deliverability.Reason(it.Reason), Subtype: it.Subtype, At: at, MessageID: it.SESMessageID,
		},
		MarkedAt: marked,
	}
	errs := []error{err1, err2}
	for _, c := range it.Clears {
		t, err := parseStamp(c.At)
		errs = append(errs, err)
		st.Clears = append(st.Clears, deliverability.Clearance{At: t, Actor: c.Actor, Reason: c.Reason, Was: deliverability.Reason(c.Was)})
	}
	return st, errors.Join(errs...)
}

// SkipUndeliverable implements shared/notifier.Undeliverable. It reads the
// mark of the address (strongly consistent); when the address is marked,
// one transaction ends the intent as undeliverable on the condition that
// the mark still holds and the intent is unclaimed (queued, or claimed by
// a sender whose lease lapsed). The intent leaves the outbox index
// (nothing re-drives it), its single-use link goes, and it is kept 30 days
// from then (held_mail), like mail held over a cap. False, and nothing
// written, when the address is not marked, or either condition fails: the
// caller's claim then decides.
func (o *Outbox) SkipUndeliverable(ctx context.Context, ref, addressKey string, now time.Time) (bool, error) {
	mk, ok, err := NewMarks(o.db, o.table).get(ctx, addressKey)
	if err != nil || !ok || mk.State != stateUndeliverable {
		return false, err
	}
	k, err := refKey(ref)
	if err != nil {
		return false, err
	}
	pk, sk, _ := strings.Cut(ref, "\x00")
	exp, names, values := expires(retention.HeldMail, pk, sk, now).set(":e")
	maps.Copy(names, map[string]string{
		"#st": "status", "#data": "data", "#verify": verifyField, "#confirm": confirmField, "#code": codeField,
	})
	maps.Copy(values, map[string]types.AttributeValue{
		":undeliverable": attrS(mailUndeliverable), ":queued": attrS(mailQueued), ":sending": attrS(mailSending),
		":stale": attrS(stamp(now.Add(-ClaimLease))), ":now": attrS(stamp(now)), ":why": attrS(mk.Reason),
	})
	_, err = o.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{
			TableName: aws.String(o.table), Key: key(prefixSubject+addressKey, sortUndeliverable),
			ConditionExpression:       aws.String("#state = :u"),
			ExpressionAttributeNames:  map[string]string{"#state": "state"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":u": attrS(stateUndeliverable)},
		}},
		{Update: &types.Update{
			TableName: aws.String(o.table), Key: k,
			UpdateExpression: aws.String("SET #st = :undeliverable, undeliverable_at = :now, undeliverable_reason = :why, " + exp +
				" REMOVE #data.#verify, #data.#confirm, #data.#code, last_error, gsi2pk, gsi2sk"),
			ConditionExpression:       aws.String("#st = :queued OR (#st = :sending AND claimed_at < :stale)"),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}},
	}})
	if cancelled(err) != nil {
		return false, nil
	}
	if err != nil {
		return false, classify(err)
	}
	return true, nil
}

func attrS(v string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: v} }
