package adminapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claritru/privacy/api"
	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/feed"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/topology"
)

// The feed routes run against DynamoDB Local.
func TestMain(m *testing.M) { os.Exit(localtest.Main(m, false)) }

const staffARN = "ada"

// feedAPI is the staff API with the feed on a fresh table, called as a
// session of the staff role, every exchange held to the OpenAPI document.
type feedAPI struct {
	t       *testing.T
	h       *adminapi.Handler
	checker *api.Checker
	optOut  *optout.Service
	mu      sync.Mutex
	clock   time.Time
}

func newFeedAPI(t *testing.T, start time.Time) *feedAPI {
	t.Helper()
	db, table := localtest.NewTable(t)
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("a"), 32))
	if err != nil {
		t.Fatal(err)
	}
	checker, err := api.NewChecker()
	if err != nil {
		t.Fatal(err)
	}
	s := &feedAPI{t: t, checker: checker, clock: start}
	now := func() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.clock }
	def, _ := topology.ClariTru.Function("admin")
	s.optOut = optout.NewService(ddb.NewOptOuts(db, table), keyer, phone.E164, now)
	s.h = &adminapi.Handler{
		Feed: feed.NewService(ddb.NewFeed(ddb.Guard(db, def), table), reach.Systems(), now),
		Log:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:  now,
	}
	return s
}

func (s *feedAPI) at(t time.Time) { s.mu.Lock(); s.clock = t; s.mu.Unlock() }

func (s *feedAPI) optOutAt(at time.Time, email string) {
	s.t.Helper()
	s.at(at)
	if _, err := s.optOut.OptOut(context.Background(), optout.Input{Email: email, Source: optout.Form}); err != nil {
		s.t.Fatal(err)
	}
}

func (s *feedAPI) call(method, path, body string, want int) string {
	t := s.t
	t.Helper()
	hr := httptest.NewRequest(method, "https://api.example.test"+path, strings.NewReader(body))
	ev := apigw.Request{RouteKey: method + " " + hr.URL.Path, RawPath: hr.URL.Path, Body: body, Headers: map[string]string{}}
	adminapi.SignIn(&ev, staffARN, "privacy-handler")
	if body != "" {
		hr.Header.Set("Content-Type", "application/json")
		ev.Headers["content-type"] = "application/json"
	}
	if q := hr.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, v := range q {
			ev.QueryStringParameters[k] = strings.Join(v, ",")
		}
	}
	resp, err := s.h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Errorf("%s %s: %d %s, want %d", method, path, resp.StatusCode, resp.Body, want)
	}
	hh := http.Header{}
	for k, v := range resp.Headers {
		hh.Set(k, v)
	}
	hresp := &http.Response{StatusCode: resp.StatusCode, Header: hh, Body: io.NopCloser(strings.NewReader(resp.Body))}
	if err := s.checker.Check(hr, []byte(body), hresp, []byte(resp.Body)); err != nil {
		t.Errorf("%s %s: %v", method, path, err)
	}
	return resp.Body
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return v
}

// Staff pull the delta, record the delivery, and the next pull starts
// after it; the feed says when the platform is late.
func TestFeedRoutes(t *testing.T) {
	since := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s := newFeedAPI(t, since)
	s.optOutAt(since, "ada@example.com")
	s.optOutAt(since.Add(time.Hour), "grace@example.com")
	s.at(deadline.AddBusinessDays(since, 16))

	page := decode[adminapi.FeedPage](t, s.call("GET", "/v1/admin/suppression/feed?platform=ads-audiences&limit=1", "", 200))
	if page.Count != 1 || page.Complete || page.FromVersion != "" || !page.Late || page.OldestPending == nil ||
		!page.OldestPending.Equal(since) || page.Entries[0].Kind != "email" || len(page.Entries[0].Match) != 64 {
		t.Fatalf("first page = %+v", page)
	}
	rest := decode[adminapi.FeedPage](t, s.call("GET", "/v1/admin/suppression/feed?platform=ads-audiences&since="+page.Version, "", 200))
	if rest.Count != 1 || !rest.Complete || rest.FromVersion != page.Version || rest.Entries[0].Match == page.Entries[0].Match {
		t.Fatalf("second page = %+v", rest)
	}

	d := decode[adminapi.FeedDelivery](t, s.call("POST", "/v1/admin/suppression/deliveries",
		`{"platform":"ads-audiences","version":"`+rest.Version+`","entries":2}`, 201))
	if d.Version != rest.Version || d.Entries != 2 || d.Actor != staffARN || d.Platform != "ads-audiences" {
		t.Errorf("delivery = %+v", d)
	}
	after := decode[adminapi.FeedPage](t, s.call("GET", "/v1/admin/suppression/feed?platform=ads-audiences", "", 200))
	if after.Count != 0 || after.Late || after.OldestPending != nil || after.FromVersion != rest.Version || after.Version != rest.Version {
		t.Errorf("after the delivery = %+v", after)
	}
	// Going back is refused and recorded nowhere.
	s.call("POST", "/v1/admin/suppression/deliveries", `{"platform":"ads-audiences","version":"`+page.Version+`","entries":1}`, 409)
	list := decode[adminapi.FeedDeliveries](t, s.call("GET", "/v1/admin/suppression/deliveries?platform=ads-audiences", "", 200))
	if len(list.Deliveries) != 1 || list.Deliveries[0].ID != d.ID {
		t.Errorf("deliveries = %+v, want the one recorded", list)
	}
}

// Bad input is a problem naming the field.
func TestFeedRoutesRefuseBadInput(t *testing.T) {
	s := newFeedAPI(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	cases := []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"GET", "/v1/admin/suppression/feed?platform=crm", "", 422, "platform"},
		{"GET", "/v1/admin/suppression/feed", "", 422, "platform"},
		{"GET", "/v1/admin/suppression/feed?platform=ads-audiences&since=yesterday", "", 400, "since"},
		{"GET", "/v1/admin/suppression/feed?platform=ads-audiences&limit=0", "", 400, "limit"},
		{"GET", "/v1/admin/suppression/deliveries?platform=nobody", "", 422, "platform"},
		{"POST", "/v1/admin/suppression/deliveries", `{"platform":"ads-audiences","version":"20260302T100000000Z-0123456789abcdef","entries":1}`, 400, "version"},
		{"POST", "/v1/admin/suppression/deliveries", `{"platform":"ads-audiences","version":"x","entries":1}`, 400, "version"},
		{"POST", "/v1/admin/suppression/deliveries", `{"platform":"ads-audiences","version":"x"}`, 400, "entries"},
		{"POST", "/v1/admin/suppression/deliveries", `{"platform":"ads-audiences","version":"x","entries":"two"}`, 400, "entries"},
		{"POST", "/v1/admin/suppression/deliveries", `{"platform":"billing","version":"x","entries":1}`, 422, "platform"},
	}
	for _, c := range cases {
		p := decode[apigw.ProblemDoc](t, s.call(c.method, c.path, c.body, c.status))
		if len(p.Errors) == 0 || p.Errors[0].Field != c.field {
			t.Errorf("%s %s %s: errors %+v, want %s named", c.method, c.path, c.body, p.Errors, c.field)
		}
	}
}
