package apigw

import (
	"context"
	"log/slog"
	"maps"
	"slices"

	"github.com/claritru/privacy/shared/fault"
)

// Route serves one route of a handler h; cors are the response headers the
// caller's origin is allowed.
type Route[H any] func(h H, ctx context.Context, r Request, cors map[string]string) Response

// Routes are the routes one function serves, by the topology's route key
// ("POST /v1/requests"), the key API Gateway puts in each event.
type Routes[H any] map[string]Route[H]

// Keys returns the route keys, sorted; they must be the function's routes
// in shared/topology (TestAdaptersServeTheTopology).
func (rs Routes[H]) Keys() []string { return RouteKeys(rs) }

// RouteKeys returns the keys of a route table, sorted.
func RouteKeys[V any](routes map[string]V) []string { return slices.Sorted(maps.Keys(routes)) }

// Serve answers one event with the route of its key (404 for any other) and
// logs the route key and status only: paths, queries and bodies may name
// people or carry single-use tokens.
func (rs Routes[H]) Serve(ctx context.Context, h H, r Request, cors map[string]string, log *slog.Logger) Response {
	var resp Response
	if route, ok := rs[r.RouteKey]; ok {
		resp = route(h, ctx, r, cors)
	} else {
		resp = Problem(fault.New(fault.NotFound, "No such route."), cors)
	}
	log.InfoContext(ctx, "handled", "route", r.RouteKey, "status", resp.StatusCode)
	return resp
}
