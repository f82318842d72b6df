package main

import (
	"testing"
	"time"

	"github.com/claritru/privacy/shared/retention"
)

// TestEncryptedAtRest: in both stages, everything that stores data is
// encrypted at rest: the table and the backup vault with their own
// customer-managed keys, every log group with the log key, every topic
// with a KMS key, every queue with KMS or SQS-managed encryption.
func TestEncryptedAtRest(t *testing.T) {
	for stage, s := range bothStages(t) {
		t.Run(stage, func(t *testing.T) {
			sse := asMap(s.resource(t, s.logicalID(s.stack.Data.Table), "AWS::DynamoDB::Table").Properties["SSESpecification"])
			if asString(sse["SSEType"]) != "KMS" || !sameJSON(sse["KMSMasterKeyId"], getAtt(s.logicalID(s.stack.Data.Key), "Arn")) {
				t.Errorf("table SSE = %s, want the data key", show(sse))
			}
			vault := s.resource(t, s.logicalID(s.stack.Backup.Vault), "AWS::Backup::BackupVault")
			if !sameJSON(vault.Properties["EncryptionKeyArn"], getAtt(s.logicalID(s.stack.Backup.Key), "Arn")) {
				t.Errorf("vault key = %s, want its own key", show(vault.Properties["EncryptionKeyArn"]))
			}
			logKey := getAtt(s.logicalID(s.stack.Logs.Key), "Arn")
			for _, id := range s.doc.ofType("AWS::Logs::LogGroup") {
				if p := s.doc.Resources[id].Properties; !sameJSON(p["KmsKeyId"], logKey) {
					t.Errorf("log group %s: KmsKeyId = %s, want the log key", id, show(p["KmsKeyId"]))
				}
			}
			for _, id := range s.doc.ofType("AWS::SNS::Topic") {
				k := s.doc.Resources[id].Properties["KmsMasterKeyId"]
				if _, isKey := s.doc.Resources[asString(asList(asMap(k)["Fn::GetAtt"])[0])]; !isKey {
					t.Errorf("topic %s: KmsMasterKeyId = %s, want a key of the stack", id, show(k))
				}
			}
			for _, id := range s.doc.ofType("AWS::SQS::Queue") {
				p := s.doc.Resources[id].Properties
				managed, _ := asBool(p["SqsManagedSseEnabled"])
				if p["KmsMasterKeyId"] == nil && !managed {
					t.Errorf("queue %s is not encrypted at rest", id)
				}
			}
			for _, id := range s.doc.ofType("AWS::KMS::Key") {
				if on, _ := asBool(s.doc.Resources[id].Properties["EnableKeyRotation"]); !on {
					t.Errorf("key %s does not rotate", id)
				}
			}
		})
	}
}

// TestTLSOnly: every topic and queue refuses requests not made over TLS
// (a Deny on aws:SecureTransport false, for every principal).
func TestTLSOnly(t *testing.T) {
	s := mainStack(t)
	for typ, policy := range map[string]struct{ policyType, targets string }{
		"AWS::SNS::Topic": {"AWS::SNS::TopicPolicy", "Topics"},
		"AWS::SQS::Queue": {"AWS::SQS::QueuePolicy", "Queues"},
	} {
		ids := s.doc.ofType(typ)
		if len(ids) == 0 {
			t.Fatalf("no %s: the check would pass vacuously", typ)
		}
		for _, id := range ids {
			tlsOnly := false
			for _, pid := range s.doc.ofType(policy.policyType) {
				p := s.doc.Resources[pid].Properties
				if !mentions(p[policy.targets], id) {
					continue
				}
				for _, st := range asList(asMap(p["PolicyDocument"])["Statement"]) {
					st := asMap(st)
					cond := asMap(asMap(st["Condition"])["Bool"])
					if asString(st["Effect"]) == "Deny" && asString(cond["aws:SecureTransport"]) == "false" &&
						(sameJSON(st["Principal"], "*") || sameJSON(st["Principal"], map[string]any{"AWS": "*"})) {
						tlsOnly = true
					}
				}
			}
			if !tlsOnly {
				t.Errorf("%s %s accepts requests without TLS", typ, id)
			}
		}
	}
}

