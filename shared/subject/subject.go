// Package subject identifies the people the service holds records about. An
// email or phone is normalised, then identified by a keyed hash (HMAC-SHA-256
// with a secret pepper), so that keys carry no raw personal data and all of one
// person's records share one key. The phone numbering plan is not linked
// here: shared/subject/phone reads numbers, and is passed in where needed.
package subject

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// Errors returned by the normalisers; the caller names the field.
var (
	ErrEmail = errors.New("not a valid email address")
	ErrPhone = errors.New("not a valid phone number; use international format, e.g. +1 415 555 0100")
)

// ErrBrowserID is returned for a malformed first-party browser id.
var ErrBrowserID = errors.New("must be 8 to 128 characters of letters, digits, '.', '_' or '-'")

// NormaliseBrowserID checks the website's first-party browser id. It is a
// random id the page makes, not personal data by itself, so it is kept as is.
func NormaliseBrowserID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 8 || len(s) > 128 {
		return "", ErrBrowserID
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "", ErrBrowserID
		}
	}
	return s, nil
}

// MatchHash is the unkeyed SHA-256 (hex) of a normalised email or E.164
// phone: the form advertising platforms take for customer-list matching,
// used only in the suppression export.
func MatchHash(normalised string) string {
	h := sha256.Sum256([]byte(normalised))
	return hex.EncodeToString(h[:])
}

// Keyer derives subject keys with a secret pepper.
type Keyer struct{ pepper []byte }

// NewKeyer returns a Keyer; the pepper must be at least 32 bytes.
func NewKeyer(pepper []byte) (*Keyer, error) {
	if len(pepper) < 32 {
		return nil, errors.New("subject pepper must be at least 32 bytes")
	}
	return &Keyer{pepper: append([]byte(nil), pepper...)}, nil
}

// Email returns the key of a normalised email address.
func (k *Keyer) Email(normalised string) string { return k.key("email:" + normalised) }

// Phone returns the key of an E.164 phone number.
func (k *Keyer) Phone(e164 string) string { return k.key("phone:" + e164) }

// Browser returns the key of a first-party browser id.
func (k *Keyer) Browser(id string) string { return k.key("browser:" + id) }

// Digest returns a keyed hash of a record's content (purpose names what
// it is for, so digests of different purposes never collide): it tells two
// records apart, or finds one again, without storing what they say, and
// cannot be checked against guessed content without the pepper.
func (k *Keyer) Digest(purpose string, content ...string) string {
	return k.key(purpose + ":" + strings.Join(content, "\x00"))
}

func (k *Keyer) key(s string) string {
	m := hmac.New(sha256.New, k.pepper)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// Sign returns a keyed tag (HMAC-SHA-256 with the pepper, 128 bits,
// base64url) of parts for purpose, for a token the service hands out and
// later checks itself, with nothing stored. The "sign:" prefix keeps tags
// apart from subject keys and digests made of the same words.
func (k *Keyer) Sign(purpose string, parts ...string) string {
	m := hmac.New(sha256.New, k.pepper)
	m.Write([]byte("sign:" + purpose + ":" + strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Verify reports whether tag is Sign(purpose, parts...), in constant time.
func (k *Keyer) Verify(tag, purpose string, parts ...string) bool {
	return hmac.Equal([]byte(tag), []byte(k.Sign(purpose, parts...)))
}
