package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/claritru/privacy/shared/topology"
)

// Default stage throttling. The API serves a web form and a staff console,
// not bulk clients: these limits are far above honest traffic and cap what a
// flood of submissions can cost or write.
const (
	throttleRatePerSecond = 25
	throttleBurst         = 50
)

// accessLogRetention bounds how long access logs exist.
const accessLogRetention = awslogs.RetentionDays_THREE_MONTHS

// accessLogFormat is one JSON line per request. It logs the route key, not
// the path and query (GET /v1/verify carries a single-use token, opt-out
// status a browser id), and no caller IP or user agent: those are personal
// data the service records only where the law asks for them (consent
// receipts: GDPR Art. 7(1), 47 CFR 64.1200), not in operational logs.
var accessLogFormat = mustJSON(map[string]string{
	"requestId":          "$context.requestId",
	"requestTime":        "$context.requestTimeEpoch",
	"routeKey":           "$context.routeKey",
	"status":             "$context.status",
	"protocol":           "$context.protocol",
	"responseLength":     "$context.responseLength",
	"responseLatency":    "$context.responseLatency",
	"integrationStatus":  "$context.integrationStatus",
	"integrationLatency": "$context.integrationLatency",
	"integrationError":   "$context.integrationErrorMessage",
	"error":              "$context.error.message",
	"authorizerError":    "$context.authorizer.error",
})

// API is the public HTTP API (api/openapi.yaml) with its default stage.
type API struct {
	HTTP       awsapigatewayv2.HttpApi
	Stage      awsapigatewayv2.CfnStage
	AccessLogs awslogs.LogGroup
	// Endpoint is the execute-api base URL without a trailing slash, the
	// default PUBLIC_BASE_URL: the API serves the pages mail links lead to.
	Endpoint *string
}

// newAPI builds the HTTP API, its CORS rules and the default stage's access
// logs and throttling. Routes are added by API.route once the functions
// exist, because the functions are told the API's endpoint.
func newAPI(scope constructs.Construct, id string, cfg Config, routes []topology.Route, logKeys Logs) API {
	c := constructs.NewConstruct(scope, jsii.String(id))

	// CORS only for configured origins (ALLOWED_ORIGINS), and only the methods
	// the topology routes use. No credentials: the public routes are
	// anonymous, staff send a bearer token from the console on the edge's
	// own origin, and machines sign with SigV4; none uses cookies.
	methods := []awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_OPTIONS}
	seen := map[string]bool{}
	for _, r := range routes {
		if !seen[r.Method] {
			seen[r.Method] = true
			methods = append(methods, awsapigatewayv2.CorsHttpMethod(r.Method))
		}
	}
	api := awsapigatewayv2.NewHttpApi(c, jsii.String("Http"), &awsapigatewayv2.HttpApiProps{
		// Derived from the stack name, so two installations in one account
		// are told apart in the console; API names need not be unique.
		ApiName:     jsii.String(*awscdk.Stack_Of(c).StackName() + "-api"),
		Description: jsii.String("ClariTru privacy rights API v1"),
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(cfg.AllowedOrigins...),
			AllowMethods: &methods,
			AllowHeaders: jsii.Strings("content-type", "idempotency-key"),
			MaxAge:       awscdk.Duration_Hours(jsii.Number(1)),
		},
	})

	logs := logKeys.group(c, "AccessLogs", accessLogRetention)
	// HttpApiProps has no access-log or throttling option for the default
	// stage, so set them on its CloudFormation resource. Setting the L1
	// properties (not a raw override) keeps them visible to cdk-nag.
	stage := api.DefaultStage().Node().DefaultChild().(awsapigatewayv2.CfnStage)
	stage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})
	stage.SetDefaultRouteSettings(&awsapigatewayv2.CfnStage_RouteSettingsProperty{
		ThrottlingRateLimit:  jsii.Number(throttleRatePerSecond),
		ThrottlingBurstLimit: jsii.Number(throttleBurst),
	})

	return API{HTTP: api, Stage: stage, AccessLogs: logs, Endpoint: api.ApiEndpoint()}
}

