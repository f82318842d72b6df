package localcloud_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/localcloud"
)

// pkce is a code verifier and its S256 challenge (RFC 7636).
func pkce(seed string) (verifier, challenge string) {
	verifier = strings.Repeat(seed, 64)[:64]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeQuery is the console's authorization request.
func authorizeQuery(l *local, challenge string) url.Values {
	cfg := l.cloud.SignIn.Config()
	return url.Values{"response_type": {"code"}, "client_id": {cfg.ClientID}, "redirect_uri": {cfg.RedirectURI},
		"state": {"s-123"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "scope": {cfg.Scope}}
}

// signInForm posts the sign-in form and returns the response and page.
func signInForm(l *local, q url.Values, user, password, code string) (*http.Response, string) {
	f := url.Values{}
	for k, v := range q {
		f[k] = v
	}
	f.Set("username", user)
	f.Set("password", password)
	f.Set("code", code)
	return l.do("POST", "/oauth2/authorize", "application/x-www-form-urlencoded", "text/html", f.Encode())
}

// redeem posts a code to the token endpoint.
func redeem(l *local, code, redirectURI, verifier string) (*http.Response, map[string]any) {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {l.cloud.SignIn.Config().ClientID}, "code_verifier": {verifier}}
	resp, body := l.do("POST", "/oauth2/token", "application/x-www-form-urlencoded", "application/json", f.Encode())
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		l.t.Fatalf("token endpoint answered %d %q", resp.StatusCode, body)
	}
	return resp, out
}

// TestHostedSignIn: the local stand-in for Cognito's hosted sign-in. The
// console's config names it; the form has the labelled inputs; a wrong
// password or authenticator code shows the form again with an error; the
// right ones redirect to the registered URI with a code and the state; the
// code gives tokens only with the right verifier and redirect URI, and only
// once; a foreign redirect or logout URI is refused, never redirected to.
// The access token is the pool's
// (signed by cognito-local, the seeded user's groups).
func TestHostedSignIn(t *testing.T) {
	l := startLocal(t)
	cloud := l.cloud
	resp, body := l.do("GET", "/console/config.json", "", "application/json", "")
	var cfg localcloud.ConsoleConfig
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &cfg) != nil || cfg.RedirectURI != cloud.APIURL+"/console/" ||
		cfg.AuthorizeURL != cloud.APIURL+"/oauth2/authorize" || cfg.TokenURL != cloud.APIURL+"/oauth2/token" ||
		cfg.LogoutURL != cloud.APIURL+"/logout" || cfg.ClientID == "" || cfg.Scope != "openid email profile" {
		t.Fatalf("config.json: %d %s", resp.StatusCode, body)
	}
	verifier, challenge := pkce("v")
	q := authorizeQuery(l, challenge)
	resp, page := l.do("GET", "/oauth2/authorize?"+q.Encode(), "", "text/html", "")
	for _, want := range []string{`<label for="username">`, `id="username"`, `<label for="password">`, `id="password"`, `<label for="code">`, `id="code"`, `type="submit"`} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, want) {
			t.Fatalf("sign-in form: %d, no %s", resp.StatusCode, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(page, "<script") {
		t.Errorf("sign-in page CSP %q, or it has a script", csp)
	}

	for name, creds := range map[string][2]string{
		"wrong password": {"not-the-password", cloud.StaffCode("handler")},
		"wrong code":     {cloud.StaffPassword(), wrongCode(cloud.StaffCode("handler"))},
	} {
		resp, page := signInForm(l, q, "handler", creds[0], creds[1])
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Location") != "" ||
			!strings.Contains(page, "Incorrect username, password or authenticator code.") || !strings.Contains(page, `id="password"`) {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	resp, _ = signInForm(l, q, "handler", cloud.StaffPassword(), cloud.StaffCode("handler"))
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), cfg.RedirectURI+"?") ||
		loc.Query().Get("state") != "s-123" || loc.Query().Get("code") == "" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	code := loc.Query().Get("code")
	if resp, out := redeem(l, code, cfg.RedirectURI, strings.Repeat("w", 64)); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("wrong verifier: %d %v", resp.StatusCode, out)
	}
	// The code was spent by the refused attempt: each is good once.
	resp, _ = signInForm(l, q, "handler", cloud.StaffPassword(), cloud.StaffCode("handler"))
	code = mustCode(t, resp)
	if resp, out := redeem(l, code, cloud.APIURL+"/elsewhere/", verifier); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("other redirect_uri at the token endpoint: %d %v", resp.StatusCode, out)
	}
	resp, _ = signInForm(l, q, "handler", cloud.StaffPassword(), cloud.StaffCode("handler"))
	code = mustCode(t, resp)
	resp, tokens := redeem(l, code, cfg.RedirectURI, verifier)
	access, _ := tokens["access_token"].(string)
	if resp.StatusCode != http.StatusOK || access == "" || tokens["id_token"] == nil || tokens["refresh_token"] == nil ||
		tokens["token_type"] != "Bearer" || tokens["expires_in"] != float64(3600) {
		t.Fatalf("token: %d %v", resp.StatusCode, tokens)
	}
	claims := jwtClaims(t, access)
	if claims["username"] != "handler" || claims["client_id"] != cfg.ClientID || claims["iss"] != cloud.Cognito.Issuer() ||
		!strings.Contains(strings.Join(anyStrings(claims["cognito:groups"]), " "), "privacy-handler") {
		t.Errorf("access token claims %v", claims)
	}
	if resp, out := redeem(l, code, cfg.RedirectURI, verifier); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("reused code: %d %v", resp.StatusCode, out)
	}
	refusesForeignURIs(t, l, challenge)
}

