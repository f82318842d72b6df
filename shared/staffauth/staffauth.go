// Package staffauth verifies the staff's Cognito access tokens as the HTTP
// API's JWT authorizer does (RS256 signature against the user pool's JWKS,
// issuer, audience, expiry), and renders their claims as API Gateway hands
// them to a function. The local gateway plays the authorizer with it.
package staffauth

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrUnauthorized is every refusal: the caller learns no more than API
// Gateway's 401 tells.
var ErrUnauthorized = errors.New("unauthorized")

// Verifier checks tokens of one issuer for one audience.
type Verifier struct {
	// Issuer is the user pool's issuer URL; a token's `iss` must equal it.
	Issuer string
	// Audiences are the app client ids accepted: an access token's
	// `client_id`, or an ID token's `aud`.
	Audiences []string
	// JWKSURL is where the signing keys are published; empty is the
	// issuer's /.well-known/jwks.json.
	JWKSURL string
	// Client fetches the keys; nil is a client with a 5-second timeout.
	Client *http.Client
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Leeway tolerates clock skew on exp and nbf.
	Leeway time.Duration

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

// keysFresh is how long fetched keys are used before fetching again; an
// unknown key id fetches sooner (at most once a minute), as a pool's keys
// rotate.
const (
	keysFresh    = time.Hour
	refetchAfter = time.Minute
)

// Claims are a verified token's claims, as decoded from JSON.
type Claims map[string]any

// Verify checks a compact JWS and returns its claims.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: not a JWS", ErrUnauthorized)
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return nil, err
	}
	// Only the pool's algorithm: "none" and HS256 (a public key used as an
	// HMAC secret) are the classic forgeries.
	if header.Alg != "RS256" {
		return nil, fmt.Errorf("%w: algorithm %q", ErrUnauthorized, header.Alg)
	}
	key, err := v.key(ctx, header.Kid)
	if err != nil {
		return nil, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: signature encoding", ErrUnauthorized)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return nil, fmt.Errorf("%w: bad signature", ErrUnauthorized)
	}
	var claims Claims
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, err
	}
	return claims, v.check(claims)
}

// check the registered claims of a token whose signature verified.
func (v *Verifier) check(c Claims) error {
	if iss, _ := c["iss"].(string); iss == "" || iss != v.Issuer {
		return fmt.Errorf("%w: issuer", ErrUnauthorized)
	}
	if !v.audienceOK(c) {
		return fmt.Errorf("%w: audience", ErrUnauthorized)
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	exp, ok := c.number("exp")
	if !ok || !now.Before(time.Unix(exp, 0).Add(v.Leeway)) {
		return fmt.Errorf("%w: expired", ErrUnauthorized)
	}
	if _, present := c["nbf"]; present {
		nbf, ok := c.number("nbf")
		if !ok || now.Add(v.Leeway).Before(time.Unix(nbf, 0)) {
			return fmt.Errorf("%w: not yet valid", ErrUnauthorized)
		}
	}
	return nil
}

// audienceOK: an access token names its app client in client_id, an ID
// token in aud (a string or a list).
func (v *Verifier) audienceOK(c Claims) bool {
	var auds []string
	if s, ok := c["client_id"].(string); ok {
		auds = append(auds, s)
	}
	switch a := c["aud"].(type) {
	case string:
		auds = append(auds, a)
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok {
				auds = append(auds, s)
			}
		}
	}
	for _, a := range auds {
		if slices.Contains(v.Audiences, a) {
			return true
		}
	}
	return false
}

func (c Claims) number(name string) (int64, bool) {
	f, ok := c[name].(float64)
	return int64(f), ok
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return fmt.Errorf("%w: segment encoding", ErrUnauthorized)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: segment JSON", ErrUnauthorized)
	}
	return nil
}

// key returns the signing key of kid, fetching the JWKS when it is stale or
// does not hold kid.
func (v *Verifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	k, ok := v.keys[kid]
	age := now.Sub(v.fetched)
	if ok && age < keysFresh {
		return k, nil
	}
	if v.keys == nil || age >= keysFresh || (!ok && age >= refetchAfter) {
		keys, err := v.fetch(ctx)
		if err != nil {
			return nil, err
		}
		v.keys, v.fetched = keys, now
		k, ok = keys[kid]
	}
	if !ok {
		return nil, fmt.Errorf("%w: unknown key", ErrUnauthorized)
	}
	return k, nil
}

// fetch reads the JWKS; only RSA signing keys are kept.
func (v *Verifier) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	u := v.JWKSURL
	if u == "" {
		u = strings.TrimSuffix(v.Issuer, "/") + "/.well-known/jwks.json"
	}
	client := v.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: status %d", resp.StatusCode)
	}
	var set struct {
		Keys []struct {
			Kty, Kid, Use, Alg, N, E string
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys, nil
}

// Rendered is what API Gateway's JWT authorizer hands the function: every
// claim as a string (a list as "[a b]"), and the token's scopes.
func Rendered(c Claims) (map[string]string, []string) {
	out := make(map[string]string, len(c))
	for k, v := range c {
		out[k] = render(v)
	}
	var scopes []string
	if s, ok := c["scope"].(string); ok && s != "" {
		scopes = strings.Fields(s)
	}
	return out, scopes
}

func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = render(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// Groups reads a list claim as API Gateway renders it, "[a b]" (or a
// single value without brackets).
func Groups(rendered string) []string {
	s := strings.TrimSpace(rendered)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	return strings.Fields(s)
}
