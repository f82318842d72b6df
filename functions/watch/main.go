// Command watch is the Lambda function EventBridge Scheduler invokes every
// morning: it expires requests left unverified for 30 days and mails the
// privacy team a digest of requests that are overdue or due within a week.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/claritru/privacy/shared/wiring/watch"
)

func main() {
	d, err := watch.Load(context.Background())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	h, err := watch.Handler(d)
	if err != nil {
		d.Log.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
