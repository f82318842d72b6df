package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Report is everything one run measured.
type Report struct {
	Started   string               `json:"started"`
	GoVersion string               `json:"go"`
	Host      string               `json:"host"`
	CPUs      int                  `json:"cpus"`
	Elapsed   float64              `json:"elapsed_s"`
	Programs  []*Program           `json:"programs"`
	Cold      map[string]Dist      `json:"cold_start"`
	ColdRaw   map[string][]float64 `json:"cold_start_raw_ms"`
	Warm      []Warm               `json:"warm_invoke"`
	Capacity  []OpUsage            `json:"capacity"`
	E2E       []E2E                `json:"end_to_end"`
	Sweep     []SweepRun           `json:"retention_sweep"`
	Targets   []Target             `json:"targets"`
	Notes     []string             `json:"notes,omitempty"`
}

// Target is one target of the report's summary.
type Target struct {
	Target  string  `json:"target"`
	Subject string  `json:"subject"`
	Value   string  `json:"value"`
	Ratio   float64 `json:"ratio,omitempty"`
	Limit   float64 `json:"limit,omitempty"`
	Met     bool    `json:"met"`
}

// The targets' limits.
const (
	zipLimit       = 1.25
	initLimit      = 1.25
	initPhoneLimit = 1.5
	e2eLimit       = 2.5
)

func (r *Report) program(name string) *Program {
	for _, p := range r.Programs {
		if p.Name == name {
			return p
		}
	}
	return &Program{}
}

func (r *Report) e2e(op string, clients int) E2E {
	for _, e := range r.E2E {
		if e.Op == op && e.Clients == clients {
			return e
		}
	}
	return E2E{}
}

// targets checks every target against this run's baselines.
func targets(r *Report) []Target {
	var out []Target
	base := r.program(baselineName)
	for _, p := range r.Programs {
		if !p.Function {
			continue
		}
		ratio := Ratio(float64(p.Zip), float64(base.Zip))
		out = append(out, Target{Target: "zip <= 1.25x baseline", Subject: p.Name, Value: mb(p.Zip), Ratio: ratio, Limit: zipLimit,
			Met: Within(float64(p.Zip), float64(base.Zip), zipLimit)})
	}
	bc := r.Cold[baselineName].P50
	for _, p := range r.Programs {
		if !p.Function {
			continue
		}
		limit, label := initLimit, "init p50 <= 1.25x baseline (no phones)"
		if p.Phones {
			limit, label = initPhoneLimit, "init p50 <= 1.5x baseline (parses phones)"
		}
		c := r.Cold[p.Name].P50
		out = append(out, Target{Target: label, Subject: p.Name, Value: fmt.Sprintf("%.1f ms", c), Ratio: Ratio(c, bc), Limit: limit, Met: Within(c, bc, limit)})
	}
	for _, n := range []int{1, 8} {
		put := r.e2e("bare PutItem", n).Dist.P50
		for _, op := range []string{"request (POST /v1/requests)", "first opt-out (POST /v1/opt-out)"} {
			e := r.e2e(op, n)
			out = append(out, Target{Target: fmt.Sprintf("e2e p50 <= 2.5x bare PutItem (%d client%s)", n, plural(n)), Subject: op,
				Value: fmt.Sprintf("%.1f ms", e.Dist.P50), Ratio: Ratio(e.Dist.P50, put), Limit: e2eLimit,
				Met: e.Failures == 0 && Within(e.Dist.P50, put, e2eLimit)})
		}
	}
	for _, c := range r.Capacity {
		u := c.Usage
		out = append(out, Target{Target: "capacity == arithmetic", Subject: c.Name,
			Value: fmt.Sprintf("%s WCU (arith %s), %s RCU (arith %s)", num(u.WCU), num(u.ArithWCU), num(u.RCU), num(u.ArithRCU)),
			Met:   near(u.WCU, u.ArithWCU) && near(u.RCU, u.ArithRCU)})
	}
	return out
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }

