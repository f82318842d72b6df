package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// consoleScope is what the console asks Cognito for; the contract of its
// config.json.
const consoleScope = "openid email profile"

// Lifetimes in the console's buckets: older versions of the pages are kept
// a month to roll a bad deployment back by hand; the bucket's access logs
// three months, like the API's.
const (
	consoleOldVersionsDays = 30
	consoleAccessLogDays   = 90
)

// consolePermissions turns off what the console never uses, so a script
// that got in could not use it either.
const consolePermissions = "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), " +
	"magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), usb=(), " +
	"browsing-topics=()"

// Console is the staff console: its pages in a private bucket, served by
// the edge under /console/ through origin access control, with strict
// security headers, and deployed with the config.json that tells the
// pages where to sign in.
type Console struct {
	Bucket     awss3.Bucket
	AccessLogs awss3.Bucket
	Headers    awscloudfront.ResponseHeadersPolicy
	Deployment awss3deployment.BucketDeployment
}

type consoleProps struct {
	// Dir holds the pages, deployed as they are.
	Dir   string
	Edge  Edge
	Staff Staff
	Logs  Logs
}

// newConsole builds the console's bucket, its behaviours on the edge and
// its deployment.
func newConsole(scope constructs.Construct, id string, p consoleProps) (Console, error) {
	if st, err := os.Stat(p.Dir); err != nil || !st.IsDir() {
		return Console{}, fmt.Errorf("the staff console's pages: %s is not a directory (context %q)", p.Dir, ctxConsoleDir)
	}
	// The console shares the privacy pages' stylesheet, which sits beside
	// its folder; in AWS only /console/ comes from the bucket, so the
	// sheet is deployed there too.
	css, err := os.ReadFile(filepath.Join(filepath.Dir(p.Dir), "style.css"))
	if err != nil {
		return Console{}, fmt.Errorf("the staff console's stylesheet: %w", err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	logs := consoleLogBucket(c)
	bucket := awss3.NewBucket(c, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("console/"),
		Versioned:              jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(consoleOldVersionsDays)),
		}},
		// Nothing in it but the pages, redeployed with every deployment;
		// kept in every stage so that a stack deletion never stops on a
		// bucket that is not empty (delete it by hand after).
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	suppressConsoleBucket(bucket)

	headers := consoleHeaders(c, p.Staff)
	// Named after the stack, so that each stage's names are its own
	// (CloudFront names are unique in the account).
	stackName := *awscdk.Stack_Of(c).StackName()
	oac := awscloudfront.NewS3OriginAccessControl(c, jsii.String("Access"), &awscloudfront.S3OriginAccessControlProps{
		OriginAccessControlName: jsii.String(stackName + "-console"),
		Description:             jsii.String("ClariTru staff console: CloudFront reads the pages, signed (SigV4)"),
		Signing:                 awscloudfront.Signing_SIGV4_ALWAYS(),
	})
	origin := awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, &awscloudfrontorigins.S3BucketOriginWithOACProps{
		OriginAccessControl: oac,
		OriginAccessLevels:  &[]awscloudfront.AccessLevel{awscloudfront.AccessLevel_READ},
	})
	// config.json names the sign-in domain and client: never served from
	// the edge's cache, so a redeployed stack's values apply at once.
	p.Edge.Distribution.AddBehavior(jsii.String(consolePath+"config.json"), origin, &awscloudfront.AddBehaviorOptions{
		ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
		AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
		CachePolicy:           awscloudfront.CachePolicy_CACHING_DISABLED(),
		ResponseHeadersPolicy: headers,
	})
	pages := &awscloudfront.AddBehaviorOptions{
		ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
		AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
		CachePolicy:           consoleCachePolicy(c, stackName+"-console"),
		ResponseHeadersPolicy: headers,
		Compress:              jsii.Bool(true),
		FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
			EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
			Function:  consoleIndex(c),
		}},
	}
	p.Edge.Distribution.AddBehavior(jsii.String(consolePath+"*"), origin, pages)
	// /console itself, which the function sends on to /console/.
	p.Edge.Distribution.AddBehavior(jsii.String(strings.TrimSuffix(consolePath, "/")), origin, pages)

	deployment := awss3deployment.NewBucketDeployment(c, jsii.String("Deployment"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket:    bucket,
		DestinationKeyPrefix: jsii.String(strings.TrimPrefix(consolePath, "/")),
		Sources: &[]awss3deployment.ISource{
			awss3deployment.Source_Asset(jsii.String(p.Dir), nil),
			awss3deployment.Source_JsonData(jsii.String("config.json"), consoleConfig(p.Staff), nil),
			awss3deployment.Source_Data(jsii.String("style.css"), jsii.String(string(css)), nil),
		},
		// Browsers ask again each time (a 304 when nothing changed), so a
		// deployment reaches every open console at its next page load.
		CacheControl: &[]awss3deployment.CacheControl{awss3deployment.CacheControl_NoCache()},
		LogGroup:     p.Logs.group(c, "DeploymentLogs", awslogs.RetentionDays_ONE_MONTH),
	})
	suppressDeploymentHandler(awscdk.Stack_Of(c))
	return Console{Bucket: bucket, AccessLogs: logs, Headers: headers, Deployment: deployment}, nil
}

