// Package consenttest provides an in-memory consent.Store for unit tests of
// pure logic; store behaviour itself is tested against DynamoDB Local in
// shared/ddb.
package consenttest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/fault"
)

// Memory is an in-memory consent.Store. As the DynamoDB store does, Record
// numbers each subject's ledger events from one and chains their hashes,
// filling each record's Sequence and Hash, and sets the current state per
// subject and purpose; a pending email marketing grant stores its
// confirmation; Confirmation and Confirm fail with fault.Gone when the token
// is unknown, and Confirm also when it is used or expired. It is safe for
// concurrent use. The zero value is not usable; call New.
//
// Besides the store's methods it counts calls (Calls), records what was
// written (Recordings, Confirmed), can fail every call (FailWith), and can
// give every subject an earlier history (WithHistory).
type Memory struct {
	mu         sync.Mutex
	calls      int // every call, of any method
	history    int64
	seq        map[string]int64  // by subject key: the last sequence
	head       map[string]string // by subject key: the last event hash
	states     map[string]map[consent.Purpose]consent.State
	confirms   map[string]*consent.Confirmation // by token hash
	recordings []consent.Recording
	confirmed  []string // event ids of the Confirm calls that succeeded
	fail       error
}

var _ consent.Store = (*Memory)(nil)

// New returns an empty store.
func New() *Memory {
	return &Memory{
		seq:      map[string]int64{},
		head:     map[string]string{},
		states:   map[string]map[consent.Purpose]consent.State{},
		confirms: map[string]*consent.Confirmation{},
	}
}

// FailWith makes every method return err, changing nothing, until it is
// called again with nil.
func (m *Memory) FailWith(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

// WithHistory takes every subject to have n earlier events in its ledger, so
// that a subject's first event is numbered n+1: a caller that numbers events
// itself, instead of carrying back what the store set, is caught.
func (m *Memory) WithHistory(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.history = n
}

// Calls returns how many calls, of any method, the store has had.
func (m *Memory) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// Recordings returns every successful Record, in order, with the sequences
// and hashes the store set.
func (m *Memory) Recordings() []consent.Recording {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]consent.Recording, len(m.recordings))
	for i, r := range m.recordings {
		out[i] = cloneRecording(r)
	}
	return out
}

// Confirmed returns the event ids of the successful Confirm calls, in order.
func (m *Memory) Confirmed() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.confirmed)
}

// Record implements consent.Store.
func (m *Memory) Record(_ context.Context, r *consent.Recording) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail != nil {
		return m.fail
	}
	for i := range r.Records {
		rec := &r.Records[i]
		rec.Sequence, rec.Hash = m.appendEvent(rec.Subject.Key, rec.EventID, string(rec.Status))
		if consent.Replaces(m.states[rec.Subject.Key][rec.Purpose].Status, *rec) {
			m.setState(rec.Subject.Key, consent.State{Purpose: rec.Purpose, Status: rec.Status, Since: r.At, ReceiptID: r.ReceiptID})
		}
	}
	if r.ConfirmTokenHash != "" {
		c := &consent.Confirmation{ReceiptID: r.ReceiptID, ExpiresAt: r.ConfirmExpires}
		c.SubjectKey, c.Purpose = r.ConfirmSubject()
		m.confirms[r.ConfirmTokenHash] = c
	}
	m.recordings = append(m.recordings, cloneRecording(*r))
	return nil
}

// States implements consent.Store: the subject's states in the order of
// consent.Purposes.
func (m *Memory) States(_ context.Context, key string) ([]consent.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail != nil {
		return nil, m.fail
	}
	var out []consent.State
	for _, p := range consent.Purposes {
		if st, ok := m.states[key][p]; ok {
			out = append(out, st)
		}
	}
	return out, nil
}

// Confirmation implements consent.Store.
func (m *Memory) Confirmation(_ context.Context, hash string) (consent.Confirmation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail != nil {
		return consent.Confirmation{}, m.fail
	}
	c, ok := m.confirms[hash]
	if !ok {
		return consent.Confirmation{}, fault.New(fault.Gone, "No such confirmation.")
	}
	return *c, nil
}

// Confirm implements consent.Store: the token is consumed and the purpose
// granted, with a ledger event, together or not at all.
func (m *Memory) Confirm(_ context.Context, hash string, c consent.Confirmation, at time.Time, eventID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail != nil {
		return m.fail
	}
	stored, ok := m.confirms[hash]
	if !ok || stored.Used || !at.Before(stored.ExpiresAt) {
		return fault.New(fault.Gone, "The confirmation was used or has expired.")
	}
	stored.Used = true
	m.appendEvent(c.SubjectKey, eventID, string(consent.Granted))
	m.setState(c.SubjectKey, consent.State{Purpose: c.Purpose, Status: consent.Granted, Since: at, ReceiptID: c.ReceiptID})
	m.confirmed = append(m.confirmed, eventID)
	return nil
}

// appendEvent appends an event to a subject's ledger and returns its
// sequence and hash; the caller holds m.mu.
func (m *Memory) appendEvent(key, eventID, status string) (int64, string) {
	if _, ok := m.seq[key]; !ok {
		m.seq[key] = m.history
	}
	m.seq[key]++
	h := sha256.Sum256([]byte(fmt.Sprint(m.head[key], "|", m.seq[key], "|", eventID, "|", status)))
	m.head[key] = hex.EncodeToString(h[:])
	return m.seq[key], m.head[key]
}

// setState sets a subject's current state for one purpose; the caller holds
// m.mu.
func (m *Memory) setState(key string, st consent.State) {
	if m.states[key] == nil {
		m.states[key] = map[consent.Purpose]consent.State{}
	}
	m.states[key][st.Purpose] = st
}

// cloneRecording copies a recording so that callers share no slice or map
// with the store.
func cloneRecording(r consent.Recording) consent.Recording {
	r.Records = slices.Clone(r.Records)
	r.Fields = maps.Clone(r.Fields)
	if r.Mail != nil {
		in := r.Mail.Clone()
		r.Mail = &in
	}
	return r
}
