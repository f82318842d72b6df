package ddb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ledger"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/reach"
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
	// maxTransact is the most items one DynamoDB transaction takes.
	maxTransact = 100
)

// linkPage is how many links one page of a partition's links holds; 0
// leaves pages to DynamoDB (up to 1 MB each). Tests make it small to read a
// profile over many pages.
var linkPage int32

// linkItem says two identifiers were given together, and on what evidence
// (optout.Evidence): claimed links widen opt-outs only; export and erasure
// follow proven and vouched ones. A link written before links carried
// evidence has none, and reads as claimed. One item per direction.
//
//	pk = SUBJ#<key>   sk = LINK#<other key>
type linkItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Kind     string `dynamodbav:"kind"`
	Other    string `dynamodbav:"other"`
	Type     string `dynamodbav:"id_kind"`
	Match    string `dynamodbav:"match"`
	At       string `dynamodbav:"at"`
	Evidence string `dynamodbav:"evidence,omitempty"`
}

// evidence is the link's evidence; claimed when it has none.
func (l linkItem) evidence() optout.Evidence {
	if l.Evidence == "" {
		return optout.Claimed
	}
	return optout.Evidence(l.Evidence)
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

// spreadReserve is the time an opt-out keeps back from its deadline (the
// function's timeout) to answer: a spread still under way then stops, and a
// repeat or the next opt-out of the profile completes it.
const spreadReserve = 2 * time.Second

// Apply implements optout.Store.
//
// A profile can hold up to optout.MaxSpread identifiers, each costing a
// ledger event, its head and an item per right: more than one transaction
// (maxTransact items) takes, and, for a profile grown by a flood of links,
// more reading than an answer can wait for. So the first transaction holds
// what must be atomic and is cheap to find: the links between the
// identifiers given, their opt-outs, the mail, and as many of the nearest
// linked identifiers (read to at most maxTransact) as still fit. The rest of
// the profile follows in further transactions (spread), each conditional on
// the state it read and so idempotent. A spread cut short (an error, or the
// deadline near) leaves the identifiers given opted out and the outcome
// marked Incomplete; a repeat, or any later opt-out of the profile,
// completes it.
func (s *OptOuts) Apply(ctx context.Context, a optout.Application) (optout.Outcome, error) {
	var f first
	err := retry(ctx, optOutMoved, func(int) error {
		var err error
		f, err = s.apply(ctx, a)
		if fault.KindOf(err) == fault.Conflict {
			return again(err)
		}
		return err
	})
	if err != nil {
		return optout.Outcome{}, err
	}
	sctx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		sctx, cancel = context.WithDeadline(ctx, dl.Add(-spreadReserve))
		defer cancel()
	}
	if err := s.spreadRest(sctx, a, f); err != nil {
		f.out.Incomplete = true
	}
	return f.out, nil
}

// first is what the first transaction did: its outcome, the profile as far
// as it read it (whole when it ended before its bound), and the identifiers
// it covered.
type first struct {
	out     optout.Outcome
	profile []optout.Identifier
	whole   bool
	done    map[string]bool
}

// spreadRest opts out the identifiers of the profile the first transaction
// did not cover, reading the profile to its bound first unless it is whole.
func (s *OptOuts) spreadRest(ctx context.Context, a optout.Application, f first) error {
	p := f.profile
	if !f.whole {
		var err error
		if p, err = s.walk(ctx, a.Identifiers, func(optout.Evidence) bool { return true }, optout.MaxSpread); err != nil {
			return err
		}
	}
	var rest []optout.Identifier
	for _, id := range p {
		if !f.done[id.Key] {
			rest = append(rest, id)
		}
	}
	return s.spread(ctx, a, rest)
}

