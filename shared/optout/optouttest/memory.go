// Package optouttest provides an in-memory optout.Store for unit tests of
// pure logic; store behaviour itself is tested against DynamoDB Local in
// shared/ddb.
package optouttest

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/optout"
)

// MaxProfile is how many linked identifiers one opt-out covers at most, as
// in the DynamoDB store.
const MaxProfile = optout.MaxSpread

// Memory is an in-memory optout.Store with the semantics of the DynamoDB
// store in shared/ddb: Apply links the identifiers given together, expands
// them to every identifier linked to them (up to MaxProfile), and opts each
// out of the rights it does not have yet, queueing the mail only when an
// identifier given was not opted out yet; otherwise it answers with the
// earliest opt-out of the identifiers given and New false. Only sale/sharing opt-outs are on the suppression
// list, ordered by time and then key. It is safe for concurrent use. The
// zero value is not usable; call New.
//
// Besides the store's methods it records what was written (Applications,
// Mails, Events) and can fail every call (FailWith).
type Memory struct {
	mu     sync.Mutex
	ids    map[string]optout.Identifier // by key, without value
	links  map[string]map[string]bool   // key -> linked keys
	states map[string]optout.State      // by key + "\x00" + right
	// applications are the successful Apply calls, repeats included, as
	// passed.
	applications []optout.Application
	mails        []mail.Intent
	events       []Event
	fail         error
}

// Event is one ledger event Apply wrote: one per identifier that changed.
type Event struct {
	ID       string
	Subject  string // the identifier's key
	OptOutID string
	Rights   []optout.Right // the rights it did not have yet
	// Linked is true when the identifier was not given but linked to one
	// that was.
	Linked bool
}

var _ optout.Store = (*Memory)(nil)

// New returns an empty store.
func New() *Memory {
	return &Memory{
		ids:    map[string]optout.Identifier{},
		links:  map[string]map[string]bool{},
		states: map[string]optout.State{},
	}
}

// FailWith makes every method return err, changing nothing, until it is
// called again with nil.
func (m *Memory) FailWith(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

// Applications returns every successful Apply, repeats included, in order,
// as the caller passed it.
func (m *Memory) Applications() []optout.Application {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]optout.Application, len(m.applications))
	for i, a := range m.applications {
		out[i] = cloneApplication(a)
	}
	return out
}

// Mails returns every mail queued, in order.
func (m *Memory) Mails() []mail.Intent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return mail.CloneAll(m.mails)
}

// Events returns every ledger event written, in order.
func (m *Memory) Events() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Event, len(m.events))
	for i, e := range m.events {
		e.Rights = slices.Clone(e.Rights)
		out[i] = e
	}
	return out
}

// Apply implements optout.Store.
func (m *Memory) Apply(_ context.Context, a optout.Application) (optout.Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return optout.Outcome{}, m.fail
	}
	if a.NewID == nil {
		return optout.Outcome{}, fault.New(fault.Internal, "The opt-out has no way to make event ids.")
	}
	profile := m.profile(a.Identifiers)
	given := map[string]bool{}
	for _, id := range a.Identifiers {
		given[id.Key] = true
	}
	var events []Event
	for _, id := range profile {
		var missing []optout.Right
		for _, r := range a.Rights {
			if _, ok := m.states[stateKey(id.Key, r)]; !ok && !slices.Contains(missing, r) {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			events = append(events, Event{ID: a.NewID(), Subject: id.Key, OptOutID: a.ID, Rights: missing, Linked: !given[id.Key]})
		}
	}

	// Links are written whether or not anything else is.
	for _, x := range a.Identifiers {
		// Kept without its value, as the DynamoDB store keeps it.
		m.ids[x.Key] = optout.Identifier{Kind: x.Kind, Key: x.Key, Match: x.Match}
		for _, y := range a.Identifiers {
			if x.Key != y.Key {
				if m.links[x.Key] == nil {
					m.links[x.Key] = map[string]bool{}
				}
				m.links[x.Key][y.Key] = true
			}
		}
	}
	m.applications = append(m.applications, cloneApplication(a))
	out := m.earliest(a)
	newForGiven := false
	for _, e := range events {
		newForGiven = newForGiven || !e.Linked
	}
	for _, e := range events {
		for _, r := range e.Rights {
			m.states[stateKey(e.Subject, r)] = optout.State{OptOutID: a.ID, Since: a.At, Source: a.Source}
		}
	}
	m.events = append(m.events, events...)
	if !newForGiven {
		// A repeat for the identifiers given; linked ones are covered all
		// the same.
		return out, nil
	}
	if a.Mail != nil {
		m.mails = append(m.mails, a.Mail.Clone())
	}
	return optout.Outcome{ID: a.ID, EffectiveAt: a.At, New: true}, nil
}

// State implements optout.Store.
func (m *Memory) State(_ context.Context, key string, right optout.Right) (optout.State, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return optout.State{}, false, m.fail
	}
	st, ok := m.states[stateKey(key, right)]
	return st, ok, nil
}

// Suppression implements optout.Store.
func (m *Memory) Suppression(context.Context) ([]optout.Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	type row struct {
		key   string
		entry optout.Entry
	}
	var rows []row
	for key, id := range m.ids {
		if st, ok := m.states[stateKey(key, optout.SaleSharing)]; ok {
			rows = append(rows, row{key, optout.Entry{Kind: id.Kind, Match: id.Match, Since: st.Since}})
		}
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(a.entry.Since.Compare(b.entry.Since), cmp.Compare(a.key, b.key))
	})
	out := make([]optout.Entry, len(rows))
	for i, r := range rows {
		out[i] = r.entry
	}
	return out, nil
}

// profile expands identifiers to every identifier linked to them, breadth
// first, up to MaxProfile; the caller holds m.mu.
func (m *Memory) profile(start []optout.Identifier) []optout.Identifier {
	var out []optout.Identifier
	seen := map[string]bool{}
	queue := slices.Clone(start)
	for len(queue) > 0 && len(out) < MaxProfile {
		id := queue[0]
		queue = queue[1:]
		if seen[id.Key] {
			continue
		}
		seen[id.Key] = true
		out = append(out, id)
		for _, other := range slices.Sorted(maps.Keys(m.links[id.Key])) {
			queue = append(queue, m.ids[other])
		}
	}
	return out
}

// earliest is the outcome of a repeat: the first opt-out of the identifiers
// given, in the rights asked for; the caller holds m.mu.
func (m *Memory) earliest(a optout.Application) optout.Outcome {
	var best optout.State
	for _, id := range a.Identifiers {
		for _, r := range a.Rights {
			st, ok := m.states[stateKey(id.Key, r)]
			if ok && (best.OptOutID == "" || st.Since.Before(best.Since)) {
				best = st
			}
		}
	}
	return optout.Outcome{ID: best.OptOutID, EffectiveAt: best.Since}
}

func stateKey(key string, r optout.Right) string { return key + "\x00" + string(r) }

// cloneApplication copies an application so that callers share no slice or
// map with the store.
func cloneApplication(a optout.Application) optout.Application {
	a.Rights = slices.Clone(a.Rights)
	a.Identifiers = slices.Clone(a.Identifiers)
	if a.Mail != nil {
		in := a.Mail.Clone()
		a.Mail = &in
	}
	return a
}
