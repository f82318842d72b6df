package ddb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ids"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// The sweep's own records live in one partition (see layout.go).
const (
	pageSize   = 100 // index entries read per query page
	sweepBatch = 25  // entries removed per step (one BatchWriteItem)
	// overlapDays is how many checkpointed days a run reads again.
	overlapDays = 2
)

// reportItem is a sweep run's report: counts only, no keys.
type reportItem struct {
	PK         string         `dynamodbav:"pk"`
	SK         string         `dynamodbav:"sk"`
	Kind       string         `dynamodbav:"kind"`
	RunID      string         `dynamodbav:"run_id"`
	StartedAt  string         `dynamodbav:"started_at"`
	EndedAt    string         `dynamodbav:"ended_at,omitempty"`
	Status     string         `dynamodbav:"status"`
	Removed    map[string]int `dynamodbav:"removed"`
	Dependents int            `dynamodbav:"dependents"`
	Kept       int            `dynamodbav:"kept"`
	Buckets    int            `dynamodbav:"buckets"`
	Errors     map[string]int `dynamodbav:"errors"`
	expiry
}

func (it reportItem) report() retention.Report {
	r := retention.Report{
		RunID: it.RunID, StartedAt: parseStamp(it.StartedAt), EndedAt: parseStamp(it.EndedAt),
		Status: retention.RunStatus(it.Status), Removed: map[retention.Kind]int{},
		Dependents: it.Dependents, Kept: it.Kept, Buckets: it.Buckets,
	}
	for k, n := range it.Removed {
		r.Removed[retention.Kind(k)] = n
	}
	if len(it.Errors) > 0 {
		r.Errors = maps.Clone(it.Errors)
	}
	return r
}

// pendingItem is a step in progress: the records it is about to remove.
// Its keys are table keys (request ids and keyed hashes, no raw personal
// data), and it lives only as long as the step. A run killed inside a step
// leaves it behind; the next run counts which of its records are gone into
// the killed run's report, so every removal is counted exactly once.
type pendingItem struct {
	PK      string         `dynamodbav:"pk"`
	SK      string         `dynamodbav:"sk"`
	Kind    string         `dynamodbav:"kind"`
	RunID   string         `dynamodbav:"run_id"`
	Records []pendingEntry `dynamodbav:"records"`
}

type pendingEntry struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Retention string `dynamodbav:"retention"`
}

// checkpointItem is how far one shard has been swept.
type checkpointItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Kind    string `dynamodbav:"kind"`
	Through string `dynamodbav:"through"` // yyyy-mm-dd
	RunID   string `dynamodbav:"run_id"`
}

// Sweeper enforces the retention policy on the table. It reads the due
// buckets of the sparse by-expiry index (expiry day and shard; each shard by
// its own worker) and removes what they list, 25 records a step:
//
//   - records whose expiry cannot move are deleted in one BatchWriteItem,
//     unprocessed deletes retried with a growing pause;
//   - records whose expiry can move (retention.Rule.Moves) are removed one by
//     one on the condition that their expiry is still the one read, so a
//     record superseded meanwhile stays; a ledger event leaves a stub;
//   - a request goes with its partition (audit history, mail), the request
//     item last, so a run cut short leaves it due and the next run finishes.
//
// After each step the run's report is updated (ADD), so counts survive a
// kill; removed records leave the index, so a run started again finds only
// what is left and counts nothing twice. A shard's checkpoint (the last day
// swept clean) keeps later runs from reading old buckets again. A run stops
// before its context's deadline (the Lambda timeout) and the next run
// continues. One run at a time: a lease item keeps a second one out.
type Sweeper struct {
	db    *dynamodb.Client
	table string
	ids   *ids.Source
	// progress serialises calls of Progress.
	progress sync.Mutex
	// Now is the clock expiries are compared with; nil is time.Now.
	Now func() time.Time
	// Since is the first expiry day a sweep reads when a shard has no
	// checkpoint; zero is ttlGrace before the run (what expired earlier is
	// DynamoDB's TTL's).
	Since time.Time
	// Margin: a run stops when less than this is left before its
	// context's deadline.
	Margin time.Duration
	// Lease is how long a run keeps others out; a run killed without
	// ending frees it after this. Longer than the function's timeout.
	Lease time.Duration
	// Progress, when set, is told the report so far after each step that
	// removed something; calls come one at a time.
	Progress func(retention.Report)
}

var _ retention.Reports = (*Sweeper)(nil)