// route adds every topology route, each integrated with the function that
// serves it. Staff routes need a staff user pool access token of the
// console's client (the JWT authorizer checks issuer, audience, expiry and
// signature); machine routes need IAM (SigV4) authorisation.
func (a API) route(routes []topology.Route, fns Functions, staff Staff) ([]awsapigatewayv2.HttpRoute, error) {
	integrations := map[string]awsapigatewayv2integrations.HttpLambdaIntegration{}
	var iam awsapigatewayv2authorizers.HttpIamAuthorizer
	var jwt awsapigatewayv2authorizers.HttpUserPoolAuthorizer
	var out []awsapigatewayv2.HttpRoute
	for _, r := range routes {
		fn, ok := fns.ByName[r.Function]
		if !ok {
			return nil, fmt.Errorf("topology: route %s %s names unknown function %q", r.Method, r.Path, r.Function)
		}
		integ, ok := integrations[r.Function]
		if !ok {
			integ = awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(r.Function), fn.Lambda, nil)
			integrations[r.Function] = integ
		}
		opts := &awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(r.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
			Integration: integ,
		}
		switch r.Auth {
		case topology.Staff:
			if jwt == nil {
				jwt = awsapigatewayv2authorizers.NewHttpUserPoolAuthorizer(jsii.String("Staff"), staff.Pool,
					&awsapigatewayv2authorizers.HttpUserPoolAuthorizerProps{
						UserPoolClients: &[]awscognito.IUserPoolClient{staff.Client},
					})
			}
			opts.Authorizer = jwt
		case topology.Machine:
			if iam == nil {
				iam = awsapigatewayv2authorizers.NewHttpIamAuthorizer()
			}
			opts.Authorizer = iam
		case topology.Public:
		default:
			return nil, fmt.Errorf("topology: route %s %s has unknown auth %q", r.Method, r.Path, r.Auth)
		}
		added := a.HTTP.AddRoutes(opts)
		if r.Auth == topology.Public {
			for _, route := range *added {
				cdknag.NagSuppressions_AddResourceSuppressions(route.Node().DefaultChild(), &[]*cdknag.NagPackSuppression{{
					Id: jsii.String("AwsSolutions-APIG4"), Reason: jsii.String(publicRouteReason(r)),
				}}, jsii.Bool(false))
			}
		}
		out = append(out, *added...)
	}
	return out, nil
}

// publicRouteReason says why a route without an API Gateway authorizer is
// right: the company's systems answer jobs with signed callbacks,
// authorized agents send messages signed by the Data Rights Protocol,
// everyone else uses the privacy web forms.
func publicRouteReason(r topology.Route) string {
	if strings.HasPrefix(r.Path, "/v1/callbacks/") {
		return "Callback of the company's own systems answering a job: each call is authenticated in the " +
			"function by its Standard Webhooks signature (HMAC-SHA256 with the system's secret from Secrets " +
			"Manager, timestamp within five minutes) and a single-use token of that job; an unsigned or " +
			"wrongly signed call changes nothing. IAM signing is not available to the systems, which " +
			"run outside AWS."
	}
	if strings.HasPrefix(r.Path, "/v1/agent/") || strings.HasPrefix(r.Path, "/v1/data-rights-request") {
		return "Data Rights Protocol route of authorized agents (11 CCR §7063): each message is " +
			"authenticated in the function by the agent's Ed25519 signature against the register of " +
			"trusted agents, with its agent, business and expiry claims checked and replays refused, " +
			"and by the pair-wise bearer token (stored hashed) the agent set up with a signed message. " +
			"API Gateway cannot verify these signatures, and the agents run outside AWS."
	}
	return "Public route of the privacy web forms: anyone may file a " +
		"data rights request, opt out or record consent without an account, as the law requires " +
		"(11 CCR §7026, §7025). Identity is verified in the application with a single-use mailed " +
		"token where the request type needs it; stage throttling caps abuse."
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
