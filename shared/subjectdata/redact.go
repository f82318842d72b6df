package subjectdata

import (
	"regexp"
	"strings"
	"sync"
)

// Redacted stands in for a value a response must not disclose.
const Redacted = "[redacted]"

// A response to a request to know must never disclose a Social Security
// number, driver's license number or other government-issued
// identification number, financial account number, health insurance or
// medical identification number, account password, or security question
// and answer (11 CCR §7024(d)). People type such things into free-text
// fields ("my SSN is ...", "MRN 00451234"), so an export scans every
// free-text value before it leaves the service. The same rule requires the
// business to inform the consumer "with sufficient particularity" that it
// has collected that type of information, so the redactor reports the kind
// of each value it withheld, and the export lists the kinds by name.
//
// Where a value's kind is ambiguous the redactor withholds rather than
// discloses: an unlabelled run of nine or more digits, or an identifier
// mixing letters and digits, may be a government or account number, and is
// withheld as an identification number unless its label says it is an
// order, ticket, reference or phone number.

// Kind is the type of a withheld value, as the export and the mail that
// delivers it name it.
type Kind string

// The kinds of 11 CCR §7024(d), in the order notices list them.
const (
	SSN              Kind = "ssn"
	DriversLicense   Kind = "drivers_license"
	GovernmentID     Kind = "government_id"
	FinancialAccount Kind = "financial_account"
	PaymentCard      Kind = "payment_card"
	MedicalRecord    Kind = "medical_record_number"
	HealthInsurance  Kind = "health_insurance_id"
	Password         Kind = "password"
	SecurityAnswer   Kind = "security_answer"
	// IDNumber is an unlabelled number that may be any of the above.
	IDNumber Kind = "identification_number"
)

// Kinds lists every kind, in the order notices list them.
var Kinds = []Kind{SSN, DriversLicense, GovernmentID, FinancialAccount, PaymentCard, MedicalRecord, HealthInsurance, Password, SecurityAnswer, IDNumber}

var kindLabels = map[Kind]string{
	SSN:              "Social Security number",
	DriversLicense:   "driver's license number",
	GovernmentID:     "passport or other government identification number",
	FinancialAccount: "bank or other financial account number",
	PaymentCard:      "payment card number",
	MedicalRecord:    "medical record number",
	HealthInsurance:  "health insurance or Medicare identification number",
	Password:         "password, passcode or PIN",
	SecurityAnswer:   "answer to a security question",
	IDNumber:         "identification or account number",
}

// Label is how mails and the export name the kind; an unknown kind is
// its own name.
func (k Kind) Label() string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

// KnownKind reports whether k is one of Kinds.
func KnownKind(k Kind) bool {
	_, ok := kindLabels[k]
	return ok
}

// Withheld counts the values withheld, by kind.
type Withheld map[Kind]int

// Total is how many values were withheld.
func (w Withheld) Total() int {
	n := 0
	for _, c := range w {
		n += c
	}
	return n
}

// Add adds the counts of o to w.
func (w Withheld) Add(o Withheld) {
	for k, c := range o {
		w[k] += c
	}
}

