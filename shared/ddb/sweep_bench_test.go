package ddb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// BenchmarkRetentionSweep measures the retention sweep (ddb.Sweeper, which
// reads the due buckets of the sparse by-expiry index) on a table of 10,000
// and of 100,000 items, 1,000 of them expired in both, beside a scan-based
// sweep of the same contents (a parallel Scan of the whole table filtered on
// expires_at). Each sub-benchmark has its own table, seeded once with the
// items that stay; every iteration seeds the expired records (and the
// partitions of the expired requests) again with the timer stopped, then
// removes them, then checks that every one of them is gone.
// After the last iteration the whole table is read back: every item that
// was not due must still be there.
//
// Reported per iteration: RCU/op and WCU/op, the capacity DynamoDB says
// the calls consumed (DynamoDB Local reports only a total per call, so reads
// and writes are told apart by the kind of call), and items/s, expired
// records removed per second of timed wall time (the dependents removed with
// the expired requests are not counted). The log breaks the capacity down
// by call.
//
// The sweep's reads depend on the due entries, not on the table: its read
// capacity should be the same for both tables, while the scan's grows with
// the table. Both read the partitions of the expired requests (the same
// reads, the same capacity on both tables), so the scan's total grows a
// little less than its Scan calls do. Run it with
//
//	go test -run '^$' -bench RetentionSweep -benchtime 1x ./shared/ddb/
//
// DynamoDB bills a Query that returns nothing 0.5 RCU (eventually
// consistent); DynamoDB Local reports 0. The sweep queries the same buckets
// (days from Since to today, times the shards; two of the six days are
// empty) on both tables, so this lowers its totals by a few units and does
// not change the comparison.
func BenchmarkRetentionSweep(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		data := buildSweepData(n)
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			b.Run("sweep", func(b *testing.B) { benchSweep(b, data, indexSweep) })
			b.Run("scan", func(b *testing.B) { benchSweep(b, data, scanSweep) })
		})
	}
}

// The benchmark's clock, fixed for the run: 06:00 UTC today, near the real
// time as a live table's would be (the records' ttl is ahead of it). Due
// records expired in the three days before it; the sweep reads from five
// days before it.
var (
	sweepNow   = time.Now().UTC().Truncate(24 * time.Hour).Add(6 * time.Hour)
	sweepSince = sweepNow.AddDate(0, 0, -5)
)

const (
	sweepExpired = 1_000
	seedWorkers  = 16
)

// sweepResult is what one removal pass did.
type sweepResult struct {
	removed, dependents int
}

// sweepFunc removes what is due at sweepNow from the table through db (the
// metered client).
type sweepFunc func(ctx context.Context, db *dynamodb.Client, table string) (sweepResult, error)

