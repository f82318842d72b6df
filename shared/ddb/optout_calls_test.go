package ddb_test

import (
	"context"
	"testing"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/subject/phone"
)

// A first opt-out reads the links of each identifier given and their
// opt-outs and ledger heads (the reads at the same time), then writes one
// transaction: no read of the links between them again, nothing after. A
// repeat reads the same and writes nothing.
func TestFirstOptOutReadsOnceAndWritesOneTransaction(t *testing.T) {
	db, table, m := meteredTable(t)
	keyer := benchKeyer(t)
	svc := optout.NewService(ddb.NewOptOuts(db, table), keyer, phone.E164, nil)
	ctx := context.Background()
	in := optout.Input{Email: "first@example.com", BrowserID: "browser-first-1", Source: optout.Form}
	want := map[string]int{"Query": 2, "BatchGetItem": 1, "TransactWriteItems": 1}
	if _, err := svc.OptOut(ctx, in); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, "first opt-out", m, want)
	m.reset()
	if _, err := svc.OptOut(ctx, in); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, "repeat", m, map[string]int{"Query": 2, "BatchGetItem": 1})
}

func checkCalls(t *testing.T, what string, m *meter, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for call, u := range m.by {
		got[call] = u.calls
	}
	if len(got) != len(want) {
		t.Errorf("%s made calls %v, want %v", what, got, want)
		return
	}
	for call, n := range want {
		if got[call] != n {
			t.Errorf("%s made calls %v, want %v", what, got, want)
			return
		}
	}
}