// NewSweeper returns the sweeper of the named table.
func NewSweeper(db *dynamodb.Client, table string) *Sweeper {
	return &Sweeper{db: db, table: table, ids: ids.NewSource(), Margin: 30 * time.Second, Lease: 10 * time.Minute}
}

func (s *Sweeper) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// run is the state of one run, shared by its shard workers.
type run struct {
	s       *Sweeper
	now     time.Time
	mu      sync.Mutex
	rep     retention.Report
	stopped bool
	// leaseUntil is when the run's lease ends; renewed as it goes.
	leaseUntil time.Time
}

// Run sweeps once and returns its report; the error says what could not be
// removed (the records stay due for the next run).
func (s *Sweeper) Run(ctx context.Context) (retention.Report, error) {
	now := s.now()
	r := &run{s: s, now: now, rep: retention.Report{
		RunID: s.ids.At(now), StartedAt: now, Status: retention.Running,
		Removed: map[retention.Kind]int{},
	}}
	if err := s.lock(ctx, r.rep.RunID, now); err != nil {
		r.rep.Status = retention.Failed
		return r.rep, err
	}
	r.leaseUntil = now.Add(s.Lease)
	defer s.unlock(context.WithoutCancel(ctx), r.rep.RunID)
	if err := s.interruptStale(ctx, now); err != nil {
		r.rep.Status = retention.Failed
		return r.rep, err
	}
	if err := s.recover(ctx); err != nil {
		r.rep.Status = retention.Failed
		return r.rep, err
	}
	pk, sk := sweepsPK, prefixRun+r.rep.RunID
	av, err := attributevalue.MarshalMap(reportItem{
		PK: pk, SK: sk, Kind: "sweep_report", RunID: r.rep.RunID, StartedAt: stamp(now),
		Status: string(retention.Running), Removed: map[string]int{}, Errors: map[string]int{},
		expiry: expires(retention.SweepReport, pk, sk, now),
	})
	if err != nil {
		r.rep.Status = retention.Failed
		return r.rep, err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}); err != nil {
		r.rep.Status = retention.Failed
		return r.rep, classify(err)
	}
	through, err := s.checkpoints(ctx)
	if err != nil {
		r.rep.Status = retention.Failed
		return r.rep, err
	}
	since := s.Since
	if since.IsZero() {
		// What expired longer ago than TTL's grace is TTL's.
		since = now.Add(-ttlGrace)
	}
	first := day(since)
	errs := make([]error, topology.ExpiryShards)
	var wg sync.WaitGroup
	for shard := range topology.ExpiryShards {
		from := first
		if t, ok := through[shard]; ok {
			// The last checkpointed days are read again: a record
			// written with an expiry already past (a clock running
			// behind) lands there. It costs a few empty queries.
			from = t.AddDate(0, 0, 1-overlapDays)
		}
		wg.Go(func() { errs[shard] = r.shard(ctx, shard, from) })
	}
	wg.Wait()
	err = errors.Join(errs...)
	switch {
	case err != nil:
		r.rep.Status = retention.Failed
	case r.stopped:
		r.rep.Status = retention.Stopped
	default:
		r.rep.Status = retention.Finished
	}
	r.rep.EndedAt = s.now()
	_, uerr := s.db.UpdateItem(context.WithoutCancel(ctx), &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: key(pk, sk),
		// The buckets read are told once, at the end.
		UpdateExpression:         aws.String("SET #st = :st, ended_at = :end, buckets = :b"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":st":  &types.AttributeValueMemberS{Value: string(r.rep.Status)},
			":end": &types.AttributeValueMemberS{Value: stamp(r.rep.EndedAt)},
			":b":   &types.AttributeValueMemberN{Value: fmt.Sprint(r.rep.Buckets)},
		},
	})
	return r.rep, errors.Join(err, classify(uerr))
}

// day is the start of t's UTC day.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// errLeaseLost says a run outlived its lease and another run took it.
var errLeaseLost = errors.New("the sweep's lease lapsed and another run took it")

// renew renews the run's lease when half of it has passed; a run that lost
// its lease (it ran past it and another took over) stops.
func (r *run) renew(ctx context.Context) error {
	now := r.s.now()
	r.mu.Lock()
	due := now.After(r.leaseUntil.Add(-r.s.Lease / 2))
	r.mu.Unlock()
	if !due {
		return nil
	}
	if err := r.s.lock(ctx, r.rep.RunID, now); err != nil {
		if errors.Is(err, retention.ErrBusy) {
			// Not "busy, did nothing": this run did work and must
			// fail visibly.
			err = errLeaseLost
		}
		r.fail(ctx, err)
		return err
	}
	r.mu.Lock()
	r.leaseUntil = now.Add(r.s.Lease)
	r.mu.Unlock()
	return nil
}

