package main

import (
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/topology"
)

// alarmsOn are the alarms on one metric of one resource: namespace, metric
// name and the single dimension that names the resource.
func alarmsOn(s *synthesized, namespace, metric, dimension string, value any) []map[string]any {
	var out []map[string]any
	for _, id := range s.doc.ofType("AWS::CloudWatch::Alarm") {
		p := s.doc.Resources[id].Properties
		want := []any{map[string]any{"Name": dimension, "Value": value}}
		if asString(p["Namespace"]) == namespace && asString(p["MetricName"]) == metric && sameJSON(p["Dimensions"], want) {
			out = append(out, p)
		}
	}
	return out
}

// checkAlarm: the one alarm found goes off when the statistic over one
// five-minute period is above the threshold.
func checkAlarm(t *testing.T, what string, found []map[string]any, statistic string, threshold float64) {
	t.Helper()
	if len(found) != 1 {
		t.Errorf("%s: %d alarms, want exactly one", what, len(found))
		return
	}
	p := found[0]
	if got := asString(p["Statistic"]); got != statistic {
		t.Errorf("%s: statistic %q, want %q", what, got, statistic)
	}
	if got := asNumber(p["Threshold"]); got != threshold {
		t.Errorf("%s: threshold %v, want %v", what, got, threshold)
	}
	if got := asString(p["ComparisonOperator"]); got != "GreaterThanThreshold" {
		t.Errorf("%s: comparison %q, want GreaterThanThreshold", what, got)
	}
}

// queues are the dead-letter queues of the stack, by what they serve.
func deadLetterQueues(s *synthesized) map[string]string {
	out := map[string]string{}
	for name, c := range s.stack.Streams.ByFunction {
		out["stream of "+name] = s.logicalID(c.DeadLetters)
	}
	for name, q := range s.stack.Topics.DeadLetters {
		out["topics of "+name] = s.logicalID(q)
	}
	// The schedules of one function share its queue.
	for _, sc := range s.stack.Schedules.ByName {
		out["schedules of "+sc.Def.Function] = s.logicalID(sc.DeadLetters)
	}
	return out
}

