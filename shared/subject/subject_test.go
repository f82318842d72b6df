package subject

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"unicode"
)

func TestNormaliseEmail(t *testing.T) {
	// 64 + 1 + 185 + 4 = 254 characters, the SMTP limit.
	at254 := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com"
	at255 := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com"
	if len(at254) != 254 || len(at255) != 255 {
		t.Fatalf("test lengths %d %d", len(at254), len(at255))
	}
	accept := map[string]string{
		"ada@example.com":                  "ada@example.com",
		"  Ada.Lovelace@Example.COM":       "ada.lovelace@example.com",
		"\tada+privacy@mail.example.org\n": "ada+privacy@mail.example.org",
		"o'brien@example.ie":               "o'brien@example.ie",
		"zoë@exämple.de":                   "zoë@exämple.de",
		at254:                              at254,
		strings.ToUpper(at254):             at254,
	}
	for in, want := range accept {
		got, err := NormaliseEmail(in)
		if err != nil || got != want {
			t.Errorf("NormaliseEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	refuse := []string{
		"",
		"   ",
		"ada",
		"a@b",                   // no dot in the domain
		"@example.com",          // no local part
		"ada@",                  // no domain
		"ada@.example.com",      // domain starts with a dot
		"ada@example.com.",      // domain ends with a dot
		"ada@example..com",      // empty label
		"ada..x@example.com",    // consecutive dots
		"Ada <ada@example.com>", // display name
		"<ada@example.com>",     // angle brackets
		"\"Ada\" <ada@example.com>",
		"\"ada lovelace\"@example.com", // quoted local part
		"ada lovelace@example.com",     // space
		"ada@exa mple.com",
		"ada@example.com, eve@example.com", // a list
		"ada@example.com;eve@example.com",
		"ada@example.com\r\nBcc: eve@example.com", // header injection
		"ada@example.com\x00",
		"ada\x00@example.com",
		"ada(comment)@example.com",
		"ada@[192.0.2.1]",       // address literal
		"ada@exam\u0085ple.com", // NEL inside
		at255,
	}
	for _, in := range refuse {
		if got, err := NormaliseEmail(in); err == nil {
			t.Errorf("NormaliseEmail(%q) = %q, want refused", in, got)
		} else if !errors.Is(err, ErrEmail) {
			t.Errorf("NormaliseEmail(%q) error %v, want ErrEmail", in, err)
		}
	}
}

func TestKeyer(t *testing.T) {
	pepper := bytes.Repeat([]byte{0x5a}, 32)
	k, err := NewKeyer(pepper)
	if err != nil {
		t.Fatal(err)
	}
	const email = "jo.smith@example.org"
	key := k.Email(email)

	if len(key) != 64 || strings.Trim(key, "0123456789abcdef") != "" {
		t.Errorf("key %q is not 64 lower-case hex characters", key)
	}
	if k.Email(email) != key {
		t.Error("the same input gave two keys")
	}
	for _, part := range []string{email, "jo.smith", "smith", "example", "org", "@"} {
		if strings.Contains(key, part) {
			t.Errorf("key %q contains %q", key, part)
		}
	}
	if k.Email("jo.smith@example.com") == key {
		t.Error("different addresses gave one key")
	}
	// Email and phone keys live in separate domains: the same string gives
	// different keys.
	if k.Phone(email) == key {
		t.Error("Phone and Email keys of one string are equal")
	}

	// The key is HMAC-SHA-256 under the pepper of "email:" + the address.
	// Stored records are found by this key, so it must not change.
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte("email:" + email))
	if want := hex.EncodeToString(m.Sum(nil)); key != want {
		t.Errorf("Email key = %s, want %s", key, want)
	}
	m = hmac.New(sha256.New, pepper)
	m.Write([]byte("phone:+14155550100"))
	if want := hex.EncodeToString(m.Sum(nil)); k.Phone("+14155550100") != want {
		t.Errorf("Phone key = %s, want %s", k.Phone("+14155550100"), want)
	}

	// Another pepper gives another key.
	other := bytes.Repeat([]byte{0x5a}, 32)
	other[31] = 0x5b
	k2, err := NewKeyer(other)
	if err != nil {
		t.Fatal(err)
	}
	if k2.Email(email) == key {
		t.Error("different peppers gave one key")
	}

	// The Keyer keeps its own copy of the pepper.
	pepper[0] = 0
	if k.Email(email) != key {
		t.Error("changing the caller's pepper slice changed the keys")
	}
}

func TestNewKeyerRefusesShortPepper(t *testing.T) {
	for _, n := range []int{0, 1, 16, 31} {
		if k, err := NewKeyer(make([]byte, n)); err == nil || k != nil {
			t.Errorf("NewKeyer(%d bytes) = %v, %v; want refused", n, k, err)
		}
	}
	if _, err := NewKeyer(make([]byte, 32)); err != nil {
		t.Errorf("NewKeyer(32 bytes) = %v, want accepted", err)
	}
	if _, err := NewKeyer(nil); err == nil {
		t.Error("NewKeyer(nil) accepted")
	}
}

func FuzzNormaliseEmail(f *testing.F) {
	for _, s := range []string{
		"ada@example.com",
		" Ada@Example.COM ",
		"Ada <ada@example.com>",
		"ada@example.com\r\nBcc: eve@example.com",
		"ada\x00@example.com",
		"\"a@b\"@example.com",
		"a@b",
		"ada@[127.0.0.1]",
		"İSTANBUL@EXAMPLE.COM",
		"ΣΊΣΥΦΟΣ@example.gr",
		"K@example.com", // Kelvin sign
		strings.Repeat("𝔄", 60) + "@example.com",
		"\xff\xfe@example.com",
		"=?utf-8?q?ada?=@example.com",
		"{\"email\":{\"a\":[[[\"x@y.z\"]]]}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormaliseEmail(s)
		if err != nil {
			if n != "" {
				t.Errorf("refused %q but returned %q", s, n)
			}
			return
		}
		again, err := NormaliseEmail(n)
		if err != nil || again != n {
			t.Errorf("NormaliseEmail(%q) = %q, but normalising that gives %q, %v", s, n, again, err)
		}
		if len(n) > MaxEmailLength || n == "" {
			t.Errorf("NormaliseEmail(%q) = %q: length %d", s, n, len(n))
		}
		if n != strings.TrimSpace(n) || n != strings.ToLower(n) {
			t.Errorf("NormaliseEmail(%q) = %q is not trimmed and lower-cased", s, n)
		}
		if strings.IndexFunc(n, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			t.Errorf("NormaliseEmail(%q) = %q has a space or control character", s, n)
		}
		at := strings.LastIndexByte(n, '@')
		if at < 1 || !strings.Contains(n[at+1:], ".") {
			t.Errorf("NormaliseEmail(%q) = %q has no local part or dotted domain", s, n)
		}
	})
}
