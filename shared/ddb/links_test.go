package ddb_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/optout"
	subjectphone "github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/subjectdata"
	"github.com/claritru/privacy/shared/topology"
)

// evidenceOf returns the evidence attribute of the link pk -> other, "" when
// the link has none, and false when there is no link.
func evidenceOf(t *testing.T, db *dynamodb.Client, table, key, other string) (string, bool) {
	t.Helper()
	it, ok := items(t, db, table, "SUBJ#"+key)["LINK#"+other]
	if !ok {
		return "", false
	}
	if ev, ok := it["evidence"].(*types.AttributeValueMemberS); ok {
		return ev.Value, true
	}
	return "", true
}

// A link records its evidence: claimed from the public form, vouched when
// staff vouch; a stronger link is never weakened by a later claim; a link
// written before links had evidence reads as claimed, still spreads an
// opt-out, and is not followed by the export.
func TestLinksRecordTheirEvidence(t *testing.T) {
	svc, _, keyer, db, table := optOutService(t)
	ctx := context.Background()
	store := ddb.NewOptOuts(db, table)
	const address, number = "ivy@example.com", "+14155550142"
	email, phone := keyer.Email(address), keyer.Phone(number)

	if _, err := svc.OptOut(ctx, optout.Input{Email: address, Phone: number, Source: optout.Form}); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{email, phone}, {phone, email}} {
		if ev, ok := evidenceOf(t, db, table, pair[0], pair[1]); !ok || ev != "claimed" {
			t.Fatalf("public form's link = %q, %v; want claimed", ev, ok)
		}
	}
	vouch(t, svc, store, t0.Add(time.Hour), optout.Input{Email: address, Phone: number})
	for _, pair := range [][2]string{{email, phone}, {phone, email}} {
		if ev, _ := evidenceOf(t, db, table, pair[0], pair[1]); ev != "vouched" {
			t.Fatalf("vouched link = %q", ev)
		}
	}
	// A later claim of the same pair leaves the vouched link as it is.
	if _, err := svc.OptOut(ctx, optout.Input{Email: address, Phone: number, Source: optout.Form}); err != nil {
		t.Fatal(err)
	}
	if ev, _ := evidenceOf(t, db, table, email, phone); ev != "vouched" {
		t.Fatalf("a claim weakened a vouched link to %q", ev)
	}

	// A browser opted out alone, then linked to the email by an item
	// written before links carried evidence.
	const browserID = "browser-ivy-legacy"
	browser := keyer.Browser(browserID)
	if _, err := svc.OptOut(ctx, optout.Input{BrowserID: browserID, GPC: true, Source: optout.Signal}); err != nil {
		t.Fatal(err)
	}
	for _, l := range [][3]string{{email, browser, "browser_id"}, {browser, email, "email"}} {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "SUBJ#" + l[0]}, "sk": &types.AttributeValueMemberS{Value: "LINK#" + l[1]},
			"kind": &types.AttributeValueMemberS{Value: "link"}, "other": &types.AttributeValueMemberS{Value: l[1]},
			"id_kind": &types.AttributeValueMemberS{Value: l[2]}, "match": &types.AttributeValueMemberS{Value: "legacy"},
			"at": &types.AttributeValueMemberS{Value: ddb.StampOf(t0)},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The old link still spreads an opt-out: limiting sensitive data by the
	// phone reaches the browser through the email.
	if _, err := svc.OptOut(ctx, optout.Input{Phone: number, Rights: []optout.Right{optout.LimitSensitive}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := store.State(ctx, browser, optout.LimitSensitive); err != nil || !ok {
		t.Fatalf("limit over the old link: %v, %v", ok, err)
	}
	// The export of the email includes the vouched phone's records, lists
	// the old link as claimed, and holds none of the browser's records.
	doc, err := subjectdata.NewService(ddb.NewSubjects(db, table), keyer, subjectphone.E164, nil).Export(ctx, address, "", "staff")
	if err != nil {
		t.Fatal(err)
	}
	want := []subjectdata.Linked{
		{Kind: "phone", Reference: phone, Evidence: "vouched"},
		{Kind: "browser_id", Reference: browser, Evidence: "claimed"},
	}
	if !slices.Equal(doc.Linked, want) {
		t.Fatalf("linked identifiers %+v, want %+v", doc.Linked, want)
	}
	for _, o := range doc.OptOuts {
		if o.Identifier == "browser_id" {
			t.Fatalf("the export holds the browser's opt-out: %+v", doc.OptOuts)
		}
	}
	if len(doc.OptOuts) != 4 { // email and phone, each sale/sharing and sensitive data
		t.Fatalf("opt-outs %+v", doc.OptOuts)
	}
}

// A profile of 41 identifiers (a phone given with 40 addresses, one at a
// time), its links read over pages of 7, is opted out whole: more than a
// transaction holds, so the rest follows in further transactions. Two
// opt-outs of the profile at once each succeed, and every identifier gets
// exactly one event.
func TestOptOutReadsALargeProfileWhole(t *testing.T) {
	svc, l, keyer, db, table := optOutService(t)
	ctx := context.Background()
	ddb.SetLinkPage(t, 7)
	const number = "+14155550177"
	keys := []string{keyer.Phone(number)}
	for i := range 40 {
		address := fmt.Sprintf("many-%02d@example.com", i)
		keys = append(keys, keyer.Email(address))
		if _, err := svc.OptOut(ctx, optout.Input{Email: address, Phone: number, Source: optout.Form}); err != nil {
			t.Fatal(err)
		}
	}
	if n := withPrefix(items(t, db, table, "SUBJ#"+keys[0]), "LINK#"); n != 40 {
		t.Fatalf("the phone has %d links, want 40", n)
	}

	var wg sync.WaitGroup
	outs := make([]optout.Outcome, 2)
	errs := make([]error, 2)
	for i, in := range []optout.Input{{Phone: number}, {Email: "many-39@example.com"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.Rights = []optout.Right{optout.LimitSensitive}
			outs[i], errs[i] = svc.OptOut(ctx, in)
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("concurrent opt-out %d: %v", i, errs[i])
		}
	}
	if !outs[0].New && !outs[1].New {
		t.Fatalf("neither opt-out was new: %+v", outs)
	}
	for _, k := range keys {
		events := chain(t, l, k)
		limits := 0
		for _, e := range events {
			if e.Fields["rights"] == "limit_sensitive" {
				limits++
			}
		}
		if limits != 1 {
			t.Fatalf("%s has %d limit_sensitive events, want 1: %+v", k, limits, events)
		}
		if _, ok, err := ddb.NewOptOuts(db, table).State(ctx, k, optout.LimitSensitive); err != nil || !ok {
			t.Fatalf("%s not limited: %v, %v", k, ok, err)
		}
	}

	// A repeat finds the profile covered: nothing is written.
	before := count(t, db, table, "SUBJ#"+keys[20])
	again, err := svc.OptOut(ctx, optout.Input{Phone: number, Rights: []optout.Right{optout.LimitSensitive}})
	if err != nil || again.New {
		t.Fatalf("repeat = %+v, %v", again, err)
	}
	if after := count(t, db, table, "SUBJ#"+keys[20]); after != before {
		t.Fatalf("a repeat wrote %d items", after-before)
	}
}

// A flood of links (1,200 identifiers linked to one phone) neither fails nor
// stalls an opt-out of the phone: near its deadline it opts the phone out
// and stops spreading; a repeat completes the spread to optout.MaxSpread
// identifiers, and a further repeat writes nothing.
func TestOptOutSurvivesALinkFlood(t *testing.T) {
	svc, _, keyer, db, table := optOutService(t)
	ctx := context.Background()
	const number, flood = "+14155550188", 1200
	phone := keyer.Phone(number)
	var puts []types.WriteRequest
	for i := range flood {
		other := fmt.Sprintf("%064x", i+1)
		puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "SUBJ#" + phone}, "sk": &types.AttributeValueMemberS{Value: "LINK#" + other},
			"kind": &types.AttributeValueMemberS{Value: "link"}, "other": &types.AttributeValueMemberS{Value: other},
			"id_kind": &types.AttributeValueMemberS{Value: "browser_id"}, "match": &types.AttributeValueMemberS{Value: fmt.Sprintf("flood-%04d", i)},
			"at": &types.AttributeValueMemberS{Value: ddb.StampOf(t0)}, "evidence": &types.AttributeValueMemberS{Value: "claimed"},
		}}})
	}
	for len(puts) > 0 {
		n := min(25, len(puts))
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: puts[:n]}})
		if err != nil || len(out.UnprocessedItems) != 0 {
			t.Fatalf("flood: %v (%d unprocessed)", err, len(out.UnprocessedItems))
		}
		puts = puts[n:]
	}

	// counted returns how many phones and flooded identifiers are on the
	// suppression list.
	counted := func() (phones, floods int) {
		t.Helper()
		list, err := svc.Suppression(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			switch {
			case strings.HasPrefix(e.Match, "flood-"):
				floods++
			case e.Kind == optout.Phone:
				phones++
			}
		}
		return phones, floods
	}

	// With the opt-out function's own deadline (its timeout less the
	// handlers' margin), the opt-out answers: the phone is opted out, the
	// spread stops short and says so. (A tighter deadline failed the first
	// transaction itself on a loaded machine's DynamoDB Local.)
	fn, _ := topology.ClariTru.Function("optout")
	short, cancel := context.WithTimeout(ctx, fn.Timeout-apigw.AnswerMargin)
	defer cancel()
	first, err := svc.OptOut(short, optout.Input{Phone: number, Source: optout.Form})
	if err != nil || !first.New || !first.Incomplete {
		t.Fatalf("opt-out under a flood, near its deadline = %+v, %v", first, err)
	}
	if phones, floods := counted(); phones != 1 || floods >= optout.MaxSpread-1 {
		t.Fatalf("after the cut-short spread: %d phones, %d flooded identifiers", phones, floods)
	}
	// A repeat with time enough completes the spread: optout.MaxSpread
	// identifiers in all, each once.
	start := time.Now()
	again, err := svc.OptOut(ctx, optout.Input{Phone: number, Source: optout.Form})
	took := time.Since(start)
	if err != nil || again.New || again.Incomplete {
		t.Fatalf("repeat under a flood = %+v, %v", again, err)
	}
	t.Logf("a repeat completing an opt-out over %d linked identifiers took %s", flood, took)
	if phones, floods := counted(); phones != 1 || floods != optout.MaxSpread-1 {
		t.Fatalf("suppression holds %d phones and %d flooded identifiers, want 1 and %d", phones, floods, optout.MaxSpread-1)
	}
	start = time.Now()
	if again, err = svc.OptOut(ctx, optout.Input{Phone: number, Source: optout.Form}); err != nil || again.New || again.Incomplete {
		t.Fatalf("second repeat under a flood = %+v, %v", again, err)
	}
	t.Logf("a repeat finding all covered took %s", time.Since(start))
}
