package request

import "strings"

// withheld lists, in a completion's mail, the types of information the
// response holds back: a business that withholds a Social Security,
// account, medical or other number 11 CCR §7024(d) names must still inform
// the consumer "with sufficient particularity that it has collected that
// type of information". Staff give the types in words (the export's
// withheld labels); the audit note records them too.
func withheld(data map[string]string, ev *Event, labels []string) {
	if len(labels) == 0 {
		return
	}
	data["withheld"] = strings.Join(labels, "\n")
	ev.Note = joinNotes(ev.Note, "withheld under 11 CCR §7024(d): "+strings.Join(labels, ", "))
}

// joinNotes joins two audit notes, either of which may be empty.
func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
