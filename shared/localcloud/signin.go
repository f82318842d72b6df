package localcloud

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// HostedSignIn is the local stand-in for the Cognito domain's hosted
// sign-in (OAuth 2.0 authorization code with PKCE S256, public client):
// /oauth2/authorize shows the sign-in form and signs the person in through
// cognito-local (password, then authenticator code), /oauth2/token trades
// the code for tokens, /logout returns to the console; /console/config.json
// tells the console where they are, as the stack's config.json does in AWS.
type HostedSignIn struct {
	Cognito *Cognito
	// Origin is the gateway's; the console's redirect and logout URI is
	// Origin + "/console/", the only one registered.
	Origin string
	Log    *slog.Logger
	// Now is the clock of the codes' lifetime; nil is time.Now.
	Now func() time.Time

	mu    sync.Mutex
	codes map[string]grant
}

// codeLife is how long an authorization code may be redeemed (Cognito's
// codes live five minutes).
const codeLife = 5 * time.Minute

// grant is what one authorization code stands for.
type grant struct {
	tokens      Tokens
	challenge   string
	redirectURI string
	expires     time.Time
}

// RedirectURI is the console's registered redirect (and logout) URI.
func (s *HostedSignIn) RedirectURI() string { return s.Origin + "/console/" }

// Register adds the stand-in's paths to mux.
func (s *HostedSignIn) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /oauth2/authorize", s.authorizeForm)
	mux.HandleFunc("POST /oauth2/authorize", s.authorize)
	mux.HandleFunc("POST /oauth2/token", s.token)
	mux.HandleFunc("GET /logout", s.logout)
	mux.HandleFunc("GET /console/config.json", s.config)
}

// ConsoleConfig is the console's /console/config.json.
type ConsoleConfig struct {
	AuthorizeURL string `json:"authorize_url"`
	TokenURL     string `json:"token_url"`
	LogoutURL    string `json:"logout_url"`
	ClientID     string `json:"client_id"`
	RedirectURI  string `json:"redirect_uri"`
	Scope        string `json:"scope"`
}

// Config is what the console reads to sign in here.
func (s *HostedSignIn) Config() ConsoleConfig {
	return ConsoleConfig{AuthorizeURL: s.Origin + "/oauth2/authorize", TokenURL: s.Origin + "/oauth2/token",
		LogoutURL: s.Origin + "/logout", ClientID: s.Cognito.ClientID, RedirectURI: s.RedirectURI(), Scope: "openid email profile"}
}

func (s *HostedSignIn) config(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.Config())
}

// authParams are the query of an authorization request, carried through
// the form in hidden fields.
type authParams struct {
	ClientID, RedirectURI, State, Challenge, Scope string
}

// params reads and checks an authorization request. An unknown client or
// redirect URI is answered here and never redirected to (RFC 6749 §4.1.2.1).
func (s *HostedSignIn) params(v url.Values) (authParams, string) {
	p := authParams{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), State: v.Get("state"),
		Challenge: v.Get("code_challenge"), Scope: v.Get("scope")}
	switch {
	case p.ClientID != s.Cognito.ClientID:
		return p, "Unknown client_id."
	case p.RedirectURI != s.RedirectURI():
		return p, "redirect_uri is not registered for this client."
	case v.Get("response_type") != "code":
		return p, "response_type must be code."
	case v.Get("code_challenge_method") != "S256" || len(p.Challenge) < 43 || len(p.Challenge) > 128:
		return p, "PKCE is required: code_challenge with code_challenge_method S256."
	}
	return p, ""
}

func (s *HostedSignIn) authorizeForm(w http.ResponseWriter, r *http.Request) {
	p, bad := s.params(r.URL.Query())
	if bad != "" {
		s.page(w, http.StatusBadRequest, signInPage{Error: bad})
		return
	}
	s.page(w, http.StatusOK, signInPage{Params: p, Form: true})
}

func (s *HostedSignIn) authorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.page(w, http.StatusBadRequest, signInPage{Error: "The form could not be read."})
		return
	}
	p, bad := s.params(r.PostForm)
	if bad != "" {
		s.page(w, http.StatusBadRequest, signInPage{Error: bad})
		return
	}
	user := strings.TrimSpace(r.PostForm.Get("username"))
	tokens, err := s.Cognito.SignIn(r.Context(), user, r.PostForm.Get("password"), strings.TrimSpace(r.PostForm.Get("code")))
	if errors.Is(err, ErrSignIn) {
		s.page(w, http.StatusUnauthorized, signInPage{Params: p, Form: true, Username: user,
			Error: "Incorrect username, password or authenticator code."})
		return
	}
	if err != nil {
		// The kind of failure only: Cognito's messages may echo input.
		var ce *CognitoError
		kind := "transport"
		if errors.As(err, &ce) {
			kind = ce.Type
		}
		s.Log.Error("hosted sign-in failed", "kind", kind)
		s.page(w, http.StatusBadGateway, signInPage{Params: p, Form: true, Username: user, Error: "Sign-in is unavailable; try again."})
		return
	}
	code := randomID()
	s.mu.Lock()
	if s.codes == nil {
		s.codes = map[string]grant{}
	}
	now := s.now()
	for k, g := range s.codes {
		if now.After(g.expires) {
			delete(s.codes, k)
		}
	}
	s.codes[code] = grant{tokens: tokens, challenge: p.Challenge, redirectURI: p.RedirectURI, expires: now.Add(codeLife)}
	s.mu.Unlock()
	q := url.Values{"code": {code}}
	if p.State != "" {
		q.Set("state", p.State)
	}
	http.Redirect(w, r, p.RedirectURI+"?"+q.Encode(), http.StatusFound)
}

