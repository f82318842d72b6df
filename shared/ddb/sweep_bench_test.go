package ddb_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
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

// meter asks DynamoDB for the capacity every call consumes and adds it
// up: in total, reads and writes apart by the kind of call (DynamoDB Local
// reports only a total per call), and by call, for the log.
type meter struct {
	mu          sync.Mutex
	read, write float64
	by          map[string]*callUse
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

// The seeded contents.

// sweepItem is one seeded item.
type sweepItem struct {
	pk, sk string
	av     map[string]types.AttributeValue
}

// sweepData is what a table of one size is seeded with.
type sweepData struct {
	kept    []sweepItem // not due: every one must survive
	expired []sweepItem // due at sweepNow: the 1,000 records the sweep removes
	deps    []sweepItem // the rest of the expired requests' partitions (events), removed with them
	bytes   int         // about the size of all items, for the log
}

func (d *sweepData) total() int { return len(d.kept) + len(d.expired) + len(d.deps) }

// buildSweepData returns n items: the same 1,000 due records (and the
// partitions they live in) for every n, and a realistic mix of records that
// are not due to fill up to n. Not due are open requests, opt-out entries,
// links, ledgers and consents in effect (no expiry) and records whose expiry
// is still ahead: mail, tokens and idempotency records of the last days
// (many of them in today's buckets of the index, later than the clock),
// closed requests and superseded consent evidence of the last years.
func buildSweepData(n int) *sweepData {
	d := &sweepData{}
	g := &sweepGen{r: rand.New(rand.NewPCG(6, 2026)), d: d}
	g.expiredCore()
	if len(d.expired) != sweepExpired {
		panic(fmt.Sprintf("%d due records seeded, want %d", len(d.expired), sweepExpired))
	}
	shards := map[string]bool{}
	for _, it := range d.expired {
		b := strOf(it.av["gsi4pk"])
		shards[b[strings.LastIndexByte(b, '#'):]] = true
	}
	if len(shards) != topology.ExpiryShards {
		panic(fmt.Sprintf("due records in %d shards, want %d", len(shards), topology.ExpiryShards))
	}
	for d.total() < n {
		switch x := g.r.IntN(100); {
		case x < 22:
			g.openRequest()
		case x < 42:
			g.closedRequest()
		case x < 72:
			g.subject()
		case x < 84:
			g.idempotency(toKept, g.future(24*time.Hour))
		case x < 94:
			g.token(toKept, g.future(72*time.Hour))
		default:
			g.confirmToken(toKept, g.future(72*time.Hour))
		}
	}
	d.kept = d.kept[:len(d.kept)-(d.total()-n)]
	for _, list := range [][]sweepItem{d.kept, d.expired, d.deps} {
		for _, it := range list {
			d.bytes += itemSize(it.av)
		}
	}
	return d
}

// itemSize is about what DynamoDB counts an item as: names and values.
func itemSize(av map[string]types.AttributeValue) int {
	n := 0
	for k, v := range av {
		n += len(k)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value)
		case *types.AttributeValueMemberL:
			for _, e := range v.Value {
				n += itemSize(map[string]types.AttributeValue{"": e}) + 1
			}
		case *types.AttributeValueMemberM:
			n += itemSize(v.Value)
		default:
			n++
		}
	}
	return n
}

// sweepGen makes items; its ids and hashes never repeat.
type sweepGen struct {
	r   *rand.Rand
	d   *sweepData
	seq int
}

type itemList int

const (
	toKept itemList = iota
	toExpired
	toDeps
)

// add adds an item, with the expiry attributes of kind at at unless kind is
// empty.
func (g *sweepGen) add(to itemList, pk, sk, kind string, attrs map[string]types.AttributeValue, exp retention.Kind, at time.Time) {
	attrs["pk"], attrs["sk"], attrs["kind"] = avS(pk), avS(sk), avS(kind)
	if exp != "" {
		for k, v := range ddb.ExpiryAttrs(exp, pk, sk, at) {
			attrs[k] = v
		}
	}
	it := sweepItem{pk: pk, sk: sk, av: attrs}
	switch to {
	case toExpired:
		g.d.expired = append(g.d.expired, it)
	case toDeps:
		g.d.deps = append(g.d.deps, it)
	default:
		g.d.kept = append(g.d.kept, it)
	}
}

