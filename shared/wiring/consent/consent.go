// Package consent wires the consent function: consent events and double
// opt-in.
package consent

import (
	"context"

	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/consentapi"
	"github.com/claritru/privacy/shared/settings/pepper"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration and the subject pepper once, at
// cold start.
func Load(ctx context.Context) (wiring.Deps, error) { return wiring.Load(ctx, pepper.Keyer) }

// Handler builds the function's handler; it reads phone numbers.
func Handler(d wiring.Deps) *consentapi.Handler {
	d.Phone, d.TextsTo = phone.E164, phone.TextsTo
	return &consentapi.Handler{
		Service: d.Consents(), Choices: d.Choices(), Policy: d.Policy(), PublicBaseURL: d.Env.PublicBaseURL, PolicyURL: d.Env.PolicyURL,
		ReturnURLs: d.Env.ReturnURLs, AllowedOrigins: d.Env.AllowedOrigins, Log: d.Log,
		Site: apipage.Company.With(d.Env.PostalAddress),
	}
}
