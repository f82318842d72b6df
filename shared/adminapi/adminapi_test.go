package adminapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/optout/optouttest"
)

func handler(token string) *Handler {
	since := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	// Two opt-outs at one time, so the list is ordered by subject key.
	store := optouttest.New()
	for i, id := range []optout.Identifier{
		{Kind: optout.Email, Key: "key-1", Match: strings.Repeat("a", 64)},
		{Kind: optout.BrowserID, Key: "key-2", Match: "browser-1234"},
	} {
		_, err := store.Apply(context.Background(), optout.Application{
			ID: fmt.Sprint("optout-", i), At: since, Rights: []optout.Right{optout.SaleSharing}, Source: optout.Form,
			Identifiers: []optout.Identifier{id}, NewID: func() string { return fmt.Sprint("event-", i) },
		})
		if err != nil {
			panic(err)
		}
	}
	return &Handler{
		OptOuts: optout.NewService(store, nil, nil, nil),
		Token:   token,
		Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
}

// SignIn gives a request the claims the HTTP API's JWT authorizer verified
// for a person of the staff pool, as API Gateway renders them (strings; a
// list as "[a b]").
func SignIn(r *apigw.Request, username string, groups ...string) {
	claims := map[string]string{"username": username, "sub": "sub-" + username, "client_id": "console-client",
		"token_use": "access", "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Staff", "scope": "openid email profile",
		"exp": "1798761600", "iat": "1798758000"}
	if len(groups) > 0 {
		claims["cognito:groups"] = "[" + strings.Join(groups, " ") + "]"
	}
	r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: []string{"openid", "email", "profile"}},
	}
}

// get is the staff suppression export, as a signed-in viewer asks for it.
func get() apigw.Request {
	r := apigw.Request{RouteKey: "GET /v1/admin/suppression", Headers: map[string]string{},
		QueryStringParameters: map[string]string{"format": "csv"}}
	SignIn(&r, "vera", "privacy-viewer")
	return r
}

// machineGet is the systems' suppression export with a bearer header or an
// IAM caller.
func machineGet(auth string, iam *events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription) apigw.Request {
	r := apigw.Request{RouteKey: "GET /v1/machine/suppression", Headers: map[string]string{},
		QueryStringParameters: map[string]string{"format": "csv"}}
	if auth != "" {
		r.Headers["authorization"] = auth
	}
	if iam != nil {
		r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{IAM: iam}
	}
	return r
}

func TestMachineAccess(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		token string
		req   apigw.Request
		want  int
	}{
		{"local, no header", "secret", machineGet("", nil), http.StatusUnauthorized},
		{"local, wrong token", "secret", machineGet("Bearer nope", nil), http.StatusUnauthorized},
		{"local, token as basic auth", "secret", machineGet("Basic secret", nil), http.StatusUnauthorized},
		{"local, right token", "secret", machineGet("Bearer secret", nil), http.StatusOK},
		// A person's sign-in is no system's credential.
		{"local, a staff sign-in", "secret", signedIn(machineGet("", nil), "ada", "privacy-admin"), http.StatusUnauthorized},
		// In AWS no token is configured: only IAM-verified callers pass,
		// and a bearer header means nothing.
		{"aws, no IAM context", "", machineGet("Bearer anything", nil), http.StatusUnauthorized},
		// ... and only sessions of a configured role.
		{"aws, staff role session", "", iamCaller("arn:aws:sts::111122223333:assumed-role/PrivacyStaff/ada"), http.StatusOK},
		{"aws, staff role with a path", "", iamCaller("arn:aws:sts::111122223333:assumed-role/PathStaff/ada"), http.StatusOK},
		{"aws, another role", "", iamCaller("arn:aws:sts::111122223333:assumed-role/Marketing/bob"), http.StatusUnauthorized},
		{"aws, a role whose name ends like one", "", iamCaller("arn:aws:sts::111122223333:assumed-role/XPrivacyStaff/eve"), http.StatusUnauthorized},
		{"aws, same role name in another account", "", iamCaller("arn:aws:sts::444455556666:assumed-role/PrivacyStaff/eve"), http.StatusUnauthorized},
		{"aws, another partition", "", iamCaller("arn:aws-cn:sts::111122223333:assumed-role/PrivacyStaff/eve"), http.StatusUnauthorized},
		{"aws, an IAM user", "", iamCaller("arn:aws:iam::111122223333:user/privacy-lead"), http.StatusUnauthorized},
		{"aws, the account root", "", iamCaller("arn:aws:iam::111122223333:root"), http.StatusUnauthorized},
		{"aws, no session name", "", iamCaller("arn:aws:sts::111122223333:assumed-role/PrivacyStaff"), http.StatusUnauthorized},
	}
	for _, c := range cases {
		h := handler(c.token)
		h.StaffRoles = []string{"arn:aws:iam::111122223333:role/PrivacyStaff", "arn:aws:iam::111122223333:role/team/privacy/PathStaff"}
		resp, err := h.Handle(ctx, c.req)
		if err != nil || resp.StatusCode != c.want {
			t.Errorf("%s: status %d, %v; want %d", c.name, resp.StatusCode, err, c.want)
		}
		if c.want == http.StatusUnauthorized && (resp.Headers["WWW-Authenticate"] != "Bearer" || strings.Contains(resp.Body, "browser-1234")) {
			t.Errorf("%s: refusal %+v", c.name, resp)
		}
	}
}

