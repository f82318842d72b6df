package apigw

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/claritru/privacy/shared/fault"
)

// DecodeJSON reads a JSON object field by field into the destinations of
// fields, so that each wrong field is named: unknown fields and wrong types
// alike. Null leaves a field unset. The field errors are returned for
// validation to report with its own.
func DecodeJSON(body []byte, fields map[string]any) (fault.Fields, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fault.New(fault.Invalid, "The body is not a JSON object.")
	}
	var errs fault.Fields
	for name, v := range raw {
		dst, ok := fields[name]
		if !ok {
			errs.Add(name, "unknown field")
			continue
		}
		if string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			errs.Add(name, "has the wrong type")
		}
	}
	return errs, nil
}

// FormValues reads an urlencoded body. Every field but the repeatable ones
// may appear once; Errs collects what is wrong.
type FormValues struct {
	Values url.Values
	Errs   fault.Fields
}

// ParseForm parses an urlencoded body.
func ParseForm(body []byte) (*FormValues, error) {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fault.New(fault.Invalid, "The form body is malformed.")
	}
	return &FormValues{Values: vals}, nil
}

// One returns a field given at most once.
func (f *FormValues) One(name string) string {
	v := f.Values[name]
	if len(v) > 1 {
		f.Errs.Add(name, "give this field once")
	}
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// Flag returns a checkbox or boolean field: checkboxes send "on".
func (f *FormValues) Flag(name string) bool {
	switch strings.ToLower(strings.TrimSpace(f.One(name))) {
	case "", "false", "off", "0", "no":
		return false
	case "true", "on", "1", "yes":
		return true
	}
	f.Errs.Add(name, "must be true or false")
	return false
}
