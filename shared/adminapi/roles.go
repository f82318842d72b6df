package adminapi

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/staffauth"
)

// Role is what a person of the privacy team may do; each role may do what
// the ones below it may.
type Role int

// The roles, lowest first (none: a signed-in person of no staff group).
const (
	NoRole Role = iota
	Viewer
	HandlerRole
	Admin
)

// Groups are the Cognito groups of the roles.
var Groups = map[Role]string{Viewer: "privacy-viewer", HandlerRole: "privacy-handler", Admin: "privacy-admin"}

func (r Role) String() string {
	switch r {
	case Viewer:
		return "viewer"
	case HandlerRole:
		return "handler"
	case Admin:
		return "admin"
	}
	return "none"
}

// RoleOf is the highest role of a person's groups.
func RoleOf(groups []string) Role {
	best := NoRole
	for role, g := range Groups {
		if role > best && slices.Contains(groups, g) {
			best = role
		}
	}
	return best
}

// needs is the lowest role of every staff route: viewers read, handlers
// act on requests and record what people tell the team, only admins take
// everything held about a person out, erase it, or publish the policy
// (least privilege for the acts that cannot be undone or disclose most).
var needs = map[string]Role{
	"GET /v1/admin/me":                      Viewer,
	"GET /v1/admin/suppression":             Viewer,
	"GET /v1/admin/suppression/feed":        Viewer,
	"GET /v1/admin/suppression/deliveries":  Viewer,
	"GET /v1/admin/consents":                Viewer,
	"GET /v1/admin/consents/check":          Viewer,
	"GET /v1/admin/requests":                Viewer,
	"GET /v1/admin/requests/{id}":           Viewer,
	"GET /v1/admin/metrics":                 Viewer,
	"GET /v1/admin/sweeps":                  Viewer,
	"GET /v1/admin/systems":                 Viewer,
	"GET /v1/admin/jobs":                    Viewer,
	"POST /v1/admin/requests":               HandlerRole,
	"POST /v1/admin/requests/{id}/actions":  HandlerRole,
	"POST /v1/admin/consents":               HandlerRole,
	"POST /v1/admin/jobs/{job}":             HandlerRole,
	"POST /v1/admin/subjects/deliverable":   HandlerRole,
	"POST /v1/admin/suppression/deliveries": HandlerRole,
	"GET /v1/admin/subjects/export":         Admin,
	"POST /v1/admin/subjects/erase":         Admin,
	"POST /v1/admin/policy-versions":        Admin,
}

// Needs is the lowest role of a staff route; false for a route not in the
// table, which no one may call.
func Needs(routeKey string) (Role, bool) {
	r, ok := needs[routeKey]
	return r, ok
}

// Person is the signed-in person behind a staff request, from the claims
// the JWT authorizer verified.
type Person struct {
	Username string
	Sub      string
	Groups   []string
	Role     Role
}

// person reads the verified claims. In AWS the HTTP API's JWT authorizer
// checked the token before the function runs; locally the gateway did. A
// request without them never came through either.
func person(r apigw.Request) (Person, bool) {
	a := r.RequestContext.Authorizer
	if a == nil || a.JWT == nil || a.JWT.Claims == nil {
		return Person{}, false
	}
	c := a.JWT.Claims
	// Only an access token is a credential for the API: an ID token, which
	// the authorizer would also take (its audience is the client), is for
	// the console to read, not to send.
	if c["token_use"] != "access" {
		return Person{}, false
	}
	p := Person{Username: c["username"], Sub: c["sub"], Groups: staffauth.Groups(c["cognito:groups"])}
	p.Role = RoleOf(p.Groups)
	return p, p.Username != ""
}

// machineRoute says whether a route is one of the company's systems'.
func machineRoute(routeKey string) bool { return strings.Contains(routeKey, " /v1/machine/") }

// gate lets a request through to its route, or answers it: 401 without
// credentials, 403 when the person's role does not allow the route.
func (h *Handler) gate(r apigw.Request) (apigw.Response, bool) {
	if machineRoute(r.RouteKey) {
		if h.machineAuthorised(r) {
			return apigw.Response{}, true
		}
		resp := apigw.Problem(fault.New(fault.Unauthorized, "System credentials are required."), nil)
		resp.Headers["WWW-Authenticate"] = "Bearer"
		return resp, false
	}
	p, ok := person(r)
	if !ok {
		resp := apigw.Problem(fault.New(fault.Unauthorized, "Staff sign-in is required."), nil)
		resp.Headers["WWW-Authenticate"] = "Bearer"
		return resp, false
	}
	// A staff route missing from the table is refused to everyone, admins
	// included: a new route is closed until it is given a role.
	need, known := Needs(r.RouteKey)
	if p.Role == NoRole || !known || p.Role < need {
		return apigw.Problem(fault.New(fault.Forbidden, "Your role does not allow this."), nil), false
	}
	return apigw.Response{}, true
}

// FromEdge is Handle for the Lambda function in AWS: people reach the
// staff routes through the edge (CloudFront with the firewall's rate limits
// and rules), never at the API's own address, where a stolen token would
// meet neither. The machine routes are called at the API's address with
// IAM credentials. The local cloud, with no edge, calls Handle.
func (h *Handler) FromEdge(ctx context.Context, r apigw.Request) (apigw.Response, error) {
	if !machineRoute(r.RouteKey) && !apigw.ViaEdge(h.EdgeSecret, r) {
		return apigw.NotViaEdge(), nil
	}
	return h.Handle(ctx, r)
}

// Me is who is signed in, so the console leaves out what the role may not
// use (the API refuses it all the same).
type Me struct {
	Username string   `json:"username"`
	Role     string   `json:"role"`
	Groups   []string `json:"groups"`
}

func (h *Handler) me(_ context.Context, r apigw.Request) apigw.Response {
	p, _ := person(r)
	groups := p.Groups
	if groups == nil {
		groups = []string{}
	}
	return apigw.JSONResponse(http.StatusOK, Me{Username: p.Username, Role: p.Role.String(), Groups: groups}, nil)
}
