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

			if got, want := has("kms:Decrypt", s.logicalID(s.stack.Data.Key)), reads[topology.EnvTableName]; got != want {
				t.Errorf("decrypts with the table's key: %v, want %v", got, want)
			}
			checkTableGrants(t, mine, def.Table, tableID)
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

// checkTableGrants checks that a role's DynamoDB statements are exactly its
// function's declaration: the item actions on the table with the partition
// condition, Query on each named index, and nothing else but reading the
// stream.
func checkTableGrants(t *testing.T, statements []map[string]any, access topology.TableAccess, tableID string) {
	t.Helper()
	tableArn := getAtt(tableID, "Arn")
	items := map[string]bool{}
	indexes := map[string]bool{}
	for _, st := range statements {
		actions := actionsOf(st)
		if len(actions) == 0 || !strings.HasPrefix(actions[0], "dynamodb:") || streamRead(actions) {
			continue
		}
		switch {
		case sameJSON(st["Resource"], tableArn):
			for _, a := range actions {
				items[strings.TrimPrefix(a, "dynamodb:")] = true
			}
			cond := asMap(asMap(st["Condition"])["ForAllValues:StringLike"])["dynamodb:LeadingKeys"]
			var got []string
			for _, p := range asList(cond) {
				got = append(got, asString(p))
			}
			if strings.Join(got, ",") != strings.Join(access.Partitions, ",") {
				t.Errorf("partitions %v, want %v", got, access.Partitions)
			}
		case len(actions) == 1 && actions[0] == "dynamodb:Query":
			for _, r := range asList(st["Resource"]) {
				text := show(r)
				i := strings.LastIndex(text, "/index/")
				if i < 0 || !mentions(r, tableID) {
					t.Errorf("Query on %s, want the table's named indexes", text)
					continue
				}
				indexes[strings.Trim(text[i+len("/index/"):], `"]}`)] = true
			}
		default:
			t.Errorf("DynamoDB statement beyond the declaration: %s", show(st))
		}
	}
	if len(items) != len(access.Actions) {
		t.Errorf("table actions %v, want %v", items, access.Actions)
	}
	for _, a := range access.Actions {
		if !items[string(a)] {
			t.Errorf("table action %s not granted", a)
		}
	}
	if len(indexes) != len(access.Indexes) {
		t.Errorf("indexes %v, want %v", indexes, access.Indexes)
	}
	for _, ix := range access.Indexes {
		if !indexes[ix] {
			t.Errorf("Query on index %s not granted", ix)
		}
	}
}

// streamRead says whether the actions are the stream reads the event
// source mapping grants.
func streamRead(actions []string) bool {
	for _, a := range actions {
		switch a {
		case "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams":
		default:
			return false
		}
	}
	return true
}
