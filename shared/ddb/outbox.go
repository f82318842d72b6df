package ddb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/oklog/ulid/v2"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

const (
	kindMail    = "mail"
	mailQueued  = mail.StatusQueued
	mailSending = mail.StatusSending
	mailSent    = mail.StatusSent
	mailHeld    = mail.StatusHeld
	// mailFailed is final: the provider rejected the mail for good
	// (MarkFailed).
	mailFailed = mail.StatusFailed
	// ClaimLease is how long a claim holds before another invocation may take
	// the intent over (the sender crashed between claim and send).
	ClaimLease = 2 * time.Minute
	// verifyField and confirmField are removed from an intent once its mail
	// is sent: a raw single-use link lives in the table only until it is
	// delivered.
	verifyField  = "verify_url"
	confirmField = "confirm_url"
	// codeField is a text's one-time code, removed once sent likewise.
	codeField = mail.CodeField
)

// Outbox is the table's mail outbox, as the notifier (shared/notifier.Outbox)
// and the watch use it.
type Outbox struct {
	db    *dynamodb.Client
	table string
}

// NewOutbox returns an Outbox on the named table.
func NewOutbox(db *dynamodb.Client, table string) *Outbox {
	return &Outbox{db: db, table: table}
}

// Decode returns the mail intent a change of the table queues, and the
// reference of its stored item: inserts of queued mail items count, and
// modifications that re-drive a stuck one (Redrive raised its counter). A
// consent receipt's disclosure is read from the catalogue record it names.
func (o *Outbox) Decode(ctx context.Context, c Change) (mail.Intent, string, bool, error) {
	img := c.New
	switch c.Event {
	case ChangeInsert:
	case ChangeModify:
		if counter(img["redrive"]) <= counter(c.Old["redrive"]) {
			return mail.Intent{}, "", false, nil
		}
	default:
		return mail.Intent{}, "", false, nil
	}
	if k, ok := img["kind"].(*types.AttributeValueMemberS); !ok || k.Value != kindMail {
		return mail.Intent{}, "", false, nil
	}
	var it mailItem
	if err := attributevalue.UnmarshalMap(img, &it); err != nil {
		return mail.Intent{}, "", false, fmt.Errorf("decode mail item: %w", err)
	}
	if it.Status != mailQueued {
		return mail.Intent{}, "", false, nil
	}
	in := mail.Intent{ID: it.ID, Template: mail.Template(it.Template), To: it.To, Data: it.Data, RecipientKey: it.RecipientKey, Channel: it.Channel}
	if id, ok := strings.CutPrefix(it.PK, prefixRequest); ok && in.Data != nil && in.Data[requestIDField] == "" {
		in.Data = maps.Clone(in.Data)
		in.Data[requestIDField] = id
	}
	if sha, ok := in.Data[disclosureRef]; ok {
		var d disclosureItem
		found, err := getItem(ctx, o.db, o.table, prefixDisclosure+sha, sortDisclosure, &d)
		if err != nil {
			return mail.Intent{}, "", false, err
		}
		if !found {
			return mail.Intent{}, "", false, fmt.Errorf("mail %s names a disclosure that is not stored", it.ID)
		}
		in.Data = maps.Clone(in.Data)
		delete(in.Data, disclosureRef)
		in.Data[disclosureField] = d.Text
	}
	return in, it.PK + "\x00" + it.SK, true, nil
}

// A consent receipt quotes the disclosure the consent was given under, which
// the consent's transaction stores once under the hash of its text
// (DISCLOSURE#<sha256>): its mail item names that hash in disclosureRef
// instead of holding the words a second time (up to consent.MaxDisclosure
// characters).
const (
	disclosureField = "disclosure"
	disclosureRef   = "disclosure_sha256"
)

// requestIDField is the request a mail is about; a request's own mail
// (REQ#<id>) takes it from its partition key.
const requestIDField = "request_id"

func counter(v types.AttributeValue) int64 {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	i, _ := strconv.ParseInt(n.Value, 10, 64)
	return i
}

func refKey(ref string) (map[string]types.AttributeValue, error) {
	pk, sk, ok := strings.Cut(ref, "\x00")
	if !ok {
		return nil, errors.New("malformed outbox reference")
	}
	return key(pk, sk), nil
}