// TestBackupPlan: the table is backed up daily into the stack's vault,
// each backup kept as long as the longest retention period that ends;
// prod's vault is locked to that retention, dev's is not.
func TestBackupPlan(t *testing.T) {
	// Consent and opt-out evidence, 48 months: four years with one leap
	// day, 4×365+1.
	const wantDays = 1461
	for stage, s := range bothStages(t) {
		t.Run(stage, func(t *testing.T) {
			planID := s.logicalID(s.stack.Backup.Plan)
			plan := asMap(s.resource(t, planID, "AWS::Backup::BackupPlan").Properties["BackupPlan"])
			rules := asList(plan["BackupPlanRule"])
			if len(rules) != 1 {
				t.Fatalf("rules = %s, want one", show(rules))
			}
			r := asMap(rules[0])
			if asString(r["ScheduleExpression"]) != "cron(0 4 * * ? *)" {
				t.Errorf("schedule = %s, want daily at 04:00", show(r["ScheduleExpression"]))
			}
			if got := asNumber(asMap(r["Lifecycle"])["DeleteAfterDays"]); got != wantDays {
				t.Errorf("DeleteAfterDays = %v, want %d", got, wantDays)
			}
			if !sameJSON(r["TargetBackupVault"], getAtt(s.logicalID(s.stack.Backup.Vault), "BackupVaultName")) {
				t.Errorf("target vault = %s, want the stack's", show(r["TargetBackupVault"]))
			}
			selected := false
			for _, id := range s.doc.ofType("AWS::Backup::BackupSelection") {
				p := s.doc.Resources[id].Properties
				sel := asMap(p["BackupSelection"])
				selected = selected || (sameJSON(p["BackupPlanId"], getAtt(planID, "BackupPlanId")) &&
					sameJSON(sel["Resources"], []any{getAtt(s.logicalID(s.stack.Data.Table), "Arn")}))
			}
			if !selected {
				t.Error("the plan does not select the table")
			}
			lock := s.resource(t, s.logicalID(s.stack.Backup.Vault), "AWS::Backup::BackupVault").Properties["LockConfiguration"]
			var want any
			if stage == "prod" {
				want = map[string]any{"MinRetentionDays": wantDays, "MaxRetentionDays": wantDays + 1}
			}
			if !sameJSON(lock, want) {
				t.Errorf("LockConfiguration = %s, want %s", show(lock), show(want))
			}
			// PITR stays beside the plan.
			pitr := asMap(s.doc.Resources[s.logicalID(s.stack.Data.Table)].Properties["PointInTimeRecoverySpecification"])
			if on, _ := asBool(pitr["PointInTimeRecoveryEnabled"]); !on {
				t.Error("point-in-time recovery is off")
			}
		})
	}
}

// TestBackupRetentionDays: the longest period that ends, in days; months
// counted at their longest.
func TestBackupRetentionDays(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy []retention.Rule
		want   int
	}{
		{"one month is at most 31 days", []retention.Rule{{Months: 1}}, 31},
		{"two months: July and August", []retention.Rule{{Months: 2}}, 62},
		{"12 months with a leap day", []retention.Rule{{Months: 12}}, 366},
		{"hours round up to a day", []retention.Rule{{Keep: 25 * time.Hour}}, 2},
		{"the longest wins", []retention.Rule{{Keep: 400 * 24 * time.Hour}, {Months: 12}, {Forever: true}}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := backupRetentionDays(tc.policy)
			if err != nil || got != tc.want {
				t.Errorf("= %d, %v; want %d", got, err, tc.want)
			}
		})
	}
	if _, err := backupRetentionDays([]retention.Rule{{Forever: true}}); err == nil {
		t.Error("a policy with nothing that ends gave a retention")
	}
}

