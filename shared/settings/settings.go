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
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/claritru/privacy/shared/deadline"
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
	// MailConfigSet is the SES configuration set mail is sent with, which
	// publishes its bounces and complaints; empty sends without one.
	MailConfigSet string
	// PostalAddress is the company's postal address for the mail footer.
	PostalAddress string
	PolicyURL     string
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
	// SMSEndpoint overrides End User Messaging SMS's endpoint (the local
	// SMS sink); SMSOrigin is the origination identity texts are sent
	// from (empty: the service picks one of the account's).
	SMSEndpoint string
	SMSOrigin   string
	// SecretsEndpoint overrides Secrets Manager's endpoint (the local
	// cloud's stand-in).
	SecretsEndpoint string
	// Zone is the company's time zone (deadline.DefaultZone when the
	// function's COMPANY_TIME_ZONE is not set).
	Zone deadline.Zone
	// DRPAgents are the trusted authorized agents added to the
	// repository's register (JSON, shared/drp); DRPBusinessID is the
	// business's id in the Data Rights Protocol's directory.
	DRPAgents     string
	DRPBusinessID string
}

// Local-only variables: endpoint overrides for DynamoDB Local and the SES
// stand-in. They are not in the topology, which lists what the functions
// read in AWS.
const (
	EnvDynamoDBEndpoint = "DYNAMODB_ENDPOINT"
	EnvSESEndpoint      = "SES_ENDPOINT"
	EnvSMSEndpoint      = "SMS_ENDPOINT"
	EnvSecretsEndpoint  = "SECRETS_ENDPOINT"
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
		MailConfigSet:    getenv(topology.EnvMailConfigSet),
		PostalAddress:    getenv(topology.EnvPostalAddress),
		PolicyURL:        getenv(topology.EnvPolicyURL),
		TeamEmail:        getenv(topology.EnvPrivacyTeam),
		StaffRoles:       List(getenv(topology.EnvStaffRoles)),
		EdgeSecret:       getenv(topology.EnvEdgeSecret),
		DynamoDBEndpoint: getenv(EnvDynamoDBEndpoint),
		SESEndpoint:      getenv(EnvSESEndpoint),
		SMSEndpoint:      getenv(EnvSMSEndpoint),
		SMSOrigin:        getenv(topology.EnvSMSOrigin),
		SecretsEndpoint:  getenv(EnvSecretsEndpoint),
		DRPAgents:        getenv(topology.EnvDRPAgents),
		DRPBusinessID:    getenv(topology.EnvDRPBusinessID),
	}
	if e.Table == "" {
		return Env{}, errors.New(topology.EnvTableName + " is not set")
	}
	// A zone that does not load stops the function at start, rather than
	// counting its clocks in another.
	zone, err := deadline.LoadZone(getenv(topology.EnvTimeZone))
	if err != nil {
		return Env{}, fmt.Errorf("%s: %w", topology.EnvTimeZone, err)
	}
	e.Zone = zone
	for _, u := range e.ReturnURLs {
		if err := CheckReturnURL(u); err != nil {
			return Env{}, fmt.Errorf("%s: %w", topology.EnvReturnURL, err)
		}
	}
	return e, nil
}

// CheckReturnURL accepts a page a browser may be sent back to after a form
// post: an absolute https URL, or http on the loopback host (the local
// cloud), with no user info (https://claritru.com@evil.example/ reads as
// one host and goes to another) and no fragment (the reference is added
// to the query; a fragment would only hide it from the page).
func CheckReturnURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.Opaque != "":
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	case u.Scheme == "http" && !loopback(u.Hostname()):
		return fmt.Errorf("%q: http is allowed only for localhost and 127.0.0.1; use https", raw)
	case u.User != nil:
		return fmt.Errorf("%q carries user info", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%q carries a fragment", raw)
	}
	return nil
}

func loopback(host string) bool { return host == "localhost" || host == "127.0.0.1" }

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

// The table's client gives up quickly enough for a handler to answer
// within its Lambda timeout (10 s for the API functions): at most three
// attempts a call, at most half a second between them, a connection not
// made within a second and a TLS handshake not done within two count as
// failed (DynamoDB answers in milliseconds). A call against an unreachable
// table fails in about two seconds and is answered 503 (shared/ddb
// classify); the handlers' own deadline (apigw.AnswerMargin) bounds a call
// that connects but hangs.
const (
	dynamoDBAttempts   = 3
	dynamoDBMaxBackoff = 500 * time.Millisecond
	dynamoDBDial       = time.Second
	dynamoDBHandshake  = 2 * time.Second
)

// DynamoDB returns the table's client.
func (e Env) DynamoDB() *dynamodb.Client {
	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = dynamoDBDial }).
		WithTransportOptions(func(t *http.Transport) { t.TLSHandshakeTimeout = dynamoDBHandshake })
	return dynamodb.NewFromConfig(e.AWS, func(o *dynamodb.Options) {
		if e.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(e.DynamoDBEndpoint)
		}
		o.HTTPClient = httpClient
		o.Retryer = shortRetryer(dynamoDBAttempts, dynamoDBMaxBackoff)
	})
}

// SendRetryer is the retry policy of the clients that send mail and texts:
// they give up on one message within a few seconds (three attempts, at
// most a second apart), since the notifier sends a batch of ten in one
// invocation of 30 s and a message that fails is retried by the stream and
// the re-drive, not by waiting here.
func SendRetryer() aws.Retryer { return shortRetryer(3, time.Second) }

// shortRetryer is the SDK's standard retryer with a few attempts and a low
// ceiling on the pause between them.
func shortRetryer(attempts int, maxBackoff time.Duration) aws.Retryer {
	return retry.NewStandard(func(r *retry.StandardOptions) {
		r.MaxAttempts = attempts
		r.MaxBackoff = maxBackoff
	})
}
