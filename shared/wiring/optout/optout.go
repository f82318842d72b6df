// Package optout wires the optout function: Do Not Sell or Share and its
// status.
package optout

import (
	"github.com/claritru/privacy/shared/optoutapi"
	"github.com/claritru/privacy/shared/wiring"
)

// Keyed: the function keys subjects, so it reads the pepper.
const Keyed = true

// Handler builds the function's handler.
func Handler(d wiring.Deps) *optoutapi.Handler {
	return &optoutapi.Handler{
		Service: d.OptOuts(), ReturnURLs: d.Env.ReturnURLs, AllowedOrigins: d.Env.AllowedOrigins, Log: d.Log,
	}
}
