package main

import (
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/claritru/privacy/shared/topology"
)

// The retention sweep: a scheduled function that reads the
// sparse expiry index and removes what has outlived its retention rule.

// retentionDefs are the topology's retention function and its schedule.
func retentionDefs(t *testing.T, svc topology.Service) (topology.Function, topology.Schedule) {
	t.Helper()
	fn, ok := svc.Function(retentionFunction)
	if !ok {
		t.Fatalf("topology has no %s function", retentionFunction)
	}
	var found []topology.Schedule
	for _, sc := range svc.Schedules {
		if sc.Function == retentionFunction {
			found = append(found, sc)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s schedules = %+v, want one", retentionFunction, found)
	}
	return fn, found[0]
}

// TestRetentionRunsNightly pins the sweep's topology schedule: 02:30
// Pacific time, every day, and a local interval.
func TestRetentionRunsNightly(t *testing.T) {
	_, sc := retentionDefs(t, topology.ClariTru)
	if sc.Expression != "cron(30 2 * * ? *)" || sc.Timezone != "America/Los_Angeles" || sc.Every <= 0 {
		t.Errorf("retention schedule = %+v, want cron(30 2 * * ? *) in America/Los_Angeles with a local interval", sc)
	}
	if err := checkSchedule(sc); err != nil {
		t.Error(err)
	}
}

// TestRetentionFunction: an arm64 provided.al2023 function with the
// topology's memory, timeout and purpose, reading the table's name only,
// and reached by its schedule alone: no route, no stream, no resource
// policy letting anything else invoke it.
func TestRetentionFunction(t *testing.T) {
	s := mainStack(t)
	def, _ := retentionDefs(t, s.service)
	if def.Memory != 512 || def.Timeout.Minutes() != 5 {
		t.Errorf("retention function = %+v, want 512 MiB and 5 minutes", def)
	}
	checkFunction(t, s, def)

	fnID := s.logicalID(s.stack.Functions.ByName[def.Name].Lambda)
	noPanic(t, "retention function", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), assertions.Match_ObjectLike(&map[string]any{
			"Description":   def.Purpose,
			"Runtime":       "provided.al2023",
			"Architectures": []string{"arm64"},
			"Handler":       "bootstrap",
			"MemorySize":    def.Memory,
			"Timeout":       def.Timeout.Seconds(),
			"Environment": map[string]any{"Variables": assertions.Match_Exact(&map[string]any{
				topology.EnvTableName: ref(s.logicalID(s.stack.Data.Table)),
			})},
		}))
	})

	if routes := s.service.RoutesOf(def.Name); len(routes) != 0 {
		t.Errorf("the sweep is reachable over HTTP: %+v", routes)
	}
	for _, typ := range []string{"AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping", "AWS::ApiGatewayV2::Integration"} {
		for _, id := range s.doc.ofType(typ) {
			p := s.doc.Resources[id].Properties
			if mentions(p["FunctionName"], fnID) || mentions(p["IntegrationUri"], fnID) {
				t.Errorf("%s %s reaches the sweep: %s", typ, id, show(p))
			}
		}
	}
}

// TestRetentionSchedule: an EventBridge Scheduler schedule at the
// topology's expression and time zone, with the retry policy and a
// dead-letter queue, which also takes the runs that fail inside the
// function.
func TestRetentionSchedule(t *testing.T) {
	s := mainStack(t)
	_, def := retentionDefs(t, s.service)
	checkRetentionSchedule(t, s, def.Expression, def.Timezone)
}

