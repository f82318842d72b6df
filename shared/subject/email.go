package subject

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Address limits: the longest address SMTP allows (RFC 5321 §4.5.3.1.3), the
// longest local part (§4.5.3.1.1) and the longest domain label (RFC 1035
// §2.3.4).
const (
	MaxEmailLength = 254
	maxLocalPart   = 64
	maxLabel       = 63
)

// NormaliseEmail returns the one form of an address that is keyed, hashed,
// stored and mailed: trimmed, its local part lower-cased, its domain in
// ASCII (an internationalised domain in its punycode "xn--" form, by the
// IDNA2008 lookup profile of UTS #46). Anything else is ErrEmail:
//
//   - the local part is a dot-atom of ASCII letters, digits and the RFC 5322
//     atext symbols except '%' and '!' (the old source routes that relays
//     still honour), without leading, trailing or doubled dots, with no
//     RFC 2047 encoded word ("=?...?=") that a mail client would decode into
//     other text, and at most 64 characters; quoted strings, comments and
//     Unicode local parts (RFC 6531) are refused, so one person cannot appear
//     under two spellings that deliver to the same mailbox;
//   - the domain has at least two labels of letters, digits and inner
//     hyphens, each at most 63 characters, and a top-level label that is not
//     all digits; address literals ("[192.0.2.1]") are refused;
//   - the whole address is valid UTF-8 (the IDNA mapping would otherwise
//     turn a stray byte into a character of its own) and at most 254
//     characters once converted.
func NormaliseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	// An IDN may be longer before its conversion than after; four bytes a
	// character bounds what is worth converting.
	if s == "" || len(s) > 4*MaxEmailLength || !utf8.ValidString(s) {
		return "", ErrEmail
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || !dotAtom(local) {
		return "", ErrEmail
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || !hostname(ascii) {
		return "", ErrEmail
	}
	n := strings.ToLower(local) + "@" + ascii
	if len(n) > MaxEmailLength {
		return "", ErrEmail
	}
	return n, nil
}

// dotAtom reports whether s is a local part the service takes.
func dotAtom(s string) bool {
	if s == "" || len(s) > maxLocalPart || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	if strings.Contains(s, "=?") || strings.Contains(s, "?=") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !localChar(s[i]) {
			return false
		}
	}
	return true
}

// localChar reports the characters of a local part: RFC 5322 atext without
// '%' and '!', and the dot.
func localChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte(".#$&'*+-/=?^_`{|}~", c) >= 0
}

// hostname reports whether s is an ASCII host name of at least two LDH
// labels (RFC 1123 §2.1) whose last label is not all digits, so that no
// dotted IPv4 address passes for a domain.
func hostname(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabel || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}