func num(f float64) string {
	s := fmt.Sprintf("%.2f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" || s == "-" {
		return "0"
	}
	return s
}

func ratio(f float64) string {
	if f == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", f)
}

func mark(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// write saves the report as build/bench.md and build/bench.json.
func write(out string, r *Report) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "bench.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	md := markdown(r)
	if err := os.WriteFile(filepath.Join(out, "bench.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print(summary(r))
	fmt.Printf("wrote %s and %s in %.0f s\n", filepath.Join(out, "bench.md"), filepath.Join(out, "bench.json"), r.Elapsed)
	return nil
}

// summary is the table of targets.
func summary(r *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| Target | Subject | Value | Ratio | Result |\n|---|---|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", t.Target, t.Subject, t.Value, ratio(t.Ratio), mark(t.Met))
	}
	return b.String()
}

func markdown(r *Report) string {
	var b strings.Builder
	met := 0
	for _, t := range r.Targets {
		if t.Met {
			met++
		}
	}
	fmt.Fprintf(&b, "# make bench\n\n%s on %s (%d CPUs), %s; %.0f s in all. %d of %d targets met.\n\n", r.Started, r.Host, r.CPUs, r.GoVersion, r.Elapsed, met, len(r.Targets))
	fmt.Fprintf(&b, "## Summary\n\n%s\n", summary(r))
	sizes(&b, r)
	cold(&b, r)
	warmTable(&b, r)
	capacityTable(&b, r)
	e2eTable(&b, r)
	sweepTable(&b, r)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}

func sizes(b *strings.Builder, r *Report) {
	base, hello := r.program(baselineName), r.program(helloName)
	fmt.Fprintf(b, "## Size (linux/arm64, -trimpath -tags lambda.norpc -ldflags='-s -w', zip deflated)\n\n")
	fmt.Fprintf(b, "| Program | Parses phones | Bootstrap | Zip | Zip vs baseline | Zip vs hello |\n|---|---|---|---|---|---|\n")
	for _, p := range r.Programs {
		phones := "no"
		if p.Phones {
			phones = "yes"
		}
		if !p.Function {
			phones = "-"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", p.Name, phones, mb(p.Size), mb(p.Zip),
			ratio(Ratio(float64(p.Zip), float64(base.Zip))), ratio(Ratio(float64(p.Zip), float64(hello.Zip))))
	}
	fmt.Fprintf(b, "\n\"Parses phones\": the function's build depends on `%s` (`go list -deps`).\n\n", phonePackage)
}

func cold(b *strings.Builder, r *Report) {
	fmt.Fprintf(b, "## Cold start (%s build, exec to the first GET /2018-06-01/runtime/invocation/next)\n\n", r.Host)
	fmt.Fprintf(b, "Every program started in turn, round-robin, against an in-process Runtime API stand-in on 127.0.0.1, "+
		"with the settings each function reads at init (the subject pepper as SUBJECT_PEPPER, so no Secrets Manager call; "+
		"static credentials, so no credential lookup).\n\n")
	fmt.Fprintf(b, "| Program | Starts | p50 | p90 | p50 vs baseline | p50 vs hello |\n|---|---|---|---|---|---|\n")
	bc, hc := r.Cold[baselineName].P50, r.Cold[helloName].P50
	for _, p := range r.Programs {
		d := r.Cold[p.Name]
		fmt.Fprintf(b, "| %s | %d | %.2f ms | %.2f ms | %s | %s |\n", p.Name, d.N, d.P50, d.P90, ratio(Ratio(d.P50, bc)), ratio(Ratio(d.P50, hc)))
	}
	b.WriteString("\n")
}

func warmTable(b *strings.Builder, r *Report) {
	fmt.Fprintf(b, "## Warm invoke (event handed at /next to its /response or /error, same stand-in)\n\n")
	fmt.Fprintf(b, "| Program | Event | Answer | n | p50 | p99 |\n|---|---|---|---|---|---|\n")
	for _, w := range r.Warm {
		fmt.Fprintf(b, "| %s | %s | %s | %d | %.3f ms | %.3f ms |\n", w.Name, w.Event, w.Answer, w.Dist.N, w.Dist.P50, w.Dist.P99)
	}
	b.WriteString("\n")
}

func capacityTable(b *strings.Builder, r *Report) {
	fmt.Fprintf(b, "## Capacity per operation\n\n")
	fmt.Fprintf(b, "Each operation ran %d times through the gateway and the handlers on DynamoDB Local (the sweep once); "+
		"every write's item was read back before and after it. **WCU** prices those items by DynamoDB's rules: the larger of before "+
		"and after per started KB, twice in a transaction (ConditionCheck included), a failed condition charged for the item found, "+
		"plus one write per index entry that appears, changes or disappears (a delete and a put when its keys change; entry = projection + 100 bytes). "+
		"**Arith** counts the same writes at 1 KB each. **RCU** re-reads what each read call read, whole and unfiltered "+
		"(per 4 KB, half when eventually consistent, 1 unit at least even when nothing is found). **Local** is what DynamoDB Local "+
		"returned with ReturnConsumedCapacity=INDEXES.\n\n", capacityRuns)
	fmt.Fprintf(b, "| Operation | Calls | Items written (in tx) | Index writes | WCU | Arith WCU | Local WCU | RCU | Arith RCU | Local RCU | Largest item |\n")
	fmt.Fprintf(b, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Capacity {
		u := c.Usage
		under := ""
		if u.LocalWCU+1e-9 < u.WCU || u.LocalRCU+1e-9 < u.RCU {
			under = " (Local under-reports)"
		}
		fmt.Fprintf(b, "| %s%s | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %d B |\n", c.Name, under, calls(u.Calls),
			num(u.ItemWrites), num(u.TxItems), num(u.IndexWrites), num(u.WCU), num(u.ArithWCU), num(u.LocalWCU),
			num(u.RCU), num(u.ArithRCU), num(u.LocalRCU), u.MaxItem)
	}
	b.WriteString("\n")
	for _, c := range r.Capacity {
		fmt.Fprintf(b, "- %s: %s", c.Name, c.What)
		if len(c.Usage.Over) > 0 {
			fmt.Fprintf(b, ". Over 1 KB (item or index entry), in all runs: %s", strings.Join(c.Usage.Over, "; "))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

func calls(m map[string]float64) string {
	var parts []string
	for _, k := range []string{"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"} {
		if m[k] > 0 {
			parts = append(parts, num(m[k])+" "+k)
		}
	}
	return strings.Join(parts, ", ")
}

func e2eTable(b *strings.Builder, r *Report) {
	fmt.Fprintf(b, "## End to end on DynamoDB Local\n\n")
	fmt.Fprintf(b, "The request and the opt-out go through the local cloud's gateway (called in process) to the functions' handlers, wired as "+
		"shared/localcloud wires them, table guard included; the bare calls use a client with the functions' own settings. With one "+
		"client the four kinds take turns call by call; with eight, each kind runs alone (mixed, each would wait behind the others' "+
		"calls inside DynamoDB Local), in two rounds. Each ratio is to the bare PutItem at the same number of clients.\n\n")
	fmt.Fprintf(b, "| Operation | Clients | n | p50 | p99 | p50 vs PutItem | Failures |\n|---|---|---|---|---|---|---|\n")
	for _, e := range r.E2E {
		put := r.e2e("bare PutItem", e.Clients).Dist.P50
		fmt.Fprintf(b, "| %s | %d | %d | %.2f ms | %.2f ms | %s | %d |\n", e.Op, e.Clients, e.Dist.N, e.Dist.P50, e.Dist.P99,
			ratio(Ratio(e.Dist.P50, put)), e.Failures)
	}
	b.WriteString("\n")
}

func sweepTable(b *strings.Builder, r *Report) {
	if len(r.Sweep) == 0 {
		return
	}
	fmt.Fprintf(b, "## Retention sweep (BenchmarkRetentionSweep, 1,000 expired records; figures as DynamoDB Local reports them)\n\n")
	fmt.Fprintf(b, "| Table | Kind | Seconds | RCU | WCU | WCU per expired record | Items/s |\n|---|---|---|---|---|---|---|\n")
	for _, s := range r.Sweep {
		fmt.Fprintf(b, "| %d | %s | %.2f | %s | %s | %s | %.0f |\n", s.Items, s.Kind, s.Seconds, num(s.Metrics["RCU/op"]),
			num(s.Metrics["WCU/op"]), num(s.Metrics["WCU/op"]/1000), s.Metrics["items/s"])
	}
	b.WriteString("\n")
}
