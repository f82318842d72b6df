package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/claritru/privacy/shared/apigw"
)

// Per-IP limits of the firewall, over its five-minute window. A person
// files a request, opts out or records a choice a handful of times; a
// practice's shared office address may send a few dozen. Beyond these a
// client is flooding the forms (each write can send a mail) or probing.
const (
	edgeWindowSeconds = 300
	edgeWriteLimit    = 60  // POSTs per IP per window
	edgeAnyLimit      = 600 // requests of any kind per IP per window
)

// machinePrefix begins the routes of the company's systems (topology.Machine).
const machinePrefix = "/v1/machine/"

// edgeRegionName is where CloudFront-scoped WAF web ACLs live.
const edgeRegionName = "us-east-1"

// Edge is CloudFront in front of the public and staff routes and the staff
// console, with AWS WAF. WAF cannot attach to an HTTP API (API Gateway v2);
// it attaches to the distribution.
type Edge struct {
	Firewall     awswafv2.CfnWebACL
	Distribution awscloudfront.Distribution
	// Secret is the value CloudFront adds in apigw.EdgeHeader; the public
	// functions answer only requests that carry it (apigw.FromEdge), so the
	// firewall cannot be bypassed by calling the execute-api endpoint.
	Secret awssecretsmanager.Secret
	// URL is the distribution's https address, the default PUBLIC_BASE_URL.
	URL *string
}

// newEdge builds the firewall and the distribution that forwards every
// request, uncached, to the API (the console adds its own behaviours,
// newConsole). A CLOUDFRONT-scoped web ACL must be created in us-east-1, so
// the stack deploys there (README, "Deploying").
func newEdge(scope constructs.Construct, id string, api API) Edge {
	c := constructs.NewConstruct(scope, jsii.String(id))
	secret := awssecretsmanager.NewSecret(c, jsii.String("OriginSecret"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Shared secret CloudFront sends to the ClariTru API, so requests that skip the firewall are refused"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(48),
			ExcludePunctuation: jsii.Bool(true),
		},
	})
	noRotation := jsii.String("Not a credential to data: it only tells the API a request came through the edge " +
		"(and its firewall). It lives in the distribution's origin header and the public functions' " +
		"configuration; a redeploy with a new value rotates it in both at once.")
	cdknag.NagSuppressions_AddResourceSuppressions(secret, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-SMG4"), Reason: noRotation},
		{Id: jsii.String("HIPAA.Security-SecretsManagerRotationEnabled"), Reason: noRotation},
		{
			Id: jsii.String("HIPAA.Security-SecretsManagerUsingKMSKey"),
			Reason: jsii.String("No personal data and no access to any: the value only proves a request passed the " +
				"edge. CloudFormation writes it into the distribution's origin header and the public functions' " +
				"environment, so a customer-managed key on the secret would not narrow who can read it; it is " +
				"encrypted at rest with the AWS-managed aws/secretsmanager key."),
		},
	}, jsii.Bool(false))

	acl := newFirewall(c)
	cdknag.NagSuppressions_AddResourceSuppressions(acl, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("HIPAA.Security-WAFv2LoggingEnabled"),
		Reason: jsii.String("Full AWS WAF logs would record every visitor's IP address, headers and full URL, " +
			"including the single-use verification, confirmation and unsubscribe tokens in query strings: " +
			"personal data the service keeps only where the law asks for it. The web ACL keeps CloudWatch " +
			"metrics per rule and the sampled requests of the last three hours for investigations."),
	}}, jsii.Bool(false))
	// The API's host name: its endpoint is https://<id>.execute-api.<region>.<suffix>.
	host := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), api.Endpoint, nil))
	dist := awscloudfront.NewDistribution(c, jsii.String("Distribution"), &awscloudfront.DistributionProps{
		Comment: jsii.String("ClariTru privacy API and staff console behind AWS WAF"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin: awscloudfrontorigins.NewHttpOrigin(host, &awscloudfrontorigins.HttpOriginProps{
				ProtocolPolicy: awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
				CustomHeaders:  &map[string]*string{apigw.EdgeHeader: secret.SecretValue().UnsafeUnwrap()},
			}),
			AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
			ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
			// Answers name people and carry single-use tokens: never
			// cached at the edge. The API needs its own Host header.
			CachePolicy:         awscloudfront.CachePolicy_CACHING_DISABLED(),
			OriginRequestPolicy: awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
		},
		WebAclId:      acl.AttrArn(),
		EnableLogging: jsii.Bool(false),
		PriceClass:    awscloudfront.PriceClass_PRICE_CLASS_100,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(dist, &[]*cdknag.NagPackSuppression{
		{
			Id: jsii.String("AwsSolutions-CFR1"),
			Reason: jsii.String("No geographic restriction: privacy rights belong to people wherever they are " +
				"(a Californian travelling abroad, an EU resident), and the firewall's rules, not their " +
				"location, decide what is refused."),
		},
		{
			Id: jsii.String("AwsSolutions-CFR3"),
			Reason: jsii.String("CloudFront access logs would record every visitor's IP address and full URL, " +
				"including the single-use verification and confirmation tokens in GET /v1/verify and " +
				"/v1/consents/confirm and the unsubscribe tokens in /v1/unsubscribe. The API's own access log records route keys and statuses only, and " +
				"the firewall keeps its metrics and sampled requests."),
		},
		{
			Id: jsii.String("AwsSolutions-CFR4"),
			Reason: jsii.String("The distribution uses CloudFront's default certificate (*.cloudfront.net) until " +
				"an installation adds its own domain; that certificate cannot set a minimum TLS version. " +
				"The origin connection is HTTPS only."),
		},
	}, jsii.Bool(false))
	return Edge{Firewall: acl, Distribution: dist, Secret: secret, URL: jsii.String("https://" + *dist.DistributionDomainName())}
}

// newFirewall is the web ACL: machine routes blocked at the edge (the
// company's systems call the IAM-signed execute-api endpoint, where a
// SigV4 signature stays valid; staff use the console on the edge with a
// bearer token), per-IP rate limits, and AWS's managed rule groups for
// known bad inputs, common exploits and addresses with a bad reputation.
func newFirewall(c constructs.Construct) awswafv2.CfnWebACL {
	tooMany := &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{
		CustomResponse: &awswafv2.CfnWebACL_CustomResponseProperty{ResponseCode: jsii.Number(429)},
	}}
	rules := []any{
		&awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String("MachineRoutesNotAtTheEdge"), Priority: jsii.Number(0),
			Statement: byteMatch(&awswafv2.CfnWebACL_FieldToMatchProperty{UriPath: map[string]any{}}, "STARTS_WITH", machinePrefix),
			Action:    &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{}},
		},
		&awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String("WritesPerIP"), Priority: jsii.Number(1), Action: tooMany,
			Statement: rateLimit(edgeWriteLimit, byteMatch(&awswafv2.CfnWebACL_FieldToMatchProperty{Method: map[string]any{}}, "EXACTLY", "POST")),
		},
		&awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String("RequestsPerIP"), Priority: jsii.Number(2), Action: tooMany,
			Statement: rateLimit(edgeAnyLimit, nil),
		},
		managedRules("AWSManagedRulesAmazonIpReputationList", 3),
		managedRules("AWSManagedRulesKnownBadInputsRuleSet", 4),
		// The API refuses bodies over 64 KiB itself; the group's 8 KB body
		// limit would refuse a long but honest request description.
		managedRules("AWSManagedRulesCommonRuleSet", 5, "SizeRestrictions_BODY"),
	}
	for _, r := range rules {
		rule := r.(*awswafv2.CfnWebACL_RuleProperty)
		rule.VisibilityConfig = visibility(*rule.Name)
	}
	return awswafv2.NewCfnWebACL(c, jsii.String("Firewall"), &awswafv2.CfnWebACLProps{
		Scope:            jsii.String("CLOUDFRONT"),
		Description:      jsii.String("ClariTru privacy API: rate limits and AWS managed rules"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		VisibilityConfig: visibility("ClariTruPrivacyEdge"),
		Rules:            &rules,
	})
}

