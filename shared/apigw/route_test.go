package apigw

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

type counter struct{ calls []string }

func TestRoutesServe(t *testing.T) {
	routes := Routes[*counter]{
		"POST /v1/things": func(c *counter, _ context.Context, r Request, cors map[string]string) Response {
			c.calls = append(c.calls, r.RouteKey)
			return Response{StatusCode: 202, Headers: cors}
		},
		"GET /v1/things/{id}": func(c *counter, _ context.Context, r Request, _ map[string]string) Response {
			c.calls = append(c.calls, r.RouteKey+" "+r.PathParameters["id"])
			return Response{StatusCode: 200}
		},
	}
	if got, want := routes.Keys(), []string{"GET /v1/things/{id}", "POST /v1/things"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Keys() = %v, want %v", got, want)
	}

	var logged bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	c := &counter{}
	cors := map[string]string{"Access-Control-Allow-Origin": "https://example.test"}
	ctx := context.Background()

	if resp := routes.Serve(ctx, c, Request{RouteKey: "POST /v1/things", Body: "secret@example.test"}, cors, log); resp.StatusCode != 202 || resp.Headers["Access-Control-Allow-Origin"] != "https://example.test" {
		t.Errorf("POST: %d %v, want 202 with the CORS headers", resp.StatusCode, resp.Headers)
	}
	get := Request{RouteKey: "GET /v1/things/{id}", RawPath: "/v1/things/42", PathParameters: map[string]string{"id": "42"}}
	if resp := routes.Serve(ctx, c, get, nil, log); resp.StatusCode != 200 {
		t.Errorf("GET: %d, want 200", resp.StatusCode)
	}
	if want := []string{"POST /v1/things", "GET /v1/things/{id} 42"}; !reflect.DeepEqual(c.calls, want) {
		t.Errorf("calls = %v, want %v", c.calls, want)
	}

	// A key the table lacks is a problem document, not a call.
	resp := routes.Serve(ctx, c, Request{RouteKey: "DELETE /v1/things"}, cors, log)
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Headers["Content-Type"], "application/problem+json") {
		t.Errorf("unknown route: %d %v, want 404 problem+json", resp.StatusCode, resp.Headers)
	}
	if len(c.calls) != 2 {
		t.Errorf("an unknown route reached a handler: %v", c.calls)
	}

	// One line per event with the route key and status, and nothing of the
	// body or the path.
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("logged %d lines, want 3:\n%s", len(lines), logged.String())
	}
	for i, want := range []struct {
		route  string
		status float64
	}{{"POST /v1/things", 202}, {"GET /v1/things/{id}", 200}, {"DELETE /v1/things", 404}} {
		var line map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &line); err != nil {
			t.Fatal(err)
		}
		if line["route"] != want.route || line["status"] != want.status {
			t.Errorf("log line %d = %v, want route %q status %v", i, line, want.route, want.status)
		}
	}
	if strings.Contains(logged.String(), "secret@example.test") || strings.Contains(logged.String(), "/v1/things/42") {
		t.Errorf("the log carries the body or the path:\n%s", logged.String())
	}
}
