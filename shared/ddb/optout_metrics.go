package ddb

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/topology"
)

// CountBySource counts the opt-outs of sale and sharing that took effect in
// [from, to), by how they reached the company (optout.Source: form, gpc,
// request, staff), for the 11 CCR §7102 figures. An opt-out counts once
// however many identifiers it covered (its items share its id), and a repeat
// of one already in force is no new opt-out (it writes nothing). It reads
// the suppression index, which holds every opt-out of sale and sharing in
// force (nothing supersedes one), by the time it took effect; keys and
// identifiers are neither read nor returned.
func (s *OptOuts) CountBySource(ctx context.Context, from, to time.Time) (map[string]int, error) {
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(topology.IndexSuppression),
		// A bare stamp sorts before every key of its millisecond: from is
		// inclusive and to exclusive.
		KeyConditionExpression: aws.String("gsi3pk = :pk AND gsi3sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   &types.AttributeValueMemberS{Value: suppressionPK},
			":from": &types.AttributeValueMemberS{Value: stamp(from)},
			":to":   &types.AttributeValueMemberS{Value: stamp(to)},
		},
		ProjectionExpression:     aws.String("optout_id, #src"),
		ExpressionAttributeNames: map[string]string{"#src": "source"},
	})
	seen := map[string]bool{}
	counts := map[string]int{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, classify(err)
		}
		var items []struct {
			OptOutID string `dynamodbav:"optout_id"`
			Source   string `dynamodbav:"source"`
		}
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, err
		}
		for _, it := range items {
			if seen[it.OptOutID] {
				continue
			}
			seen[it.OptOutID] = true
			counts[it.Source]++
		}
	}
	return counts, nil
}
