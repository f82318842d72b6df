package main

import (
	"math"
	"slices"
	"time"
)

// Dist summarises a sample of durations, in milliseconds.
type Dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Min float64 `json:"min_ms"`
	Max float64 `json:"max_ms"`
}

// Percentile is the nearest-rank percentile p (0 < p <= 100) of a sorted
// sample: the smallest value at least p% of the sample is at or below.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Summarise sorts a copy of the sample and takes its percentiles.
func Summarise(d []time.Duration) Dist {
	ms := make([]float64, len(d))
	for i, x := range d {
		ms[i] = float64(x) / float64(time.Millisecond)
	}
	slices.Sort(ms)
	if len(ms) == 0 {
		return Dist{}
	}
	return Dist{N: len(ms), P50: Percentile(ms, 50), P90: Percentile(ms, 90), P99: Percentile(ms, 99),
		Min: ms[0], Max: ms[len(ms)-1]}
}

// Ratio is a / b, or 0 when b is not positive (no baseline measured).
func Ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// Within says whether value is at most limit times its baseline; a
// missing baseline meets nothing.
func Within(value, baseline, limit float64) bool {
	return baseline > 0 && value <= limit*baseline
}