// TestLogGroups: every log group keeps its logs for a bounded time, and
// the log key admits CloudWatch Logs of this region for this stack's log
// groups only.
func TestLogGroups(t *testing.T) {
	s := mainStack(t)
	for _, id := range s.doc.ofType("AWS::Logs::LogGroup") {
		if days := asNumber(s.doc.Resources[id].Properties["RetentionInDays"]); days <= 0 {
			t.Errorf("log group %s keeps logs forever", id)
		}
	}
	kp := s.resource(t, s.logicalID(s.stack.Logs.Key), "AWS::KMS::Key").Properties["KeyPolicy"]
	found := false
	for _, st := range asList(asMap(kp)["Statement"]) {
		st := asMap(st)
		service := show(asMap(st["Principal"])["Service"])
		if !contains(service, `"logs."`) || !contains(service, "AWS::Region") {
			continue
		}
		found = true
		scope := show(asMap(asMap(st["Condition"])["ArnLike"])["kms:EncryptionContext:aws:logs:arn"])
		if !contains(scope, ":log-group:"+*s.stack.Stack.StackName()+"-*") {
			t.Errorf("CloudWatch Logs may use the key for %s, want this stack's log groups only", scope)
		}
	}
	if !found {
		t.Errorf("the log key does not admit CloudWatch Logs of the region: %s", show(kp))
	}
}

// TestReservedConcurrency: each function's reserved concurrency is the
// topology's, and together they stay well under what an account may
// reserve (1,000 by default, less the 100 Lambda keeps unreserved).
func TestReservedConcurrency(t *testing.T) {
	s := mainStack(t)
	total := 0
	for _, def := range s.service.Functions {
		p := s.resource(t, s.logicalID(s.stack.Functions.ByName[def.Name].Lambda), "AWS::Lambda::Function").Properties
		if got := asNumber(p["ReservedConcurrentExecutions"]); got != float64(def.ReservedConcurrency) || got < 1 {
			t.Errorf("%s: reserved concurrency %v, want the topology's %d", def.Name, got, def.ReservedConcurrency)
		}
		total += def.ReservedConcurrency
	}
	if total > (1000-100)/4 {
		t.Errorf("the functions reserve %d, more than a quarter of what a default account can", total)
	}
}

// TestRetainedInProd: prod keeps what holds personal data, proof or their
// keys when the stack goes, and the table and the staff pool (who acted on
// each request) have deletion protection; dev lets a test installation go
// whole.
func TestRetainedInProd(t *testing.T) {
	for stage, s := range bothStages(t) {
		want := map[string]string{"prod": "Retain", "dev": "Delete"}[stage]
		ids := map[string]string{
			"table":        s.logicalID(s.stack.Data.Table),
			"data key":     s.logicalID(s.stack.Data.Key),
			"pepper":       s.logicalID(s.stack.Data.Pepper),
			"backup vault": s.logicalID(s.stack.Backup.Vault),
			"backup key":   s.logicalID(s.stack.Backup.Key),
			"log key":      s.logicalID(s.stack.Logs.Key),
			"staff pool":   s.logicalID(s.stack.Staff.Pool),
		}
		for _, id := range s.doc.ofType("AWS::Logs::LogGroup") {
			ids["log group "+id] = id
		}
		for what, id := range ids {
			if got := s.doc.Resources[id].DeletionPolicy; got != want {
				t.Errorf("%s: %s DeletionPolicy = %q, want %s", stage, what, got, want)
			}
		}
		on, _ := asBool(s.doc.Resources[ids["table"]].Properties["DeletionProtectionEnabled"])
		if on != (stage == "prod") {
			t.Errorf("%s: table deletion protection %v", stage, on)
		}
		pool := asString(s.doc.Resources[ids["staff pool"]].Properties["DeletionProtection"])
		if want := map[string]string{"prod": "ACTIVE", "dev": "INACTIVE"}[stage]; pool != want {
			t.Errorf("%s: staff pool deletion protection %q, want %s", stage, pool, want)
		}
	}
}
