package staffauth

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync/atomic"
	"testing"
	"time"
)

const (
	issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Staff"
	client = "console-client"
)

// pool is a test user pool: a signing key whose public half a JWKS server
// publishes.
type pool struct {
	key     *rsa.PrivateKey
	srv     *httptest.Server
	fetches atomic.Int32
}

func newPool(t *testing.T) *pool {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &pool{key: key}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.fetches.Add(1)
		pub := key.PublicKey
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pool) verifier(now time.Time) *Verifier {
	return &Verifier{Issuer: issuer, Audiences: []string{client}, JWKSURL: p.srv.URL, Now: func() time.Time { return now }}
}

func seg(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (p *pool) sign(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	in := seg(t, header) + "." + seg(t, claims)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

var rs256 = map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}

func accessClaims(now time.Time) map[string]any {
	return map[string]any{"iss": issuer, "client_id": client, "token_use": "access", "sub": "s-1", "username": "ada",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "scope": "openid email", "cognito:groups": []string{"privacy-viewer", "privacy-admin"}}
}

func with(c map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range c {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func TestVerifyAcceptsThePoolsToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := newPool(t)
	v := p.verifier(now)
	c, err := v.Verify(context.Background(), p.sign(t, rs256, accessClaims(now)))
	if err != nil {
		t.Fatal(err)
	}
	claims, scopes := Rendered(c)
	if claims["username"] != "ada" || claims["cognito:groups"] != "[privacy-viewer privacy-admin]" || claims["exp"] != "1800003600" ||
		!reflect.DeepEqual(scopes, []string{"openid", "email"}) {
		t.Errorf("rendered %v %v", claims, scopes)
	}
	if g := Groups(claims["cognito:groups"]); !reflect.DeepEqual(g, []string{"privacy-viewer", "privacy-admin"}) {
		t.Errorf("groups %v", g)
	}
	// An ID token names its client in aud.
	id := with(with(accessClaims(now), "client_id", nil), "aud", client)
	if _, err := v.Verify(context.Background(), p.sign(t, rs256, id)); err != nil {
		t.Errorf("ID token: %v", err)
	}
	// The keys were fetched once and kept.
	if _, err := v.Verify(context.Background(), p.sign(t, rs256, accessClaims(now))); err != nil || p.fetches.Load() != 1 {
		t.Errorf("JWKS fetched %d times, %v", p.fetches.Load(), err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := newPool(t)
	good := accessClaims(now)
	other := newPool(t)
	hs := func() string {
		// HS256 with the public key's modulus as the secret: the classic
		// confusion of an RSA verifier.
		in := seg(t, map[string]any{"alg": "HS256", "kid": "k1"}) + "." + seg(t, good)
		m := hmac.New(sha256.New, p.key.PublicKey.N.Bytes())
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	signed := p.sign(t, rs256, good)
	tampered := signed[:len(signed)-4] + "AAAA"
	for name, token := range map[string]string{
		"expired":            p.sign(t, rs256, with(good, "exp", now.Add(-time.Second).Unix())),
		"expires now":        p.sign(t, rs256, with(good, "exp", now.Unix())),
		"no exp":             p.sign(t, rs256, with(good, "exp", nil)),
		"not yet valid":      p.sign(t, rs256, with(good, "nbf", now.Add(time.Minute).Unix())),
		"wrong audience":     p.sign(t, rs256, with(good, "client_id", "another-client")),
		"no audience":        p.sign(t, rs256, with(good, "client_id", nil)),
		"wrong issuer":       p.sign(t, rs256, with(good, "iss", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")),
		"issuer as prefix":   p.sign(t, rs256, with(good, "iss", issuer+"x")),
		"bad signature":      tampered,
		"another pool's key": other.sign(t, rs256, good),
		"unknown kid":        p.sign(t, map[string]any{"alg": "RS256", "kid": "k2"}, good),
		"alg none":           seg(t, map[string]any{"alg": "none"}) + "." + seg(t, good) + ".",
		"alg HS256":          hs(),
		"not a JWT":          "abc.def",
		"garbage segments":   "!!.??.**",
	} {
		if _, err := p.verifier(now).Verify(context.Background(), token); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: %v, want unauthorized", name, err)
		}
	}
}
