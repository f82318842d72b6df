package subjectdata

import (
	"regexp"
	"strings"
)

// Redacted stands in for a value a response must not disclose.
const Redacted = "[redacted]"

// A response to a request to know must never disclose a Social Security
// number, government ID, financial account number, password or security
// answer (11 CCR §7024(d)). People type such things into free-text fields
// ("my SSN is ..."), so an export scans every free-text value before it
// leaves the service.
var (
	// secretRE finds a password, passcode or PIN and the value after it. The
	// connector (":", "=", "is", ...) is optional; without one the value
	// must contain a digit, so that "forgot my password and" is left alone.
	secretRE = regexp.MustCompile(`(?i)\b(pass(?:word|code|phrase)|passwd|pin(?:[ -]?(?:code|number))?|security answer)\b(\s*(?:[:=#]|-|\bis\b|\bwas\b)?\s*)(\S+)`)
	// numberRE finds a standalone number: digit groups joined by single
	// spaces or dashes, not part of a longer word (so hashes and ids, where
	// digits touch letters, are left alone).
	numberRE = regexp.MustCompile(`\b\d+(?:[ -]\d+)*\b`)
	// idRE matches identifiers that mix letters and digits, such as health
	// plan member ids, Medicare numbers and driver's licence numbers
	// (1EG4-TE5-MK73, XYZ123456789, A1234567); only those of 8 to 20
	// characters with at least five digits are redacted.
	idRE = regexp.MustCompile(`\b[A-Za-z0-9]*(?:[A-Za-z][0-9]|[0-9][A-Za-z])[A-Za-z0-9]*(?:-[A-Za-z0-9]+)*\b`)
)

// Redact returns s with the data 11 CCR §7024(d) forbids disclosing replaced
// by [redacted], and how many values it replaced:
//   - a password, passcode, passphrase, PIN or security answer after its name;
//   - a payment card number: 13 to 19 digits, optionally grouped by spaces
//     or dashes, passing the Luhn check;
//   - a US Social Security number: ddd-dd-dddd (or spaced), or 9 digits in a
//     row;
//   - any other run of 10 or more digits in a row (account-like numbers).
func Redact(s string) (string, int) {
	n := 0
	s = replaceAll(secretRE, s, func(s string, m []int, b *strings.Builder) {
		value := s[m[6]:m[7]]
		trimmed := strings.TrimRight(value, `.,;:!?)"'`)
		connector := strings.TrimSpace(s[m[4]:m[5]]) != ""
		if trimmed == "" || strings.HasPrefix(trimmed, Redacted) || (!connector && !strings.ContainsAny(trimmed, "0123456789")) {
			b.WriteString(s[m[0]:m[1]])
			return
		}
		n++
		b.WriteString(s[m[0]:m[6]])
		b.WriteString(Redacted)
		b.WriteString(value[len(trimmed):])
	})
	s = replaceAll(idRE, s, func(s string, m []int, b *strings.Builder) {
		id := s[m[0]:m[1]]
		// Long enough to be an identifier, short enough not to be a hash
		// or a ULID (26 characters).
		alnum := len(strings.ReplaceAll(id, "-", ""))
		if alnum >= 8 && alnum <= 20 && digits(id) >= 5 {
			n++
			b.WriteString(Redacted)
			return
		}
		b.WriteString(id)
	})
	s = replaceAll(numberRE, s, func(s string, m []int, b *strings.Builder) {
		out, k := redactNumber(s[m[0]:m[1]])
		n += k
		b.WriteString(out)
	})
	return s, n
}

// replaceAll calls f for every match of re in s, f writing the replacement.
func replaceAll(re *regexp.Regexp, s string, f func(s string, m []int, b *strings.Builder)) string {
	ms := re.FindAllStringSubmatchIndex(s, -1)
	if len(ms) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		b.WriteString(s[last:m[0]])
		f(s, m, &b)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// group is one run of digits in a number: s[start:end].
type group struct{ start, end int }

// redactNumber redacts within one standalone number (digit groups joined by
// single spaces or dashes). Card numbers are looked for first across
// groups, then Social Security numbers, then long single runs.
func redactNumber(s string) (string, int) {
	var gs []group
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		gs = append(gs, group{i, j})
		i = j + 1 // skip the one separator
	}
	var b strings.Builder
	n, last := 0, 0
	redact := func(from, to int) {
		b.WriteString(s[last:gs[from].start])
		b.WriteString(Redacted)
		last = gs[to].end
		n++
	}
	for i := 0; i < len(gs); {
		if j, ok := card(s, gs, i); ok {
			redact(i, j)
			i = j + 1
			continue
		}
		if i+2 < len(gs) && gs[i].end-gs[i].start == 3 && gs[i+1].end-gs[i+1].start == 2 && gs[i+2].end-gs[i+2].start == 4 {
			redact(i, i+2)
			i += 3
			continue
		}
		if gs[i].end-gs[i].start >= 9 {
			redact(i, i)
		}
		i++
	}
	b.WriteString(s[last:])
	return b.String(), n
}

// card returns the last group of the longest run of groups from i whose
// digits, 13 to 19 of them, pass the Luhn check.
func card(s string, gs []group, i int) (int, bool) {
	digits := ""
	best := -1
	for j := i; j < len(gs); j++ {
		digits += s[gs[j].start:gs[j].end]
		if len(digits) > 19 {
			break
		}
		if len(digits) >= 13 && luhn(digits) {
			best = j
		}
	}
	return best, best >= 0
}

// luhn reports whether a string of digits passes the Luhn check (ISO/IEC
// 7812-1), which every payment card number does.
func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}
