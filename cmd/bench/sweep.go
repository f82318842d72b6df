package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// SweepRun is one sub-benchmark of RetentionSweep: the sweep or the scan
// baseline on a table of Items records.
type SweepRun struct {
	Items   int                `json:"items"`
	Kind    string             `json:"kind"`
	Seconds float64            `json:"seconds"`
	Metrics map[string]float64 `json:"metrics"`
}

var benchLine = regexp.MustCompile(`^BenchmarkRetentionSweep/items=(\d+)/(\w+)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(.*)$`)

// sweepBench runs the RetentionSweep benchmark of shared/ddb once (it
// seeds its own tables on a DynamoDB Local of its own), keeps its output
// in logPath and returns its figures.
func sweepBench(ctx context.Context, root, pattern, logPath string) ([]SweepRun, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", pattern, "-benchtime", "1x", "-timeout", "20m", "./shared/ddb/")
	cmd.Dir = root
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(&buf, log)
	cmd.Stderr = log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -bench %s: %w (output in %s)", pattern, err, logPath)
	}
	runs := parseSweep(buf.String())
	if len(runs) == 0 {
		return nil, fmt.Errorf("no RetentionSweep figures in %s", logPath)
	}
	return runs, nil
}

// parseSweep reads the benchmark's result lines.
func parseSweep(out string) []SweepRun {
	var runs []SweepRun
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		items, _ := strconv.Atoi(m[1])
		ns, _ := strconv.ParseFloat(m[3], 64)
		r := SweepRun{Items: items, Kind: m[2], Seconds: ns / 1e9, Metrics: map[string]float64{}}
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				r.Metrics[f[i+1]] = v
			}
		}
		runs = append(runs, r)
	}
	return runs
}
