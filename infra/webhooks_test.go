package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/reach"
)

// The reach function may read the signing key of each webhook system of the
// register, by the secret's name and Secrets Manager's six-character
// suffix, and no other secret; no other function may read them.
func TestWebhookKeysGrant(t *testing.T) {
	s := mainStack(t)
	var want []string
	for _, sys := range reach.Systems().All() {
		if sys.Reach == reach.Webhook {
			want = append(want, ":secret:"+sys.Secret+"-??????")
		}
	}
	if len(want) == 0 {
		t.Fatal("the register has no webhook system: the check would pass vacuously")
	}
	reachRole := s.logicalID(s.stack.Functions.ByName["reach"].Role)
	var granted []string
	for _, id := range s.doc.ofType("AWS::IAM::Policy") {
		p := s.doc.Resources[id].Properties
		roles := show(p["Roles"])
		for _, st := range asList(asMap(p["PolicyDocument"])["Statement"]) {
			st := asMap(st)
			if !slices.Contains(actionsOf(st), "secretsmanager:GetSecretValue") {
				continue
			}
			for _, r := range asList(st["Resource"]) {
				text := show(r)
				if !strings.Contains(text, "-??????") {
					if strings.Contains(roles, `"`+reachRole+`"`) {
						t.Errorf("the reach function reads another secret: %s", text)
					}
					continue
				}
				if !strings.Contains(roles, `"`+reachRole+`"`) || len(asList(p["Roles"])) != 1 {
					t.Errorf("policy %s of %s reads a webhook key %s", id, roles, text)
				}
				if !strings.Contains(text, `"arn:"`) || !strings.Contains(text, `":secretsmanager:"`) || !strings.Contains(text, "AWS::AccountId") {
					t.Errorf("webhook key ARN %s is not a secret of this account", text)
				}
				granted = append(granted, text)
			}
		}
	}
	if len(granted) != len(want) {
		t.Fatalf("webhook keys granted: %v, want %v", granted, want)
	}
	for _, w := range want {
		if !slices.ContainsFunc(granted, func(g string) bool { return strings.Contains(g, w) }) {
			t.Errorf("no grant on %s; granted %v", w, granted)
		}
	}
}

// The reach function's stream subscription is filtered to the insertion of
// job items, with the same dead-letter queue and retries as the
// notifier's; the notifier's is not filtered.
func TestReachStreamFilter(t *testing.T) {
	s := mainStack(t)
	mapping := func(fn string) map[string]any {
		t.Helper()
		fnID := s.logicalID(s.stack.Functions.ByName[fn].Lambda)
		for _, id := range s.doc.ofType("AWS::Lambda::EventSourceMapping") {
			p := s.doc.Resources[id].Properties
			if sameJSON(p["FunctionName"], ref(fnID)) {
				return p
			}
		}
		t.Fatalf("no event source mapping for %s", fn)
		return nil
	}
	p := mapping("reach")
	filters := asList(asMap(p["FilterCriteria"])["Filters"])
	if len(filters) != 1 {
		t.Fatalf("reach's FilterCriteria = %s, want one filter", show(p["FilterCriteria"]))
	}
	var pattern any
	if err := json.Unmarshal([]byte(asString(asMap(filters[0])["Pattern"])), &pattern); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"eventName": []any{"INSERT"},
		"dynamodb":  map[string]any{"NewImage": map[string]any{"kind": map[string]any{"S": []any{"reach_job"}}}},
	}
	if !sameJSON(pattern, want) {
		t.Errorf("filter pattern %s, want %s", show(pattern), show(want))
	}
	dlq := s.logicalID(s.stack.Streams.ByFunction["reach"].DeadLetters)
	if !mentions(asMap(p["DestinationConfig"]), dlq) || asNumber(p["MaximumRetryAttempts"]) != 3 {
		t.Errorf("reach's mapping: destination %s, retries %v", show(p["DestinationConfig"]), p["MaximumRetryAttempts"])
	}
	if f, ok := mapping("notifier")["FilterCriteria"]; ok {
		t.Errorf("the notifier's mapping is filtered: %s", show(f))
	}
}

// Webhooks whose last attempt failed are retried every five minutes, and
// systems answer on a public route (through the edge, like the forms).
func TestReachScheduleAndCallbackRoute(t *testing.T) {
	s := mainStack(t)
	fnID := s.logicalID(s.stack.Functions.ByName["reach"].Lambda)
	var found int
	for _, id := range s.doc.ofType("AWS::Scheduler::Schedule") {
		p := s.doc.Resources[id].Properties
		if sameJSON(asMap(p["Target"])["Arn"], getAtt(fnID, "Arn")) {
			found++
			if got := asString(p["ScheduleExpression"]); got != "rate(5 minutes)" {
				t.Errorf("reach runs on %q, want rate(5 minutes)", got)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d schedules invoke reach, want 1", found)
	}
	var route map[string]any
	for _, id := range s.doc.ofType("AWS::ApiGatewayV2::Route") {
		if p := s.doc.Resources[id].Properties; asString(p["RouteKey"]) == "POST /v1/callbacks/{job}" {
			route = p
		}
	}
	if route == nil {
		t.Fatal("no route POST /v1/callbacks/{job}")
	}
	if a := asString(route["AuthorizationType"]); a != "" && a != "NONE" {
		t.Errorf("the callback route needs %s; systems sign their callbacks instead", a)
	}
}
