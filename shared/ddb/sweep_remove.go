package ddb

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/retention"
)

// Removal: what one step of a sweep removes, and how.

// entry is one due record as the index lists it.
type entry struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Retention string `dynamodbav:"retention"`
	ExpiresAt string `dynamodbav:"expires_at"`
	Seq       int64  `dynamodbav:"seq"`
	Hash      string `dynamodbav:"hash"`
	PrevHash  string `dynamodbav:"prev_hash"`
	Event     string `dynamodbav:"event"`
	At        string `dynamodbav:"at"`
}

// pendingItem is a step in progress: the records it is about to remove.
// Its keys are table keys (request ids and keyed hashes, no raw personal
// data), and it lives only as long as the step. A run killed inside a step
// leaves it behind; the next run counts which of its records are gone into
// the killed run's report, so every removal is counted exactly once.
//
// The note is written and deleted once per step, each write charged per
// started KB of it: its keys are kept deflated (Keys, see packNote), and a
// step whose keys would not fit maxNoteKeys is cut in two, so that every
// note stays within one write unit. Records is how notes of earlier
// versions listed them; recover still reads it.
type pendingItem struct {
	PK      string         `dynamodbav:"pk"`
	SK      string         `dynamodbav:"sk"`
	Kind    string         `dynamodbav:"kind"`
	RunID   string         `dynamodbav:"run_id"`
	Keys    []byte         `dynamodbav:"keys,omitempty"`
	Records []pendingEntry `dynamodbav:"records,omitempty"`
}

// maxNoteKeys bounds a note's packed keys: with its key, kind and run id
// (about 120 bytes) the note stays under 1 KB. 25 records keyed by a hash
// (tokens, idempotency records) pack into about 940 bytes, so a full step
// of them takes two notes; longer keys (a duplicate guard) make smaller
// steps still.
const maxNoteKeys = 880

// packNote deflates the entries' retention kinds and keys, one line each
// (tab-separated; keys hold no tabs or newlines): hex hashes pack to about
// half their size, and the kinds and prefixes repeated from line to line
// to a few bytes.
func packNote(es []pendingEntry) ([]byte, error) {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		if _, err := fmt.Fprintf(w, "%s\t%s\t%s\n", e.Retention, e.PK, e.SK); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// entries are the records a note lists, in either form.
func (n pendingItem) entries() ([]pendingEntry, error) {
	out := slices.Clone(n.Records)
	if len(n.Keys) == 0 {
		return out, nil
	}
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(n.Keys)))
	if err != nil {
		return nil, fmt.Errorf("read the step note %s: %w", n.SK, err)
	}
	for line := range strings.Lines(string(raw)) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("read the step note %s: a line of %d fields", n.SK, len(f))
		}
		out = append(out, pendingEntry{Retention: f[0], PK: f[1], SK: f[2]})
	}
	return out, nil
}

type pendingEntry struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Retention string `dynamodbav:"retention"`
}

// step removes the due records of one page chunk: it writes down what it is
// about to remove, removes it, and then, in one transaction, adds what it
// removed to the report and deletes the note.
func (r *run) step(ctx context.Context, items []map[string]types.AttributeValue) error {
	var all, due []entry
	if err := attributevalue.UnmarshalListOfMaps(items, &all); err != nil {
		return err
	}
	for _, e := range all {
		if _, err := retention.RuleFor(retention.Kind(e.Retention)); err != nil || e.ExpiresAt == "" || e.ExpiresAt > stamp(r.now) {
			// Not ours to judge (an unknown kind), or not due: the
			// index said otherwise only if it lagged.
			continue
		}
		due = append(due, e)
	}
	return r.removeNoted(ctx, due)
}

// removeNoted removes due records under one note, or, when their keys do
// not fit one, in two halves.
func (r *run) removeNoted(ctx context.Context, due []entry) error {
	if len(due) == 0 {
		return nil
	}
	note := pendingItem{
		PK: sweepsPK, SK: prefixPending + r.rep.RunID + "#" + r.s.ids.At(r.now),
		Kind: "sweep_step", RunID: r.rep.RunID,
	}
	es := make([]pendingEntry, len(due))
	for i, e := range due {
		es[i] = pendingEntry{PK: e.PK, SK: e.SK, Retention: e.Retention}
	}
	var err error
	if note.Keys, err = packNote(es); err != nil {
		return err
	}
	if len(note.Keys) > maxNoteKeys && len(due) > 1 {
		half := len(due) / 2
		if err := r.removeNoted(ctx, due[:half]); err != nil {
			return err
		}
		return r.removeNoted(ctx, due[half:])
	}
	av, err := attributevalue.MarshalMap(note)
	if err != nil {
		return err
	}
	if _, err := r.s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.s.table), Item: av}); err != nil {
		return classify(err)
	}
	delta, err := r.remove(ctx, due)
	r.add(delta)
	writes := []types.TransactWriteItem{{Delete: &types.Delete{
		TableName: aws.String(r.s.table), Key: key(note.PK, note.SK),
	}}}
	if u := r.s.countUpdate(r.rep.RunID, delta); u != nil {
		writes = append(writes, types.TransactWriteItem{Update: u})
	}
	// Retried while busy: the shards' steps all update the run's one
	// report item, so their transactions conflict.
	terr := retry(ctx, busy, func(int) error {
		_, err := r.s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		return againIfBusy(classify(err))
	})
	if terr != nil {
		// The note stays; the next run counts from it.
		err = errors.Join(err, terr)
	}
	return err
}

