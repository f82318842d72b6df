package intakeapi

import (
	"bytes"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
)

// subjects identifies the subject of a validated input as the wiring does.
var subjects = func() *subject.Identifier {
	k, err := subject.NewKeyer(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		panic(err)
	}
	return subject.NewIdentifier(k, phone.E164)
}()

func names(fs fault.Fields) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Field
	}
	slices.Sort(out)
	return out
}

func TestDecodeJSON(t *testing.T) {
	body := `{"types":["know","delete"],"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com",
		"phone":"+1 415 555 0100","practice_name":"Smile","country":"US","state":"CA","details":"a\nb",
		"correction":"c","on_behalf":true,"agent_name":"Bob","agent_email":"bob@agency.com","declaration":true}`
	in, bad, err := decodeJSON([]byte(body))
	if err != nil || len(bad) != 0 {
		t.Fatalf("decodeJSON = %v, %v", bad, err)
	}
	want := request.Input{
		Types: []string{"know", "delete"}, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		Phone: "+1 415 555 0100", PracticeName: "Smile", Country: "US", State: "CA", Details: "a\nb",
		Correction: "c", OnBehalf: true, AgentName: "Bob", AgentEmail: "bob@agency.com", Declaration: true,
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("decodeJSON =\n%+v\nwant\n%+v", in, want)
	}
}

func TestDecodeJSONNamesFields(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"unknown field", `{"first_name":"Ada","nickname":"A"}`, []string{"nickname"}},
		{"field names are case-sensitive", `{"First_Name":"Ada"}`, []string{"First_Name"}},
		{"string for a list", `{"types":"know"}`, []string{"types"}},
		{"number for a string", `{"first_name":5}`, []string{"first_name"}},
		{"string for a boolean", `{"declaration":"yes"}`, []string{"declaration"}},
		{"object for a string", `{"email":{"a":{"b":["c"]}}}`, []string{"email"}},
		{"list of numbers", `{"types":[1,2]}`, []string{"types"}},
		{"several at once", `{"first_name":[],"on_behalf":"true","x":1,"y":null}`, []string{"first_name", "on_behalf", "x", "y"}},
		{"null is no value", `{"first_name":null,"types":null,"declaration":null}`, nil},
		{"empty object", `{}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, bad, err := decodeJSON([]byte(tt.body))
			if err != nil {
				t.Fatalf("decodeJSON error %v, want field errors", err)
			}
			if got := names(bad); !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("fields = %v, want %v", got, tt.want)
			}
		})
	}
	// A wrong type does not hide the rest of the body.
	in, _, _ := decodeJSON([]byte(`{"first_name":5,"last_name":"Lovelace"}`))
	if in.LastName != "Lovelace" || in.FirstName != "" {
		t.Errorf("decoded %+v", in)
	}
}

func TestDecodeJSONNotAnObject(t *testing.T) {
	for _, body := range []string{"", "[]", `"text"`, "42", "{", `{"a":1}}`, "first_name=Ada", "\x00"} {
		if _, _, err := decodeJSON([]byte(body)); fault.KindOf(err) != fault.Invalid {
			t.Errorf("decodeJSON(%q) = %v, want fault.Invalid", body, err)
		}
	}
}

func TestDecodeJSONThenValidate(t *testing.T) {
	// The decoder's field errors reach the response with validation's.
	in, bad, err := decodeJSON([]byte(`{"types":["know"],"first_name":"Ada","last_name":"L","email":"a@b.co","declaration":true,"nickname":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = request.Validate(subjects, in, bad)
	var fe *fault.Error
	if !errors.As(err, &fe) || !slices.Equal(names(fe.Fields), []string{"nickname"}) {
		t.Errorf("Validate = %v, want only nickname", err)
	}
}

func TestDecodeForm(t *testing.T) {
	body := "types=know&types=delete&types=know&first_name=Ada&last_name=Lovelace&email=ada%40example.com" +
		"&phone=%2B1+415+555+0100&country=US&state=CA&details=line1%0D%0Aline2&on_behalf=on" +
		"&agent_name=Bob&agent_email=bob%40agency.com&declaration=on&return_url=https%3A%2F%2Fclaritru.com%2Fthanks"
	in, returnTo, bad, err := decodeForm([]byte(body))
	if err != nil || len(bad) != 0 {
		t.Fatalf("decodeForm = %v, %v", bad, err)
	}
	want := request.Input{
		Types: []string{"know", "delete", "know"}, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		Phone: "+1 415 555 0100", Country: "US", State: "CA", Details: "line1\r\nline2",
		OnBehalf: true, AgentName: "Bob", AgentEmail: "bob@agency.com", Declaration: true,
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("decodeForm =\n%+v\nwant\n%+v", in, want)
	}
	if returnTo != "https://claritru.com/thanks" {
		t.Errorf("return_url = %q", returnTo)
	}
}

