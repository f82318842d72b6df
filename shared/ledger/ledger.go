// Package ledger is the append-only, hash-chained log of one person's
// privacy events: opt-outs of sale/sharing and limits on sensitive data now
// (11 CCR §7025, §7026, §7027), consent given and withdrawn later.
//
// Each event carries the hash of the previous event of the same person, so a
// change to any stored event, a removed event or a reordering is detectable
// (a hash chain). The log is what lets the company demonstrate consent (GDPR
// Art. 7(1)), prove prior express written consent for SMS (TCPA,
// 47 CFR 64.1200) and show when an opt-out was received and honoured.
//
// What the chain does not prove by itself: someone able to rewrite the log
// can rewrite a whole tail (or drop the last events) and recompute every hash,
// and the result verifies. That is why the latest Head is stored beside the
// log, updated in the same transaction as each append, and reported in the
// receipts sent to the person: a rewritten tail no longer matches the head
// the person holds (see VerifyHead).
//
// The package is pure: no clock, no storage, no AWS. Callers give each event
// its Subject, ID (a ULID), At and Kind, and seal it with Next.
package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Genesis is the PrevHash of the first event of every chain.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// TimeFormat is how At is written in the canonical encoding: UTC, to the
// millisecond, which is also the precision stored.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// canonicalTag opens every canonical encoding. It names the format and its
// version, so a hash of this encoding cannot be mistaken for the hash of any
// other structure, and a future v2 cannot collide with v1.
const canonicalTag = "claritru.ledger.v1"

// Event is one entry of a person's log.
type Event struct {
	Subject  string            // the person's subject key (an HMAC hex string); owner of the chain
	Seq      int64             // 1, 2, 3, ... without gaps
	ID       string            // event id (a ULID string), unique
	At       time.Time         // when it happened (UTC, millisecond precision is what is stored)
	Kind     string            // e.g. "opt_out", "limit_sensitive", "consent"
	Fields   map[string]string // the event's facts; may be empty
	PrevHash string            // Hash of event Seq-1; Genesis for Seq 1
	Hash     string            // hex SHA-256 over Canonical()
	// Pruned says the event's content was removed at the end of its
	// retention period: only Subject, Seq, PrevHash and Hash are kept, so
	// its own hash cannot be recomputed, but it still links the events
	// around it and the chain still verifies.
	Pruned bool
}

// Canonical is the deterministic encoding the hash covers: every field except
// Hash, with At formatted as TimeFormat in UTC and Fields keys sorted.
//
// Format v1 is a sequence of netstrings, each `<byte length in decimal>:<bytes>,`:
//
//	tag ("claritru.ledger.v1"), Subject, Seq (decimal), ID, At, Kind, PrevHash,
//	number of Fields (decimal), then each key and its value, keys in byte order.
//
// Every item states its own length, so no byte inside a value (comma, colon,
// newline, invalid UTF-8) can move a boundary, and the encoding decodes back
// to exactly one event: no two distinct events share an encoding. A nil and
// an empty Fields map encode alike (both have no facts). At is covered to the
// millisecond; instants that differ by less encode alike, which is why Next
// truncates At before sealing.
//
// The format is frozen: every stored hash was computed over it, so changing
// it makes every stored chain fail verification. A new format needs a new tag.
func (e Event) Canonical() []byte {
	keys := slices.Sorted(maps.Keys(e.Fields))
	at := e.At.UTC().Format(TimeFormat)
	n := 128 + len(e.Subject) + len(e.ID) + len(at) + len(e.Kind) + len(e.PrevHash)
	for _, k := range keys {
		n += 2*24 + len(k) + len(e.Fields[k])
	}
	b := make([]byte, 0, n)
	b = netstring(b, canonicalTag)
	b = netstring(b, e.Subject)
	b = netstring(b, strconv.FormatInt(e.Seq, 10))
	b = netstring(b, e.ID)
	b = netstring(b, at)
	b = netstring(b, e.Kind)
	b = netstring(b, e.PrevHash)
	b = netstring(b, strconv.Itoa(len(keys)))
	for _, k := range keys {
		b = netstring(b, k)
		b = netstring(b, e.Fields[k])
	}
	return b
}

// netstring appends s to b as `<len(s)>:<s>,`.
func netstring(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	b = append(b, s...)
	return append(b, ',')
}

// ComputeHash is the lower-case hex SHA-256 of Canonical.
func (e Event) ComputeHash() string {
	sum := sha256.Sum256(e.Canonical())
	return hex.EncodeToString(sum[:])
}

