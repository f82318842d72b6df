package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/claritru/privacy/shared/topology"
)

// TestSchedulesFollowTopology: each topology schedule is an EventBridge
// Scheduler schedule at the topology's expression and time zone, invoking
// its function through a role that may do only that, with a retry policy
// and a dead-letter queue; what fails inside the function lands in the same
// queue.
func TestSchedulesFollowTopology(t *testing.T) {
	s := mainStack(t)
	if len(s.service.Schedules) == 0 {
		t.Fatal("the topology has no schedule: the checks below would pass vacuously")
	}
	ids := s.doc.ofType("AWS::Scheduler::Schedule")
	if len(ids) != len(s.service.Schedules) {
		t.Errorf("%d schedules in the template, want the %d topology schedules", len(ids), len(s.service.Schedules))
	}
	for _, def := range s.service.Schedules {
		t.Run(def.Name(), func(t *testing.T) {
			sched, ok := s.stack.Schedules.ByName[def.Name()]
			if !ok {
				t.Fatalf("no schedule of %s in the stack", def.Function)
			}
			fn := s.stack.Functions.ByName[def.Function]
			fnID := s.logicalID(fn.Lambda)
			roleID := s.logicalID(sched.Role)
			queueID := s.logicalID(sched.DeadLetters)
			p := s.resource(t, s.logicalID(sched.Schedule), "AWS::Scheduler::Schedule").Properties

			if got := asString(p["ScheduleExpression"]); got != def.Expression {
				t.Errorf("ScheduleExpression = %q, want topology's %q", got, def.Expression)
			}
			if got := asString(p["ScheduleExpressionTimezone"]); got != def.Timezone {
				t.Errorf("ScheduleExpressionTimezone = %q, want topology's %q", got, def.Timezone)
			}
			if !sameJSON(p["FlexibleTimeWindow"], map[string]any{"Mode": "OFF"}) {
				t.Errorf("FlexibleTimeWindow = %s, want OFF", show(p["FlexibleTimeWindow"]))
			}
			if got := asString(p["State"]); got != "ENABLED" {
				t.Errorf("State = %q, want ENABLED", got)
			}
			if _, named := p["Name"]; named {
				t.Errorf("the schedule has a fixed name %s", show(p["Name"]))
			}

			target := asMap(p["Target"])
			if !sameJSON(target["Arn"], getAtt(fnID, "Arn")) {
				t.Errorf("target = %s, want function %s", show(target["Arn"]), def.Function)
			}
			if !sameJSON(target["RoleArn"], getAtt(roleID, "Arn")) {
				t.Errorf("RoleArn = %s, want the schedule's own role", show(target["RoleArn"]))
			}
			want := map[string]any{"MaximumRetryAttempts": scheduleRetries, "MaximumEventAgeInSeconds": scheduleMaxEventAge.Seconds()}
			if !sameJSON(target["RetryPolicy"], want) {
				t.Errorf("RetryPolicy = %s, want %s", show(target["RetryPolicy"]), show(want))
			}
			if !sameJSON(asMap(target["DeadLetterConfig"])["Arn"], getAtt(queueID, "Arn")) {
				t.Errorf("DeadLetterConfig = %s, want queue %s", show(target["DeadLetterConfig"]), queueID)
			}
			var input map[string]string
			if err := json.Unmarshal([]byte(asString(target["Input"])), &input); err != nil || input["execution_id"] != "<aws.scheduler.execution-id>" {
				t.Errorf("Input = %q (%v), want JSON carrying the execution id", asString(target["Input"]), err)
			}
			if input["job"] != def.Job {
				t.Errorf("Input = %q, want job %q", asString(target["Input"]), def.Job)
			}

			checkDeadLetterQueue(t, s, queueID)
			checkScheduleRole(t, s, roleID, fnID, queueID)

			// Scheduler invokes Lambda asynchronously: a run that fails
			// inside the function is retried by Lambda, then reported to
			// the same queue.
			var cfg map[string]any
			for _, id := range s.doc.ofType("AWS::Lambda::EventInvokeConfig") {
				if sameJSON(s.doc.Resources[id].Properties["FunctionName"], ref(fnID)) {
					cfg = s.doc.Resources[id].Properties
				}
			}
			if cfg == nil {
				t.Fatalf("no asynchronous invocation config for %s", def.Function)
			}
			if got := asNumber(cfg["MaximumRetryAttempts"]); got != asyncRetries {
				t.Errorf("async MaximumRetryAttempts = %v, want %d", got, asyncRetries)
			}
			if got := asNumber(cfg["MaximumEventAgeInSeconds"]); got != scheduleMaxEventAge.Seconds() {
				t.Errorf("async MaximumEventAgeInSeconds = %v, want %v", got, scheduleMaxEventAge.Seconds())
			}
			dest := asMap(asMap(asMap(cfg["DestinationConfig"])["OnFailure"])["Destination"])
			if !sameJSON(dest, getAtt(queueID, "Arn")) {
				t.Errorf("async on-failure destination = %s, want queue %s", show(dest), queueID)
			}
		})
	}

	noPanic(t, "schedule properties", func() {
		for _, def := range s.service.Schedules {
			var tz any = def.Timezone
			if def.Timezone == "" { // a rate(...) needs none
				tz = assertions.Match_Absent()
			}
			s.template.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), assertions.Match_ObjectLike(&map[string]any{
				"ScheduleExpression":         def.Expression,
				"ScheduleExpressionTimezone": tz,
				"FlexibleTimeWindow":         map[string]any{"Mode": "OFF"},
				"Target": assertions.Match_ObjectLike(&map[string]any{
					"RetryPolicy":      map[string]any{"MaximumRetryAttempts": scheduleRetries, "MaximumEventAgeInSeconds": scheduleMaxEventAge.Seconds()},
					"DeadLetterConfig": map[string]any{"Arn": assertions.Match_AnyValue()},
				}),
			}))
		}
	})
}

