package localcloud

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// staffTokens keeps each seeded user's last access token, so that tests
// calling the staff API many times sign in once per user.
type staffTokens struct {
	mu     sync.Mutex
	tokens map[string]cachedToken
}

type cachedToken struct {
	access  string
	expires time.Time
}

// StaffPassword is the seeded users' password (fixed for this run).
func (c *Cloud) StaffPassword() string { return c.Cognito.Password }

// StaffCode is a seeded user's current authenticator code (TOTP); empty
// for an unknown user.
func (c *Cloud) StaffCode(user string) string {
	code, err := c.Cognito.Code(user)
	if err != nil {
		return ""
	}
	return code
}

// StaffToken signs a seeded user in through cognito-local, password then
// authenticator code, and returns the access token; a token still good for
// ten minutes is reused.
func (c *Cloud) StaffToken(ctx context.Context, user string) (string, error) {
	if !slices.Contains(StaffUsers, user) {
		return "", fmt.Errorf("no seeded staff user %q", user)
	}
	c.staffTokens.mu.Lock()
	defer c.staffTokens.mu.Unlock()
	if t, ok := c.staffTokens.tokens[user]; ok && time.Until(t.expires) > 10*time.Minute {
		return t.access, nil
	}
	code, err := c.Cognito.Code(user)
	if err != nil {
		return "", err
	}
	tokens, err := c.Cognito.SignIn(ctx, user, c.Cognito.Password, code)
	if err != nil {
		return "", fmt.Errorf("sign in %s: %w", user, err)
	}
	if c.staffTokens.tokens == nil {
		c.staffTokens.tokens = map[string]cachedToken{}
	}
	// The pool's app client gives access tokens an hour.
	c.staffTokens.tokens[user] = cachedToken{access: tokens.AccessToken, expires: time.Now().Add(time.Hour)}
	return tokens.AccessToken, nil
}
