package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	testSubject = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	otherSubj   = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 89_000_000, time.UTC)

// chain builds a valid chain of n events of testSubject.
func chain(n int) []Event {
	var evs []Event
	var head *Event
	for i := range n {
		e := Next(head, Event{
			Subject: testSubject,
			ID:      fmt.Sprintf("01JNQ3ZB5W8K2M4N6P7Q9R0S%02d", i),
			At:      t0.Add(time.Duration(i) * time.Hour),
			Kind:    []string{"opt_out", "limit_sensitive", "consent"}[i%3],
			Fields:  map[string]string{"channel": "web", "n": strconv.Itoa(i)},
		})
		evs = append(evs, e)
		head = &evs[len(evs)-1]
	}
	return evs
}

// clone copies a chain deeply, so a test can tamper with it alone.
func clone(evs []Event) []Event {
	out := make([]Event, len(evs))
	for i, e := range evs {
		e.Fields = maps.Clone(e.Fields)
		out[i] = e
	}
	return out
}

func wantBroken(t *testing.T, name string, got Check, seq int64, reason string) {
	t.Helper()
	if got.Valid || got.BrokenAt != seq || got.Reason != reason {
		t.Errorf("%s: Verify = %+v; want broken at %d with %q", name, got, seq, reason)
	}
}

func TestNextStartsChain(t *testing.T) {
	e := Next(nil, Event{Subject: testSubject, ID: "01JNQ3ZB5W8K2M4N6P7Q9R0S1T", At: t0, Kind: "opt_out"})
	if e.Seq != 1 || e.PrevHash != Genesis {
		t.Fatalf("Next(nil) = Seq %d PrevHash %q; want 1, Genesis", e.Seq, e.PrevHash)
	}
	if len(Genesis) != 64 || strings.Trim(Genesis, "0") != "" {
		t.Fatalf("Genesis = %q; want 64 zeros", Genesis)
	}
	if e.Hash != e.ComputeHash() || len(e.Hash) != 64 {
		t.Fatalf("Hash = %q; want ComputeHash %q", e.Hash, e.ComputeHash())
	}
	f := Next(&e, Event{Subject: testSubject, ID: "01JNQ3ZB5W8K2M4N6P7Q9R0S1V", At: t0, Kind: "opt_out"})
	if f.Seq != 2 || f.PrevHash != e.Hash {
		t.Fatalf("Next(&e) = Seq %d PrevHash %q; want 2, %q", f.Seq, f.PrevHash, e.Hash)
	}
	// Seq, PrevHash and Hash given by the caller are overwritten.
	g := Next(nil, Event{Subject: testSubject, Seq: 9, PrevHash: "x", Hash: "y", At: t0})
	if g.Seq != 1 || g.PrevHash != Genesis || g.Hash != g.ComputeHash() {
		t.Fatalf("Next ignored caller's Seq/PrevHash/Hash badly: %+v", g)
	}
}

func TestNextAfterHead(t *testing.T) {
	e := Event{Subject: testSubject, ID: "01JNQ3ZB5W8K2M4N6P7Q9R0S1T", At: t0, Kind: "consent", Fields: map[string]string{"purpose": "sms"}}
	a, b := Next(nil, e), NextAfter(Head{}, e)
	if a.Hash != b.Hash || b.Seq != 1 || b.PrevHash != Genesis {
		t.Fatalf("NextAfter(zero Head) = %+v; want same as Next(nil) %+v", b, a)
	}
	c, d := Next(&a, e), NextAfter(HeadOf(a), e)
	if c.Hash != d.Hash || d.Seq != 2 || d.PrevHash != a.Hash {
		t.Fatalf("NextAfter(HeadOf(a)) = %+v; want same as Next(&a) %+v", d, c)
	}
	if h := HeadOf(d); h.Seq != 2 || h.Hash != d.Hash {
		t.Fatalf("HeadOf = %+v", h)
	}
}

