// Package intake wires the intake function: Data Rights Requests and
// verification.
package intake

import (
	"context"

	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/intakeapi"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/settings/pepper"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration and the subject pepper once, at
// cold start.
func Load(ctx context.Context) (wiring.Deps, error) { return wiring.Load(ctx, pepper.Keyer) }

// Handler builds the function's handler; it reads phone numbers.
func Handler(d wiring.Deps) *intakeapi.Handler {
	d.Phone = phone.E164
	svc := d.Requests()
	return &intakeapi.Handler{
		Service: svc, PublicBaseURL: d.Env.PublicBaseURL,
		// A new link is counted against the address's cap with the
		// notifier's own counter before anything is written.
		Resend:     request.NewResender(svc, ddb.NewRequests(d.DB, d.Env.Table), ddb.NewOutbox(d.DB, d.Env.Table)),
		ReturnURLs: d.Env.ReturnURLs, AllowedOrigins: d.Env.AllowedOrigins, Log: d.Log,
		Site: apipage.Company.With(d.Env.PostalAddress),
	}
}
