package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/staffauth"
)

// TestStaffToken runs the command against a seeded cognito-local: it prints
// an access token of the pool for the user (the gateway's check passes it,
// with the user's group), and with -code a six-digit code that signs the
// user in; an unknown user or a missing file is an error.
func TestStaffToken(t *testing.T) {
	root, err := localcloud.Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var pool *localcloud.Cognito
	if _, err := localcloud.OnFreePort(func(port int) (*localcloud.Process, error) {
		var err error
		if pool, err = localcloud.StartCognito(ctx, root, port, "", nil); err != nil {
			return nil, err
		}
		return pool.Process, nil
	}); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop()
	file := filepath.Join(t.TempDir(), "staff.json")
	b, _ := json.Marshal(localcloud.StaffFile{Endpoint: pool.Endpoint, PoolID: pool.PoolID, ClientID: pool.ClientID,
		Password: pool.Password, Secrets: pool.Secrets})
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}

	var out strings.Builder
	if err := run(&out, "viewer", false, file); err != nil {
		t.Fatal(err)
	}
	v := &staffauth.Verifier{Issuer: pool.Issuer(), Audiences: []string{pool.ClientID}}
	claims, err := v.Verify(ctx, strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("the printed token does not verify: %v", err)
	}
	if rendered, _ := staffauth.Rendered(claims); rendered["username"] != "viewer" || rendered["cognito:groups"] != "[privacy-viewer]" {
		t.Errorf("token claims %v", rendered)
	}

	out.Reset()
	if err := run(&out, "admin", true, file); err != nil {
		t.Fatal(err)
	}
	code := strings.TrimSpace(out.String())
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
		t.Fatalf("code %q", code)
	}
	if _, err := pool.SignIn(ctx, "admin", pool.Password, code); err != nil {
		t.Errorf("the printed code does not sign admin in: %v", err)
	}
	if err := run(&out, "nobody", false, file); err == nil {
		t.Error("an unknown user got a token")
	}
	if err := run(&out, "viewer", false, filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("no pool file, and no error")
	}
}
