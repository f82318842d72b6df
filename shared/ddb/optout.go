package ddb

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ledger"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/topology"
)

// OptOuts implements optout.Store.
type OptOuts struct {
	db    *dynamodb.Client
	table string
}

var _ optout.Store = (*OptOuts)(nil)

// NewOptOuts returns the opt-out store on the named table.
func NewOptOuts(db *dynamodb.Client, table string) *OptOuts {
	return &OptOuts{db: db, table: table}
}

const (
	// maxProfile bounds how many linked identifiers one opt-out covers, so
	// that its transaction stays within DynamoDB's 100 items.
	maxProfile = 16
)

// linkItem says two identifiers were given together, so they belong to one
// profile. One item per direction.
//
//	pk = SUBJ#<key>   sk = LINK#<other key>
type linkItem struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"`
	Kind  string `dynamodbav:"kind"`
	Other string `dynamodbav:"other"`
	Type  string `dynamodbav:"id_kind"`
	Match string `dynamodbav:"match"`
	At    string `dynamodbav:"at"`
}

// optOutItem is the current opt-out of one identifier from one right. Entries
// for sale/sharing carry the sparse suppression index keys.
//
//	pk = SUBJ#<key>   sk = OPTOUT#<right>
//	gsi3pk = SUPPRESSED   gsi3sk = <since>#<key>   (suppression: the ad-platform export)
type optOutItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Kind     string `dynamodbav:"kind"`
	GSI3PK   string `dynamodbav:"gsi3pk,omitempty"`
	GSI3SK   string `dynamodbav:"gsi3sk,omitempty"`
	Right    string `dynamodbav:"right"`
	IDKind   string `dynamodbav:"id_kind"`
	Match    string `dynamodbav:"match"`
	OptOutID string `dynamodbav:"optout_id"`
	Since    string `dynamodbav:"since"`
	Source   string `dynamodbav:"source"`
}

// Apply implements optout.Store.
func (s *OptOuts) Apply(ctx context.Context, a optout.Application) (optout.Outcome, error) {
	var out optout.Outcome
	err := retry(ctx, optOutMoved, func(int) error {
		var err error
		out, err = s.apply(ctx, a)
		if fault.KindOf(err) == fault.Conflict {
			return again(err)
		}
		return err
	})
	return out, err
}

func (s *OptOuts) apply(ctx context.Context, a optout.Application) (optout.Outcome, error) {
	profile, err := s.profile(ctx, a.Identifiers)
	if err != nil {
		return optout.Outcome{}, err
	}
	states, heads, err := s.read(ctx, profile, a.Rights)
	if err != nil {
		return optout.Outcome{}, err
	}
	writes, err := s.links(a, profile)
	if err != nil {
		return optout.Outcome{}, err
	}
	newLinks := len(writes)
	optOuts, changed, err := s.optOuts(a, profile, states, heads)
	if err != nil {
		return optout.Outcome{}, err
	}
	writes = append(writes, optOuts...)
	if changed == 0 {
		// A repeat: answer with the opt-out already in force.
		if newLinks > 0 {
			if err := s.write(ctx, writes); err != nil {
				return optout.Outcome{}, err
			}
		}
		return earliest(a, states), nil
	}
	if a.Mail != nil {
		owner := ""
		for _, id := range a.Identifiers {
			if id.Kind == optout.Email {
				owner = prefixSubject + id.Key
			}
		}
		mp, err := mailPut(owner, *a.Mail, a.At)
		if err != nil {
			return optout.Outcome{}, err
		}
		mp.Put.TableName = aws.String(s.table)
		writes = append(writes, mp)
	}
	if err := s.write(ctx, writes); err != nil {
		return optout.Outcome{}, err
	}
	return optout.Outcome{ID: a.ID, EffectiveAt: a.At, New: true}, nil
}

