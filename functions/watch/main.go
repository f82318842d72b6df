// Command watch is the Lambda function EventBridge Scheduler invokes every
// morning: it expires requests left unverified for 30 days and mails the
// privacy team a digest of requests that are overdue or due within a week.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/claritru/privacy/shared/handlers"
	"github.com/claritru/privacy/shared/topology"
)

func main() {
	d, err := handlers.Load(context.Background(), false)
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	if d.Env.TeamEmail == "" {
		d.Log.Error("configuration", "error", topology.EnvPrivacyTeam+" is not set")
		os.Exit(1)
	}
	lambda.Start(handlers.Watch(d).Handle)
}
