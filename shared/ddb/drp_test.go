package ddb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/drp"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/request"
)

// A new setup replaces the agent's token: the old one stops working, the
// new one names the agent; a message is marked once, and a released mark
// lets it through again.
func TestDRPTokensAndReplayMarks(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewDRP(db, table)
	ctx := context.Background()
	now := time.Now()
	for _, h := range []string{"hash-one", "hash-two"} {
		if err := s.SaveToken(ctx, "AA", h, now); err != nil {
			t.Fatal(err)
		}
	}
	if id, err := s.TokenAgent(ctx, "hash-two"); err != nil || id != "AA" {
		t.Fatalf("new token: %q %v", id, err)
	}
	if _, err := s.TokenAgent(ctx, "hash-one"); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("replaced token: %v, want not found", err)
	}
	if err := s.Mark(ctx, "AA", "msg", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Mark(ctx, "AA", "msg", now.Add(time.Minute)); fault.KindOf(err) != fault.Conflict {
		t.Fatalf("second mark: %v, want conflict", err)
	}
	if err := s.Unmark(ctx, "msg"); err != nil {
		t.Fatal(err)
	}
	if err := s.Mark(ctx, "AA", "msg", now.Add(time.Minute)); err != nil {
		t.Fatalf("mark after release: %v", err)
	}
}

// A staff change of an agent's request queues its status callback in the
// change's transaction; an agent that fails is tried again when due, and
// the record keeps the attempts and the answer.
func TestCallbackQueuedWithTheChangeAndRetried(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	var calls atomic.Int32
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer agent.Close()

	store := ddb.NewRequests(db, table)
	c := sampleCreation("01JDRPCB000000000000000001")
	c.Request.Status, c.Request.Channel = request.Verified, request.Agent
	c.Request.Protocol = &request.ProtocolAgent{ID: "AA", RequestID: "ref", StatusCallback: agent.URL + "/cb",
		RedirectOrigins: []string{"https://agent.example", "https://agent.example:8443"}}
	if err := store.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	r, _ := store.Get(ctx, c.Request.ID)
	if r.Protocol == nil || fmt.Sprint(r.Protocol.RedirectOrigins) != "[https://agent.example https://agent.example:8443]" {
		t.Fatalf("the agent's redirect origins are not kept: %+v", r.Protocol)
	}
	next, ev, _, err := request.Transition(r, request.ActionInput{Action: request.Complete, Actor: "staff"}, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	ev.ID = "01JDRPCB00000000000000EV01"
	if err := store.Update(ctx, request.Change{Request: next, FromVersion: r.Version, Event: ev}); err != nil {
		t.Fatal(err)
	}
	cbs := ddb.NewCallbacks(db, table)
	due, err := cbs.Due(ctx, time.Now().Add(time.Second), 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due after the change: %v %v", due, err)
	}
	var st drp.Status
	if err := json.Unmarshal(due[0].Body, &st); err != nil || st.Status != drp.StateFulfilled || st.RequestID != r.ID || st.AgentRequestID != "ref" {
		t.Fatalf("callback body %s: %v", due[0].Body, err)
	}

	clock := time.Now()
	sender := &drp.Sender{Store: cbs, HTTP: agent.Client(), Loopback: true, Now: func() time.Time { return clock }}
	if err := sender.Deliver(ctx, due[0]); err != nil {
		t.Fatal(err)
	}
	// A second delivery of the same record (the stream again) finds it
	// taken and posts nothing.
	if err := sender.Deliver(ctx, due[0]); err != nil || calls.Load() != 1 {
		t.Fatalf("redelivery: %v, %d posts", err, calls.Load())
	}
	if again, _ := cbs.Due(ctx, clock.Add(30*time.Second), 10); len(again) != 0 {
		t.Fatalf("due before its backoff ended: %v", again)
	}
	clock = clock.Add(2 * time.Minute)
	if n, err := sender.Retry(ctx, 10); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	recs, err := cbs.OfRequest(ctx, r.ID)
	if err != nil || len(recs) != 1 || recs[0].Status != "delivered" || recs[0].Attempts != 2 || recs[0].LastCode != 200 {
		t.Fatalf("record: %+v %v", recs, err)
	}
	if left, _ := cbs.Due(ctx, clock.Add(time.Hour), 10); len(left) != 0 {
		t.Fatalf("still due after delivery: %v", left)
	}
}

// A callback still waiting when a later one of its request is queued is
// not posted: the agent is told the latest status, not an older one after it.
func TestOlderCallbackIsSuperseded(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	var posts atomic.Int32
	agent := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { posts.Add(1) }))
	defer agent.Close()
	store := ddb.NewRequests(db, table)
	c := sampleCreation("01JDRPSUP00000000000000001")
	c.Request.Status, c.Request.Channel = request.Verified, request.Agent
	c.Request.Protocol = &request.ProtocolAgent{ID: "AA", StatusCallback: agent.URL}
	now := time.Now().UTC()
	c.Request.ReceivedAt, c.Request.DueAt = now, now.AddDate(0, 0, 45)
	if err := store.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	for i, in := range []request.ActionInput{{Action: request.Extend, Reason: "many systems"}, {Action: request.Complete}} {
		r, _ := store.Get(ctx, c.Request.ID)
		next, ev, _, err := request.Transition(r, in, now)
		if err != nil {
			t.Fatal(err)
		}
		ev.ID = "01JDRPSUP0000000000000EV0" + string(rune('1'+i))
		if err := store.Update(ctx, request.Change{Request: next, FromVersion: r.Version, Event: ev}); err != nil {
			t.Fatal(err)
		}
	}
	cbs := ddb.NewCallbacks(db, table)
	due, err := cbs.Due(ctx, now.Add(time.Second), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due: %v %v", due, err)
	}
	sender := &drp.Sender{Store: cbs, HTTP: agent.Client(), Loopback: true, Now: time.Now}
	for _, cb := range due {
		if err := sender.Deliver(ctx, cb); err != nil {
			t.Fatal(err)
		}
	}
	recs, _ := cbs.OfRequest(ctx, c.Request.ID)
	if posts.Load() != 1 || len(recs) != 2 || recs[0].Status != "superseded" || recs[1].Status != "delivered" ||
		!json.Valid([]byte(recs[1].Body)) {
		t.Fatalf("%d posts, records %+v", posts.Load(), recs)
	}
}