// tokenAnswer is the token endpoint's JSON.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func (s *HostedSignIn) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request")
		return
	}
	f := r.PostForm
	if f.Get("client_id") != s.Cognito.ClientID {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	var tokens Tokens
	switch f.Get("grant_type") {
	case "authorization_code":
		g, ok := s.redeem(f.Get("code"))
		if !ok || f.Get("redirect_uri") != g.redirectURI || !pkceMatches(f.Get("code_verifier"), g.challenge) {
			oauthError(w, "invalid_grant")
			return
		}
		tokens = g.tokens
	case "refresh_token":
		// cognito-local 5.3 keeps no refresh token issued after an MFA
		// challenge: locally this answers invalid_grant and the console
		// signs in again.
		t, err := s.Cognito.Refresh(r.Context(), f.Get("refresh_token"))
		if err != nil {
			oauthError(w, "invalid_grant")
			return
		}
		tokens = t
	default:
		oauthError(w, "unsupported_grant_type")
		return
	}
	if tokens.ExpiresIn == 0 {
		// cognito-local gives no lifetime; the app client's is an hour.
		tokens.ExpiresIn = 3600
	}
	writeJSON(w, http.StatusOK, tokenAnswer{AccessToken: tokens.AccessToken, IDToken: tokens.IDToken,
		RefreshToken: tokens.RefreshToken, TokenType: "Bearer", ExpiresIn: tokens.ExpiresIn})
}

// redeem takes a code out of the store: a code is good once, and only
// while fresh (RFC 6749 §4.1.2).
func (s *HostedSignIn) redeem(code string) (grant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.codes[code]
	delete(s.codes, code)
	return g, ok && s.now().Before(g.expires)
}

func (s *HostedSignIn) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// pkceMatches checks a code verifier against its S256 challenge (RFC 7636
// §4.6).
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

func (s *HostedSignIn) logout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.Cognito.ClientID || q.Get("logout_uri") != s.RedirectURI() {
		s.page(w, http.StatusBadRequest, signInPage{Error: "logout_uri is not registered for this client."})
		return
	}
	http.Redirect(w, r, s.RedirectURI(), http.StatusFound)
}

func oauthError(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomID() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// signInPage is what the form page shows.
type signInPage struct {
	Params   authParams
	Form     bool
	Username string
	Error    string
}

// page writes the sign-in page under the same strict headers as the API's
// own pages: no script at all, no framing, forms to this origin only.
func (s *HostedSignIn) page(w http.ResponseWriter, status int, p signInPage) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := signInTemplate().Execute(w, p); err != nil {
		s.Log.Error("sign-in page", "error", err.Error())
	}
}

var signInTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("signin").Parse(signInHTML))
})

const signInHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in – ClariTru privacy team</title>
<style>
body{font:1rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#f6f7f9;margin:0}
main{max-width:24rem;margin:3rem auto;padding:1.5rem;background:#fff;border:1px solid #c9ccd1;border-radius:.5rem}
h1{font-size:1.4rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin-top:1rem}
input{display:block;box-sizing:border-box;width:100%;font:inherit;padding:.5rem;border:1px solid #6b7078;border-radius:.25rem}
input:focus,button:focus{outline:3px solid #1d4ed8;outline-offset:2px}
button{margin-top:1.5rem;font:inherit;font-weight:600;padding:.6rem 1.2rem;color:#fff;background:#1d4ed8;border:0;border-radius:.25rem;cursor:pointer}
.error{color:#9b1c1c;background:#fdf2f2;border:1px solid #9b1c1c;padding:.5rem;border-radius:.25rem}
.hint{color:#4a4f57;font-size:.9rem;margin:.25rem 0 0}
</style>
</head>
<body>
<main>
<h1>Sign in to the privacy console</h1>
{{if .Error}}<p class="error" role="alert" id="error">{{.Error}}</p>{{end}}
{{if .Form}}<form method="post" action="/oauth2/authorize">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="client_id" value="{{.Params.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.Params.RedirectURI}}">
<input type="hidden" name="state" value="{{.Params.State}}">
<input type="hidden" name="code_challenge" value="{{.Params.Challenge}}">
<input type="hidden" name="code_challenge_method" value="S256">
<input type="hidden" name="scope" value="{{.Params.Scope}}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required value="{{.Username}}"{{if .Error}} aria-describedby="error"{{end}}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<label for="code">Authenticator code</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required aria-describedby="code-hint">
<p class="hint" id="code-hint">The six digits your authenticator app shows now.</p>
<button type="submit">Sign in</button>
</form>{{end}}
</main>
</body>
</html>
`