// TestWatchRunsEveryMorning pins the watch's schedule: 07:00 Pacific time,
// every day.
func TestWatchRunsEveryMorning(t *testing.T) {
	var found []topology.Schedule
	for _, sc := range topology.ClariTru.Schedules {
		if sc.Function == "watch" && sc.Job == "" {
			found = append(found, sc)
		}
	}
	if len(found) != 1 {
		t.Fatalf("watch schedules = %+v, want one", found)
	}
	if sc := found[0]; sc.Expression != "cron(0 7 * * ? *)" || sc.Timezone != "America/Los_Angeles" || sc.Every <= 0 {
		t.Errorf("watch schedule = %+v, want cron(0 7 * * ? *) in America/Los_Angeles with a local interval", sc)
	}
	if err := checkSchedule(found[0]); err != nil {
		t.Error(err)
	}
}

// checkDeadLetterQueue: encrypted at rest, TLS only.
func checkDeadLetterQueue(t *testing.T, s *synthesized, queueID string) {
	t.Helper()
	q := s.resource(t, queueID, "AWS::SQS::Queue").Properties
	if q["KmsMasterKeyId"] == nil {
		if on, _ := asBool(q["SqsManagedSseEnabled"]); !on {
			t.Errorf("dead-letter queue is not encrypted: %s", show(q))
		}
	}
	tls := false
	for _, id := range s.doc.ofType("AWS::SQS::QueuePolicy") {
		qp := s.doc.Resources[id].Properties
		if !mentions(qp["Queues"], queueID) {
			continue
		}
		for _, st := range asList(asMap(qp["PolicyDocument"])["Statement"]) {
			st := asMap(st)
			cond := asMap(asMap(st["Condition"])["Bool"])
			if asString(st["Effect"]) == "Deny" && asString(cond["aws:SecureTransport"]) == "false" {
				tls = true
			}
		}
	}
	if !tls {
		t.Error("dead-letter queue accepts requests without TLS")
	}
}