func TestNextCopiesFields(t *testing.T) {
	f := map[string]string{"channel": "web"}
	e := Next(nil, Event{Subject: testSubject, ID: "x", At: t0, Kind: "opt_out", Fields: f})
	f["channel"] = "phone"
	f["extra"] = "1"
	if c := Verify([]Event{e}); !c.Valid {
		t.Fatalf("sealed event changed with the caller's map: %+v", c)
	}
}

func TestChainVerifies(t *testing.T) {
	evs := chain(5)
	if c := Verify(evs); !c.Valid || c.BrokenAt != 0 || c.Reason != "" {
		t.Fatalf("Verify(chain of 5) = %+v; want valid", c)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has Seq %d", i, e.Seq)
		}
	}
	if c := Verify(nil); !c.Valid {
		t.Fatalf("Verify(empty) = %+v; want valid", c)
	}
	if c := VerifyHead(evs, HeadOf(evs[4])); !c.Valid {
		t.Fatalf("VerifyHead(chain, its head) = %+v; want valid", c)
	}
	if c := VerifyHead(nil, Head{}); !c.Valid {
		t.Fatalf("VerifyHead(empty, zero) = %+v; want valid", c)
	}
}

func TestTamperedFieldIsHashMismatch(t *testing.T) {
	tamper := map[string]func(*Event){
		"Fields value":   func(e *Event) { e.Fields["channel"] = "phone" },
		"Fields added":   func(e *Event) { e.Fields["gpc"] = "1" },
		"Fields removed": func(e *Event) { delete(e.Fields, "channel") },
		"Fields key":     func(e *Event) { e.Fields["Channel"] = e.Fields["channel"]; delete(e.Fields, "channel") },
		"Fields nil":     func(e *Event) { e.Fields = nil },
		"Kind":           func(e *Event) { e.Kind = "consent_withdrawn" },
		"At +1ms":        func(e *Event) { e.At = e.At.Add(time.Millisecond) },
		"At -1 day":      func(e *Event) { e.At = e.At.AddDate(0, 0, -1) },
		"Subject":        func(e *Event) { e.Subject = otherSubj },
		"ID":             func(e *Event) { e.ID = e.ID[:len(e.ID)-1] + "Z" },
		"Seq":            func(e *Event) { e.Seq += 10 },
		"PrevHash":       func(e *Event) { e.PrevHash = Genesis[:63] + "1" },
		"Hash":           func(e *Event) { e.Hash = Genesis },
	}
	base := chain(5)
	for name, f := range tamper {
		for i := range base {
			evs := clone(base)
			f(&evs[i])
			wantBroken(t, fmt.Sprintf("%s of Seq %d", name, i+1), Verify(evs), int64(i+1), "hash mismatch")
		}
	}
}

func TestRemovedEventIsGap(t *testing.T) {
	base := chain(5)
	for i := range 4 { // removing the last event is not a gap: see TestHeadCatchesTruncation
		evs := append(clone(base[:i]), clone(base[i+1:])...)
		wantBroken(t, fmt.Sprintf("Seq %d removed", i+1), Verify(evs), int64(i+1), "sequence gap")
	}
}

func TestReorderedIsGap(t *testing.T) {
	base := chain(5)
	for i := range 4 {
		evs := clone(base)
		evs[i], evs[i+1] = evs[i+1], evs[i]
		wantBroken(t, fmt.Sprintf("Seq %d and %d swapped", i+1, i+2), Verify(evs), int64(i+1), "sequence gap")
	}
	evs := clone(base)
	evs[0], evs[4] = evs[4], evs[0]
	wantBroken(t, "first and last swapped", Verify(evs), 1, "sequence gap")
	// Duplicated event (a replay).
	evs = append(clone(base[:3]), clone(base[2:])...)
	wantBroken(t, "Seq 3 duplicated", Verify(evs), 4, "sequence gap")
}

