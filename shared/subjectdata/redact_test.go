package subjectdata

import "testing"

func TestRedact(t *testing.T) {
	cases := []struct {
		name, in, want string
		n              int
	}{
		{"nothing to hide", "Please send me a copy of my records.", "Please send me a copy of my records.", 0},
		{"empty", "", "", 0},
		{"SSN with dashes", "My SSN is 123-45-6789, thanks", "My SSN is [redacted], thanks", 1},
		{"SSN with spaces", "ssn 123 45 6789", "ssn [redacted]", 1},
		{"SSN as nine digits", "SSN:123456789.", "SSN:[redacted].", 1},
		{"card with spaces", "card 4111 1111 1111 1111 expired", "card [redacted] expired", 1},
		{"card with dashes", "4111-1111-1111-1111", "[redacted]", 1},
		{"card run passing Luhn", "Amex 378282246310005 on file", "Amex [redacted] on file", 1},
		{"card then a year", "4111 1111 1111 1111 2026", "[redacted] 2026", 1},
		{"grouped digits failing Luhn", "ref 1234 5678 9012 3456", "ref 1234 5678 9012 3456", 0},
		{"account number", "account 000123456789 at the bank", "account [redacted] at the bank", 1},
		{"ten-digit phone run", "call 4155550100", "call [redacted]", 1},
		{"eight digits stay", "member 12345678", "member 12345678", 0},
		{"formatted phone stays", "+1 415 555 0100 or 415-555-0100", "+1 415 555 0100 or 415-555-0100", 0},
		{"dates and times stay", "on 2026-03-02 at 09:30", "on 2026-03-02 at 09:30", 0},
		{"digits inside a hash stay", "sha 9b2d4c7e1f3a5b6c8d0e2f41234567890123a", "sha 9b2d4c7e1f3a5b6c8d0e2f41234567890123a", 0},
		{"password after colon", "password: hunter2", "password: [redacted]", 1},
		{"password is", "My password is correcthorse.", "My password is [redacted].", 1},
		{"passcode without connector needs a digit", "passcode 8841", "passcode [redacted]", 1},
		{"password as a word stays", "I forgot my password and need help", "I forgot my password and need help", 0},
		{"PIN", "my PIN is 1234", "my PIN is [redacted]", 1},
		{"pin code", "Pin code: 0000", "Pin code: [redacted]", 1},
		{"pin as a verb stays", "please pin the note", "please pin the note", 0},
		{"passwords plural stays", "passwords are hashed", "passwords are hashed", 0},
		{"security answer", "security answer = Rex", "security answer = [redacted]", 1},
		{"several", "SSN 123-45-6789, card 5555555555554444, PIN=77", "SSN [redacted], card [redacted], PIN=[redacted]", 3},
		{"line breaks", "line one\nSSN 123-45-6789\nline three", "line one\nSSN [redacted]\nline three", 1},
		{"a secret number counts once", "PIN: 123456789", "PIN: [redacted]", 1},
	}
	for _, c := range cases {
		got, n := Redact(c.in)
		if got != c.want || n != c.n {
			t.Errorf("%s: Redact(%q) = %q, %d; want %q, %d", c.name, c.in, got, n, c.want, c.n)
		}
	}
}

func TestLuhn(t *testing.T) {
	for _, c := range []struct {
		digits string
		ok     bool
	}{
		{"4111111111111111", true},
		{"4111111111111112", false},
		{"79927398713", true},
		{"0", true},
		{"378282246310005", true},
	} {
		if got := luhn(c.digits); got != c.ok {
			t.Errorf("luhn(%s) = %v, want %v", c.digits, got, c.ok)
		}
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"SSN 123-45-6789", "4111 1111 1111 1111", "password: x", "PIN-1234", "1-2-3-4-5-6-7-8-9-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, n := Redact(s)
		if n < 0 || (n == 0 && out != s) {
			t.Fatalf("Redact(%q) = %q, %d", s, out, n)
		}
		if again, m := Redact(out); m != 0 && again == out {
			t.Fatalf("Redact counted %d without changing %q", m, out)
		}
	})
}

// Identifiers that mix letters and digits: health plan member ids, Medicare
// numbers, driver's licences (11 CCR §7024(d): health insurance and
// government identification numbers).
func TestRedactMixedIdentifiers(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"member XYZ123456789 please", "member [redacted] please"},
		{"Medicare 1EG4-TE5-MK73.", "Medicare [redacted]."},
		{"licence A1234567", "licence [redacted]"},
		{"room B12 on floor 3", "room B12 on floor 3"},
		{"request 01M8KJ4FPXYBGG1CWX9XMD8DW5", "request 01M8KJ4FPXYBGG1CWX9XMD8DW5"},
	} {
		if got, _ := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