// Claim implements shared/notifier.Outbox with a conditional update: queued, or a
// claim older than the lease, becomes this invocation's.
func (o *Outbox) Claim(ctx context.Context, ref string, now time.Time) (mail.Claim, error) {
	k, err := refKey(ref)
	if err != nil {
		return 0, err
	}
	nowAV := &types.AttributeValueMemberS{Value: stamp(now)}
	staleAV := &types.AttributeValueMemberS{Value: stamp(now.Add(-ClaimLease))}
	_, err = o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(o.table),
		Key:                 k,
		UpdateExpression:    aws.String("SET #st = :sending, claimed_at = :now ADD attempts :one"),
		ConditionExpression: aws.String("#st = :queued OR (#st = :sending AND claimed_at < :stale)"),
		ExpressionAttributeNames: map[string]string{
			"#st": "status",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": &types.AttributeValueMemberS{Value: mailSending},
			":queued":  &types.AttributeValueMemberS{Value: mailQueued},
			":one":     &types.AttributeValueMemberN{Value: "1"},
			":now":     nowAV,
			":stale":   staleAV,
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if len(ccf.Item) == 0 {
			// The intent is gone: erased with its subject's data
			// (shared/subjectdata). There is nothing, and no one, to send to.
			return mail.AlreadySent, nil
		}
		var it mailItem
		if err := attributevalue.UnmarshalMap(ccf.Item, &it); err != nil {
			return 0, err
		}
		if it.Status == mailSent || it.Status == mailHeld || it.Status == mailFailed || it.Status == mailUndeliverable {
			// Held, failed and undeliverable mail is final: it is never sent.
			return mail.AlreadySent, nil
		}
		return mail.Busy, nil
	}
	if err != nil {
		return 0, classify(err)
	}
	return mail.Claimed, nil
}

// MarkSent implements shared/notifier.Outbox. A sent mail is kept 30 days from
// sending (sent_mail) and leaves the outbox index for the expiry index.
func (o *Outbox) MarkSent(ctx context.Context, ref, messageID string, now time.Time) error {
	k, err := refKey(ref)
	if err != nil {
		return err
	}
	pk, sk, _ := strings.Cut(ref, "\x00")
	exp, expNames, expValues := expires(retention.SentMail, pk, sk, now).set(":e")
	values := map[string]types.AttributeValue{
		":sent":    &types.AttributeValueMemberS{Value: mailSent},
		":sending": &types.AttributeValueMemberS{Value: mailSending},
		":id":      &types.AttributeValueMemberS{Value: messageID},
		":now":     &types.AttributeValueMemberS{Value: stamp(now)},
	}
	maps.Copy(values, expValues)
	names := map[string]string{
		"#st": "status", "#data": "data", "#verify": verifyField, "#confirm": confirmField, "#code": codeField,
	}
	maps.Copy(names, expNames)
	out, err := o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(o.table),
		Key:                       k,
		UpdateExpression:          aws.String("SET #st = :sent, sent_at = :now, message_id = :id, " + exp + " REMOVE #data.#verify, #data.#confirm, #data.#code, last_error, gsi2pk, gsi2sk"),
		ConditionExpression:       aws.String("#st = :sending"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return classify(err)
	}
	if _, erased := out.Attributes[eraseAfterSend]; erased {
		return o.forget(ctx, k)
	}
	return nil
}

// eraseAfterSend marks the last mail of a person whose data was erased
// while it waited to be sent (the outcome of their open request): the
// erasure keeps it so the person is told, and once it is sent it loses its
// address and content, keeping what and when for the request log.
const eraseAfterSend = "erase_after_send"

// forget removes the address and content of a sent mail.
func (o *Outbox) forget(ctx context.Context, k map[string]types.AttributeValue) error {
	_, err := o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(o.table),
		Key:                      k,
		UpdateExpression:         aws.String("REMOVE #to, #data, recipient_key, recipient_owner, recipient"),
		ConditionExpression:      aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames: map[string]string{"#to": "to", "#data": "data"},
	})
	return classify(err)
}

// NoteText implements shared/notifier.Outbox: the hash of the text about to
// be sent is kept on the claimed intent, and stays once it is sent.
func (o *Outbox) NoteText(ctx context.Context, ref, textSHA256 string) error {
	k, err := refKey(ref)
	if err != nil {
		return err
	}
	_, err = o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(o.table),
		Key:                      k,
		UpdateExpression:         aws.String("SET text_sha256 = :h"),
		ConditionExpression:      aws.String("#st = :sending"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h":       &types.AttributeValueMemberS{Value: textSHA256},
			":sending": &types.AttributeValueMemberS{Value: mailSending},
		},
	})
	return classify(err)
}

// Release implements shared/notifier.Outbox: the intent is queued again with the
// reason it failed.
func (o *Outbox) Release(ctx context.Context, ref, reason string) error {
	k, err := refKey(ref)
	if err != nil {
		return err
	}
	if len(reason) > 500 {
		reason = reason[:500]
	}
	_, err = o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(o.table),
		Key:                 k,
		UpdateExpression:    aws.String("SET #st = :queued, last_error = :reason"),
		ConditionExpression: aws.String("#st = :sending"),
		ExpressionAttributeNames: map[string]string{
			"#st": "status",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":queued":  &types.AttributeValueMemberS{Value: mailQueued},
			":sending": &types.AttributeValueMemberS{Value: mailSending},
			":reason":  &types.AttributeValueMemberS{Value: reason},
		},
	})
	return classify(err)
}

