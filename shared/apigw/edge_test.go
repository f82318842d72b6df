package apigw

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
)

func TestFromEdge(t *testing.T) {
	reached := 0
	next := func(context.Context, Request) (Response, error) {
		reached++
		return Response{StatusCode: http.StatusOK}, nil
	}
	call := func(h func(context.Context, Request) (Response, error), headers map[string]string) Response {
		resp, err := h(context.Background(), Request{Headers: headers})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	guarded := FromEdge("s3cret-from-the-edge", next)
	for _, c := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"through the edge", map[string]string{"x-claritru-edge": "s3cret-from-the-edge"}, http.StatusOK},
		{"around the edge", map[string]string{}, http.StatusForbidden},
		{"a wrong secret", map[string]string{"x-claritru-edge": "guess"}, http.StatusForbidden},
		{"a prefix of the secret", map[string]string{"x-claritru-edge": "s3cret"}, http.StatusForbidden},
	} {
		before := reached
		resp := call(guarded, c.headers)
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.want)
		}
		if passed := reached > before; passed != (c.want == http.StatusOK) {
			t.Errorf("%s: reached the handler %v", c.name, passed)
		}
		if c.want == http.StatusForbidden {
			var p ProblemDoc
			if err := json.Unmarshal([]byte(resp.Body), &p); err != nil || p.Status != http.StatusForbidden || resp.Headers["Content-Type"] != "application/problem+json" {
				t.Errorf("%s: refusal %+v", c.name, resp)
			}
		}
	}
	// A function deployed without the secret fails closed, even to a
	// request that sends an empty header.
	for _, h := range []map[string]string{nil, {"x-claritru-edge": ""}} {
		before := reached
		if resp := call(FromEdge("", next), h); resp.StatusCode != http.StatusForbidden || reached != before {
			t.Errorf("no secret configured, headers %v: status %d, reached %v", h, resp.StatusCode, reached != before)
		}
	}
}
