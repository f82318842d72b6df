package apigw

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/claritru/privacy/shared/fault"
)

// encoding/json reads what it cannot represent without a word: invalid UTF-8
// and unpaired UTF-16 surrogate escapes ("\ud800") become U+FFFD, and of a
// key given twice the last one wins (for a struct, even a key that differs
// only in case). A body read one way by this service and another way by a
// proxy, a log or a later reader is how a value slips past a check, so such
// bodies are refused before any decoder sees them.

// Messages of the strict checks.
const (
	msgUTF8      = "must be valid UTF-8"
	msgSurrogate = "holds an unpaired UTF-16 surrogate escape (\\ud800 to \\udfff)"
	msgDuplicate = "is given more than once (names that differ only in case count as the same)"
	msgRepeated  = "give this parameter once"
)

// maxFieldName bounds a field name echoed in a problem, so that a long key
// cannot make the answer larger than the question.
const maxFieldName = 128

// jsonFrame is one open object or array of the document being walked.
type jsonFrame struct {
	array bool
	// index is the position of the current element of an array.
	index int
	// key is the current key of an object; wantKey says the next string
	// is a key.
	key     string
	wantKey bool
	// seen holds the keys met in an object, case-folded.
	seen map[string]bool
}

// CheckJSON refuses a JSON body holding invalid UTF-8, an unpaired surrogate
// escape or a key given twice in one object, at any depth, naming the field
// ("subject.email", "events[0].purpose") where there is one. A body that is
// not JSON at all passes: its decoder says so in its own words.
func CheckJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var (
		stack []*jsonFrame
		errs  fault.Fields
		prev  int64
	)
	for len(errs) < fault.MaxFieldErrors {
		tok, err := dec.Token()
		if err != nil {
			break // the end, or a syntax error for the decoder to report
		}
		off := dec.InputOffset()
		raw := body[prev:off]
		prev = off
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				stack = append(stack, &jsonFrame{array: t == '[', wantKey: t == '{', seen: map[string]bool{}})
				continue
			}
			stack = stack[:len(stack)-1]
		case string:
			if top != nil && top.wantKey {
				if msg := checkLiteral(raw); msg != "" {
					// A broken key cannot name itself; its object can.
					if err := addField(&errs, fieldPath(stack[:len(stack)-1]), msg); err != nil {
						return err
					}
				}
				folded := foldKey(t)
				top.key, top.wantKey = t, false
				if top.seen[folded] {
					errs.Add(fieldPath(stack), msgDuplicate)
				}
				top.seen[folded] = true
				continue
			}
			if msg := checkLiteral(raw); msg != "" {
				if err := addField(&errs, fieldPath(stack), msg); err != nil {
					return err
				}
			}
		}
		valueDone(stack)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if !utf8.Valid(body) {
		return fault.New(fault.Invalid, "The body is not valid UTF-8.")
	}
	return nil
}

// valueDone moves the innermost container past a value just read.
func valueDone(stack []*jsonFrame) {
	if len(stack) == 0 {
		return
	}
	top := stack[len(stack)-1]
	if top.array {
		top.index++
	} else {
		top.wantKey = true
	}
}

// addField names a wrong field, or, for the document itself (no field),
// returns the error that refuses the body.
func addField(errs *fault.Fields, field, msg string) error {
	if field == "" {
		return fault.New(fault.Invalid, "The body "+msg+".")
	}
	errs.Add(field, msg)
	return nil
}

// fieldPath names the current position, as the decoders name fields:
// "subject.email", "events[2].purpose".
func fieldPath(stack []*jsonFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if f.array {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(f.key)
		if b.Len() > maxFieldName {
			break
		}
	}
	return truncateField(b.String())
}

// truncateField shortens a field name to maxFieldName bytes, on a
// character boundary.
func truncateField(s string) string {
	if len(s) <= maxFieldName {
		return s
	}
	cut := maxFieldName
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// checkLiteral checks the raw text of one string token (the decoder's
// separators and white space before it included): the bytes must be UTF-8
// and every surrogate escape one of a high-low pair. It returns the problem,
// or "".
func checkLiteral(raw []byte) string {
	i := bytes.IndexByte(raw, '"')
	if i < 0 {
		return ""
	}
	lit := raw[i+1:]
	if !utf8.Valid(lit) {
		return msgUTF8
	}
	for j := 0; j < len(lit); j++ {
		if lit[j] != '\\' {
			continue
		}
		j++
		if j >= len(lit) || lit[j] != 'u' {
			continue
		}
		r := hex4(lit[j+1:])
		j += 4
		switch {
		case r >= 0xd800 && r < 0xdc00:
			if j+6 < len(lit) && lit[j+1] == '\\' && lit[j+2] == 'u' {
				if lo := hex4(lit[j+3:]); lo >= 0xdc00 && lo < 0xe000 {
					j += 6
					continue
				}
			}
			return msgSurrogate
		case r >= 0xdc00 && r < 0xe000:
			return msgSurrogate
		}
	}
	return ""
}

// hex4 reads the four hex digits of a \u escape, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(n)
}

// foldKey maps each character to the smallest of its simple case folds, so
// that two keys have one foldKey exactly when bytes.EqualFold, the match
// encoding/json makes between a key and a struct field, says they are equal.
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// checkForm refuses an urlencoded body whose names or values are not UTF-8
// once percent-decoded, naming the field. A malformed body passes: its
// parser says so. Repeated fields are the reader's to refuse
// (FormValues.One), since some may repeat.
func checkForm(body []byte) error {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil
	}
	return checkValues(vals, msgUTF8)
}

// checkValues names every parameter whose name or values are not UTF-8.
func checkValues(vals url.Values, msg string) error {
	var errs fault.Fields
	for name, vs := range vals {
		if !utf8.ValidString(name) {
			return fault.New(fault.Invalid, "A parameter name is not valid UTF-8.")
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				errs.Add(truncateField(name), msg)
			}
		}
	}
	return errs.Err()
}

// CheckQuery refuses a query string with a malformed escape, a name or
// value that is not UTF-8 once percent-decoded, or a parameter given more
// than once (API Gateway would join the values with commas, and the handler
// would read one value the caller never sent). It reads the raw query
// string; an event without one (a test's) is checked by its parameters.
func CheckQuery(r Request) error {
	if r.RawQueryString == "" {
		vals := url.Values{}
		for k, v := range r.QueryStringParameters {
			vals[k] = []string{v}
		}
		return checkValues(vals, msgUTF8)
	}
	vals := url.Values{}
	for part := range strings.SplitSeq(r.RawQueryString, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		name, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return fault.New(fault.Invalid, "The query string is malformed.")
		}
		vals[name] = append(vals[name], value)
	}
	if err := checkValues(vals, msgUTF8); err != nil {
		return err
	}
	var errs fault.Fields
	for name, vs := range vals {
		if len(vs) > 1 {
			errs.Add(truncateField(name), msgRepeated)
		}
	}
	return errs.Err()
}
