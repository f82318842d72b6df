package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Logs is the key every log group of the stack is encrypted with, and the
// removal policy the stage gives log groups. Logs hold no email, phone,
// name or body, but request ids, routes and errors of a service about
// people's rights; encrypted with a customer-managed key, who may read
// them is written down in the key's policy and shows in CloudTrail.
type Logs struct {
	Key     awskms.Key
	removal awscdk.RemovalPolicy
}

// newLogs builds the log key. CloudWatch Logs of this region may use it
// only for the log groups of this stack: CloudFormation names a log group
// it creates <stack name>-<logical id>-<suffix>, and CloudWatch Logs
// passes the group's ARN as the encryption context of every call.
func newLogs(scope constructs.Construct, id string, cfg Config) Logs {
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("ClariTru log groups (" + *stack.StackName() + ")"),
		EnableKeyRotation: jsii.Bool(true),
		// Retained log groups stay readable only with their key.
		RemovalPolicy: removal(cfg),
	})
	ourGroups := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("logs"),
		Resource:     jsii.String("log-group"),
		ResourceName: jsii.String(*stack.StackName() + "-*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	logsService := awsiam.NewServicePrincipal(awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("logs."), awscdk.Aws_REGION(), jsii.String("."), awscdk.Aws_URL_SUFFIX(),
	}), nil)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchLogsEncryptsTheLogGroupsOfThisStack"),
		Principals: &[]awsiam.IPrincipal{logsService},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"ArnLike": map[string]any{"kms:EncryptionContext:aws:logs:arn": ourGroups},
		},
	}), nil)
	return Logs{Key: key, removal: removal(cfg)}
}

// group is one encrypted log group, kept for retention.
func (l Logs) group(scope constructs.Construct, id string, retention awslogs.RetentionDays) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		EncryptionKey: l.Key,
		Retention:     retention,
		RemovalPolicy: l.removal,
	})
}

// removal is what happens to a resource holding personal data, proof or
// their keys when the stack is deleted or the resource replaced: retained,
// unless the stage lets a test installation go whole.
func removal(cfg Config) awscdk.RemovalPolicy {
	if cfg.RetainData {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}
