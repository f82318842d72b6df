package ddb

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// Hooks for the package's external tests and benchmarks.

// SetLinkPage makes pages of a partition's links hold n links for the rest
// of the test, so that a profile is read over many pages.
func SetLinkPage(t testing.TB, n int32) {
	old := linkPage
	linkPage = n
	t.Cleanup(func() { linkPage = old })
}

// SweepsPK is the partition of the sweep's own records (reports,
// checkpoints, lease).
const SweepsPK = sweepsPK

// StampOf is how the table stores a time.
func StampOf(t time.Time) string { return stamp(t) }

// ExpiryAttrs returns the expiry attributes (retention, expires_at, the
// by-expiry keys, ttl) that the record pk/sk of the kind carries when it
// expires at at, as the stores write them.
func ExpiryAttrs(kind retention.Kind, pk, sk string, at time.Time) map[string]types.AttributeValue {
	av, err := attributevalue.MarshalMap(expiryAt(kind, pk, sk, at))
	if err != nil {
		panic(err)
	}
	return av
}

// ForgetCheckpoints removes every shard's checkpoint, so that the next run
// reads its buckets from Since again.
func (s *Sweeper) ForgetCheckpoints(ctx context.Context) error {
	for shard := range topology.ExpiryShards {
		_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(s.table),
			Key:       key(sweepsPK, checkpointSort(shard)),
		})
		if err != nil {
			return err
		}
	}
	return nil
}
