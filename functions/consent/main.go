// Command consent is the Lambda function behind POST /v1/consents and the
// double opt-in links under /v1/consents/confirm.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/wiring/consent"
)

func main() {
	d, err := consent.Load(context.Background())
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	// Only requests through the edge (CloudFront with AWS WAF).
	lambda.Start(apigw.FromEdge(d.Env.EdgeSecret, consent.Handler(d).Handle))
}