func benchSweep(b *testing.B, data *sweepData, sweep sweepFunc) {
	ctx := context.Background()
	db, table := sweepTable(b)
	m := &meter{}
	metered := dynamodb.NewFromConfig(localcloud.LocalAWS(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(localtest.DynamoDBEndpoint())
	}, m.option)

	start := time.Now()
	seedItems(b, db, table, data.kept)
	b.Logf("%d items (%d due records, %d dependents; ~%d bytes an item); seeded in %s",
		data.total(), len(data.expired), len(data.deps), data.bytes/data.total(), time.Since(start).Round(time.Millisecond))

	removed, iters := 0, 0
	for b.Loop() {
		b.StopTimer()
		seedItems(b, db, table, data.expired)
		seedItems(b, db, table, data.deps)
		// A fresh run reads every bucket from Since, not from the last
		// iteration's checkpoints (the scan's table has none).
		if err := ddb.NewSweeper(db, table).ForgetCheckpoints(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		res, err := sweep(ctx, metered, table)

		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.removed != len(data.expired) || res.dependents != len(data.deps) {
			b.Fatalf("removed %d records and %d dependents, want %d and %d", res.removed, res.dependents, len(data.expired), len(data.deps))
		}
		assertGone(b, db, table, data.expired)
		assertGone(b, db, table, data.deps)
		removed += res.removed
		iters++
		b.StartTimer()
	}
	assertKept(b, db, table, data.kept)
	b.Logf("per iteration: %s", m.breakdown(iters))
	b.ReportMetric(m.read/float64(iters), "RCU/op")
	b.ReportMetric(m.write/float64(iters), "WCU/op")
	b.ReportMetric(float64(removed)/b.Elapsed().Seconds(), "items/s")
}

// sweepTable creates a table of the service's definition (keys, indexes)
// for one sub-benchmark and deletes it when the sub-benchmark ends. It has
// no stream: DynamoDB Local keeps every stream record, of every table, and
// its writes slow down as they pile up (several times over within some tens
// of thousands of writes), so seeding 100,000 items would take many
// minutes. Neither what the sweep reads nor the capacity DynamoDB counts
// depends on the stream. TTL is off as well, so DynamoDB Local's reaper
// removes nothing behind the benchmark's back.
func sweepTable(b *testing.B) (*dynamodb.Client, string) {
	b.Helper()
	ctx := context.Background()
	db := localtest.DynamoDB(b)
	name := fmt.Sprintf("sweep-bench-%x", rand.Uint64())
	in := ddb.CreateTableInput(name, topology.PrivacyTable)
	in.StreamSpecification = nil
	if _, err := db.CreateTable(ctx, in); err != nil {
		b.Fatal(err)
	}
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return db, name
}

// indexSweep is the sweep under test.
func indexSweep(ctx context.Context, db *dynamodb.Client, table string) (sweepResult, error) {
	s := ddb.NewSweeper(db, table)
	s.Now = func() time.Time { return sweepNow }
	s.Since = sweepSince
	rep, err := s.Run(ctx)
	if err != nil {
		return sweepResult{}, err
	}
	if rep.Status != retention.Finished || rep.Kept != 0 || len(rep.Errors) != 0 {
		return sweepResult{}, fmt.Errorf("sweep report: status %s, kept %d, errors %v", rep.Status, rep.Kept, rep.Errors)
	}
	res := sweepResult{dependents: rep.Dependents}
	for _, n := range rep.Removed {
		res.removed += n
	}
	return res, nil
}

// scanSweep is the baseline: a Scan of the whole table, one segment per
// expiry shard so it works as many in parallel as the sweep, keeping what
// expired (expires_at <= now) and deleting it 25 a BatchWriteItem. Like the
// sweep it takes an expired request's partition with it. It deletes records
// whose expiry can move without the sweep's condition: the benchmark seeds
// none that moved.
func scanSweep(ctx context.Context, db *dynamodb.Client, table string) (sweepResult, error) {
	var (
		mu   sync.Mutex
		res  sweepResult
		wg   sync.WaitGroup
		errs = make([]error, topology.ExpiryShards)
	)
	for seg := range topology.ExpiryShards {
		wg.Go(func() {
			p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
				TableName:                 aws.String(table),
				Segment:                   aws.Int32(int32(seg)),
				TotalSegments:             aws.Int32(topology.ExpiryShards),
				FilterExpression:          aws.String("expires_at <= :now"),
				ProjectionExpression:      aws.String("pk, sk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":now": avS(ddb.StampOf(sweepNow))},
			})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					errs[seg] = err
					return
				}
				var due []types.WriteRequest
				deps := 0
				for _, it := range page.Items {
					pk, sk := strOf(it["pk"]), strOf(it["sk"])
					if strings.HasPrefix(pk, "REQ#") && sk == "REQ" {
						n, err := deletePartition(ctx, db, table, pk, sk)
						deps += n
						if err != nil {
							errs[seg] = err
							return
						}
					}
					due = append(due, deleteOf(pk, sk))
				}
				if err := writeAll(ctx, db, table, due); err != nil {
					errs[seg] = err
					return
				}
				mu.Lock()
				res.removed += len(due)
				res.dependents += deps
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// deletePartition deletes the items of partition pk other than sk and says
// how many.
func deletePartition(ctx context.Context, db *dynamodb.Client, table, pk, sk string) (int, error) {
	p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ProjectionExpression:      aws.String("pk, sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": avS(pk)},
		ConsistentRead:            aws.Bool(true),
	})
	var deletes []types.WriteRequest
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, it := range page.Items {
			if s := strOf(it["sk"]); s != sk {
				deletes = append(deletes, deleteOf(pk, s))
			}
		}
	}
	return len(deletes), writeAll(ctx, db, table, deletes)
}

// Seeding and checking.

