package subjectdata

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// k is shorthand for the kinds a case expects withheld.
type k = Withheld

func TestRedact(t *testing.T) {
	cases := []struct {
		name, in, want string
		kinds          Withheld
	}{
		{"nothing to hide", "Please send me a copy of my records.", "Please send me a copy of my records.", k{}},
		{"empty", "", "", k{}},
		{"SSN with dashes", "My SSN is 123-45-6789, thanks", "My SSN is [redacted], thanks", k{SSN: 1}},
		{"SSN unlabelled", "number 123-45-6789 here", "number [redacted] here", k{SSN: 1}},
		{"SSN with spaces", "ssn 123 45 6789", "ssn [redacted]", k{SSN: 1}},
		{"SSN as nine digits", "SSN:123456789.", "SSN:[redacted].", k{SSN: 1}},
		{"card with spaces", "card 4111 1111 1111 1111 expired", "card [redacted] expired", k{PaymentCard: 1}},
		{"card with dashes", "4111-1111-1111-1111", "[redacted]", k{PaymentCard: 1}},
		{"card run passing Luhn", "Amex 378282246310005 on file", "Amex [redacted] on file", k{PaymentCard: 1}},
		{"card then a year", "4111 1111 1111 1111 2026", "[redacted] 2026", k{PaymentCard: 1}},
		{"card after a spared label", "order 4111111111111111", "order [redacted]", k{PaymentCard: 1}},
		{"grouped digits failing Luhn", "ref 1234 5678 9012 3456", "ref 1234 5678 9012 3456", k{}},
		{"account number", "account 000123456789 at the bank", "account [redacted] at the bank", k{IDNumber: 1}},
		{"unlabelled ten-digit run", "number 4155550100", "number [redacted]", k{IDNumber: 1}},
		{"eight digits stay", "member 12345678", "member 12345678", k{}},
		{"password after colon", "password: hunter2", "password: [redacted]", k{Password: 1}},
		{"password is", "My password is correcthorse.", "My password is [redacted].", k{Password: 1}},
		{"passcode without connector needs a digit", "passcode 8841", "passcode [redacted]", k{Password: 1}},
		{"password as a word stays", "I forgot my password and need help", "I forgot my password and need help", k{}},
		{"PIN", "my PIN is 1234", "my PIN is [redacted]", k{Password: 1}},
		{"pin code", "Pin code: 0000", "Pin code: [redacted]", k{Password: 1}},
		{"pin as a verb stays", "please pin the note", "please pin the note", k{}},
		{"passwords plural stays", "passwords are hashed", "passwords are hashed", k{}},
		{"several", "SSN 123-45-6789, card 5555555555554444, PIN=77", "SSN [redacted], card [redacted], PIN=[redacted]", k{SSN: 1, PaymentCard: 1, Password: 1}},
		{"line breaks", "line one\nSSN 123-45-6789\nline three", "line one\nSSN [redacted]\nline three", k{SSN: 1}},
		{"a secret number counts once", "PIN: 123456789", "PIN: [redacted]", k{Password: 1}},

		// Driver's licences.
		{"NY licence in groups", "NY DL 123 456 789", "NY DL [redacted]", k{DriversLicense: 1}},
		{"licence with a letter", "driver's license: A1234567.", "driver's license: [redacted].", k{DriversLicense: 1}},
		{"driving licence number", "Driving licence no. MORGA753116SM9IJ", "Driving licence no. [redacted]", k{DriversLicense: 1}},
		{"licence renewed stays", "my licence was renewed in 2026", "my licence was renewed in 2026", k{}},
		{"passport", "passport number 533 412 876", "passport number [redacted]", k{GovernmentID: 1}},
		// Bank accounts and IBANs.
		{"bank acct", "bank acct 12345678", "bank acct [redacted]", k{FinancialAccount: 1}},
		{"checking account", "my checking account #00012345 is closed", "my checking account #[redacted] is closed", k{FinancialAccount: 1}},
		{"account number", "Account number: 4567-8901", "Account number: [redacted]", k{FinancialAccount: 1}},
		{"routing number", "routing no. 021000021", "routing no. [redacted]", k{FinancialAccount: 1}},
		{"IBAN in groups", "pay to DE89 3704 0044 0532 0130 00 please", "pay to [redacted] please", k{FinancialAccount: 1}},
		{"IBAN with letters", "IBAN GB82 WEST 1234 5698 7654 32.", "IBAN [redacted].", k{FinancialAccount: 1}},
		{"IBAN unspaced lower case", "fr1420041010050500013m02606", "[redacted]", k{FinancialAccount: 1}},
		{"two IBANs", "DE89 3704 0044 0532 0130 00 and GB82 WEST 1234 5698 7654 32", "[redacted] and [redacted]", k{FinancialAccount: 2}},
		{"IBAN-shaped word stays", "see section AB12 CDEF GHIJ KLMN", "see section AB12 CDEF GHIJ KLMN", k{}},
		// Medical record numbers.
		{"MRN", "MRN 00451234", "MRN [redacted]", k{MedicalRecord: 1}},
		{"MRN with colon", "patient MRN: 00451234, seen Tuesday", "patient MRN: [redacted], seen Tuesday", k{MedicalRecord: 1}},
		{"medical record number", "medical record number 7781-2290", "medical record number [redacted]", k{MedicalRecord: 1}},
		{"patient id", "Patient ID PT-0045123", "Patient ID [redacted]", k{MedicalRecord: 1}},
		{"short MRN-like count stays", "MRN 1234", "MRN 1234", k{}},
		// Health insurance.
		{"member id", "member ID: XYZ123456789", "member ID: [redacted]", k{HealthInsurance: 1}},
		{"subscriber id", "subscriber id W987654321", "subscriber id [redacted]", k{HealthInsurance: 1}},
		{"policy number", "policy number 4455-667788", "policy number [redacted]", k{HealthInsurance: 1}},
		{"Medicare labelled", "Medicare 1EG4-TE5-MK73.", "Medicare [redacted].", k{HealthInsurance: 1}},
		{"MBI unlabelled", "my number is 1EG4TE5MK73 ok", "my number is [redacted] ok", k{HealthInsurance: 1}},
		{"MBI-like with excluded letter stays unlabelled-id", "code 1SG4-TE5-MK73", "code [redacted]", k{IDNumber: 1}},
		{"privacy policy year stays", "your privacy policy of 2026", "your privacy policy of 2026", k{}},
		// Security answers.
		{"security answer", "security answer = Rex", "security answer = [redacted]", k{SecurityAnswer: 1}},
		{"security answer several words", "Security answer: New York City. Thanks", "Security answer: [redacted]. Thanks", k{SecurityAnswer: 1}},
		{"security question answer is", "my security question answer is fluffy, and more", "my security question answer is [redacted], and more", k{SecurityAnswer: 1}},
		{"maiden name", "mother's maiden name: Smith", "mother's maiden name: [redacted]", k{SecurityAnswer: 1}},
		{"security answer as a topic stays", "I forgot my security answer and need help", "I forgot my security answer and need help", k{}},

		// Near misses that must stay.
		{"ISO date", "on 2026-03-02 at 09:30", "on 2026-03-02 at 09:30", k{}},
		{"US date", "born 03/02/1990, moved 12/31/2020", "born 03/02/1990, moved 12/31/2020", k{}},
		{"compact date", "since 20260302", "since 20260302", k{}},
		{"formatted phones", "+1 415 555 0100 or 415-555-0100 or (415) 555-0100 or 415.555.0100", "+1 415 555 0100 or 415-555-0100 or (415) 555-0100 or 415.555.0100", k{}},
		{"phone run labelled", "call 4155550100", "call 4155550100", k{}},
		{"phone number labelled", "phone: 4155550100", "phone: 4155550100", k{}},
		{"international phone", "reach me on +442071838750", "reach me on +442071838750", k{}},
		{"order number", "order number 12345678", "order number 12345678", k{}},
		{"order long run", "Order #1002345678 arrived", "Order #1002345678 arrived", k{}},
		{"order with letters", "order A12345678 and invoice INV2026000123", "order A12345678 and invoice INV2026000123", k{}},
		{"ticket reference", "ticket REF-2026-004512", "ticket REF-2026-004512", k{}},
		{"ZIP codes", "ZIP 94103 or 94103-1234", "ZIP 94103 or 94103-1234", k{}},
		{"unlabelled ZIP+4", "San Francisco, CA 94103-1234", "San Francisco, CA 94103-1234", k{}},
		{"digits inside a hash stay", "sha 9b2d4c7e1f3a5b6c8d0e2f41234567890123a", "sha 9b2d4c7e1f3a5b6c8d0e2f41234567890123a", k{}},
		{"ULID stays", "request 01M8KJ4FPXYBGG1CWX9XMD8DW5", "request 01M8KJ4FPXYBGG1CWX9XMD8DW5", k{}},
		{"room stays", "room B12 on floor 3", "room B12 on floor 3", k{}},
		{"amount stays", "refund of $1,234.56 on 4 May", "refund of $1,234.56 on 4 May", k{}},
	}
	for _, c := range cases {
		got, kinds := RedactKinds(c.in)
		if got != c.want || !sameKinds(kinds, c.kinds) {
			t.Errorf("%s: RedactKinds(%q) = %q, %v; want %q, %v", c.name, c.in, got, kinds, c.want, c.kinds)
		}
		if s, n := Redact(c.in); s != got || n != c.kinds.Total() {
			t.Errorf("%s: Redact = %q, %d; want the same text and %d", c.name, s, n, c.kinds.Total())
		}
	}
}

