package phone

import (
	"strconv"
	"strings"
)

// parse reads a typed number as libphonenumber's Parse does: its calling
// code and national (significant) number, the national prefix removed.
func parse(s, region string) (int, string, bool) {
	if !typed(s) {
		return 0, "", false
	}
	// A number starts at its first digit or plus.
	start := strings.IndexAny(s, "+0123456789")
	if start < 0 {
		return 0, "", false
	}
	s = s[start:]
	if !viable(s) {
		return 0, "", false
	}
	home := regionPlan(region)
	if home == nil && !strings.Contains(s, "+") {
		// Without a region only an international number can be read.
		return 0, "", false
	}
	cc, national, ok := extractCountryCode(s, home)
	if !ok && strings.HasPrefix(s, "+") {
		// A plus before an international prefix (+00 49...): read it
		// without the plus.
		cc, national, ok = extractCountryCode(strings.TrimLeft(s, "+"), home)
		ok = ok && cc != 0
	}
	if !ok {
		return 0, "", false
	}
	p := home
	if cc != 0 {
		if main := regionsOf(cc)[0]; main != region {
			p = planOf(cc, main)
		}
	} else {
		national = digits(s)
		cc = home.cc
	}
	if len(national) < 2 {
		return 0, "", false
	}
	if p != nil {
		// The national prefix goes only if what is left is of a possible
		// length: else the number may be a short one that starts alike.
		if stripped := p.stripNationalPrefix(national); p.fitsStripped(stripped) {
			national = stripped
		}
	}
	if len(national) < 2 || len(national) > 17 {
		return 0, "", false
	}
	return cc, national, true
}

func (p *plan) fitsStripped(n string) bool {
	switch p.fit(n) {
	case tooShort, localOnly, invalidLength:
		return false
	}
	return true
}

// extractCountryCode is libphonenumber's maybeExtractCountryCode: the
// calling code after a plus or the home region's international prefix, or
// the home region's own code typed without either; 0 when the number is
// national. It fails on a code that does not exist.
func extractCountryCode(s string, home *plan) (int, string, bool) {
	idd := "NonMatch"
	if home != nil {
		idd = home.idd
	}
	full, international := stripInternationalPrefix(s, idd)
	if international {
		if len(full) <= 2 {
			return 0, "", false
		}
		cc, national := countryCode(full)
		return cc, national, cc != 0
	}
	if home == nil {
		return 0, "", true
	}
	code := strconv.Itoa(home.cc)
	if !strings.HasPrefix(full, code) {
		return 0, "", true
	}
	national := home.stripNationalPrefix(full[len(code):])
	if (!whole(home.general.pattern, full) && whole(home.general.pattern, national)) || home.fit(full) == tooLong {
		return home.cc, national, true
	}
	return 0, "", true
}

// stripInternationalPrefix returns the digits of s without a leading plus
// or international prefix, and whether it had one. A prefix followed by 0
// is not one: no calling code starts with 0.
func stripInternationalPrefix(s, idd string) (string, bool) {
	if strings.HasPrefix(s, "+") {
		return digits(strings.TrimLeft(s, "+")), true
	}
	d := digits(s)
	loc := pattern(idd).FindStringIndex(d)
	if loc == nil || loc[0] != 0 {
		return d, false
	}
	if rest := d[loc[1]:]; rest != "" && rest[0] == '0' {
		return d, false
	}
	return d[loc[1]:], true
}
