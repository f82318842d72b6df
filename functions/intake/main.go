// Command intake is the Lambda function behind POST /v1/requests and
// /v1/verify.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/wiring/intake"
)

func main() {
	d, err := intake.Load(context.Background())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	// Only requests through the edge (CloudFront with AWS WAF).
	lambda.Start(apigw.FromEdge(d.Env.EdgeSecret, intake.Handler(d).Handle))
}
