// Command admin is the Lambda function behind the staff API (/v1/admin/...,
// people signed in through the edge) and the machine routes (/v1/machine/...,
// IAM-authorised).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/claritru/privacy/shared/wiring/admin"
)

func main() {
	d, err := admin.Load(context.Background())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(admin.Handler(d).FromEdge)
}
