package ddb

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/policy"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// Policy is the register of the privacy policy's versions and the store of
// their notices (shared/policy); the layout is in layout.go.
type Policy struct {
	db    *dynamodb.Client
	table string
}

var (
	_ policy.Store       = (*Policy)(nil)
	_ policy.NoticeStore = (*Policy)(nil)
)

// NewPolicy returns the register on the named table.
func NewPolicy(db *dynamodb.Client, table string) *Policy {
	return &Policy{db: db, table: table}
}

// policyVersionItem is one version of the register, without its words.
type policyVersionItem struct {
	PK          string `dynamodbav:"pk"`
	SK          string `dynamodbav:"sk"`
	Kind        string `dynamodbav:"kind"`
	Retention   string `dynamodbav:"retention"`
	ID          string `dynamodbav:"version"`
	EffectiveAt string `dynamodbav:"effective_at"`
	TextSHA256  string `dynamodbav:"text_sha256"`
	Material    bool   `dynamodbav:"material"`
	Summary     string `dynamodbav:"summary"`
	PublishedAt string `dynamodbav:"published_at"`
	Actor       string `dynamodbav:"actor"`
}

// noticeRunItem is the notice of a material version going out: where it
// is in the recipients, what it queued and passed over, and when it ended.
// Its keys and kind are the version item's fields, set to the run's.
type noticeRunItem struct {
	policyVersionItem
	Cursor  string `dynamodbav:"cursor"`
	Queued  int    `dynamodbav:"queued"`
	Skipped int    `dynamodbav:"skipped"`
	DoneAt  string `dynamodbav:"done_at,omitempty"`
}

// Publish implements policy.Store: the version, its text, the latest
// version's copy (on the condition that it takes effect earlier) and, for a
// material version, its notice run, in one transaction.
func (p *Policy) Publish(ctx context.Context, v policy.Version) error {
	it := policyVersionItem{
		PK: policyPK, SK: prefixPolicyVersion + v.ID, Kind: kindPolicyVersion, Retention: string(retention.PolicyVersion),
		ID: v.ID, EffectiveAt: stamp(v.EffectiveAt), TextSHA256: v.TextSHA256, Material: v.Material,
		Summary: v.Summary, PublishedAt: stamp(v.PublishedAt), Actor: v.Actor,
	}
	ver, err := attributevalue.MarshalMap(it)
	if err != nil {
		return err
	}
	text, err := attributevalue.MarshalMap(map[string]string{
		"pk": policyPK, "sk": prefixPolicyText + v.ID, "kind": kindPolicyText, "retention": string(retention.PolicyVersion),
		"version": v.ID, "text": v.Text, "text_sha256": v.TextSHA256,
	})
	if err != nil {
		return err
	}
	absent := aws.String("attribute_not_exists(pk)")
	writes := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(p.table), Item: ver, ConditionExpression: absent}},
		{Put: &types.Put{TableName: aws.String(p.table), Item: text, ConditionExpression: absent}},
		{Update: &types.Update{
			TableName: aws.String(p.table), Key: key(policyPK, sortPolicyLatest),
			UpdateExpression:    aws.String("SET kind = :kind, version = :v, effective_at = :at"),
			ConditionExpression: aws.String("attribute_not_exists(pk) OR effective_at < :at"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":kind": &types.AttributeValueMemberS{Value: kindPolicyLatest},
				":v":    &types.AttributeValueMemberS{Value: v.ID},
				":at":   &types.AttributeValueMemberS{Value: it.EffectiveAt},
			},
		}},
	}
	if v.Material {
		ri := it
		ri.SK, ri.Kind = noticeRunSort(v), kindNoticeRun
		run, err := attributevalue.MarshalMap(noticeRunItem{policyVersionItem: ri, Cursor: cursorStart})
		if err != nil {
			return err
		}
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(p.table), Item: run, ConditionExpression: absent}})
	}
	_, err = p.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	failed := cancelled(err)
	switch {
	case failed == nil:
		return classify(err)
	case failed[0] || failed[1]:
		return policy.Taken(err)
	case failed[2]:
		return policy.OutOfOrder(err)
	}
	return classify(err)
}