func TestSubjectMismatch(t *testing.T) {
	// An event sealed onto this chain but for another person: its own hash and
	// links are sound, only the owner is wrong.
	evs := chain(3)
	evs = append(evs, Next(&evs[2], Event{Subject: otherSubj, ID: "01JNQ3ZB5W8K2M4N6P7Q9R0S99", At: t0, Kind: "opt_out"}))
	wantBroken(t, "foreign subject", Verify(evs), 4, "subject mismatch")
}

func TestPrevHashOfFirstMustBeGenesis(t *testing.T) {
	evs := clone(chain(2))
	evs[0].PrevHash = strings.Repeat("f", 64)
	evs[0].Hash = evs[0].ComputeHash()
	wantBroken(t, "first not on Genesis", Verify(evs), 1, "previous hash mismatch")
}

// A forger who edits an event and recomputes its Hash, but does not relink
// the chain, is caught at the next event. A forger who recomputes the whole
// tail produces a chain that verifies on its own: the hash chain only proves
// the log is internally consistent. That is why the head (Seq and Hash of
// the last event) is stored beside the log in the same transaction as each
// append and quoted in the receipts sent to the person: the rewritten chain
// no longer ends at the head the person and the head item hold.
func TestForgery(t *testing.T) {
	base := chain(5)
	realHead := HeadOf(base[4])

	// Re-hashed but not relinked: caught at Seq 3 + 1.
	evs := clone(base)
	evs[2].Fields["channel"] = "phone"
	evs[2].Hash = evs[2].ComputeHash()
	wantBroken(t, "re-hashed Seq 3", Verify(evs), 4, "previous hash mismatch")

	// Re-hashed last event: nothing after it to catch it; only the head does.
	evs = clone(base)
	evs[4].Kind = "consent"
	evs[4].Hash = evs[4].ComputeHash()
	if c := Verify(evs); !c.Valid {
		t.Fatalf("re-hashed last event: Verify = %+v; the chain alone cannot see this", c)
	}
	wantBroken(t, "re-hashed last event vs head", VerifyHead(evs, realHead), 5, "head mismatch")

	// Whole tail recomputed from Seq 3: Verify passes.
	evs = clone(base[:2])
	for _, e := range base[2:] {
		e.Fields = maps.Clone(e.Fields)
		e.Fields["channel"] = "phone"
		evs = append(evs, Next(&evs[len(evs)-1], e))
	}
	if c := Verify(evs); !c.Valid {
		t.Fatalf("recomputed tail: Verify = %+v; want valid (why the head is kept)", c)
	}
	wantBroken(t, "recomputed tail vs head", VerifyHead(evs, realHead), 5, "head mismatch")
	// And a broken chain is reported as such by VerifyHead too.
	evs[1].Kind = "x"
	wantBroken(t, "VerifyHead of tampered chain", VerifyHead(evs, realHead), 2, "hash mismatch")
}

func TestHeadCatchesTruncationAndAppends(t *testing.T) {
	base := chain(5)
	head := HeadOf(base[4])
	if c := Verify(base[:3]); !c.Valid {
		t.Fatalf("truncated chain: Verify = %+v; the chain alone cannot see this", c)
	}
	wantBroken(t, "last two dropped", VerifyHead(base[:3], head), 4, "head mismatch")
	wantBroken(t, "all dropped", VerifyHead(nil, head), 1, "head mismatch")
	wantBroken(t, "appended past head", VerifyHead(base, HeadOf(base[2])), 4, "head mismatch")
	wantBroken(t, "events but zero head", VerifyHead(base, Head{}), 1, "head mismatch")
}

