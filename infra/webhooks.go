package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/claritru/privacy/shared/reach"
)

// webhookKeyArns are the ARNs of the Secrets Manager secrets holding the
// signing keys of reg's webhook systems, in the stack's account and region.
// The secrets are created by hand at deploy (README), not by the stack, so
// that a key never passes through a template; Secrets Manager ends each
// secret's ARN with a dash and six random characters, which "-??????"
// matches and nothing longer does.
func webhookKeyArns(stack awscdk.Stack, reg *reach.Register) []*string {
	var arns []*string
	for _, s := range reg.All() {
		if s.Reach != reach.Webhook {
			continue
		}
		arns = append(arns, stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("secretsmanager"),
			Resource:     jsii.String("secret"),
			ResourceName: jsii.String(s.Secret + "-??????"),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		}))
	}
	return arns
}

// grantWebhookKeys lets role read the signing key of each webhook system of
// reg, and no other secret: the function signs webhooks and checks
// callbacks with them.
func grantWebhookKeys(role awsiam.Role, reg *reach.Register) {
	arns := webhookKeyArns(awscdk.Stack_Of(role), reg)
	if len(arns) == 0 {
		return
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
		Resources: &arns,
	}))
}
