// Package retention wires the retention function: the retention sweep.
package retention

import (
	"context"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/sweep"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration once, at cold start; the
// function keys no subject.
func Load(ctx context.Context) (wiring.Deps, error) { return wiring.Load(ctx, nil) }

// Handler builds the function's handler.
func Handler(d wiring.Deps) *sweep.Handler {
	return &sweep.Handler{Sweeper: ddb.NewSweeper(d.DB, d.Env.Table), Log: d.Log}
}
