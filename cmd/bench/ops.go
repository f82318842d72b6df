package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// The operations' bodies, as the pages send them.
func requestBody(i int, run string) string {
	return fmt.Sprintf(`{"types":["access"],"first_name":"Ada","last_name":"Lovelace","email":"ada.%s.%d@example.com",`+
		`"country":"US","state":"CA","declaration":true}`, run, i)
}

func optOutBody(i int, run string) string {
	return fmt.Sprintf(`{"email":"grace.%s.%d@example.com","browser_id":"browser-%s-%08d"}`, run, i, run, i)
}

func consentBody(i int, run string) string {
	return fmt.Sprintf(`{"subject":{"email":"cora.%s.%d@example.com"},"events":[{"purpose":"email_marketing","granted":true}],`+
		`"disclosure":{"id":"email-optin","version":"2026-11"},"source_url":"https://www.example.com/subscribe","country":"US","age_confirmed":true}`, run, i)
}

func bannerBody(i int, run string) string {
	return fmt.Sprintf(`{"subject":{"browser_id":"banner-%s-%08d"},"events":[`+
		`{"purpose":"cookies_functional","granted":true},{"purpose":"cookies_analytics","granted":false},{"purpose":"cookies_advertising","granted":false}],`+
		`"disclosure":{"id":"cookie-banner","version":"2026-11"},"source_url":"https://www.example.com/cookies-demo.html"}`, run, i)
}

// OpUsage is one operation's capacity.
type OpUsage struct {
	Name  string `json:"name"`
	What  string `json:"what"`
	Runs  int    `json:"runs"`
	Usage Usage  `json:"usage"`
}

// capacityRuns is how many times each operation runs; its figures are the
// mean of one.
const capacityRuns = 5

var verifyLink = regexp.MustCompile(`/v1/verify\?token=([A-Za-z0-9_%-]+)`)

// capacities runs each operation on a watched service and prices what it
// wrote and read.
func capacities(ctx context.Context, endpoint string) ([]OpUsage, error) {
	c := &capture{table: TableOf(topology.PrivacyTable)}
	s, err := startService(ctx, endpoint, c)
	if err != nil {
		return nil, err
	}
	var out []OpUsage
	measure := func(name, what string, op func(i int) error) error {
		c.reset()
		for i := range capacityRuns {
			if err := op(i); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		out = append(out, OpUsage{Name: name, What: what, Runs: capacityRuns, Usage: c.usage(capacityRuns)})
		return nil
	}
	post := func(want int, path string, body func(int, string) string, run string) func(int) error {
		return func(i int) error { _, err := s.expect(ctx, want, "POST", path, body(i, run)); return err }
	}
	var tokens []string
	steps := []struct {
		name, what string
		op         func(int) error
		after      func()
	}{
		{"intake", "POST /v1/requests: a new access request (pending verification, receipt mail)",
			post(http.StatusAccepted, "/v1/requests", requestBody, "cap"), func() { tokens = c.find(verifyLink) }},
		{"verify", "POST /v1/verify: the request's token confirmed", func(i int) error {
			if i >= len(tokens) {
				return fmt.Errorf("no verification link in the intake's writes (found %d)", len(tokens))
			}
			_, err := s.expect(ctx, http.StatusOK, "POST", "/v1/verify", `{"token":"`+tokens[i]+`"}`)
			return err
		}, nil},
		{"opt-out new", "POST /v1/opt-out: email and browser id, first time", post(http.StatusOK, "/v1/opt-out", optOutBody, "cap"), nil},
		{"opt-out repeat", "POST /v1/opt-out: the same again", post(http.StatusOK, "/v1/opt-out", optOutBody, "cap"), nil},
		{"consent grant", "POST /v1/consents: email marketing granted (pending double opt-in, receipt mail)",
			post(http.StatusCreated, "/v1/consents", consentBody, "cap"), nil},
		{"banner save (first)", "POST /v1/consents: three cookie choices of a new browser",
			post(http.StatusCreated, "/v1/consents", bannerBody, "cap"), nil},
		{"banner save (again)", "POST /v1/consents: the same browser saves the banner again",
			post(http.StatusCreated, "/v1/consents", bannerBody, "cap"), nil},
		{"admin queue page", "GET /v1/admin/requests?status=pending_verification&limit=25", func(int) error {
			_, err := s.expect(ctx, http.StatusOK, "GET", "/v1/admin/requests?status=pending_verification&limit=25", "",
				"Authorization", "Bearer "+s.staffToken)
			return err
		}, nil},
	}
	for _, st := range steps {
		if err := measure(st.name, st.what, st.op); err != nil {
			return out, err
		}
		if st.after != nil {
			st.after()
		}
	}
	return out, nil
}

// sweepOnce runs the retention sweep on the service's table four days
// ahead, when the tokens and idempotency records its operations wrote have
// expired, and prices the whole run per record removed.
func sweepOnce(ctx context.Context, s *service) (OpUsage, error) {
	c := &capture{table: TableOf(topology.PrivacyTable), plain: s.DB}
	db := dynamodb.New(s.DB.Options(), c.option)
	sw := ddb.NewSweeper(db, s.Table)
	now := time.Now().UTC()
	sw.Now = func() time.Time { return now.Add(4 * 24 * time.Hour) }
	sw.Since = now.Truncate(24*time.Hour).AddDate(0, 0, -1)
	c.reset()
	rep, err := sw.Run(ctx)
	if err != nil {
		return OpUsage{}, fmt.Errorf("sweep: %w", err)
	}
	if rep.Status != retention.Finished {
		return OpUsage{}, fmt.Errorf("sweep ended %s", rep.Status)
	}
	removed := rep.Dependents
	for _, n := range rep.Removed {
		removed += n
	}
	if removed == 0 {
		return OpUsage{}, fmt.Errorf("the sweep removed nothing")
	}
	return OpUsage{Name: "sweep per expired item", Runs: removed,
		What:  fmt.Sprintf("one sweep 4 days ahead, removing %d expired records (tokens, idempotency records); its whole cost / %d", removed, removed),
		Usage: c.usage(removed)}, nil
}

// find returns the first group of every match of re in the strings the
// captured writes left in the table.
func (c *capture) find(re *regexp.Regexp) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	var walk func(v types.AttributeValue)
	walk = func(v types.AttributeValue) {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			for _, m := range re.FindAllStringSubmatch(v.Value, -1) {
				out = append(out, m[1])
			}
		case *types.AttributeValueMemberM:
			for _, e := range v.Value {
				walk(e)
			}
		case *types.AttributeValueMemberL:
			for _, e := range v.Value {
				walk(e)
			}
		}
	}
	for _, w := range c.writes {
		for _, v := range w.After {
			walk(v)
		}
	}
	return out
}

