package main

import (
	"math"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ten := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for p, want := range map[float64]float64{50: 5, 90: 9, 99: 10, 100: 10, 1: 1} {
		if got := Percentile(ten, p); got != want {
			t.Errorf("p%v of 1..10 = %v, want %v", p, got, want)
		}
	}
	var twenty []float64
	for i := range 20 {
		twenty = append(twenty, float64(i+1))
	}
	if got := Percentile(twenty, 90); got != 18 {
		t.Errorf("p90 of 1..20 = %v, want 18", got)
	}
	if !math.IsNaN(Percentile(nil, 50)) {
		t.Error("the percentile of nothing is a number")
	}
}

func TestSummarise(t *testing.T) {
	d := Summarise([]time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond, 10 * time.Millisecond})
	want := Dist{N: 4, P50: 2, P90: 10, P99: 10, Min: 1, Max: 10}
	if d != want {
		t.Errorf("Summarise = %+v, want %+v", d, want)
	}
}

func TestRatioAndWithin(t *testing.T) {
	if got := Ratio(3, 2); got != 1.5 {
		t.Errorf("Ratio(3, 2) = %v", got)
	}
	if got := Ratio(1, 0); got != 0 {
		t.Errorf("Ratio without a baseline = %v, want 0", got)
	}
	cases := []struct {
		v, base, limit float64
		want           bool
	}{
		{125, 100, 1.25, true}, {126, 100, 1.25, false}, {150, 100, 1.5, true}, {1, 0, 1.25, false},
	}
	for _, c := range cases {
		if got := Within(c.v, c.base, c.limit); got != c.want {
			t.Errorf("Within(%v, %v, %v) = %v, want %v", c.v, c.base, c.limit, got, c.want)
		}
	}
}

func TestParseSweep(t *testing.T) {
	out := "goos: linux\n" +
		"BenchmarkRetentionSweep/items=10000/sweep-2         \t       1\t1234567890 ns/op\t        52.00 RCU/op\t      3100 WCU/op\t       810.0 items/s\n" +
		"BenchmarkRetentionSweep/items=100000/scan           \t       1\t9000000000 ns/op\t      9000 RCU/op\n" +
		"PASS\n"
	runs := parseSweep(out)
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2: %+v", len(runs), runs)
	}
	if r := runs[0]; r.Items != 10000 || r.Kind != "sweep" || r.Seconds != 1.23456789 || r.Metrics["WCU/op"] != 3100 || r.Metrics["items/s"] != 810 {
		t.Errorf("first run %+v", r)
	}
	if r := runs[1]; r.Items != 100000 || r.Kind != "scan" || r.Metrics["RCU/op"] != 9000 {
		t.Errorf("second run %+v", r)
	}
}
