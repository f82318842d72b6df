// Package ids makes the service's record ids: ULIDs, which sort by the time
// they were made, so lists and audit histories come out in order.
package ids

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Source makes ids; ids made in the same millisecond still sort in the order
// they were made. The zero value is not usable; use NewSource.
type Source struct {
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy
}

// NewSource returns a Source drawing on crypto/rand.
func NewSource() *Source { return &Source{entropy: ulid.Monotonic(rand.Reader, 0)} }

// At returns a new id for time t.
func (s *Source) At(t time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ulid.MustNew(ulid.Timestamp(t), s.entropy).String()
}