// E2E is one operation's latency at one number of concurrent clients.
type E2E struct {
	Op       string `json:"op"`
	Clients  int    `json:"clients"`
	Dist     Dist   `json:"latency"`
	Failures int    `json:"failures"`
}

// endToEnd times each operation, ops times in all, at each number of
// concurrent clients: a request and a first opt-out through the gateway
// and the handlers, and a bare PutItem and a bare four-item
// TransactWriteItems of the same client settings on the same DynamoDB
// Local.
func endToEnd(ctx context.Context, s *service, endpoint string, ops int, clients []int) ([]E2E, error) {
	db := localDB(endpoint)
	kinds := []struct {
		name string
		op   func(i int, run string) error
	}{
		{"bare PutItem", func(i int, run string) error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: bareItem(run, i, 0)})
			return err
		}},
		{"bare TransactWriteItems (4 items)", func(i int, run string) error {
			var items []types.TransactWriteItem
			for k := range 4 {
				items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: bareItem(run, i, k)}})
			}
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
			return err
		}},
		{"request (POST /v1/requests)", func(i int, run string) error {
			_, err := s.expect(ctx, http.StatusAccepted, "POST", "/v1/requests", requestBody(i, run))
			return err
		}},
		{"first opt-out (POST /v1/opt-out)", func(i int, run string) error {
			_, err := s.expect(ctx, http.StatusOK, "POST", "/v1/opt-out", optOutBody(i, run))
			return err
		}},
	}
	names := make([]string, len(kinds))
	fns := make([]func(int, string) error, len(kinds))
	for k, kind := range kinds {
		names[k], fns[k] = kind.name, kind.op
	}
	var out []E2E
	for _, n := range clients {
		run := fmt.Sprintf("e2e%d", n)
		// A few unmeasured calls of each warm the connections and the JIT
		// of DynamoDB Local.
		for i := range 2 * n {
			for _, op := range fns {
				_ = op(-1-i, run)
			}
		}
		t := newTimings(len(fns))
		if n == 1 {
			// One client: the kinds take turns call by call, so they meet
			// DynamoDB Local in the same state.
			t.run(fns, n, ops, 0, run)
		} else {
			// Several clients: each kind alone (mixed, every kind would
			// wait behind the others' calls in DynamoDB Local), in two
			// rounds, so that drift weighs on all alike.
			for round := range 2 {
				for k := range fns {
					t.runOne(k, fns[k], n, ops/2, round*ops, run)
				}
			}
		}
		for k := range fns {
			out = append(out, t.result(names[k], k, n))
		}
	}
	return out, nil
}

// bareItem is a small item like the service's records: keys and a few
// short attributes.
func bareItem(run string, i, k int) Item {
	return Item{
		"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("BENCH#%s#%d", run, i)},
		"sk": &types.AttributeValueMemberS{Value: fmt.Sprintf("ITEM#%d", k)},
		"at": &types.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339Nano)},
		"v":  &types.AttributeValueMemberS{Value: strings.Repeat("x", 200)},
	}
}

// timings are the latencies of the calls that succeeded, by kind.
type timings struct {
	mu    sync.Mutex
	lat   [][]time.Duration
	fails []int
	first []error
}

func newTimings(kinds int) *timings {
	return &timings{lat: make([][]time.Duration, kinds), fails: make([]int, kinds), first: make([]error, kinds)}
}

func (t *timings) note(k int, d time.Duration, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.fails[k]++
		if t.first[k] == nil {
			t.first[k] = err
		}
		return
	}
	t.lat[k] = append(t.lat[k], d)
}

// run calls every kind ops times from n clients at once, the kinds taking
// turns; op numbers start at from.
func (t *timings) run(fns []func(int, string) error, n, ops, from int, run string) {
	var next atomic.Int64
	var wg sync.WaitGroup
	total := ops * len(fns)
	for range n {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				k := i % len(fns)
				t0 := time.Now()
				err := fns[k](from+i/len(fns), run)
				t.note(k, time.Since(t0), err)
			}
		})
	}
	wg.Wait()
}

// runOne calls one kind ops times from n clients at once.
func (t *timings) runOne(k int, fn func(int, string) error, n, ops, from int, run string) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= ops {
					return
				}
				t0 := time.Now()
				err := fn(from+i, run)
				t.note(k, time.Since(t0), err)
			}
		})
	}
	wg.Wait()
}

// result summarises one kind.
func (t *timings) result(name string, k, clients int) E2E {
	if t.first[k] != nil {
		fmt.Printf("  %s at %d clients: %d failed, first: %v\n", name, clients, t.fails[k], t.first[k])
	}
	return E2E{Op: name, Clients: clients, Dist: Summarise(t.lat[k]), Failures: t.fails[k]}
}