// refusesForeignURIs: an authorization request or a logout naming another
// URI than the console's, or one without PKCE, is answered on the page and
// never redirected; the console's own logout URI is.
func refusesForeignURIs(t *testing.T, l *local, challenge string) {
	t.Helper()
	cloud, cfg := l.cloud, l.cloud.SignIn.Config()
	foreign := authorizeQuery(l, challenge)
	foreign.Set("redirect_uri", "https://attacker.example/console/")
	for _, r := range []func() (*http.Response, string){
		func() (*http.Response, string) {
			return l.do("GET", "/oauth2/authorize?"+foreign.Encode(), "", "text/html", "")
		},
		func() (*http.Response, string) {
			return signInForm(l, foreign, "handler", cloud.StaffPassword(), cloud.StaffCode("handler"))
		},
		func() (*http.Response, string) {
			return l.do("GET", "/logout?"+url.Values{"client_id": {cfg.ClientID}, "logout_uri": {"https://attacker.example/"}}.Encode(), "", "text/html", "")
		},
	} {
		if resp, page := r(); resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(page, "not registered") {
			t.Errorf("foreign URI: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	noPKCE := authorizeQuery(l, challenge)
	noPKCE.Del("code_challenge")
	if resp, _ := l.do("GET", "/oauth2/authorize?"+noPKCE.Encode(), "", "text/html", ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no code_challenge: %d", resp.StatusCode)
	}
	resp, _ := l.do("GET", "/logout?"+url.Values{"client_id": {cfg.ClientID}, "logout_uri": {cfg.RedirectURI}}.Encode(), "", "text/html", "")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != cfg.RedirectURI {
		t.Errorf("logout: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func mustCode(t *testing.T, resp *http.Response) string {
	t.Helper()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// wrongCode is another six digits than code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+5)%10
	return string(b)
}

// jwtClaims decodes a token's claims without verifying it (the gateway
// does that).
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err != nil || json.Unmarshal(b, &c) != nil {
		t.Fatalf("JWT claims: %v", err)
	}
	return c
}

func anyStrings(v any) []string {
	var out []string
	xs, _ := v.([]any)
	for _, x := range xs {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