// A claimed callback is out of the schedule's reach while its post may be
// under way, and comes back when that delivery died without an answer.
func TestClaimedCallbackIsLeased(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	store := ddb.NewRequests(db, table)
	c := sampleCreation("01JDRPLS000000000000000001")
	c.Request.Status, c.Request.Channel = request.Verified, request.Agent
	c.Request.Protocol = &request.ProtocolAgent{ID: "AA", RequestID: "ref", StatusCallback: "https://agent.example/cb"}
	if err := store.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	r, _ := store.Get(ctx, c.Request.ID)
	next, ev, _, err := request.Transition(r, request.ActionInput{Action: request.Complete, Actor: "staff"}, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	ev.ID = "01JDRPLS00000000000000EV01"
	if err := store.Update(ctx, request.Change{Request: next, FromVersion: r.Version, Event: ev}); err != nil {
		t.Fatal(err)
	}
	cbs := ddb.NewCallbacks(db, table)
	now := time.Now().Add(time.Second)
	due, err := cbs.Due(ctx, now, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due after the change: %v %v", due, err)
	}
	if err := cbs.Claim(ctx, due[0], now); err != nil {
		t.Fatal(err)
	}
	if during, _ := cbs.Due(ctx, now.Add(30*time.Second), 10); len(during) != 0 {
		t.Fatalf("due while its post may be under way: %v", during)
	}
	after, err := cbs.Due(ctx, now.Add(2*time.Minute), 10)
	if err != nil || len(after) != 1 || after[0].Attempts != 1 {
		t.Fatalf("after the lease: %+v %v, want it due again with one attempt", after, err)
	}
}
