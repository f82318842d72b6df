// Command bench measures the functions against their floor and writes the
// report of `make bench`: build/bench.md, and the raw figures in
// build/bench.json, all from one run on this machine.
//
//   - size: each function's arm64 bootstrap (built as the Makefile builds
//     it) and its zip, beside a baseline built the same way that creates the
//     same AWS clients (cmd/bench/baseline) and a bare aws-lambda-go hello
//     world (cmd/bench/hello);
//   - cold start: the same programs built for this machine, exec to the
//     first GET .../invocation/next on an in-process stand-in for Lambda's
//     Runtime API, round-robin over all programs;
//   - warm invoke: events handed through the same stand-in;
//   - capacity per operation: the items each operation wrote and read,
//     priced by DynamoDB's sizing rules, beside the count-based arithmetic
//     and what DynamoDB Local reports;
//   - end to end: a request and a first opt-out through the gateway and
//     handlers beside a bare PutItem and TransactWriteItems;
//   - the retention sweep on tables of 10,000 and 100,000 records (the
//     RetentionSweep benchmark of shared/ddb).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/localcloud"
)

// options are the command's flags.
type options struct {
	out       string
	starts    int
	invokes   int
	e2eOps    int
	sweep     string
	skipSweep bool
}

// defaultSweep leaves out the scan baseline of the sweep benchmark
// (RetentionSweep//scan), which seeds the 100,000 records a second time.
const defaultSweep = "RetentionSweep//sweep"

func main() {
	var o options
	flag.StringVar(&o.out, "out", "build", "folder for bench.md, bench.json and the builds")
	flag.IntVar(&o.starts, "starts", 30, "cold starts of each program")
	flag.IntVar(&o.invokes, "invokes", 200, "warm invocations of each program")
	flag.IntVar(&o.e2eOps, "e2e", 240, "operations of each kind at each number of clients")
	flag.StringVar(&o.sweep, "sweep", defaultSweep, "-bench pattern of the retention sweep benchmark (shared/ddb)")
	flag.BoolVar(&o.skipSweep, "skip-sweep", false, "leave out the retention sweep benchmark")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	began := time.Now()
	root, err := localcloud.Root()
	if err != nil {
		return err
	}
	rep := &Report{
		Started: began.UTC().Format(time.RFC3339), GoVersion: runtime.Version(),
		Host: runtime.GOOS + "/" + runtime.GOARCH, CPUs: runtime.NumCPU(),
	}
	out := filepath.Join(root, o.out)
	if err := measure(ctx, root, out, o, rep); err != nil {
		return err
	}
	rep.Elapsed = time.Since(began).Seconds()
	rep.Targets = targets(rep)
	return write(out, rep)
}

// measure takes every figure into rep.
func measure(ctx context.Context, root, out string, o options, rep *Report) error {
	ps, err := programs(root)
	if err != nil {
		return err
	}
	step("building %d programs for linux/arm64 and %s", len(ps), rep.Host)
	if err := buildAll(root, filepath.Join(out, "bench"), ps); err != nil {
		return err
	}
	rep.Programs = ps
	step("starting DynamoDB Local")
	dynamo, err := localcloud.OnFreePort(func(port int) (*localcloud.Process, error) {
		return localcloud.StartDynamoDB(ctx, root, port, "", nil)
	})
	if err != nil {
		return err
	}
	defer dynamo.Stop()
	if err := startsAndInvokes(ctx, dynamo.Endpoint, ps, o, rep); err != nil {
		return err
	}
	step("capacity per operation")
	if rep.Capacity, err = capacities(ctx, dynamo.Endpoint); err != nil {
		return err
	}
	step("end to end at 1 and 8 clients, %d operations each", o.e2eOps)
	s, err := startService(ctx, dynamo.Endpoint, nil)
	if err != nil {
		return err
	}
	if rep.E2E, err = endToEnd(ctx, s, dynamo.Endpoint, o.e2eOps, []int{1, 8}); err != nil {
		return err
	}
	// The sweep runs on the table the end-to-end runs filled, where
	// hundreds of tokens and idempotency records expire together.
	step("retention sweep of the end-to-end table, priced per record")
	sw, err := sweepOnce(ctx, s)
	if err != nil {
		return err
	}
	rep.Capacity = append(rep.Capacity, sw)
	// The sweep benchmark starts a DynamoDB Local of its own.
	dynamo.Stop()
	if o.skipSweep {
		rep.Notes = append(rep.Notes, "The retention sweep benchmark was left out (-skip-sweep).")
		return nil
	}
	if o.sweep == defaultSweep {
		rep.Notes = append(rep.Notes, "The retention sweep ran on 10,000 and 100,000 records without the benchmark's scan baseline, "+
			"which seeds the 100,000 records a second time (about two minutes more than the budget of `make bench` allows); "+
			"`go run ./cmd/bench -sweep RetentionSweep` includes it.")
	}
	step("retention sweep benchmark (%s)", o.sweep)
	rep.Sweep, err = sweepBench(ctx, root, o.sweep, filepath.Join(out, "bench-sweep.txt"))
	return err
}

