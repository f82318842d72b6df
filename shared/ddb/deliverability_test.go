package ddb_test

import (
	"context"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// TestMarksAreIdempotentAndCleared marks an address twice with one event
// and once with another, clears it, and replays the first event.
func TestMarksAreIdempotentAndCleared(t *testing.T) {
	db, table := localtest.NewTable(t)
	m := ddb.NewMarks(db, table)
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	first := deliverability.Mark{Reason: deliverability.ReasonBounce, Subtype: "General", At: now, MessageID: "m1", EventID: "f1"}
	for i, want := range []bool{true, false} {
		ok, err := m.Mark(ctx, "k1", first, now)
		if err != nil || ok != want {
			t.Fatalf("mark %d: %v %v, want %v", i, ok, err, want)
		}
	}
	st, ok, err := m.Status(ctx, "k1")
	if err != nil || !ok || !st.Undeliverable || st.Reason != deliverability.ReasonBounce || st.MessageID != "m1" || !st.At.Equal(now) {
		t.Fatalf("status: %+v %v %v", st, ok, err)
	}
	cleared, err := m.Clear(ctx, "k1", deliverability.Clearance{At: now.Add(time.Hour), Actor: "staff-a", Reason: "works again"})
	if err != nil || cleared.Undeliverable || len(cleared.Clears) != 1 || cleared.Clears[0].Was != deliverability.ReasonBounce {
		t.Fatalf("clear: %+v %v", cleared, err)
	}
	if ok, err := m.Mark(ctx, "k1", first, now); err != nil || ok {
		t.Fatalf("the first event replayed after clearing: %v %v, want no change", ok, err)
	}
	if st, _, _ := m.Status(ctx, "k1"); st.Undeliverable {
		t.Fatal("a replayed event marked the cleared address again")
	}
	second := deliverability.Mark{Reason: deliverability.ReasonComplaint, Subtype: "abuse", At: now.Add(2 * time.Hour), MessageID: "m2", EventID: "f2"}
	if ok, err := m.Mark(ctx, "k1", second, now.Add(2*time.Hour)); err != nil || !ok {
		t.Fatalf("a new event: %v %v", ok, err)
	}
	if st, _, _ := m.Status(ctx, "k1"); !st.Undeliverable || st.Reason != deliverability.ReasonComplaint || len(st.Clears) != 1 {
		t.Fatalf("after a new event: %+v", st)
	}
	if _, err := m.Clear(ctx, "k2", deliverability.Clearance{At: now, Actor: "staff-a", Reason: "x"}); err == nil {
		t.Fatal("cleared an address never marked")
	}
}