// apply writes the first transaction.
func (s *OptOuts) apply(ctx context.Context, a optout.Application) (first, error) {
	p, known, states, heads, err := s.profile(ctx, a)
	if err != nil {
		return first{}, err
	}
	f := first{profile: p, whole: len(p) < maxTransact, done: map[string]bool{}}
	given := p[:len(distinct(a.Identifiers))]
	writes, err := s.links(ctx, a, known)
	if err != nil {
		return first{}, err
	}
	mine, changed, err := s.optOuts(a, given, states, heads)
	if err != nil {
		return first{}, err
	}
	writes = append(writes, mine...)
	if changed > 0 && a.Mail != nil {
		mp, err := s.mail(a)
		if err != nil {
			return first{}, err
		}
		writes = append(writes, mp)
	}
	if changed > 0 {
		jobs, err := jobPuts(s.table, newJobs(a, given, states))
		if err != nil {
			return first{}, err
		}
		writes = append(writes, jobs...)
	}
	for _, id := range given {
		f.done[id.Key] = true
	}
	// Linked identifiers join the first transaction while they fit.
	for _, id := range p[len(given):] {
		ws, _, err := s.optOuts(a, []optout.Identifier{id}, states, heads)
		if err != nil {
			return first{}, err
		}
		if len(writes)+len(ws) > maxTransact {
			break
		}
		writes = append(writes, ws...)
		f.done[id.Key] = true
	}
	if len(writes) > 0 {
		if err := s.write(ctx, writes); err != nil {
			return first{}, err
		}
	}
	f.out = optout.Outcome{ID: a.ID, EffectiveAt: a.At, New: true}
	if changed == 0 {
		// A repeat for the identifiers given: answer with the opt-out
		// already in force (a linked identifier not covered yet is
		// covered all the same).
		f.out = earliest(a, states)
	}
	return f, nil
}

// profile reads what the first transaction depends on, in one round trip
// where the identifiers given are linked to nothing else (a first opt-out):
// the links of each identifier given, at once, beside the opt-outs and
// ledger heads of the identifiers given. Only a profile with linked
// identifiers costs more: the walk goes on (to at most maxTransact
// identifiers, the most one transaction takes; spreadRest reads the rest)
// and their states are read after it. known holds the links read from the
// partitions of the identifiers given (linkKnown).
func (s *OptOuts) profile(ctx context.Context, a optout.Application) ([]optout.Identifier, linkKnown, map[string]optout.State, map[string]*ledger.Head, error) {
	given := distinct(a.Identifiers)
	var (
		p                []optout.Identifier
		known            linkKnown
		states           map[string]optout.State
		heads            map[string]*ledger.Head
		walkErr, readErr error
		wg               sync.WaitGroup
	)
	wg.Go(func() {
		p, known, walkErr = s.walkFrom(ctx, given, func(optout.Evidence) bool { return true }, maxTransact)
	})
	wg.Go(func() { states, heads, readErr = s.read(ctx, given, a.Rights) })
	wg.Wait()
	if walkErr != nil {
		return nil, nil, nil, nil, walkErr
	}
	if readErr != nil {
		return nil, nil, nil, nil, readErr
	}
	if len(p) > len(given) {
		more, moreHeads, err := s.read(ctx, p[len(given):], a.Rights)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		maps.Copy(states, more)
		maps.Copy(heads, moreHeads)
	}
	return p, known, states, heads, nil
}

// newJobs returns the application's jobs for the rights not yet in force
// for some identifier given: a system already told of an opt-out is not
// told again because the same person now also limits sensitive data.
func newJobs(a optout.Application, given []optout.Identifier, states map[string]optout.State) []reach.Job {
	right := map[reach.Action]optout.Right{reach.OptOut: optout.SaleSharing, reach.Limit: optout.LimitSensitive}
	var out []reach.Job
	for _, j := range a.Jobs {
		for _, id := range given {
			if _, inForce := states[id.Key+"\x00"+string(right[j.Action])]; !inForce {
				out = append(out, j)
				break
			}
		}
	}
	return out
}

// distinct returns the identifiers with each key once, in order.
func distinct(ids []optout.Identifier) []optout.Identifier {
	var out []optout.Identifier
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id.Key] {
			seen[id.Key] = true
			out = append(out, id)
		}
	}
	return out
}

// mail is the write of the confirmation mail, in the partition of the
// email given.
func (s *OptOuts) mail(a optout.Application) (types.TransactWriteItem, error) {
	owner := ""
	for _, id := range a.Identifiers {
		if id.Kind == optout.Email {
			owner = prefixSubject + id.Key
		}
	}
	mp, err := mailPut(owner, *a.Mail, a.At)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	mp.Put.TableName = aws.String(s.table)
	return mp, nil
}

