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
	// 64 + 1 + (63 + 1 + 63 + 1 + 57) + 4 = 254 characters, the SMTP limit.
	long := strings.Repeat("b", 63) + "." + strings.Repeat("b", 63) + "."
	at254 := strings.Repeat("a", 64) + "@" + long + strings.Repeat("b", 57) + ".com"
	at255 := strings.Repeat("a", 64) + "@" + long + strings.Repeat("b", 58) + ".com"
	local64 := strings.Repeat("x", 64) + "@example.com"
	local65 := strings.Repeat("x", 65) + "@example.com"
	label63 := "ada@" + strings.Repeat("c", 63) + ".example"
	label64 := "ada@" + strings.Repeat("c", 64) + ".example"
	if len(at254) != 254 || len(at255) != 255 {
		t.Fatalf("test lengths %d %d", len(at254), len(at255))
	}
	// The punycode forms are those of RFC 3492's algorithm as registries
	// publish them: bücher.example and münchen.de are the usual examples.
	accept := []struct{ in, want string }{
		{"ada@example.com", "ada@example.com"},
		{"  Ada.Lovelace@Example.COM", "ada.lovelace@example.com"},
		{"\tada+privacy@mail.example.org\n", "ada+privacy@mail.example.org"},
		{"o'brien@example.ie", "o'brien@example.ie"},
		{"first_last-1@sub.example.co.uk", "first_last-1@sub.example.co.uk"},
		{"a#b$c&d*e/f=g?h^i`j{k|l}m~n@example.com", "a#b$c&d*e/f=g?h^i`j{k|l}m~n@example.com"},
		{"user@bücher.example", "user@xn--bcher-kva.example"},
		{"User@BÜCHER.example", "user@xn--bcher-kva.example"},
		{"user@xn--bcher-kva.example", "user@xn--bcher-kva.example"},
		{"ada@münchen.de", "ada@xn--mnchen-3ya.de"},
		{"ada@123.example", "ada@123.example"},
		{"ada@ex-ample.com", "ada@ex-ample.com"},
		{local64, local64},
		{label63, label63},
		{at254, at254},
		{strings.ToUpper(at254), at254},
	}
	for _, c := range accept {
		got, err := NormaliseEmail(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormaliseEmail(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	refuse := []struct{ in, why string }{
		{"", "empty"},
		{"   ", "blank"},
		{"ada", "no @"},
		{"a@b", "no dot in the domain"},
		{"@example.com", "no local part"},
		{"ada@", "no domain"},
		{"ada@.example.com", "domain starts with a dot"},
		{"ada@example.com.", "domain ends with a dot"},
		{"ada@example..com", "empty label"},
		{".ada@example.com", "local part starts with a dot"},
		{"ada.@example.com", "local part ends with a dot"},
		{"ada..x@example.com", "consecutive dots"},
		{"Ada <ada@example.com>", "display name"},
		{"<ada@example.com>", "angle brackets"},
		{"\"Ada\" <ada@example.com>", "display name, quoted"},
		{"\"ada lovelace\"@example.com", "quoted local part"},
		{"\"ada\"@example.com", "quoted local part without a space"},
		{"\"a@b\"@example.com", "quoted @"},
		{"ada lovelace@example.com", "space"},
		{"ada@exa mple.com", "space in the domain"},
		{"ada@example.com, eve@example.com", "a list"},
		{"ada@example.com;eve@example.com", "a list with a semicolon"},
		{"ada@eve@example.com", "two @"},
		{"ada@example.com\r\nBcc: eve@example.com", "header injection"},
		{"ada\r\n@example.com", "CR LF in the local part"},
		{"ada@exa\nmple.com", "LF in the domain"},
		{"ada@example.com\x00", "NUL at the end"},
		{"ada\x00@example.com", "NUL in the local part"},
		{"ada@exam\x00ple.com", "NUL in the domain"},
		{"ada(comment)@example.com", "comment"},
		{"ada@[192.0.2.1]", "address literal"},
		{"ada@192.0.2.1", "dotted IPv4 address"},
		{"ada@exam\u0085ple.com", "NEL in the domain"},
		{"=?utf-8?q?ada?=@example.com", "encoded word"},
		{"=?utf-8?b?YWRh?=@example.com", "encoded word, base64"},
		{"ada=?x@example.com", "start of an encoded word"},
		{"ada?=x@example.com", "end of an encoded word"},
		{"ada%eve@example.com", "percent source route"},
		{"eve!ada@example.com", "bang path"},
		{"zoë@example.de", "Unicode local part"},
		{"зоя@example.ru", "Cyrillic local part"},
		{"\u212aada@example.com", "Kelvin sign, which lower-cases to k"},
		{"ada\u200b@example.com", "zero-width space"},
		{"ada@exam_ple.com", "underscore in the domain"},
		{"ada@-example.com", "label starts with a hyphen"},
		{"ada@example-.com", "label ends with a hyphen"},
		{"ada@xn--zz.example", "bad punycode"},
		{"ada@exa\u202eelpm.com", "bidi override in the domain"},
		{"ada@example.c\u00f6m\x00", "NUL after an IDN"},
		{"\xff\xfe@example.com", "invalid UTF-8"},
		{"ada@\xffexample.com", "invalid UTF-8 in the domain"},
		{local65, "local part over 64"},
		{label64, "label over 63"},
		{at255, "over 254"},
		{strings.Repeat("a", 10000) + "@example.com", "very long"},
		{"ada@" + strings.Repeat("ü", 300) + ".de", "very long IDN"},
	}
	for _, c := range refuse {
		if got, err := NormaliseEmail(c.in); err == nil {
			t.Errorf("%s: NormaliseEmail(%q) = %q, want refused", c.why, c.in, got)
		} else if !errors.Is(err, ErrEmail) {
			t.Errorf("%s: NormaliseEmail(%q) error %v, want ErrEmail", c.why, c.in, err)
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
		"user@bücher.example",
		"user@xn--bcher-kva.example",
		"ada@ＥＸＡＭＰＬＥ．ＣＯＭ", // full-width, which the IDNA mapping folds
		"ada%eve@example.com",
		"eve!ada@example.com",
		"ada@192.0.2.1",
		"ada@exam_ple.com",
		"ada@xn--zz.example",
		"ada@straße.de",
		"ada@\u0661\u0662.example", // Arabic-Indic digits
		"a.b-c_d+e@a-b.example",
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
		local, domain, ok := strings.Cut(n, "@")
		if !ok || local == "" || !strings.Contains(domain, ".") || strings.Contains(domain, "@") {
			t.Errorf("NormaliseEmail(%q) = %q is not one local part and one dotted domain", s, n)
		}
		if len(local) > 64 {
			t.Errorf("NormaliseEmail(%q) = %q: local part of %d characters", s, n, len(local))
		}
		for i := 0; i < len(n); i++ {
			if n[i] >= 0x80 || n[i] <= 0x20 {
				t.Fatalf("NormaliseEmail(%q) = %q is not printable ASCII", s, n)
			}
		}
		if strings.ContainsAny(n, "%!\"()<>[],;:\\") || strings.Contains(n, "=?") || strings.Contains(n, "?=") {
			t.Errorf("NormaliseEmail(%q) = %q holds a character or encoded word the service refuses", s, n)
		}
	})
}

// TestSign: a tag verifies only for the same purpose, the same parts (split
// the same way) and the same pepper.
func TestSign(t *testing.T) {
	k, _ := NewKeyer([]byte(strings.Repeat("p", 32)))
	other, _ := NewKeyer([]byte(strings.Repeat("q", 32)))
	tag := k.Sign("unsubscribe", "abc", "20260301")
	if len(tag) != 22 || strings.ContainsAny(tag, "+/=") {
		t.Fatalf("tag %q, want 22 base64url characters", tag)
	}
	if !k.Verify(tag, "unsubscribe", "abc", "20260301") {
		t.Fatal("a tag does not verify")
	}
	for name, ok := range map[string]bool{
		"other purpose": k.Verify(tag, "confirm", "abc", "20260301"),
		"other part":    k.Verify(tag, "unsubscribe", "abd", "20260301"),
		"parts joined":  k.Verify(tag, "unsubscribe", "abc20260301"),
		"other pepper":  other.Verify(tag, "unsubscribe", "abc", "20260301"),
		"empty tag":     k.Verify("", "unsubscribe", "abc", "20260301"),
	} {
		if ok {
			t.Errorf("%s: verifies", name)
		}
	}
}