// Next seals e as the successor of head (nil for a new chain): it sets Seq,
// PrevHash and Hash, and truncates At to the millisecond in UTC. Fields is
// copied, so later changes to the caller's map do not alter the sealed event.
// Subject, ID, Kind and Fields are the caller's; Verify rejects a successor
// whose Subject differs from the chain's.
func Next(head *Event, e Event) Event {
	if head == nil {
		return seal(Head{}, e)
	}
	return seal(HeadOf(*head), e)
}

// NextAfter is Next when only the stored Head is at hand, as in a conditional
// append that reads the head item rather than the last event. The zero Head
// starts a new chain.
func NextAfter(h Head, e Event) Event {
	return seal(h, e)
}

func seal(h Head, e Event) Event {
	e.Seq = h.Seq + 1
	e.PrevHash = h.Hash
	if h.Seq == 0 {
		e.PrevHash = Genesis
	}
	e.At = e.At.UTC().Truncate(time.Millisecond)
	e.Fields = maps.Clone(e.Fields)
	e.Hash = e.ComputeHash()
	return e
}

// Reasons a chain fails verification. They name the check, never the data.
const (
	ReasonHash         = "hash mismatch"          // Hash is not the hash of the event's content
	ReasonGap          = "sequence gap"           // Seq is not the next number: an event missing, added or moved
	ReasonPrevHash     = "previous hash mismatch" // PrevHash is not the Hash of the preceding event
	ReasonSubject      = "subject mismatch"       // the event belongs to another person's chain
	ReasonHeadMismatch = "head mismatch"          // the log's last event is not the stored head
)

// Check is the result of verifying a chain.
type Check struct {
	Valid    bool
	BrokenAt int64  // the first Seq that fails (0 when Valid)
	Reason   string // short, no personal data: one of the Reason constants
}

// Verify checks the events of ONE subject given in Seq order starting at 1.
// The i-th event (from 0) must have Seq i+1, a Hash equal to its ComputeHash,
// the PrevHash of the event before it (Genesis for the first) and the Subject
// of the first event. BrokenAt is the position, as a Seq, of the first event
// that fails: the chain is sound up to BrokenAt-1. For a missing event that is
// the Seq that is missing. An empty chain is valid.
//
// A pruned event's hash is taken as stored; its links are checked as any
// other's, so pruning cannot hide an edit of the events kept around it.
//
// Each event's own hash is checked first, so an edited field is reported as a
// hash mismatch at that event; an event edited and re-hashed but not
// relinked is caught at its successor as a previous hash mismatch. A tail
// rewritten consistently to the end, or a dropped last event, is caught only
// against the stored head: see VerifyHead.
func Verify(events []Event) Check {
	prev := Genesis
	for i, e := range events {
		seq := int64(i) + 1
		switch {
		case !e.Pruned && e.ComputeHash() != e.Hash:
			return broken(seq, ReasonHash)
		case e.Seq != seq:
			return broken(seq, ReasonGap)
		case e.Subject != events[0].Subject:
			return broken(seq, ReasonSubject)
		case e.PrevHash != prev:
			return broken(seq, ReasonPrevHash)
		}
		prev = e.Hash
	}
	return Check{Valid: true}
}

// VerifyHead is Verify, and then checks that the chain ends at head, the
// state stored beside the log (and quoted in receipts). It catches what the
// chain alone cannot: dropped last events, events added after the head, and
// a tail rewritten with recomputed hashes. On a head mismatch BrokenAt is the
// first Seq at which log and head disagree; a rewrite may have begun earlier.
func VerifyHead(events []Event, head Head) Check {
	if c := Verify(events); !c.Valid {
		return c
	}
	n := int64(len(events))
	switch {
	case head.Seq > n: // events after the last one are missing
		return broken(n+1, ReasonHeadMismatch)
	case head.Seq == 0 && n == 0:
		return Check{Valid: true}
	case head.Seq <= 0: // log has events the head does not know
		return broken(1, ReasonHeadMismatch)
	case events[head.Seq-1].Hash != head.Hash:
		return broken(head.Seq, ReasonHeadMismatch)
	case head.Seq < n: // events appended without moving the head
		return broken(head.Seq+1, ReasonHeadMismatch)
	}
	return Check{Valid: true}
}

func broken(seq int64, reason string) Check {
	return Check{BrokenAt: seq, Reason: reason}
}

// Head is the latest state of a chain, stored beside it so appends can be
// conditional (append only if the stored head is still the one read). The
// zero Head is the state of an empty chain.
type Head struct {
	Seq  int64
	Hash string
}

// HeadOf is the head of a chain whose last event is e.
func HeadOf(e Event) Head {
	return Head{Seq: e.Seq, Hash: e.Hash}
}
