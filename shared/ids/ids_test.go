package ids

import (
	"sort"
	"sync"
	"testing"
	"time"
)

// Ids made at once, from many goroutines and in one millisecond, are unique
// and sort by the time they stand for.
func TestIDsAreUniqueAndSortByTime(t *testing.T) {
	s := NewSource()
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				id := s.At(t0)
				mu.Lock()
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 800 {
		t.Fatalf("%d unique ids of 800", len(seen))
	}
	early, late := s.At(t0.Add(-time.Hour)), s.At(t0.Add(time.Hour))
	list := []string{late, early}
	sort.Strings(list)
	if list[0] != early || len(early) != 26 {
		t.Fatalf("ids do not sort by time: %v", list)
	}
}