// startsAndInvokes measures the cold starts and the warm invocations.
func startsAndInvokes(ctx context.Context, endpoint string, ps []*Program, o options, rep *Report) error {
	table, err := newTable(ctx, localDB(endpoint), "bench-fn")
	if err != nil {
		return err
	}
	api, err := startRuntimeAPI()
	if err != nil {
		return err
	}
	defer api.close()
	env := func(p *Program) []string { return lambdaEnv(p, table, endpoint) }
	step("cold starts: %d of each program, round-robin", o.starts)
	cold, err := coldStarts(ctx, api, ps, env, o.starts)
	if err != nil {
		return err
	}
	rep.Cold = map[string]Dist{}
	rep.ColdRaw = map[string][]float64{}
	for name, d := range cold {
		rep.Cold[name] = Summarise(d)
		for _, x := range d {
			rep.ColdRaw[name] = append(rep.ColdRaw[name], float64(x)/float64(time.Millisecond))
		}
	}
	step("warm invocations: %d of each program", o.invokes)
	for _, p := range ps {
		w, err := warm(api, p, env(p), o.invokes)
		if err != nil {
			return fmt.Errorf("warm %s: %w", p.Name, err)
		}
		rep.Warm = append(rep.Warm, w)
	}
	return nil
}

// Warm is one program's warm invocations.
type Warm struct {
	Name   string `json:"name"`
	Event  string `json:"event"`
	Answer string `json:"answer"`
	Dist   Dist   `json:"latency"`
}

// warmups are invocations before the measured ones.
const warmups = 10

func warm(api *runtimeAPI, p *Program, env []string, n int) (Warm, error) {
	ev, what := warmEvent(p)
	if scheduled(p) {
		// Their run reads the table: fewer of them keep the bench short.
		n = max(1, n/4)
	}
	s, err := api.start(p.Host, env)
	if err != nil {
		return Warm{}, err
	}
	defer s.stop()
	var lat []time.Duration
	var last answer
	for i := range warmups + n {
		d, a, err := api.invoke(s, ev)
		if err != nil {
			return Warm{}, err
		}
		if i >= warmups {
			lat = append(lat, d)
		}
		last = a
	}
	return Warm{Name: p.Name, Event: what, Answer: describe(last), Dist: Summarise(lat)}, nil
}

// describe says what an answer was: an error, an HTTP status, or its size.
func describe(a answer) string {
	if a.error {
		return "error: " + lastLines(string(a.body))
	}
	var r struct {
		StatusCode int `json:"statusCode"`
	}
	if json.Unmarshal(a.body, &r) == nil && r.StatusCode != 0 {
		return fmt.Sprintf("HTTP %d", r.StatusCode)
	}
	if len(a.body) <= 40 {
		return strings.TrimSpace(string(a.body))
	}
	return fmt.Sprintf("%d bytes", len(a.body))
}

func step(format string, args ...any) {
	fmt.Printf("bench %s: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
