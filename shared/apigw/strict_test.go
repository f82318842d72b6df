package apigw

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/fault"
)

// The reason for the checks: encoding/json alone takes each of these bodies
// without an error and reads something the caller did not write.
func TestEncodingJSONIsLenient(t *testing.T) {
	var s string
	if err := json.Unmarshal([]byte(`"\ud800"`), &s); err != nil || s != "\ufffd" {
		t.Errorf("lone surrogate: %q, %v; the premise of CheckJSON changed", s, err)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(`{"email":"a@x","email":"b@y"}`), &m); err != nil || m["email"] != "b@y" {
		t.Errorf("duplicate key: %v, %v; the premise of CheckJSON changed", m, err)
	}
	var v struct{ Token string }
	if err := json.Unmarshal([]byte(`{"token":"a","TOKEN":"b"}`), &v); err != nil || v.Token != "b" {
		t.Errorf("keys differing in case: %+v, %v; the premise of CheckJSON changed", v, err)
	}
}

// problemOf returns the status, detail and field names of an error as the
// client sees them.
func problemOf(t *testing.T, err error) (int, string, []string) {
	t.Helper()
	p := ProblemOf(err)
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	return p.Status, p.Detail, fields
}

func TestCheckJSON(t *testing.T) {
	long := strings.Repeat("k", 500)
	cases := []struct {
		name, body string
		// ok: no error; else fields are the fields named, or none when
		// the body as a whole is refused (detail names the problem).
		ok     bool
		fields []string
		detail string
	}{
		{name: "plain object", body: `{"email":"ada@example.com","phone":null,"n":1.5e3,"b":true,"a":[1,[2,{"x":"y"}]]}`, ok: true},
		{name: "same key in two objects", body: `{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}`, ok: true},
		{name: "surrogate pair", body: `{"first_name":"\ud83d\ude00 \uD83D\uDE00"}`, ok: true},
		{name: "escaped backslash before u", body: `{"first_name":"\\ud800"}`, ok: true},
		{name: "U+FFFD written out", body: `{"first_name":"\ufffd �"}`, ok: true},
		{name: "unicode text", body: `{"first_name":"Zoë 字 𝔄"}`, ok: true},
		{name: "not JSON is the decoder's to refuse", body: `not json`, ok: true},
		{name: "truncated is the decoder's to refuse", body: `{"a":`, ok: true},

		{name: "duplicate key", body: `{"email":"a@x","email":"b@y"}`, fields: []string{"email"}},
		{name: "duplicate key, nested", body: `{"subject":{"email":"a@x","email":"b@y"}}`, fields: []string{"subject.email"}},
		{name: "duplicate key in an array element", body: `{"events":[{"purpose":"a"},{"granted":true,"purpose":"b","granted":false}]}`, fields: []string{"events[1].granted"}},
		{name: "duplicate object-valued key", body: `{"subject":{},"subject":{"email":"b@y"}}`, fields: []string{"subject"}},
		{name: "keys differing in case", body: `{"token":"a","TOKEN":"b"}`, fields: []string{"TOKEN"}},
		{name: "Kelvin sign folds to k", body: `{"k":"a","` + "\u212a" + `":"b"}`, fields: []string{"\u212a"}},
		{name: "escaped key equals a plain one", body: `{"email":"a","\u0065mail":"b"}`, fields: []string{"email"}},
		{name: "two duplicates, both named", body: `{"a":1,"b":2,"a":3,"b":4}`, fields: []string{"a", "b"}},

		{name: "lone high surrogate", body: `{"first_name":"\ud800"}`, fields: []string{"first_name"}},
		{name: "lone low surrogate", body: `{"first_name":"x\udc00"}`, fields: []string{"first_name"}},
		{name: "upper-case hex", body: `{"first_name":"\uDBFF"}`, fields: []string{"first_name"}},
		{name: "high then not low", body: `{"first_name":"\ud800\u0041"}`, fields: []string{"first_name"}},
		{name: "high then high", body: `{"first_name":"\ud800\ud800"}`, fields: []string{"first_name"}},
		{name: "low then high", body: `{"first_name":"\udc00\ud800"}`, fields: []string{"first_name"}},
		{name: "high at the end of a pair", body: `{"first_name":"\ud83d\ude00\ud83d"}`, fields: []string{"first_name"}},
		{name: "surrogate, nested", body: `{"subject":{"email":"a\udfff@example.com"}}`, fields: []string{"subject.email"}},
		{name: "surrogate in an array", body: `{"types":["access","\ud800"]}`, fields: []string{"types[1]"}},
		{name: "surrogate in a nested key", body: `{"subject":{"\ud800":"x"}}`, fields: []string{"subject"}},
		{name: "surrogate in a top-level key", body: `{"\ud800":"x"}`, detail: "surrogate"},
		{name: "surrogate as the document", body: `"\ud800"`, detail: "surrogate"},

		{name: "invalid UTF-8 in a value", body: "{\"first_name\":\"Ada\xff\"}", fields: []string{"first_name"}},
		{name: "UTF-8 encoded surrogate", body: "{\"first_name\":\"\xed\xa0\x80\"}", fields: []string{"first_name"}},
		{name: "overlong slash", body: "{\"details\":\"\xc0\xaf\"}", fields: []string{"details"}},
		{name: "invalid UTF-8, nested", body: "{\"disclosure\":{\"text\":\"\xfe\"}}", fields: []string{"disclosure.text"}},
		{name: "invalid UTF-8 after the document", body: "{\"a\":1}\xff", detail: "UTF-8"},
		{name: "invalid UTF-8 in a top-level key", body: "{\"\xff\":1}", detail: "UTF-8"},

		{name: "a long key is named short", body: `{"` + long + `":1,"` + long + `":2}`, fields: []string{long[:maxFieldName] + "…"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckJSON([]byte(c.body))
			if c.ok {
				if err != nil {
					t.Fatalf("CheckJSON = %v, want accepted", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckJSON accepted it")
			}
			status, detail, fields := problemOf(t, err)
			if status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", status)
			}
			if !slices.Equal(fields, c.fields) {
				t.Errorf("fields %q, want %q", fields, c.fields)
			}
			if c.detail != "" && !strings.Contains(detail, c.detail) {
				t.Errorf("detail %q does not say %q", detail, c.detail)
			}
		})
	}
}

// Every hostile body is refused by Body itself, as JSON and as base64 (API
// Gateway base64-encodes a body that is not UTF-8), so no handler's decoder
// sees it.
func TestBodyRefusesHostileJSON(t *testing.T) {
	for _, body := range []string{
		`{"email":"a@x.example","email":"b@y.example"}`,
		`{"email":"a@x.example","first_name":"\ud800"}`,
		"{\"first_name\":\"\xff\"}",
		`{"token":"a","Token":"b"}`,
	} {
		for _, b64 := range []bool{false, true} {
			raw := body
			if b64 {
				raw = base64.StdEncoding.EncodeToString([]byte(body))
			}
			got, mt, err := Body(req("application/json", raw, b64))
			if err == nil || fault.KindOf(err) != fault.Invalid || got != nil || mt != "" {
				t.Errorf("Body(%q, base64 %v) = %q, %q, %v; want Invalid", body, b64, got, mt, err)
			}
		}
	}
}

func TestBodyForm(t *testing.T) {
	cases := []struct {
		name, body string
		b64        bool
		fields     []string
		ok         bool
	}{
		{name: "plain", body: "first_name=Zo%C3%AB&types=know&types=access", ok: true},
		{name: "repeats are the reader's", body: "email=a&email=b", ok: true},
		{name: "malformed is the parser's", body: "a=%zz", ok: true},
		{name: "percent-encoded invalid UTF-8", body: "first_name=Ada%FF&email=a%40x.example", fields: []string{"first_name"}},
		{name: "percent-encoded surrogate", body: "last_name=%ED%A0%80", fields: []string{"last_name"}},
		{name: "raw invalid byte, base64", body: base64.StdEncoding.EncodeToString([]byte("details=\xfe\xff")), b64: true, fields: []string{"details"}},
		{name: "invalid UTF-8 in a repeated field", body: "types=know&types=%C0%AF", fields: []string{"types"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Body(req("application/x-www-form-urlencoded", c.body, c.b64))
			if c.ok {
				if err != nil {
					t.Fatalf("Body = %v, want accepted", err)
				}
				return
			}
			status, _, fields := problemOf(t, err)
			if status != http.StatusBadRequest || !slices.Equal(fields, c.fields) {
				t.Errorf("Body = %d %q, want 400 naming %q", status, fields, c.fields)
			}
		})
	}
	// A name that is not UTF-8 cannot name itself.
	_, _, err := Body(req("application/x-www-form-urlencoded", "%FF=1", false))
	if status, _, fields := problemOf(t, err); status != http.StatusBadRequest || len(fields) != 0 {
		t.Errorf("invalid name: %d %q, want 400 without fields", status, fields)
	}
}

func TestCheckQuery(t *testing.T) {
	cases := []struct {
		name, raw string
		params    map[string]string
		ok        bool
		fields    []string
		detail    string
	}{
		{name: "none", ok: true},
		{name: "plain", raw: "email=ada%40example.com&purpose=email_marketing", ok: true},
		{name: "empty parts and values", raw: "a=1&&b=&c", ok: true},
		{name: "unicode", raw: "browser_id=Zo%C3%AB", ok: true},
		{name: "repeated", raw: "email=a%40x.example&email=b%40y.example", fields: []string{"email"}},
		{name: "repeated empty", raw: "status=&status=verified", fields: []string{"status"}},
		{name: "invalid UTF-8", raw: "browser_id=%FF%FEabcdefgh", fields: []string{"browser_id"}},
		{name: "surrogate as UTF-8", raw: "email=%ED%A0%80%40x.example", fields: []string{"email"}},
		{name: "malformed escape", raw: "email=%zz", detail: "malformed"},
		{name: "invalid name", raw: "%FF=1", detail: "UTF-8"},
		{name: "parameters only, valid", params: map[string]string{"format": "csv"}, ok: true},
		{name: "parameters only, invalid", params: map[string]string{"email": "a\xff@x.example"}, fields: []string{"email"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckQuery(Request{RawQueryString: c.raw, QueryStringParameters: c.params})
			if c.ok {
				if err != nil {
					t.Fatalf("CheckQuery = %v, want accepted", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckQuery accepted it")
			}
			status, detail, fields := problemOf(t, err)
			if status != http.StatusBadRequest || !slices.Equal(fields, c.fields) {
				t.Errorf("CheckQuery = %d %q, want 400 naming %q", status, fields, c.fields)
			}
			if c.detail != "" && !strings.Contains(detail, c.detail) {
				t.Errorf("detail %q does not say %q", detail, c.detail)
			}
		})
	}
}

// FuzzCheckJSON: CheckJSON refuses only as Invalid, and a document it
// accepts decodes with no U+FFFD the body did not spell out (encoding/json
// puts one wherever it meets invalid UTF-8 or an unpaired surrogate).
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@x","email":"b@y"}`,
		`{"first_name":"\ud800"}`,
		`{"a":[{"b":"\ud83d\ude00"},{"b":"\\ud800"}]}`,
		"{\"a\":\"\xff\"}",
		`{"token":"a","TOKEN":"b"}`,
		`"\udc00"`,
		`[[[[{"x":{"x":{"x":1,"X":2}}}]]]]`,
		`{"a":"\ufffd"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := CheckJSON(body)
		if err != nil {
			if k := fault.KindOf(err); k != fault.Invalid {
				t.Fatalf("CheckJSON error of kind %v", k)
			}
			return
		}
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		spelled := strings.Count(string(body), "\ufffd") + strings.Count(strings.ToLower(string(body)), `\ufffd`)
		out, _ := json.Marshal(v)
		if got := strings.Count(string(out), "\ufffd"); got > spelled {
			t.Errorf("accepted %q, which decodes with %d U+FFFD, %d spelled out", body, got, spelled)
		}
	})
}