func checkRetentionSchedule(t *testing.T, s *synthesized, expression, timezone string) {
	t.Helper()
	sched, ok := s.stack.Schedules.ByName[retentionFunction]
	if !ok {
		t.Fatal("no retention schedule in the stack")
	}
	fnID := s.logicalID(s.stack.Functions.ByName[retentionFunction].Lambda)
	queueID := s.logicalID(sched.DeadLetters)
	roleID := s.logicalID(sched.Role)
	schedID := s.logicalID(sched.Schedule)

	p := s.resource(t, schedID, "AWS::Scheduler::Schedule").Properties
	if got := asString(p["ScheduleExpression"]); got != expression {
		t.Errorf("ScheduleExpression = %q, want %q", got, expression)
	}
	if got := asString(p["ScheduleExpressionTimezone"]); got != timezone {
		t.Errorf("ScheduleExpressionTimezone = %q, want %q", got, timezone)
	}
	noPanic(t, "retention schedule", func() {
		s.template.ResourcePropertiesCountIs(jsii.String("AWS::Scheduler::Schedule"), assertions.Match_ObjectLike(&map[string]any{
			"ScheduleExpression":         expression,
			"ScheduleExpressionTimezone": timezone,
			"FlexibleTimeWindow":         map[string]any{"Mode": "OFF"},
			"State":                      "ENABLED",
			"Target": assertions.Match_ObjectLike(&map[string]any{
				"Arn":     getAtt(fnID, "Arn"),
				"RoleArn": getAtt(roleID, "Arn"),
				"RetryPolicy": assertions.Match_Exact(&map[string]any{
					"MaximumRetryAttempts":     scheduleRetries,
					"MaximumEventAgeInSeconds": scheduleMaxEventAge.Seconds(),
				}),
				"DeadLetterConfig": assertions.Match_Exact(&map[string]any{"Arn": getAtt(queueID, "Arn")}),
			}),
		}), jsii.Number(1))
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), assertions.Match_ObjectLike(&map[string]any{
			"FunctionName":             ref(fnID),
			"MaximumRetryAttempts":     asyncRetries,
			"MaximumEventAgeInSeconds": scheduleMaxEventAge.Seconds(),
			"DestinationConfig": map[string]any{
				"OnFailure": map[string]any{"Destination": getAtt(queueID, "Arn")},
			},
		}))
	})
	checkDeadLetterQueue(t, s, queueID)
	checkScheduleRole(t, s, roleID, fnID, queueID)
}

// TestRetentionScheduleFromContext: context retentionSchedule moves the
// sweep, in the topology's time zone, and nothing else; the stack still
// passes the AWS Solutions checks.
func TestRetentionScheduleFromContext(t *testing.T) {
	_, topo := retentionDefs(t, topology.ClariTru)
	for _, expr := range []string{"rate(12 hours)", "cron(0 4 ? * SUN *)"} {
		t.Run(expr, func(t *testing.T) {
			app := testApp(t, topology.ClariTru.Functions, map[string]any{ctxRetention: expr})
			stack, err := build(app)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := ConfigFromContext(app)
			if err != nil {
				t.Fatal(err)
			}
			svc := topology.ClariTru
			if svc.Schedules, err = configuredSchedules(svc.Schedules, cfg); err != nil {
				t.Fatal(err)
			}
			s, err := synth(stack, cfg, svc)
			if err != nil {
				t.Fatal(err)
			}
			checkRetentionSchedule(t, s, expr, topo.Timezone)

			// Every other schedule is the topology's.
			for _, def := range topology.ClariTru.Schedules {
				if def.Function == retentionFunction {
					continue
				}
				p := s.resource(t, s.logicalID(s.stack.Schedules.ByName[def.Name()].Schedule), "AWS::Scheduler::Schedule").Properties
				if got := asString(p["ScheduleExpression"]); got != def.Expression {
					t.Errorf("%s: ScheduleExpression = %q, want topology's %q", def.Function, got, def.Expression)
				}
				if got := asString(p["ScheduleExpressionTimezone"]); got != def.Timezone {
					t.Errorf("%s: ScheduleExpressionTimezone = %q, want topology's %q", def.Function, got, def.Timezone)
				}
			}
			if _, after := retentionDefs(t, topology.ClariTru); after != topo {
				t.Errorf("the topology itself changed: %+v, was %+v", after, topo)
			}
			checkNoNagErrors(t, stack)
		})
	}
}

