// Package requesttest provides an in-memory request.Store for unit tests of
// pure logic; store behaviour itself is tested against DynamoDB Local in
// shared/ddb.
package requesttest

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
)

// Memory is an in-memory request.Store with the semantics of the DynamoDB
// store in shared/ddb: every write is all or nothing, times are kept in UTC
// to the millisecond, Create returns request.IdempotencyHit when the
// idempotency key is taken and a *request.Duplicate when the same duplicate
// key made a request less than request.DuplicateWindow earlier, and Verify fails with fault.Gone when the token
// is unknown, used or expired and with fault.Conflict when the request's
// version or status changed. It is safe for concurrent use. The zero value
// is not usable; call New.
//
// Besides the store's methods it records what was written (Creations,
// Verifications, Mails), can fail every call (FailWith), and can miss one
// idempotency lookup (MissNextIdempotencyLookup) to play a concurrent
// attempt.
type Memory struct {
	mu       sync.Mutex
	requests map[string]request.Request
	tokens   map[string]request.Token
	idem     map[string]idemEntry // by key hash
	dups     map[string]dupEntry  // by duplicate key
	mailIDs  map[string]bool      // by owner request id + mail id
	mails    []mail.Intent        // every mail queued, in order
	events   map[string][]request.Event
	fail     error
	// creations and verifications are the successful Create and Verify
	// calls, in order, as the caller passed them.
	creations     []request.Creation
	verifications []request.Verification
	missIdem      bool
}

type idemEntry struct{ requestID, bodyHash string }

type dupEntry struct {
	requestID string
	until     time.Time
}

var _ request.Store = (*Memory)(nil)

// New returns an empty store.
func New() *Memory {
	return &Memory{
		requests: map[string]request.Request{},
		tokens:   map[string]request.Token{},
		idem:     map[string]idemEntry{},
		dups:     map[string]dupEntry{},
		mailIDs:  map[string]bool{},
		events:   map[string][]request.Event{},
	}
}

// FailWith makes every method return err, changing nothing, until it is
// called again with nil.
func (m *Memory) FailWith(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

// MissNextIdempotencyLookup makes the next IdempotentRequest report no
// key, as when another attempt with the same key commits between the
// lookup and Create; Create still finds the key taken.
func (m *Memory) MissNextIdempotencyLookup() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.missIdem = true
}

// Creations returns every successful Create, in order, as the caller passed
// it (times not rounded).
func (m *Memory) Creations() []request.Creation {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]request.Creation, len(m.creations))
	for i, c := range m.creations {
		c.Request = clone(c.Request)
		c.Mail = c.Mail.Clone()
		out[i] = c
	}
	return out
}

// Verifications returns every successful Verify, in order, as the caller
// passed it.
func (m *Memory) Verifications() []request.Verification {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]request.Verification, len(m.verifications))
	for i, v := range m.verifications {
		v.Request = clone(v.Request)
		v.Mail = v.Mail.Clone()
		out[i] = v
	}
	return out
}

// Requests returns the stored requests, ordered by id.
func (m *Memory) Requests() []request.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]request.Request, 0, len(m.requests))
	for _, id := range slices.Sorted(maps.Keys(m.requests)) {
		out = append(out, clone(m.requests[id]))
	}
	return out
}

// Mails returns every mail queued by Create, Verify and Update, in order.
func (m *Memory) Mails() []mail.Intent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return mail.CloneAll(m.mails)
}

// LastToken returns the raw verification token of the latest queued mail
// that carries a verify_url, failing the test if there is none.
func (m *Memory) LastToken(t testing.TB) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, in := range slices.Backward(m.mails) {
		link := in.Data["verify_url"]
		if link == "" {
			continue
		}
		u, err := url.Parse(link)
		if err != nil {
			t.Fatalf("verify_url %q: %v", link, err)
		}
		raw := u.Query().Get("token")
		if raw == "" {
			t.Fatalf("verify_url %q carries no token", link)
		}
		return raw
	}
	t.Fatal("no verification mail was queued")
	return ""
}

// Create implements request.Store.
func (m *Memory) Create(_ context.Context, c request.Creation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	// Every condition is checked before anything is written; a taken
	// idempotency key wins over any other failed condition, as in the
	// DynamoDB transaction.
	if c.IdempotencyKeyHash != "" {
		if _, ok := m.idem[c.IdempotencyKeyHash]; ok {
			return request.IdempotencyHit{}
		}
	}
	if d, ok := m.dups[c.DuplicateKey]; ok && c.DuplicateKey != "" && c.Event.At.Before(d.until) {
		return &request.Duplicate{RequestID: d.requestID}
	}
	_, reqTaken := m.requests[c.Request.ID]
	_, tokTaken := m.tokens[c.TokenHash]
	if reqTaken || (c.TokenHash != "" && tokTaken) || m.mailIDs[mailKey(c.Request.ID, c.Mail.ID)] {
		return fault.New(fault.Conflict, "The request could not be stored; try again.")
	}
	r := clone(c.Request)
	r.ReceivedAt, r.DueAt = stamp(r.ReceivedAt), stamp(r.DueAt)
	m.requests[r.ID] = r
	m.events[r.ID] = append(m.events[r.ID], c.Event)
	if c.TokenHash != "" {
		m.tokens[c.TokenHash] = request.Token{RequestID: r.ID, ExpiresAt: stamp(c.TokenExpiresAt)}
	}
	if c.IdempotencyKeyHash != "" {
		m.idem[c.IdempotencyKeyHash] = idemEntry{requestID: r.ID, bodyHash: c.BodyHash}
	}
	if c.DuplicateKey != "" {
		m.dups[c.DuplicateKey] = dupEntry{requestID: r.ID, until: c.Event.At.Add(request.DuplicateWindow)}
	}
	// A request without an email address has no receipt; an agent's has
	// the agent's besides.
	for _, in := range append([]mail.Intent{c.Mail}, c.Extra...) {
		if in.ID != "" {
			m.queue(r.ID, in)
		}
	}
	c.Request = clone(c.Request)
	c.Mail = c.Mail.Clone()
	m.creations = append(m.creations, c)
	return nil
}

