// Command admin is the Lambda function behind the staff API (/v1/admin/...),
// reached only through IAM-authorised routes.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/claritru/privacy/shared/admin"
	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/settings"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subjectdata"
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
	optOuts := optout.NewService(ddb.NewOptOuts(db, env.Table), keyer, nil)
	h := &admin.Handler{
		OptOuts:  optOuts,
		Consents: consent.NewService(ddb.NewConsents(db, env.Table), consent.Config{Keyer: keyer}),
		Chains:   ddb.NewLedger(db, env.Table),
		// Staff-entered requests are taken as the web form's: the same
		// receipt mail with its verification link, and opt-outs applied
		// at once (11 CCR §7060(b)).
		Requests: request.NewService(ddb.NewStore(db, env.Table), request.Config{
			PublicBaseURL: env.PublicBaseURL,
			Keyer:         keyer,
			OptOuts:       optOuts,
		}),
		Subjects: subjectdata.NewService(ddb.NewSubjects(db, env.Table), keyer, nil),
		Log:      log,
	}
	lambda.Start(h.Handle)
}
