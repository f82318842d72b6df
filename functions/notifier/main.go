// Command notifier is the Lambda function fed by the table's stream: it sends
// the mail of every new outbox intent through SES.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/claritru/privacy/shared/wiring/notifier"
)

func main() {
	d, err := notifier.Load(context.Background())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(notifier.Handler(d).Handle)
}