// TestCanonicalGolden pins format v1 byte for byte. The expected bytes are
// written out by hand below from the format's definition, and the digests
// were computed from those bytes outside Go (printf '%s' ... | sha256sum).
//
// Do not "fix" this test by pasting new values: every stored event's Hash was
// computed over this exact encoding, so any change to it (order, separators,
// time layout, tag) makes every chain already stored fail verification. A new
// encoding needs a new version tag and a migration plan.
func TestCanonicalGolden(t *testing.T) {
	pst := time.FixedZone("UTC-8", -8*3600)
	e1 := Next(nil, Event{
		Subject: testSubject,
		ID:      "01JNQ3ZB5W8K2M4N6P7Q9R0S1T",
		// 2025-03-04T05:06:07.089999999Z, given in another zone and below the ms.
		At:   time.Date(2025, 3, 3, 21, 6, 7, 89_999_999, pst),
		Kind: "opt_out",
		Fields: map[string]string{
			"signal":  "Sec-GPC: 1",
			"page":    "/do-not-sell",
			"label":   "Zoë", // 4 bytes: lengths count bytes, not runes
			"channel": "web",
		},
	})
	want1 := "18:claritru.ledger.v1," +
		"64:" + testSubject + "," +
		"1:1," +
		"26:01JNQ3ZB5W8K2M4N6P7Q9R0S1T," +
		"24:2025-03-04T05:06:07.089Z," +
		"7:opt_out," +
		"64:" + strings.Repeat("0", 64) + "," +
		"1:4," +
		"7:channel,3:web," +
		"5:label,4:Zoë," +
		"4:page,12:/do-not-sell," +
		"6:signal,10:Sec-GPC: 1,"
	const hash1 = "1bf2c657c67a17c7c81305d7eae80c96f2d4a4fc95ca8ce7847d35ec6b202dbe"
	if got := string(e1.Canonical()); got != want1 {
		t.Fatalf("Canonical =\n%q\nwant\n%q", got, want1)
	}
	if sum := sha256.Sum256([]byte(want1)); hex.EncodeToString(sum[:]) != hash1 {
		t.Fatalf("golden digest does not match golden bytes")
	}
	if e1.Hash != hash1 || e1.ComputeHash() != hash1 {
		t.Fatalf("Hash = %s; want %s", e1.Hash, hash1)
	}

	e2 := Next(&e1, Event{
		Subject: testSubject,
		ID:      "01JNQ3ZB5W8K2M4N6P7Q9R0S1V",
		At:      time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC),
		Kind:    "limit_sensitive",
	})
	want2 := "18:claritru.ledger.v1," +
		"64:" + testSubject + "," +
		"1:2," +
		"26:01JNQ3ZB5W8K2M4N6P7Q9R0S1V," +
		"24:2025-03-05T00:00:00.000Z," +
		"15:limit_sensitive," +
		"64:" + hash1 + "," +
		"1:0,"
	const hash2 = "57ef0f4a1f179599723684cc87ff4955f0c3724425c12c07aa1292d32eb2759a"
	if got := string(e2.Canonical()); got != want2 {
		t.Fatalf("Canonical =\n%q\nwant\n%q", got, want2)
	}
	if e2.Hash != hash2 {
		t.Fatalf("Hash = %s; want %s", e2.Hash, hash2)
	}
	if c := VerifyHead([]Event{e1, e2}, Head{Seq: 2, Hash: hash2}); !c.Valid {
		t.Fatalf("golden chain: %+v", c)
	}
}

