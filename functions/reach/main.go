// Command reach is the Lambda function that carries rights to the company's
// other systems: it delivers new jobs from the table's stream, retries
// failed webhooks on a schedule and takes the systems' signed callbacks.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/claritru/privacy/shared/wiring/reach"
)

func main() {
	d, err := reach.Load(context.Background())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(reach.Handler(d, nil).Invoke)
}
