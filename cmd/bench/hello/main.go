// Command hello is the floor of a Go Lambda function: aws-lambda-go and a
// handler that answers at once, no AWS client.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context) (string, error) { return "hello", nil })
}
