package ddb

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/feed"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// Feed is the suppression feed's storage: the suppression index read by
// version, and the deliveries to each ad platform.
type Feed struct {
	db    *dynamodb.Client
	table string
}

var _ feed.Store = (*Feed)(nil)

// NewFeed returns the feed's store on the table.
func NewFeed(db *dynamodb.Client, table string) *Feed { return &Feed{db: db, table: table} }

// versionKeyDigits is how much of the subject key a version carries: 64
// bits, so two entries of one millisecond (the identifiers of one profile
// opted out together) share a prefix with a chance of about 2^-64 per
// pair, while a version is no handle on the person's full keyed hash.
const versionKeyDigits = 16

// versionPattern is a version: the compact since stamp and the key prefix.
var versionPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-([0-9a-f]{16})$`)
})

// feedVersion is the version of the entry at suppression sort key sk
// (<since stamp>#<key>): the stamp without its separators, "-", and the
// key's first hex digits. Both parts are fixed width, so versions sort as
// their sort keys do.
func feedVersion(sk string) string {
	st, k, _ := strings.Cut(sk, "#")
	st = strings.NewReplacer("-", "", ":", "", ".", "").Replace(st)
	return st + "-" + k[:min(len(k), versionKeyDigits)]
}

// versionBounds returns the sort keys around version v: low sorts before
// the entry (or entries) it names and high after them; '~' sorts after
// every hex digit.
func versionBounds(v string) (low, high string, err error) {
	m := versionPattern().FindStringSubmatch(v)
	if m == nil {
		return "", "", feed.ErrVersion
	}
	st := m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5] + ":" + m[6] + "." + m[7] + "Z"
	if _, err := time.Parse(stampLayout, st); err != nil {
		return "", "", feed.ErrVersion
	}
	return st + "#" + m[8], st + "#" + m[8] + "~", nil
}

// feedEntry is what the feed reads of an opt-out on the suppression index.
type feedEntry struct {
	GSI3SK string `dynamodbav:"gsi3sk"`
	IDKind string `dynamodbav:"id_kind"`
	Match  string `dynamodbav:"match"`
	Since  string `dynamodbav:"since"`
}

// After implements feed.Store: one Query of the suppression index with the
// sort key after the version (and before until), paged until limit+1
// entries tell whether more follow.
func (f *Feed) After(ctx context.Context, version string, until time.Time, limit int) ([]feed.Entry, bool, error) {
	cond := "gsi3pk = :pk"
	values := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: suppressionPK}}
	var after string
	if version != "" {
		_, high, err := versionBounds(version)
		if err != nil {
			return nil, false, err
		}
		after = high
	}
	switch {
	case after != "" && !until.IsZero():
		if after >= stamp(until) {
			return nil, false, nil
		}
		cond += " AND gsi3sk BETWEEN :after AND :until"
	case after != "":
		cond += " AND gsi3sk > :after"
	case !until.IsZero():
		cond += " AND gsi3sk < :until"
	}
	if after != "" {
		values[":after"] = &types.AttributeValueMemberS{Value: after}
	}
	if !until.IsZero() {
		// A bare stamp sorts before every key of that millisecond: the
		// bound is exclusive either way.
		values[":until"] = &types.AttributeValueMemberS{Value: stamp(until)}
	}
	p := dynamodb.NewQueryPaginator(f.db, &dynamodb.QueryInput{
		TableName: aws.String(f.table), IndexName: aws.String(topology.IndexSuppression),
		KeyConditionExpression: aws.String(cond), ExpressionAttributeValues: values,
		ProjectionExpression:     aws.String("gsi3sk, id_kind, #m, since"),
		ExpressionAttributeNames: map[string]string{"#m": "match"},
		Limit:                    aws.Int32(int32(min(limit+1, 1000))),
	})
	var out []feed.Entry
	for p.HasMorePages() && len(out) <= limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, false, classify(err)
		}
		var items []feedEntry
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, false, err
		}
		for _, it := range items {
			since, err := parseStamp(it.Since)
			if err != nil {
				return nil, false, err
			}
			out = append(out, feed.Entry{Kind: optout.Kind(it.IDKind), Match: it.Match, Since: since, Version: feedVersion(it.GSI3SK)})
		}
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// Exists implements feed.Store: whether an entry of the suppression index
// has the version.
func (f *Feed) Exists(ctx context.Context, version string) (bool, error) {
	low, high, err := versionBounds(version)
	if err != nil {
		return false, err
	}
	out, err := f.db.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(f.table), IndexName: aws.String(topology.IndexSuppression),
		KeyConditionExpression: aws.String("gsi3pk = :pk AND gsi3sk BETWEEN :low AND :high"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   &types.AttributeValueMemberS{Value: suppressionPK},
			":low":  &types.AttributeValueMemberS{Value: low},
			":high": &types.AttributeValueMemberS{Value: high},
		},
		ProjectionExpression: aws.String("gsi3sk"),
		Limit:                aws.Int32(1),
	})
	if err != nil {
		return false, classify(err)
	}
	return len(out.Items) > 0, nil
}

// deliveryItem is a delivery to a platform, and (with sort key LATEST and
// no expiry) the platform's latest.
type deliveryItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Kind     string `dynamodbav:"kind"`
	ID       string `dynamodbav:"id"`
	Platform string `dynamodbav:"platform"`
	Version  string `dynamodbav:"version"`
	Entries  int    `dynamodbav:"entries"`
	At       string `dynamodbav:"at"`
	Actor    string `dynamodbav:"actor"`
	expiry
}

func (it deliveryItem) delivery() (feed.Delivery, error) {
	at, err := parseStamp(it.At)
	if err != nil {
		return feed.Delivery{}, err
	}
	return feed.Delivery{ID: it.ID, Platform: it.Platform, Version: it.Version, Entries: it.Entries, At: at, Actor: it.Actor}, nil
}

// Record implements feed.Store: the delivery and the platform's latest in
// one transaction, the latest on the condition that its version is not
// later than this one (versions sort as the feed does).
func (f *Feed) Record(ctx context.Context, d feed.Delivery) error {
	pk := prefixFeed + d.Platform
	it := deliveryItem{
		PK: pk, SK: prefixDelivery + stamp(d.At) + "#" + d.ID, Kind: kindFeedDelivery, ID: d.ID, Platform: d.Platform,
		Version: d.Version, Entries: d.Entries, At: stamp(d.At), Actor: d.Actor,
	}
	it.expiry = expires(retention.FeedDelivery, it.PK, it.SK, d.At)
	latest := it
	latest.SK, latest.Kind, latest.expiry = sortFeedLatest, kindFeedLatest, expiry{}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return err
	}
	lav, err := attributevalue.MarshalMap(latest)
	if err != nil {
		return err
	}
	_, err = f.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(f.table), Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: &types.Put{
			TableName: aws.String(f.table), Item: lav,
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR version <= :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: d.Version}},
		}},
	}})
	if failed := cancelled(err); failed != nil {
		if failed[1] {
			return feed.ErrBackwards
		}
		return errors.Join(errors.New("a delivery with this id is recorded"), err)
	}
	return classify(err)
}

// Latest implements feed.Store.
func (f *Feed) Latest(ctx context.Context, platform string) (feed.Delivery, bool, error) {
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(f.table), Key: key(prefixFeed+platform, sortFeedLatest), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return feed.Delivery{}, false, classify(err)
	}
	if out.Item == nil {
		return feed.Delivery{}, false, nil
	}
	var it deliveryItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return feed.Delivery{}, false, err
	}
	d, err := it.delivery()
	return d, err == nil, err
}

// Deliveries implements feed.Store: the platform's partition, newest first.
func (f *Feed) Deliveries(ctx context.Context, platform string, limit int) ([]feed.Delivery, error) {
	out, err := f.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(f.table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :d)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: prefixFeed + platform},
			":d":  &types.AttributeValueMemberS{Value: prefixDelivery},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
		ConsistentRead:   aws.Bool(true),
	})
	if err != nil {
		return nil, classify(err)
	}
	var items []deliveryItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, err
	}
	ds := make([]feed.Delivery, 0, len(items))
	for _, it := range items {
		d, err := it.delivery()
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, nil
}