// late says the run must stop: its deadline is within the margin.
func (r *run) late(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < r.s.Margin {
		r.mu.Lock()
		r.stopped = true
		r.mu.Unlock()
		return true
	}
	return false
}

// shard sweeps the buckets of one shard from day from to today.
func (r *run) shard(ctx context.Context, shard int, from time.Time) error {
	today := day(r.now)
	lastClean := ""
	defer func() {
		if lastClean != "" {
			r.s.saveCheckpoint(context.WithoutCancel(ctx), shard, lastClean, r.rep.RunID)
		}
	}()
	for d := from; !d.After(today); d = d.AddDate(0, 0, 1) {
		in := &dynamodb.QueryInput{
			TableName:              aws.String(r.s.table),
			IndexName:              aws.String(topology.IndexExpiry),
			KeyConditionExpression: aws.String("gsi4pk = :b AND gsi4sk <= :now"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":b":   &types.AttributeValueMemberS{Value: bucket(d, shard)},
				":now": &types.AttributeValueMemberS{Value: stamp(r.now)},
			},
			Limit: aws.Int32(pageSize),
		}
		r.add(retention.Report{Buckets: 1})
		for {
			if r.late(ctx) {
				return ctx.Err()
			}
			page, err := r.s.db.Query(ctx, in)
			if err != nil {
				r.fail(ctx, err)
				return fmt.Errorf("shard %d: read due records: %w", shard, classify(err))
			}
			for i := 0; i < len(page.Items); i += sweepBatch {
				if r.late(ctx) {
					return ctx.Err()
				}
				if err := r.renew(ctx); err != nil {
					return fmt.Errorf("shard %d: %w", shard, err)
				}
				chunk := page.Items[i:min(i+sweepBatch, len(page.Items))]
				if err := r.step(ctx, chunk); err != nil {
					r.fail(ctx, err)
					return fmt.Errorf("shard %d: remove: %w", shard, err)
				}
			}
			if len(page.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = page.LastEvaluatedKey
		}
		if d.Before(today) {
			lastClean = d.Format(expiryDay)
		}
	}
	return nil
}

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
	if len(due) == 0 {
		return nil
	}
	note := pendingItem{
		PK: sweepsPK, SK: prefixPending + r.rep.RunID + "#" + r.s.ids.At(r.now),
		Kind: "sweep_step", RunID: r.rep.RunID,
	}
	for _, e := range due {
		note.Records = append(note.Records, pendingEntry{PK: e.PK, SK: e.SK, Retention: e.Retention})
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
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, classify(err)
	}
	return true, nil
}

// add adds a step's counts to the run's report.
func (r *run) add(delta retention.Report) {
	r.mu.Lock()
	for k, n := range delta.Removed {
		r.rep.Removed[k] += n
	}
	r.rep.Dependents += delta.Dependents
	r.rep.Kept += delta.Kept
	r.rep.Buckets += delta.Buckets
	tell := len(delta.Removed) > 0 && r.s.Progress != nil
	var snap retention.Report
	if tell {
		snap = r.snapshot()
	}
	r.mu.Unlock()
	// Told outside the run's lock, so a slow listener holds up only the
	// shard that called it.
	if tell {
		r.s.progress.Lock()
		defer r.s.progress.Unlock()
		r.s.Progress(snap)
	}
}

func (r *run) snapshot() retention.Report {
	c := r.rep
	c.Removed = maps.Clone(r.rep.Removed)
	c.Errors = maps.Clone(r.rep.Errors)
	return c
}

// fail records an error in the report by its code, never its message (a
// message may quote a key).
func (r *run) fail(ctx context.Context, err error) {
	code := "internal"
	var apiErr smithy.APIError
	switch {
	case errors.Is(err, errLeaseLost):
		code = "lease_lost"
	case errors.As(err, &apiErr):
		code = apiErr.ErrorCode()
	case fault.KindOf(err) == fault.TooMany:
		code = "throttled"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code = "cancelled"
	}
	r.mu.Lock()
	if r.rep.Errors == nil {
		r.rep.Errors = map[string]int{}
	}
	r.rep.Errors[code]++
	r.mu.Unlock()
	r.s.count(context.WithoutCancel(ctx), r.rep.RunID, retention.Report{Errors: map[string]int{code: 1}})
}

