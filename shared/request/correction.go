package request

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/claritru/privacy/shared/fault"
)

// CorrectionInput is one item of a request to correct as the person gives
// it (11 CCR §7023; GDPR Art. 16): which piece of information, what we hold
// now as far as they know, what it should be, and the documentation they
// offer to show it (a description: the form takes no files, and §7023(d)(2)
// lets the business ask for documentation where it needs it).
type CorrectionInput struct {
	Item           string `json:"item"`
	CurrentValue   string `json:"current_value"`
	CorrectedValue string `json:"corrected_value"`
	Documentation  string `json:"documentation"`
}

// Decision is staff's answer to one item of a correction.
type Decision string

// Decisions (11 CCR §7023(f): the business tells the consumer whether it
// complied, and explains a denial in whole or in part).
const (
	// Accepted: corrected as the person asked.
	Accepted Decision = "accept"
	// AcceptedInPart: corrected, but not as asked in every respect; the
	// value now held and why the rest was not done are recorded.
	AcceptedInPart Decision = "accept_in_part"
	// Rejected: not corrected, with the basis (§7023(f)(1)).
	Rejected Decision = "deny"
)

// Correction is one item of a request to correct, with staff's decision
// once made. The values are the person's data: they live on the request,
// go with it when it is minimised, and never reach a log line or an audit
// note.
type Correction struct {
	Item           string
	CurrentValue   string
	CorrectedValue string
	Documentation  string
	// Decision is empty until staff decide.
	Decision Decision
	// AppliedValue is the value now held: the corrected value when
	// accepted, staff's value when accepted in part.
	AppliedValue string
	// Reason is why an item was denied or accepted only in part
	// (§7023(f)(1)).
	Reason string
	// Contested marks a denied item whose accuracy the person disputes
	// (GDPR Art. 18(1)(a) speaks of accuracy "contested by the data
	// subject"). Statement holds their written statement when they give
	// one: 11 CCR §7023(f)(3) grants it, up to 250 words per item, for
	// health information, to be kept with the record and made available
	// to those the information is disclosed to; it is offered here for
	// every denied item, the conservative reading for a company serving
	// medical practices, and GDPR Art. 16 allows completion "by means of
	// providing a supplementary statement".
	Contested bool
	Statement string
	DecidedAt time.Time
	DecidedBy string
}

// Limits of a structured correction.
const (
	MaxCorrections   = 20
	maxItem          = 200
	maxValue         = 1000
	maxDocumentation = 2000
	// maxStatementWords: 11 CCR §7023(f)(3) limits the consumer's written
	// statement to 250 words per item.
	maxStatementWords = 250
)

// corrections checks the structured items of a request to correct and
// returns them, naming each wrong field by its place
// (corrections[0].corrected_value).
func corrections(errs *fault.Fields, in []CorrectionInput) []Correction {
	if len(in) > MaxCorrections {
		errs.Add("corrections", "give at most "+strconv.Itoa(MaxCorrections)+" items")
		return nil
	}
	out := make([]Correction, 0, len(in))
	for i, c := range in {
		f := "corrections[" + strconv.Itoa(i) + "]."
		// A field the decoder could not read is reported once, by it.
		out = append(out, Correction{
			Item:           line(errs, f+"item", c.Item, maxItem, !errs.Has(f+"item")),
			CurrentValue:   text(errs, f+"current_value", c.CurrentValue, maxValue),
			CorrectedValue: text(errs, f+"corrected_value", c.CorrectedValue, maxValue),
			Documentation:  text(errs, f+"documentation", c.Documentation, maxDocumentation),
		})
		if strings.TrimSpace(c.CorrectedValue) == "" && !errs.Has(f+"corrected_value") {
			errs.Add(f+"corrected_value", "say what the information should be")
		}
	}
	return out
}

// freeTextCorrection is the item the earlier free-text field becomes, so
// staff decide it like any other: the whole text is what the person says
// is right, with the current value left to staff.
func freeTextCorrection(s string) Correction {
	return Correction{Item: "as described in the request", CorrectedValue: s}
}

// checkCorrections ties the items to the type: items only with a request
// to correct, and a request to correct with something to correct: items,
// or the earlier free text, which becomes one more item so that staff
// decide it like the others (the text itself is kept as before).
func checkCorrections(errs *fault.Fields, r *Request, asked bool) {
	switch {
	case !asked && len(r.Corrections) > 0:
		// The earlier free text was taken with any type, and still is, so
		// old clients keep working; structured items are new and must come
		// with the type they belong to.
		if !errs.Has("corrections") {
			errs.Add("corrections", "corrections are given only with the request type correct")
		}
	case asked && len(r.Corrections) == 0 && r.Correction == "":
		// Named by the earlier field, which every client knows.
		if !errs.Has("correction") && !errs.Has("corrections") {
			errs.Add("correction", "say what should be corrected (or give corrections: each item and its corrected value)")
		}
	case asked && r.Correction != "" && len(r.Corrections) >= MaxCorrections:
		errs.Add("corrections", "give at most "+strconv.Itoa(MaxCorrections)+" items, the free-text correction counting as one")
	case asked && r.Correction != "":
		r.Corrections = append(r.Corrections, freeTextCorrection(r.Correction))
	}
}

func words(s string) int { return len(strings.Fields(s)) }

func tooLong(s string, max int) bool { return utf8.RuneCountInString(s) > max }
