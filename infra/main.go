// Command infra is the CDK app of the ClariTru privacy rights service
// (`go run ./infra`, run by the CDK CLI through cdk.json). It builds one
// stack from the same topology the local runner serves (shared/topology), so
// what runs on a laptop and what runs in AWS cannot drift apart.
//
// Configuration comes from CDK context: the stage chosen with -c stage=
// (cdk.json's "stages": dev, the default, and prod), whose settings
// (mailFrom, privacyTeamEmail, publicBaseUrl, returnUrl, allowedOrigins,
// policyUrl, postalAddress, staffRoles, staffAuthDomain, retentionSchedule,
// timeZone, smsOrigin, backupVaultLock, retainData) a -c key=value
// overrides one by one; and assetRoot and consoleDir.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// StackID begins the construct id, and so the CloudFormation stack name,
// of every stage: ClariTruPrivacy-<stage>.
const StackID = "ClariTruPrivacy"

// StackName is the stack of one stage.
func StackName(stage string) string { return StackID + "-" + stage }

func main() {
	err := run()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	if _, err := build(app); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// build adds the service's stack to app, configured from app's context, and
// applies the AWS Solutions rules. The tests call it too, so they check what
// `cdk synth` deploys.
func build(app awscdk.App) (*PrivacyStack, error) {
	cfg, err := ConfigFromContext(app)
	if err != nil {
		return nil, fmt.Errorf("%w\n(the CDK CLI passes cdk.json's context: run `make synth`, or add -c key=value)", err)
	}
	stack, err := NewPrivacyStack(app, StackName(cfg.Stage), PrivacyStackProps{
		Config:     cfg,
		AssetRoot:  AssetRootFromContext(app),
		ConsoleDir: ConsoleDirFromContext(app),
	})
	if err != nil {
		return nil, err
	}
	applyNagPacks(app)
	return stack, nil
}

// applyNagPacks adds the rule packs every synth runs: AWS Solutions and
// HIPAA Security (the controls an auditor of a company serving medical
// practices maps to 45 CFR 164.312). An unsuppressed finding is an error
// annotation and fails `cdk synth`. Deliberate exceptions are suppressed on
// the construct they concern, with the reason.
func applyNagPacks(app awscdk.App) {
	props := &cdknag.NagPackProps{Verbose: jsii.Bool(true)}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(props), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewHIPAASecurityChecks(props), nil)
}
