// Package drp is the service's side of the Data Rights Protocol (DRP
// 0.9.4): the register of trusted authorized agents, the check of their
// signed messages (Ed25519, libsodium's combined mode), the pair-wise
// tokens, the mapping of the protocol's exercises onto the service's
// requests and opt-outs, and of request statuses onto the protocol's. It
// imports no AWS package; its store is the Store interface (shared/ddb).
package drp

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/fault"
)

// Version is the protocol version this service speaks.
const Version = "0.9.4"

// MaxWindow is the longest a signed message may be valid (expires-at after
// issued-at). The protocol recommends no more than ten minutes and its
// reference agent signs for fifteen; a longer window would keep a captured
// message usable, and its replay mark, that much longer.
const MaxWindow = time.Hour

// Skew is how far ahead of the service's clock an issued-at may be: an
// agent's clock a little fast is not a message from the future.
const Skew = time.Minute

// forbidden is every refusal of a message's signature, sender or time:
// the protocol answers them all with 403.
func forbidden(msg string) error { return fault.New(fault.Unauthorized, msg) }

// Open checks a signed message as the protocol sends it (base64 of the
// 64-byte Ed25519 signature followed by the JSON it signs, libsodium's
// combined mode) against the agent's key, and returns the JSON. Whitespace
// around the base64 text is allowed; anything else that fails is refused
// alike.
func Open(key ed25519.PublicKey, body []byte) ([]byte, error) {
	raw := bytes.TrimSpace(body)
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Decode(buf, raw)
	if err != nil {
		// Some clients send URL-safe base64.
		n, err = base64.URLEncoding.Decode(buf, raw)
	}
	if err != nil || n < ed25519.SignatureSize || len(key) != ed25519.PublicKeySize {
		return nil, forbidden("The message is not a signed message of this agent.")
	}
	sig, msg := buf[:ed25519.SignatureSize], buf[ed25519.SignatureSize:n]
	if !ed25519.Verify(key, msg, sig) {
		return nil, forbidden("The message is not a signed message of this agent.")
	}
	return msg, nil
}

// Claims are the keys of a signed message the protocol defines: the first
// group says who sends it to whom and when (every signed message but the
// revoke has them), the second the request, the third the person
// (schema.org/Person claims).
type Claims struct {
	AgentID        string   `json:"agent-id"`
	BusinessID     string   `json:"business-id"`
	IssuedAt       string   `json:"issued-at"`
	ExpiresAt      string   `json:"expires-at"`
	AgentRequestID string   `json:"agent-request-id"`
	Version        string   `json:"drp.version"`
	Exercise       string   `json:"exercise"`
	Regime         string   `json:"regime"`
	Relationships  []string `json:"relationships"`
	StatusCallback string   `json:"status_callback"`
	Identity
	// Reason is the revoke's one field.
	Reason string `json:"reason"`
}

// Identity are the identity claims of an exercise.
type Identity struct {
	Name                string   `json:"name"`
	Email               string   `json:"email"`
	EmailVerified       bool     `json:"email_verified"`
	PhoneNumber         string   `json:"phone_number"`
	PhoneNumberVerified bool     `json:"phone_number_verified"`
	Address             *Address `json:"address"`
	AddressVerified     bool     `json:"address_verified"`
	PowerOfAttorney     string   `json:"power_of_attorney"`
}

// Address is the OpenID Connect address claim (Core 1.0 §5.1.1).
type Address struct {
	Formatted     string `json:"formatted"`
	StreetAddress string `json:"street_address"`
	Locality      string `json:"locality"`
	Region        string `json:"region"`
	PostalCode    string `json:"postal_code"`
	Country       string `json:"country"`
}

// ParseClaims reads a verified message's JSON.
func ParseClaims(msg []byte) (Claims, error) {
	var c Claims
	if err := json.Unmarshal(msg, &c); err != nil {
		var f fault.Fields
		f.Add("body", "the signed message is not a JSON object of the protocol's claims")
		return Claims{}, f.Err()
	}
	return c, nil
}

// Window is a message's validity: issued-at and expires-at.
type Window struct{ IssuedAt, ExpiresAt time.Time }

// Check validates the claims that bind a message to one agent, one business
// and a short time, in the protocol's order (DRP 3.07): the agent-id is the
// agent the message was checked against (the token's, or the URL's), the
// business-id is this business, issued-at is not ahead of now and
// expires-at is after it.
func (c Claims) Check(agentID, businessID string, now time.Time) (Window, error) {
	if c.AgentID != agentID {
		return Window{}, forbidden("The message's agent-id is not the agent it was sent as.")
	}
	if c.BusinessID != businessID {
		return Window{}, forbidden("The message's business-id is not this business.")
	}
	issued, err := ParseTime(c.IssuedAt)
	if err != nil {
		return Window{}, forbidden("The message's issued-at is not an ISO 8601 time.")
	}
	expires, err := ParseTime(c.ExpiresAt)
	if err != nil {
		return Window{}, forbidden("The message's expires-at is not an ISO 8601 time.")
	}
	switch {
	case issued.After(now.Add(Skew)):
		return Window{}, forbidden("The message's issued-at is in the future.")
	case !now.Before(expires):
		return Window{}, forbidden("The message has expired (expires-at).")
	case expires.Sub(issued) > MaxWindow:
		return Window{}, forbidden("The message is valid for too long; keep expires-at within an hour of issued-at.")
	}
	return Window{IssuedAt: issued, ExpiresAt: expires}, nil
}

// timeLayouts are the ISO 8601 forms agents send: RFC 3339 with or without
// fractions (Python's isoformat with a zone), a zone without a colon, and
// none (read as UTC).
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
}

// ParseTime reads an ISO 8601 timestamp.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var err error
	for _, l := range timeLayouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}
