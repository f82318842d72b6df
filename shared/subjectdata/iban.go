package subjectdata

import (
	"regexp"
	"strings"
	"sync"
)

// ibanRE finds where an IBAN may start: a country code and two check
// digits at the start of a word, and the groups that may follow (letters
// and digits, printed in groups of four). Which of those groups belong to
// the IBAN the mod-97 check decides.
var ibanRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\b[a-z]{2}[0-9]{2}[a-z0-9]*(?: [a-z0-9]+)*\b`) })

// redactIBANs withholds every IBAN in s: of the groups from a possible
// start, the longest prefix that is 15 to 34 characters long and passes the
// ISO 13616 check (ISO 7064 mod 97-10). The check, not the shape, decides,
// so words and numbers that merely look like an IBAN stay.
func redactIBANs(s string, w Withheld) string {
	return replaceAll(ibanRE(), s, func(s string, m []int, b *strings.Builder) {
		b.WriteString(redactIBANRun(s[m[0]:m[1]], w))
	})
}

// redactIBANRun redacts the IBANs in a run of space-separated groups, the
// first of which starts like one.
func redactIBANRun(run string, w Withheld) string {
	groups := strings.Split(run, " ")
	var b strings.Builder
	for i := 0; i < len(groups); {
		if i > 0 {
			b.WriteByte(' ')
		}
		end := -1
		compact := ""
		for j := i; j < len(groups) && len(compact) <= 34; j++ {
			compact += groups[j]
			if len(compact) >= 15 && len(compact) <= 34 && ibanValid(compact) {
				end = j
			}
		}
		if end < 0 {
			b.WriteString(groups[i])
			i++
			continue
		}
		w[FinancialAccount]++
		b.WriteString(Redacted)
		i = end + 1
	}
	return b.String()
}

// ibanValid reports whether s (no spaces) is a well-formed IBAN: two
// letters, check digits 02 to 98, letters and digits after, and the number
// made by moving the first four characters to the end and writing each
// letter as 10 to 35 leaves 1 when divided by 97 (ISO 13616-1).
func ibanValid(s string) bool {
	s = strings.ToUpper(s)
	if len(s) < 15 || len(s) > 34 || !isUpper(s[0]) || !isUpper(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	if check := s[2:4]; check < "02" || check > "98" {
		return false
	}
	rem := 0
	for _, c := range []byte(s[4:] + s[:4]) {
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case isUpper(c):
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
