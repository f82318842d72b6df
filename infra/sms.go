package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/claritru/privacy/shared/topology"
)

// smsService is the principal of AWS End User Messaging SMS.
const smsService = "sms-voice.amazonaws.com"

// SMS is the two-way SMS topic and the functions it feeds.
type SMS struct {
	// Inbound is the topic End User Messaging SMS publishes replies to;
	// set it as the two-way channel of the phone number or pool texts are
	// sent from (with self-managed opt-outs on: the service answers STOP
	// and HELP itself, from its own templates).
	Inbound awssns.Topic
	Key     awskms.Key
	// Consumers are the topic's functions, by name, with the queue of
	// what they could not process.
	Consumers map[string]TopicConsumer
}

// TopicConsumer is one function fed by the topic.
type TopicConsumer struct {
	Def         topology.TopicConsumer
	DeadLetters awssqs.Queue
}

// newSMS builds the two-way SMS topic, encrypted with a key of its own
// that only End User Messaging SMS of this account may publish with, and
// subscribes its topology consumers. Replies carry a number and its words:
// personal data, encrypted at rest and delivered over TLS only.
func newSMS(scope constructs.Construct, id string, defs []topology.TopicConsumer, data Data, fns Functions) (SMS, error) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	thisAccount := &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}}
	topic, key := publishedTopic(c, publisher{
		topicID: "Inbound", displayName: "ClariTru SMS replies", keyDescription: "ClariTru two-way SMS topic",
		service: smsService, keySid: "EndUserMessagingPublishesReplies", topicSid: "EndUserMessagingOfThisAccountPublishes",
		conditions: thisAccount,
	})
	out := SMS{Inbound: topic, Key: key, Consumers: map[string]TopicConsumer{}}
	for _, def := range defs {
		if def.Topic != topology.TopicSMSInbound {
			// Consumers of another topic (the mail events) are
			// subscribed where that topic is built.
			continue
		}
		fn, ok := fns.ByName[def.Function]
		if !ok {
			return SMS{}, fmt.Errorf("topology: topic consumer %q of %q: no such function or topic", def.Function, def.Topic)
		}
		if _, dup := out.Consumers[def.Function]; dup {
			return SMS{}, fmt.Errorf("topology: function %q consumes the topic twice", def.Function)
		}
		dlq := topicDeadLetters(c, def.Function, data)
		// SNS invokes asynchronously: Lambda retries a failed reply twice,
		// then it waits in the queue (a STOP acted on twice changes
		// nothing the second time).
		fn.Lambda.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
			RetryAttempts: jsii.Number(2),
			MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
			OnFailure:     awslambdadestinations.NewSqsDestination(dlq),
		})
		topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(fn.Lambda, nil))
		suppressPolicyWildcards(fn.Role,
			"kms:GenerateDataKey*/kms:ReEncrypt* come from the on-failure destination's send grant on the "+
				"dead-letter queue's key and are scoped to that one key.",
			"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
		out.Consumers[def.Function] = TopicConsumer{Def: def, DeadLetters: dlq}
	}
	return out, nil
}

// topicDeadLetters is the queue of replies a function could not process:
// they hold a number and its words, so they are encrypted with the service
// key.
func topicDeadLetters(c constructs.Construct, function string, data Data) awssqs.Queue {
	dlq := awssqs.NewQueue(c, jsii.String(function+"DeadLetters"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: data.Key,
		EnforceSSL:          jsii.Bool(true),
		// The longest SQS allows: time to notice, fix and re-drive.
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(dlq, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself a dead-letter destination: of the " + function +
			" function's asynchronous invocations from the two-way SMS topic, which cdk-nag does not recognise as a DLQ use."),
	}}, jsii.Bool(false))
	return dlq
}

// grantSendText lets role send texts with End User Messaging SMS. The
// action is authorised on the origination identity, the configuration set
// and the opt-out list a call uses; the numbers are bought and registered
// outside the stack (carrier registration), so their ARNs are not known
// here: the grant is scoped to this account and region.
func grantSendText(role awsiam.Role) {
	stack := awscdk.Stack_Of(role)
	arn := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("sms-voice"), Resource: jsii.String("*")})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sms-voice:SendTextMessage"),
		Resources: &[]*string{arn},
	}))
	suppressPolicyWildcards(role,
		"sms-voice:SendTextMessage is authorised on the origination identity, configuration set and opt-out "+
			"list of each call; the phone numbers are registered outside the stack, so the grant is scoped to "+
			"this account and region's End User Messaging SMS resources.",
		"Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:*")
}
