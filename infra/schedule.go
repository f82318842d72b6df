package main

import (
	"encoding/json"
	"fmt"
	"strconv"
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
//     the same age. The handlers are safe to repeat (see shared/watch and
//     shared/sweep).
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
// execution, and a schedule with a job names it (topology.Schedule.Job), so
// the function runs only that part of its work.
func scheduleInput(def topology.Schedule) string {
	in := map[string]string{
		"execution_id":   "<aws.scheduler.execution-id>",
		"scheduled_time": "<aws.scheduler.scheduled-time>",
	}
	if def.Job != "" {
		in["job"] = def.Job
	}
	b, _ := json.Marshal(in)
	return string(b)
}

// Schedule is one deployed topology.Schedule.
type Schedule struct {
	Def      topology.Schedule
	Schedule awsscheduler.CfnSchedule
	// Role is the execution role of the function's schedules: it may
	// invoke the function and send to the dead-letter queue, nothing else.
	Role awsiam.Role
	// DeadLetters is the function's: its schedules and its asynchronous
	// invocations share it.
	DeadLetters awssqs.Queue
}

// Schedules are the deployed schedules by name (topology.Schedule.Name:
// the function, with its job when it has one).
type Schedules struct {
	ByName map[string]Schedule
}

// scheduled is what the schedules of one function share.
type scheduled struct {
	scope constructs.Construct
	dlq   awssqs.Queue
	role  awsiam.Role
}

// newSchedules creates an EventBridge Scheduler schedule for each topology
// schedule, at the topology's expression and time zone, with no flexible
// window (the watch runs at 07:00, not some time after). defs are what
// configuredSchedules returns: the topology's, with the configured
// retention expression. The schedules of one function share its
// dead-letter queue, role and asynchronous retries.
func newSchedules(scope constructs.Construct, id string, defs []topology.Schedule, fns Functions) (Schedules, error) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	out := Schedules{ByName: map[string]Schedule{}}
	shared := map[string]scheduled{}
	for _, def := range defs {
		fn, ok := fns.ByName[def.Function]
		if !ok {
			return Schedules{}, fmt.Errorf("topology: schedule names unknown function %q", def.Function)
		}
		if _, dup := out.ByName[def.Name()]; dup {
			return Schedules{}, fmt.Errorf("topology: %q is scheduled twice (function and job)", def.Name())
		}
		if err := checkSchedule(def); err != nil {
			return Schedules{}, err
		}
		sh, ok := shared[def.Function]
		if !ok {
			sh = newScheduled(c, def.Function, fn)
			shared[def.Function] = sh
		}
		out.ByName[def.Name()] = newSchedule(sh, def, fn, fns)
	}
	return out, nil
}

// newScheduled builds what the schedules of one function share: its
// dead-letter queue, the schedules' execution role and the function's
// asynchronous retries.
func newScheduled(c constructs.Construct, function string, fn Function) scheduled {
	sc := constructs.NewConstruct(c, jsii.String(function))
	dlq := scheduleDeadLetters(sc, function)
	role := scheduleRole(sc, function, fn, dlq)
	fn.Lambda.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
		RetryAttempts: jsii.Number(asyncRetries),
		MaxEventAge:   awscdk.Duration_Seconds(jsii.Number(scheduleMaxEventAge.Seconds())),
		OnFailure:     awslambdadestinations.NewSqsDestination(dlq),
	})
	return scheduled{scope: sc, dlq: dlq, role: role}
}

// newSchedule builds one schedule of a function under the function's
// construct: "Schedule", or "Schedule-<job>" for a job.
func newSchedule(sh scheduled, def topology.Schedule, fn Function, fns Functions) Schedule {
	id, what := "Schedule", def.Function
	if def.Job != "" {
		id, what = "Schedule-"+def.Job, def.Function+" ("+def.Job+")"
	}
	var tz *string
	if def.Timezone != "" {
		tz = jsii.String(def.Timezone)
	}
	s := awsscheduler.NewCfnSchedule(sh.scope, jsii.String(id), &awsscheduler.CfnScheduleProps{
		Description:                jsii.String("ClariTru " + what + ": " + purpose(fns, def.Function)),
		ScheduleExpression:         jsii.String(def.Expression),
		ScheduleExpressionTimezone: tz,
		FlexibleTimeWindow:         &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:                      jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     fn.Lambda.FunctionArn(),
			RoleArn: sh.role.RoleArn(),
			Input:   jsii.String(scheduleInput(def)),
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumRetryAttempts:     jsii.Number(scheduleRetries),
				MaximumEventAgeInSeconds: jsii.Number(scheduleMaxEventAge.Seconds()),
			},
			DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: sh.dlq.QueueArn()},
		},
	})
	// The schedule may fire as soon as it exists: its role's policy
	// must be in place first. (The role itself is already a
	// dependency through RoleArn.)
	if policy := sh.role.Node().TryFindChild(jsii.String("DefaultPolicy")); policy != nil {
		s.Node().AddDependency(policy)
	}
	return Schedule{Def: def, Schedule: s, Role: sh.role, DeadLetters: sh.dlq}
}

