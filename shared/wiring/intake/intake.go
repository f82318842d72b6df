// Package intake wires the intake function: Data Rights Requests and
// verification.
package intake

import (
	"github.com/claritru/privacy/shared/intakeapi"
	"github.com/claritru/privacy/shared/wiring"
)

// Keyed: the function keys subjects, so it reads the pepper.
const Keyed = true

// Handler builds the function's handler.
func Handler(d wiring.Deps) *intakeapi.Handler {
	return &intakeapi.Handler{
		Service: d.Requests(), PublicBaseURL: d.Env.PublicBaseURL,
		ReturnURLs: d.Env.ReturnURLs, AllowedOrigins: d.Env.AllowedOrigins, Log: d.Log,
	}
}