// links returns the writes that link every pair of identifiers given
// together and not linked yet, one item per direction.
func (s *OptOuts) links(a optout.Application, profile profile) ([]types.TransactWriteItem, error) {
	var writes []types.TransactWriteItem
	for _, x := range a.Identifiers {
		for _, y := range a.Identifiers {
			if x.Key == y.Key || profile.linked[x.Key][y.Key] {
				continue
			}
			av, err := attributevalue.MarshalMap(linkItem{
				PK: prefixSubject + x.Key, SK: sortLink + y.Key, Kind: "link",
				Other: y.Key, Type: string(y.Kind), Match: y.Match, At: stamp(a.At),
			})
			if err != nil {
				return nil, err
			}
			writes = append(writes, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}})
		}
	}
	return writes, nil
}

// optOuts returns the writes that opt every identifier of the profile out
// of the rights it is not opted out of yet: one ledger event each, and an
// opt-out item per right (a sale/sharing one on the suppression index). It
// says how many identifiers changed.
func (s *OptOuts) optOuts(a optout.Application, profile profile, states map[string]optout.State, heads map[string]*ledger.Head) ([]types.TransactWriteItem, int, error) {
	given := map[string]bool{}
	for _, id := range a.Identifiers {
		given[id.Key] = true
	}
	var writes []types.TransactWriteItem
	changed := 0
	for _, id := range profile.ids {
		var missing []string
		for _, r := range a.Rights {
			if _, ok := states[id.Key+"\x00"+string(r)]; !ok {
				missing = append(missing, string(r))
			}
		}
		if len(missing) == 0 {
			continue
		}
		changed++
		ws, err := s.optOut(a, id, given[id.Key], missing, heads[id.Key])
		if err != nil {
			return nil, 0, err
		}
		writes = append(writes, ws...)
	}
	return writes, changed, nil
}

// optOut returns the writes that opt one identifier out of the rights
// missing: its ledger event after head, and an item per right.
func (s *OptOuts) optOut(a optout.Application, id optout.Identifier, given bool, missing []string, head *ledger.Head) ([]types.TransactWriteItem, error) {
	via := "direct"
	if !given {
		via = "linked"
	}
	fields := map[string]string{
		"rights": strings.Join(missing, ","), "source": string(a.Source), "gpc": fmt.Sprint(a.GPC),
		"optout_id": a.ID, "identifier": string(id.Kind), "via": via,
	}
	if a.RequestID != "" {
		fields["request_id"] = a.RequestID
	}
	writes, _, err := appendEvents(s.table, head, ledger.Event{
		Subject: id.Key, ID: a.NewID(), At: a.At, Kind: "opt_out", Fields: fields,
	})
	if err != nil {
		return nil, err
	}
	for _, r := range missing {
		it := optOutItem{
			PK: prefixSubject + id.Key, SK: sortOptOut + r, Kind: "optout", Right: r,
			IDKind: string(id.Kind), Match: id.Match, OptOutID: a.ID, Since: stamp(a.At), Source: string(a.Source),
		}
		if optout.Right(r) == optout.SaleSharing {
			it.GSI3PK, it.GSI3SK = suppressionPK, stamp(a.At)+"#"+id.Key
		}
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			return nil, err
		}
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}})
	}
	return writes, nil
}

func (s *OptOuts) write(ctx context.Context, writes []types.TransactWriteItem) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if cancelled(err) != nil {
		return fault.Wrap(fault.Conflict, "The opt-out changed meanwhile; try again.", err)
	}
	return classify(err)
}

// earliest is the outcome of a repeat: the first opt-out of the identifiers
// given.
func earliest(a optout.Application, states map[string]optout.State) optout.Outcome {
	var best optout.State
	for _, id := range a.Identifiers {
		for _, r := range a.Rights {
			st, ok := states[id.Key+"\x00"+string(r)]
			if ok && (best.OptOutID == "" || st.Since.Before(best.Since)) {
				best = st
			}
		}
	}
	return optout.Outcome{ID: best.OptOutID, EffectiveAt: best.Since}
}

type profile struct {
	ids    []optout.Identifier
	linked map[string]map[string]bool
}

