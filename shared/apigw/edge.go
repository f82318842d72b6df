package apigw

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
)

// EdgeHeader carries the edge's shared secret: CloudFront adds it to every
// request it forwards, after AWS WAF let the request through.
const EdgeHeader = "X-ClariTru-Edge"

// FromEdge answers only requests that came through the edge (they carry
// secret in EdgeHeader), so that calling the API's own endpoint does not
// get around the firewall's rate limits and rules. The Lambda mains of the
// public functions wrap their handlers in it; the local cloud, with no edge
// in front, does not. An empty secret (a function deployed without its
// configuration) refuses every request rather than opening the way around
// the firewall.
func FromEdge(secret string, next func(context.Context, Request) (Response, error)) func(context.Context, Request) (Response, error) {
	return func(ctx context.Context, r Request) (Response, error) {
		if !ViaEdge(secret, r) {
			return NotViaEdge(), nil
		}
		return next(ctx, r)
	}
}

// ViaEdge says whether a request came through the edge: it carries the
// edge's secret, and there is one.
func ViaEdge(secret string, r Request) bool {
	return secret != "" && subtle.ConstantTimeCompare([]byte(Header(r, EdgeHeader)), []byte(secret)) == 1
}

// NotViaEdge is the answer to a request that went around the edge.
func NotViaEdge() Response {
	status := http.StatusForbidden
	b, _ := json.Marshal(ProblemDoc{
		Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: "Use the service's public address.",
	})
	return Response{StatusCode: status, Headers: map[string]string{"Content-Type": "application/problem+json"}, Body: string(b)}
}
