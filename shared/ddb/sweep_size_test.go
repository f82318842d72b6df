package ddb_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/retention"
)

// writeUnit is what DynamoDB charges one write unit for: an item of up to
// 1 KB.
const writeUnit = 1024

// dynamoSize is the size DynamoDB counts for an item (names and values; a
// number counted by its digits, a little over DynamoDB's count).
func dynamoSize(av map[string]types.AttributeValue) int {
	n := 0
	for k, v := range av {
		n += len(k) + valueBytes(v)
	}
	return n
}

func valueBytes(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return len(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += valueBytes(e) + 1
		}
		return n
	case *types.AttributeValueMemberM:
		return 3 + dynamoSize(v.Value) + len(v.Value)
	}
	return 1
}

// noteWatch keeps the step notes a sweep writes.
type noteWatch struct {
	mu    sync.Mutex
	sizes []int
}

func (w *noteWatch) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("notes", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if p, ok := in.Parameters.(*dynamodb.PutItemInput); ok {
				if sk, ok := p.Item["sk"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(sk.Value, "PENDING#") {
					w.mu.Lock()
					w.sizes = append(w.sizes, dynamoSize(p.Item))
					w.mu.Unlock()
				}
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	})
}

// seedDue writes n due records of each of six kinds, with keys as long as
// the service's (keyed hashes, ids), expiring over two days before now.
func seedDue(t *testing.T, db *dynamodb.Client, table string, n int, now time.Time) map[retention.Kind]int {
	t.Helper()
	hash := func(i int, what string) string {
		h := sha256.Sum256(fmt.Appendf(nil, "%s-%d", what, i))
		return hex.EncodeToString(h[:])
	}
	var puts []types.WriteRequest
	want := map[retention.Kind]int{}
	add := func(kind retention.Kind, pk, sk string, at time.Time, extra map[string]types.AttributeValue) {
		item := ddb.ExpiryAttrs(kind, pk, sk, at)
		item["pk"], item["sk"] = avS(pk), avS(sk)
		for k, v := range extra {
			item[k] = v
		}
		puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		want[kind]++
	}
	for i := range n {
		at := now.Add(-time.Duration(1+i%48) * time.Hour)
		id := fmt.Sprintf("01JQ%022d", i)
		add(retention.VerificationToken, "TOKEN#"+hash(i, "token"), "TOKEN", at, nil)
		add(retention.Idempotency, "IDEM#"+hash(i, "idem"), "IDEM", at, nil)
		add(retention.ConfirmationToken, "CTOKEN#"+hash(i, "ctoken"), "CTOKEN", at, nil)
		add(retention.MailCounter, "MAILCAP#"+hash(i, "cap")+"#receipt#"+at.Format("2006-01-02"), "MAILCAP", at, nil)
		add(retention.SentMail, "SUBJ#"+hash(i, "subject"), "MAIL#"+id, at, map[string]types.AttributeValue{"status": avS("sent")})
		add(retention.DuplicateGuard, "DEDUP#"+hash(i, "subject")+"#access,delete,know#"+hash(i, "form"), "DEDUP", at, nil)
	}
	for i := 0; i < len(puts); i += 25 {
		_, err := db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{table: puts[i:min(i+25, len(puts))]},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return want
}

// Each write of a sweep costs what its count says: a step's note, written
// and deleted once per step, and the run's report, updated after every
// step, each stay within one write unit however many records the run
// removes and of how many kinds, and a note covers many records, so the
// notes a run writes grow with what expired, not with the report.
func TestSweepWritesStayWithinAWriteUnit(t *testing.T) {
	db, table := localtest.NewTable(t)
	now := t0.Add(72 * time.Hour)
	const n = 60
	want := seedDue(t, db, table, n, now)
	var notes noteWatch
	watched := dynamodb.New(db.Options(), notes.option)
	rep := sweep(t, sweeper(watched, table, &now))
	sameCounts(t, "the sweep", rep, want)

	records := rep.Total()
	if len(notes.sizes) == 0 {
		t.Fatal("the sweep wrote no step notes")
	}
	for _, size := range notes.sizes {
		if size >= writeUnit {
			t.Fatalf("a step note of %d bytes (notes %v)", size, notes.sizes)
		}
	}
	// 25 records a step at most; longer keys make smaller steps, and each
	// of the 8 shards' two days ends in a step of what is left.
	if per := float64(records) / float64(len(notes.sizes)); per < 8 {
		t.Errorf("%d notes for %d records (%.1f a note): %v", len(notes.sizes), records, per, notes.sizes)
	}
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": avS("SWEEPS"), "sk": avS("RUN#" + rep.RunID)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if size := dynamoSize(out.Item); out.Item == nil || size >= writeUnit {
		t.Errorf("the run's report takes %d bytes", size)
	}
	t.Logf("%d records of %d kinds, %d notes of %v bytes, a report of %d bytes", records, len(want), len(notes.sizes), notes.sizes, dynamoSize(out.Item))
}

// A step note left by a run of an earlier version, which listed its
// records as a list of keys, is counted like a packed one: the records it
// names that are gone go into that run's report, once.
func TestSweepCountsAStepNoteOfTheEarlierForm(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	now := t0.Add(72 * time.Hour)
	const oldRun = "01HZZZZZZZZZZZZZZZZZZZZZZZ"
	entry := func(pk, sk string) types.AttributeValue {
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"pk": avS(pk), "sk": avS(sk), "retention": avS(string(retention.VerificationToken)),
		}}
	}
	still := "TOKEN#" + strings.Repeat("a", 64)
	item := ddb.ExpiryAttrs(retention.VerificationToken, still, "TOKEN", now.Add(-time.Hour))
	item["pk"], item["sk"] = avS(still), avS("TOKEN")
	empty := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}
	for _, it := range []map[string]types.AttributeValue{
		item,
		{"pk": avS("SWEEPS"), "sk": avS("RUN#" + oldRun), "kind": avS("sweep_report"), "run_id": avS(oldRun),
			"started_at": avS(ddb.StampOf(now.Add(-time.Hour))), "status": avS("running"), "removed": empty, "errors": empty},
		{"pk": avS("SWEEPS"), "sk": avS("PENDING#" + oldRun + "#01HZZZZZZZZZZZZZZZZZZZZZZY"), "kind": avS("sweep_step"), "run_id": avS(oldRun),
			"records": &types.AttributeValueMemberL{Value: []types.AttributeValue{entry("TOKEN#"+strings.Repeat("b", 64), "TOKEN"), entry(still, "TOKEN")}}},
	} {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	sw := sweeper(db, table, &now)
	rep := sweep(t, sw)
	sameCounts(t, "this run", rep, map[retention.Kind]int{retention.VerificationToken: 1})
	reps, _, err := sw.Reports(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 2 || reps[1].RunID != oldRun || reps[1].Removed[retention.VerificationToken] != 1 || reps[1].Status != retention.Interrupted {
		t.Fatalf("reports %+v", reps)
	}
	if exists(t, db, table, "SWEEPS", "PENDING#"+oldRun+"#01HZZZZZZZZZZZZZZZZZZZZZZY") || exists(t, db, table, still, "TOKEN") {
		t.Error("the note or its record that was still there is left")
	}
}