// WithheldType is one kind withheld from an export: what it is, in words,
// and how many values of it.
type WithheldType struct {
	Type  Kind   `json:"type"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// List returns the kinds withheld, in the order of Kinds; never nil.
func (w Withheld) List() []WithheldType {
	out := []WithheldType{}
	for _, k := range Kinds {
		if w[k] > 0 {
			out = append(out, WithheldType{Type: k, Label: k.Label(), Count: w[k]})
		}
	}
	return out
}

// Redact returns s with the data 11 CCR §7024(d) forbids disclosing replaced
// by [redacted], and how many values it replaced.
func Redact(s string) (string, int) {
	out, w := RedactKinds(s)
	return out, w.Total()
}

// RedactKinds returns s with the data 11 CCR §7024(d) forbids disclosing
// replaced by [redacted], and the kinds withheld. In order:
//   - a password, passcode, passphrase or PIN after its name, and the answer
//     to a security question (to the end of its sentence);
//   - an IBAN: a country code, two check digits and 11 to 30 letters and
//     digits, optionally in groups, passing the ISO 13616 mod-97 check;
//   - a number after a label naming its kind (labels below), of at least
//     six characters with four digits;
//   - a Medicare Beneficiary Identifier in its published format;
//   - an unlabelled identifier mixing letters and digits, 8 to 20
//     characters with at least five digits;
//   - a payment card number: 13 to 19 digits, optionally grouped by spaces
//     or dashes, passing the Luhn check;
//   - a US Social Security number: ddd-dd-dddd (or spaced);
//   - any other run of 9 or more digits in a row (account-like numbers).
//
// The last two unlabelled rules spare a value labelled as an order,
// invoice, ticket, reference, tracking or phone number, and a number
// written after "+" (an international phone number).
func RedactKinds(s string) (string, Withheld) {
	w := Withheld{}
	s = redactSecrets(s, w)
	// IBANs before labels: "IBAN GB82 WEST ..." has letters in a group
	// that a label's value would stop at.
	s = redactIBANs(s, w)
	for _, l := range labelledRules() {
		s = replaceAll(l.re, s, func(s string, m []int, b *strings.Builder) {
			value := s[m[2]:m[3]]
			if digits(value) < 4 || len(value)-strings.Count(value, " ")-strings.Count(value, "-") < 6 {
				b.WriteString(s[m[0]:m[1]])
				return
			}
			w[l.kind]++
			b.WriteString(s[m[0]:m[2]])
			b.WriteString(Redacted)
		})
	}
	s = replaceAll(mbiRE(), s, func(s string, m []int, b *strings.Builder) {
		w[HealthInsurance]++
		b.WriteString(Redacted)
	})
	s = replaceAll(idRE(), s, func(s string, m []int, b *strings.Builder) {
		id := s[m[0]:m[1]]
		// Long enough to be an identifier, short enough not to be a hash
		// or a ULID (26 characters).
		alnum := len(strings.ReplaceAll(id, "-", ""))
		if alnum >= 8 && alnum <= 20 && digits(id) >= 5 && !spared(s, m[0]) {
			w[IDNumber]++
			b.WriteString(Redacted)
			return
		}
		b.WriteString(id)
	})
	s = replaceAll(numberRE(), s, func(s string, m []int, b *strings.Builder) {
		b.WriteString(redactNumber(s[m[0]:m[1]], spared(s, m[0]), w))
	})
	return s, w
}

var (
	// secretRE finds a password, passcode or PIN and the value after it. The
	// connector (":", "=", "is", ...) is optional; without one the value
	// must contain a digit, so that "forgot my password and" is left alone.
	secretRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(pass(?:word|code|phrase)|passwd|pin(?:[ -]?(?:code|number))?)\b(\s*(?:[:=#]|-|\bis\b|\bwas\b)?\s*)(\S+)`)
	})
	// answerRE finds the answer to a security question after its label and
	// a connector, up to the end of its clause: answers are often several
	// words ("New York"). Without a connector ("I forgot my security
	// answer and ...") nothing is an answer.
	answerRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:security\s+(?:question\s+)?answer|answer\s+to\s+(?:my|the|our)\s+security\s+question|secret\s+(?:question\s+)?answer|mother(?:'|’)?s\s+maiden\s+name)\s*(?:[:=]|-|\bis\b|\bwas\b)[ \t]*([^\n.,;!?]*[^\s.,;!?])`)
	})
	// numberRE finds a standalone number: digit groups joined by single
	// spaces or dashes, not part of a longer word (so hashes and ids, where
	// digits touch letters, are left alone).
	numberRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b\d+(?:[ -]\d+)*\b`) })
	// idRE matches identifiers that mix letters and digits, such as health
	// plan member ids and driver's licence numbers written without a label
	// (XYZ123456789, A1234567).
	idRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b[A-Za-z0-9]*(?:[A-Za-z][0-9]|[0-9][A-Za-z])[A-Za-z0-9]*(?:-[A-Za-z0-9]+)*\b`)
	})
	// mbiRE is the Medicare Beneficiary Identifier: 11 characters, digit
	// 1-9, letter, letter or digit, digit, letter, letter or digit, digit,
	// letter, letter, digit, digit; letters exclude S, L, O, I, B and Z;
	// printed with dashes after the 4th and 7th (CMS, "Understanding the
	// MBI format").
	mbiRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]-?[AC-HJKMNP-RT-Y]{2}[0-9]{2}\b`)
	})
	// sparedRE is a label before a number saying it is none of the kinds
	// §7024(d) names: an order, invoice, ticket, reference, tracking or
	// phone number, or a postcode.
	sparedRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(?:^|[^A-Za-z])(?:order|invoice|ticket|case|reference|ref|tracking|confirmation|booking|receipt|request|phone|tel|telephone|mobile|cell|fax|call|text|zip|postcode|postal\s+code)\s*(?:no\b\.?|number|num|#|id)?\s*[:#=]?\s*$`)
	})
)

// labelled is a rule for a number after a label naming its kind.
type labelled struct {
	kind Kind
	re   *regexp.Regexp
}

