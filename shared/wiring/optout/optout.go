// Package optout wires the optout function: Do Not Sell or Share and its
// status.
package optout

import (
	"context"

	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/optoutapi"
	"github.com/claritru/privacy/shared/settings/pepper"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration and the subject pepper once, at
// cold start.
func Load(ctx context.Context) (wiring.Deps, error) { return wiring.Load(ctx, pepper.Keyer) }

// Handler builds the function's handler; it reads phone numbers.
func Handler(d wiring.Deps) *optoutapi.Handler {
	d.Phone = phone.E164
	return &optoutapi.Handler{
		Service: d.OptOuts(), ReturnURLs: d.Env.ReturnURLs, AllowedOrigins: d.Env.AllowedOrigins, Log: d.Log,
		Site: apipage.Company.With(d.Env.PostalAddress),
	}
}
