// Package retention wires the retention function: the retention sweep.
package retention

import (
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/sweep"
	"github.com/claritru/privacy/shared/wiring"
)

// Keyed: the function keys no subject.
const Keyed = false

// Handler builds the function's handler.
func Handler(d wiring.Deps) *sweep.Handler {
	return &sweep.Handler{Sweeper: ddb.NewSweeper(d.DB, d.Env.Table), Log: d.Log}
}