// Pairs of distinct events that naive encodings (joined with separators,
// key=value lists, JSON with replacement of invalid UTF-8, unsorted or
// unprefixed concatenation) would encode alike.
func TestCanonicalNoCollisions(t *testing.T) {
	type fm = map[string]string
	fieldPairs := [][2]fm{
		{{"a": "b,c"}, {"a": "b", "c": ""}},
		{{"a": "b,c:d"}, {"a": "b", "c": "d"}},
		{{"a": "b&c=d"}, {"a": "b", "c": "d"}},
		{{"a=b": "c"}, {"a": "b=c"}},
		{{"a:b": "c"}, {"a": "b:c"}},
		{{"a": "b\nc: d"}, {"a": "b", "c": "d"}},
		{{"ab": "c"}, {"a": "bc"}},
		{{"": "a"}, {"a": ""}},
		{{}, {"": ""}},
		{{"a": "1:b,1:c,1:d,"}, {"a": "b", "c": "d"}},
		{{"a": "b,1:c,0:,"}, {"a": "b", "c": ""}},
		{{"a": "\xff"}, {"a": "\ufffd"}},
		{{"a": "\xff"}, {"a": "\xfe"}},
		{{"a": "\"b\",\"c\":\"d\""}, {"a": "b", "c": "d"}},
		{{"k": "v", "K": "v"}, {"k": "v"}},
	}
	for _, p := range fieldPairs {
		a := Event{Subject: testSubject, Seq: 1, ID: "x", At: t0, Kind: "consent", PrevHash: Genesis, Fields: p[0]}
		b := a
		b.Fields = p[1]
		if bytes.Equal(a.Canonical(), b.Canonical()) || a.ComputeHash() == b.ComputeHash() {
			t.Errorf("Fields %q and %q encode alike: %q", p[0], p[1], a.Canonical())
		}
	}

	base := Event{Subject: "s", Seq: 1, ID: "i", At: t0, Kind: "k", PrevHash: Genesis}
	with := func(f func(*Event)) Event { e := base; f(&e); return e }
	eventPairs := [][2]Event{
		// a boundary moved between adjacent fields
		{with(func(e *Event) { e.Subject, e.ID = "ab", "c" }), with(func(e *Event) { e.Subject, e.ID = "a", "bc" })},
		{with(func(e *Event) { e.Subject, e.ID = "a,1:b", "" }), with(func(e *Event) { e.Subject, e.ID = "a", "b" })},
		{with(func(e *Event) { e.Kind = "k,1:1,1:a,1:b," }), with(func(e *Event) { e.Fields = map[string]string{"a": "b"} })},
		{with(func(e *Event) { e.Kind = "opt_out"; e.Fields = map[string]string{"x": ""} }), with(func(e *Event) { e.Kind = "opt_outx" })},
		{with(func(e *Event) { e.Seq = 12 }), with(func(e *Event) { e.Seq = 1; e.ID = "2i" })},
		{with(func(e *Event) { e.Seq = -1 }), with(func(e *Event) { e.Seq = 1 })},
	}
	for _, p := range eventPairs {
		if bytes.Equal(p[0].Canonical(), p[1].Canonical()) {
			t.Errorf("events %+v and %+v encode alike: %q", p[0], p[1], p[0].Canonical())
		}
	}
}

func TestCanonicalIgnoresMapOrder(t *testing.T) {
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%02d,=:%c", i, 'A'+i%26)
	}
	build := func(order []int) map[string]string {
		m := make(map[string]string, len(order))
		for _, i := range order {
			m[keys[i]] = "v" + keys[i]
		}
		return m
	}
	e := Event{Subject: testSubject, Seq: 7, ID: "x", At: t0, Kind: "consent", PrevHash: Genesis}
	e.Fields = build(rand.Perm(len(keys)))
	want := e.Canonical()
	for range 500 {
		e.Fields = build(rand.Perm(len(keys))) // new map, new insertion order
		if got := e.Canonical(); !bytes.Equal(got, want) {
			t.Fatalf("Canonical depends on map order:\n%q\n%q", got, want)
		}
	}
}

