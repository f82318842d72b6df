// Command optout is the Lambda function behind POST /v1/opt-out and GET
// /v1/opt-out/status.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/wiring/optout"
)

func main() {
	d, err := optout.Load(context.Background())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	// Only requests through the edge (CloudFront with AWS WAF).
	lambda.Start(apigw.FromEdge(d.Env.EdgeSecret, optout.Handler(d).Handle))
}
