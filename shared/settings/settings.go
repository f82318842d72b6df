// Package settings reads a function's configuration from its environment once,
// at cold start, and builds the AWS clients from it. Locally the endpoints of
// DynamoDB Local and the SES stand-in are given by DYNAMODB_ENDPOINT and
// SES_ENDPOINT.
package settings

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/topology"
)

// Env is a function's configuration.
type Env struct {
	AWS            aws.Config
	Table          string
	PublicBaseURL  string
	ReturnURLs     []string
	AllowedOrigins []string
	MailFrom       string
	PolicyURL      string
	// TeamEmail receives the daily deadline digest.
	TeamEmail string
	// DynamoDBEndpoint and SESEndpoint override the AWS endpoints (local
	// runs only).
	DynamoDBEndpoint string
	SESEndpoint      string
}

// Local-only variables: endpoint overrides for DynamoDB Local and the SES
// stand-in. They are not in the topology, which lists what the functions
// read in AWS.
const (
	EnvDynamoDBEndpoint = "DYNAMODB_ENDPOINT"
	EnvSESEndpoint      = "SES_ENDPOINT"
)

// Load reads the process's environment, as a Lambda function does.
func Load(ctx context.Context) (Env, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return Env{}, fmt.Errorf("aws config: %w", err)
	}
	return FromVars(cfg, os.Getenv)
}

// FromVars builds the configuration from the variables getenv returns: the
// process's environment in AWS, the function's own variables locally.
func FromVars(cfg aws.Config, getenv func(string) string) (Env, error) {
	e := Env{
		AWS:              cfg,
		Table:            getenv(topology.EnvTableName),
		PublicBaseURL:    getenv(topology.EnvPublicBaseURL),
		ReturnURLs:       List(getenv(topology.EnvReturnURL)),
		AllowedOrigins:   List(getenv(topology.EnvAllowedOrigin)),
		MailFrom:         getenv(topology.EnvMailFrom),
		PolicyURL:        getenv(topology.EnvPolicyURL),
		TeamEmail:        getenv(topology.EnvPrivacyTeam),
		DynamoDBEndpoint: getenv(EnvDynamoDBEndpoint),
		SESEndpoint:      getenv(EnvSESEndpoint),
	}
	if e.Table == "" {
		return Env{}, errors.New(topology.EnvTableName + " is not set")
	}
	return e, nil
}

// List splits a comma-separated setting.
func List(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// DynamoDB returns the table's client.
func (e Env) DynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(e.AWS, func(o *dynamodb.Options) {
		if e.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(e.DynamoDBEndpoint)
		}
	})
}

// SES returns the mail client.
func (e Env) SES() *ses.Client {
	return ses.NewFromConfig(e.AWS, func(o *ses.Options) {
		if e.SESEndpoint != "" {
			o.BaseEndpoint = aws.String(e.SESEndpoint)
		}
	})
}

// Pepper returns the secret of the subject keys: SUBJECT_PEPPER locally, else
// the Secrets Manager secret named by SUBJECT_PEPPER_SECRET_ARN, read once.
func (e Env) Pepper(ctx context.Context) ([]byte, error) {
	if p := os.Getenv("SUBJECT_PEPPER"); p != "" {
		return []byte(p), nil
	}
	arn := os.Getenv(topology.EnvPepperSecret)
	if arn == "" {
		return nil, errors.New("neither SUBJECT_PEPPER nor " + topology.EnvPepperSecret + " is set")
	}
	out, err := secretsmanager.NewFromConfig(e.AWS).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("read subject pepper: %w", err)
	}
	return []byte(aws.ToString(out.SecretString)), nil
}

// Keyer reads the pepper once and returns the subject keyer built on it.
func (e Env) Keyer(ctx context.Context) (*subject.Keyer, error) {
	pepper, err := e.Pepper(ctx)
	if err != nil {
		return nil, err
	}
	return subject.NewKeyer(pepper)
}
