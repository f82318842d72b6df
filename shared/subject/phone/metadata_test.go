package phone

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// The tables and the reading built on them (no protobuf, nothing decoded at
// start) must answer as libphonenumber does. The library is the reference
// here only: the functions do not link it.

// reference is E164 as libphonenumber answers it.
func reference(s, region string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxLength {
		return "", false
	}
	n, err := phonenumbers.Parse(s, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

func referenceTextsTo(e164 string) bool {
	n, err := phonenumbers.Parse(e164, "")
	return err == nil && phonenumbers.GetRegionCodeForNumber(n) == "US"
}

// agree compares E164 and TextsTo with the library on one input; it
// returns whether the input is a valid number.
func agree(t *testing.T, s, region string) bool {
	t.Helper()
	want, wantOK := reference(s, region)
	got, err := E164(s, region)
	if (err == nil) != wantOK || got != want {
		t.Errorf("E164(%q, %q) = %q, %v; libphonenumber: %q, %v", s, region, got, err, want, wantOK)
	}
	if TextsTo(s) != referenceTextsTo(s) {
		t.Errorf("TextsTo(%q) = %v; libphonenumber: %v", s, TextsTo(s), referenceTextsTo(s))
	}
	return wantOK
}

// samples are the example numbers of every plan and kind of number, as the
// library writes them.
func samples() []*phonenumbers.PhoneNumber {
	var out []*phonenumbers.PhoneNumber
	kinds := []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
		phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER,
		phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL}
	for _, r := range slices.Sorted(mapKeys(phonenumbers.GetSupportedRegions())) {
		for _, k := range kinds {
			if n := phonenumbers.GetExampleNumberForType(r, k); n != nil {
				out = append(out, n)
			}
		}
	}
	for _, cc := range slices.Sorted(mapKeys(phonenumbers.GetSupportedGlobalNetworkCallingCodes())) {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(cc); n != nil {
			out = append(out, n)
		}
	}
	return out
}

func mapKeys[K comparable](m map[K]bool) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Every example number of every plan, written in the ways people type it
// (international, national in its own region, with the IDD prefix of
// another, without separators) and altered (a digit less, more, changed),
// read in its own region, in others and in none.
func TestE164AgreesWithLibphonenumberOnExamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 1))
	others := append(slices.Sorted(mapKeys(phonenumbers.GetSupportedRegions())), "XX")
	valid, n := 0, 0
	for _, ex := range samples() {
		region := phonenumbers.GetRegionCodeForNumber(ex)
		forms := []string{
			phonenumbers.Format(ex, phonenumbers.E164),
			phonenumbers.Format(ex, phonenumbers.INTERNATIONAL),
			phonenumbers.Format(ex, phonenumbers.NATIONAL),
			phonenumbers.FormatOutOfCountryCallingNumber(ex, "US"),
			phonenumbers.FormatOutOfCountryCallingNumber(ex, "DE"),
			phonenumbers.FormatOutOfCountryCallingNumber(ex, "AU"),
			phonenumbers.GetNationalSignificantNumber(ex),
			strconv.Itoa(int(ex.GetCountryCode())) + phonenumbers.GetNationalSignificantNumber(ex),
		}
		for _, f := range slices.Clone(forms) {
			forms = append(forms, alter(rng, f), alter(rng, f))
		}
		for _, f := range forms {
			for _, r := range []string{region, "", "US", others[rng.IntN(len(others))]} {
				n++
				if agree(t, f, r) {
					valid++
				}
			}
		}
	}
	t.Logf("%d inputs, %d valid", n, valid)
	if valid < n/10 {
		t.Errorf("only %d of %d inputs valid: the sample tests little", valid, n)
	}
}

// alter changes a digit, drops one, adds one, or adds separators.
func alter(rng *rand.Rand, s string) string {
	b := []byte(s)
	var at []int
	for i, c := range b {
		if c >= '0' && c <= '9' {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return s
	}
	i := at[rng.IntN(len(at))]
	switch rng.IntN(4) {
	case 0:
		b[i] = byte('0' + rng.IntN(10))
	case 1:
		b = append(b[:i], b[i+1:]...)
	case 2:
		b = slices.Insert(b, i, byte('0'+rng.IntN(10)))
	default:
		b = slices.Insert(b, i, "-. ()/"[rng.IntN(6)])
	}
	return string(b)
}

// Random strings of the characters numbers are typed with, mostly digits,
// often with a plus or an international prefix in front, in many regions.
func TestE164AgreesWithLibphonenumberOnRandomInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 2))
	regions := slices.Sorted(mapKeys(phonenumbers.GetSupportedRegions()))
	regions = append(regions, "", "", "", "XX", "001", "us", "de")
	prefixes := []string{"", "", "", "+", "+", "00", "011", "0", "+0", "++", "(", "+1 ", "1", "+44 (0)", "810", "0011", "+00"}
	valid, n := 0, 0
	for range 40000 {
		var b strings.Builder
		b.WriteString(prefixes[rng.IntN(len(prefixes))])
		for range 2 + rng.IntN(14) {
			if rng.IntN(6) == 0 {
				b.WriteByte(" -.()/+"[rng.IntN(7)])
			} else {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
		n++
		if agree(t, b.String(), regions[rng.IntN(len(regions))]) {
			valid++
		}
	}
	t.Logf("%d inputs, %d valid", n, valid)
}

// What is typed otherwise (letters, extensions, other digits, dialling
// strings) is refused, though the library may read some of it: the refusal
// is by design, never a different number.
func TestE164RefusesWhatIsNotTypedAsANumber(t *testing.T) {
	for _, s := range []string{"1-800-FLOWERS", "+1 415 555 0100 ext. 12", "+1 415 555 0100;ext=12",
		"tel:+1-415-555-0100", "+١٤١٥٥٥٥٠١٠٠", "+1 415 555 0100#", "415~555~0100"} {
		if got, err := E164(s, "US"); err == nil {
			t.Errorf("E164(%q) = %q, want refused", s, got)
		}
	}
}
