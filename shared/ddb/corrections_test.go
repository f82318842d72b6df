package ddb_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/request"
)

// The items of a correction and staff's decisions are kept on the request
// item, written with it and read back whole; an update of the request
// keeps them.
func TestCorrectionsRoundTrip(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	ctx := context.Background()
	c := sampleCreation("R1")
	c.Request.Types = []request.Type{request.Correct}
	c.Request.Corrections = []request.Correction{
		{Item: "surname", CurrentValue: "Lovelace", CorrectedValue: "Byron", Documentation: "birth certificate"},
		{Item: "city", CorrectedValue: "London"},
	}
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "R1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Corrections, c.Request.Corrections) {
		t.Fatalf("corrections %+v, want %+v", got.Corrections, c.Request.Corrections)
	}

	at := t0.Add(time.Hour)
	next := got
	next.Version++
	next.Corrections = append([]request.Correction(nil), got.Corrections...)
	next.Corrections[1] = request.Correction{Item: "city", CorrectedValue: "London", Decision: request.Rejected,
		Reason: "No record of a move.", Contested: true, Statement: "I moved in 2025.", DecidedAt: at, DecidedBy: "staff-1"}
	if err := s.Update(ctx, request.Change{Request: next, FromVersion: got.Version,
		Event: request.Event{ID: "R1-e2", At: at, Action: "decide_correction", From: got.Status, To: got.Status, Actor: "staff-1"}}); err != nil {
		t.Fatal(err)
	}
	again, err := s.Get(ctx, "R1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Corrections, next.Corrections) {
		t.Errorf("after the update %+v, want %+v", again.Corrections, next.Corrections)
	}
}
