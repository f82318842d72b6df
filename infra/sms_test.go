package main

import (
	"testing"

	"github.com/claritru/privacy/shared/topology"
)

// TestSMSTopicAndSendPermission: the two-way SMS topic is encrypted with its
// own key, takes TLS only and publications from End User Messaging SMS of
// this account only, and feeds the inbound function, whose failures wait in
// an encrypted queue; only the functions that read the origination
// identity (the notifier) may send texts, and the topic's ARN is an output.
func TestSMSTopicAndSendPermission(t *testing.T) {
	s := mainStack(t)
	sms := s.stack.Topics.ByName[topology.TopicSMSInbound]
	topicID := s.logicalID(sms.Topic)
	keyID := s.logicalID(sms.Key)
	topic := s.resource(t, topicID, "AWS::SNS::Topic")
	if !sameJSON(topic.Properties["KmsMasterKeyId"], getAtt(keyID, "Arn")) {
		t.Errorf("topic key = %s, want its own key %s", show(topic.Properties["KmsMasterKeyId"]), keyID)
	}
	var publish, tlsOnly bool
	for _, id := range s.doc.ofType("AWS::SNS::TopicPolicy") {
		p := s.doc.Resources[id].Properties
		if !mentions(p["Topics"], topicID) {
			continue
		}
		for _, st := range asList(asMap(p["PolicyDocument"])["Statement"]) {
			st := asMap(st)
			body := show(st)
			switch {
			case asString(st["Effect"]) == "Allow" && contains(body, `"sms-voice.amazonaws.com"`) && contains(body, "sns:Publish"):
				publish = contains(body, "aws:SourceAccount")
			case asString(st["Effect"]) == "Deny" && contains(body, "aws:SecureTransport"):
				tlsOnly = true
			}
		}
	}
	if !publish || !tlsOnly {
		t.Errorf("topic policy: End User Messaging of this account publishes %v, TLS only %v", publish, tlsOnly)
	}
	key := s.resource(t, keyID, "AWS::KMS::Key")
	if kp := show(key.Properties["KeyPolicy"]); !contains(kp, `"sms-voice.amazonaws.com"`) || !contains(kp, "kms:GenerateDataKey*") {
		t.Errorf("the topic's key does not let End User Messaging SMS publish: %s", kp)
	}
	if rot, _ := asBool(key.Properties["EnableKeyRotation"]); !rot {
		t.Error("the topic's key is not rotated")
	}

	if len(s.service.Topics) == 0 {
		t.Fatal("the topology has no topic consumer: the checks below would pass vacuously")
	}
	for _, def := range s.service.Topics {
		if def.Topic != topology.TopicSMSInbound {
			continue
		}
		fnID := s.logicalID(s.stack.Functions.ByName[def.Function].Lambda)
		subscribed := false
		for _, id := range s.doc.ofType("AWS::SNS::Subscription") {
			p := s.doc.Resources[id].Properties
			if asString(p["Protocol"]) == "lambda" && sameJSON(p["TopicArn"], ref(topicID)) && sameJSON(p["Endpoint"], getAtt(fnID, "Arn")) {
				subscribed = true
			}
		}
		if !subscribed {
			t.Errorf("%s is not subscribed to the topic", def.Function)
		}
		dlqID := s.logicalID(s.stack.Topics.DeadLetters[def.Function])
		q := s.resource(t, dlqID, "AWS::SQS::Queue")
		if !sameJSON(q.Properties["KmsMasterKeyId"], getAtt(s.logicalID(s.stack.Data.Key), "Arn")) {
			t.Errorf("%s's dead letters are not encrypted with the service key: %s", def.Function, show(q.Properties["KmsMasterKeyId"]))
		}
		onFailure := false
		for _, id := range s.doc.ofType("AWS::Lambda::EventInvokeConfig") {
			p := s.doc.Resources[id].Properties
			if mentions(p["FunctionName"], fnID) && mentions(p["DestinationConfig"], dlqID) {
				onFailure = true
			}
		}
		if !onFailure {
			t.Errorf("%s's failed replies go nowhere", def.Function)
		}
	}

	// sms-voice:SendTextMessage: exactly the roles of functions that read
	// the origination identity.
	senders := map[string]bool{}
	for _, def := range s.service.Functions {
		for _, e := range def.Env {
			if e == topology.EnvSMSOrigin {
				senders[s.logicalID(s.stack.Functions.ByName[def.Name].Role)] = true
			}
		}
	}
	if len(senders) == 0 {
		t.Fatal("no function reads the origination identity")
	}
	granted := map[string]bool{}
	for _, id := range s.doc.ofType("AWS::IAM::Policy") {
		p := s.doc.Resources[id].Properties
		for _, st := range asList(asMap(p["PolicyDocument"])["Statement"]) {
			for _, a := range actionsOf(asMap(st)) {
				if a != "sms-voice:SendTextMessage" {
					continue
				}
				if res := show(asMap(st)["Resource"]); !contains(res, "sms-voice") || !contains(res, "AWS::AccountId") {
					t.Errorf("SendTextMessage on %s, want this account's End User Messaging SMS", res)
				}
				for _, r := range asList(p["Roles"]) {
					granted[asString(asMap(r)["Ref"])] = true
				}
			}
		}
	}
	if !sameJSON(granted, senders) {
		t.Errorf("roles that may send texts %v, want %v", granted, senders)
	}
	if out, ok := s.doc.Outputs["SmsInboundTopicArn"]; !ok || !sameJSON(out["Value"], ref(topicID)) {
		t.Errorf("SmsInboundTopicArn output = %s", show(out))
	}
}
