package adminapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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

func get(auth string, iam *events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription) apigw.Request {
	r := apigw.Request{RouteKey: "GET /v1/admin/suppression", Headers: map[string]string{},
		QueryStringParameters: map[string]string{"format": "csv"}}
	if auth != "" {
		r.Headers["authorization"] = auth
	}
	if iam != nil {
		r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{IAM: iam}
	}
	return r
}

func TestStaffAccess(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		token string
		req   apigw.Request
		want  int
	}{
		{"local, no header", "secret", get("", nil), http.StatusUnauthorized},
		{"local, wrong token", "secret", get("Bearer nope", nil), http.StatusUnauthorized},
		{"local, token as basic auth", "secret", get("Basic secret", nil), http.StatusUnauthorized},
		{"local, right token", "secret", get("Bearer secret", nil), http.StatusOK},
		// In AWS no token is configured: only IAM-verified callers pass,
		// and a bearer header means nothing.
		{"aws, no IAM context", "", get("Bearer anything", nil), http.StatusUnauthorized},
		// ... and only sessions of a configured staff role.
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

// With no staff role configured, no IAM caller is staff.
func TestNoStaffRolesLetsNoOneIn(t *testing.T) {
	resp, _ := handler("").Handle(context.Background(), iamCaller("arn:aws:sts::111122223333:assumed-role/PrivacyStaff/ada"))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
}

func iamCaller(arn string) apigw.Request {
	return get("", &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: arn})
}

func TestSuppressionCSV(t *testing.T) {
	resp, _ := handler("secret").Handle(context.Background(), get("Bearer secret", nil))
	want := "email_sha256,phone_sha256,browser_id,since\n" +
		strings.Repeat("a", 64) + ",,,2026-11-02T10:00:00Z\n" +
		",,browser-1234,2026-11-02T10:00:00Z\n"
	if resp.Body != want || !strings.HasPrefix(resp.Headers["Content-Type"], "text/csv") {
		t.Fatalf("csv = %q (%v)", resp.Body, resp.Headers)
	}
	r := get("Bearer secret", nil)
	r.QueryStringParameters["format"] = "xml"
	if resp, _ := handler("secret").Handle(context.Background(), r); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown format: %d", resp.StatusCode)
	}
}
