package drp

import (
	"crypto/ed25519"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/claritru/privacy/shared/request"
)

// Agent is one trusted authorized agent: an entry of the DRP service
// directory's agent document (DRP 3.05.1).
type Agent struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// VerifyKey is the agent's Ed25519 public key: base64, as the
	// directory gives it since DRP 0.9.1, or hex, as it did before.
	VerifyKey            string `json:"verify_key"`
	WebURL               string `json:"web_url,omitempty"`
	IdentityAssuranceURL string `json:"identity_assurance_url,omitempty"`
	TechnicalContact     string `json:"technical_contact,omitempty"`
	BusinessContact      string `json:"business_contact,omitempty"`
	// RedirectOrigins are the origins (https://host[:port]) the agent may
	// ask the person be sent back to from the verification page
	// (redirect_to, DRP 3.02.1); a return address elsewhere is ignored.
	// Plain http to the loopback host is listed for local runs only.
	RedirectOrigins []string `json:"redirect_origins,omitempty"`

	key ed25519.PublicKey
}

// Key is the agent's verify key.
func (a Agent) Key() ed25519.PublicKey { return a.key }

// DisplayName is how staff and mail name the agent.
func (a Agent) DisplayName() string {
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}

// Register is the register of trusted agents: the one kept in the
// repository (agents.json), which review changes, and those a deployment
// adds (DRP_AGENTS, for local runs and tests).
type Register struct{ agents map[string]Agent }

//go:embed agents.json
var repositoryAgents []byte

// agentID is the directory's id pattern ([A-Z_]+), with digits and hyphens
// besides, which agents' ids in use carry; bounded.
var agentID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) })

// LoadRegister reads the repository's register and the agents extra adds
// (a JSON array of the same entries; empty for none). An entry without a
// usable id or key, or an id given twice, is an error: a register that
// does not load stops the function at start.
func LoadRegister(extra string) (*Register, error) {
	r := &Register{agents: map[string]Agent{}}
	if err := r.add(repositoryAgents, "agents.json"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(extra) != "" {
		if err := r.add([]byte(extra), "DRP_AGENTS"); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Register) add(doc []byte, source string) error {
	var list []Agent
	if err := json.Unmarshal(doc, &list); err != nil {
		return fmt.Errorf("%s: not a JSON array of agents: %w", source, err)
	}
	for i, a := range list {
		if !agentID().MatchString(a.ID) {
			return fmt.Errorf("%s: agent %d: id must be 1 to 64 letters, digits, _ or -", source, i)
		}
		if _, dup := r.agents[a.ID]; dup {
			return fmt.Errorf("%s: agent %s is listed twice", source, a.ID)
		}
		key, err := parseKey(a.VerifyKey)
		if err != nil {
			return fmt.Errorf("%s: agent %s: %w", source, a.ID, err)
		}
		a.key = key
		for j, o := range a.RedirectOrigins {
			origin, err := originOf(o)
			if err != nil {
				return fmt.Errorf("%s: agent %s: redirect_origins[%d]: %w", source, a.ID, j, err)
			}
			a.RedirectOrigins[j] = origin
		}
		r.agents[a.ID] = a
	}
	return nil
}

// parseKey reads a 32-byte Ed25519 public key in hex or base64.
func parseKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("verify_key must be a 32-byte Ed25519 public key in base64 or hex")
}

// originOf reads an entry of redirect_origins: an origin alone (a path
// of "/" at most), https or plain http to the loopback host.
func originOf(o string) (string, error) {
	origin, err := request.RedirectOrigin(o, true)
	u, _ := url.Parse(o)
	if err != nil || u == nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(o, "#") {
		return "", fmt.Errorf("must be an origin, https://host[:port] with nothing after")
	}
	return origin, nil
}

// returnOrigins are the agent's redirect origins a request records: those
// on http only where the service itself runs on http (locally).
func (a Agent) returnOrigins(loopback bool) []string {
	var out []string
	for _, o := range a.RedirectOrigins {
		if _, err := request.RedirectOrigin(o, loopback); err == nil {
			out = append(out, o)
		}
	}
	return out
}

// Agent returns the trusted agent with the id.
func (r *Register) Agent(id string) (Agent, bool) {
	a, ok := r.agents[id]
	return a, ok
}
