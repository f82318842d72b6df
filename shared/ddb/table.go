// Package ddb is the DynamoDB adapter: it stores requests, tokens, audit events
// and the mail outbox in the one table described by topology.PrivacyTable.
// Item structs are private to this package; layout.go describes every item
// kind, its keys, the index keys it carries and how long it is kept.
package ddb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/claritru/privacy/shared/topology"
)

// CreateTableInput is the table of the definition, as DynamoDB Local needs it.
// The CDK stack builds the cloud table from the same definition.
func CreateTableInput(name string, def topology.Table) *dynamodb.CreateTableInput {
	attrs := map[string]bool{def.PartitionKey: true, def.SortKey: true}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(def.PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(def.SortKey), KeyType: types.KeyTypeRange},
		},
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewType(def.StreamView),
		},
	}
	for _, ix := range def.Indexes {
		attrs[ix.PartitionKey], attrs[ix.SortKey] = true, true
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SortKey), KeyType: types.KeyTypeRange},
			},
			Projection: projection(ix),
		})
	}
	for a := range attrs {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS,
		})
	}
	return in
}

// EnsureTable creates the table in DynamoDB Local unless it exists, waits for
// it, and turns on TTL as the stack does.
func EnsureTable(ctx context.Context, c *dynamodb.Client, name string, def topology.Table) error {
	_, err := c.CreateTable(ctx, CreateTableInput(name, def))
	// DynamoDB Local on a loaded machine can answer 500 for a while after
	// it came up; the table is asked for again for up to half a minute.
	for wait := time.Now().Add(30 * time.Second); serverError(err) && time.Now().Before(wait); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		_, err = c.CreateTable(ctx, CreateTableInput(name, def))
	}
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(c)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if errors.As(err, &inUse) {
		return addIndexes(ctx, c, name, def)
	}
	_, err = c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(def.TTLAttribute), Enabled: aws.Bool(true),
		},
	})
	var apiErr smithy.APIError
	// DynamoDB answers ValidationException when TTL is already on.
	if err != nil && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException") {
		return fmt.Errorf("enable TTL on %s: %w", name, err)
	}
	return nil
}

func projection(ix topology.Index) *types.Projection {
	if len(ix.Include) == 0 {
		return &types.Projection{ProjectionType: types.ProjectionTypeAll}
	}
	return &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: ix.Include}
}

// addIndexes adds to an existing table the indexes of the definition it
// lacks (a table made before an index was added to the definition), and
// makes again one whose projection changed since, one at a time as DynamoDB
// requires, waiting for each to be ready. It serves local tables, whose
// indexes can be rebuilt at will.
func addIndexes(ctx context.Context, c *dynamodb.Client, name string, def topology.Table) error {
	in := CreateTableInput(name, def)
	for _, want := range in.GlobalSecondaryIndexes {
		desc, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("describe table %s: %w", name, err)
		}
		i := slices.IndexFunc(desc.Table.GlobalSecondaryIndexes, func(ix types.GlobalSecondaryIndexDescription) bool {
			return aws.ToString(ix.IndexName) == aws.ToString(want.IndexName)
		})
		if i >= 0 {
			if sameProjection(desc.Table.GlobalSecondaryIndexes[i].Projection, want.Projection) {
				continue
			}
			_, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{
				TableName: aws.String(name),
				GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{
					IndexName: want.IndexName,
				}}},
			})
			if err != nil {
				return fmt.Errorf("drop index %s of %s to make it again: %w", aws.ToString(want.IndexName), name, err)
			}
			if err := indexesReady(ctx, c, name, aws.ToString(want.IndexName)); err != nil {
				return err
			}
		}
		_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{
			TableName:            aws.String(name),
			AttributeDefinitions: in.AttributeDefinitions,
			GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
				IndexName: want.IndexName, KeySchema: want.KeySchema, Projection: want.Projection,
			}}},
		})
		if err != nil {
			return fmt.Errorf("add index %s to %s: %w", aws.ToString(want.IndexName), name, err)
		}
		if err := indexesReady(ctx, c, name, ""); err != nil {
			return err
		}
	}
	return nil
}

// indexesReady waits until every index of the table is active and, when
// gone is set, that index is no longer listed; DynamoDB Local takes moments,
// so a few minutes is ample.
func indexesReady(ctx context.Context, c *dynamodb.Client, name, gone string) error {
	poll := backoff{attempts: 600, base: 200 * time.Millisecond, ceiling: 200 * time.Millisecond}
	err := retry(ctx, poll, func(int) error {
		desc, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("describe table %s: %w", name, err)
		}
		for _, ix := range desc.Table.GlobalSecondaryIndexes {
			if ix.IndexStatus != types.IndexStatusActive || aws.ToString(ix.IndexName) == gone {
				return again(errIndexesNotReady)
			}
		}
		return nil
	})
	if errors.Is(err, errIndexesNotReady) {
		return fmt.Errorf("table %s: %w", name, err)
	}
	return err
}

var errIndexesNotReady = errors.New("the indexes are not ready")

func sameProjection(a, b *types.Projection) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := slices.Clone(a.NonKeyAttributes), slices.Clone(b.NonKeyAttributes)
	slices.Sort(x)
	slices.Sort(y)
	return a.ProjectionType == b.ProjectionType && slices.Equal(x, y)
}

// serverError says whether err is an HTTP 5xx answer.
func serverError(err error) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() >= 500
}
