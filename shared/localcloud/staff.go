package localcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// staffTokens keeps each seeded user's last access token, so that tests
// calling the staff API many times sign in once per user.
type staffTokens struct {
	mu     sync.Mutex
	tokens map[string]cachedToken
}

type cachedToken struct {
	access  string
	expires time.Time
}

// StaffPassword is the seeded users' password (fixed for this run).
func (c *Cloud) StaffPassword() string { return c.Cognito.Password }

// StaffCode is a seeded user's current authenticator code (TOTP); empty
// for an unknown user.
func (c *Cloud) StaffCode(user string) string {
	code, err := c.Cognito.Code(user)
	if err != nil {
		return ""
	}
	return code
}

// StaffToken signs a seeded user in through cognito-local, password then
// authenticator code, and returns the access token; a token still good for
// ten minutes is reused.
func (c *Cloud) StaffToken(ctx context.Context, user string) (string, error) {
	if !slices.Contains(StaffUsers, user) {
		return "", fmt.Errorf("no seeded staff user %q", user)
	}
	c.staffTokens.mu.Lock()
	defer c.staffTokens.mu.Unlock()
	if t, ok := c.staffTokens.tokens[user]; ok && time.Until(t.expires) > 10*time.Minute {
		return t.access, nil
	}
	code, err := c.Cognito.Code(user)
	if err != nil {
		return "", err
	}
	tokens, err := c.Cognito.SignIn(ctx, user, c.Cognito.Password, code)
	if err != nil {
		return "", fmt.Errorf("sign in %s: %w", user, err)
	}
	if c.staffTokens.tokens == nil {
		c.staffTokens.tokens = map[string]cachedToken{}
	}
	// The pool's app client gives access tokens an hour.
	c.staffTokens.tokens[user] = cachedToken{access: tokens.AccessToken, expires: time.Now().Add(time.Hour)}
	return tokens.AccessToken, nil
}

// StaffFile is what `make dev` writes of the running pool for
// cmd/stafftoken: where cognito-local listens, the console's client, and
// the seeded users' password and authenticator secrets (local, fixed per
// run, kept to the owner like the other local secrets).
type StaffFile struct {
	APIURL   string            `json:"api_url"`
	Endpoint string            `json:"cognito_endpoint"`
	PoolID   string            `json:"pool_id"`
	ClientID string            `json:"client_id"`
	Password string            `json:"password"`
	Secrets  map[string]string `json:"secrets"`
}

// WriteStaffFile writes the running pool's StaffFile to path.
func (c *Cloud) WriteStaffFile(path string) error {
	b, err := json.MarshalIndent(StaffFile{APIURL: c.APIURL, Endpoint: c.Cognito.Endpoint, PoolID: c.Cognito.PoolID,
		ClientID: c.Cognito.ClientID, Password: c.Cognito.Password, Secrets: c.Cognito.Secrets}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// ReadStaffFile reads a StaffFile and returns a client of the pool it
// names.
func ReadStaffFile(path string) (*Cognito, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f StaffFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Cognito{Process: &Process{Name: "cognito-local", Endpoint: f.Endpoint}, PoolID: f.PoolID, ClientID: f.ClientID,
		Password: f.Password, Secrets: f.Secrets, client: &http.Client{Timeout: 10 * time.Second}}, nil
}

// OTPAuthURL is the otpauth:// URL of a seeded user's authenticator secret,
// which an authenticator app takes (as a QR code or typed in).
func (c *Cognito) OTPAuthURL(user string) string {
	label := url.PathEscape("ClariTru privacy (local):" + user)
	q := url.Values{"secret": {c.Secrets[user]}, "issuer": {"ClariTru privacy (local)"}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// DescribeStaff is `make dev`'s note on how staff sign in.
func (c *Cloud) DescribeStaff(stafftoken string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Staff sign-in (cognito-local %s, pool %s; MFA required)\n", c.Cognito.Endpoint, c.Cognito.PoolID)
	fmt.Fprintf(&b, "  console           %s/console/\n", c.APIURL)
	fmt.Fprintf(&b, "  users             viewer, handler, admin (one per role)\n")
	fmt.Fprintf(&b, "  password          %s  (new at every start)\n", c.Cognito.Password)
	fmt.Fprintf(&b, "  authenticator     %s -user handler -code  (the current 6-digit code)\n", stafftoken)
	fmt.Fprintf(&b, "  token for scripts %s -user handler  (an access token, for curl -H 'Authorization: Bearer ...')\n", stafftoken)
	fmt.Fprintf(&b, "  or add a secret to an authenticator app:\n")
	for _, u := range StaffUsers {
		fmt.Fprintf(&b, "    %-8s %s\n", u, c.Cognito.OTPAuthURL(u))
	}
	return b.String()
}