// spread opts the rest of a profile out, in transactions of at most
// maxTransact items. Each reads the state of its identifiers first and
// writes only what is missing, on the condition that it still is: a
// transaction that loses a race is read again and retried, and one whose
// identifiers are all opted out by now writes nothing.
func (s *OptOuts) spread(ctx context.Context, a optout.Application, ids []optout.Identifier) error {
	per := max(maxTransact/(2+len(a.Rights)), 1) // a ledger event, its head, an item per right
	for len(ids) > 0 {
		chunk := ids[:min(per, len(ids))]
		ids = ids[len(chunk):]
		err := retry(ctx, optOutMoved, func(int) error {
			states, heads, err := s.read(ctx, chunk, a.Rights)
			if err != nil {
				return err
			}
			writes, _, err := s.optOuts(a, chunk, states, heads)
			if err != nil || len(writes) == 0 {
				return err
			}
			err = s.write(ctx, writes)
			if fault.KindOf(err) == fault.Conflict {
				return again(err)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// links returns the writes that link every pair of identifiers given
// together, one item per direction, where the pair is not linked yet or
// only on weaker evidence; a link is never weakened. Each write is
// conditional on the link it read, so a stronger link written meanwhile
// makes the transaction fail and be read again.
func (s *OptOuts) links(ctx context.Context, a optout.Application, known linkKnown) ([]types.TransactWriteItem, error) {
	ev := a.Evidence
	if ev == "" {
		ev = optout.Claimed
	}
	have, err := s.pairs(ctx, a.Identifiers, known)
	if err != nil {
		return nil, err
	}
	var writes []types.TransactWriteItem
	for _, x := range a.Identifiers {
		for _, y := range a.Identifiers {
			pk, sk := prefixSubject+x.Key, sortLink+y.Key
			old, ok := have[pk+"\x00"+sk]
			if x.Key == y.Key || (ok && old.Rank() >= ev.Rank()) {
				continue
			}
			w, err := s.link(pk, sk, y, ev, a.At, old, ok)
			if err != nil {
				return nil, err
			}
			writes = append(writes, w)
		}
	}
	return writes, nil
}

// linkKnown is what the walk learnt of links from the partitions it read
// whole: by partition key, the evidence of each link (by sort key) there.
type linkKnown map[string]map[string]optout.Evidence

// pairs returns the evidence of the links between the identifiers given,
// by pk+"\x00"+sk: from known where the walk read a partition whole, the
// rest read.
func (s *OptOuts) pairs(ctx context.Context, ids []optout.Identifier, known linkKnown) (map[string]optout.Evidence, error) {
	have := map[string]optout.Evidence{}
	var keys []map[string]types.AttributeValue
	for _, x := range ids {
		for _, y := range ids {
			if x.Key == y.Key {
				continue
			}
			pk, sk := prefixSubject+x.Key, sortLink+y.Key
			links, whole := known[pk]
			if !whole {
				keys = append(keys, key(pk, sk))
			} else if ev, ok := links[sk]; ok {
				have[pk+"\x00"+sk] = ev
			}
		}
	}
	if len(keys) == 0 {
		return have, nil
	}
	items, err := batchGet(ctx, s.db, s.table, keys)
	if err != nil {
		return nil, err
	}
	for _, item := range items {
		var l linkItem
		if err := attributevalue.UnmarshalMap(item, &l); err != nil {
			return nil, err
		}
		have[l.PK+"\x00"+l.SK] = l.evidence()
	}
	return have, nil
}

// link is the write of one link, on the condition that the item is as read:
// absent, or with the evidence old.
func (s *OptOuts) link(pk, sk string, other optout.Identifier, ev optout.Evidence, at time.Time, old optout.Evidence, existed bool) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(linkItem{
		PK: pk, SK: sk, Kind: "link", Other: other.Key, Type: string(other.Kind), Match: other.Match,
		At: stamp(at), Evidence: string(ev),
	})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	put := &types.Put{TableName: aws.String(s.table), Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}
	if existed {
		if old == optout.Claimed {
			put.ConditionExpression = aws.String("attribute_exists(pk) AND (attribute_not_exists(evidence) OR evidence = :old)")
		} else {
			put.ConditionExpression = aws.String("attribute_exists(pk) AND evidence = :old")
		}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":old": &types.AttributeValueMemberS{Value: string(old)}}
	}
	return types.TransactWriteItem{Put: put}, nil
}

// optOuts returns the writes that opt each of ids out of the rights it is
// not opted out of yet: one ledger event each, and an opt-out item per right
// (a sale/sharing one on the suppression index). It says how many
// identifiers changed.
func (s *OptOuts) optOuts(a optout.Application, ids []optout.Identifier, states map[string]optout.State, heads map[string]*ledger.Head) ([]types.TransactWriteItem, int, error) {
	given := map[string]bool{}
	for _, id := range a.Identifiers {
		given[id.Key] = true
	}
	var writes []types.TransactWriteItem
	changed := 0
	for _, id := range ids {
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
	if a.RequestID != "" && given {
		// Only in the ledger of an identifier the request named: the
		// request is its requester's, and a linked identifier may be
		// someone else's (a claimed link).
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

// walk expands identifiers to those linked to them by links follow accepts,
// breadth first: the identifiers given, then their links, and so on, until
// there are limit (the identifiers given always count). Each partition's links
// are read whole, page by page, but reading stops once limit is reached, so a
// flood of links costs at most limit queries and the pages up to the bound.
func (s *OptOuts) walk(ctx context.Context, start []optout.Identifier, follow func(optout.Evidence) bool, limit int) ([]optout.Identifier, error) {
	ids, _, err := s.walkFrom(ctx, distinct(start), follow, limit)
	return ids, err
}

// walkFrom is walk from distinct identifiers. It reads their partitions at
// the same time (most profiles are those alone, and their links all the walk
// reads), each to the bound, and returns what it learnt of the links in
// those it read whole. A partition cut at the bound holds limit identifiers
// by itself, so the walk ends with the same profile as one read in turn.
func (s *OptOuts) walkFrom(ctx context.Context, start []optout.Identifier, follow func(optout.Evidence) bool, limit int) ([]optout.Identifier, linkKnown, error) {
	first := make([][]linkItem, len(start))
	whole := make([]bool, len(start))
	errs := make([]error, len(start))
	var wg sync.WaitGroup
	for i, id := range start {
		wg.Go(func() {
			followed := 0
			whole[i], errs[i] = s.partitionLinks(ctx, id.Key, func(page []linkItem) bool {
				first[i] = append(first[i], page...)
				for _, l := range page {
					if follow(l.evidence()) {
						followed++
					}
				}
				return followed < limit
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	var ids []optout.Identifier
	seen := map[string]bool{}
	add := func(l linkItem) {
		if len(ids) < limit && follow(l.evidence()) && !seen[l.Other] {
			seen[l.Other] = true
			ids = append(ids, optout.Identifier{Kind: optout.Kind(l.Type), Key: l.Other, Match: l.Match})
		}
	}
	for _, id := range start {
		seen[id.Key] = true
		ids = append(ids, id)
	}
	known := linkKnown{}
	for i, links := range first {
		if whole[i] {
			known[prefixSubject+start[i].Key] = map[string]optout.Evidence{}
		}
		for _, l := range links {
			if whole[i] {
				known[l.PK][l.SK] = l.evidence()
			}
			add(l)
		}
	}
	for next := len(start); next < len(ids) && len(ids) < limit; next++ {
		_, err := s.partitionLinks(ctx, ids[next].Key, func(page []linkItem) bool {
			for _, l := range page {
				add(l)
			}
			return len(ids) < limit
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return ids, known, nil
}

// partitionLinks reads the links of one subject's partition page by page,
// handing each page to page until it says to stop; it says whether it read
// them all.
func (s *OptOuts) partitionLinks(ctx context.Context, subjectKey string, page func([]linkItem) bool) (bool, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :link)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   &types.AttributeValueMemberS{Value: prefixSubject + subjectKey},
			":link": &types.AttributeValueMemberS{Value: sortLink},
		},
		ConsistentRead: aws.Bool(true),
	}
	if linkPage > 0 {
		in.Limit = aws.Int32(linkPage)
	}
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return false, classify(err)
		}
		var links []linkItem
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &links); err != nil {
			return false, err
		}
		if !page(links) {
			break
		}
	}
	return !p.HasMorePages(), nil
}

// read returns the current opt-outs and ledger heads of a profile, by
// key+"\x00"+right and by key.
func (s *OptOuts) read(ctx context.Context, ids []optout.Identifier, rights []optout.Right) (map[string]optout.State, map[string]*ledger.Head, error) {
	var keys []map[string]types.AttributeValue
	for _, id := range ids {
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