func TestDecodeFormFlags(t *testing.T) {
	tests := []struct {
		value   string
		want    bool
		wantBad bool
	}{
		{"on", true, false}, {"ON", true, false}, {"true", true, false}, {"1", true, false}, {"yes", true, false},
		{"", false, false}, {"off", false, false}, {"false", false, false}, {"0", false, false}, {"no", false, false},
		{"maybe", false, true}, {"2", false, true}, {"on\x00", false, true},
	}
	for _, tt := range tests {
		in, _, bad, err := decodeForm([]byte("declaration=" + url.QueryEscape(tt.value)))
		if err != nil {
			t.Fatal(err)
		}
		if in.Declaration != tt.want || bad.Has("declaration") != tt.wantBad {
			t.Errorf("declaration=%q: %v, errors %v; want %v, error %v", tt.value, in.Declaration, bad, tt.want, tt.wantBad)
		}
	}
	// A missing checkbox is false, with no error.
	in, _, bad, _ := decodeForm([]byte("first_name=Ada"))
	if in.Declaration || in.OnBehalf || len(bad) != 0 {
		t.Errorf("no checkboxes: %+v %v", in, bad)
	}
}

func TestDecodeFormRepeatedFields(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{"first_name=Ada&first_name=Eve", []string{"first_name"}},
		{"email=a%40b.co&email=eve%40evil.example", []string{"email"}},
		{"declaration=on&declaration=on", []string{"declaration"}},
		{"first_name=Ada&last_name=L&last_name=M&state=CA&state=NY", []string{"last_name", "state"}},
		{"return_url=https%3A%2F%2Fa&return_url=https%3A%2F%2Fb", []string{"return_url"}},
		{"types=know&types=know&types=delete", nil},
	}
	for _, tt := range tests {
		in, _, bad, err := decodeForm([]byte(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		if got := names(bad); !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("%s: fields %v, want %v", tt.body, got, tt.want)
		}
		if strings.HasPrefix(tt.body, "first_name=Ada&first_name") && in.FirstName != "Ada" {
			t.Errorf("%s: first_name %q", tt.body, in.FirstName)
		}
	}
}

func TestDecodeFormMalformed(t *testing.T) {
	for _, body := range []string{"first_name=%zz", "a=%", "first_name=Ada;last_name=L"} {
		if _, _, _, err := decodeForm([]byte(body)); fault.KindOf(err) != fault.Invalid {
			t.Errorf("decodeForm(%q) = %v, want fault.Invalid", body, err)
		}
	}
}

func TestDecodeToken(t *testing.T) {
	ok := []struct {
		body, mt, token, returnTo, agentReturn string
	}{
		{`{"token":"abc-_1"}`, apigw.JSON, "abc-_1", "", ""},
		{`{"token":"abc","return_url":"https://x","redirect_to":"https://a"}`, apigw.JSON, "abc", "", ""},
		{"token=abc-_1&return_url=https%3A%2F%2Fclaritru.com%2Fok", apigw.Form, "abc-_1", "https://claritru.com/ok", ""},
		{"token=a%2Bb", apigw.Form, "a+b", "", ""},
		{"token=t&redirect_to=https%3A%2F%2Fagent.example%2Fback%3Fx%3D1", apigw.Form, "t", "", "https://agent.example/back?x=1"},
	}
	for _, tt := range ok {
		token, returnTo, agentReturn, err := decodeToken([]byte(tt.body), tt.mt)
		if err != nil || token != tt.token || returnTo != tt.returnTo || agentReturn != tt.agentReturn {
			t.Errorf("decodeToken(%q) = %q, %q, %q, %v; want %q, %q, %q", tt.body, token, returnTo, agentReturn, err,
				tt.token, tt.returnTo, tt.agentReturn)
		}
	}
	bad := []struct {
		body, mt string
		field    bool // a field error naming token, else a plain Invalid
	}{
		{`{}`, apigw.JSON, true},
		{`{"token":""}`, apigw.JSON, true},
		{`{"token":5}`, apigw.JSON, true},
		{`[]`, apigw.JSON, true},
		{`not json`, apigw.JSON, true},
		{"", apigw.Form, true},
		{"return_url=x", apigw.Form, true},
		{"token=%zz", apigw.Form, false},
	}
	for _, tt := range bad {
		_, _, _, err := decodeToken([]byte(tt.body), tt.mt)
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Kind != fault.Invalid {
			t.Errorf("decodeToken(%q) = %v, want fault.Invalid", tt.body, err)
			continue
		}
		if tt.field && !slices.Equal(names(fe.Fields), []string{"token"}) {
			t.Errorf("decodeToken(%q) fields %v, want [token]", tt.body, fe.Fields)
		}
	}
	// A form gives each field once: which of two tokens, or two pages, was
	// meant is not guessed.
	for body, field := range map[string]string{
		"token=abc&token=def":                  "token",
		"token=abc&return_url=a&return_url=b":  "return_url",
		"return_url=a&token=abc&token=abc&x=1": "token",
	} {
		_, _, _, err := decodeToken([]byte(body), apigw.Form)
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Kind != fault.Invalid || !slices.Equal(names(fe.Fields), []string{field}) {
			t.Errorf("decodeToken(%q) = %v, want fault.Invalid naming %s", body, err, field)
		}
	}
}