// count adds counts to the stored report. It is best effort: the run's own
// result has them, and a report that missed them says less than was done,
// never more. Removals are counted by step (countUpdate), exactly.
func (s *Sweeper) count(ctx context.Context, runID string, delta retention.Report) {
	if u := s.countUpdate(runID, delta); u != nil {
		_ = retry(ctx, busy, func(int) error {
			_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
				ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
			})
			return againIfBusy(classify(err))
		})
	}
}

// countUpdate is the update that adds counts to a run's report; nil when
// there is nothing to add.
func (s *Sweeper) countUpdate(runID string, delta retention.Report) *types.Update {
	var sets, adds []string
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	i := 0
	inc := func(m, name string, n int) {
		i++
		names[fmt.Sprintf("#k%d", i)] = name
		values[fmt.Sprintf(":n%d", i)] = &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
		values[":zero"] = &types.AttributeValueMemberN{Value: "0"}
		sets = append(sets, fmt.Sprintf("%[1]s.#k%[2]d = if_not_exists(%[1]s.#k%[2]d, :zero) + :n%[2]d", m, i))
	}
	for k, n := range delta.Removed {
		if n != 0 {
			inc("removed", string(k), n)
		}
	}
	for code, n := range delta.Errors {
		inc("#errors", code, n)
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"dependents", delta.Dependents}, {"kept", delta.Kept}, {"buckets", delta.Buckets}} {
		if c.n != 0 {
			adds = append(adds, c.name+" :"+c.name)
			values[":"+c.name] = &types.AttributeValueMemberN{Value: fmt.Sprint(c.n)}
		}
	}
	if len(sets) == 0 && len(adds) == 0 {
		return nil
	}
	var expr []string
	if len(sets) > 0 {
		expr = append(expr, "SET "+strings.Join(sets, ", "))
	}
	if len(adds) > 0 {
		expr = append(expr, "ADD "+strings.Join(adds, ", "))
	}
	if len(delta.Errors) > 0 {
		names["#errors"] = "errors"
	}
	if len(names) == 0 {
		names = nil
	}
	return &types.Update{
		TableName: aws.String(s.table), Key: key(sweepsPK, prefixRun+runID),
		UpdateExpression: aws.String(strings.Join(expr, " ")), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	}
}

// recover finishes the counting of steps that killed runs left behind: a
// record of the step that is gone (or, for a ledger event, a stub) was
// removed by that run and is added to its report, with the note deleted in
// the same transaction. Records still there stay due and are swept anew.
func (s *Sweeper) recover(ctx context.Context) error {
	notes, err := partition(ctx, s.db, s.table, sweepsPK, prefixPending, "")
	if err != nil {
		return err
	}
	for _, item := range notes {
		var note pendingItem
		if err := attributevalue.UnmarshalMap(item, &note); err != nil {
			return err
		}
		keys := make([]map[string]types.AttributeValue, len(note.Records))
		for i, e := range note.Records {
			keys[i] = key(e.PK, e.SK)
		}
		found, err := batchGet(ctx, s.db, s.table, keys)
		if err != nil {
			return err
		}
		still := map[string]bool{}
		for _, it := range found {
			if ev, ok := it["event"].(*types.AttributeValueMemberS); ok && ev.Value == eventPruned {
				continue
			}
			still[keyString(it)] = true
		}
		delta := retention.Report{Removed: map[retention.Kind]int{}}
		for _, e := range note.Records {
			if !still[e.PK+"\x00"+e.SK] {
				delta.Removed[retention.Kind(e.Retention)]++
			}
		}
		writes := []types.TransactWriteItem{{Delete: &types.Delete{
			TableName: aws.String(s.table), Key: key(note.PK, note.SK),
		}}}
		if u := s.countUpdate(note.RunID, delta); u != nil {
			u.ConditionExpression = aws.String("attribute_exists(pk)")
			writes = append(writes, types.TransactWriteItem{Update: u})
		}
		if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes}); err != nil {
			if cancelled(err) == nil {
				return classify(err)
			}
			// The killed run's report is gone (swept after 24
			// months): drop the note.
			if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(note.PK, note.SK)}); err != nil {
				return classify(err)
			}
		}
	}
	return nil
}