func visibility(metric string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
	return &awswafv2.CfnWebACL_VisibilityConfigProperty{
		CloudWatchMetricsEnabled: jsii.Bool(true),
		MetricName:               jsii.String(metric),
		SampledRequestsEnabled:   jsii.Bool(true),
	}
}

func byteMatch(field *awswafv2.CfnWebACL_FieldToMatchProperty, position, value string) *awswafv2.CfnWebACL_StatementProperty {
	return &awswafv2.CfnWebACL_StatementProperty{ByteMatchStatement: &awswafv2.CfnWebACL_ByteMatchStatementProperty{
		FieldToMatch:         field,
		PositionalConstraint: jsii.String(position),
		SearchString:         jsii.String(value),
		TextTransformations: &[]any{&awswafv2.CfnWebACL_TextTransformationProperty{
			Priority: jsii.Number(0), Type: jsii.String("NONE"),
		}},
	}}
}

// rateLimit counts requests per client IP over the window, only those
// scope matches when it is given.
func rateLimit(limit int, scope *awswafv2.CfnWebACL_StatementProperty) *awswafv2.CfnWebACL_StatementProperty {
	st := &awswafv2.CfnWebACL_RateBasedStatementProperty{
		AggregateKeyType:    jsii.String("IP"),
		Limit:               jsii.Number(float64(limit)),
		EvaluationWindowSec: jsii.Number(edgeWindowSeconds),
	}
	if scope != nil {
		st.ScopeDownStatement = scope
	}
	return &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: st}
}

// managedRules is one AWS managed rule group, its rules blocking as AWS
// sets them except those named in counted, which only count.
func managedRules(name string, priority int, counted ...string) *awswafv2.CfnWebACL_RuleProperty {
	group := &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{VendorName: jsii.String("AWS"), Name: jsii.String(name)}
	if len(counted) > 0 {
		var overrides []any
		for _, r := range counted {
			overrides = append(overrides, &awswafv2.CfnWebACL_RuleActionOverrideProperty{
				Name:        jsii.String(r),
				ActionToUse: &awswafv2.CfnWebACL_RuleActionProperty{Count: &awswafv2.CfnWebACL_CountActionProperty{}},
			})
		}
		group.RuleActionOverrides = &overrides
	}
	return &awswafv2.CfnWebACL_RuleProperty{
		Name:           jsii.String(name),
		Priority:       jsii.Number(float64(priority)),
		Statement:      &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: group},
		OverrideAction: &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
	}
}
