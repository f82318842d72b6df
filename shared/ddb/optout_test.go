package ddb_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/ledger"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
)

func optOutService(t *testing.T) (*optout.Service, *ddb.Ledger, *subject.Keyer, *dynamodb.Client, string) {
	t.Helper()
	db, table := localtest.NewTable(t)
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	clock := t0
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Second); return clock }
	return optout.NewService(ddb.NewOptOuts(db, table), keyer, phone.E164, now), ddb.NewLedger(db, table), keyer, db, table
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func chain(t *testing.T, l *ddb.Ledger, key string) []ledger.Event {
	t.Helper()
	events, head, err := l.Chain(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if c := ledger.VerifyHead(events, head); !c.Valid {
		t.Fatalf("chain of %s broken at %d: %s", key, c.BrokenAt, c.Reason)
	}
	return events
}

func TestOptOutTakesEffectAndRepeatsAreHarmless(t *testing.T) {
	svc, l, keyer, _, _ := optOutService(t)
	ctx := context.Background()
	first, err := svc.OptOut(ctx, optout.Input{Email: " Ada@Example.com", BrowserID: "browser-0001", Source: optout.Form})
	if err != nil || !first.New || first.ID == "" {
		t.Fatalf("first opt-out = %+v, %v", first, err)
	}
	for _, key := range []string{keyer.Email("ada@example.com"), keyer.Browser("browser-0001")} {
		if events := chain(t, l, key); len(events) != 1 || events[0].Kind != "opt_out" || events[0].Fields["optout_id"] != first.ID {
			t.Fatalf("ledger of %s = %+v", key, events)
		}
	}
	st, ok, err := svc.Status(ctx, "browser-0001")
	if err != nil || !ok || !st.Since.Equal(first.EffectiveAt) {
		t.Fatalf("status = %+v %v %v", st, ok, err)
	}

	again, err := svc.OptOut(ctx, optout.Input{Email: "ada@example.com", BrowserID: "browser-0001"})
	// A repeat records nothing and does not disclose the first opt-out's id
	// or time to whoever typed the address.
	if err != nil || again.New || again.ID == first.ID || !again.EffectiveAt.After(first.EffectiveAt) {
		t.Fatalf("repeat = %+v, %v; want a fresh reference, not the first opt-out %+v", again, err, first)
	}
	if st, _, _ := svc.Status(ctx, "browser-0001"); st.OptOutID != first.ID || !st.Since.Equal(first.EffectiveAt) {
		t.Fatalf("the repeat changed the stored opt-out: %+v", st)
	}
	if events := chain(t, l, keyer.Email("ada@example.com")); len(events) != 1 {
		t.Fatalf("a repeat appended to the ledger: %d events", len(events))
	}

	list, err := svc.Suppression(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"email:" + sha("ada@example.com"): true, "browser_id:browser-0001": true}
	if len(list) != len(want) {
		t.Fatalf("suppression = %+v", list)
	}
	for _, e := range list {
		if !want[string(e.Kind)+":"+e.Match] {
			t.Fatalf("unexpected suppression entry %+v", e)
		}
	}
}

func TestOptOutCoversLinkedIdentifiers(t *testing.T) {
	svc, l, keyer, _, _ := optOutService(t)
	ctx := context.Background()
	email, phone := keyer.Email("lin@example.com"), keyer.Phone("+14155550100")
	// Given together once: email, phone and a browser are one profile.
	if _, err := svc.OptOut(ctx, optout.Input{Email: "lin@example.com", Phone: "(415) 555-0100", BrowserID: "browser-lin-1"}); err != nil {
		t.Fatal(err)
	}
	// Later the same email with a new browser: the new browser joins.
	out, err := svc.OptOut(ctx, optout.Input{Email: "lin@example.com", BrowserID: "browser-lin-2", GPC: true, Source: optout.Signal})
	if err != nil || !out.New {
		t.Fatalf("second browser: %+v %v", out, err)
	}
	if got := chain(t, l, email); len(got) != 1 {
		t.Fatalf("email already opted out, yet %d events", len(got))
	}
	// Limiting sensitive data from the second browser alone covers the
	// whole profile through the links.
	if _, err := svc.OptOut(ctx, optout.Input{BrowserID: "browser-lin-2", Rights: []optout.Right{optout.LimitSensitive}}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{email, phone, keyer.Browser("browser-lin-1"), keyer.Browser("browser-lin-2")} {
		events := chain(t, l, key)
		last := events[len(events)-1]
		if last.Fields["rights"] != "limit_sensitive" {
			t.Fatalf("%s: last event %+v, want the limit_sensitive opt-out", key, last)
		}
	}
	if ev := chain(t, l, email); ev[len(ev)-1].Fields["via"] != "linked" {
		t.Fatalf("email's limit event should say it came through a link: %+v", ev[len(ev)-1])
	}
	if ev := chain(t, l, keyer.Browser("browser-lin-2")); ev[len(ev)-1].Fields["via"] != "direct" {
		t.Fatalf("browser's limit event should be direct: %+v", ev[len(ev)-1])
	}
}

func TestLedgerConcurrentAppendsNeverFork(t *testing.T) {
	_, l, keyer, db, table := optOutService(t)
	ctx := context.Background()
	key := keyer.Email("many@example.com")
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = l.Append(ctx, ledger.Event{Subject: key, ID: fmt.Sprintf("E%02d", i), At: t0, Kind: "test",
				Fields: map[string]string{"i": fmt.Sprint(i)}})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	events := chain(t, l, key)
	if len(events) != n {
		t.Fatalf("%d events, want %d", len(events), n)
	}
	seen := map[string]bool{}
	for i, e := range events {
		if e.Seq != int64(i+1) || seen[e.ID] {
			t.Fatalf("event %d: seq %d id %s", i, e.Seq, e.ID)
		}
		seen[e.ID] = true
	}

	// Editing one stored event directly is detected at its sequence number.
	_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "SUBJ#" + key},
			"sk": &types.AttributeValueMemberS{Value: "LEDGER#000000000005"},
		},
		UpdateExpression:          aws.String("SET #f.#i = :v"),
		ExpressionAttributeNames:  map[string]string{"#f": "fields", "#i": "i"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: "forged"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tampered, head, err := l.Chain(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if c := ledger.VerifyHead(tampered, head); c.Valid || c.BrokenAt != 5 {
		t.Fatalf("tampering not detected at 5: %+v", c)
	}
}

func TestOptOutRefusesMissingAndMalformedIdentifiers(t *testing.T) {
	svc, _, _, _, _ := optOutService(t)
	ctx := context.Background()
	for _, in := range []optout.Input{{}, {Email: "not-an-email"}, {Phone: "12"}, {BrowserID: "short"}, {BrowserID: "bad id with spaces"}} {
		if _, err := svc.OptOut(ctx, in); err == nil {
			t.Errorf("OptOut(%+v) accepted", in)
		}
	}
	list, err := svc.Suppression(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("refused opt-outs left entries: %+v %v", list, err)
	}
}
