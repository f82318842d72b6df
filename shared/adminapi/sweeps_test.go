package adminapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/retention"
)

// reportPages is a retention.Reports holding fixed reports; it refuses a
// cursor it did not hand out, as shared/ddb.Sweeper does.
type reportPages struct {
	reports []retention.Report
	calls   []string // "cursor/limit" of each call
	fail    error
}

func (p *reportPages) Reports(_ context.Context, cursor string, limit int) ([]retention.Report, string, error) {
	p.calls = append(p.calls, cursor+"/"+strconv.Itoa(limit))
	if p.fail != nil {
		return nil, "", p.fail
	}
	start := 0
	if cursor != "" {
		start = -1
		for i, r := range p.reports {
			if r.RunID == cursor {
				start = i + 1
			}
		}
		if start < 0 {
			var f fault.Fields
			f.Add("cursor", "is not a cursor this list returned")
			return nil, "", f.Err()
		}
	}
	end := min(start+limit, len(p.reports))
	next := ""
	if end < len(p.reports) {
		next = p.reports[end-1].RunID
	}
	return p.reports[start:end], next, nil
}

func sweepsAPI(t *testing.T) (*staffAPI, *reportPages) {
	t.Helper()
	s := newStaffAPI(t, time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC))
	at := time.Date(2026, 3, 3, 10, 30, 0, 0, time.UTC)
	pages := &reportPages{reports: []retention.Report{
		{RunID: "01KJS0M1Q0AAAAAAAAAAAAAAAA", StartedAt: at, EndedAt: at.Add(4 * time.Second), Status: retention.Finished,
			Removed: map[retention.Kind]int{retention.Idempotency: 2, retention.SentMail: 1}, Buckets: 128},
		{RunID: "01KJRZ0000BBBBBBBBBBBBBBBB", StartedAt: at.Add(-24 * time.Hour), Status: retention.Interrupted,
			Removed: map[retention.Kind]int{}, Buckets: 7},
		// A report from a store that left the map out still shows one.
		{RunID: "01KJRX0000CCCCCCCCCCCCCCCC", StartedAt: at.Add(-48 * time.Hour), EndedAt: at.Add(-48 * time.Hour),
			Status: retention.Failed, Errors: map[string]int{"ThrottlingException": 3}},
	}}
	s.h.Sweeps = pages
	return s, pages
}

func TestSweepReports(t *testing.T) {
	s, pages := sweepsAPI(t)
	const route = "/v1/admin/sweeps"

	var page SweepReports
	if err := json.Unmarshal([]byte(s.call("GET", route, route, "", "", 200)), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Sweeps) != 3 || page.NextCursor != "" || page.Sweeps[0].Removed[retention.Idempotency] != 2 ||
		page.Sweeps[2].Removed == nil || page.Sweeps[2].Errors["ThrottlingException"] != 3 {
		t.Fatalf("page %+v", page)
	}
	if got := pages.calls; len(got) != 1 || got[0] != "/50" {
		t.Errorf("store called with %v, want the default limit 50 and no cursor", got)
	}

	// Paging: next_cursor passed back as cursor gives the rest.
	out := s.call("GET", route, route+"?limit=2", "", "", 200)
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Sweeps) != 2 || page.NextCursor != "01KJRZ0000BBBBBBBBBBBBBBBB" {
		t.Fatalf("first page %s", out)
	}
	out = s.call("GET", route, route+"?limit=2&cursor="+page.NextCursor, "", "", 200)
	page = SweepReports{}
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Sweeps) != 1 || page.NextCursor != "" ||
		page.Sweeps[0].Status != retention.Failed {
		t.Fatalf("second page %s", out)
	}
	if strings.Contains(out, "next_cursor") {
		t.Errorf("the last page has a next_cursor: %s", out)
	}
}

