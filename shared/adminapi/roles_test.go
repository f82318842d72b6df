package adminapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/api"
	"github.com/claritru/privacy/shared/apigw"
)

// TestRolesPerRoute holds every staff route to the roles the privacy team
// agreed: viewers read everything but the export; handlers also enter
// requests, act on them, record withdrawals, answer jobs, make an address
// deliverable and record a feed's delivery; only admins export, erase and
// publish policy versions. A person of no staff group is refused
// everywhere, and the highest of several groups counts.
func TestRolesPerRoute(t *testing.T) {
	adminOnly := map[string]bool{"GET /v1/admin/subjects/export": true, "POST /v1/admin/subjects/erase": true, "POST /v1/admin/policy-versions": true}
	handlerUp := map[string]bool{"POST /v1/admin/requests": true, "POST /v1/admin/requests/{id}/actions": true, "POST /v1/admin/consents": true,
		"POST /v1/admin/jobs/{job}": true, "POST /v1/admin/subjects/deliverable": true, "POST /v1/admin/suppression/deliveries": true}
	h := &Handler{Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	staffRoutes := 0
	for _, key := range Routes() {
		if !strings.Contains(key, " /v1/admin/") {
			continue
		}
		staffRoutes++
		if _, ok := Needs(key); !ok {
			t.Errorf("%s has no role in the table", key)
		}
		for _, c := range []struct {
			groups []string
			allow  bool
		}{
			{nil, false},
			{[]string{"marketing"}, false},
			{[]string{"privacy-viewer"}, !adminOnly[key] && !handlerUp[key]},
			{[]string{"privacy-handler"}, !adminOnly[key]},
			{[]string{"privacy-viewer", "privacy-handler"}, !adminOnly[key]},
			{[]string{"privacy-admin"}, true},
		} {
			r := apigw.Request{RouteKey: key, Headers: map[string]string{}}
			SignIn(&r, "sam", c.groups...)
			resp, ok := h.gate(r)
			if ok != c.allow {
				t.Errorf("%s for %v: allowed %v, want %v", key, c.groups, ok, c.allow)
			}
			if !ok && (resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Body, "Your role does not allow this.") ||
				resp.Headers["Content-Type"] != "application/problem+json") {
				t.Errorf("%s for %v: refusal %d %s", key, c.groups, resp.StatusCode, resp.Body)
			}
		}
	}
	if staffRoutes != 21 {
		t.Errorf("%d staff routes, want the 21 the table was agreed for", staffRoutes)
	}
	// A route the table does not know is an admin's at most.
	r := apigw.Request{RouteKey: "DELETE /v1/admin/everything", Headers: map[string]string{}}
	SignIn(&r, "sam", "privacy-handler")
	if _, ok := h.gate(r); ok {
		t.Error("a route outside the table let a handler through")
	}
}

// TestMe answers who is signed in, and their role, against the OpenAPI
// document; refusals are checked against it too.
func TestMe(t *testing.T) {
	checker, err := api.NewChecker()
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: func() time.Time { return time.Now() }}
	call := func(groups []string, want int) string {
		hr := httptest.NewRequest("GET", "https://api.example.test/v1/admin/me", nil)
		hr.Header.Set("Authorization", "Bearer test-access-token")
		ev := apigw.Request{RouteKey: "GET /v1/admin/me", RawPath: "/v1/admin/me", Headers: map[string]string{}}
		SignIn(&ev, "hana", groups...)
		return HandleChecked(t, h, checker, hr, ev, "/v1/admin/me", "", want)
	}
	var me Me
	if err := json.Unmarshal([]byte(call([]string{"privacy-viewer", "privacy-handler"}, 200)), &me); err != nil ||
		me.Username != "hana" || me.Role != "handler" || strings.Join(me.Groups, ",") != "privacy-viewer,privacy-handler" {
		t.Errorf("me %+v, %v", me, err)
	}
	if out := call([]string{"marketing"}, 403); !strings.Contains(out, "Your role does not allow this.") {
		t.Errorf("no staff group: %s", out)
	}
	if RoleOf([]string{"privacy-admin", "privacy-viewer"}) != Admin || RoleOf(nil) != NoRole {
		t.Error("the highest group does not decide the role")
	}
}

