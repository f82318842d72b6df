package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/fault"
)

func req(contentType, body string, b64 bool) Request {
	r := Request{Body: body, IsBase64Encoded: b64, Headers: map[string]string{}}
	if contentType != "" {
		r.Headers["content-type"] = contentType
	}
	return r
}

func TestBodyLimit(t *testing.T) {
	if MaxBody != 65536 {
		t.Fatalf("MaxBody = %d, want 64 KiB = 65536", MaxBody)
	}
	tests := []struct {
		name     string
		size     int
		b64      bool
		wantKind fault.Kind // Internal means no error
	}{
		{"plain 65536", 65536, false, fault.Internal},
		{"plain 65537", 65537, false, fault.TooLarge},
		{"plain 1 MiB", 1 << 20, false, fault.TooLarge},
		{"base64 65536 decoded", 65536, true, fault.Internal},
		{"base64 65535 decoded", 65535, true, fault.Internal},
		{"base64 65537 decoded", 65537, true, fault.TooLarge},
		{"base64 65538 decoded", 65538, true, fault.TooLarge},
		// 60000 bytes are 80000 base64 characters: over 64 KiB encoded,
		// under it decoded, so accepted.
		{"base64 60000 decoded", 60000, true, fault.Internal},
		{"empty", 0, false, fault.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := bytes.Repeat([]byte("a=b&"), tt.size/4+1)[:tt.size]
			body := string(payload)
			if tt.b64 {
				body = base64.StdEncoding.EncodeToString(payload)
			}
			got, mt, err := Body(req("application/x-www-form-urlencoded", body, tt.b64))
			if tt.wantKind == fault.Internal {
				if err != nil {
					t.Fatalf("Body = %v, want accepted", err)
				}
				if !bytes.Equal(got, payload) || mt != Form {
					t.Errorf("Body returned %d bytes of %q, want %d bytes of %q", len(got), mt, len(payload), Form)
				}
				return
			}
			if k := fault.KindOf(err); k != tt.wantKind || got != nil {
				t.Errorf("Body = %d bytes, %v (kind %d); want kind %d", len(got), err, k, tt.wantKind)
			}
			if StatusOf(fault.KindOf(err)) != 413 {
				t.Errorf("status %d, want 413", StatusOf(fault.KindOf(err)))
			}
		})
	}
}

func TestBodyBase64(t *testing.T) {
	got, mt, err := Body(req("application/json", base64.StdEncoding.EncodeToString([]byte(`{"a":"é"}`)), true))
	if err != nil || string(got) != `{"a":"é"}` || mt != JSON {
		t.Errorf("Body = %q, %q, %v", got, mt, err)
	}
	for _, bad := range []string{"%%%", "YQ=", "a"} {
		if _, _, err := Body(req("application/json", bad, true)); fault.KindOf(err) != fault.Invalid {
			t.Errorf("Body(base64 %q) = %v, want fault.Invalid", bad, err)
		}
	}
}

func TestBodyMediaType(t *testing.T) {
	tests := []struct {
		contentType string
		wantMT      string // "" means refused as Unsupported
	}{
		{"application/json", JSON},
		{"application/json; charset=utf-8", JSON},
		{"application/json; charset=UTF-8", JSON},
		{"Application/JSON", JSON},
		{"application/x-www-form-urlencoded", Form},
		{"application/x-www-form-urlencoded;charset=utf-8", Form},
		{"", ""},
		{"text/plain", ""},
		{"text/html", ""},
		{"multipart/form-data; boundary=xyz", ""},
		{"application/xml", ""},
		{"application/json-patch+json", ""},
		{"application/json; charset=iso-8859-1", ""},
		{"application/json; charset=utf-16", ""},
		{"application/x-www-form-urlencoded; charset=windows-1252", ""},
		{"application/json; charset=utf8", ""},
		{"application/json;;", ""},
		{"application/json\r\nX-Evil: 1", ""},
	}
	for _, tt := range tests {
		got, mt, err := Body(req(tt.contentType, `{}`, false))
		if tt.wantMT == "" {
			if fault.KindOf(err) != fault.Unsupported || got != nil {
				t.Errorf("Content-Type %q: %q, %v; want fault.Unsupported", tt.contentType, mt, err)
			}
			continue
		}
		if err != nil || mt != tt.wantMT || string(got) != "{}" {
			t.Errorf("Content-Type %q: %q, %q, %v; want %q", tt.contentType, got, mt, err, tt.wantMT)
		}
	}
	// Header names are matched whatever their case.
	r := Request{Body: "{}", Headers: map[string]string{"Content-Type": "application/json"}}
	if _, mt, err := Body(r); err != nil || mt != JSON {
		t.Errorf("Content-Type in canonical case: %q, %v", mt, err)
	}
}