func TestSweepReportsRefuseBadQueries(t *testing.T) {
	s, pages := sweepsAPI(t)
	const route = "/v1/admin/sweeps"
	for _, q := range []string{"limit=0", "limit=101", "limit=-1", "limit=ten", "limit=", "limit=2.5"} {
		if out := s.call("GET", route, route+"?"+q, "", "", 400); !strings.Contains(out, `"field":"limit"`) {
			t.Errorf("%s: %s, want a problem naming limit", q, out)
		}
	}
	for _, c := range []string{"nope", "01kjs0m1q0aaaaaaaaaaaaaaaa", "01KJS0M1Q0AAAAAAAAAAAAAAAAA", "01KJS0M1Q0AAAAAAAAAAAAAAAI", "RUN%2301KJS0M1Q0AAAAAAAAAAAAAAAA"} {
		if out := s.call("GET", route, route+"?cursor="+c, "", "", 400); !strings.Contains(out, `"field":"cursor"`) {
			t.Errorf("cursor %q: %s, want a problem naming cursor", c, out)
		}
	}
	// Both wrong: both named.
	if out := s.call("GET", route, route+"?limit=0&cursor=nope", "", "", 400); !strings.Contains(out, `"field":"limit"`) || !strings.Contains(out, `"field":"cursor"`) {
		t.Errorf("limit and cursor: %s", out)
	}
	if len(pages.calls) != 0 {
		t.Errorf("refused queries reached the store: %v", pages.calls)
	}
	// A well-formed cursor the store did not hand out: its refusal names
	// the field too.
	if out := s.call("GET", route, route+"?cursor=01KJS0M1Q0ZZZZZZZZZZZZZZZZ", "", "", 400); !strings.Contains(out, `"field":"cursor"`) {
		t.Errorf("unknown cursor: %s", out)
	}
}

func TestSweepReportsStoreFailures(t *testing.T) {
	s, pages := sweepsAPI(t)
	const route = "/v1/admin/sweeps"
	pages.fail = fault.Wrap(fault.TooMany, "The service is busy; try again.", errors.New("throttled"))
	s.call("GET", route, route, "", "", 429)
	pages.fail = errors.New("dial tcp 127.0.0.1:8000: connection refused")
	if out := s.call("GET", route, route, "", "", 500); strings.Contains(out, "refused") || strings.Contains(out, "127.0.0.1") {
		t.Errorf("500 tells the cause: %s", out)
	}
}

func TestSweepReportsAreStaffOnly(t *testing.T) {
	_, pages := sweepsAPI(t)
	h := &Handler{Sweeps: pages, Token: "secret", Log: slog.New(slog.DiscardHandler)}
	for name, c := range map[string]struct {
		auth   string
		groups []string
		want   int
	}{
		// The machine routes' local token is no staff sign-in.
		"no claims":          {"", nil, http.StatusUnauthorized},
		"machine token":      {"Bearer secret", nil, http.StatusUnauthorized},
		"no staff group":     {"", []string{"marketing"}, http.StatusForbidden},
		"a group like staff": {"", []string{"privacy-viewers"}, http.StatusForbidden},
	} {
		r := apigw.Request{RouteKey: "GET /v1/admin/sweeps", Headers: map[string]string{}}
		if c.auth != "" {
			r.Headers["authorization"] = c.auth
		}
		if c.groups != nil {
			SignIn(&r, "eve", c.groups...)
		}
		resp, err := h.Handle(context.Background(), r)
		if err != nil || resp.StatusCode != c.want || strings.Contains(resp.Body, "01KJS0M1Q0AAAAAAAAAAAAAAAA") ||
			(c.want == http.StatusUnauthorized && resp.Headers["WWW-Authenticate"] != "Bearer") {
			t.Errorf("%s: %d %v %s", name, resp.StatusCode, err, resp.Body)
		}
	}
	if len(pages.calls) != 0 {
		t.Errorf("refused callers reached the store: %v", pages.calls)
	}
}