// profile expands identifiers to every identifier linked to them, breadth
// first, up to maxProfile.
func (s *OptOuts) profile(ctx context.Context, start []optout.Identifier) (profile, error) {
	p := profile{linked: map[string]map[string]bool{}}
	seen := map[string]bool{}
	queue := append([]optout.Identifier(nil), start...)
	for len(queue) > 0 && len(p.ids) < maxProfile {
		id := queue[0]
		queue = queue[1:]
		if seen[id.Key] {
			continue
		}
		seen[id.Key] = true
		p.ids = append(p.ids, id)
		p.linked[id.Key] = map[string]bool{}
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(s.table),
			KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :link)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":   &types.AttributeValueMemberS{Value: prefixSubject + id.Key},
				":link": &types.AttributeValueMemberS{Value: sortLink},
			},
			ConsistentRead: aws.Bool(true),
			Limit:          aws.Int32(maxProfile),
		})
		if err != nil {
			return p, classify(err)
		}
		var links []linkItem
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &links); err != nil {
			return p, err
		}
		for _, l := range links {
			p.linked[id.Key][l.Other] = true
			queue = append(queue, optout.Identifier{Kind: optout.Kind(l.Type), Key: l.Other, Match: l.Match})
		}
	}
	return p, nil
}

// read returns the current opt-outs and ledger heads of a profile, by
// key+"\x00"+right and by key.
func (s *OptOuts) read(ctx context.Context, p profile, rights []optout.Right) (map[string]optout.State, map[string]*ledger.Head, error) {
	var keys []map[string]types.AttributeValue
	for _, id := range p.ids {
		keys = append(keys, key(prefixSubject+id.Key, sortHead))
		for _, r := range rights {
			keys = append(keys, key(prefixSubject+id.Key, sortOptOut+string(r)))
		}
	}
	items, err := batchGet(ctx, s.db, s.table, keys)
	if err != nil {
		return nil, nil, err
	}
	states := map[string]optout.State{}
	heads := map[string]*ledger.Head{}
	for _, item := range items {
		sk := item["sk"].(*types.AttributeValueMemberS).Value
		pk := strings.TrimPrefix(item["pk"].(*types.AttributeValueMemberS).Value, prefixSubject)
		if sk == sortHead {
			var h headItem
			if err := attributevalue.UnmarshalMap(item, &h); err != nil {
				return nil, nil, err
			}
			heads[pk] = &ledger.Head{Seq: h.Seq, Hash: h.Hash}
			continue
		}
		var st optOutItem
		if err := attributevalue.UnmarshalMap(item, &st); err != nil {
			return nil, nil, err
		}
		since, err := parseStamp(st.Since)
		if err != nil {
			return nil, nil, err
		}
		states[pk+"\x00"+st.Right] = optout.State{OptOutID: st.OptOutID, Since: since, Source: optout.Source(st.Source)}
	}
	return states, heads, nil
}

// State implements optout.Store.
func (s *OptOuts) State(ctx context.Context, subjectKey string, right optout.Right) (optout.State, bool, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key(prefixSubject+subjectKey, sortOptOut+string(right)),
	})
	if err != nil {
		return optout.State{}, false, classify(err)
	}
	if res.Item == nil {
		return optout.State{}, false, nil
	}
	var it optOutItem
	if err := attributevalue.UnmarshalMap(res.Item, &it); err != nil {
		return optout.State{}, false, err
	}
	since, err := parseStamp(it.Since)
	if err != nil {
		return optout.State{}, false, err
	}
	return optout.State{OptOutID: it.OptOutID, Since: since, Source: optout.Source(it.Source)}, true, nil
}

// Suppression implements optout.Store: a query of the sparse suppression
// index, which holds current sale/sharing opt-outs and nothing else.
func (s *OptOuts) Suppression(ctx context.Context) ([]optout.Entry, error) {
	var out []optout.Entry
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(topology.IndexSuppression),
		KeyConditionExpression: aws.String("gsi3pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: suppressionPK},
		},
		ProjectionExpression: aws.String("id_kind, #m, since"),
		ExpressionAttributeNames: map[string]string{
			"#m": "match",
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, classify(err)
		}
		var items []optOutItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, err
		}
		for _, it := range items {
			since, err := parseStamp(it.Since)
			if err != nil {
				return nil, err
			}
			out = append(out, optout.Entry{Kind: optout.Kind(it.IDKind), Match: it.Match, Since: since})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out, nil
}
