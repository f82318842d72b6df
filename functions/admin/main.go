// Command admin is the Lambda function behind the staff API (/v1/admin/...),
// reached only through IAM-authorised routes.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/claritru/privacy/shared/admin"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/settings"
)

func main() {
	ctx := context.Background()
	log := lambdacontext.NewLogger()
	env, err := settings.Load(ctx)
	if err != nil {
		log.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	h := &admin.Handler{
		// The suppression export reads stored hashes only: no keyer needed.
		OptOuts: optout.NewService(ddb.NewOptOuts(env.DynamoDB(), env.Table), nil, nil),
		Log:     log,
	}
	lambda.Start(h.Handle)
}
