package ddb

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/claritru/privacy/shared/topology"
)

// Guard returns a client for one function that refuses, before it reaches
// the table, every call the function's topology.TableAccess does not allow:
// the same declaration the stack turns into the function's IAM policy. The
// local cloud and the functions' tests use it, so a function that reaches
// for more fails there as it would be denied in AWS.
func Guard(db *dynamodb.Client, fn topology.Function) *dynamodb.Client {
	return dynamodb.New(db.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("TableAccess",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if err := checkAccess(fn, in.Parameters); err != nil {
						return middleware.InitializeOutput{}, middleware.Metadata{}, err
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	})
}

// accessDenied is what IAM answers; the SDK reports it the same way.
func accessDenied(fn topology.Function, what string) error {
	return &smithy.GenericAPIError{
		Code:    "AccessDeniedException",
		Message: fmt.Sprintf("function %s may not %s (topology.TableAccess)", fn.Name, what),
	}
}

// checkAccess checks one call's input against the function's declaration.
func checkAccess(fn topology.Function, params any) error {
	uses, err := accessOf(params)
	if err != nil {
		return accessDenied(fn, err.Error())
	}
	for _, u := range uses {
		ok := fn.Table.Allows(u.action, u.pk)
		if u.index != "" {
			ok = fn.Table.AllowsIndex(u.index)
		}
		if !ok {
			return accessDenied(fn, u.String())
		}
	}
	return nil
}

// use is one action on one partition (or one index query).
type use struct {
	action topology.Action
	pk     string
	index  string
}

func (u use) String() string {
	if u.index != "" {
		return "query index " + u.index
	}
	return fmt.Sprintf("%s on partition %q", u.action, u.pk)
}

// accessOf lists the actions and partitions one DynamoDB call needs, as IAM
// evaluates them: a transaction needs each item's own action.
func accessOf(params any) ([]use, error) {
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		return []use{{action: topology.GetItem, pk: pkOf(in.Key)}}, nil
	case *dynamodb.PutItemInput:
		return []use{{action: topology.PutItem, pk: pkOf(in.Item)}}, nil
	case *dynamodb.UpdateItemInput:
		return []use{{action: topology.UpdateItem, pk: pkOf(in.Key)}}, nil
	case *dynamodb.DeleteItemInput:
		return []use{{action: topology.DeleteItem, pk: pkOf(in.Key)}}, nil
	case *dynamodb.QueryInput:
		if in.IndexName != nil {
			return []use{{action: topology.Query, index: *in.IndexName}}, nil
		}
		pk, err := queryPartition(in)
		return []use{{action: topology.Query, pk: pk}}, err
	case *dynamodb.ScanInput:
		return []use{{action: topology.Scan}}, nil
	case *dynamodb.BatchGetItemInput:
		var out []use
		for _, ka := range in.RequestItems {
			for _, k := range ka.Keys {
				out = append(out, use{action: topology.BatchGetItem, pk: pkOf(k)})
			}
		}
		return out, nil
	case *dynamodb.BatchWriteItemInput:
		return batchWriteUses(in), nil
	case *dynamodb.TransactWriteItemsInput:
		return transactUses(in.TransactItems), nil
	case *dynamodb.TransactGetItemsInput:
		var out []use
		for _, it := range in.TransactItems {
			out = append(out, use{action: topology.GetItem, pk: pkOf(it.Get.Key)})
		}
		return out, nil
	}
	return nil, fmt.Errorf("call %T", params)
}

func batchWriteUses(in *dynamodb.BatchWriteItemInput) []use {
	var out []use
	for _, reqs := range in.RequestItems {
		for _, r := range reqs {
			switch {
			case r.PutRequest != nil:
				out = append(out, use{action: topology.BatchWriteItem, pk: pkOf(r.PutRequest.Item)})
			case r.DeleteRequest != nil:
				out = append(out, use{action: topology.BatchWriteItem, pk: pkOf(r.DeleteRequest.Key)})
			}
		}
	}
	return out
}

func transactUses(items []types.TransactWriteItem) []use {
	var out []use
	for _, it := range items {
		switch {
		case it.Put != nil:
			out = append(out, use{action: topology.PutItem, pk: pkOf(it.Put.Item)})
		case it.Update != nil:
			out = append(out, use{action: topology.UpdateItem, pk: pkOf(it.Update.Key)})
		case it.Delete != nil:
			out = append(out, use{action: topology.DeleteItem, pk: pkOf(it.Delete.Key)})
		case it.ConditionCheck != nil:
			out = append(out, use{action: topology.ConditionCheckItem, pk: pkOf(it.ConditionCheck.Key)})
		}
	}
	return out
}

// pkOf is an item's or key's partition key value.
func pkOf(item map[string]types.AttributeValue) string {
	if s, ok := item[topology.PrivacyTable.PartitionKey].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// keyEquals finds "<name> = <:value>" in a key condition.
var keyEquals = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`([#\w]+)\s*=\s*(:\w+)`) })

// queryPartition is the partition a table query reads: the value its key
// condition gives the partition key.
func queryPartition(in *dynamodb.QueryInput) (string, error) {
	if in.KeyConditionExpression == nil {
		return "", fmt.Errorf("query without a key condition")
	}
	for _, m := range keyEquals().FindAllStringSubmatch(*in.KeyConditionExpression, -1) {
		name := m[1]
		if strings.HasPrefix(name, "#") {
			name = in.ExpressionAttributeNames[name]
		}
		if name != topology.PrivacyTable.PartitionKey {
			continue
		}
		if v, ok := in.ExpressionAttributeValues[m[2]].(*types.AttributeValueMemberS); ok {
			return v.Value, nil
		}
	}
	return "", fmt.Errorf("query whose partition cannot be read from %q", *in.KeyConditionExpression)
}