// Get implements request.Store.
func (m *Memory) Get(_ context.Context, id string) (request.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return request.Request{}, m.fail
	}
	r, ok := m.requests[id]
	if !ok {
		return request.Request{}, fault.New(fault.NotFound, "No such request.")
	}
	return clone(r), nil
}

// Token implements request.Store.
func (m *Memory) Token(_ context.Context, hash string) (request.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return request.Token{}, m.fail
	}
	t, ok := m.tokens[hash]
	if !ok {
		return request.Token{}, fault.New(fault.Gone, "No such token.")
	}
	return t, nil
}

// Verify implements request.Store: the token is consumed and the request
// verified together, or neither.
func (m *Memory) Verify(_ context.Context, v request.Verification) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	at := stamp(v.At)
	// The token's condition is checked first: when both fail, the store
	// reports Gone. A staff verification consumes no token.
	t, ok := m.tokens[v.TokenHash]
	if v.TokenHash != "" && (!ok || t.Used || !t.ExpiresAt.After(at)) {
		return fault.New(fault.Gone, "The token was used or has expired.")
	}
	// The request updated is the one named in the verification, on its
	// version and status as read.
	r, ok := m.requests[v.Request.ID]
	if !ok || r.Version != v.Request.Version || r.Status != v.Request.Status || m.mailIDs[mailKey(r.ID, v.Mail.ID)] {
		return fault.New(fault.Conflict, "The request changed meanwhile.")
	}
	if v.TokenHash != "" {
		t.Used = true
		m.tokens[v.TokenHash] = t
	}
	r.Status, r.Version = request.Verified, r.Version+1
	m.requests[r.ID] = r
	m.queue(r.ID, v.Mail)
	v.Request = clone(v.Request)
	v.Mail = v.Mail.Clone()
	m.verifications = append(m.verifications, v)
	return nil
}

// IdempotentRequest implements request.Store.
func (m *Memory) IdempotentRequest(_ context.Context, keyHash string) (string, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return "", "", m.fail
	}
	if m.missIdem {
		m.missIdem = false
		return "", "", fault.New(fault.NotFound, "No such idempotency key.")
	}
	e, ok := m.idem[keyHash]
	if !ok {
		return "", "", fault.New(fault.NotFound, "No such idempotency key.")
	}
	return e.requestID, e.bodyHash, nil
}

// queue records a mail of a request; the caller holds m.mu.
func (m *Memory) queue(requestID string, in mail.Intent) {
	m.mailIDs[mailKey(requestID, in.ID)] = true
	m.mails = append(m.mails, in.Clone())
}

// mailKey is where the store keeps a mail: in its request's partition.
func mailKey(requestID, mailID string) string { return requestID + "\x00" + mailID }

// stamp is a time as the store keeps it: UTC, to the millisecond.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// clone copies a request so that callers share no slice with the store.
func clone(r request.Request) request.Request {
	r.Types = slices.Clone(r.Types)
	return r
}

// Update implements request.Store: the change is written when the stored
// version is still FromVersion, else fault.Conflict.
func (m *Memory) Update(_ context.Context, c request.Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	cur, ok := m.requests[c.Request.ID]
	if _, taken := m.tokens[c.TokenHash]; !ok || cur.Version != c.FromVersion || (c.TokenHash != "" && taken) {
		return fault.New(fault.Conflict, "The request changed meanwhile; reload it and try again.")
	}
	if c.TokenHash != "" {
		m.tokens[c.TokenHash] = request.Token{RequestID: c.Request.ID, ExpiresAt: stamp(c.TokenExpiresAt)}
	}
	m.requests[c.Request.ID] = clone(c.Request)
	m.events[c.Request.ID] = append(m.events[c.Request.ID], c.Event)
	if c.Mail != nil {
		m.queue(c.Request.ID, *c.Mail)
	}
	return nil
}

// Events implements request.Store: the events written by Create and Update.
func (m *Memory) Events(_ context.Context, id string) ([]request.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	return slices.Clone(m.events[id]), nil
}

// Queue implements request.Store without paging: every request of the
// status due before dueBefore, by due date.
func (m *Memory) Queue(_ context.Context, status request.Status, dueBefore time.Time, _ string, _ int) ([]request.Request, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, "", m.fail
	}
	var out []request.Request
	for _, r := range m.requests {
		if r.Status == status && (dueBefore.IsZero() || r.DueAt.Before(dueBefore)) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b request.Request) int { return a.DueAt.Compare(b.DueAt) })
	return out, "", nil
}

// MailLog implements request.Store: every mail of the request, queued (the
// fake sends nothing).
func (m *Memory) MailLog(_ context.Context, id string) ([]mail.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	var out []mail.Record
	for _, in := range m.mails {
		if m.mailIDs[mailKey(id, in.ID)] {
			out = append(out, mail.Record{ID: in.ID, Template: in.Template, Status: mail.StatusQueued})
		}
	}
	return out, nil
}
