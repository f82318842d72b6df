package mail

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes caps the name a mail greets the person with.
const MaxNameRunes = 40

// FirstNameKey is the one value typed by the person that a mail may show:
// the first name it greets them with. Every other value in an intent is the
// company's (references, dates, labels, the catalogued disclosure, staff
// text).
const FirstNameKey = "first_name"

// FirstName returns name as a mail may show it, or "" when it may not show
// it at all.
//
// Anyone can type someone else's address into a public form, and the mail
// then goes to that address from the company's own sender: whatever a stranger
// typed would reach the inbox under the company's name. So the only value
// typed by the person that a mail shows is a name to greet them with, and
// only when it reads as a name: letters and combining marks, spaces,
// hyphens, apostrophes, and a full stop only where it ends a word ("J. R.").
// Anything else, digits, "@", ":", "/", "<", a full stop inside a word
// ("evil.example"), control and format characters (bidi overrides), means
// the value is dropped and the mail says "Hello,": without ":", "/", "@" or
// a dot between two labels nothing in it is a URL, an address or a domain
// name that a mail client could turn into a link ("http://…", "www.…",
// "evil.example"), in the plain-text part or the HTML one. It is cut to
// MaxNameRunes, so a greeting cannot carry a message.
func FirstName(name string) string {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || !utf8.ValidString(name) {
		return ""
	}
	for i, r := range name {
		switch {
		case unicode.IsLetter(r), unicode.IsMark(r), r == ' ', r == '-', r == '\'', r == '\u2019':
		case r == '.' && (i+1 == len(name) || name[i+1] == ' '):
		default:
			return ""
		}
	}
	if utf8.RuneCountInString(name) > MaxNameRunes {
		name = string([]rune(name)[:MaxNameRunes])
	}
	return strings.TrimRight(name, " -")
}