func TestTimesNormalised(t *testing.T) {
	instant := time.Date(2025, 11, 2, 8, 30, 0, 123_456_789, time.UTC)
	zones := []*time.Location{
		time.UTC,
		time.FixedZone("PST", -8*3600),
		time.FixedZone("IST", 5*3600+1800),
		time.FixedZone("odd", -(3*3600 + 1800 + 17)),
		time.Local,
	}
	e := Event{Subject: testSubject, ID: "x", Kind: "opt_out"}
	var first Event
	for i, z := range zones {
		e.At = instant.In(z)
		s := Next(nil, e)
		if s.At.Location() != time.UTC {
			t.Errorf("zone %v: At location %v; want UTC", z, s.At.Location())
		}
		if !s.At.Equal(time.Date(2025, 11, 2, 8, 30, 0, 123_000_000, time.UTC)) {
			t.Errorf("zone %v: At = %v; want truncated to the ms", z, s.At)
		}
		if !strings.Contains(string(s.Canonical()), "24:2025-11-02T08:30:00.123Z,") {
			t.Errorf("zone %v: Canonical %q lacks the UTC time", z, s.Canonical())
		}
		if i == 0 {
			first = s
		} else if s.Hash != first.Hash {
			t.Errorf("zone %v: hash %s differs from UTC's %s", z, s.Hash, first.Hash)
		}
	}
	// Canonical itself normalises, so an event loaded in another zone still verifies.
	loaded := first
	loaded.At = first.At.In(time.FixedZone("PST", -8*3600))
	if c := Verify([]Event{loaded}); !c.Valid {
		t.Errorf("same instant in another zone: %+v", c)
	}
	// Rounding would give .124; the stored precision is truncation.
	e.At = time.Date(2025, 1, 1, 0, 0, 0, 999_999_999, time.UTC)
	if got := Next(nil, e).At; got.Nanosecond() != 999_000_000 || got.Second() != 0 {
		t.Errorf("At = %v; want truncated, not rounded", got)
	}
}

// fieldsFrom decodes fuzz bytes into a map: repeatedly a length byte and that
// many key bytes, then a length byte and that many value bytes. Any byte may
// appear in keys and values.
func fieldsFrom(data []byte) map[string]string {
	m := map[string]string{}
	take := func() (string, bool) {
		if len(data) == 0 {
			return "", false
		}
		n := min(int(data[0])%16, len(data)-1)
		s := string(data[1 : 1+n])
		data = data[1+n:]
		return s, true
	}
	for {
		k, ok := take()
		if !ok {
			return m
		}
		v, _ := take()
		m[k] = v
	}
}

// parseCanonical decodes format v1, as an independent check that the
// encoding is reversible (and therefore injective).
func parseCanonical(b []byte) (Event, error) {
	next := func() (string, error) {
		i := bytes.IndexByte(b, ':')
		if i <= 0 {
			return "", errors.New("no length")
		}
		n, err := strconv.Atoi(string(b[:i]))
		if err != nil || n < 0 || i+1+n >= len(b) || b[i+1+n] != ',' {
			return "", errors.New("bad netstring")
		}
		s := string(b[i+1 : i+1+n])
		b = b[i+2+n:]
		return s, nil
	}
	var items []string
	for len(b) > 0 {
		s, err := next()
		if err != nil {
			return Event{}, err
		}
		items = append(items, s)
	}
	if len(items) < 8 || items[0] != "claritru.ledger.v1" {
		return Event{}, errors.New("short or untagged")
	}
	var e Event
	var err error
	e.Subject, e.ID, e.Kind, e.PrevHash = items[1], items[3], items[5], items[6]
	if e.Seq, err = strconv.ParseInt(items[2], 10, 64); err != nil {
		return Event{}, err
	}
	if e.At, err = time.Parse(TimeFormat, items[4]); err != nil {
		return Event{}, err
	}
	n, err := strconv.Atoi(items[7])
	if err != nil || len(items) != 8+2*n {
		return Event{}, errors.New("field count")
	}
	e.Fields = map[string]string{}
	for i := 8; i < len(items); i += 2 {
		if i > 8 && items[i] <= items[i-2] {
			return Event{}, errors.New("keys not sorted and unique")
		}
		e.Fields[items[i]] = items[i+1]
	}
	return e, nil
}

