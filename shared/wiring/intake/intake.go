// Package intake wires the intake function: Data Rights Requests and
// verification.
package intake

import (
	"context"

	"github.com/claritru/privacy/shared/intakeapi"
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
	return &intakeapi.Handler{
		Service: d.Requests(), PublicBaseURL: d.Env.PublicBaseURL,
		ReturnURLs: d.Env.ReturnURLs, AllowedOrigins: d.Env.AllowedOrigins, Log: d.Log,
	}
}
