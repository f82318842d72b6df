// Package consent wires the consent function: consent events and double
// opt-in.
package consent

import (
	"github.com/claritru/privacy/shared/consentapi"
	"github.com/claritru/privacy/shared/wiring"
)

// Keyed: the function keys subjects, so it reads the pepper.
const Keyed = true

// Handler builds the function's handler.
func Handler(d wiring.Deps) *consentapi.Handler {
	return &consentapi.Handler{
		Service: d.Consents(), PublicBaseURL: d.Env.PublicBaseURL, PolicyURL: d.Env.PolicyURL,
		ReturnURLs: d.Env.ReturnURLs, AllowedOrigins: d.Env.AllowedOrigins, Log: d.Log,
	}
}
