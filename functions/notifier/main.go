// Command notifier is the Lambda function fed by the table's stream: it sends
// the mail of every new outbox intent through SES.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/ses"
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
	h := &notifier.Handler{
		Outbox: ddb.NewOutbox(env.DynamoDB(), env.Table),
		Sender: ses.NewSender(env.SES(), env.MailFrom),
		Log:    log,
	}
	lambda.Start(h.Handle)
}
