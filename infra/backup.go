package main

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/retention"
)

// Backup is the table's daily backup in a vault of its own, beside its
// point-in-time recovery (35 days): a copy that outlives a mistake noticed
// late, a deleted table or a compromised account's writes.
type Backup struct {
	Key   awskms.Key
	Vault awsbackup.BackupVault
	Plan  awsbackup.BackupPlan
	// RetentionDays is how long each daily recovery point is kept.
	RetentionDays int
}

// backupHour is when the daily backup starts, in the retention sweep's
// time zone: after the nightly sweep (02:30), so a backup holds no record
// the sweep removed that night.
const backupHour = "4"

// backupRetentionDays is how long a backup is kept: as long as the
// longest period of the retention policy that ends (48 months: consent and
// opt-out evidence), so that a restore can still bring back the evidence
// a record of that rule was kept for, and no longer. A period of months
// counts the most days those calendar months can span (one start day in
// each day of a leap-year cycle: 48 months are 1,461 days); a fixed
// period counts its days, rounded up. Rules kept while in effect have no
// end and set nothing: such records stay in the table.
func backupRetentionDays(policy []retention.Rule) (int, error) {
	longest := 0
	for _, r := range policy {
		days := 0
		switch {
		case r.Forever:
			continue
		case r.Months > 0:
			days = longestMonths(r.Months)
		default:
			days = int((r.Keep + 24*time.Hour - 1) / (24 * time.Hour))
		}
		longest = max(longest, days)
	}
	if longest == 0 {
		return 0, fmt.Errorf("retention: the policy has no period that ends; a backup needs one")
	}
	return longest, nil
}

// longestMonths is the most days n calendar months span, starting on any
// day of a four-year cycle with its leap day (deadline.AddMonths counts
// them as the legal clocks do).
func longestMonths(n int) int {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	longest := 0
	for d := 0; d < 4*365+1; d++ {
		from := start.AddDate(0, 0, d)
		days := int(deadline.AddMonths(from, n).Sub(from).Hours() / 24)
		longest = max(longest, days)
	}
	return longest
}

// newBackup builds the vault, encrypted with a key of its own, and the
// daily plan backing up the table into it. With cfg.BackupVaultLock the
// vault is locked (governance mode) to the retention: a recovery point can
// be neither deleted early nor kept more than a day longer than the policy
// allows.
func newBackup(scope constructs.Construct, id string, data Data, cfg Config, zone string) (Backup, error) {
	days, err := backupRetentionDays(retention.Policy)
	if err != nil {
		return Backup{}, err
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("ClariTru backup vault of the privacy records table"),
		EnableKeyRotation: jsii.Bool(true),
		// Without the key the retained recovery points are unreadable.
		RemovalPolicy: removal(cfg),
	})
	props := &awsbackup.BackupVaultProps{
		EncryptionKey: key,
		RemovalPolicy: removal(cfg),
	}
	if cfg.BackupVaultLock {
		// The lock's maximum must exceed its minimum: one day more.
		props.LockConfiguration = &awsbackup.LockConfiguration{
			MinRetention: awscdk.Duration_Days(jsii.Number(float64(days))),
			MaxRetention: awscdk.Duration_Days(jsii.Number(float64(days + 1))),
		}
	}
	vault := awsbackup.NewBackupVault(c, jsii.String("Vault"), props)
	plan := awsbackup.NewBackupPlan(c, jsii.String("Plan"), &awsbackup.BackupPlanProps{
		// Named after the stack: the stages may share an account.
		BackupPlanName: jsii.String(*awscdk.Stack_Of(c).StackName() + "-table"),
		BackupVault:    vault,
		BackupPlanRules: &[]awsbackup.BackupPlanRule{awsbackup.NewBackupPlanRule(&awsbackup.BackupPlanRuleProps{
			RuleName:                   jsii.String("Daily"),
			ScheduleExpression:         awsevents.Schedule_Cron(&awsevents.CronOptions{Hour: jsii.String(backupHour), Minute: jsii.String("0")}),
			ScheduleExpressionTimezone: awscdk.TimeZone_Of(jsii.String(zone)),
			StartWindow:                awscdk.Duration_Hours(jsii.Number(1)),
			CompletionWindow:           awscdk.Duration_Hours(jsii.Number(4)),
			DeleteAfter:                awscdk.Duration_Days(jsii.Number(float64(days))),
		})},
	})
	selection := plan.AddSelection(jsii.String("Table"), &awsbackup.BackupSelectionOptions{
		Resources: &[]awsbackup.BackupResource{awsbackup.BackupResource_FromDynamoDbTable(data.Table)},
	})
	if role := selection.Node().TryFindChild(jsii.String("Role")); role != nil {
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM4"),
			Reason: jsii.String("AWSBackupServiceRolePolicyForBackup is the policy AWS Backup documents for its " +
				"service role and keeps current with the services it backs up; the role is assumable by " +
				"backup.amazonaws.com only and used by this one selection, of the one table."),
			AppliesTo: &[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"},
		}}, jsii.Bool(true))
	}
	return Backup{Key: key, Vault: vault, Plan: plan, RetentionDays: days}, nil
}