// id is ULID-shaped and unique.
func (g *sweepGen) id() string {
	g.seq++
	return fmt.Sprintf("01JP%08X%014X", g.seq, g.r.Uint64()>>8)
}

// hash is a SHA-256 in hex, unique: a keyed subject hash or a token hash.
func (g *sweepGen) hash() string {
	g.seq++
	h := sha256.Sum256(fmt.Appendf(nil, "sweep-bench-%d", g.seq))
	return hex.EncodeToString(h[:])
}

func (g *sweepGen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

// past is a time up to d before the clock; due is one up to three days
// before it (and at least a minute); future is one up to d after it (and at
// least a minute). All are whole milliseconds, as stored.
func (g *sweepGen) past(d time.Duration) time.Time {
	return sweepNow.Add(-time.Duration(g.r.Int64N(int64(d)))).Truncate(time.Millisecond)
}

func (g *sweepGen) due() time.Time {
	return sweepNow.Add(-time.Minute - time.Duration(g.r.Int64N(int64(72*time.Hour)))).Truncate(time.Millisecond)
}

func (g *sweepGen) future(d time.Duration) time.Time {
	return sweepNow.Add(time.Minute + time.Duration(g.r.Int64N(int64(d)))).Truncate(time.Millisecond)
}

var (
	sweepFirstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis"}
	sweepLastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie"}
	sweepStates     = []string{"CA", "CO", "CT", "VA", "UT", "TX", "OR", "NY"}
	sweepFiller     = "Please send me a copy of the personal information you hold about me, including anything shared with third parties, and the sources you got it from. "
)

func (g *sweepGen) text(maxLen int) string {
	n := 20 + g.r.IntN(maxLen-20)
	return strings.Repeat(sweepFiller, n/len(sweepFiller)+1)[:n]
}

// request adds a request of the status; closed (if not zero) is when it was
// closed. Its retention is the caller's: to and exp/at.
func (g *sweepGen) request(to itemList, id string, st request.Status, received, closed time.Time, exp retention.Kind, at time.Time) {
	first, last := g.pick(sweepFirstNames...), g.pick(sweepLastNames...)
	email := strings.ToLower(first+"."+last) + fmt.Sprintf("%d@example.com", g.r.IntN(1000))
	subj := g.hash()
	due := received.AddDate(0, 0, 45)
	attrs := map[string]types.AttributeValue{
		"gsi1pk": avS("SUBJ#" + subj), "gsi1sk": avS("REQ#" + id),
		"gsi2pk": avS("STATUS#" + string(st)), "gsi2sk": avS(ddb.StampOf(due) + "#" + id),
		"id": avS(id), "types": avL(string(request.Access), string(request.Delete)), "status": avS(string(st)),
		"channel": avS(string(request.Web)), "first_name": avS(first), "last_name": avS(last), "email": avS(email),
		"phone": avS(fmt.Sprintf("+1415555%04d", g.r.IntN(10000))), "country": avS("US"), "state": avS(g.pick(sweepStates...)),
		"details": avS(g.text(240)), "on_behalf": &types.AttributeValueMemberBOOL{Value: false}, "regime": avS("ccpa"),
		"received_at": avS(ddb.StampOf(received)), "due_at": avS(ddb.StampOf(due)), "subject_key": avS(subj),
		"version": avN(int64(2 + g.r.IntN(4))), "verified_at": avS(ddb.StampOf(received.Add(time.Hour))),
	}
	if !closed.IsZero() {
		attrs["closed_at"] = avS(ddb.StampOf(closed))
		if st == request.Completed {
			attrs["outcome"] = avS("Sent the requested data and deleted the rest.")
		}
	}
	g.add(to, "REQ#"+id, "REQ", "request", attrs, exp, at)
}

// events adds n audit events of request id from at on.
func (g *sweepGen) events(to itemList, id string, at time.Time, n int) {
	actions := []string{"received", "verified", "assigned", "in_progress", "completed", "note"}
	for i := range n {
		a := actions[min(i, len(actions)-1)]
		at = at.Add(time.Duration(1+g.r.IntN(48)) * time.Hour)
		attrs := map[string]types.AttributeValue{
			"at": avS(ddb.StampOf(at)), "action": avS(a), "to": avS(a), "actor": avS(g.pick("requester", "staff:jdoe", "staff:mkim", "system")),
		}
		if g.r.IntN(3) == 0 {
			attrs["note"] = avS(g.text(120))
		}
		g.add(to, "REQ#"+id, "EVENT#"+g.id(), "event", attrs, "", time.Time{})
	}
}

// sentMail adds a mail of partition pk sent at sent (sent_mail expiry).
func (g *sweepGen) sentMail(to itemList, pk string, tmpl mail.Template, sent time.Time) {
	id := g.id()
	first := g.pick(sweepFirstNames...)
	attrs := map[string]types.AttributeValue{
		"id": avS(id), "template": avS(string(tmpl)), "to": avS(strings.ToLower(first) + fmt.Sprintf(".%d@example.com", g.r.IntN(10000))),
		"data": avM(map[string]string{
			"first_name": first, "request_id": g.id(), "portal_url": "https://privacy.example.com/requests/status",
			"business": "Example Retail Inc.", "deadline": ddb.StampOf(sent.AddDate(0, 0, 45))[:10],
			"summary": g.text(120),
		}),
		"status": avS("sent"), "attempts": avN(1), "claimed_at": avS(ddb.StampOf(sent.Add(-2 * time.Second))),
		"sent_at": avS(ddb.StampOf(sent)), "message_id": avS("0100018e" + g.hash()[:52] + "-000000"),
	}
	g.add(to, pk, "MAIL#"+id, "mail", attrs, retention.SentMail, sent.Add(30*24*time.Hour))
}

func (g *sweepGen) token(to itemList, expires time.Time) {
	created := expires.Add(-72 * time.Hour)
	g.add(to, "TOKEN#"+g.hash(), "TOKEN", "token", map[string]types.AttributeValue{
		"request_id": avS(g.id()), "valid_until": avS(ddb.StampOf(created.Add(72 * time.Hour))),
	}, retention.VerificationToken, expires)
}

func (g *sweepGen) confirmToken(to itemList, expires time.Time) {
	created := expires.Add(-72 * time.Hour)
	g.add(to, "CTOKEN#"+g.hash(), "CTOKEN", "confirm_token", map[string]types.AttributeValue{
		"receipt_id": avS(g.id()), "subject_key": avS(g.hash()), "purpose": avS(string(consent.EmailMarketing)),
		"valid_until": avS(ddb.StampOf(created.Add(72 * time.Hour))),
	}, retention.ConfirmationToken, expires)
}

func (g *sweepGen) idempotency(to itemList, expires time.Time) {
	g.add(to, "IDEM#"+g.hash(), "IDEM", "idempotency", map[string]types.AttributeValue{
		"request_id": avS(g.id()), "body_hash": avS(g.hash()),
	}, retention.Idempotency, expires)
}

// consentState adds the current consent of subject sub to a purpose.
func (g *sweepGen) consentState(to itemList, sub string, p consent.Purpose, st consent.Status, since time.Time, exp retention.Kind, at time.Time) {
	g.add(to, "SUBJ#"+sub, "CONSENT#"+string(p), "consent_state", map[string]types.AttributeValue{
		"purpose": avS(string(p)), "status": avS(string(st)), "since": avS(ddb.StampOf(since)),
		"receipt_id": avS(g.id()), "seq": avN(int64(1 + g.r.IntN(9))),
	}, exp, at)
}

// ledger adds subject sub's ledger of n events and its head; consent events
// superseded carry their four years of expiry.
func (g *sweepGen) ledger(sub string, n int) {
	prev := strings.Repeat("0", 64)
	at := g.past(400 * 24 * time.Hour)
	for seq := 1; seq <= n; seq++ {
		h := g.hash()
		ev := g.pick("opt_out", "consent", "consent_confirmed")
		attrs := map[string]types.AttributeValue{
			"subject": avS(sub), "seq": avN(int64(seq)), "id": avS(g.id()), "at": avS(ddb.StampOf(at)), "event": avS(ev),
			"fields": avM(map[string]string{
				"purpose": string(consent.EmailMarketing), "status": string(consent.Granted), "source": "web_form",
				"disclosure": "newsletter-signup@2026-01", "ip_prefix": "203.0.113.0/24", "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4)",
			}),
			"prev_hash": avS(prev), "hash": avS(h),
		}
		var exp retention.Kind
		var until time.Time
		if ev != "opt_out" && seq < n && g.r.IntN(3) == 0 {
			exp, until = retention.ConsentEvidence, g.future(4*365*24*time.Hour)
		}
		g.add(toKept, "SUBJ#"+sub, fmt.Sprintf("LEDGER#%012d", seq), "ledger", attrs, exp, until)
		prev = h
		at = at.Add(time.Duration(1+g.r.IntN(200)) * time.Hour)
	}
	g.add(toKept, "SUBJ#"+sub, "LEDGER", "ledger_head", map[string]types.AttributeValue{
		"seq": avN(int64(n)), "hash": avS(prev),
	}, "", time.Time{})
}

func (g *sweepGen) optOut(sub string, r optout.Right, since time.Time) {
	attrs := map[string]types.AttributeValue{
		"right": avS(string(r)), "id_kind": avS(g.pick("email", "phone", "browser")), "match": avS("exact"),
		"optout_id": avS(g.id()), "since": avS(ddb.StampOf(since)), "source": avS(g.pick("web_form", "gpc", "email")),
	}
	if r == optout.SaleSharing {
		attrs["gsi3pk"], attrs["gsi3sk"] = avS("SUPPRESSED"), avS(ddb.StampOf(since)+"#"+sub)
	}
	g.add(toKept, "SUBJ#"+sub, "OPTOUT#"+string(r), "optout", attrs, "", time.Time{})
}

func (g *sweepGen) link(sub string) {
	other := g.hash()
	g.add(toKept, "SUBJ#"+sub, "LINK#"+other, "link", map[string]types.AttributeValue{
		"other": avS(other), "id_kind": avS(g.pick("email", "phone", "browser")), "match": avS("exact"),
		"at": avS(ddb.StampOf(g.past(400 * 24 * time.Hour))),
	}, "", time.Time{})
}

// expiredCore adds the 1,000 due records: sent mail of requests and of
// opt-outs, verification and confirmation tokens, idempotency records,
// closed and unverified requests (with their events) and withdrawn consents,
// all due within the three days before the clock, with what shares their
// partitions and stays.
func (g *sweepGen) expiredCore() {
	// Requests still open whose first two mails are due (kept: the request
	// and its events).
	for range 150 {
		id := g.id()
		received := g.past(60 * 24 * time.Hour)
		g.request(toKept, id, request.InProgress, received, time.Time{}, "", time.Time{})
		g.events(toKept, id, received, 2)
		for _, t := range []mail.Template{mail.RequestReceived, mail.RequestVerified} {
			g.sentMail(toExpired, "REQ#"+id, t, g.due().Add(-30*24*time.Hour))
		}
	}
	// Opt-out confirmations, due; the opt-out and a link stay.
	for range 100 {
		sub := g.hash()
		g.optOut(sub, optout.SaleSharing, g.past(90*24*time.Hour))
		g.link(sub)
		g.sentMail(toExpired, "SUBJ#"+sub, mail.OptOutConfirmed, g.due().Add(-30*24*time.Hour))
	}
	for range 150 {
		g.token(toExpired, g.due())
	}
	for range 50 {
		g.confirmToken(toExpired, g.due())
	}
	for range 200 {
		g.idempotency(toExpired, g.due())
	}
	// Requests closed 24 months ago, with their history.
	for range 100 {
		id := g.id()
		at := g.due()
		closed := at.AddDate(0, -24, 0)
		g.request(toExpired, id, request.Completed, closed.AddDate(0, 0, -30), closed, retention.ClosedRequest, at)
		g.events(toDeps, id, closed.AddDate(0, 0, -30), 3)
	}
	// Requests never verified, expired 30 days ago.
	for range 50 {
		id := g.id()
		at := g.due()
		closed := at.Add(-30 * 24 * time.Hour)
		g.request(toExpired, id, request.ExpiredUnverified, closed.Add(-72*time.Hour), closed, retention.UnverifiedRequest, at)
		g.events(toDeps, id, closed.Add(-72*time.Hour), 2)
	}
	// Consents withdrawn four years ago; the ledger stays.
	for range 50 {
		sub := g.hash()
		at := g.due()
		g.ledger(sub, 2)
		g.consentState(toExpired, sub, consent.EmailMarketing, consent.Withdrawn, at.AddDate(-4, 0, 0), retention.ConsentEvidence, at)
	}
}

// openRequest adds a request in progress with its history, the mail sent
// for it (expiring within 30 days), and for some its token and idempotency
// record (expiring within days).
func (g *sweepGen) openRequest() {
	id := g.id()
	received := g.past(40 * 24 * time.Hour)
	st := request.Status(g.pick(string(request.PendingVerification), string(request.Verified), string(request.InProgress)))
	g.request(toKept, id, st, received, time.Time{}, "", time.Time{})
	g.events(toKept, id, received, 1+g.r.IntN(3))
	for range 1 + g.r.IntN(2) {
		g.sentMail(toKept, "REQ#"+id, mail.RequestReceived, g.future(30*24*time.Hour).Add(-30*24*time.Hour))
	}
	if st == request.PendingVerification {
		g.token(toKept, g.future(72*time.Hour))
	}
	if g.r.IntN(2) == 0 {
		g.idempotency(toKept, g.future(24*time.Hour))
	}
}

// closedRequest adds a request closed in the last 24 months with its
// history.
func (g *sweepGen) closedRequest() {
	id := g.id()
	at := g.future(2 * 365 * 24 * time.Hour)
	closed := at.AddDate(0, -24, 0)
	received := closed.AddDate(0, 0, -30)
	g.request(toKept, id, request.Status(g.pick(string(request.Completed), string(request.Denied), string(request.Cancelled))),
		received, closed, retention.ClosedRequest, at)
	g.events(toKept, id, received, 3+g.r.IntN(3))
}

// subject adds a person's partition: ledger, opt-outs, links, consents and
// now and then a recent mail.
func (g *sweepGen) subject() {
	sub := g.hash()
	g.ledger(sub, 1+g.r.IntN(4))
	since := g.past(400 * 24 * time.Hour)
	g.optOut(sub, optout.SaleSharing, since)
	if g.r.IntN(3) == 0 {
		g.optOut(sub, optout.LimitSensitive, since)
	}
	for range g.r.IntN(3) {
		g.link(sub)
	}
	for _, p := range []consent.Purpose{consent.EmailMarketing, consent.SMSMarketing, consent.CookiesAnalytics}[:g.r.IntN(4)] {
		if g.r.IntN(4) == 0 {
			g.consentState(toKept, sub, p, consent.Withdrawn, since, retention.ConsentEvidence, g.future(4*365*24*time.Hour))
		} else {
			g.consentState(toKept, sub, p, consent.Granted, since, "", time.Time{})
		}
	}
	if g.r.IntN(4) == 0 {
		g.sentMail(toKept, "SUBJ#"+sub, mail.OptOutConfirmed, g.future(30*24*time.Hour).Add(-30*24*time.Hour))
	}
}
