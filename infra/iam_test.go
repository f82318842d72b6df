package main

import (
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/topology"
)

// statement is one IAM policy statement with where it was found.
type statement struct {
	where string
	body  map[string]any
}

// identityStatements are the statements of every identity-based policy in
// the template (role inline policies, policies and managed policies).
func identityStatements(s *synthesized) []statement {
	var out []statement
	add := func(where string, doc any) {
		for _, st := range asList(asMap(doc)["Statement"]) {
			out = append(out, statement{where: where, body: asMap(st)})
		}
	}
	for id, r := range s.doc.Resources {
		switch r.Type {
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			add(id, r.Properties["PolicyDocument"])
		case "AWS::IAM::Role":
			for _, p := range asList(r.Properties["Policies"]) {
				add(id, asMap(p)["PolicyDocument"])
			}
		}
	}
	return out
}

func actionsOf(st map[string]any) []string {
	var out []string
	for _, a := range asList(st["Action"]) {
		out = append(out, asString(a))
	}
	return out
}

func TestNoWildcardActionsOrFullAccess(t *testing.T) {
	s := mainStack(t)
	sts := identityStatements(s)
	if len(sts) == 0 {
		t.Fatal("no IAM statements found: the check would pass vacuously")
	}
	for _, st := range sts {
		if asString(st.body["Effect"]) != "Allow" {
			continue
		}
		if _, ok := st.body["NotAction"]; ok {
			t.Errorf("%s: NotAction allows everything but a list: %s", st.where, show(st.body))
		}
		if _, ok := st.body["NotResource"]; ok {
			t.Errorf("%s: NotResource: %s", st.where, show(st.body))
		}
		for _, a := range actionsOf(st.body) {
			if a == "*" || strings.HasSuffix(a, ":*") {
				t.Errorf("%s grants %q", st.where, a)
			}
		}
		// The one action that cannot be scoped to a resource.
		for _, r := range asList(st.body["Resource"]) {
			if asString(r) != "*" {
				continue
			}
			for _, a := range actionsOf(st.body) {
				if a != "dynamodb:ListStreams" {
					t.Errorf("%s grants %s on every resource", st.where, a)
				}
			}
		}
	}
	for _, id := range s.doc.ofType("AWS::IAM::Role") {
		for _, arn := range asList(s.doc.Resources[id].Properties["ManagedPolicyArns"]) {
			text := show(arn)
			if strings.Contains(text, "FullAccess") || strings.Contains(text, "AdministratorAccess") {
				t.Errorf("role %s has managed policy %s", id, text)
			}
		}
	}
}

// TestGrantsFollowTopology checks each function's role against the
// configuration topology says it reads: a function reaches the table, the
// pepper or SES only if it is meant to.
func TestGrantsFollowTopology(t *testing.T) {
	s := mainStack(t)
	tableID := s.logicalID(s.stack.Data.Table)
	secretID := s.logicalID(s.stack.Data.Pepper)
	identityID := s.logicalID(s.stack.Mail.Identity)

	for _, def := range s.service.Functions {
		t.Run(def.Name, func(t *testing.T) {
			fn := s.stack.Functions.ByName[def.Name]
			roleID := s.logicalID(fn.Role)
			role := s.resource(t, roleID, "AWS::IAM::Role")
			if arns := asList(role.Properties["ManagedPolicyArns"]); len(arns) > 0 {
				t.Errorf("role has managed policies %s; it should carry only its own grants", show(arns))
			}
			// Statements of policies attached to this role.
			var mine []map[string]any
			for _, id := range s.doc.ofType("AWS::IAM::Policy") {
				p := s.doc.Resources[id].Properties
				for _, r := range asList(p["Roles"]) {
					if sameJSON(r, ref(roleID)) {
						for _, st := range asList(asMap(p["PolicyDocument"])["Statement"]) {
							mine = append(mine, asMap(st))
						}
					}
				}
			}
			has := func(action, resourceID string) bool {
				for _, st := range mine {
					for _, a := range actionsOf(st) {
						if a == action && mentions(st["Resource"], resourceID) {
							return true
						}
					}
				}
				return false
			}
			reads := map[string]bool{}
			for _, e := range def.Env {
				reads[e] = true
			}

			if got, want := has("dynamodb:PutItem", tableID), reads[topology.EnvTableName]; got != want {
				t.Errorf("writes the table: %v, want %v", got, want)
			}
			if got, want := has("secretsmanager:GetSecretValue", secretID), reads[topology.EnvPepperSecret]; got != want {
				t.Errorf("reads the pepper: %v, want %v", got, want)
			}
			for _, action := range []string{"ses:SendEmail", "ses:SendRawEmail"} {
				if got, want := has(action, identityID), reads[topology.EnvMailFrom]; got != want {
					t.Errorf("%s on the sender identity: %v, want %v", action, got, want)
				}
			}
			// Nothing in SES beyond sending as that identity.
			for _, st := range mine {
				for _, a := range actionsOf(st) {
					if strings.HasPrefix(a, "ses:") && !mentions(st["Resource"], identityID) {
						t.Errorf("%s on %s, want only the sender identity", a, show(st["Resource"]))
					}
				}
			}
			// Logs only to its own log group.
			logsID := s.logicalID(fn.Logs)
			for _, st := range mine {
				for _, a := range actionsOf(st) {
					if strings.HasPrefix(a, "logs:") && !sameJSON(st["Resource"], getAtt(logsID, "Arn")) {
						t.Errorf("%s on %s, want only its own log group", a, show(st["Resource"]))
					}
				}
			}
			if !has("logs:PutLogEvents", logsID) {
				t.Error("cannot write its own logs")
			}
		})
	}

	// No role other than those of the functions that read the pepper can
	// read it.
	allowed := map[string]bool{}
	for _, def := range s.service.Functions {
		for _, e := range def.Env {
			if e == topology.EnvPepperSecret {
				allowed[s.logicalID(s.stack.Functions.ByName[def.Name].Role)] = true
			}
		}
	}
	for _, id := range s.doc.ofType("AWS::IAM::Policy") {
		p := s.doc.Resources[id].Properties
		for _, st := range asList(asMap(p["PolicyDocument"])["Statement"]) {
			if !mentions(asMap(st)["Resource"], secretID) {
				continue
			}
			for _, r := range asList(p["Roles"]) {
				if !allowed[asString(asMap(r)["Ref"])] {
					t.Errorf("policy %s lets %s read the pepper", id, show(r))
				}
			}
		}
	}
}
