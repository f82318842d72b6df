package apigw

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"time"

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
	ctx, cancel := answerBy(ctx)
	defer cancel()
	var resp Response
	if route, ok := rs[r.RouteKey]; ok {
		resp = route(h, ctx, r, cors)
	} else {
		resp = Problem(fault.New(fault.NotFound, "No such route."), cors)
	}
	log.InfoContext(ctx, "handled", "route", r.RouteKey, "status", resp.StatusCode)
	return resp
}

// AnswerMargin is the time a handler keeps before its Lambda deadline: work
// on the table stops that much earlier (the SDK gives up with the context),
// so a slow or unreachable store is answered with 503 rather than the
// invocation timing out, which API Gateway would turn into a bare 500.
const AnswerMargin = 1500 * time.Millisecond

// answerBy returns ctx with its deadline moved AnswerMargin earlier; a
// context without a deadline is returned as it is.
func answerBy(ctx context.Context) (context.Context, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, d.Add(-AnswerMargin))
}
