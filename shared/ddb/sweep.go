package ddb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ids"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// The sizes of a run's reads and steps (its records: see layout.go).
const (
	pageSize   = 100 // index entries read per query page
	sweepBatch = 25  // entries removed per step (one BatchWriteItem)
	// overlapDays is how many checkpointed days a run reads again.
	overlapDays = 2
)

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
func (s *Sweeper) Run(ctx context.Context) (_ retention.Report, err error) {
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
	defer func() {
		err = errors.Join(err, s.unlock(context.WithoutCancel(ctx), r.rep.RunID))
	}()
	through, err := r.begin(ctx)
	if err != nil {
		r.rep.Status = retention.Failed
		return r.rep, err
	}
	err = r.shards(ctx, through)
	return r.rep, r.end(ctx, err)
}

// begin readies a run that holds the lease: the reports of killed runs are
// marked interrupted and their last steps counted, this run's report is
// written, and the shards' checkpoints are read.
func (r *run) begin(ctx context.Context) (map[int]time.Time, error) {
	s := r.s
	if err := s.interruptStale(ctx, r.now); err != nil {
		return nil, err
	}
	if err := s.recover(ctx); err != nil {
		return nil, err
	}
	pk, sk := sweepsPK, prefixRun+r.rep.RunID
	av, err := attributevalue.MarshalMap(reportItem{
		PK: pk, SK: sk, Kind: "sweep_report", RunID: r.rep.RunID, StartedAt: stamp(r.now),
		Status: string(retention.Running), Removed: map[string]int{}, Errors: map[string]int{},
		expiry: expires(retention.SweepReport, pk, sk, r.now),
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}); err != nil {
		return nil, classify(err)
	}
	return s.checkpoints(ctx)
}

// shards sweeps every shard, each by its own worker, from the day after its
// checkpoint (less the overlap), or from Since when it has none.
func (r *run) shards(ctx context.Context, through map[int]time.Time) error {
	since := r.s.Since
	if since.IsZero() {
		// What expired longer ago than TTL's grace is TTL's.
		since = r.now.Add(-ttlGrace)
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
	return errors.Join(errs...)
}

// end settles the run's status from the shards' error and writes it, with
// the end time and the buckets read, to the stored report.
func (r *run) end(ctx context.Context, err error) error {
	switch {
	case err != nil:
		r.rep.Status = retention.Failed
	case r.stopped:
		r.rep.Status = retention.Stopped
	default:
		r.rep.Status = retention.Finished
	}
	r.rep.EndedAt = r.s.now()
	_, uerr := r.s.db.UpdateItem(context.WithoutCancel(ctx), &dynamodb.UpdateItemInput{
		TableName: aws.String(r.s.table), Key: key(sweepsPK, prefixRun+r.rep.RunID),
		// The buckets read are told once, at the end.
		UpdateExpression:         aws.String("SET #st = :st, ended_at = :end, buckets = :b"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":st":  &types.AttributeValueMemberS{Value: string(r.rep.Status)},
			":end": &types.AttributeValueMemberS{Value: stamp(r.rep.EndedAt)},
			":b":   &types.AttributeValueMemberN{Value: fmt.Sprint(r.rep.Buckets)},
		},
	})
	return errors.Join(err, classify(uerr))
}

// day is the start of t's UTC day.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
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

// shard sweeps the buckets of one shard from day from to today, and moves
// its checkpoint to the last day before today swept clean. A checkpoint not
// saved is recorded in the report: the next run reads those days again.
func (r *run) shard(ctx context.Context, shard int, from time.Time) error {
	today := day(r.now)
	lastClean := ""
	defer func() {
		if lastClean == "" {
			return
		}
		if err := r.s.saveCheckpoint(context.WithoutCancel(ctx), shard, lastClean, r.rep.RunID); err != nil {
			r.fail(ctx, err)
		}
	}()
	for d := from; !d.After(today); d = d.AddDate(0, 0, 1) {
		swept, err := r.bucket(ctx, shard, d)
		if !swept || err != nil {
			return err
		}
		if d.Before(today) {
			lastClean = d.Format(expiryDay)
		}
	}
	return nil
}

// bucket sweeps the due records of one day's bucket of a shard, page by
// page; swept is false when the run must stop first (then err is the
// context's, if any).
func (r *run) bucket(ctx context.Context, shard int, d time.Time) (swept bool, err error) {
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
	for more := true; more; more = len(in.ExclusiveStartKey) > 0 {
		if r.late(ctx) {
			return false, ctx.Err()
		}
		page, err := r.s.db.Query(ctx, in)
		if err != nil {
			r.fail(ctx, err)
			return false, fmt.Errorf("shard %d: read due records: %w", shard, classify(err))
		}
		for i := 0; i < len(page.Items); i += sweepBatch {
			if r.late(ctx) {
				return false, ctx.Err()
			}
			if err := r.renew(ctx); err != nil {
				return false, fmt.Errorf("shard %d: %w", shard, err)
			}
			if err := r.step(ctx, page.Items[i:min(i+sweepBatch, len(page.Items))]); err != nil {
				r.fail(ctx, err)
				return false, fmt.Errorf("shard %d: remove: %w", shard, err)
			}
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	return true, nil
}
