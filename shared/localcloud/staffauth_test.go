package localcloud_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/localcloud"
)

// cognitoLocalKey is cognito-local's own signing key, which it ships in its
// package: a token signed with it is one the pool could have issued.
func cognitoLocalKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	root, err := localcloud.Root()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "node_modules", "cognito-local", "lib", "keys", "cognitoLocal.private.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ PEM string }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(f.PEM))
	if block == nil {
		t.Fatal("cognito-local's key is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// signRS256 makes a compact JWS of claims under the key id cognito-local
// uses.
func signRS256(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	seg := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := seg(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "CognitoLocal"}) + "." + seg(claims)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestGatewayRefusesBadTokens: the local gateway, as the HTTP API's JWT
// authorizer, answers 401 {"message":"Unauthorized"} before the function
// runs to a staff call with no token, or one signed with the pool's own key
// but expired, for another app client or from another issuer, or signed by
// another key or with alg none; the same claims, in time and for the
// console's client, pass. The machine routes take the local bearer token,
// not a person's sign-in.
func TestGatewayRefusesBadTokens(t *testing.T) {
	l := startLocal(t)
	key := cognitoLocalKey(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(change func(map[string]any)) map[string]any {
		c := map[string]any{"sub": "7f0c-test", "username": "admin", "client_id": l.cloud.Cognito.ClientID, "token_use": "access",
			"iss": l.cloud.Cognito.Issuer(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "scope": "aws.cognito.signin.user.admin",
			"cognito:groups": []string{"privacy-admin"}}
		if change != nil {
			change(c)
		}
		return c
	}
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString(must1(json.Marshal(claims(nil)))) + "."
	for name, token := range map[string]string{
		"no token":      "",
		"expired":       signRS256(t, key, claims(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() })),
		"not yet valid": signRS256(t, key, claims(func(c map[string]any) { c["nbf"] = now.Add(10 * time.Minute).Unix() })),
		"wrong audience": signRS256(t, key, claims(func(c map[string]any) {
			c["client_id"] = "another-app-client"
		})),
		"wrong issuer": signRS256(t, key, claims(func(c map[string]any) {
			c["iss"] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"
		})),
		"another key": signRS256(t, other, claims(nil)),
		"alg none":    none,
	} {
		resp, body := l.do("GET", "/v1/admin/me", "", "application/json", "", "Authorization", "Bearer "+token)
		if resp.StatusCode != http.StatusUnauthorized || strings.TrimSpace(body) != `{"message":"Unauthorized"}` {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
	}
	resp, body := l.do("GET", "/v1/admin/me", "", "application/json", "", "Authorization", "Bearer "+signRS256(t, key, claims(nil)))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"role":"admin"`) {
		t.Errorf("a good token of the pool's: %d %s", resp.StatusCode, body)
	}
	// Signed in, but in no staff group: 403 on every staff route.
	outsider := signRS256(t, key, claims(func(c map[string]any) { c["cognito:groups"] = []string{"marketing"} }))
	for _, path := range []string{"/v1/admin/me", "/v1/admin/requests", "/v1/admin/suppression"} {
		resp, body := l.do("GET", path, "", "application/json", "", "Authorization", "Bearer "+outsider)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Your role does not allow this.") {
			t.Errorf("no staff group, %s: %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, body := l.do("GET", "/v1/machine/suppression", "", "application/json", "", "Authorization", "Bearer "+adminToken); resp.StatusCode != http.StatusOK {
		t.Errorf("machine route with the local token: %d %s", resp.StatusCode, body)
	}
	if resp, _ := l.do("GET", "/v1/machine/suppression", "", "application/json", "", "Authorization", staffBearer(t, l.cloud, "admin")); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("machine route with a person's token: %d", resp.StatusCode)
	}
	if resp, _ := l.do("GET", "/v1/admin/requests", "", "application/json", "", "Authorization", "Bearer "+adminToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("staff route with the machine token: %d", resp.StatusCode)
	}
}

func must1[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestStaffRolesSignedIn: each seeded user signs in through cognito-local
// (password, then the authenticator's code) and the API allows their role
// only: a viewer reads but may not act, export or erase; a handler enters
// and acts on requests but may not export, erase or publish a policy
// version; an admin may. Each recorded action names the person.
func TestStaffRolesSignedIn(t *testing.T) {
	l := startLocal(t)
	for _, u := range []string{"viewer", "handler", "admin"} {
		var me adminapi.Me
		if err := json.Unmarshal([]byte(l.staffAs(t, u, "GET", "/v1/admin/me", "", 200)), &me); err != nil ||
			me.Username != u || me.Role != u || len(me.Groups) != 1 || me.Groups[0] != "privacy-"+u {
			t.Errorf("%s: me %+v %v", u, me, err)
		}
	}
	const email = "rosa.roles@example.com"
	entered := `{"channel":"phone","types":["know"],"first_name":"Rosa","last_name":"Roles","email":"` + email + `","country":"US","state":"CA","declaration":true}`
	l.staffAs(t, "viewer", "POST", "/v1/admin/requests", entered, 403)
	var rc struct{ ID string }
	if err := json.Unmarshal([]byte(l.staffAs(t, "handler", "POST", "/v1/admin/requests", entered, 202)), &rc); err != nil || rc.ID == "" {
		t.Fatalf("handler entering a request: %v", err)
	}
	path := "/v1/admin/requests/" + rc.ID
	l.staffAs(t, "viewer", "GET", path, "", 200)
	deny := `{"action":"deny","reason":"The caller could not be verified.","version":1}`
	l.staffAs(t, "viewer", "POST", path+"/actions", deny, 403)
	l.staffAs(t, "handler", "POST", path+"/actions", deny, 200)
	var detail adminapi.RequestDetail
	if err := json.Unmarshal([]byte(l.staffAs(t, "viewer", "GET", path, "", 200)), &detail); err != nil || len(detail.History) != 2 {
		t.Fatalf("history: %+v %v", detail.History, err)
	}
	for _, e := range detail.History {
		if e.Actor != "handler" {
			t.Errorf("history %s by %q, want handler", e.Action, e.Actor)
		}
	}

	export := "/v1/admin/subjects/export?" + url.Values{"email": {email}}.Encode()
	erase := `{"email":"` + email + `","reason":"Verified request to delete, by phone"}`
	policy := `{"version":"2026-12","effective_at":"2026-12-01T08:00:00Z","material":false,"summary":"Roles.","text":"Words."}`
	for _, u := range []string{"viewer", "handler"} {
		l.staffAs(t, u, "GET", export, "", 403)
		l.staffAs(t, u, "POST", "/v1/admin/subjects/erase", erase, 403)
		l.staffAs(t, u, "POST", "/v1/admin/policy-versions", policy, 403)
	}
	if out := l.staffAs(t, "admin", "GET", export, "", 200); !strings.Contains(out, rc.ID) {
		t.Errorf("admin's export lacks the request: %s", out)
	}
	l.staffAs(t, "admin", "POST", "/v1/admin/policy-versions", policy, 201)
	if out := l.staffAs(t, "admin", "POST", "/v1/admin/subjects/erase", erase, 200); !strings.Contains(out, `"actor":"admin"`) {
		t.Errorf("erasure not recorded as the admin's: %s", out)
	}
}
