// Command agent is the Lambda function of the Data Rights Protocol: it
// answers authorized agents' signed requests, posts their status callbacks
// from the table's stream and retries failed ones on a schedule.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/claritru/privacy/shared/wiring/agent"
)

func main() {
	d, err := agent.Load(context.Background())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	h, err := agent.Handler(d)
	if err != nil {
		slog.Error("agents register", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Invoke)
}
