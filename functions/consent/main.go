// Command consent is the Lambda function behind POST /v1/consents and the
// double opt-in links under /v1/consents/confirm.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/consentapi"
	"github.com/claritru/privacy/shared/ddb"
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
	h := &consentapi.Handler{
		Service: consent.NewService(ddb.NewConsents(env.DynamoDB(), env.Table), consent.Config{
			Keyer: keyer, PublicBaseURL: env.PublicBaseURL,
		}),
		PublicBaseURL:  env.PublicBaseURL,
		PolicyURL:      env.PolicyURL,
		ReturnURLs:     env.ReturnURLs,
		AllowedOrigins: env.AllowedOrigins,
		Log:            log,
	}
	lambda.Start(h.Handle)
}
