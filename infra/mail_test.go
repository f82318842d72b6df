package main

import (
	"sort"
	"testing"

	"github.com/claritru/privacy/shared/topology"
)

// TestMailConfigurationSet: the notifier sends with a configuration set
// that requires TLS and publishes bounces, complaints, rejects and
// deliveries to an encrypted, TLS-only topic only SES of this account may
// publish to, for this set only; the inbound function consumes it; the
// notifier may send with the set and as the identity, and no other
// function may send.
func TestMailConfigurationSet(t *testing.T) {
	s := mainStack(t)
	setID := s.logicalID(s.stack.Mail.ConfigSet)
	set := s.resource(t, setID, "AWS::SES::ConfigurationSet")
	if got := asString(asMap(set.Properties["DeliveryOptions"])["TlsPolicy"]); got != "REQUIRE" {
		t.Errorf("TlsPolicy = %q, want REQUIRE", got)
	}
	events := s.stack.Topics.ByName[topology.TopicMailEvents]
	topicID, keyID := s.logicalID(events.Topic), s.logicalID(events.Key)

	dest := s.resource(t, s.logicalID(s.stack.Mail.Events), "AWS::SES::ConfigurationSetEventDestination").Properties
	if !sameJSON(dest["ConfigurationSetName"], ref(setID)) {
		t.Errorf("event destination of %s, want the set", show(dest["ConfigurationSetName"]))
	}
	ed := asMap(dest["EventDestination"])
	var types []string
	for _, e := range asList(ed["MatchingEventTypes"]) {
		types = append(types, asString(e))
	}
	sort.Strings(types)
	if !sameJSON(types, []string{"bounce", "complaint", "delivery", "reject"}) || !sameJSON(asMap(ed["SnsDestination"])["TopicARN"], ref(topicID)) {
		t.Errorf("event destination = %s, want bounce, complaint, delivery and reject to the mail events topic", show(ed))
	}

	topic := s.resource(t, topicID, "AWS::SNS::Topic")
	if !sameJSON(topic.Properties["KmsMasterKeyId"], getAtt(keyID, "Arn")) {
		t.Errorf("topic key = %s, want its own key", show(topic.Properties["KmsMasterKeyId"]))
	}
	// SES of this account, for this configuration set: in the topic's
	// policy and in the key's.
	fromOurSet := func(st map[string]any) bool {
		body := show(st)
		return asString(st["Effect"]) == "Allow" && contains(body, `"ses.amazonaws.com"`) &&
			contains(body, "SourceAccount") && contains(body, "SourceArn") &&
			contains(body, ":configuration-set/") && mentions(st["Condition"], setID)
	}
	published := false
	for _, id := range s.doc.ofType("AWS::SNS::TopicPolicy") {
		p := s.doc.Resources[id].Properties
		if !mentions(p["Topics"], topicID) {
			continue
		}
		for _, st := range asList(asMap(p["PolicyDocument"])["Statement"]) {
			published = published || (fromOurSet(asMap(st)) && contains(show(st), "sns:Publish"))
		}
	}
	if !published {
		t.Error("the topic's policy does not admit SES for this configuration set")
	}
	keyAdmits := false
	for _, st := range asList(asMap(s.resource(t, keyID, "AWS::KMS::Key").Properties["KeyPolicy"])["Statement"]) {
		keyAdmits = keyAdmits || (fromOurSet(asMap(st)) && contains(show(st), "kms:GenerateDataKey*"))
	}
	if !keyAdmits {
		t.Error("the topic's key does not admit SES for this configuration set")
	}

	inbound := s.logicalID(s.stack.Functions.ByName["inbound"].Lambda)
	subscribed := false
	for _, id := range s.doc.ofType("AWS::SNS::Subscription") {
		p := s.doc.Resources[id].Properties
		subscribed = subscribed || (sameJSON(p["TopicArn"], ref(topicID)) && sameJSON(p["Endpoint"], getAtt(inbound, "Arn")))
	}
	if !subscribed {
		t.Error("the inbound function is not subscribed to the mail events topic")
	}

	checkSendGrants(t, s, setID)
	if out := s.doc.Outputs["MailConfigurationSet"]; !sameJSON(out["Value"], ref(setID)) {
		t.Errorf("MailConfigurationSet output = %s", show(out))
	}
}

// checkSendGrants: ses:SendEmail on the configuration set and on the
// identity, for exactly the roles of functions that read the set's name.
func checkSendGrants(t *testing.T, s *synthesized, setID string) {
	t.Helper()
	senders := map[string]bool{}
	for _, def := range s.service.Functions {
		for _, e := range def.Env {
			if e == topology.EnvMailConfigSet {
				senders[s.logicalID(s.stack.Functions.ByName[def.Name].Role)] = true
			}
		}
	}
	if len(senders) == 0 {
		t.Fatal("no function reads the configuration set")
	}
	onSet, onIdentity := map[string]bool{}, map[string]bool{}
	for _, id := range s.doc.ofType("AWS::IAM::Policy") {
		p := s.doc.Resources[id].Properties
		for _, st := range asList(asMap(p["PolicyDocument"])["Statement"]) {
			st := asMap(st)
			sends := false
			for _, a := range actionsOf(st) {
				sends = sends || a == "ses:SendEmail"
			}
			if !sends {
				continue
			}
			res := show(st["Resource"])
			for _, r := range asList(p["Roles"]) {
				role := asString(asMap(r)["Ref"])
				if contains(res, ":configuration-set/") && mentions(st["Resource"], setID) {
					onSet[role] = true
				}
				if contains(res, ":identity/") {
					onIdentity[role] = true
				}
			}
		}
	}
	if !sameJSON(onSet, senders) || !sameJSON(onIdentity, senders) {
		t.Errorf("ses:SendEmail on the set %v, on the identity %v; want both for %v", onSet, onIdentity, senders)
	}
}

// TestMailReputationAlarms: the account's bounce and complaint rates alarm
// the privacy team at the levels at which SES places an account under
// review: 5% and 0.1%.
func TestMailReputationAlarms(t *testing.T) {
	s := mainStack(t)
	want := map[string]float64{"Reputation.BounceRate": 0.05, "Reputation.ComplaintRate": 0.001}
	for metric, level := range want {
		var found []map[string]any
		for _, id := range s.doc.ofType("AWS::CloudWatch::Alarm") {
			p := s.doc.Resources[id].Properties
			if asString(p["Namespace"]) == "AWS/SES" && asString(p["MetricName"]) == metric {
				found = append(found, p)
			}
		}
		if len(found) != 1 {
			t.Errorf("%s: %d alarms, want one", metric, len(found))
			continue
		}
		p := found[0]
		if asNumber(p["Threshold"]) != level || asString(p["ComparisonOperator"]) != "GreaterThanOrEqualToThreshold" {
			t.Errorf("%s: %s %v, want >= %v", metric, asString(p["ComparisonOperator"]), p["Threshold"], level)
		}
		if p["Dimensions"] != nil {
			t.Errorf("%s: dimensions %s, want the account's rate", metric, show(p["Dimensions"]))
		}
		if !sameJSON(p["AlarmActions"], []any{ref(s.logicalID(s.stack.Monitoring.Topic))}) {
			t.Errorf("%s: actions %s, want the alarm topic", metric, show(p["AlarmActions"]))
		}
	}
}