func TestConfirmPage(t *testing.T) {
	const action = "https://api.claritru.example/v1/verify"
	page := (&Handler{}).confirmPage(action, `"><script>alert(1)</script>`, "")
	if !strings.Contains(page, `<form method="post" action="https://api.claritru.example/v1/verify">`) {
		t.Errorf("page lacks a POST form to %s:\n%s", action, page)
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, `value=""`) {
		t.Errorf("token is not escaped:\n%s", page)
	}
	if !strings.Contains(page, `name="token" value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`) {
		t.Errorf("page lacks the escaped token:\n%s", page)
	}
	if !strings.Contains(page, `<button type="submit">`) {
		t.Errorf("page lacks a submit button")
	}
	// A real token is carried verbatim.
	page = (&Handler{}).confirmPage(action, "AbC-_0123456789", "")
	if !strings.Contains(page, `<input type="hidden" name="token" value="AbC-_0123456789">`) {
		t.Errorf("page does not carry the token:\n%s", page)
	}
	// The page runs no script and loads nothing.
	for _, s := range []string{"<script", "src=", "<link"} {
		if strings.Contains(page, s) {
			t.Errorf("page contains %q", s)
		}
	}
	// An action that is not a URL the page may post to is neutralised.
	page = (&Handler{}).confirmPage("javascript:alert(1)", "t", "")
	if strings.Contains(page, "javascript:") {
		t.Errorf("page posts to a javascript: URL:\n%s", page)
	}
}

