package adminapi

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
)

// CorrectionView is one item of a request to correct as staff see it:
// what the person asked and, once decided, the decision (11 CCR §7023).
type CorrectionView struct {
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
	DecidedBy      string     `json:"decided_by,omitempty"`
}

// corrections adds the items of a correction to a request's view.
type corrections struct {
	Corrections []CorrectionView `json:"corrections,omitempty"`
}

func correctionViews(cs []request.Correction) []CorrectionView {
	if len(cs) == 0 {
		return nil
	}
	out := make([]CorrectionView, len(cs))
	for i, c := range cs {
		out[i] = CorrectionView{
			Item: c.Item, CurrentValue: c.CurrentValue, CorrectedValue: c.CorrectedValue, Documentation: c.Documentation,
			Decision: string(c.Decision), AppliedValue: c.AppliedValue, Reason: c.Reason,
			Contested: c.Contested, Statement: c.Statement, DecidedBy: c.DecidedBy,
		}
		if !c.DecidedAt.IsZero() {
			at := c.DecidedAt
			out[i].DecidedAt = &at
		}
	}
	return out
}

// decodeDecisions reads the `decisions` of a decide_correction action:
// a list of {item, decision, applied_value, reason, contested, statement},
// nothing else; what cannot be read is added to bad by place.
func decodeDecisions(raw json.RawMessage, bad *fault.Fields) []request.ItemDecision {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || len(items) > request.MaxCorrections {
		bad.Add("decisions", "give a list of at most 20 decisions, each {item, decision, ...}")
		return nil
	}
	out := make([]request.ItemDecision, len(items))
	for i, item := range items {
		f := "decisions[" + strconv.Itoa(i) + "]"
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(item, &fields); err != nil || fields == nil {
			bad.Add(f, "must be an object")
			continue
		}
		d := &out[i]
		d.Item = -1
		var decision string
		dst := map[string]any{
			"item": &d.Item, "decision": &decision, "applied_value": &d.AppliedValue,
			"reason": &d.Reason, "contested": &d.Contested, "statement": &d.Statement,
		}
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			p, ok := dst[name]
			switch {
			case !ok:
				bad.Add(f+"."+name, "unknown field")
			case string(fields[name]) == "null":
			case json.Unmarshal(fields[name], p) != nil:
				bad.Add(f+"."+name, "has the wrong type")
			}
		}
		d.Decision = request.Decision(decision)
	}
	return out
}
