package localcloud

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Staff groups, lowest role first: the Cognito groups the admin API reads
// a person's role from.
var StaffGroups = []string{"privacy-viewer", "privacy-handler", "privacy-admin"}

// StaffUsers are the seeded people, one per group, in StaffGroups' order.
var StaffUsers = []string{"viewer", "handler", "admin"}

// Cognito is cognito-local, the stand-in for the staff's Cognito user pool,
// seeded with one pool (MFA required, authenticator app), the console's app
// client (public: no secret) and one user per staff group.
type Cognito struct {
	*Process
	PoolID   string
	ClientID string
	// Password is every seeded user's (permanent, fixed per run).
	Password string
	// Secrets are the seeded users' authenticator (TOTP) secrets, base32.
	Secrets map[string]string
	dir     string
	temp    bool
	client  *http.Client
}

// Issuer is the pool's issuer URL, the `iss` of its tokens.
func (c *Cognito) Issuer() string { return c.Endpoint + "/" + c.PoolID }

// JWKSURL is where the pool publishes its signing keys.
func (c *Cognito) JWKSURL() string { return c.Issuer() + "/.well-known/jwks.json" }

// StartCognito starts cognito-local on 127.0.0.1:port with its data in dir
// (emptied first: the pool is seeded afresh each run), or in a temporary
// folder removed by Stop when dir is empty, and seeds it.
func StartCognito(ctx context.Context, root string, port int, dir string, logTo *os.File) (*Cognito, error) {
	bin := filepath.Join(root, "node_modules", "cognito-local", "lib", "bin", "start.js")
	if _, err := os.Stat(bin); err != nil {
		return nil, errors.New("cognito-local not found under node_modules; run `make tools`")
	}
	c := &Cognito{dir: dir, client: &http.Client{Timeout: 10 * time.Second}}
	if dir == "" {
		var err error
		if c.dir, err = os.MkdirTemp("", "cognito-local-"); err != nil {
			return nil, err
		}
		c.temp = true
	} else if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if err := writeCognitoConfig(c.dir, port); err != nil {
		c.Stop()
		return nil, err
	}
	if err := ensureFree(addr); err != nil {
		c.Stop()
		return nil, err
	}
	p, err := start(ctx, "cognito-local", "http://"+addr, c.dir, logTo, func() error {
		resp, err := http.Get("http://" + addr + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}, "node", bin)
	if err != nil {
		c.Stop()
		return nil, err
	}
	c.Process = p
	if err := c.seed(ctx); err != nil {
		c.Stop()
		return nil, fmt.Errorf("cognito-local: seed: %w", err)
	}
	return c, nil
}

// writeCognitoConfig writes cognito-local's .cognito/config.json: its
// address, and the issuer it is really reached at, so a token's `iss` is
// the URL its keys are fetched from.
func writeCognitoConfig(dir string, port int) error {
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	cfg := map[string]any{
		"ServerConfig":     map[string]any{"port": port, "hostname": "127.0.0.1"},
		"TokenConfig":      map[string]any{"IssuerDomain": base},
		"UserPoolDefaults": map[string]any{"UsernameAttributes": []string{}},
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, ".cognito"), 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ".cognito", "config.json"), b, 0o600)
}

// Stop ends cognito-local and removes a temporary data folder.
func (c *Cognito) Stop() {
	if c == nil {
		return
	}
	c.Process.Stop()
	if c.temp {
		_ = os.RemoveAll(c.dir)
	}
}

// CognitoError is an error answer of the Cognito API.
type CognitoError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func (e *CognitoError) Error() string { return e.Type + ": " + e.Message }

// Call calls one action of the Cognito Identity Provider API (JSON 1.1;
// cognito-local checks no signature).
func (c *Cognito) Call(ctx context.Context, action string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+"/", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+action)
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		e := &CognitoError{}
		if json.Unmarshal(body, e) != nil || e.Type == "" {
			e.Type = "HTTP " + strconv.Itoa(resp.StatusCode)
		}
		return fmt.Errorf("%s: %w", action, e)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

// Tokens are a sign-in's tokens.
type Tokens struct {
	AccessToken  string
	IDToken      string `json:"IdToken"`
	RefreshToken string
	ExpiresIn    int
	TokenType    string
}

type authAnswer struct {
	ChallengeName        string
	Session              string
	AuthenticationResult *Tokens
}

// ErrSignIn is a refused sign-in: an unknown user, a wrong password or a
// wrong authenticator code.
var ErrSignIn = errors.New("incorrect username, password or authenticator code")

// SignIn signs a user in as the hosted sign-in does: the password
// (USER_PASSWORD_AUTH), then the authenticator code the pool requires
// (SOFTWARE_TOKEN_MFA).
func (c *Cognito) SignIn(ctx context.Context, user, password, code string) (Tokens, error) {
	var a authAnswer
	err := c.Call(ctx, "InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": c.ClientID,
		"AuthParameters": map[string]string{"USERNAME": user, "PASSWORD": password}}, &a)
	if refused(err) {
		return Tokens{}, ErrSignIn
	} else if err != nil {
		return Tokens{}, err
	}
	if a.ChallengeName != "SOFTWARE_TOKEN_MFA" {
		return Tokens{}, fmt.Errorf("sign-in: challenge %q, want SOFTWARE_TOKEN_MFA", a.ChallengeName)
	}
	err = c.Call(ctx, "RespondToAuthChallenge", map[string]any{"ChallengeName": "SOFTWARE_TOKEN_MFA", "ClientId": c.ClientID,
		"Session": a.Session, "ChallengeResponses": map[string]string{"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": code}}, &a)
	if refused(err) {
		return Tokens{}, ErrSignIn
	} else if err != nil {
		return Tokens{}, err
	}
	if a.AuthenticationResult == nil {
		return Tokens{}, errors.New("sign-in: no tokens")
	}
	return *a.AuthenticationResult, nil
}

