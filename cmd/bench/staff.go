package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/claritru/privacy/shared/staffauth"
)

// benchPool stands in for the staff's user pool in the service under
// measure: a signing key whose JWKS the gateway's JWT check fetches, and
// one signed-in admin's access token. In AWS the check is API Gateway's and
// no part of a function's duration; here it costs one RSA verification.
type benchPool struct {
	verifier *staffauth.Verifier
	token    string
}

const (
	benchIssuer = "http://bench.invalid/bench_pool"
	benchClient = "bench-console"
)

func newBenchPool() (*benchPool, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	jwks := map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "bench", "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}}}
	// Lives as long as the command.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jwks)
	}))
	now := time.Now()
	claims := map[string]any{"iss": benchIssuer, "client_id": benchClient, "token_use": "access", "sub": "bench-sub", "username": "bench",
		"iat": now.Unix(), "exp": now.Add(12 * time.Hour).Unix(), "cognito:groups": []string{"privacy-admin"}}
	seg := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	in := seg(map[string]string{"alg": "RS256", "kid": "bench", "typ": "JWT"}) + "." + seg(claims)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return nil, err
	}
	return &benchPool{
		verifier: &staffauth.Verifier{Issuer: benchIssuer, Audiences: []string{benchClient}, JWKSURL: srv.URL},
		token:    in + "." + base64.RawURLEncoding.EncodeToString(sig),
	}, nil
}