// RedriveStale puts back on the stream every unsent intent older than
// olderThan (queued, or claimed by a sender that never finished), so a mail
// that outlived the stream's retries is still sent, once. It reads the
// outbox index, which holds unsent intents only, and returns how many it
// re-drove.
func (o *Outbox) RedriveStale(ctx context.Context, olderThan time.Time, limit int) (int, error) {
	before := ulid.MustNew(ulid.Timestamp(olderThan), zeroEntropy{}).String()
	out, err := o.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(o.table),
		IndexName:              aws.String(topology.IndexByStatus),
		KeyConditionExpression: aws.String("gsi2pk = :p AND gsi2sk < :before"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p":      &types.AttributeValueMemberS{Value: outboxPending},
			":before": &types.AttributeValueMemberS{Value: before},
		},
		Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return 0, classify(err)
	}
	n := 0
	for _, item := range out.Items {
		pk, _ := item["pk"].(*types.AttributeValueMemberS)
		sk, _ := item["sk"].(*types.AttributeValueMemberS)
		if pk == nil || sk == nil {
			continue
		}
		_, err := o.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           aws.String(o.table),
			Key:                 key(pk.Value, sk.Value),
			UpdateExpression:    aws.String("SET #st = :queued, redrive = if_not_exists(redrive, :zero) + :one"),
			ConditionExpression: aws.String("#st = :queued OR (#st = :sending AND claimed_at < :stale)"),
			ExpressionAttributeNames: map[string]string{
				"#st": "status",
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":queued":  &types.AttributeValueMemberS{Value: mailQueued},
				":sending": &types.AttributeValueMemberS{Value: mailSending},
				":stale":   &types.AttributeValueMemberS{Value: stamp(olderThan.Add(-ClaimLease))},
				":zero":    &types.AttributeValueMemberN{Value: "0"},
				":one":     &types.AttributeValueMemberN{Value: "1"},
			},
		})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			continue // sent, or being sent, meanwhile
		}
		if err != nil {
			return n, classify(err)
		}
		n++
	}
	return n, nil
}

// zeroEntropy makes the smallest ULID of a millisecond: a bound for ids.
type zeroEntropy struct{}

func (zeroEntropy) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// mailItem is one outgoing mail (the outbox). It lives in the partition of the
// record it belongs to, is written in that record's transaction, and is sent
// by the notifier from the table's stream.
//
//	pk = <owner pk>   sk = MAIL#<intent id>
//	status: queued -> sending -> sent, or sending -> held (Hold: over its
//	recipient's cap; never sent), or sending -> failed for good (MarkFailed),
//	or queued -> undeliverable (SkipUndeliverable: the address is marked;
//	never sent)
//	expiry: unsent_mail from queueing (kept by a failed mail); once sent,
//	sent_mail from sending (MarkSent); once held, held_mail from holding (Hold)
//
// It is written in the transaction of the record it belongs to, so every
// byte counts against that transaction's write units (per started KB, twice
// in a transaction): what the item can derive it does not store. The id is
// the sort key's (items written before kept it in id too); a recipient key
// that is the partition's own subject key is RecipientOwner, not a second
// copy of the key, and another one is stored as bytes (RecipientHash); a
// request's mail takes its request id from its partition; attempts start
// absent; the name a mail greets with is stored as mail.FirstName cuts it,
// which rendering applies anyway; a consent receipt names its disclosure by
// hash (disclosureRef). Decode gives the notifier the intent as queued.
type mailItem struct {
	PK        string            `dynamodbav:"pk"`
	SK        string            `dynamodbav:"sk"`
	Kind      string            `dynamodbav:"kind"`
	ID        string            `dynamodbav:"id,omitempty"`
	Template  string            `dynamodbav:"template"`
	To        string            `dynamodbav:"to"`
	Data      map[string]string `dynamodbav:"data"`
	Status    string            `dynamodbav:"status"`
	Attempts  int               `dynamodbav:"attempts,omitempty"`
	ClaimedAt string            `dynamodbav:"claimed_at,omitempty"`
	SentAt    string            `dynamodbav:"sent_at,omitempty"`
	MessageID string            `dynamodbav:"message_id,omitempty"`
	LastError string            `dynamodbav:"last_error,omitempty"`
	// RecipientKey is the subject key of the recipient's address, on mail
	// that counts against a per-recipient cap (mail.LimitFor).
	RecipientKey string `dynamodbav:"recipient_key,omitempty"`
	// RecipientOwner says the recipient key is the partition's subject
	// key (a person's own mail: their receipts, their confirmations).
	RecipientOwner bool `dynamodbav:"recipient_owner,omitempty"`
	// RecipientHash is a recipient key that is a keyed hash in hex (as
	// subject keys are), stored as its 32 bytes instead.
	RecipientHash []byte `dynamodbav:"recipient,omitempty"`
	// Channel is mail.ChannelSMS on a text; empty on mail.
	Channel string `dynamodbav:"channel,omitempty"`
	// TextSHA256 is the SHA-256 of the exact text sent (NoteText).
	TextSHA256 string `dynamodbav:"text_sha256,omitempty"`
	HeldAt     string `dynamodbav:"held_at,omitempty"`
	HeldReason string `dynamodbav:"held_reason,omitempty"`
	FailedAt   string `dynamodbav:"failed_at,omitempty"`
	// UndeliverableAt and UndeliverableReason: the mail was not sent, the
	// address being marked undeliverable (SkipUndeliverable).
	UndeliverableAt     string `dynamodbav:"undeliverable_at,omitempty"`
	UndeliverableReason string `dynamodbav:"undeliverable_reason,omitempty"`
	// GSI2PK/GSI2SK put an unsent intent on the by-status-due index under
	// OUTBOX#pending, by id (ids sort by time); sending removes them, so the
	// index holds only what is still to send.
	GSI2PK  string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK  string `dynamodbav:"gsi2sk,omitempty"`
	Redrive int    `dynamodbav:"redrive,omitempty"`
	expiry
}