// labelRule builds a rule: the label, then optionally "no.", "number",
// "#" or "id", a connector (":", "=", "-", "is", "was"), and the value:
// letters and digits with a digit among them, in groups joined by dashes
// or by spaces before digits ("123 456 789"), perhaps after a letter
// prefix ("PT-0045123").
func labelRule(kind Kind, label string) labelled {
	return labelled{kind, regexp.MustCompile(`(?i)\b(?:` + label + `)\b\.?` +
		`(?:\s*(?:no\b\.?|number|num\b|#|id\b))?\s*(?:[:=#]|-|\bis\b|\bwas\b)?\s*` +
		`((?:[A-Za-z]+-)?[A-Za-z0-9]*[0-9][A-Za-z0-9]*(?:-[A-Za-z0-9]+| [0-9]+)*)\b`)}
}

// labelledRules are tried in order; a value redacted by one is no longer
// a number for the next. They are compiled on first use: most calls of a
// function that links this package redact nothing.
var labelledRules = sync.OnceValue(func() []labelled {
	return []labelled{
		labelRule(SSN, `ssn|social\s+security(?:\s+(?:no|number|#))?|itin|tax\s+id`),
		labelRule(DriversLicense, `driver(?:'|’)?s?\s+licen[cs]e|driving\s+licen[cs]e|licen[cs]e|dl|dln`),
		labelRule(GovernmentID, `passport|state\s+id|national\s+id|id\s+card`),
		labelRule(MedicalRecord, `mrn|medical\s+records?|patient\s+(?:id|no|number)|chart\s+(?:no|number)`),
		labelRule(HealthInsurance, `(?:member|subscriber|policy|group|insurance|insured|beneficiary|health\s+plan|plan)\s+(?:id|no|number|num)|(?:health|medical|dental|vision)\s+insurance|medicare(?:\s+beneficiary\s+identifier)?|medicaid|mbi|hicn`),
		labelRule(FinancialAccount, `(?:(?:bank|checking|chequing|savings|brokerage|deposit)\s+)?(?:acct|a/c)|(?:bank|checking|chequing|savings|brokerage|deposit|financial)\s+account|account\s+(?:no|number|num)|routing(?:\s+transit)?|iban`),
	}
})

// redactSecrets withholds passwords, passcodes, PINs and security answers.
func redactSecrets(s string, w Withheld) string {
	s = replaceAll(answerRE(), s, func(s string, m []int, b *strings.Builder) {
		if strings.HasPrefix(s[m[2]:m[3]], Redacted) {
			b.WriteString(s[m[0]:m[1]])
			return
		}
		w[SecurityAnswer]++
		b.WriteString(s[m[0]:m[2]])
		b.WriteString(Redacted)
	})
	return replaceAll(secretRE(), s, func(s string, m []int, b *strings.Builder) {
		value := s[m[6]:m[7]]
		trimmed := strings.TrimRight(value, `.,;:!?)"'`)
		connector := strings.TrimSpace(s[m[4]:m[5]]) != ""
		if trimmed == "" || strings.HasPrefix(trimmed, Redacted) || (!connector && !strings.ContainsAny(trimmed, "0123456789")) {
			b.WriteString(s[m[0]:m[1]])
			return
		}
		w[Password]++
		b.WriteString(s[m[0]:m[6]])
		b.WriteString(Redacted)
		b.WriteString(value[len(trimmed):])
	})
}

// spared reports whether the value starting at s[start] is labelled as
// one §7024(d) does not name (sparedRE), or follows "+".
func spared(s string, start int) bool {
	if start > 0 && s[start-1] == '+' {
		return true
	}
	from := max(0, start-48)
	window := s[from:start]
	if from > 0 {
		// Start at a word boundary, not inside a word cut by the window.
		if i := strings.IndexAny(window, " \t\n"); i >= 0 {
			window = window[i:]
		} else {
			return false
		}
	}
	return sparedRE().MatchString(window)
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
// groups, then Social Security numbers, then long single runs unless the
// number is spared.
func redactNumber(s string, spare bool, w Withheld) string {
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
	last := 0
	redact := func(from, to int, k Kind) {
		b.WriteString(s[last:gs[from].start])
		b.WriteString(Redacted)
		last = gs[to].end
		w[k]++
	}
	for i := 0; i < len(gs); {
		if j, ok := card(s, gs, i); ok {
			redact(i, j, PaymentCard)
			i = j + 1
			continue
		}
		if i+2 < len(gs) && gs[i].end-gs[i].start == 3 && gs[i+1].end-gs[i+1].start == 2 && gs[i+2].end-gs[i+2].start == 4 {
			redact(i, i+2, SSN)
			i += 3
			continue
		}
		if gs[i].end-gs[i].start >= 9 && !spare {
			redact(i, i, IDNumber)
		}
		i++
	}
	b.WriteString(s[last:])
	return b.String()
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