// scheduleDeadLetters is the dead-letter queue of the schedule of one
// function and of the function's asynchronous invocations.
func scheduleDeadLetters(sc constructs.Construct, function string) awssqs.Queue {
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
		Reason: jsii.String("This queue is itself a dead-letter destination: of the " + function +
			" schedules and of the function's asynchronous invocations, which cdk-nag does not recognise as DLQ uses."),
	}}, jsii.Bool(false))
	return dlq
}

// scheduleRole is the schedule's execution role, assumable only by
// EventBridge Scheduler acting for this account (confused-deputy
// protection): it may invoke the function and send to the dead-letter
// queue, nothing else.
func scheduleRole(sc constructs.Construct, function string, fn Function, dlq awssqs.Queue) awsiam.Role {
	role := awsiam.NewRole(sc, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil).WithConditions(&map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
		}),
		Description: jsii.String("ClariTru schedules of " + function + ": invoke it, report what could not be delivered"),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: jsii.Strings(*fn.Lambda.FunctionArn()),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sqs:SendMessage"),
		Resources: jsii.Strings(*dlq.QueueArn()),
	}))
	suppressInlinePolicy(role, "the schedules of "+function)
	return role
}

// checkSchedule refuses a schedule EventBridge Scheduler would reject, at
// synth time rather than at deploy time.
func checkSchedule(def topology.Schedule) error {
	e := def.Expression
	if strings.HasPrefix(e, "at(") {
		if !strings.HasSuffix(e, ")") {
			return fmt.Errorf("topology: schedule of %q: %q is not a cron(...), rate(...) or at(...) expression", def.Function, e)
		}
	} else if err := checkRecurring(e); err != nil {
		return fmt.Errorf("topology: schedule of %q: %w", def.Function, err)
	}
	if def.Timezone != "" {
		if _, err := time.LoadLocation(def.Timezone); err != nil || def.Timezone == "Local" {
			return fmt.Errorf("topology: schedule of %q: time zone %q is not an IANA zone name", def.Function, def.Timezone)
		}
	}
	return nil
}

// cronFieldChars are what the fields of a Scheduler cron expression are
// made of: numbers, month and weekday names, L and W, and * ? , - / #.
const cronFieldChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz*?,-/#"

// checkRecurring accepts the recurring forms of an EventBridge Scheduler
// expression and refuses the mistakes Scheduler would only report at
// deploy time:
//
//   - cron(minutes hours day-of-month month day-of-week year): six fields,
//     not Unix cron's five, and exactly one of the two day fields is "?";
//   - rate(value unit): a positive whole number and minute, hour or day,
//     singular for 1 and plural otherwise.
func checkRecurring(e string) error {
	switch {
	case strings.HasPrefix(e, "cron(") && strings.HasSuffix(e, ")"):
		fields := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(e, "cron("), ")"))
		if len(fields) != 6 {
			return fmt.Errorf("%q: cron(...) takes six fields (minutes hours day-of-month month day-of-week year), not %d", e, len(fields))
		}
		for _, f := range fields {
			if strings.Trim(f, cronFieldChars) != "" {
				return fmt.Errorf("%q: field %q is not a cron field", e, f)
			}
		}
		if (fields[2] == "?") == (fields[4] == "?") {
			return fmt.Errorf("%q: exactly one of day-of-month and day-of-week must be ?", e)
		}
		return nil
	case strings.HasPrefix(e, "rate(") && strings.HasSuffix(e, ")"):
		parts := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(e, "rate("), ")"))
		if len(parts) != 2 {
			return fmt.Errorf("%q: rate(...) takes a value and a unit, e.g. rate(12 hours)", e)
		}
		n, err := strconv.Atoi(parts[0])
		if err != nil || n <= 0 {
			return fmt.Errorf("%q: the rate's value must be a positive whole number", e)
		}
		unit := parts[1]
		switch strings.TrimSuffix(unit, "s") {
		case "minute", "hour", "day":
		default:
			return fmt.Errorf("%q: the rate's unit must be minutes, hours or days", e)
		}
		if plural := strings.HasSuffix(unit, "s"); plural != (n != 1) {
			return fmt.Errorf("%q: the rate's unit is singular for 1 and plural otherwise", e)
		}
		return nil
	}
	return fmt.Errorf("%q is not a cron(...) or rate(...) expression", e)
}

// retentionFunction is the topology function of the retention sweep, the
// one schedule the configuration may move (Config.RetentionSchedule).
const retentionFunction = "retention"

// configuredSchedules are the topology's schedules with the configured
// expression of the retention sweep in place of the topology's; the
// topology itself is left as it is. Every other schedule is the topology's.
func configuredSchedules(defs []topology.Schedule, cfg Config) ([]topology.Schedule, error) {
	out := append([]topology.Schedule(nil), defs...)
	if cfg.RetentionSchedule == "" {
		return out, nil
	}
	for i := range out {
		if out[i].Function == retentionFunction {
			out[i].Expression = cfg.RetentionSchedule
			return out, nil
		}
	}
	return nil, fmt.Errorf("context %q: the topology does not schedule the %s function", ctxRetention, retentionFunction)
}

func purpose(fns Functions, name string) string {
	return fns.ByName[name].Def.Purpose
}
