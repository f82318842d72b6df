// Command baseline is what every function's size and cold start are
// measured against: a Lambda function that builds the same AWS clients as
// the service's functions (the SDK's configuration, DynamoDB, SES) and
// answers with a trivial handler. It does nothing else.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
)

func main() {
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	db, mail := dynamodb.NewFromConfig(cfg), ses.NewFromConfig(cfg)
	// The handler names both clients, so the linker keeps them as a
	// function that uses them would.
	lambda.Start(func(context.Context) (string, error) {
		return fmt.Sprintf("%s %s", db.Options().Region, mail.Options().Region), nil
	})
}
