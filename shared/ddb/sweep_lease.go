package ddb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// The sweep's lease (one run at a time) and its per-shard checkpoints.

// checkpointItem is how far one shard has been swept.
type checkpointItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Kind    string `dynamodbav:"kind"`
	Through string `dynamodbav:"through"` // yyyy-mm-dd
	RunID   string `dynamodbav:"run_id"`
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

// unlock frees the lease if this run still holds it (one another run took
// over is no error here: renew has failed the run already).
func (s *Sweeper) unlock(ctx context.Context, runID string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(sweepsPK, sortLock),
		ConditionExpression:       aws.String("run_id = :run"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":run": &types.AttributeValueMemberS{Value: runID}},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("free the lease: %w", classify(err))
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

// saveCheckpoint moves a shard's checkpoint forward (never back: a
// checkpoint already past through is no error).
func (s *Sweeper) saveCheckpoint(ctx context.Context, shard int, through, runID string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
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
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("save the checkpoint of shard %d: %w", shard, classify(err))
	}
	return nil
}
