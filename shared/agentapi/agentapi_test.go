package agentapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/drp"
	"github.com/claritru/privacy/shared/fault"
)

// noTokens is a store with no token and no mark: enough for the refusals
// the adapter shapes.
type noTokens struct{}

func (noTokens) SaveToken(context.Context, string, string, time.Time) error { return nil }
func (noTokens) TokenAgent(context.Context, string) (string, error) {
	return "", fault.New(fault.NotFound, "none")
}
func (noTokens) Mark(context.Context, string, string, time.Time) error { return nil }
func (noTokens) Unmark(context.Context, string) error                  { return nil }

func handler(t *testing.T) *Handler {
	reg, err := drp.LoadRegister(`[{"id":"AA","verify_key":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}]`)
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{Service: drp.NewService(noTokens{}, drp.Config{Register: reg, BusinessID: "CLARITRU"}),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func call(t *testing.T, h *Handler, key string, params map[string]string, headers map[string]string, body string) apigw.Response {
	t.Helper()
	resp, err := h.Handle(context.Background(), apigw.Request{RouteKey: key, PathParameters: params, Headers: headers, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestSetupRefusalsHaveNoBody(t *testing.T) {
	h := handler(t)
	for name, c := range map[string]struct {
		id, ct, body string
	}{
		"unknown agent":   {"NOBODY", "text/plain", "AAAA"},
		"not signed":      {"AA", "text/plain", `{"agent-id":"AA"}`},
		"JSON media type": {"AA", "application/json", "AAAA"},
	} {
		resp := call(t, h, "POST /v1/agent/{id}", map[string]string{"id": c.id}, map[string]string{"content-type": c.ct}, c.body)
		if resp.StatusCode != http.StatusForbidden || resp.Body != "" {
			t.Errorf("%s: %d %q, want 403 without a body", name, resp.StatusCode, resp.Body)
		}
	}
}

func TestErrorStateBody(t *testing.T) {
	h := handler(t)
	resp := call(t, h, "GET /v1/data-rights-request/{id}", map[string]string{"id": "01JDRP0000000000000000000A"},
		map[string]string{"authorization": "Bearer unknown-token"}, "")
	var e ErrorState
	if resp.StatusCode != http.StatusForbidden || json.Unmarshal([]byte(resp.Body), &e) != nil || e.Code != "403" || e.Message == "" {
		t.Fatalf("unknown token: %d %s", resp.StatusCode, resp.Body)
	}
	resp = call(t, h, "POST /v1/data-rights-request", nil,
		map[string]string{"authorization": "Bearer x", "content-type": "application/x-www-form-urlencoded"}, "a=b")
	if resp.StatusCode != http.StatusUnsupportedMediaType || json.Unmarshal([]byte(resp.Body), &e) != nil || e.Code != "415" {
		t.Fatalf("form body: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestBearer(t *testing.T) {
	for v, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "": "", "Bearer": ""} {
		if got := bearer(apigw.Request{Headers: map[string]string{"authorization": v}}); got != want {
			t.Errorf("bearer(%q) = %q, want %q", v, got, want)
		}
	}
}