// TestRetentionScheduleFromContextRefused: an expression Scheduler would
// reject, or one that would sweep only once, fails synthesis with an error
// naming the context key and the expression.
func TestRetentionScheduleFromContextRefused(t *testing.T) {
	for _, expr := range []string{
		"cron(30 2 * * *)",
		"30 2 * * ? *",
		"cron(30 2 1 * MON *)",
		"rate(1 days)",
		"rate(0 hours)",
		"at(2030-01-01T02:30:00)",
		"nightly",
	} {
		t.Run(expr, func(t *testing.T) {
			stack, err := build(testApp(t, topology.ClariTru.Functions, map[string]any{ctxRetention: expr}))
			if err == nil || stack != nil {
				t.Fatalf("built a stack with retentionSchedule %q", expr)
			}
			if !strings.Contains(err.Error(), ctxRetention) || !strings.Contains(err.Error(), expr) {
				t.Errorf("err = %v, want one naming %q and %q", err, ctxRetention, expr)
			}
		})
	}

	t.Run("no retention schedule to move", func(t *testing.T) {
		svc := topology.ClariTru
		svc.Schedules = nil
		for _, sc := range topology.ClariTru.Schedules {
			if sc.Function != retentionFunction {
				svc.Schedules = append(svc.Schedules, sc)
			}
		}
		if err := fakeAssets(svc.Functions); err != nil {
			t.Fatal(err)
		}
		cfg := validConfig()
		cfg.RetentionSchedule = "rate(12 hours)"
		_, err := NewPrivacyStack(awscdk.NewApp(nil), "Unscheduled", PrivacyStackProps{Config: cfg, AssetRoot: assetRoot, Service: &svc})
		if err == nil || !strings.Contains(err.Error(), ctxRetention) {
			t.Errorf("err = %v, want one naming %q", err, ctxRetention)
		}
	})
}

// TestExpiryIndex: the retention sweep's sparse index, keyed by
// expiry day and time, carrying exactly topology.ExpiryAttributes besides
// the keys.
func TestExpiryIndex(t *testing.T) {
	s := mainStack(t)
	var def topology.Index
	for _, ix := range topology.PrivacyTable.Indexes {
		if ix.Name == topology.IndexExpiry {
			def = ix
		}
	}
	if def.Name == "" {
		t.Fatalf("topology has no %s index", topology.IndexExpiry)
	}

	var g map[string]any
	p := s.resource(t, s.logicalID(s.stack.Data.Table), "AWS::DynamoDB::Table").Properties
	for _, ix := range asList(p["GlobalSecondaryIndexes"]) {
		if asString(asMap(ix)["IndexName"]) == topology.IndexExpiry {
			g = asMap(ix)
		}
	}
	if g == nil {
		t.Fatalf("no %s index on the table", topology.IndexExpiry)
	}
	projection := asMap(g["Projection"])
	if got := asString(projection["ProjectionType"]); got != "INCLUDE" {
		t.Errorf("projection = %q, want INCLUDE", got)
	}
	var got []string
	for _, a := range asList(projection["NonKeyAttributes"]) {
		got = append(got, asString(a))
	}
	want := append([]string{}, topology.ExpiryAttributes...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("NonKeyAttributes = %v, want exactly %v", got, want)
	}

	noPanic(t, "expiry index", func() {
		s.template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), assertions.Match_ObjectLike(&map[string]any{
			"GlobalSecondaryIndexes": assertions.Match_ArrayWith(&[]any{assertions.Match_Exact(&map[string]any{
				"IndexName": topology.IndexExpiry,
				"KeySchema": []any{
					map[string]any{"AttributeName": def.PartitionKey, "KeyType": "HASH"},
					map[string]any{"AttributeName": def.SortKey, "KeyType": "RANGE"},
				},
				"Projection": map[string]any{
					"ProjectionType":   "INCLUDE",
					"NonKeyAttributes": topology.ExpiryAttributes,
				},
			})}),
		}))
	})
}

