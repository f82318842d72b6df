package drp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
)

// Store is what the protocol needs from storage (shared/ddb).
type Store interface {
	// SaveToken makes tokenHash the agent's one pair-wise token: the
	// token set up before stops working in the same write.
	SaveToken(ctx context.Context, agentID, tokenHash string, at time.Time) error
	// TokenAgent returns the agent a token hash belongs to; fault.NotFound
	// when it belongs to none (never issued, or replaced).
	TokenAgent(ctx context.Context, tokenHash string) (string, error)
	// Mark records a signed message as seen until it expires, on the
	// condition that it was not seen before: fault.Conflict when it was.
	Mark(ctx context.Context, agentID, messageHash string, until time.Time) error
	// Unmark forgets a mark, when what the message asked for failed.
	Unmark(ctx context.Context, messageHash string) error
}

// Requests is the Data Rights Request service (request.Service).
type Requests interface {
	Submit(ctx context.Context, sub request.Submission) (request.Receipt, error)
	Act(ctx context.Context, id string, in request.ActionInput) (request.Request, error)
}

// RequestReader reads a stored request (request.Store); fault.NotFound
// when there is none.
type RequestReader interface {
	Get(ctx context.Context, id string) (request.Request, error)
}

// Config is what the protocol service needs besides its store.
type Config struct {
	Register *Register
	Requests Requests
	Read     RequestReader
	// BusinessID is this business's id in the DRP service directory.
	BusinessID string
	// PublicBaseURL is the service's public address: user_verification_url
	// is built from it.
	PublicBaseURL string
	// LoopbackCallbacks lets a status callback be plain http to the
	// loopback host (the local cloud and tests); in AWS only https is
	// taken.
	LoopbackCallbacks bool
	Now               func() time.Time
}

// Service answers the protocol's endpoints.
type Service struct {
	store Store
	cfg   Config
}

// NewService returns a Service.
func NewService(store Store, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: store, cfg: cfg}
}

// DefaultBusinessID is the business's id when none is configured.
const DefaultBusinessID = "CLARITRU"

// ErrNoAgent refuses a token that belongs to no agent, and a request id
// another agent manages or that does not exist: the same answer, so an
// agent learns nothing of others' requests (DRP 2.02.1).
var ErrNoAgent = fault.New(fault.Unauthorized, "Forbidden.")

// Setup is the pair-wise key setup (DRP 2.05): a message signed by the
// agent the URL names, checked in the protocol's order, gets a new random
// token for that agent; only its hash is stored.
func (s *Service) Setup(ctx context.Context, urlAgentID string, body []byte) (string, error) {
	a, ok := s.cfg.Register.Agent(urlAgentID)
	if !ok {
		return "", ErrNoAgent
	}
	_, w, hash, err := s.open(a, body)
	if err != nil {
		return "", err
	}
	if err := s.store.Mark(ctx, a.ID, hash, w.ExpiresAt); err != nil {
		return "", replayed(err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if err := s.store.SaveToken(ctx, a.ID, TokenHash(token), s.cfg.Now()); err != nil {
		_ = s.store.Unmark(ctx, hash)
		return "", err
	}
	return token, nil
}

// TokenHash is how a bearer token is stored: its SHA-256, in hex.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Agent returns the agent a bearer token was issued to; ErrNoAgent when
// none, or when the agent is no longer in the register.
func (s *Service) Agent(ctx context.Context, token string) (Agent, error) {
	if token == "" || len(token) > 200 {
		return Agent{}, ErrNoAgent
	}
	id, err := s.store.TokenAgent(ctx, TokenHash(token))
	if fault.KindOf(err) == fault.NotFound {
		return Agent{}, ErrNoAgent
	}
	if err != nil {
		return Agent{}, err
	}
	a, ok := s.cfg.Register.Agent(id)
	if !ok {
		return Agent{}, ErrNoAgent
	}
	return a, nil
}

// open checks a signed message of agent a: the signature, then the claims
// binding it to the agent, this business and its window. It returns the
// claims, the window and the message's hash (its replay mark).
func (s *Service) open(a Agent, body []byte) (Claims, Window, string, error) {
	msg, err := Open(a.Key(), body)
	if err != nil {
		return Claims{}, Window{}, "", err
	}
	c, err := ParseClaims(msg)
	if err != nil {
		return Claims{}, Window{}, "", forbidden("The signed message is not a JSON object.")
	}
	w, err := c.Check(a.ID, s.cfg.BusinessID, s.cfg.Now())
	if err != nil {
		return Claims{}, Window{}, "", err
	}
	h := sha256.Sum256(msg)
	return c, w, hex.EncodeToString(h[:]), nil
}

func replayed(err error) error {
	if fault.KindOf(err) == fault.Conflict {
		return forbidden("This signed message was already used.")
	}
	return err
}

// CheckCallback accepts a status callback URL: absolute https with a host
// and no user info; plain http only to the loopback host, and only where
// loopback is allowed (locally). Empty is none.
func CheckCallback(raw string, loopback bool) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	bad := func(msg string) error {
		var f fault.Fields
		f.Add("status_callback", msg)
		return f.Err()
	}
	if err != nil || u.Host == "" || u.User != nil || len(raw) > 2000 {
		return bad("must be an absolute https URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); loopback && (u.Hostname() == "localhost" || ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return bad("must be an https URL")
}

// splitName splits the name claim into first and last name: "Last, First"
// (as the reference agent sends it) or "First ... Last".
func splitName(name string) (first, last string) {
	name = strings.TrimSpace(name)
	if l, f, ok := strings.Cut(name, ","); ok {
		return strings.TrimSpace(f), strings.TrimSpace(l)
	}
	if i := strings.LastIndexByte(name, ' '); i > 0 {
		return strings.TrimSpace(name[:i]), strings.TrimSpace(name[i+1:])
	}
	return name, ""
}
