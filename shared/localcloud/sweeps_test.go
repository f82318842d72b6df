package localcloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/retention"
)

// TestSweepReportsEndToEnd runs the retention sweep on DynamoDB Local two
// days ahead, when a form post's idempotency record (kept 24 hours) is due,
// and reads its report through the local gateway as staff do; every
// response is checked against the OpenAPI document.
func TestSweepReportsEndToEnd(t *testing.T) {
	l := startLocal(t)
	cloud, do := l.cloud, l.do
	ctx := context.Background()
	const js = "application/json"
	auth := []string{"Authorization", staffBearer(t, l.cloud, "admin")}

	// A request posted with an Idempotency-Key leaves a record that
	// expires after 24 hours.
	resp, out := do("POST", "/v1/requests", js, js, `{"types":["access"],"first_name":"Edsger","last_name":"Dijkstra",`+
		`"email":"edsger.sweep@example.com","country":"US","state":"CA","declaration":true}`,
		"Idempotency-Key", "sweep-e2e-1")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("request: %d %s", resp.StatusCode, out)
	}

	// The sweep, two days ahead.
	ahead := func() time.Time { return time.Now().Add(48 * time.Hour) }
	sweep := func() retention.Report {
		t.Helper()
		s := ddb.NewSweeper(cloud.Settings.DynamoDB(), cloud.Settings.Table)
		s.Now, s.Since = ahead, time.Now().AddDate(0, 0, -3)
		var mu sync.Mutex
		var progress []retention.Report
		s.Progress = func(r retention.Report) {
			mu.Lock()
			defer mu.Unlock()
			progress = append(progress, r)
		}
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		rep, err := s.Run(rctx)
		if err != nil {
			t.Fatalf("sweep: %v (report %+v)", err, rep)
		}
		mu.Lock()
		defer mu.Unlock()
		if rep.Total() > 0 && len(progress) == 0 {
			t.Errorf("the sweep removed %d records and told Progress nothing", rep.Total())
		}
		return rep
	}
	first := sweep()
	if first.Status != retention.Finished || first.Removed[retention.Idempotency] < 1 {
		t.Fatalf("first sweep %+v, want finished with the idempotency record removed", first)
	}

	// Staff see the run's report.
	reports := func(query string) adminapi.SweepReports {
		t.Helper()
		resp, out := do("GET", "/v1/admin/sweeps"+query, "", js, "", auth...)
		var page adminapi.SweepReports
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &page) != nil {
			t.Fatalf("sweeps%s: %d %s", query, resp.StatusCode, out)
		}
		return page
	}
	page := reports("")
	var seen *retention.Report
	for i, r := range page.Sweeps {
		if r.RunID == first.RunID {
			seen = &page.Sweeps[i]
		}
	}
	if seen == nil {
		t.Fatalf("run %s not listed: %+v", first.RunID, page)
	}
	if seen.Status != retention.Finished || seen.Removed[retention.Idempotency] < 1 || seen.EndedAt.IsZero() ||
		seen.Total() != first.Total() || seen.Dependents != first.Dependents || seen.Buckets != first.Buckets {
		t.Errorf("listed %+v, the run returned %+v", *seen, first)
	}

	// A second run finds nothing left of it; the newest run is listed
	// first, a page at a time.
	second := sweep()
	if second.Status != retention.Finished || second.Removed[retention.Idempotency] != 0 {
		t.Errorf("second sweep %+v, want nothing more to remove", second)
	}
	page = reports("?limit=1")
	if len(page.Sweeps) != 1 || page.Sweeps[0].RunID != second.RunID || page.NextCursor == "" {
		t.Fatalf("first page %+v, want the second run and a cursor", page)
	}
	page = reports("?limit=1&cursor=" + page.NextCursor)
	if len(page.Sweeps) != 1 || page.Sweeps[0].RunID != first.RunID {
		t.Fatalf("second page %+v, want the first run", page)
	}

	// Staff only, and a malformed query is refused naming the field.
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}} {
		if resp, out := do("GET", "/v1/admin/sweeps", "", js, "", h...); resp.StatusCode != http.StatusUnauthorized ||
			strings.Contains(out, first.RunID) {
			t.Errorf("without the token: %d %s", resp.StatusCode, out)
		}
	}
	for q, field := range map[string]string{"?cursor=not-a-cursor": "cursor", "?limit=0": "limit", "?limit=many": "limit"} {
		resp, out := do("GET", "/v1/admin/sweeps"+q, "", js, "", auth...)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(out, `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %s", q, resp.StatusCode, out, field)
		}
	}
}
