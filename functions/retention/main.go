// Command retention is the Lambda function EventBridge Scheduler invokes
// daily: it removes the records whose retention period has ended (the policy
// in shared/retention) and writes a report of what it removed.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/claritru/privacy/shared/wiring/retention"
)

func main() {
	d, err := retention.Load(context.Background())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(retention.Handler(d).Handle)
}