// mailFields is mailItem as stored, without the derived fields.
type mailFields mailItem

// UnmarshalDynamoDBAttributeValue reads a stored mail item and fills in
// what it derives from its keys.
func (it *mailItem) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	if err := attributevalue.Unmarshal(av, (*mailFields)(it)); err != nil {
		return err
	}
	if it.ID == "" {
		it.ID = strings.TrimPrefix(it.SK, prefixMail)
	}
	switch {
	case it.RecipientKey != "":
	case it.RecipientOwner:
		it.RecipientKey = strings.TrimPrefix(it.PK, prefixSubject)
	case len(it.RecipientHash) > 0:
		it.RecipientKey = hex.EncodeToString(it.RecipientHash)
	}
	return nil
}

// mailPut writes a mail intent queued at at.
func mailPut(ownerPK string, in mail.Intent, at time.Time) (types.TransactWriteItem, error) {
	it := mailFields{
		PK: ownerPK, SK: prefixMail + in.ID, Kind: kindMail,
		Template: string(in.Template), To: in.To, Data: in.Data, Status: mailQueued,
		RecipientKey: in.RecipientKey, Channel: in.Channel,
		GSI2PK: outboxPending, GSI2SK: in.ID,
		expiry: expires(retention.UnsentMail, ownerPK, prefixMail+in.ID, at),
	}
	if raw, err := hex.DecodeString(in.RecipientKey); err == nil && len(raw) == sha256.Size && hex.EncodeToString(raw) == in.RecipientKey {
		it.RecipientKey, it.RecipientHash = "", raw
	}
	if in.RecipientKey != "" && ownerPK == prefixSubject+in.RecipientKey {
		it.RecipientKey, it.RecipientHash, it.RecipientOwner = "", nil, true
	}
	if id, ok := strings.CutPrefix(ownerPK, prefixRequest); ok && in.Data[requestIDField] == id {
		it.Data = maps.Clone(it.Data)
		delete(it.Data, requestIDField)
	}
	if name, ok := in.Data[mail.FirstNameKey]; ok {
		it.Data = maps.Clone(it.Data)
		it.Data[mail.FirstNameKey] = mail.FirstName(name)
	}
	if text, ok := in.Data[disclosureField]; ok && in.Template == mail.ConsentReceipt {
		it.Data = maps.Clone(it.Data)
		delete(it.Data, disclosureField)
		h := sha256.Sum256([]byte(text))
		it.Data[disclosureRef] = hex.EncodeToString(h[:])
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{
		Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}}, nil
}

// Enqueue queues a mail to the privacy team. It is idempotent on the intent
// id: queueing the same intent again writes nothing and is no error, so a
// retried run never sends a second mail for one intent.
//
// Such mail (the deadline digest) belongs to no single record and is queued
// in the team's own partition (teamDigestPK). It is the same mail item every
// record's outbox uses, so the notifier's stream handler sends it like any
// other mail. Its content is request ids, due dates, statuses and types: no
// requester's personal data.
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