// TestAgentPages: the agent's verification page offers a new link and
// nothing that confirms; the return address is carried escaped, and the
// confirmation offers it as a link, never as a redirect.
func TestAgentPages(t *testing.T) {
	h := &Handler{PublicBaseURL: "https://api.claritru.example/"}
	page := h.agentVerifyPage("01JZ8X6Q3V4N5T7W9Y0A2B4C6D", `https://agent.example/"><script>x</script>`)
	for _, want := range []string{`<form method="post" action="https://api.claritru.example/v1/verify/resend">`,
		`name="request_id" value="01JZ8X6Q3V4N5T7W9Y0A2B4C6D"`, `name="redirect_to" value="https://agent.example/&#34;&gt;&lt;script&gt;x&lt;/script&gt;"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the agent's page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, `name="token"`) {
		t.Errorf("the agent's page runs a script or confirms:\n%s", page)
	}
	if page := h.agentVerifyPage("01JZ8X6Q3V4N5T7W9Y0A2B4C6D", ""); strings.Contains(page, "redirect_to") {
		t.Errorf("the page carries an empty return address:\n%s", page)
	}
	page = h.verifiedPage("01JZ8X6Q3V4N5T7W9Y0A2B4C6D", "Agent <b>", "https://agent.example/back?a=1&b=2")
	if !strings.Contains(page, `<a href="https://agent.example/back?a=1&amp;b=2" rel="noreferrer">Return to Agent &lt;b&gt;</a>`) {
		t.Errorf("the confirmation lacks the way back:\n%s", page)
	}
	if page := h.verifiedPage("01JZ8X6Q3V4N5T7W9Y0A2B4C6D", "Agent", ""); strings.Contains(page, "Return to") {
		t.Errorf("the confirmation offers a way back it was not given:\n%s", page)
	}
}

// TestErrorPage: the request form's error page names its fields by the
// form's labels, links each to its input, and escapes what it shows.
func TestErrorPage(t *testing.T) {
	p := apigw.ProblemDoc{Status: 400, Title: "Bad Request", Detail: "The request has invalid fields.",
		Errors: []fault.FieldError{{Field: "first_name<b>", Message: "<i>required</i>"},
			{Field: "agent_name", Message: "this field is required"}}}
	page := apipage.Error(p, requestForm, apipage.Company)
	if strings.Contains(page, "<b>") || strings.Contains(page, "<i>") {
		t.Errorf("error page is not escaped:\n%s", page)
	}
	if strings.Contains(page, "first_name") || !strings.Contains(page, "&lt;i&gt;required&lt;/i&gt;") {
		t.Errorf("error page names a field by the API's name or drops its message:\n%s", page)
	}
	if !strings.Contains(page, `<a href="/#agent_name">Agent&#39;s name</a>`) || strings.Contains(page, ">agent_name") {
		t.Errorf("error page does not link the agent's name by its label:\n%s", page)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"types":["know"],"first_name":"Ada","last_name":"L","email":"ada@example.com","declaration":true}`))
	f.Add([]byte(`{"first_name":"Ada\r\nBcc: eve@example.com","email":"a@b.co\r\nBcc: x@y.z"}`))
	f.Add([]byte("{\"first_name\":\"\\u0000\",\"details\":\"\x00\"}"))
	f.Add([]byte(`{"types":[["know"]],"email":{"a":{"b":{"c":{"d":[[[[[]]]]]}}}}}`))
	f.Add([]byte(`{"details":"` + strings.Repeat("𝔄", 3000) + `"}`))
	f.Add([]byte(`{"first_name":"A","first_name":"B","__proto__":{}}`))
	f.Add([]byte(strings.Repeat("[", 10000)))
	f.Add([]byte("\xff\xfe{}"))
	f.Add([]byte(`{"types":["know","correct"],"correction":"\ud800","country":"de","state":"\u202e"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, bad, err := decodeJSON(body)
		if err != nil {
			if fault.KindOf(err) != fault.Invalid {
				t.Fatalf("decodeJSON error %v, want fault.Invalid", err)
			}
			return
		}
		checkValidation(t, in, bad)
	})
}

func FuzzDecodeForm(f *testing.F) {
	f.Add([]byte("types=know&first_name=Ada&last_name=L&email=ada%40example.com&declaration=on"))
	f.Add([]byte("first_name=Ada%0D%0ABcc:%20eve@example.com&email=a%40b.co%0D%0ABcc:x@y.z"))
	f.Add([]byte("first_name=%00&details=%00&types=%00"))
	f.Add([]byte("types=know&types=know&types=" + strings.Repeat("x", 1000)))
	f.Add([]byte("details=" + url.QueryEscape(strings.Repeat("字", 5001))))
	f.Add([]byte("first_name=A&first_name=B&declaration=maybe&on_behalf=on&on_behalf=off"))
	f.Add([]byte("email=%7B%22a%22%3A%5B%5B%5D%5D%7D&return_url=javascript:alert(1)"))
	f.Add([]byte("%zz=%zz&;&&==&"))
	f.Add([]byte("country=de&state=%E2%80%AE&phone=%2B49+30+901820&first_name=%FF"))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, _, bad, err := decodeForm(body)
		if err != nil {
			if fault.KindOf(err) != fault.Invalid {
				t.Fatalf("decodeForm error %v, want fault.Invalid", err)
			}
			return
		}
		checkValidation(t, in, bad)
	})
}

// checkValidation validates decoded input: never a panic; decoder errors are
// always reported; a clean decode validates the same way twice.
func checkValidation(t *testing.T, in request.Input, bad fault.Fields) {
	t.Helper()
	r1, err1 := request.Validate(subjects, in, bad)
	if len(bad) > 0 {
		var fe *fault.Error
		if !errors.As(err1, &fe) {
			t.Fatalf("decoder errors %v, but Validate = %v", bad, err1)
		}
		for _, b := range bad {
			if !slices.Contains(fe.Fields, b) {
				t.Errorf("decoder error %+v not reported in %+v", b, fe.Fields)
			}
		}
		return
	}
	r2, err2 := request.Validate(subjects, in, nil)
	if !reflect.DeepEqual(r1, r2) || (err1 == nil) != (err2 == nil) || (err1 != nil && !reflect.DeepEqual(err1, err2)) {
		t.Errorf("Validate is not deterministic:\n%+v %v\n%+v %v", r1, err1, r2, err2)
	}
}
