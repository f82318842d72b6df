package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
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

// Topic is one SNS topic an AWS service publishes to for the functions,
// encrypted with a key of its own that only that service may use.
type Topic struct {
	Topic awssns.Topic
	Key   awskms.Key
	// Consumers are the functions the topic invokes.
	Consumers []string
}

// Topics are the topics the functions consume, by topology name
// (topology.TopicSMSInbound, topology.TopicMailEvents), and the queue of
// what each consuming function could not process, by function.
type Topics struct {
	ByName      map[string]Topic
	DeadLetters map[string]awssqs.Queue
}

// topicSpec is a topic to build: the construct it lives in and who
// publishes to it.
type topicSpec struct {
	scope     constructs.Construct
	publisher publisher
}

// smsTopic is the two-way SMS topic: End User Messaging SMS publishes
// replies to the service's texts there. Set it as the two-way channel of
// the phone number or pool texts are sent from (with self-managed opt-outs
// on: the service answers STOP and HELP itself, from its own templates).
func smsTopic(scope constructs.Construct) topicSpec {
	return topicSpec{scope: constructs.NewConstruct(scope, jsii.String("Sms")), publisher: publisher{
		topicID: "Inbound", displayName: "ClariTru SMS replies", keyDescription: "ClariTru two-way SMS topic",
		service: smsService, keySid: "EndUserMessagingPublishesReplies", topicSid: "EndUserMessagingOfThisAccountPublishes",
		conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}}
}

// newServiceTopics builds the service's topics (the two-way SMS topic and
// the mail events topic, to which the configuration set then publishes)
// and subscribes their consumers.
func newServiceTopics(stack constructs.Construct, defs []topology.TopicConsumer, data Data, fns Functions, mail *Mail) (Topics, error) {
	topics, err := newTopics(stack, map[string]topicSpec{
		topology.TopicSMSInbound: smsTopic(stack),
		topology.TopicMailEvents: mail.eventsTopic(stack),
	}, defs, data, fns)
	if err != nil {
		return Topics{}, err
	}
	mail.publishEvents(topics.ByName[topology.TopicMailEvents].Topic)
	return topics, nil
}

// newTopics builds each topic and subscribes its topology consumers. What
// the topics carry (a number and its words; a recipient's address and
// SES's verdict) is personal data: encrypted at rest, delivered over TLS
// only. A topic invokes a function asynchronously: Lambda retries a failed
// event twice, then it waits in the function's dead-letter queue (one per
// function, whichever topic the event came from: a function has one
// asynchronous configuration).
func newTopics(scope constructs.Construct, specs map[string]topicSpec, defs []topology.TopicConsumer, data Data, fns Functions) (Topics, error) {
	out := Topics{ByName: map[string]Topic{}, DeadLetters: map[string]awssqs.Queue{}}
	for _, name := range sortedKeys(specs) {
		topic, key := publishedTopic(specs[name].scope, specs[name].publisher)
		out.ByName[name] = Topic{Topic: topic, Key: key}
	}
	var failures constructs.Construct
	for _, def := range defs {
		fn, ok := fns.ByName[def.Function]
		t, known := out.ByName[def.Topic]
		if !ok || !known {
			return Topics{}, fmt.Errorf("topology: topic consumer %q of %q: no such function or topic", def.Function, def.Topic)
		}
		for _, f := range t.Consumers {
			if f == def.Function {
				return Topics{}, fmt.Errorf("topology: function %q consumes the topic %q twice", def.Function, def.Topic)
			}
		}
		if _, done := out.DeadLetters[def.Function]; !done {
			if failures == nil {
				failures = constructs.NewConstruct(scope, jsii.String("TopicConsumers"))
			}
			dlq := topicDeadLetters(failures, def.Function, data)
			fn.Lambda.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
				RetryAttempts: jsii.Number(2),
				MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
				OnFailure:     awslambdadestinations.NewSqsDestination(dlq),
			})
			suppressPolicyWildcards(fn.Role,
				"kms:GenerateDataKey*/kms:ReEncrypt* come from the on-failure destination's send grant on the "+
					"dead-letter queue's key and are scoped to that one key.",
				"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
			out.DeadLetters[def.Function] = dlq
		}
		t.Topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(fn.Lambda, nil))
		t.Consumers = append(t.Consumers, def.Function)
		out.ByName[def.Topic] = t
	}
	return out, nil
}

// topicDeadLetters is the queue of topic events a function could not
// process: they hold personal data, so they are encrypted with the service
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
			" function's asynchronous invocations from its SNS topics, which cdk-nag does not recognise as a DLQ use."),
	}}, jsii.Bool(false))
	return dlq
}
