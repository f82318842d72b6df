package request

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"

	"github.com/claritru/privacy/shared/fault"
)

// DecodeCorrections reads the JSON `corrections` of a request: a list of
// objects with item, current_value, corrected_value and documentation,
// strings all, nothing else. What cannot be read is added to errs by place
// (corrections[1].item), to be reported with the other fields; raw empty
// or null is no items.
func DecodeCorrections(raw json.RawMessage, errs *fault.Fields) []CorrectionInput {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		errs.Add("corrections", "give a list of items, each {item, current_value, corrected_value, documentation}")
		return nil
	}
	if len(items) > MaxCorrections {
		errs.Add("corrections", "give at most "+strconv.Itoa(MaxCorrections)+" items")
		return nil
	}
	out := make([]CorrectionInput, len(items))
	for i, item := range items {
		f := "corrections[" + strconv.Itoa(i) + "]"
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(item, &fields); err != nil || fields == nil {
			errs.Add(f, "must be an object")
			continue
		}
		dst := map[string]*string{
			"item": &out[i].Item, "current_value": &out[i].CurrentValue,
			"corrected_value": &out[i].CorrectedValue, "documentation": &out[i].Documentation,
		}
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			v := fields[name]
			p, ok := dst[name]
			switch {
			case !ok:
				errs.Add(f+"."+name, "unknown field")
			case string(v) == "null":
			case json.Unmarshal(v, p) != nil:
				errs.Add(f+"."+name, "has the wrong type")
			}
		}
	}
	return out
}
