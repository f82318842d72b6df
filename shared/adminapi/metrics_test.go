package adminapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/claritru/privacy/api"
	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/topology"
)

// metricsBody is what the test reads of GET /v1/admin/metrics.
type metricsBody struct {
	Year           int                       `json:"year"`
	Received       map[string]int            `json:"received"`
	Denied         map[string]int            `json:"denied"`
	DeniedByReason map[string]map[string]int `json:"denied_by_reason"`
	OptOuts        map[string]int            `json:"opt_outs_by_source"`
}

// The §7102 figures on DynamoDB Local, through the admin function's own
// table access: opt-outs from the page and from the GPC signal counted
// apart, once each however many identifiers they covered, in the company's
// year (Los Angeles); a request that expired unverified counted as denied,
// with the reason "unverifiable". Every answer is held to the contract.
func TestMetricsCountOptOutsBySourceAndUnverifiableAsDenied(t *testing.T) {
	db, table := localtest.NewTable(t)
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("m"), 32))
	if err != nil {
		t.Fatal(err)
	}
	checker, err := api.NewChecker()
	if err != nil {
		t.Fatal(err)
	}
	s := &feedAPI{t: t, checker: checker, clock: time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC)}
	now := func() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.clock }
	def, _ := topology.ClariTru.Function("admin")
	guarded := ddb.Guard(db, def)
	requests := request.NewService(ddb.NewRequests(guarded, table), request.Config{
		PublicBaseURL: "https://api.example.test", Keyer: keyer, Phone: phone.E164, Now: now,
	})
	s.h = &adminapi.Handler{
		Requests: requests, OptOutCounts: ddb.NewOptOuts(guarded, table),
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: now,
	}
	s.optOut = optout.NewService(ddb.NewOptOuts(db, table), keyer, phone.E164, now)
	optOut := func(at time.Time, in optout.Input) {
		t.Helper()
		s.at(at)
		if _, err := s.optOut.OptOut(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	// The page, an address and a browser together: one opt-out.
	optOut(time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC), optout.Input{Email: "ada@example.com", BrowserID: "browser-0001", Source: optout.Form})
	// The signal from a browser, then again from the same browser: the
	// repeat is no new opt-out.
	optOut(time.Date(2026, 3, 11, 18, 0, 0, 0, time.UTC), optout.Input{BrowserID: "browser-0002", GPC: true, Source: optout.Signal})
	optOut(time.Date(2026, 3, 12, 18, 0, 0, 0, time.UTC), optout.Input{BrowserID: "browser-0002", GPC: true, Source: optout.Signal})
	// 1 Jan 2027 05:00 UTC is 31 Dec 2026 21:00 PST: the company's 2026.
	optOut(time.Date(2027, 1, 1, 5, 0, 0, 0, time.UTC), optout.Input{BrowserID: "browser-0003", GPC: true, Source: optout.Signal})
	// 1 Jan 2026 07:00 UTC is 31 Dec 2025 23:00 PST: the company's 2025.
	optOut(time.Date(2026, 1, 1, 7, 0, 0, 0, time.UTC), optout.Input{Email: "grace@example.com", Source: optout.Form})

	// A request to delete never confirmed: expired after 30 days.
	s.at(time.Date(2026, 4, 1, 18, 0, 0, 0, time.UTC))
	if _, err := requests.Submit(context.Background(), request.Submission{Input: request.Input{
		Types: []string{"delete"}, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		Country: "US", State: "CA", Declaration: true,
	}}); err != nil {
		t.Fatal(err)
	}
	s.at(time.Date(2026, 5, 2, 18, 0, 0, 0, time.UTC))
	if n, err := requests.ExpireUnverified(context.Background()); n != 1 || err != nil {
		t.Fatalf("expired %d, %v; want 1", n, err)
	}

	s.at(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	m := decode[metricsBody](t, s.call("GET", "/v1/admin/metrics?year=2026", "", 200))
	if m.Year != 2026 || m.Received["delete"] != 1 || m.Denied["delete"] != 1 || len(m.DeniedByReason) != 1 || m.DeniedByReason["unverifiable"]["delete"] != 1 {
		t.Errorf("2026 requests: %+v, want one delete received and denied as unverifiable", m)
	}
	if len(m.OptOuts) != 2 || m.OptOuts["form"] != 1 || m.OptOuts["gpc"] != 2 {
		t.Errorf("2026 opt-outs by source %v, want form 1, gpc 2", m.OptOuts)
	}
	last := decode[metricsBody](t, s.call("GET", "/v1/admin/metrics?year=2025", "", 200))
	if len(last.OptOuts) != 1 || last.OptOuts["form"] != 1 || len(last.Received) != 0 || len(last.DeniedByReason["unverifiable"]) != 0 {
		t.Errorf("2025: %+v, want one opt-out from the page and nothing else", last)
	}
}
