// Command intake is the Lambda function behind POST /v1/requests and
// /v1/verify.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/intake"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
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
	db := env.DynamoDB()
	h := &intake.Handler{
		Service: request.NewService(ddb.NewStore(db, env.Table), request.Config{
			PublicBaseURL: env.PublicBaseURL,
			Keyer:         keyer,
			OptOuts:       optout.NewService(ddb.NewOptOuts(db, env.Table), keyer, nil),
		}),
		PublicBaseURL:  env.PublicBaseURL,
		ReturnURLs:     env.ReturnURLs,
		AllowedOrigins: env.AllowedOrigins,
		Log:            log,
	}
	lambda.Start(h.Handle)
}
