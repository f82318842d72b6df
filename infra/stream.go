package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/claritru/privacy/shared/topology"
)

// insertFilters are the event source mapping's filters for a consumer fed
// only the insertion of items of the given kinds; none when kinds is empty.
// The pattern reads the record's new image, which the table's stream
// carries (NEW_AND_OLD_IMAGES).
func insertFilters(kinds []string) *[]*map[string]any {
	if len(kinds) == 0 {
		return nil
	}
	return &[]*map[string]any{awslambda.FilterCriteria_Filter(&map[string]any{
		"eventName": awslambda.FilterRule_IsEqual(jsii.String("INSERT")),
		"dynamodb": map[string]any{"NewImage": map[string]any{"kind": map[string]any{
			"S": awslambda.FilterRule_Or(*jsii.Strings(kinds...)...),
		}}},
	})}
}

// StreamConsumer is one function fed by the table's stream, with the queue
// that receives what it could not process.
type StreamConsumer struct {
	Def         topology.StreamConsumer
	Source      awslambdaeventsources.DynamoEventSource
	DeadLetters awssqs.Queue
}

// Streams are the table's stream consumers by function name.
type Streams struct {
	ByFunction map[string]StreamConsumer
}

// newStreams subscribes each topology stream consumer to the table's stream.
// A record that keeps failing is retried MaxRetries times, one bad record at
// a time (bisect, partial batch failures), and then its position is sent to a
// queue instead of blocking the shard: the item itself stays in the table, so
// nothing is lost and the mail can be re-driven by the watch.
func newStreams(scope constructs.Construct, id string, defs []topology.StreamConsumer, data Data, fns Functions) (Streams, error) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	out := Streams{ByFunction: map[string]StreamConsumer{}}
	for _, def := range defs {
		fn, ok := fns.ByName[def.Function]
		if !ok {
			return Streams{}, fmt.Errorf("topology: stream consumer names unknown function %q", def.Function)
		}
		if _, dup := out.ByFunction[def.Function]; dup {
			return Streams{}, fmt.Errorf("topology: function %q consumes the stream twice", def.Function)
		}
		if def.BatchSize < 1 || def.MaxRetries < 0 {
			return Streams{}, fmt.Errorf("topology: stream consumer %q: batch size %d, retries %d", def.Function, def.BatchSize, def.MaxRetries)
		}

		// The failure records hold stream positions, not item images; they
		// are still encrypted with the service key and readable over TLS
		// only.
		dlq := awssqs.NewQueue(c, jsii.String(def.Function+"DeadLetters"), &awssqs.QueueProps{
			Encryption:          awssqs.QueueEncryption_KMS,
			EncryptionMasterKey: data.Key,
			EnforceSSL:          jsii.Bool(true),
			// The longest SQS allows: time to notice, fix and re-drive.
			RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		})
		cdknag.NagSuppressions_AddResourceSuppressions(dlq, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-SQS3"),
			Reason: jsii.String("This queue is itself a dead-letter destination: the on-failure destination of " +
				"the " + def.Function + " stream event source mapping, which cdk-nag does not recognise as a DLQ use."),
		}}, jsii.Bool(false))

		src := awslambdaeventsources.NewDynamoEventSource(data.Table, &awslambdaeventsources.DynamoEventSourceProps{
			// From the oldest record: a mail intent written while the
			// mapping was being created must still be sent.
			StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
			BatchSize:               jsii.Number(float64(def.BatchSize)),
			RetryAttempts:           jsii.Number(float64(def.MaxRetries)),
			BisectBatchOnError:      jsii.Bool(true),
			ReportBatchItemFailures: jsii.Bool(true),
			OnFailure:               awslambdaeventsources.NewSqsDlq(dlq),
			Filters:                 insertFilters(def.Inserts),
		})
		fn.Lambda.AddEventSource(src)
		suppressPolicyWildcards(fn.Role,
			"dynamodb:ListStreams, granted by the DynamoDB event source (table.GrantStreamRead), does not "+
				"support resource-level permissions; reading records is scoped to this table's stream ARN. "+
				"kms:GenerateDataKey*/kms:ReEncrypt* come from SqsDlq's send grant on the dead-letter queue's "+
				"key and are scoped to that one key.",
			"Resource::*", "Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")

		out.ByFunction[def.Function] = StreamConsumer{Def: def, Source: src, DeadLetters: dlq}
	}
	return out, nil
}