// noticeRunSort is the sort key of a version's notice run: runs sort by
// publication.
func noticeRunSort(v policy.Version) string {
	return prefixNoticeRun + stamp(v.PublishedAt) + "#" + v.ID
}

// Versions implements policy.Store.
func (p *Policy) Versions(ctx context.Context) ([]policy.Version, error) {
	found, err := partition(ctx, p.db, p.table, policyPK, prefixPolicyVersion, "")
	if err != nil {
		return nil, err
	}
	var items []policyVersionItem
	if err := attributevalue.UnmarshalListOfMaps(found, &items); err != nil {
		return nil, err
	}
	out := make([]policy.Version, len(items))
	for i, it := range items {
		v, err := it.version()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EffectiveAt.Before(out[j].EffectiveAt) })
	return out, nil
}

func (it policyVersionItem) version() (policy.Version, error) {
	var ts stampReader
	v := policy.Version{
		ID: it.ID, EffectiveAt: ts.at(it.EffectiveAt), TextSHA256: it.TextSHA256, Material: it.Material,
		Summary: it.Summary, PublishedAt: ts.at(it.PublishedAt), Actor: it.Actor,
	}
	return v, ts.err
}

// Text returns the exact words of a version, false when there is none.
func (p *Policy) Text(ctx context.Context, id string) (string, bool, error) {
	var it struct {
		Text string `dynamodbav:"text"`
	}
	found, err := getItem(ctx, p.db, p.table, policyPK, prefixPolicyText+id, &it)
	return it.Text, found, err
}

// OpenRuns implements policy.NoticeStore.
func (p *Policy) OpenRuns(ctx context.Context) ([]policy.Run, error) {
	found, err := partition(ctx, p.db, p.table, policyPK, prefixNoticeRun, "")
	if err != nil {
		return nil, err
	}
	var items []noticeRunItem
	if err := attributevalue.UnmarshalListOfMaps(found, &items); err != nil {
		return nil, err
	}
	var runs []policy.Run
	for _, it := range items {
		if it.DoneAt != "" {
			continue
		}
		v, err := it.policyVersionItem.version()
		if err != nil {
			return nil, err
		}
		runs = append(runs, policy.Run{Version: v, Cursor: it.Cursor})
	}
	return runs, nil
}

// noticeCursor is a run's place: which source of recipients (noticeSources)
// and the index key of the last entry read there.
type noticeCursor struct {
	Source int               `json:"s"`
	After  map[string]string `json:"a,omitempty"`
}

// cursorStart is the cursor of a run that has read nothing.
const cursorStart = "start"

// noticeSources are the by-status-due partitions a run reads, in order:
// the roster of granted consents of email addresses, then every open
// request by status.
func noticeSources() []string {
	out := []string{rosterPK}
	for _, s := range request.OpenStatuses {
		out = append(out, prefixStatus+string(s))
	}
	return out
}