// checkpoints reads every shard's last clean day.
func (s *Sweeper) checkpoints(ctx context.Context) (map[int]time.Time, error) {
	var keys []map[string]types.AttributeValue
	for shard := range topology.ExpiryShards {
		keys = append(keys, key(sweepsPK, checkpointSort(shard)))
	}
	items, err := batchGet(ctx, s.db, s.table, keys)
	if err != nil {
		return nil, err
	}
	out := map[int]time.Time{}
	for _, item := range items {
		var cp checkpointItem
		if err := attributevalue.UnmarshalMap(item, &cp); err != nil {
			return nil, err
		}
		var shard int
		if _, err := fmt.Sscanf(cp.SK, prefixCP+"%d", &shard); err != nil {
			continue
		}
		if t, err := time.Parse(expiryDay, cp.Through); err == nil {
			out[shard] = t
		}
	}
	return out, nil
}

// saveCheckpoint moves a shard's checkpoint forward (never back).
func (s *Sweeper) saveCheckpoint(ctx context.Context, shard int, through, runID string) {
	_, _ = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 key(sweepsPK, checkpointSort(shard)),
		UpdateExpression:    aws.String("SET through = :t, run_id = :run, kind = :kind"),
		ConditionExpression: aws.String("attribute_not_exists(through) OR through < :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t":    &types.AttributeValueMemberS{Value: through},
			":run":  &types.AttributeValueMemberS{Value: runID},
			":kind": &types.AttributeValueMemberS{Value: "sweep_checkpoint"},
		},
	})
}

// lock takes the run lease, or renews this run's, unless another run holds
// it.
func (s *Sweeper) lock(ctx context.Context, runID string, now time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 key(sweepsPK, sortLock),
		UpdateExpression:    aws.String("SET run_id = :run, #until = :until"),
		ConditionExpression: aws.String("attribute_not_exists(run_id) OR #until < :now OR run_id = :run"),
		ExpressionAttributeNames: map[string]string{
			"#until": "until",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":run":   &types.AttributeValueMemberS{Value: runID},
			":until": &types.AttributeValueMemberS{Value: stamp(now.Add(s.Lease))},
			":now":   &types.AttributeValueMemberS{Value: stamp(now)},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return retention.ErrBusy
	}
	return classify(err)
}

// unlock frees the lease if this run still holds it.
func (s *Sweeper) unlock(ctx context.Context, runID string) {
	_, _ = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(sweepsPK, sortLock),
		ConditionExpression:       aws.String("run_id = :run"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":run": &types.AttributeValueMemberS{Value: runID}},
	})
}

// interruptStale marks the reports of earlier runs that never ended (killed)
// as interrupted: the lease is ours, so none of them is still going.
func (s *Sweeper) interruptStale(ctx context.Context, now time.Time) error {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :run)"),
		FilterExpression:       aws.String("#st = :running"),
		ExpressionAttributeNames: map[string]string{
			"#st": "status",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":      &types.AttributeValueMemberS{Value: sweepsPK},
			":run":     &types.AttributeValueMemberS{Value: prefixRun},
			":running": &types.AttributeValueMemberS{Value: string(retention.Running)},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(10),
		ConsistentRead:   aws.Bool(true),
	})
	if err != nil {
		return classify(err)
	}
	for _, item := range out.Items {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(s.table),
			Key:                      key(sweepsPK, skOf(item)),
			UpdateExpression:         aws.String("SET #st = :interrupted"),
			ConditionExpression:      aws.String("#st = :running"),
			ExpressionAttributeNames: map[string]string{"#st": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":interrupted": &types.AttributeValueMemberS{Value: string(retention.Interrupted)},
				":running":     &types.AttributeValueMemberS{Value: string(retention.Running)},
			},
		})
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) {
			return classify(err)
		}
	}
	return nil
}

// runIDPattern is a ULID, what a report cursor holds.
var runIDPattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)

// Reports implements retention.Reports: the newest reports first, one query
// of the sweeps' partition. The cursor is the last run id of a page.
func (s *Sweeper) Reports(ctx context.Context, cursor string, limit int) ([]retention.Report, string, error) {
	if limit <= 0 {
		limit = 50
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :run)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":  &types.AttributeValueMemberS{Value: sweepsPK},
			":run": &types.AttributeValueMemberS{Value: prefixRun},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	}
	if cursor != "" {
		if !runIDPattern.MatchString(cursor) {
			var f fault.Fields
			f.Add("cursor", "is not a cursor this list returned")
			return nil, "", f.Err()
		}
		in.ExclusiveStartKey = key(sweepsPK, prefixRun+cursor)
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", classify(err)
	}
	var items []reportItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, "", err
	}
	reps := make([]retention.Report, len(items))
	for i, it := range items {
		reps[i] = it.report()
	}
	next := ""
	if len(out.LastEvaluatedKey) > 0 && len(items) > 0 {
		next = items[len(items)-1].RunID
	}
	return reps, next, nil
}
