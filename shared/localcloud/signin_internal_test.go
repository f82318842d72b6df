package localcloud

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestPKCEMatchesRFC7636: the example of RFC 7636 appendix B, and
// verifiers of the wrong length.
func TestPKCEMatchesRFC7636(t *testing.T) {
	const verifier, challenge = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if !pkceMatches(verifier, challenge) {
		t.Error("the RFC's verifier does not match its challenge")
	}
	for _, v := range []string{"", verifier[:42], strings.Repeat("a", 129), verifier + "x"} {
		if pkceMatches(v, challenge) {
			t.Errorf("verifier %q matched", v)
		}
	}
}

// TestCodeExpires: a code is refused once its five minutes are over, and
// then gone.
func TestCodeExpires(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	s := &HostedSignIn{Cognito: &Cognito{ClientID: "console"}, Origin: "http://127.0.0.1:3000", Now: func() time.Time { return now }}
	const verifier, challenge = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	s.codes = map[string]grant{
		"fresh": {tokens: Tokens{AccessToken: "a"}, challenge: challenge, redirectURI: s.RedirectURI(), expires: now.Add(time.Second)},
		"stale": {tokens: Tokens{AccessToken: "a"}, challenge: challenge, redirectURI: s.RedirectURI(), expires: now.Add(-time.Second)},
	}
	mux := http.NewServeMux()
	s.Register(mux)
	redeem := func(code string) (int, string) {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {s.RedirectURI()}, "client_id": {"console"}, "code_verifier": {verifier}}
		r := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(f.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		var out map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		e, _ := out["error"].(string)
		return w.Code, e
	}
	if code, e := redeem("stale"); code != http.StatusBadRequest || e != "invalid_grant" {
		t.Errorf("expired code: %d %s", code, e)
	}
	if code, e := redeem("fresh"); code != http.StatusOK || e != "" {
		t.Errorf("fresh code: %d %s", code, e)
	}
	if len(s.codes) != 0 {
		t.Errorf("codes left: %v", s.codes)
	}
}
