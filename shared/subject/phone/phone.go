// Package phone reads phone numbers with the international numbering plan
// metadata. The metadata is compiled into plain Go tables (metadata.go,
// written by cmd/phonetables from libphonenumber's): reading a number
// compiles the patterns of its plan on first use, so a cold start pays
// nothing, and no protobuf runtime is linked. Services receive E164 as a
// subject.PhoneNormaliser where they are wired, so that functions that read
// no phone number do not carry the tables.
package phone

import (
	"strconv"
	"strings"

	"github.com/claritru/privacy/shared/subject"
)

var _ subject.PhoneNormaliser = E164

// MaxLength is the longest phone number accepted as typed, separators
// included.
const MaxLength = 32

// E164 returns the E.164 form of a number. A number without a country code is
// read in region (ISO 3166-1 alpha-2, any case); subject.Identify chooses
// the region. Anything that is not a valid number is subject.ErrPhone.
//
// A number is typed with ASCII digits, a leading plus and the separators
// space - . ( ) /; letters (vanity numbers), extensions and other scripts'
// digits are refused: none of them can receive a text, and a form asks
// for a number, not a dialling string.
func E164(s, region string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxLength {
		return "", subject.ErrPhone
	}
	cc, national, ok := parse(s, strings.ToUpper(region))
	if !ok || !validNumber(cc, national) {
		return "", subject.ErrPhone
	}
	return "+" + strconv.Itoa(cc) + national, nil
}

// TextsTo says whether the service texts a number (E.164): US numbers only.
// Anyone can type a number into the consent form, and each SMS grant texts
// a code; a code to a premium or far-away number is how SMS pumping (toll
// fraud) earns money. The company serves US practices, so a code goes only
// to a number of the US plan, not to the rest of +1 (the Caribbean
// countries share the code and their rates).
func TextsTo(e164 string) bool {
	cc, national, ok := parse(e164, "")
	return ok && regionOf(cc, national) == "US"
}

// validNumber says whether the national number is a number of its region's
// plan (libphonenumber's IsValidNumber).
func validNumber(cc int, national string) bool {
	region := regionOf(cc, national)
	p := planOf(cc, region)
	if p == nil || (region != "001" && p.cc != cc) {
		return false
	}
	return p.valid(national)
}

// typed says whether s is made of the characters a number is typed with.
func typed(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '+', c == ' ', c == '-', c == '.', c == '(', c == ')', c == '/':
		default:
			return false
		}
	}
	return true
}

// viable is libphonenumber's test of a possible number, for typed
// characters: two digits alone, or a run of pluses then at least three
// digits among separators.
func viable(s string) bool {
	if len(s) < 2 {
		return false
	}
	if len(s) == 2 && digitsOnly(s) {
		return true
	}
	rest := strings.TrimLeft(s, "+")
	return !strings.Contains(rest, "+") && len(digits(rest)) >= 3
}

func digitsOnly(s string) bool { return len(digits(s)) == len(s) }

// digits keeps the digits of s.
func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