// Refresh gets new access and ID tokens for a refresh token.
func (c *Cognito) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	var a authAnswer
	err := c.Call(ctx, "InitiateAuth", map[string]any{"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": c.ClientID,
		"AuthParameters": map[string]string{"REFRESH_TOKEN": refreshToken}}, &a)
	if refused(err) {
		return Tokens{}, ErrSignIn
	} else if err != nil {
		return Tokens{}, err
	}
	if a.AuthenticationResult == nil {
		return Tokens{}, errors.New("refresh: no tokens")
	}
	return *a.AuthenticationResult, nil
}

// refused says whether err is Cognito refusing the caller's credentials.
func refused(err error) bool {
	var e *CognitoError
	if !errors.As(err, &e) {
		return false
	}
	switch e.Type {
	case "NotAuthorizedException", "UserNotFoundException", "CodeMismatchException", "InvalidPasswordException":
		return true
	}
	return false
}

// Code is a seeded user's current authenticator code.
func (c *Cognito) Code(user string) (string, error) {
	s, ok := c.Secrets[user]
	if !ok {
		return "", fmt.Errorf("no seeded user %q", user)
	}
	return TOTP(s, time.Now())
}

// newPassword is a password of every class Cognito's default policy asks
// for, random per run.
func newPassword() (string, error) {
	b := make([]byte, 9)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return fmt.Sprintf("Staff-%x-Aa1", b), nil
}

// seed creates the pool, the console's app client, the staff groups and one
// user per group with a permanent password and an enrolled authenticator,
// then requires MFA: a pool with MFA on refuses to sign in a user with no
// method, so each user enrols first, as a person does on first sign-in.
func (c *Cognito) seed(ctx context.Context) error {
	var pool struct{ UserPool struct{ Id string } }
	if err := c.Call(ctx, "CreateUserPool", map[string]any{"PoolName": "claritru-privacy-staff", "MfaConfiguration": "OFF",
		"AdminCreateUserConfig": map[string]any{"AllowAdminCreateUserOnly": true}}, &pool); err != nil {
		return err
	}
	c.PoolID = pool.UserPool.Id
	var client struct{ UserPoolClient struct{ ClientId string } }
	if err := c.Call(ctx, "CreateUserPoolClient", map[string]any{"UserPoolId": c.PoolID, "ClientName": "console",
		"GenerateSecret": false, "ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		// An hour, as the stack's app client gives.
		"AccessTokenValidity": 1, "IdTokenValidity": 1, "TokenValidityUnits": map[string]string{"AccessToken": "hours", "IdToken": "hours"}},
		&client); err != nil {
		return err
	}
	c.ClientID = client.UserPoolClient.ClientId
	var err error
	if c.Password, err = newPassword(); err != nil {
		return err
	}
	for i, g := range StaffGroups {
		if err := c.Call(ctx, "CreateGroup", map[string]any{"UserPoolId": c.PoolID, "GroupName": g, "Precedence": len(StaffGroups) - i}, nil); err != nil {
			return err
		}
	}
	c.Secrets = map[string]string{}
	for i, u := range StaffUsers {
		if err := c.seedUser(ctx, u, StaffGroups[i]); err != nil {
			return fmt.Errorf("user %s: %w", u, err)
		}
	}
	return c.Call(ctx, "SetUserPoolMfaConfig", map[string]any{"UserPoolId": c.PoolID, "MfaConfiguration": "ON",
		"SoftwareTokenMfaConfiguration": map[string]bool{"Enabled": true}}, nil)
}

// seedUser creates one user in a group and enrols an authenticator for it.
func (c *Cognito) seedUser(ctx context.Context, user, group string) error {
	if err := c.Call(ctx, "AdminCreateUser", map[string]any{"UserPoolId": c.PoolID, "Username": user, "MessageAction": "SUPPRESS",
		"UserAttributes": []map[string]string{{"Name": "email", "Value": user + "@claritru.example"}, {"Name": "email_verified", "Value": "true"}}}, nil); err != nil {
		return err
	}
	if err := c.Call(ctx, "AdminSetUserPassword", map[string]any{"UserPoolId": c.PoolID, "Username": user, "Password": c.Password, "Permanent": true}, nil); err != nil {
		return err
	}
	if err := c.Call(ctx, "AdminAddUserToGroup", map[string]any{"UserPoolId": c.PoolID, "Username": user, "GroupName": group}, nil); err != nil {
		return err
	}
	var a authAnswer
	if err := c.Call(ctx, "InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": c.ClientID,
		"AuthParameters": map[string]string{"USERNAME": user, "PASSWORD": c.Password}}, &a); err != nil {
		return err
	}
	if a.AuthenticationResult == nil {
		return fmt.Errorf("enrolment sign-in: challenge %q", a.ChallengeName)
	}
	access := a.AuthenticationResult.AccessToken
	var assoc struct{ SecretCode string }
	if err := c.Call(ctx, "AssociateSoftwareToken", map[string]string{"AccessToken": access}, &assoc); err != nil {
		return err
	}
	code, err := TOTP(assoc.SecretCode, time.Now())
	if err != nil {
		return err
	}
	if err := c.Call(ctx, "VerifySoftwareToken", map[string]string{"AccessToken": access, "UserCode": code, "FriendlyDeviceName": "authenticator"}, nil); err != nil {
		return err
	}
	c.Secrets[user] = assoc.SecretCode
	return c.Call(ctx, "SetUserMFAPreference", map[string]any{"AccessToken": access,
		"SoftwareTokenMfaSettings": map[string]bool{"Enabled": true, "PreferredMfa": true}}, nil)
}
