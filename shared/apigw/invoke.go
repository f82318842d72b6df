package apigw

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/events"
)

// trigger is enough of any event to tell which of the three it is.
type trigger struct {
	RouteKey string `json:"routeKey"`
	Records  []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
}

// Invoke is the Lambda entry point of a function that serves routes, a
// stream of the table and a schedule: it hands the event to the part its
// trigger is for. HTTP events must come through the edge (FromEdge).
func Invoke[R any](ctx context.Context, payload json.RawMessage, edgeSecret string,
	routes func(context.Context, Request) (Response, error),
	stream func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error),
	schedule func(context.Context, json.RawMessage) (R, error),
) (any, error) {
	var t trigger
	if err := json.Unmarshal(payload, &t); err != nil {
		return nil, errors.New("unreadable event")
	}
	switch {
	case t.RouteKey != "":
		var r Request
		if err := json.Unmarshal(payload, &r); err != nil {
			return nil, errors.New("unreadable HTTP event")
		}
		return FromEdge(edgeSecret, routes)(ctx, r)
	case len(t.Records) > 0 && t.Records[0].EventSource == "aws:dynamodb":
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, errors.New("unreadable stream event")
		}
		return stream(ctx, ev)
	default:
		return schedule(ctx, payload)
	}
}
