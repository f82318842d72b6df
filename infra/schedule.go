package main

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // validate schedule time zones on any machine

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/claritru/privacy/shared/topology"
)

// How a scheduled run is retried. EventBridge Scheduler invokes Lambda
// asynchronously, so there are two layers:
//
//   - Scheduler retries an invocation it could not deliver (throttling, a
//     missing permission) scheduleRetries times within scheduleMaxEventAge;
//   - Lambda retries a run that returned an error asyncRetries times within
//     the same age. The handlers are safe to repeat (see shared/watch).
//
// What still fails goes to the schedule's dead-letter queue, from either
// layer, so a missed run is never silent.
const (
	scheduleRetries     = 3
	scheduleMaxEventAge = time.Hour
	asyncRetries        = 2
)

// scheduleInput is what the schedule sends the function: Scheduler fills in
// its context attributes, which the handler logs to tie a run to its
// execution. Nothing else; the handler needs no input.
const scheduleInput = `{"execution_id":"<aws.scheduler.execution-id>","scheduled_time":"<aws.scheduler.scheduled-time>"}`

// Schedule is one deployed topology.Schedule.
type Schedule struct {
	Def      topology.Schedule
	Schedule awsscheduler.CfnSchedule
	// Role is the schedule's execution role: it may invoke the function
	// and send to the dead-letter queue, nothing else.
	Role        awsiam.Role
	DeadLetters awssqs.Queue
}

// Schedules are the deployed schedules by function name.
type Schedules struct {
	ByFunction map[string]Schedule
}

// newSchedules creates an EventBridge Scheduler schedule for each topology
// schedule, at the topology's expression and time zone, with no flexible
// window (the watch runs at 07:00, not some time after).
func newSchedules(scope constructs.Construct, id string, defs []topology.Schedule, fns Functions) (Schedules, error) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	out := Schedules{ByFunction: map[string]Schedule{}}
	for _, def := range defs {
		fn, ok := fns.ByName[def.Function]
		if !ok {
			return Schedules{}, fmt.Errorf("topology: schedule names unknown function %q", def.Function)
		}
		if _, dup := out.ByFunction[def.Function]; dup {
			return Schedules{}, fmt.Errorf("topology: function %q is scheduled twice", def.Function)
		}
		if err := checkSchedule(def); err != nil {
			return Schedules{}, err
		}
		sc := constructs.NewConstruct(c, jsii.String(def.Function))

		// Dead-letter events carry the schedule's input and the error, no
		// personal data; SQS-managed encryption keeps them encrypted
		// without giving the scheduler role any use of the table's key.
		dlq := awssqs.NewQueue(sc, jsii.String("DeadLetters"), &awssqs.QueueProps{
			Encryption: awssqs.QueueEncryption_SQS_MANAGED,
			EnforceSSL: jsii.Bool(true),
			// The longest SQS allows: time to notice and run it again.
			RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		})
		cdknag.NagSuppressions_AddResourceSuppressions(dlq, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-SQS3"),
			Reason: jsii.String("This queue is itself a dead-letter destination: of the " + def.Function +
				" schedule and of the function's asynchronous invocations, which cdk-nag does not recognise as DLQ uses."),
		}}, jsii.Bool(false))

		// The execution role, assumable only by EventBridge Scheduler
		// acting for this account (confused-deputy protection).
		role := awsiam.NewRole(sc, jsii.String("Role"), &awsiam.RoleProps{
			AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil).WithConditions(&map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			}),
			Description: jsii.String("ClariTru schedule of " + def.Function + ": invoke it, report what could not be delivered"),
		})
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: jsii.Strings(*fn.Lambda.FunctionArn()),
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("sqs:SendMessage"),
			Resources: jsii.Strings(*dlq.QueueArn()),
		}))

		fn.Lambda.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
			RetryAttempts: jsii.Number(asyncRetries),
			MaxEventAge:   awscdk.Duration_Seconds(jsii.Number(scheduleMaxEventAge.Seconds())),
			OnFailure:     awslambdadestinations.NewSqsDestination(dlq),
		})

		var tz *string
		if def.Timezone != "" {
			tz = jsii.String(def.Timezone)
		}
		s := awsscheduler.NewCfnSchedule(sc, jsii.String("Schedule"), &awsscheduler.CfnScheduleProps{
			Description:                jsii.String("ClariTru " + def.Function + ": " + purpose(fns, def.Function)),
			ScheduleExpression:         jsii.String(def.Expression),
			ScheduleExpressionTimezone: tz,
			FlexibleTimeWindow:         &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
			State:                      jsii.String("ENABLED"),
			Target: &awsscheduler.CfnSchedule_TargetProperty{
				Arn:     fn.Lambda.FunctionArn(),
				RoleArn: role.RoleArn(),
				Input:   jsii.String(scheduleInput),
				RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
					MaximumRetryAttempts:     jsii.Number(scheduleRetries),
					MaximumEventAgeInSeconds: jsii.Number(scheduleMaxEventAge.Seconds()),
				},
				DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: dlq.QueueArn()},
			},
		})
		// The schedule may fire as soon as it exists: its role's policy
		// must be in place first. (The role itself is already a
		// dependency through RoleArn.)
		if policy := role.Node().TryFindChild(jsii.String("DefaultPolicy")); policy != nil {
			s.Node().AddDependency(policy)
		}

		out.ByFunction[def.Function] = Schedule{Def: def, Schedule: s, Role: role, DeadLetters: dlq}
	}
	return out, nil
}

// checkSchedule refuses a schedule EventBridge Scheduler would reject, at
// synth time rather than at deploy time.
func checkSchedule(def topology.Schedule) error {
	e := def.Expression
	ok := strings.HasSuffix(e, ")") &&
		(strings.HasPrefix(e, "cron(") || strings.HasPrefix(e, "rate(") || strings.HasPrefix(e, "at("))
	if !ok {
		return fmt.Errorf("topology: schedule of %q: %q is not a cron(...), rate(...) or at(...) expression", def.Function, e)
	}
	if def.Timezone != "" {
		if _, err := time.LoadLocation(def.Timezone); err != nil || def.Timezone == "Local" {
			return fmt.Errorf("topology: schedule of %q: time zone %q is not an IANA zone name", def.Function, def.Timezone)
		}
	}
	return nil
}

func purpose(fns Functions, name string) string {
	return fns.ByName[name].Def.Purpose
}