// consoleConfig is config.json: where the console signs in, and as whom.
func consoleConfig(staff Staff) map[string]any {
	return map[string]any{
		"authorize_url": staff.hostedURL("/oauth2/authorize"),
		"token_url":     staff.hostedURL("/oauth2/token"),
		"logout_url":    staff.hostedURL("/logout"),
		"client_id":     staff.Client.UserPoolClientId(),
		"redirect_uri":  staff.ConsoleURL,
		"scope":         consoleScope,
	}
}

// consoleCSP lets the pages load only their own scripts, styles and
// images (no inline code), talk only to the API on their own origin and to
// the sign-in domain (the token exchange), and be framed by no one. The
// local cloud serves the console with the same policy, its own origin
// standing in for the sign-in domain.
func consoleCSP(staff Staff) *string {
	auth := staff.SignInOrigin
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' "),
		auth,
		jsii.String("; form-action 'self' "),
		auth,
		jsii.String("; base-uri 'none'; frame-ancestors 'none'"),
	})
}

// consoleHeaders are the security headers of every console response.
func consoleHeaders(c constructs.Construct, staff Staff) awscloudfront.ResponseHeadersPolicy {
	return awscloudfront.NewResponseHeadersPolicy(c, jsii.String("Headers"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("ClariTru staff console: strict security headers"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: consoleCSP(staff), Override: jsii.Bool(true),
			},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions: &awscloudfront.ResponseHeadersFrameOptions{
				FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true),
			},
			// The console's addresses name requests; no other site learns them.
			ReferrerPolicy: &awscloudfront.ResponseHeadersReferrerPolicy{
				ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_NO_REFERRER, Override: jsii.Bool(true),
			},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(730)),
				IncludeSubdomains:   jsii.Bool(true),
				Override:            jsii.Bool(true),
			},
		},
		CustomHeadersBehavior: &awscloudfront.ResponseCustomHeadersBehavior{
			CustomHeaders: &[]*awscloudfront.ResponseCustomHeader{
				{Header: jsii.String("Permissions-Policy"), Value: jsii.String(consolePermissions), Override: jsii.Bool(true)},
				{Header: jsii.String("Cross-Origin-Opener-Policy"), Value: jsii.String("same-origin"), Override: jsii.Bool(true)},
				{Header: jsii.String("Cross-Origin-Resource-Policy"), Value: jsii.String("same-origin"), Override: jsii.Bool(true)},
			},
		},
	})
}

// consoleCachePolicy lets the edge keep a page only as the bucket's
// Cache-Control allows: no-cache, so every request is revalidated against
// the bucket and a deployment shows at once; compressed on the way.
func consoleCachePolicy(c constructs.Construct, name string) awscloudfront.CachePolicy {
	return awscloudfront.NewCachePolicy(c, jsii.String("Cache"), &awscloudfront.CachePolicyProps{
		CachePolicyName:            jsii.String(name),
		Comment:                    jsii.String("ClariTru staff console: revalidated on every request"),
		MinTtl:                     awscdk.Duration_Seconds(jsii.Number(0)),
		DefaultTtl:                 awscdk.Duration_Seconds(jsii.Number(0)),
		MaxTtl:                     awscdk.Duration_Days(jsii.Number(1)),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
}

// consoleIndex serves index.html for an address ending in a slash, as the
// local gateway does (an S3 origin has no index documents), and sends
// /console on to /console/.
func consoleIndex(c constructs.Construct) awscloudfront.Function {
	return awscloudfront.NewFunction(c, jsii.String("Index"), &awscloudfront.FunctionProps{
		Comment: jsii.String("ClariTru staff console: a folder's address serves its index.html"),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Code: awscloudfront.FunctionCode_FromInline(jsii.String(
			"function handler(event) {\n" +
				"  var request = event.request;\n" +
				"  if (request.uri === '" + strings.TrimSuffix(consolePath, "/") + "') {\n" +
				"    return {statusCode: 301, statusDescription: 'Moved Permanently', headers: {location: {value: '" + consolePath + "'}}};\n" +
				"  }\n" +
				"  if (request.uri.endsWith('/')) {\n" +
				"    request.uri += 'index.html';\n" +
				"  }\n" +
				"  return request;\n" +
				"}\n")),
	})
}

// consoleLogBucket receives the console bucket's server access logs: who
// read or changed the pages, and when.
func consoleLogBucket(c constructs.Construct) awss3.Bucket {
	logs := awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		// S3 delivers server access logs only to a bucket encrypted with
		// S3-managed keys.
		Encryption: awss3.BucketEncryption_S3_MANAGED,
		Versioned:  jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration:                  awscdk.Duration_Days(jsii.Number(consoleAccessLogDays)),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(logs, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("HIPAA.Security-S3DefaultEncryptionKMS"), Reason: jsii.String("S3 server access logging " +
			"delivers only to a bucket whose default encryption is SSE-S3 (AES-256), which this bucket uses; the " +
			"logs name S3 operations on the console's pages, no person's data.")},
		{Id: jsii.String("HIPAA.Security-S3BucketReplicationEnabled"), Reason: jsii.String("Access logs of the " +
			"console's pages, kept three months in one region like the API's access logs; losing the region " +
			"loses the pages they describe too, which are redeployed from the repository.")},
	}, jsii.Bool(true))
	return logs
}