// FuzzCanonical: for two field maps (and kinds, to move the boundary between
// Kind and Fields), equal encodings imply equal events and vice versa, and
// every encoding parses back to the event it came from.
func FuzzCanonical(f *testing.F) {
	enc := func(m map[string]string) []byte {
		var b []byte
		for k, v := range m {
			b = append(b, byte(len(k)))
			b = append(b, k...)
			b = append(b, byte(len(v)))
			b = append(b, v...)
		}
		return b
	}
	f.Add("opt_out", enc(map[string]string{"a": "b,c"}), "opt_out", enc(map[string]string{"a": "b", "c": ""}))
	f.Add("k", enc(map[string]string{"a=b": "c"}), "k", enc(map[string]string{"a": "b=c"}))
	f.Add("k,1:1,1:a,1:b,", []byte{}, "k", enc(map[string]string{"a": "b"}))
	f.Add("", enc(map[string]string{"": ""}), "", []byte{})
	f.Add("c", enc(map[string]string{"a": "\xff"}), "c", enc(map[string]string{"a": "\ufffd"}))
	f.Fuzz(func(t *testing.T, kindA string, a []byte, kindB string, b []byte) {
		ma, mb := fieldsFrom(a), fieldsFrom(b)
		ea := Event{Subject: testSubject, Seq: 3, ID: "01JNQ3ZB5W8K2M4N6P7Q9R0S1T", At: t0, Kind: kindA, PrevHash: Genesis, Fields: ma}
		eb := ea
		eb.Kind, eb.Fields = kindB, mb
		ca, cb := ea.Canonical(), eb.Canonical()
		same := kindA == kindB && maps.Equal(ma, mb)
		if bytes.Equal(ca, cb) != same {
			t.Fatalf("encoding equal = %v, events equal = %v\n%q %q\n%q %q", !same, same, kindA, ma, kindB, mb)
		}
		if !bytes.Equal(ca, ea.Canonical()) {
			t.Fatalf("Canonical not deterministic")
		}
		back, err := parseCanonical(ca)
		if err != nil {
			t.Fatalf("parse %q: %v", ca, err)
		}
		if back.Subject != ea.Subject || back.Seq != ea.Seq || back.ID != ea.ID || !back.At.Equal(ea.At) ||
			back.Kind != ea.Kind || back.PrevHash != ea.PrevHash || !maps.Equal(back.Fields, ea.Fields) {
			t.Fatalf("round trip: %+v != %+v", back, ea)
		}
	})
}

// stub is what the retention sweep leaves of an event: its place only.
func stub(e Event) Event {
	return Event{Subject: e.Subject, Seq: e.Seq, PrevHash: e.PrevHash, Hash: e.Hash, Pruned: true}
}

func TestPrunedEventsKeepTheChainVerifiable(t *testing.T) {
	base := chain(5)
	evs := clone(base)
	evs[0], evs[2] = stub(evs[0]), stub(evs[2])
	if c := VerifyHead(evs, HeadOf(base[4])); !c.Valid {
		t.Fatalf("chain with stubs at 1 and 3: %+v", c)
	}
	// An edit of a kept event next to a stub is still a hash mismatch.
	edited := clone(evs)
	edited[1].Fields["channel"] = "phone"
	wantBroken(t, "edit beside a stub", Verify(edited), 2, "hash mismatch")
	// A stub whose hash was changed no longer links to its successor.
	relinked := clone(evs)
	relinked[2].Hash = Genesis
	wantBroken(t, "stub hash changed", Verify(relinked), 4, "previous hash mismatch")
	// A stub that does not link to its predecessor is caught too.
	unlinked := clone(evs)
	unlinked[2].PrevHash = Genesis
	wantBroken(t, "stub prev changed", Verify(unlinked), 3, "previous hash mismatch")
	// Replacing an event by a stub does not hide a removed event.
	gap := append(clone(evs[:2]), clone(evs[3:])...)
	wantBroken(t, "stub removed", Verify(gap), 3, "sequence gap")
}