// TestRetentionGrants: the sweep may read and write the table's items and
// query the expiry index, use the table's key for
// that, write its own logs and report a failed run to its schedule's
// dead-letter queue; nothing else, no mail, no pepper.
func TestRetentionGrants(t *testing.T) {
	s := mainStack(t)
	fn := s.stack.Functions.ByName[retentionFunction]
	roleID := s.logicalID(fn.Role)
	tableID := s.logicalID(s.stack.Data.Table)
	table := show(getAtt(tableID, "Arn"))
	indexes := show(map[string]any{"Fn::Join": []any{"", []any{getAtt(tableID, "Arn"), "/index/" + topology.IndexExpiry}}})
	key := show(getAtt(s.logicalID(s.stack.Data.Key), "Arn"))
	logs := show(getAtt(s.logicalID(fn.Logs), "Arn"))
	dlq := show(getAtt(s.logicalID(s.stack.Schedules.ByName[retentionFunction].DeadLetters), "Arn"))

	granted := map[string]bool{}
	for _, id := range s.doc.ofType("AWS::IAM::Policy") {
		p := s.doc.Resources[id].Properties
		if !mentions(p["Roles"], roleID) {
			continue
		}
		for _, st := range asList(asMap(p["PolicyDocument"])["Statement"]) {
			st := asMap(st)
			if asString(st["Effect"]) != "Allow" || st["Condition"] != nil {
				t.Errorf("%s: statement %s, want plain Allow statements", id, show(st))
			}
			for _, a := range actionsOf(st) {
				for _, r := range asList(st["Resource"]) {
					granted[a+" on "+show(r)] = true
				}
			}
		}
	}

	// What the sweep calls: Query on the expiry index and on the table,
	// BatchGetItem, and the writes that remove records, leave chain stubs
	// and write the report.
	for _, need := range []string{
		"dynamodb:Query on " + indexes,
		"dynamodb:Query on " + table,
		"dynamodb:BatchGetItem on " + table,
		"dynamodb:BatchWriteItem on " + table,
		"dynamodb:DeleteItem on " + table,
		"dynamodb:PutItem on " + table,
		"dynamodb:UpdateItem on " + table,
		"kms:Decrypt on " + key,
		"kms:GenerateDataKey* on " + key,
	} {
		if !granted[need] {
			t.Errorf("missing %s", need)
		}
	}

	// Everything granted is its declared table access (the expiry index
	// only; no Scan) on this table and key, the log group's write grant,
	// and the async failure destination's send grant.
	want := map[string]bool{"dynamodb:Query on " + indexes: true}
	for _, a := range []string{
		"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
		"dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
	} {
		want[a+" on "+table] = true
	}
	for _, a := range []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"} {
		want[a+" on "+key] = true
	}
	for _, a := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
		want[a+" on "+logs] = true
	}
	for _, a := range []string{"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"} {
		want[a+" on "+dlq] = true
	}
	for g := range granted {
		if !want[g] {
			t.Errorf("grants %s", g)
		}
		for _, service := range []string{"ses:", "secretsmanager:", "iam:", "lambda:"} {
			if strings.HasPrefix(g, service) {
				t.Errorf("the sweep may use %s: %s", strings.TrimSuffix(service, ":"), g)
			}
		}
	}
	for w := range want {
		if !granted[w] {
			t.Errorf("missing %s", w)
		}
	}
}

// TestRetentionAlarms: a failed or undelivered sweep waiting in the
// schedule's dead-letter queue, and errors of the function, each reach the
// privacy team.
func TestRetentionAlarms(t *testing.T) {
	s := mainStack(t)
	fnID := s.logicalID(s.stack.Functions.ByName[retentionFunction].Lambda)
	queueID := s.logicalID(s.stack.Schedules.ByName[retentionFunction].DeadLetters)
	topicID := s.logicalID(s.stack.Monitoring.Topic)

	checkAlarm(t, "dead letters of the retention schedule",
		alarmsOn(s, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", getAtt(queueID, "QueueName")), "Maximum", 0)
	checkAlarm(t, "errors of the retention function",
		alarmsOn(s, "AWS/Lambda", "Errors", "FunctionName", ref(fnID)), "Sum", 0)

	noPanic(t, "retention alarms", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), assertions.Match_ObjectLike(&map[string]any{
			"Namespace":    "AWS/SQS",
			"MetricName":   "ApproximateNumberOfMessagesVisible",
			"Dimensions":   []any{map[string]any{"Name": "QueueName", "Value": getAtt(queueID, "QueueName")}},
			"AlarmActions": []any{ref(topicID)},
		}))
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), assertions.Match_ObjectLike(&map[string]any{
			"Namespace":    "AWS/Lambda",
			"MetricName":   "Errors",
			"Dimensions":   []any{map[string]any{"Name": "FunctionName", "Value": ref(fnID)}},
			"AlarmActions": []any{ref(topicID)},
		}))
	})
}