// suppressConsoleBucket: the console bucket's answers to the rules it
// meets otherwise.
func suppressConsoleBucket(bucket awss3.Bucket) {
	cdknag.NagSuppressions_AddResourceSuppressions(bucket, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("HIPAA.Security-S3DefaultEncryptionKMS"), Reason: jsii.String("The bucket holds the " +
			"console's HTML, scripts and config.json, the same for every visitor and copies of the repository's " +
			"web/console: no personal data. SSE-S3 encrypts them at rest; a KMS key would only add a key " +
			"policy CloudFront's origin access control must be granted.")},
		{Id: jsii.String("HIPAA.Security-S3BucketReplicationEnabled"), Reason: jsii.String("The pages are " +
			"copies of the repository's web/console, written by every deployment; a deployment in another " +
			"region restores them, so a replica would add nothing.")},
	}, jsii.Bool(true))
}

// suppressDeploymentHandler: CDK's BucketDeployment copies the pages with
// a singleton function of its own at the stack's root, which CloudFormation
// invokes at deployment only.
func suppressDeploymentHandler(stack awscdk.Stack) {
	for _, child := range *stack.Node().Children() {
		id := *child.Node().Id()
		if !strings.HasPrefix(id, "Custom::CDKBucketDeployment") {
			continue
		}
		if fn, ok := child.Node().TryFindChild(jsii.String("Resource")).(awslambda.CfnFunction); ok {
			// One deployment at a time; it never takes the account's
			// unreserved concurrency.
			fn.SetReservedConcurrentExecutions(jsii.Number(1))
			// Like the service's functions, it depends on its role's
			// subtree (the role's policy first), which repeats the Role
			// GetAtt for cfn-lint (W3005).
			fn.AddMetadata(jsii.String("cfn-lint"), map[string]any{
				"config": map[string]any{"ignore_checks": []string{"W3005"}},
			})
		}
		cdknag.NagSuppressions_AddResourceSuppressions(child, deploymentSuppressions(), jsii.Bool(true))
	}
}

func deploymentSuppressions() *[]*cdknag.NagPackSuppression {
	return &[]*cdknag.NagPackSuppression{
		{
			Id: jsii.String("AwsSolutions-IAM4"),
			Reason: jsii.String("CDK's console deployment function writes its logs with AWSLambdaBasicExecutionRole; " +
				"it runs only while CloudFormation deploys the stack and touches no personal data."),
			AppliesTo: &[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
		},
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("CDK's console deployment function reads the staged pages from the CDK asset bucket " +
				"(s3:GetBucket*, s3:GetObject*, s3:List* on its objects) and replaces the objects of the console " +
				"bucket (those and s3:Abort*, s3:DeleteObject* on its objects): the wildcards are S3 object and " +
				"bucket reads and deletions on those two buckets only."),
			AppliesTo: &[]any{
				"Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*", "Action::s3:Abort*", "Action::s3:DeleteObject*",
				&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<ConsoleBucket[0-9A-F]+\.Arn>\/\*$/`)},
				&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-<AWS::AccountId>-<AWS::Region>\/\*$/`)},
			},
		},
		{Id: jsii.String("AwsSolutions-L1"), Reason: jsii.String("The console deployment function's runtime " +
			"is the one CDK ships its BucketDeployment handler with, upgraded with CDK; it runs only while " +
			"CloudFormation deploys the stack.")},
		{Id: jsii.String("HIPAA.Security-IAMNoInlinePolicy"), Reason: jsii.String("The grants CDK's " +
			"BucketDeployment gives its own function on the asset bucket and the console bucket, attached " +
			"to that function's role alone and reviewed with the template.")},
		{Id: jsii.String("HIPAA.Security-LambdaDLQ"), Reason: jsii.String("CloudFormation invokes the console " +
			"deployment function as a custom resource and waits for its answer; a failure fails and rolls " +
			"back the deployment, which a dead-letter queue would not report better.")},
		{Id: jsii.String("HIPAA.Security-LambdaInsideVPC"), Reason: jsii.String("The console deployment " +
			"function reaches only S3 over TLS, authorised by IAM, at deployment time, and listens on no " +
			"network; a VPC would add NAT or an endpoint without isolating any data store.")},
	}
}
