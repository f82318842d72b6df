package localcloud

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// SecretsManager stands in for AWS Secrets Manager on `make dev` and in the
// tests: it answers GetSecretValue (the AWS JSON 1.1 protocol the SDK
// speaks; the one operation the service uses) for the secrets it was given,
// so the reach function reads its webhook keys with the same client as in
// AWS.
type SecretsManager struct {
	Endpoint string

	mu      sync.Mutex
	secrets map[string]localSecret
	server  *http.Server
}

type localSecret struct {
	value   string
	version string
	created time.Time
}

// StartSecretsManager listens on 127.0.0.1:port (0 picks a free one) and
// serves until Stop.
func StartSecretsManager(port int) (*SecretsManager, error) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("secrets manager: %w", err)
	}
	s := &SecretsManager{Endpoint: "http://" + l.Addr().String(), secrets: map[string]localSecret{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", s.api)
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(l) }()
	return s, nil
}

// NewWebhookSecret makes a webhook signing key as the Standard Webhooks
// specification writes it: "whsec_" and the base64 of 32 random bytes
// (the specification asks for 24 to 64).
func NewWebhookSecret() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(raw), nil
}

// Put stores value as the secret name, replacing any earlier value.
func (s *SecretsManager) Put(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC()
	s.secrets[name] = localSecret{value: value, version: fmt.Sprintf("local-%d", now.UnixNano()), created: now}
}

// Value returns the secret name's value.
func (s *SecretsManager) Value(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.secrets[name]
	return v.value, ok
}

// api answers Secrets Manager's operations; only GetSecretValue is known.
func (s *SecretsManager) api(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		secretsError(w, "UnknownOperationException", "only GetSecretValue is served here")
		return
	}
	var in struct{ SecretId string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil || in.SecretId == "" {
		secretsError(w, "InvalidParameterException", "SecretId is required")
		return
	}
	s.mu.Lock()
	sec, ok := s.secrets[in.SecretId]
	s.mu.Unlock()
	if !ok {
		secretsError(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN":          "arn:aws:secretsmanager:us-east-1:000000000000:secret:" + in.SecretId + "-local",
		"Name":         in.SecretId,
		"SecretString": sec.value,
		"VersionId":    sec.version,
		// The JSON protocol's timestamps are seconds since the epoch.
		"CreatedDate": float64(sec.created.UnixMilli()) / 1000,
	})
}

func secretsError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// Stop ends the stand-in.
func (s *SecretsManager) Stop() {
	if s == nil || s.server == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = s.server.Shutdown(ctx)
}
