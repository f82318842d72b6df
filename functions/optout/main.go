// Command optout is the Lambda function behind POST /v1/opt-out and GET
// /v1/opt-out/status.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/optoutapi"
	"github.com/claritru/privacy/shared/settings"
	"github.com/claritru/privacy/shared/subject"
)

func main() {
	ctx := context.Background()
	log := lambdacontext.NewLogger()
	env, err := settings.Load(ctx)
	var keyer *subject.Keyer
	if err == nil {
		keyer, err = env.Keyer(ctx)
	}
	if err != nil {
		log.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	h := &optoutapi.Handler{
		Service:        optout.NewService(ddb.NewOptOuts(env.DynamoDB(), env.Table), keyer, nil),
		ReturnURLs:     env.ReturnURLs,
		AllowedOrigins: env.AllowedOrigins,
		Log:            log,
	}
	lambda.Start(h.Handle)
}
