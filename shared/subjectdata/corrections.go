package subjectdata

import (
	"time"

	"github.com/claritru/privacy/shared/request"
)

// Correction is one item of a request to correct in the export: what the
// person asked, and the decision with the value now held (11 CCR §7023;
// GDPR Arts. 15, 16). Its free text is redacted like the request's.
type Correction struct {
	Item           string     `json:"item"`
	CurrentValue   string     `json:"current_value,omitempty"`
	CorrectedValue string     `json:"corrected_value"`
	Documentation  string     `json:"documentation,omitempty"`
	Decision       string     `json:"decision,omitempty"`
	AppliedValue   string     `json:"applied_value,omitempty"`
	Reason         string     `json:"reason,omitempty"`
	Contested      bool       `json:"contested"`
	Statement      string     `json:"statement,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
}

func correctionsOf(cs []request.Correction) []Correction {
	if len(cs) == 0 {
		return nil
	}
	out := make([]Correction, len(cs))
	for i, c := range cs {
		out[i] = Correction{
			Item: c.Item, CurrentValue: c.CurrentValue, CorrectedValue: c.CorrectedValue, Documentation: c.Documentation,
			Decision: string(c.Decision), AppliedValue: c.AppliedValue, Reason: c.Reason,
			Contested: c.Contested, Statement: c.Statement,
		}
		if !c.DecidedAt.IsZero() {
			at := c.DecidedAt
			out[i].DecidedAt = &at
		}
	}
	return out
}

// redactCorrections applies text, the document's redaction, to every free
// text of a request's corrections: a value typed as a correction may be an
// account or card number the export must not disclose (11 CCR §7024(d)).
func redactCorrections(cs []Correction, text func(*string)) {
	for i := range cs {
		c := &cs[i]
		for _, s := range []*string{&c.Item, &c.CurrentValue, &c.CorrectedValue, &c.Documentation, &c.AppliedValue, &c.Reason, &c.Statement} {
			text(s)
		}
	}
}