// remove removes due records and says what it removed.
func (r *run) remove(ctx context.Context, entries []entry) (retention.Report, error) {
	delta := retention.Report{Removed: map[retention.Kind]int{}}
	var fixed []entry
	for _, e := range entries {
		kind := retention.Kind(e.Retention)
		rule, _ := retention.RuleFor(kind)
		if !rule.Moves {
			fixed = append(fixed, e)
			continue
		}
		removed, err := r.removeMoving(ctx, e)
		if err != nil {
			return delta, err
		}
		if removed {
			delta.Removed[kind]++
		} else {
			delta.Kept++
		}
	}
	// A request's partition (history, mail) goes first, the request item
	// last with the other fixed records: cut short, the request is still
	// due and the next run removes the rest.
	for _, e := range fixed {
		if !strings.HasPrefix(e.PK, prefixRequest) || e.SK != sortRequest {
			continue
		}
		items, err := partition(ctx, r.s.db, r.s.table, e.PK, "", "pk, sk, expires_at")
		if err != nil {
			return delta, err
		}
		var deps []types.WriteRequest
		for _, it := range items {
			if skOf(it) == sortRequest {
				continue
			}
			// A record due for its own period (a sent mail) is its own
			// bucket's to remove and count, in this run or the next.
			if exp, ok := it["expires_at"].(*types.AttributeValueMemberS); ok && exp.Value <= stamp(r.now) {
				continue
			}
			deps = append(deps, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(e.PK, skOf(it))}})
		}
		left, err := batchDelete(ctx, r.s.db, r.s.table, deps)
		delta.Dependents += len(deps) - len(left)
		if err != nil {
			return delta, err
		}
	}
	deletes := make([]types.WriteRequest, len(fixed))
	for i, e := range fixed {
		deletes[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(e.PK, e.SK)}}
	}
	left, err := batchDelete(ctx, r.s.db, r.s.table, deletes)
	notDone := map[string]bool{}
	for _, w := range left {
		notDone[keyString(w.DeleteRequest.Key)] = true
	}
	for _, e := range fixed {
		if !notDone[e.PK+"\x00"+e.SK] {
			delta.Removed[retention.Kind(e.Retention)]++
		}
	}
	return delta, err
}

// removeMoving removes a record whose expiry can move, on the condition that
// its expiry is still the one the index listed; a ledger event is replaced by
// its stub. It reports false when the record moved on (or is gone).
func (r *run) removeMoving(ctx context.Context, e entry) (bool, error) {
	cond := aws.String("expires_at = :seen")
	values := map[string]types.AttributeValue{":seen": &types.AttributeValueMemberS{Value: e.ExpiresAt}}
	var err error
	if strings.HasPrefix(e.SK, sortLedger) {
		subject := strings.TrimPrefix(e.PK, prefixSubject)
		var stub map[string]types.AttributeValue
		stub, err = attributevalue.MarshalMap(ledgerItem{
			PK: e.PK, SK: e.SK, Kind: "ledger", Subject: subject, Seq: e.Seq, At: e.At,
			Event: eventPruned, PrevHash: e.PrevHash, Hash: e.Hash, PrunedAt: stamp(r.now),
			PrunedEvent: e.Event, PrunedExpiry: e.ExpiresAt,
		})
		if err != nil {
			return false, err
		}
		// The stub keeps no fields or id: only its place in the chain,
		// what kind of event it was, when, and why it could go.
		delete(stub, "fields")
		delete(stub, "id")
		_, err = r.s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(r.s.table), Item: stub,
			ConditionExpression: cond, ExpressionAttributeValues: values,
		})
	} else {
		var names map[string]string
		if retention.Kind(e.Retention) == retention.UnsentMail {
			// Not a mail a sender is working on: its send would
			// find the record gone.
			cond = aws.String("expires_at = :seen AND (#st = :queued OR (#st = :sending AND claimed_at < :stale))")
			names = map[string]string{"#st": "status"}
			values[":queued"] = &types.AttributeValueMemberS{Value: mailQueued}
			values[":sending"] = &types.AttributeValueMemberS{Value: mailSending}
			values[":stale"] = &types.AttributeValueMemberS{Value: stamp(r.now.Add(-ClaimLease))}
		}
		_, err = r.s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(r.s.table), Key: key(e.PK, e.SK),
			ConditionExpression: cond, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		})
	}
	return applied(err)
}