func checkMonitoring(t *testing.T, s *synthesized) {
	t.Helper()
	if len(s.service.Streams) == 0 || len(s.service.Schedules) == 0 {
		t.Fatal("the topology has no stream consumer or no schedule: the checks below would pass vacuously")
	}

	t.Run("a dead-letter alarm per queue", func(t *testing.T) {
		dlqs := deadLetterQueues(s)
		// Every queue in the stack is a dead-letter queue, so every queue
		// is watched.
		if got := len(s.doc.ofType("AWS::SQS::Queue")); got != len(dlqs) {
			t.Errorf("%d queues in the template, %d known dead-letter queues", got, len(dlqs))
		}
		for what, queueID := range dlqs {
			found := alarmsOn(s, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", getAtt(queueID, "QueueName"))
			checkAlarm(t, "dead letters of the "+what, found, "Maximum", 0)
		}
	})

	t.Run("an error alarm per function", func(t *testing.T) {
		if got := len(alarmsByMetric(s, "AWS/Lambda", "Errors")); got != len(s.service.Functions) {
			t.Errorf("%d Lambda error alarms, want one per topology function (%d)", got, len(s.service.Functions))
		}
		for _, def := range s.service.Functions {
			fnID := s.logicalID(s.stack.Functions.ByName[def.Name].Lambda)
			found := alarmsOn(s, "AWS/Lambda", "Errors", "FunctionName", ref(fnID))
			checkAlarm(t, "errors of "+def.Name, found, "Sum", 0)
		}
	})

	t.Run("an iterator age alarm per stream consumer", func(t *testing.T) {
		if got := len(alarmsByMetric(s, "AWS/Lambda", "IteratorAge")); got != len(s.service.Streams) {
			t.Errorf("%d iterator age alarms, want one per stream consumer (%d)", got, len(s.service.Streams))
		}
		for _, def := range s.service.Streams {
			fnID := s.logicalID(s.stack.Functions.ByName[def.Function].Lambda)
			found := alarmsOn(s, "AWS/Lambda", "IteratorAge", "FunctionName", ref(fnID))
			checkAlarm(t, "iterator age of "+def.Function, found, "Maximum", float64((15 * time.Minute).Milliseconds()))
		}
	})

	t.Run("an API 5xx alarm", func(t *testing.T) {
		found := alarmsOn(s, "AWS/ApiGateway", "5xx", "ApiId", ref(s.logicalID(s.stack.API.HTTP)))
		checkAlarm(t, "API server errors", found, "Sum", 5)
	})

	topicID := s.logicalID(s.stack.Monitoring.Topic)
	stackName := *s.stack.Stack.StackName()

	t.Run("every alarm notifies the topic", func(t *testing.T) {
		ids := s.doc.ofType("AWS::CloudWatch::Alarm")
		// Besides: the API's 5xx, and SES's bounce and complaint rates.
		want := len(deadLetterQueues(s)) + len(s.service.Functions) + len(s.service.Streams) + 3
		if len(ids) != want || len(s.stack.Monitoring.Alarms) != want {
			t.Errorf("%d alarms in the template, %d in Monitoring.Alarms, want %d", len(ids), len(s.stack.Monitoring.Alarms), want)
		}
		names := map[string]bool{}
		for _, id := range ids {
			p := s.doc.Resources[id].Properties
			if !sameJSON(p["AlarmActions"], []any{ref(topicID)}) {
				t.Errorf("%s: AlarmActions = %s, want the alarm topic %s", id, show(p["AlarmActions"]), topicID)
			}
			if asNumber(p["EvaluationPeriods"]) != 1 || asNumber(p["DatapointsToAlarm"]) != 1 || asNumber(p["Period"]) != 300 {
				t.Errorf("%s: %v of %v datapoints of %vs, want 1 of 1 of 300s",
					id, p["DatapointsToAlarm"], p["EvaluationPeriods"], p["Period"])
			}
			if got := asString(p["TreatMissingData"]); got != "notBreaching" {
				t.Errorf("%s: TreatMissingData = %q, want notBreaching", id, got)
			}
			// Derived from the stack's name (the CloudWatch grants below
			// are scoped to it), and distinct.
			name := asString(p["AlarmName"])
			if !strings.HasPrefix(name, stackName+"-") || names[name] {
				t.Errorf("%s: AlarmName %q is not a distinct name under %q", id, name, stackName+"-")
			}
			names[name] = true
			if asString(p["AlarmDescription"]) == "" {
				t.Errorf("%s: no description to tell the reader what to do", id)
			}
		}
	})

	t.Run("the topic", func(t *testing.T) {
		topic := s.resource(t, topicID, "AWS::SNS::Topic").Properties
		if _, named := topic["TopicName"]; named {
			t.Errorf("the topic has a fixed name %s", show(topic["TopicName"]))
		}

		// Mail to the privacy team.
		subscribed := false
		for _, id := range s.doc.ofType("AWS::SNS::Subscription") {
			p := s.doc.Resources[id].Properties
			if sameJSON(p["TopicArn"], ref(topicID)) && asString(p["Protocol"]) == "email" && asString(p["Endpoint"]) == s.cfg.PrivacyTeamEmail {
				subscribed = true
			}
		}
		if !subscribed {
			t.Errorf("no email subscription of %s to the topic", s.cfg.PrivacyTeamEmail)
		}

		// Encrypted with a rotating key of its own that CloudWatch may use
		// for this stack's alarms only.
		keyID := ""
		if m := asMap(topic["KmsMasterKeyId"]); m != nil {
			keyID = asString(asList(m["Fn::GetAtt"])[0])
		}
		if keyID == "" || keyID == s.logicalID(s.stack.Data.Key) {
			t.Fatalf("KmsMasterKeyId = %s, want a key of the topic's own", show(topic["KmsMasterKeyId"]))
		}
		key := s.resource(t, keyID, "AWS::KMS::Key").Properties
		if on, _ := asBool(key["EnableKeyRotation"]); !on {
			t.Error("the topic's key does not rotate")
		}
		checkCloudWatchGrant(t, "key policy", asMap(key["KeyPolicy"]), stackName, "kms:Decrypt", "kms:GenerateDataKey*")

		// TLS only, and CloudWatch may publish for this stack's alarms.
		var policy map[string]any
		for _, id := range s.doc.ofType("AWS::SNS::TopicPolicy") {
			p := s.doc.Resources[id].Properties
			if mentions(p["Topics"], topicID) {
				policy = asMap(p["PolicyDocument"])
			}
		}
		if policy == nil {
			t.Fatal("no topic policy")
		}
		tls := false
		for _, st := range asList(policy["Statement"]) {
			st := asMap(st)
			cond := asMap(asMap(st["Condition"])["Bool"])
			if asString(st["Effect"]) == "Deny" && asString(cond["aws:SecureTransport"]) == "false" &&
				sameJSON(st["Principal"], "*") && sameJSON(st["Action"], "sns:Publish") {
				tls = true
			}
		}
		if !tls {
			t.Errorf("the topic accepts requests without TLS: %s", show(policy))
		}
		checkCloudWatchGrant(t, "topic policy", policy, stackName, "sns:Publish")
	})
}

// checkCloudWatchGrant: the policy lets CloudWatch do exactly actions, for
// alarms of this account named after the stack.
func checkCloudWatchGrant(t *testing.T, where string, policy map[string]any, stackName string, actions ...string) {
	t.Helper()
	found := false
	for _, st := range asList(policy["Statement"]) {
		st := asMap(st)
		if !sameJSON(asMap(st["Principal"])["Service"], "cloudwatch.amazonaws.com") {
			continue
		}
		found = true
		if asString(st["Effect"]) != "Allow" || strings.Join(actionsOf(st), ",") != strings.Join(actions, ",") {
			t.Errorf("%s: CloudWatch statement %s, want Allow %v", where, show(st), actions)
		}
		cond := asMap(st["Condition"])
		if !sameJSON(asMap(cond["StringEquals"])["aws:SourceAccount"], ref("AWS::AccountId")) {
			t.Errorf("%s: CloudWatch is not limited to this account: %s", where, show(cond))
		}
		if arn := show(asMap(cond["ArnLike"])["aws:SourceArn"]); !contains(arn, ":alarm:"+stackName+"-*") {
			t.Errorf("%s: CloudWatch is not limited to this stack's alarms: %s", where, arn)
		}
	}
	if !found {
		t.Errorf("%s: CloudWatch may not use it, so no alarm would reach the topic: %s", where, show(policy))
	}
}

func alarmsByMetric(s *synthesized, namespace, metric string) []string {
	var out []string
	for _, id := range s.doc.ofType("AWS::CloudWatch::Alarm") {
		p := s.doc.Resources[id].Properties
		if asString(p["Namespace"]) == namespace && asString(p["MetricName"]) == metric {
			out = append(out, id)
		}
	}
	return out
}

func TestMonitoring(t *testing.T) {
	checkMonitoring(t, mainStack(t))
}

// TestMonitoringFollowsTopology: alarms are derived from the topology. One
// more function, scheduled, brings its own error alarm and a dead-letter
// alarm for its schedule's queue, and cdk-nag still has nothing to report.
func TestMonitoringFollowsTopology(t *testing.T) {
	svc := topology.ClariTru
	watch, ok := svc.Function("watch")
	if !ok {
		t.Fatal("topology has no watch function")
	}
	extra := watch
	extra.Name = "extra"
	svc.Functions = append(append([]topology.Function{}, topology.ClariTru.Functions...), extra)
	svc.Schedules = append(append([]topology.Schedule{}, topology.ClariTru.Schedules...),
		topology.Schedule{Function: "extra", Every: time.Hour, Expression: "rate(1 hour)"})

	app := testApp(t, svc.Functions, nil)
	cfg, err := ConfigFromContext(app)
	if err != nil {
		t.Fatal(err)
	}
	stack, err := NewPrivacyStack(app, "Monitored", PrivacyStackProps{Config: cfg, AssetRoot: assetRoot, ConsoleDir: consoleDir, Service: &svc})
	if err != nil {
		t.Fatal(err)
	}
	applyNag(app)
	s, err := synth(stack, cfg, svc)
	if err != nil {
		t.Fatal(err)
	}
	checkMonitoring(t, s)
	checkNoNagErrors(t, stack)
}