// seedItems writes items, 25 a BatchWriteItem, several calls at a time.
func seedItems(b *testing.B, db *dynamodb.Client, table string, items []sweepItem) {
	b.Helper()
	ctx := context.Background()
	batches := make(chan []types.WriteRequest)
	errs := make([]error, seedWorkers)
	var wg sync.WaitGroup
	for w := range seedWorkers {
		wg.Go(func() {
			for reqs := range batches {
				if errs[w] == nil {
					errs[w] = writeAll(ctx, db, table, reqs)
				}
			}
		})
	}
	for i := 0; i < len(items); i += 25 {
		chunk := items[i:min(i+25, len(items))]
		reqs := make([]types.WriteRequest, len(chunk))
		for j, it := range chunk {
			reqs[j] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it.av}}
		}
		batches <- reqs
	}
	close(batches)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// writeAll runs writes 25 a BatchWriteItem, retrying what comes back
// unprocessed.
func writeAll(ctx context.Context, db *dynamodb.Client, table string, writes []types.WriteRequest) error {
	for i := 0; i < len(writes); i += 25 {
		pending := writes[i:min(i+25, len(writes))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt == 10 {
				return fmt.Errorf("%d writes still unprocessed", len(pending))
			}
			if attempt > 0 {
				time.Sleep(time.Duration(10<<attempt) * time.Millisecond)
			}
			out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{table: pending},
			})
			if err != nil {
				return err
			}
			pending = out.UnprocessedItems[table]
		}
	}
	return nil
}

// assertGone fails unless none of the items is in the table.
func assertGone(b *testing.B, db *dynamodb.Client, table string, items []sweepItem) {
	b.Helper()
	ctx := context.Background()
	for i := 0; i < len(items); i += 100 {
		keys := make([]map[string]types.AttributeValue, 0, 100)
		for _, it := range items[i:min(i+100, len(items))] {
			keys = append(keys, keyOf(it.pk, it.sk))
		}
		for len(keys) > 0 {
			out, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				table: {Keys: keys, ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("pk, sk")},
			}})
			if err != nil {
				b.Fatal(err)
			}
			if found := out.Responses[table]; len(found) > 0 {
				b.Fatalf("%d due items left, e.g. %s %s", len(found), strOf(found[0]["pk"]), strOf(found[0]["sk"]))
			}
			keys = out.UnprocessedKeys[table].Keys
		}
	}
}

// assertKept reads the whole table back and fails unless every item kept
// is there and nothing else is but the sweep's own records.
func assertKept(b *testing.B, db *dynamodb.Client, table string, kept []sweepItem) {
	b.Helper()
	ctx := context.Background()
	want := make(map[string]bool, len(kept))
	for _, it := range kept {
		want[it.pk+"\x00"+it.sk] = true
	}
	var (
		mu    sync.Mutex
		found int
		extra []string
		wg    sync.WaitGroup
	)
	errs := make([]error, seedWorkers)
	for seg := range seedWorkers {
		wg.Go(func() {
			p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
				TableName: aws.String(table), ProjectionExpression: aws.String("pk, sk"),
				Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(seedWorkers),
			})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					errs[seg] = err
					return
				}
				mu.Lock()
				for _, it := range page.Items {
					pk, sk := strOf(it["pk"]), strOf(it["sk"])
					switch {
					case want[pk+"\x00"+sk]:
						found++
					case pk != ddb.SweepsPK:
						extra = append(extra, pk+" "+sk)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	if found != len(kept) || len(extra) > 0 {
		b.Fatalf("%d of %d items that were not due are left; %d items that should be gone are there (e.g. %v)",
			found, len(kept), len(extra), extra[:min(3, len(extra))])
	}
}

func keyOf(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": avS(pk), "sk": avS(sk)}
}

func deleteOf(pk, sk string) types.WriteRequest {
	return types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: keyOf(pk, sk)}}
}

func strOf(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func avS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func avN(v int64) types.AttributeValue { return &types.AttributeValueMemberN{Value: fmt.Sprint(v)} }

func avL(vs ...string) types.AttributeValue {
	l := make([]types.AttributeValue, len(vs))
	for i, v := range vs {
		l[i] = avS(v)
	}
	return &types.AttributeValueMemberL{Value: l}
}

func avM(kv map[string]string) types.AttributeValue {
	m := make(map[string]types.AttributeValue, len(kv))
	for k, v := range kv {
		m[k] = avS(v)
	}
	return &types.AttributeValueMemberM{Value: m}
}