func signedIn(r apigw.Request, username string, groups ...string) apigw.Request {
	SignIn(&r, username, groups...)
	return r
}

// With no role configured, no IAM caller is a system of the company.
func TestNoStaffRolesLetsNoOneIn(t *testing.T) {
	resp, _ := handler("").Handle(context.Background(), iamCaller("arn:aws:sts::111122223333:assumed-role/PrivacyStaff/ada"))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
}

func iamCaller(arn string) apigw.Request {
	return machineGet("", &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: arn})
}

func TestSuppressionCSV(t *testing.T) {
	resp, _ := handler("secret").Handle(context.Background(), get())
	want := "email_sha256,phone_sha256,browser_id,since\n" +
		strings.Repeat("a", 64) + ",,,2026-11-02T10:00:00Z\n" +
		",,browser-1234,2026-11-02T10:00:00Z\n"
	if resp.Body != want || !strings.HasPrefix(resp.Headers["Content-Type"], "text/csv") {
		t.Fatalf("csv = %q (%v)", resp.Body, resp.Headers)
	}
	r := get()
	r.QueryStringParameters["format"] = "xml"
	if resp, _ := handler("secret").Handle(context.Background(), r); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown format: %d", resp.StatusCode)
	}
}

// A browser id is the caller's text: one that a spreadsheet would run as a
// formula is written with a leading quote, and the JSON keeps it as given.
func TestSuppressionCSVNeutralisesFormulas(t *testing.T) {
	since := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	store := optouttest.New()
	hostile := []string{"-cmd-calc-0001", `=HYPERLINK("http://evil.example","x")`, "+15551234567", "@SUM(A1)"}
	for i, id := range hostile {
		_, err := store.Apply(context.Background(), optout.Application{
			ID: fmt.Sprint("optout-", i), At: since, Rights: []optout.Right{optout.SaleSharing}, Source: optout.Form,
			Identifiers: []optout.Identifier{{Kind: optout.BrowserID, Key: fmt.Sprint("key-", i), Match: id}},
			NewID:       func() string { return fmt.Sprint("event-", i) },
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	h := &Handler{OptOuts: optout.NewService(store, nil, nil, nil), Token: "secret", Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	resp, _ := h.Handle(context.Background(), get())
	rows, err := csv.NewReader(strings.NewReader(resp.Body)).ReadAll()
	if err != nil || len(rows) != len(hostile)+1 {
		t.Fatalf("csv %q: %d rows, %v", resp.Body, len(rows), err)
	}
	var got []string
	for _, row := range rows[1:] {
		got = append(got, row[2])
	}
	want := []string{"'-cmd-calc-0001", `'=HYPERLINK("http://evil.example","x")`, "'+15551234567", "'@SUM(A1)"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("browser ids in the CSV = %q, want %q", got, want)
	}

	r := get()
	r.QueryStringParameters["format"] = "json"
	resp, _ = h.Handle(context.Background(), r)
	for _, id := range hostile {
		b, _ := json.Marshal(id)
		if !strings.Contains(resp.Body, string(b)) {
			t.Errorf("JSON export lacks %s as given: %s", b, resp.Body)
		}
	}
}

// Staff queries name people: a parameter given twice, or not UTF-8, is a 400
// naming it, before any route reads it.
func TestStaffQueryIsStrict(t *testing.T) {
	for raw, field := range map[string]string{
		"format=csv&format=json":                    "format",
		"format=csv&email=%FF%40example.com":        "email",
		"email=a%40x.example&email=b%40y.example":   "email",
		"browser_id=abcdefgh&browser_id=ijklmnop":   "browser_id",
		"purpose=email_marketing&purpose=%ED%A0%80": "purpose",
	} {
		r := get()
		r.RawQueryString = raw
		resp, _ := handler("secret").Handle(context.Background(), r)
		var p apigw.ProblemDoc
		_ = json.Unmarshal([]byte(resp.Body), &p)
		if resp.StatusCode != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != field {
			t.Errorf("%s: %d %s, want 400 naming %s", raw, resp.StatusCode, resp.Body, field)
		}
	}
}