func sameKinds(a, b Withheld) bool {
	for _, kind := range Kinds {
		if a[kind] != b[kind] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestIBANCheck(t *testing.T) {
	for _, c := range []struct {
		iban string
		ok   bool
	}{
		{"DE89370400440532013000", true},
		{"GB82WEST12345698765432", true},
		{"NL91ABNA0417164300", true},
		{"DE89370400440532013001", false}, // one digit off
		{"DE98370400440532013000", false}, // check digits swapped
		{"GB82WEST1234569876543", false},  // a digit short
		{"DE00370400440532013000", false}, // check digits out of range
		{"1289370400440532013000", false}, // no country
	} {
		if got := ibanValid(c.iban); got != c.ok {
			t.Errorf("ibanValid(%s) = %v, want %v", c.iban, got, c.ok)
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

func TestWithheldListNamesKindsInOrder(t *testing.T) {
	w := Withheld{Password: 1, MedicalRecord: 2}
	got := w.List()
	if len(got) != 2 || got[0].Type != MedicalRecord || got[0].Count != 2 || got[0].Label != "medical record number" ||
		got[1].Type != Password || got[1].Label != "password, passcode or PIN" {
		t.Fatalf("List() = %+v", got)
	}
	if l := (Withheld{}).List(); l == nil || len(l) != 0 {
		t.Fatalf("empty List() = %#v", l)
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"SSN 123-45-6789", "4111 1111 1111 1111", "password: x", "PIN-1234", "1-2-3-4-5-6-7-8-9-0",
		"NY DL 123 456 789", "bank acct 12345678", "MRN 00451234", "DE89 3704 0044 0532 0130 00", "member id XYZ123456789",
		"1EG4-TE5-MK73", "security answer: Rex", "order 1234567890", "+14155550100"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, w := RedactKinds(s)
		n := w.Total()
		if n < 0 || (n == 0 && out != s) {
			t.Fatalf("RedactKinds(%q) = %q, %v", s, out, w)
		}
		for kind, c := range w {
			if !KnownKind(kind) || c <= 0 {
				t.Fatalf("RedactKinds(%q) counted %d of kind %q", s, c, kind)
			}
		}
		if n > 0 && strings.Count(out, Redacted) < n-strings.Count(s, Redacted) {
			t.Fatalf("RedactKinds(%q) = %q: %d withheld but fewer markers", s, out, n)
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("RedactKinds(%q) = %q: not UTF-8", s, out)
		}
		if again, m := Redact(out); m != 0 && again == out {
			t.Fatalf("Redact counted %d without changing %q", m, out)
		}
	})
}

// samples are values §7024(d) forbids disclosing, each as a person might
// type it.
var samples = []string{
	"SSN 123-45-6789", "4111 1111 1111 1111", "password: hunter2", "NY DL 123 456 789", "bank acct 12345678",
	"MRN 00451234", "DE89 3704 0044 0532 0130 00", "member ID XYZ123456789", "1EG4-TE5-MK73",
	"security answer: Rex", "passport 533412876", "routing number 021000021",
}

// FuzzRedactHides embeds each sample between fuzzed words: whatever
// surrounds it, the sample never comes out whole.
func FuzzRedactHides(f *testing.F) {
	f.Add("Hello,", "thanks.", uint8(0))
	f.Add("order", "2026-03-02", uint8(4))
	f.Add("call", "+1 415 555 0100", uint8(6))
	f.Fuzz(func(t *testing.T, before, after string, pick uint8) {
		sample := samples[int(pick)%len(samples)]
		in := before + " " + sample + " " + after
		out, w := RedactKinds(in)
		if strings.Contains(out, sample) || w.Total() == 0 {
			t.Fatalf("RedactKinds(%q) = %q, %v: the sample %q came out", in, out, w, sample)
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
