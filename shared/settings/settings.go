// Package settings reads a function's configuration from its environment once,
// at cold start, and builds the table's client from it (the mail client is
// sesmail.Client, the subject pepper is read by settings/pepper: only the
// functions that use them link them). Locally the endpoints of
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
	// StaffRoles are the IAM roles whose sessions may use the staff API.
	StaffRoles []string
	// EdgeSecret is what the edge sends in apigw.EdgeHeader; empty when no
	// edge stands in front (locally).
	EdgeSecret string
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
		StaffRoles:       List(getenv(topology.EnvStaffRoles)),
		EdgeSecret:       getenv(topology.EnvEdgeSecret),
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