// checkScheduleRole: assumable only by EventBridge Scheduler for this
// account; allowed to invoke the one function (no versions or aliases, no
// other function) and to send to its dead-letter queue, nothing else.
func checkScheduleRole(t *testing.T, s *synthesized, roleID, fnID, queueID string) {
	t.Helper()
	role := s.resource(t, roleID, "AWS::IAM::Role").Properties
	if arns := asList(role["ManagedPolicyArns"]); len(arns) > 0 {
		t.Errorf("schedule role has managed policies %s", show(arns))
	}
	trust := asList(asMap(role["AssumeRolePolicyDocument"])["Statement"])
	if len(trust) != 1 {
		t.Fatalf("trust policy = %s, want one statement", show(trust))
	}
	st := asMap(trust[0])
	if !sameJSON(asMap(st["Principal"])["Service"], "scheduler.amazonaws.com") {
		t.Errorf("role is assumable by %s, want scheduler.amazonaws.com only", show(st["Principal"]))
	}
	if !sameJSON(asMap(asMap(st["Condition"])["StringEquals"])["aws:SourceAccount"], map[string]any{"Ref": "AWS::AccountId"}) {
		t.Errorf("trust condition = %s, want aws:SourceAccount of this account", show(st["Condition"]))
	}

	var granted []string
	for _, id := range s.doc.ofType("AWS::IAM::Policy") {
		p := s.doc.Resources[id].Properties
		if !mentions(p["Roles"], roleID) {
			continue
		}
		for _, st := range asList(asMap(p["PolicyDocument"])["Statement"]) {
			st := asMap(st)
			for _, a := range actionsOf(st) {
				for _, r := range asList(st["Resource"]) {
					granted = append(granted, a+" on "+show(r))
				}
			}
		}
	}
	want := []string{
		"lambda:InvokeFunction on " + show(getAtt(fnID, "Arn")),
		"sqs:SendMessage on " + show(getAtt(queueID, "Arn")),
	}
	if strings.Join(granted, "\n") != strings.Join(want, "\n") {
		t.Errorf("schedule role grants\n  %s\nwant exactly\n  %s", strings.Join(granted, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestMailRedriveEveryFewMinutes pins the re-drive of unsent mail: its own
// schedule of the watch, every five minutes, and locally more often than
// that.
func TestMailRedriveEveryFewMinutes(t *testing.T) {
	var found []topology.Schedule
	for _, sc := range topology.ClariTru.Schedules {
		if sc.Job == topology.JobRedrive {
			found = append(found, sc)
		}
	}
	if len(found) != 1 {
		t.Fatalf("re-drive schedules = %+v, want one", found)
	}
	sc := found[0]
	if sc.Function != "watch" || sc.Expression != "rate(5 minutes)" || sc.Every <= 0 || sc.Every > 5*time.Minute {
		t.Errorf("re-drive schedule = %+v, want the watch at rate(5 minutes), locally at most as far apart", sc)
	}
	if err := checkSchedule(sc); err != nil {
		t.Error(err)
	}
}

// TestSchedulesOfOneFunctionShareTheirQueue: the watch's two schedules
// invoke it through one role and report to one queue, the function's
// asynchronous failures go there too (TestSchedulesFollowTopology checks
// that for each).
func TestSchedulesOfOneFunctionShareTheirQueue(t *testing.T) {
	s := mainStack(t)
	daily, ok1 := s.stack.Schedules.ByName["watch"]
	redrive, ok2 := s.stack.Schedules.ByName["watch-"+topology.JobRedrive]
	if !ok1 || !ok2 {
		t.Fatalf("schedules %v, want watch and watch-redrive", sortedKeys(s.stack.Schedules.ByName))
	}
	if s.logicalID(daily.DeadLetters) != s.logicalID(redrive.DeadLetters) || s.logicalID(daily.Role) != s.logicalID(redrive.Role) {
		t.Error("the watch's schedules have different queues or roles")
	}
	if s.logicalID(daily.Schedule) == s.logicalID(redrive.Schedule) {
		t.Error("one schedule for both")
	}
}
