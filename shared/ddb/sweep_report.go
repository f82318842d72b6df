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
	"github.com/claritru/privacy/shared/retention"
)

// The sweep's reports: counted as the run goes, so that the counts survive
// a kill, and read by staff (GET /v1/admin/sweeps).

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

// report is the stored report; an error when a stored time is corrupt.
func (it reportItem) report() (retention.Report, error) {
	var ts stampReader
	r := retention.Report{
		RunID: it.RunID, StartedAt: ts.at(it.StartedAt), EndedAt: ts.at(it.EndedAt),
		Status: retention.RunStatus(it.Status), Removed: map[retention.Kind]int{},
		Dependents: it.Dependents, Kept: it.Kept, Buckets: it.Buckets,
	}
	for k, n := range it.Removed {
		r.Removed[retention.Kind(k)] = n
	}
	if len(it.Errors) > 0 {
		r.Errors = maps.Clone(it.Errors)
	}
	return r, ts.err
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
		records, err := note.entries()
		if err != nil {
			return err
		}
		keys := make([]map[string]types.AttributeValue, len(records))
		for i, e := range records {
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
		for _, e := range records {
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
var runIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`) })

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
		if !runIDPattern().MatchString(cursor) {
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
		if reps[i], err = it.report(); err != nil {
			return nil, "", err
		}
	}
	next := ""
	if len(out.LastEvaluatedKey) > 0 && len(items) > 0 {
		next = items[len(items)-1].RunID
	}
	return reps, next, nil
}