func TestWantsHTML(t *testing.T) {
	const chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
	const firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	const safari = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	tests := []struct {
		name, accept, mt string
		want             bool
	}{
		{"Chrome form post", chrome, Form, true},
		{"Chrome's short header", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", Form, true},
		{"Firefox form post", firefox, Form, true},
		{"Safari form post", safari, Form, true},
		{"Chrome GET without a body", chrome, "", true},
		{"fetch asking for JSON", "application/json", Form, false},
		{"curl", "*/*", Form, false},
		{"no Accept", "", Form, false},
		{"JSON preferred by q", "text/html;q=0.5, application/json", Form, false},
		{"HTML preferred by q", "text/html, application/json;q=0.5", Form, true},
		{"text wildcard", "text/*", Form, true},
		{"application wildcard", "application/*, text/html;q=0.1", Form, false},
		{"malformed Accept", ";;;,,,", Form, false},
		{"bad q value", "text/html;q=abc, application/json;q=0.1", Form, false},
		{"JSON body never wants HTML, even from Chrome", chrome, JSON, false},
		{"JSON body with text/html", "text/html", JSON, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{Headers: map[string]string{}}
			if tt.accept != "" {
				r.Headers["accept"] = tt.accept
			}
			if got := WantsHTML(r, tt.mt); got != tt.want {
				t.Errorf("WantsHTML(Accept %q, %q) = %v, want %v", tt.accept, tt.mt, got, tt.want)
			}
		})
	}
}

func TestStatusOf(t *testing.T) {
	want := map[fault.Kind]int{
		fault.Internal:    500,
		fault.Invalid:     400,
		fault.NotFound:    404,
		fault.Conflict:    409,
		fault.Gone:        410,
		fault.TooMany:     429,
		fault.TooLarge:    413,
		fault.Unsupported: 415,
		fault.Unavailable: 503,
		fault.Kind(99):    500,
	}
	for k, w := range want {
		if got := StatusOf(k); got != w {
			t.Errorf("StatusOf(%d) = %d, want %d", k, got, w)
		}
	}
}