// A handler may not erase, and the refusal holds to the OpenAPI document;
// nothing reaches the store.
func TestRoleRefusalThroughTheRoute(t *testing.T) {
	checker, err := api.NewChecker()
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	const erase = "/v1/admin/subjects/erase"
	body := `{"email":"ada@example.com","reason":"Verified request to delete"}`
	hr := httptest.NewRequest("POST", "https://api.example.test"+erase, strings.NewReader(body))
	hr.Header.Set("Content-Type", "application/json")
	ev := apigw.Request{RouteKey: "POST " + erase, RawPath: erase, Body: body, Headers: map[string]string{"content-type": "application/json"}}
	SignIn(&ev, "harry", "privacy-handler")
	// The handler has no subject service: a request let through would
	// panic rather than answer 403.
	HandleChecked(t, h, checker, hr, ev, erase, body, 403)
}

// TestUnlistedStaffRouteIsClosed: a staff route the role table does not
// name is refused to everyone, admins included, until it is given a role.
func TestUnlistedStaffRouteIsClosed(t *testing.T) {
	h := &Handler{Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	for _, key := range []string{"GET /v1/admin/unlisted", "POST /v1/admin/unlisted"} {
		ev := apigw.Request{RouteKey: key, RawPath: "/v1/admin/unlisted"}
		SignIn(&ev, "ada", "privacy-admin")
		if resp, ok := h.gate(ev); ok || resp.StatusCode != 403 {
			t.Errorf("%s as admin: let through %v, status %d; want 403", key, ok, resp.StatusCode)
		}
	}
	ev := apigw.Request{RouteKey: "GET /v1/admin/requests", RawPath: "/v1/admin/requests"}
	SignIn(&ev, "ada", "privacy-admin")
	if _, ok := h.gate(ev); !ok {
		t.Error("GET /v1/admin/requests as admin refused; the table names it")
	}
}

// TestIDTokenIsNoCredential: the authorizer also takes a pool's ID token
// (its audience is the console's client), but only an access token opens
// a staff route.
func TestIDTokenIsNoCredential(t *testing.T) {
	h := &Handler{Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	ev := apigw.Request{RouteKey: "GET /v1/admin/requests", RawPath: "/v1/admin/requests"}
	SignIn(&ev, "ada", "privacy-admin")
	ev.RequestContext.Authorizer.JWT.Claims["token_use"] = "id"
	if resp, ok := h.gate(ev); ok || resp.StatusCode != 401 {
		t.Errorf("an ID token: let through %v, status %d; want 401", ok, resp.StatusCode)
	}
}

// TestStaffRoutesOnlyThroughTheEdge: in AWS a staff route answers only a
// request that came through the edge, whatever its token; the machine
// routes are called at the API's own address.
func TestStaffRoutesOnlyThroughTheEdge(t *testing.T) {
	h := &Handler{EdgeSecret: "edge-secret", Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	staff := func(header string) apigw.Request {
		ev := apigw.Request{RouteKey: "GET /v1/admin/unlisted", RawPath: "/v1/admin/unlisted", Headers: map[string]string{}}
		if header != "" {
			ev.Headers[apigw.EdgeHeader] = header
		}
		SignIn(&ev, "ada", "privacy-admin")
		return ev
	}
	for _, c := range []struct {
		header string
		detail string
	}{
		{"", "Use the service's public address."},
		{"wrong", "Use the service's public address."},
		// Through the edge the role gate answers: this route is in no table.
		{"edge-secret", "Your role does not allow this."},
	} {
		resp, err := h.FromEdge(context.Background(), staff(c.header))
		if err != nil || resp.StatusCode != 403 || !strings.Contains(resp.Body, c.detail) {
			t.Errorf("edge header %q: %d %s %v; want 403 %q", c.header, resp.StatusCode, resp.Body, err, c.detail)
		}
	}
	// A machine route without the edge header reaches its own check.
	ev := apigw.Request{RouteKey: "GET /v1/machine/suppression", RawPath: "/v1/machine/suppression", Headers: map[string]string{}}
	if resp, _ := h.FromEdge(context.Background(), ev); resp.StatusCode != 401 {
		t.Errorf("machine route without IAM: %d %s; want 401 from its own check", resp.StatusCode, resp.Body)
	}
	if resp, _ := (&Handler{Log: h.Log}).FromEdge(context.Background(), staff("")); resp.StatusCode != 403 {
		t.Errorf("no edge secret configured: %d; want every staff request refused", resp.StatusCode)
	}
}
