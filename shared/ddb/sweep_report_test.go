package ddb_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/retention"
)

// A sweep killed halfway (its process gone between two deletes) and run
// again finishes the job, and the reports together count every record once.
func TestSweepKilledHalfwayFinishesOnTheNextRunWithoutDoubleCounting(t *testing.T) {
	db, table := localtest.NewTable(t)
	const n = 100
	seedExpiring(t, db, table, n)

	var writes atomic.Int32
	var dead atomic.Bool
	dying := dynamodb.New(db.Options(), func(o *dynamodb.Options) {
		o.RetryMaxAttempts = 1
		o.HTTPClient = &http.Client{Transport: roundTrip(func(req *http.Request) (*http.Response, error) {
			if strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".BatchWriteItem") && writes.Add(1) > 3 {
				dead.Store(true)
			}
			if dead.Load() {
				return nil, errors.New("process killed")
			}
			return http.DefaultTransport.RoundTrip(req)
		})}
	})
	now := t0.Add(72*time.Hour + time.Minute)
	first, err := sweeper(dying, table, &now).Run(context.Background())
	if err == nil || !dead.Load() {
		t.Fatalf("the first run was not cut short: %+v", first)
	}
	if first.Total() == 0 || first.Total() >= 2*n {
		t.Fatalf("the first run removed %d of %d", first.Total(), 2*n)
	}

	// The next run, after the dead run's lease has lapsed.
	now = now.Add(15 * time.Minute)
	sw := sweeper(db, table, &now)
	second := sweep(t, sw)
	if first.Total()+second.Total() != 2*n {
		t.Fatalf("removed %d + %d, want %d in all", first.Total(), second.Total(), 2*n)
	}
	reps, _, err := sw.Reports(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 2 || reps[0].RunID != second.RunID || reps[1].Status != retention.Interrupted {
		t.Fatalf("reports %+v", reps)
	}
	stored := reps[0].Total() + reps[1].Total()
	if stored != 2*n {
		t.Fatalf("stored reports count %d + %d, want %d", reps[1].Total(), reps[0].Total(), 2*n)
	}
	for i := range n {
		if exists(t, db, table, fmt.Sprintf("TOKEN#tok-%03d", i), "TOKEN") || exists(t, db, table, fmt.Sprintf("IDEM#idem-%03d", i), "IDEM") {
			t.Fatalf("record %d survived", i)
		}
		if !exists(t, db, table, fmt.Sprintf("REQ#K%03d", i), "REQ") {
			t.Fatalf("open request %d was removed", i)
		}
	}
}
