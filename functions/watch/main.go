// Command watch is the Lambda function EventBridge Scheduler invokes every
// morning: it expires requests left unverified for 30 days and mails the
// privacy team a digest of requests that are overdue or due within a week.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/settings"
	"github.com/claritru/privacy/shared/topology"
	"github.com/claritru/privacy/shared/watch"
)

func main() {
	ctx := context.Background()
	log := lambdacontext.NewLogger()
	env, err := settings.Load(ctx)
	if err != nil {
		log.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	team := os.Getenv(topology.EnvPrivacyTeam)
	if team == "" {
		log.Error("configuration", "error", topology.EnvPrivacyTeam+" is not set")
		os.Exit(1)
	}
	db := env.DynamoDB()
	// Expiry and the digest need no subject keys: no Keyer.
	h := &watch.Handler{
		Requests:  request.NewService(ddb.NewStore(db, env.Table), request.Config{}),
		Outbox:    ddb.NewOutbox(db, env.Table).Enqueue,
		Redrive:   ddb.NewOutbox(db, env.Table).RedriveStale,
		TeamEmail: team,
		Log:       log,
	}
	lambda.Start(h.Handle)
}
