// Package token makes the single-use links the service mails (identity
// verification, double opt-in): 32 random bytes, URL-safe, of which only the
// SHA-256 is stored, so a leaked table holds no usable link.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// Lifetime is how long a mailed link works.
const Lifetime = 72 * time.Hour

// New returns a raw token and the hash under which it is stored.
func New() (raw, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	raw = base64.RawURLEncoding.EncodeToString(b)
	hash, _ = Hash(raw)
	return raw, hash, nil
}

// Hash returns the stored form of a raw token, and false when raw is not a
// well-formed token.
func Hash(raw string) (string, bool) {
	// The decoder skips line breaks; a token is exactly 43 characters of the
	// URL-safe alphabet.
	if len(raw) != base64.RawURLEncoding.EncodedLen(32) || strings.ContainsAny(raw, "\r\n") {
		return "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	if err != nil || len(b) != 32 {
		return "", false
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), true
}