// decodeProblem checks the common shape of a problem response and returns its
// body as a generic map.
func decodeProblem(t *testing.T, resp Response, wantStatus int) map[string]any {
	t.Helper()
	if resp.StatusCode != wantStatus {
		t.Errorf("status %d, want %d", resp.StatusCode, wantStatus)
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	if resp.Headers["Cache-Control"] != "no-store" || resp.Headers["X-Content-Type-Options"] != "nosniff" {
		t.Errorf("headers = %v", resp.Headers)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", resp.Body, err)
	}
	if m["status"] != float64(wantStatus) {
		t.Errorf("body status %v, want %d", m["status"], wantStatus)
	}
	for _, k := range []string{"type", "title"} {
		if s, _ := m[k].(string); s == "" {
			t.Errorf("body has no %s: %s", k, resp.Body)
		}
	}
	return m
}

func TestProblemValidation(t *testing.T) {
	var f fault.Fields
	f.Add("email", "not a valid email address")
	f.Add("types", "choose at least one request type")
	resp := Problem(f.Err(), map[string]string{"Vary": "Origin"})
	m := decodeProblem(t, resp, 400)
	if resp.Headers["Vary"] != "Origin" {
		t.Errorf("given headers dropped: %v", resp.Headers)
	}
	if m["title"] != "Bad Request" {
		t.Errorf("title %v, want Bad Request", m["title"])
	}
	want := []any{
		map[string]any{"field": "email", "message": "not a valid email address"},
		map[string]any{"field": "types", "message": "choose at least one request type"},
	}
	if !reflect.DeepEqual(m["errors"], want) {
		t.Errorf("errors = %#v, want %#v", m["errors"], want)
	}
}

func TestProblemKinds(t *testing.T) {
	resp := Problem(fault.New(fault.Gone, "This verification link is no longer valid."), nil)
	m := decodeProblem(t, resp, 410)
	if m["detail"] != "This verification link is no longer valid." {
		t.Errorf("detail = %v", m["detail"])
	}
	if _, ok := m["errors"]; ok {
		t.Errorf("errors present without field errors: %s", resp.Body)
	}

	resp = Problem(fault.New(fault.TooMany, "Slow down."), nil)
	decodeProblem(t, resp, 429)
	if resp.Headers["Retry-After"] == "" {
		t.Error("429 without Retry-After")
	}
	resp = Problem(fault.Wrap(fault.Unavailable, "The service is unavailable for a moment.", errors.New("dial tcp 10.0.0.1:443: connection refused")), nil)
	m = decodeProblem(t, resp, 503)
	if resp.Headers["Retry-After"] != "5" || m["detail"] != "The service is unavailable for a moment." {
		t.Errorf("503: Retry-After %q, body %s", resp.Headers["Retry-After"], resp.Body)
	}
	if strings.Contains(resp.Body, "10.0.0.1") {
		t.Errorf("503 reveals its cause: %s", resp.Body)
	}
	decodeProblem(t, Problem(fault.New(fault.TooLarge, "big"), nil), 413)
	decodeProblem(t, Problem(fault.New(fault.Unsupported, "media"), nil), 415)
	decodeProblem(t, Problem(fault.New(fault.Conflict, "again"), nil), 409)
	decodeProblem(t, Problem(fault.New(fault.NotFound, "none"), nil), 404)
}

func TestProblemInternalRevealsNothing(t *testing.T) {
	secrets := []string{"claritru-prod-table", "ResourceNotFoundException", "ada@example.com", "arn:aws"}
	errs := []error{
		fault.Wrap(fault.Internal, "write claritru-prod-table for ada@example.com", errors.New("ResourceNotFoundException: arn:aws:dynamodb")),
		errors.New("ResourceNotFoundException: claritru-prod-table arn:aws ada@example.com"),
		&fault.Error{Kind: fault.Internal, Detail: "claritru-prod-table", Fields: []fault.FieldError{{Field: "ada@example.com", Message: "arn:aws"}}},
	}
	for _, err := range errs {
		resp := Problem(err, nil)
		m := decodeProblem(t, resp, 500)
		for _, s := range secrets {
			if strings.Contains(resp.Body, s) {
				t.Errorf("internal problem reveals %q: %s", s, resp.Body)
			}
		}
		if _, ok := m["errors"]; ok {
			t.Errorf("internal problem lists errors: %s", resp.Body)
		}
		if d, _ := m["detail"].(string); d == "" {
			t.Errorf("internal problem has no generic detail: %s", resp.Body)
		}
	}
}

func TestReturnURL(t *testing.T) {
	allowed := []string{"https://claritru.com/privacy/thanks", "https://claritru.com/privacy/verified?lang=de"}
	tests := []struct {
		name, requested string
		wantBase        string
		wantQuery       url.Values
	}{
		{"default", "", "https://claritru.com/privacy/thanks", url.Values{"ref": {"R1"}, "status": {"received"}}},
		{"allowed second", "https://claritru.com/privacy/verified?lang=de", "https://claritru.com/privacy/verified", url.Values{"ref": {"R1"}, "status": {"received"}, "lang": {"de"}}},
		{"foreign site", "https://evil.example/phish", "https://claritru.com/privacy/thanks", url.Values{"ref": {"R1"}, "status": {"received"}}},
		{"look-alike host", "https://claritru.com.evil.example/privacy/thanks", "https://claritru.com/privacy/thanks", url.Values{"ref": {"R1"}, "status": {"received"}}},
		{"prefix of an allowed URL", "https://claritru.com/privacy/thanks/../../x", "https://claritru.com/privacy/thanks", url.Values{"ref": {"R1"}, "status": {"received"}}},
		{"protocol-relative", "//evil.example/", "https://claritru.com/privacy/thanks", url.Values{"ref": {"R1"}, "status": {"received"}}},
		{"javascript", "javascript:alert(1)", "https://claritru.com/privacy/thanks", url.Values{"ref": {"R1"}, "status": {"received"}}},
		{"allowed but different case", "HTTPS://CLARITRU.COM/privacy/thanks", "https://claritru.com/privacy/thanks", url.Values{"ref": {"R1"}, "status": {"received"}}},
		{"allowed by path", "/privacy/verified", "https://claritru.com/privacy/verified", url.Values{"ref": {"R1"}, "status": {"received"}, "lang": {"de"}}},
		{"unknown path", "/privacy/elsewhere", "https://claritru.com/privacy/thanks", url.Values{"ref": {"R1"}, "status": {"received"}}},
		{"path with a foreign host", "//claritru.com.evil.example/privacy/verified", "https://claritru.com/privacy/thanks", url.Values{"ref": {"R1"}, "status": {"received"}}},
		{"relative path", "privacy/verified", "https://claritru.com/privacy/thanks", url.Values{"ref": {"R1"}, "status": {"received"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ReturnURL(allowed, tt.requested, "R1", url.Values{"status": {"received"}})
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			base := *u
			base.RawQuery = ""
			if base.String() != tt.wantBase {
				t.Errorf("ReturnURL = %q, want base %q", got, tt.wantBase)
			}
			if !reflect.DeepEqual(u.Query(), tt.wantQuery) {
				t.Errorf("ReturnURL query = %v, want %v", u.Query(), tt.wantQuery)
			}
		})
	}
	// ref is escaped, not spliced.
	got := ReturnURL(allowed, "", "a b&next=https://evil.example", nil)
	u, _ := url.Parse(got)
	if u.Query().Get("ref") != "a b&next=https://evil.example" || u.Query().Has("next") || u.Host != "claritru.com" {
		t.Errorf("ReturnURL with a hostile ref = %q", got)
	}
	// A ref given in the allowed URL is replaced, not doubled.
	got = ReturnURL([]string{"https://claritru.com/t?ref=old"}, "", "new", nil)
	u, _ = url.Parse(got)
	if !reflect.DeepEqual(u.Query()["ref"], []string{"new"}) {
		t.Errorf("ReturnURL = %q, want one ref=new", got)
	}
}

func TestCORS(t *testing.T) {
	allowed := []string{"https://claritru.com", "http://127.0.0.1:3000"}
	tests := []struct {
		origin   string
		wantEcho bool
	}{
		{"https://claritru.com", true},
		{"http://127.0.0.1:3000", true},
		{"https://evil.example", false},
		{"https://claritru.com.evil.example", false},
		{"http://claritru.com", false},
		{"https://claritru.com:443", false},
		{"https://CLARITRU.com", false},
		{"null", false},
		{"*", false},
	}
	for _, tt := range tests {
		h := CORS(Request{Headers: map[string]string{"origin": tt.origin}}, allowed)
		acao, ok := h["Access-Control-Allow-Origin"]
		if tt.wantEcho {
			if acao != tt.origin {
				t.Errorf("Origin %q: Access-Control-Allow-Origin = %q, want it echoed", tt.origin, acao)
			}
		} else if ok {
			t.Errorf("Origin %q: Access-Control-Allow-Origin = %q, want none", tt.origin, acao)
		}
		if h["Vary"] != "Origin" {
			t.Errorf("Origin %q: Vary = %q, want Origin", tt.origin, h["Vary"])
		}
		if _, ok := h["Access-Control-Allow-Credentials"]; ok {
			t.Errorf("Origin %q: credentials allowed", tt.origin)
		}
	}
	if h := CORS(Request{Headers: map[string]string{}}, allowed); h["Access-Control-Allow-Origin"] != "" {
		t.Errorf("no Origin: %v", h)
	}
	if h := CORS(Request{Headers: map[string]string{"Origin": "https://claritru.com"}}, allowed); h["Access-Control-Allow-Origin"] != "https://claritru.com" {
		t.Errorf("Origin in canonical case: %v", h)
	}
	if h := CORS(Request{Headers: map[string]string{"origin": "https://claritru.com"}}, nil); h["Access-Control-Allow-Origin"] != "" {
		t.Errorf("no allowed origins: %v", h)
	}
}

func TestResponses(t *testing.T) {
	resp := JSONResponse(202, map[string]string{"id": "R1"}, map[string]string{"Vary": "Origin"})
	if resp.StatusCode != 202 || resp.Headers["Content-Type"] != "application/json" || resp.Body != `{"id":"R1"}` || resp.Headers["Vary"] != "Origin" {
		t.Errorf("JSONResponse = %+v", resp)
	}
	// Values that cannot be encoded become an internal problem.
	resp = JSONResponse(200, map[string]any{"f": func() {}}, nil)
	if resp.StatusCode != 500 || resp.Headers["Content-Type"] != "application/problem+json" {
		t.Errorf("JSONResponse of a func = %+v", resp)
	}
	resp = HTMLResponse(200, "<p>hi</p>", nil)
	if resp.Headers["Content-Type"] != "text/html; charset=utf-8" || !strings.Contains(resp.Headers["Content-Security-Policy"], "default-src 'none'") {
		t.Errorf("HTMLResponse headers = %v", resp.Headers)
	}
	resp = SeeOther("https://claritru.com/t?ref=R1", nil)
	if resp.StatusCode != 303 || resp.Headers["Location"] != "https://claritru.com/t?ref=R1" {
		t.Errorf("SeeOther = %+v", resp)
	}
	// A caller's headers map is not changed.
	base := map[string]string{"Vary": "Origin"}
	_ = JSONResponse(200, 1, base)
	if len(base) != 1 {
		t.Errorf("caller's headers changed: %v", base)
	}
}

func FuzzBody(f *testing.F) {
	f.Add(`{"first_name":"Ada"}`, false, "application/json")
	f.Add("first_name=Ada%0D%0ABcc:%20x@y&types=know", false, "application/x-www-form-urlencoded")
	f.Add(base64.StdEncoding.EncodeToString([]byte("a\x00b")), true, "application/json; charset=utf-8")
	f.Add("\x00\x00\x00", false, "application/json\x00")
	f.Add("=====", true, "application/json")
	f.Add(strings.Repeat("{\"a\":", 1000), false, "application/json; charset=\"utf-8\"")
	f.Add(strings.Repeat("𝔄", 100), false, "application/x-www-form-urlencoded; charset=latin1")
	f.Add("", false, "multipart/form-data; boundary=\r\nX-Evil: 1")
	f.Add(`{"email":"a@x.example","email":"b@y.example"}`, false, "application/json")
	f.Add(`{"subject":{"email":"a\ud800@x.example"},"events":[{"granted":true,"Granted":false}]}`, false, "application/json")
	f.Add(base64.StdEncoding.EncodeToString([]byte("{\"first_name\":\"\xed\xa0\x80\"}")), true, "application/json")
	f.Add("email=a%40x.example&first_name=%C0%AF", false, "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, body string, b64 bool, contentType string) {
		r := Request{Body: body, IsBase64Encoded: b64, Headers: map[string]string{"content-type": contentType}}
		got, mt, err := Body(r)
		if err != nil {
			switch fault.KindOf(err) {
			case fault.TooLarge, fault.Unsupported, fault.Invalid:
			default:
				t.Fatalf("Body error %v of unexpected kind", err)
			}
			if got != nil || mt != "" {
				t.Errorf("Body returned %q, %q with an error", got, mt)
			}
			return
		}
		if mt != JSON && mt != Form {
			t.Errorf("Body media type %q", mt)
		}
		if len(got) > MaxBody {
			t.Errorf("Body returned %d bytes, over %d", len(got), MaxBody)
		}
		if !b64 && string(got) != body {
			t.Error("Body changed a plain body")
		}
		if b64 {
			want, err := base64.StdEncoding.DecodeString(body)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("Body decoded base64 to %q, want %q (%v)", got, want, err)
			}
		}
		if len(body) > MaxBody && !b64 {
			t.Errorf("accepted a %d-byte plain body", len(body))
		}
	})
}
