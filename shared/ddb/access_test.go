package ddb_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/topology"
)

// A guarded client lets through what its function's declaration allows and
// refuses the rest with IAM's error, before the call reaches the table.
func TestGuardEnforcesTheFunctionsTableAccess(t *testing.T) {
	db, table := localtest.NewTable(t)
	g := ddb.Guard(db, topology.Function{Name: "reader", Table: topology.TableAccess{
		Actions:    []topology.Action{topology.GetItem, topology.Query, topology.PutItem},
		Partitions: []string{"REQ#*", "SWEEPS"},
		Indexes:    []string{topology.IndexByStatus},
	}})
	ctx := context.Background()
	item := func(pk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "X"},
		}
	}
	query := func(pk string) *dynamodb.QueryInput {
		return &dynamodb.QueryInput{
			TableName:                 aws.String(table),
			KeyConditionExpression:    aws.String("#p = :v"),
			ExpressionAttributeNames:  map[string]string{"#p": "pk"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: pk}},
		}
	}
	calls := []struct {
		name    string
		call    func() error
		allowed bool
	}{
		{"put in an allowed partition", func() error {
			_, err := g.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("REQ#1")})
			return err
		}, true},
		{"get from the exact partition", func() error {
			_, err := g.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item("SWEEPS")})
			return err
		}, true},
		{"query an allowed partition", func() error { _, err := g.Query(ctx, query("REQ#1")); return err }, true},
		{"query an allowed index", func() error {
			_, err := g.Query(ctx, &dynamodb.QueryInput{
				TableName: aws.String(table), IndexName: aws.String(topology.IndexByStatus),
				KeyConditionExpression:    aws.String("gsi2pk = :v"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: "STATUS#received"}},
			})
			return err
		}, true},
		{"put in another partition", func() error {
			_, err := g.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("SUBJ#1")})
			return err
		}, false},
		{"a prefix of an exact partition", func() error {
			_, err := g.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item("SWEEPS2")})
			return err
		}, false},
		{"query another partition", func() error { _, err := g.Query(ctx, query("SUBJ#1")); return err }, false},
		{"query another index", func() error {
			_, err := g.Query(ctx, &dynamodb.QueryInput{
				TableName: aws.String(table), IndexName: aws.String(topology.IndexBySubject),
				KeyConditionExpression:    aws.String("gsi1pk = :v"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: "SUBJ#1"}},
			})
			return err
		}, false},
		{"an action not declared", func() error {
			_, err := g.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: item("REQ#1")})
			return err
		}, false},
		{"scan", func() error { _, err := g.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)}); return err }, false},
		{"a transaction with one item outside", func() error {
			_, err := g.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: aws.String(table), Item: item("REQ#2")}},
				{Put: &types.Put{TableName: aws.String(table), Item: item("TOKEN#2")}},
			}})
			return err
		}, false},
		{"a batch write", func() error {
			_, err := g.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
				table: {{PutRequest: &types.PutRequest{Item: item("REQ#3")}}},
			}})
			return err
		}, false},
	}
	for _, c := range calls {
		err := c.call()
		var api smithy.APIError
		denied := errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException"
		if c.allowed && err != nil {
			t.Errorf("%s: %v, want it allowed", c.name, err)
		}
		if !c.allowed && !denied {
			t.Errorf("%s: %v, want AccessDeniedException", c.name, err)
		}
	}
	// Nothing refused reached the table.
	for _, pk := range []string{"SUBJ#1", "TOKEN#2", "REQ#2", "REQ#3"} {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item(pk), ConsistentRead: aws.Bool(true)})
		if err != nil || out.Item != nil {
			t.Errorf("%s: written (%v) despite the refusal", pk, err)
		}
	}
}