// Recipients implements policy.NoticeStore: one Query of the by-status-due
// index per source touched, from the cursor, at most limit entries.
func (p *Policy) Recipients(ctx context.Context, run policy.Run, limit int) ([]policy.Recipient, string, bool, error) {
	var cur noticeCursor
	if run.Cursor != cursorStart {
		if err := json.Unmarshal([]byte(run.Cursor), &cur); err != nil {
			return nil, "", false, fault.Wrap(fault.Internal, "a notice run's cursor is unreadable", err)
		}
	}
	sources := noticeSources()
	var out []policy.Recipient
	for cur.Source < len(sources) && len(out) < limit {
		in := &dynamodb.QueryInput{
			TableName: aws.String(p.table), IndexName: aws.String(topology.IndexByStatus),
			KeyConditionExpression: aws.String("gsi2pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":p": &types.AttributeValueMemberS{Value: sources[cur.Source]},
			},
			ProjectionExpression: aws.String("pk, sk, gsi2pk, gsi2sk, notify_to, email, subject_key"),
			Limit:                aws.Int32(int32(limit - len(out))),
		}
		if cur.After != nil {
			in.ExclusiveStartKey = map[string]types.AttributeValue{}
			for k, v := range cur.After {
				in.ExclusiveStartKey[k] = &types.AttributeValueMemberS{Value: v}
			}
		}
		res, err := p.db.Query(ctx, in)
		if err != nil {
			return nil, "", false, classify(err)
		}
		for _, item := range res.Items {
			out = append(out, recipientOf(item))
		}
		if len(res.LastEvaluatedKey) == 0 {
			cur = noticeCursor{Source: cur.Source + 1}
			continue
		}
		cur.After = map[string]string{}
		for k, v := range res.LastEvaluatedKey {
			if s, ok := v.(*types.AttributeValueMemberS); ok {
				cur.After[k] = s.Value
			}
		}
	}
	next, _ := json.Marshal(cur)
	return out, string(next), cur.Source >= len(sources), nil
}

// recipientOf reads an entry of a source: a roster entry (a consent state)
// or an open request.
func recipientOf(item map[string]types.AttributeValue) policy.Recipient {
	str := func(k string) string {
		if s, ok := item[k].(*types.AttributeValueMemberS); ok {
			return s.Value
		}
		return ""
	}
	if to := str("notify_to"); to != "" {
		return policy.Recipient{SubjectKey: strings.TrimPrefix(str("pk"), prefixSubject), Email: to}
	}
	return policy.Recipient{SubjectKey: str("subject_key"), Email: str("email")}
}

// Notify implements policy.NoticeStore: the notice record, on the
// condition that the person has none for this version, and the mail, in
// the person's partition, in one transaction.
func (p *Policy) Notify(ctx context.Context, v policy.Version, r policy.Recipient, in mail.Intent, at time.Time) (bool, error) {
	if r.SubjectKey == "" {
		return false, nil
	}
	pk, sk := prefixSubject+r.SubjectKey, prefixPolicyNotice+v.ID
	record := map[string]string{"pk": pk, "sk": sk, "kind": kindPolicyNotice, "version": v.ID, "mail_id": in.ID, "at": stamp(at)}
	av, err := attributevalue.MarshalMap(record)
	if err != nil {
		return false, err
	}
	if err := addExpiry(av, expires(retention.PolicyNotice, pk, sk, at)); err != nil {
		return false, err
	}
	mp, err := mailPut(pk, in, at)
	if err != nil {
		return false, err
	}
	mp.Put.TableName = aws.String(p.table)
	_, err = p.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(p.table), Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		mp,
	}})
	if failed := cancelled(err); failed != nil && failed[0] {
		return false, nil
	}
	return err == nil, classify(err)
}

// Advance implements policy.NoticeStore, on the condition that the cursor
// is still the one the batch read from.
func (p *Policy) Advance(ctx context.Context, run policy.Run, next string, done bool, queued, skipped int) (bool, error) {
	set := "SET #c = :next ADD queued :q, skipped :s"
	values := map[string]types.AttributeValue{
		":next": &types.AttributeValueMemberS{Value: next},
		":old":  &types.AttributeValueMemberS{Value: run.Cursor},
		":q":    &types.AttributeValueMemberN{Value: strconv.Itoa(queued)},
		":s":    &types.AttributeValueMemberN{Value: strconv.Itoa(skipped)},
	}
	if done {
		set = "SET #c = :next, done_at = :now ADD queued :q, skipped :s"
		values[":now"] = &types.AttributeValueMemberS{Value: stamp(time.Now())}
	}
	_, err := p.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(p.table),
		Key:                       key(policyPK, noticeRunSort(run.Version)),
		UpdateExpression:          aws.String(set),
		ConditionExpression:       aws.String("#c = :old"),
		ExpressionAttributeNames:  map[string]string{"#c": "cursor"},
		ExpressionAttributeValues: values,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	return err == nil, classify(err)
}
