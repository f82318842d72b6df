package ddb_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// meter asks DynamoDB for the capacity every call consumes and adds it
// up: in total, reads and writes apart by the kind of call (DynamoDB Local
// reports only a total per call), and by call, for the log.
type meter struct {
	mu          sync.Mutex
	read, write float64
	// transacted counts the items written in transactions: DynamoDB Local's
	// consumed capacity for a transaction does not grow with its items, so
	// the count is reported beside it (each costs 2 WCU per KB in AWS).
	transacted int
	by         map[string]*callUse
	// watch, if set, sees every transaction before it is sent.
	watch func(*dynamodb.TransactWriteItemsInput)
}

// callUse is what the calls of one kind consumed.
type callUse struct {
	calls int
	units float64
}

func (m *meter) add(call string, write bool, cs ...types.ConsumedCapacity) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.by == nil {
		m.by = map[string]*callUse{}
	}
	u := m.by[call]
	if u == nil {
		u = &callUse{}
		m.by[call] = u
	}
	u.calls++
	for _, c := range cs {
		n := aws.ToFloat64(c.CapacityUnits)
		u.units += n
		if write {
			m.write += n
		} else {
			m.read += n
		}
	}
}

func (m *meter) report(b *testing.B) {
	b.ReportMetric(m.read/float64(b.N), "RCU/op")
	b.ReportMetric(m.write/float64(b.N), "WCU/op")
	b.ReportMetric(float64(m.transacted)/float64(b.N), "txitems/op")
	calls := 0
	for _, u := range m.by {
		calls += u.calls
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
}

// breakdown says, per iteration, the calls of each kind and their capacity.
func (m *meter) breakdown(iters int) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var parts []string
	for _, call := range slices.Sorted(maps.Keys(m.by)) {
		u := m.by[call]
		parts = append(parts, fmt.Sprintf("%s %d calls %.1f CU", call, u.calls/iters, u.units/float64(iters)))
	}
	return strings.Join(parts, "; ")
}

func (m *meter) option(o *dynamodb.Options) {
	total := types.ReturnConsumedCapacityTotal
	one := func(c *types.ConsumedCapacity) []types.ConsumedCapacity {
		if c == nil {
			return nil
		}
		return []types.ConsumedCapacity{*c}
	}
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("sweep-capacity", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			call := ""
			switch v := in.Parameters.(type) {
			case *dynamodb.GetItemInput:
				v.ReturnConsumedCapacity, call = total, "GetItem"
			case *dynamodb.QueryInput:
				v.ReturnConsumedCapacity, call = total, "Query"
				if v.IndexName != nil {
					call += " " + *v.IndexName
				}
			case *dynamodb.ScanInput:
				v.ReturnConsumedCapacity, call = total, "Scan"
			case *dynamodb.BatchGetItemInput:
				v.ReturnConsumedCapacity, call = total, "BatchGetItem"
			case *dynamodb.PutItemInput:
				v.ReturnConsumedCapacity, call = total, "PutItem"
			case *dynamodb.UpdateItemInput:
				v.ReturnConsumedCapacity, call = total, "UpdateItem"
			case *dynamodb.DeleteItemInput:
				v.ReturnConsumedCapacity, call = total, "DeleteItem"
			case *dynamodb.BatchWriteItemInput:
				v.ReturnConsumedCapacity, call = total, "BatchWriteItem"
			case *dynamodb.TransactWriteItemsInput:
				v.ReturnConsumedCapacity, call = total, "TransactWriteItems"
				m.mu.Lock()
				m.transacted += len(v.TransactItems)
				m.mu.Unlock()
				if m.watch != nil {
					m.watch(v)
				}
			}
			out, md, err := next.HandleInitialize(ctx, in)
			switch r := out.Result.(type) {
			case *dynamodb.GetItemOutput:
				m.add(call, false, one(r.ConsumedCapacity)...)
			case *dynamodb.QueryOutput:
				m.add(call, false, one(r.ConsumedCapacity)...)
			case *dynamodb.ScanOutput:
				m.add(call, false, one(r.ConsumedCapacity)...)
			case *dynamodb.BatchGetItemOutput:
				m.add(call, false, r.ConsumedCapacity...)
			case *dynamodb.PutItemOutput:
				m.add(call, true, one(r.ConsumedCapacity)...)
			case *dynamodb.UpdateItemOutput:
				m.add(call, true, one(r.ConsumedCapacity)...)
			case *dynamodb.DeleteItemOutput:
				m.add(call, true, one(r.ConsumedCapacity)...)
			case *dynamodb.BatchWriteItemOutput:
				m.add(call, true, r.ConsumedCapacity...)
			case *dynamodb.TransactWriteItemsOutput:
				m.add(call, true, r.ConsumedCapacity...)
			}
			return out, md, err
		}), middleware.Before)
	})
}

// reset forgets what setting up a benchmark consumed.
func (m *meter) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.read, m.write, m.transacted, m.by = 0, 0, 0, nil
}
