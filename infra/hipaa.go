package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/claritru/privacy/shared/topology"
)

// The HIPAA Security rules the stack answers otherwise than the rule
// expects, each suppressed on the construct it concerns with its reason.

// suppressInlinePolicy: a role's own policy (the DefaultPolicy CDK's
// grants write to) is an inline policy in the rule's sense.
func suppressInlinePolicy(role awsiam.Role, whose string) {
	policy := role.Node().TryFindChild(jsii.String("DefaultPolicy"))
	if policy == nil {
		return
	}
	cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("HIPAA.Security-IAMNoInlinePolicy"),
		Reason: jsii.String("The grants of " + whose + ", attached to its one role and to nothing else, scoped to " +
			"the resources of this stack it uses. It is versioned and reviewed with the template (CloudFormation " +
			"change sets, the repository's history); a managed policy would give the same grants a second name " +
			"without any reuse, and a change to it would still need the same review."),
	}}, jsii.Bool(true))
}

// suppressNoVPC: the functions run outside a VPC.
func suppressNoVPC(fn Function) {
	reason := "The function reaches only AWS service endpoints (DynamoDB, KMS, Secrets Manager, SES, SNS, SQS, " +
		"End User Messaging), over TLS and authorised by IAM per call, and listens on no network; the table " +
		"is reached through its IAM policy, not a network path. A VPC would add NAT gateways or an interface " +
		"endpoint per service, and network paths to secure, without isolating any data store."
	if fn.Def.WebhookKeys {
		reason += " Its webhooks go to the company's systems on the internet, signed, over HTTPS."
	}
	cdknag.NagSuppressions_AddResourceSuppressions(fn.Lambda.Node().DefaultChild(), &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("HIPAA.Security-LambdaInsideVPC"),
		Reason: jsii.String(reason),
	}}, jsii.Bool(false))
}

// suppressFunctionDLQs: no function has a DeadLetterConfig. Each
// asynchronous invocation (a topic, a schedule) has an on-failure
// destination instead, a queue that receives the event with the error,
// which a dead-letter queue would not; a synchronous caller (API Gateway,
// the stream's event source mapping) gets the failure itself. Every queue
// and every function's errors are alarmed.
func suppressFunctionDLQs(fns Functions, svc topology.Service) {
	for _, name := range sortedKeys(fns.ByName) {
		var how []string
		if len(svc.RoutesOf(name)) > 0 {
			how = append(how, "API Gateway invokes it synchronously (a failure is the caller's 5xx, alarmed)")
		}
		for _, s := range svc.Streams {
			if s.Function == name {
				how = append(how, "the table's stream invokes it synchronously through the event source mapping, "+
					"whose on-failure destination is its stream dead-letter queue")
			}
		}
		async := false
		for _, t := range svc.Topics {
			async = async || t.Function == name
		}
		for _, s := range svc.Schedules {
			async = async || s.Function == name
		}
		if async {
			how = append(how, "its asynchronous invocations (topics, schedules) have an on-failure destination, "+
				"an encrypted SQS queue that receives the event with its error, which a dead-letter queue would not")
		}
		if len(how) == 0 {
			continue
		}
		// On the function's own resource, not its event source mappings
		// and invoke configurations.
		cdknag.NagSuppressions_AddResourceSuppressions(fns.ByName[name].Lambda.Node().DefaultChild(), &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("HIPAA.Security-LambdaDLQ"),
			Reason: jsii.String("No dead-letter configuration: " + strings.Join(how, "; ") + ". Its errors and every queue are alarmed."),
		}}, jsii.Bool(false))
	}
}
