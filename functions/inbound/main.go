// Command inbound is the Lambda function fed by the two-way SMS topic and
// the mail events topic: it acts on replies to the service's texts (STOP,
// HELP, START) and on the bounces and complaints of its mail.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/claritru/privacy/shared/wiring/inbound"
)

func main() {
	d, err := inbound.Load(context.Background())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(inbound.Handler(d).Handle)
}
