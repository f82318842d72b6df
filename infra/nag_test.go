package main

import (
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/claritru/privacy/shared/topology"
)

func applyNag(app awscdk.App) { applyNagPacks(app) }

// nagRules matches the findings of both packs main applies.
const nagRules = "(AwsSolutions|HIPAA\\.Security)-.*"

// nagErrors are the unsuppressed AwsSolutions and HIPAA errors on a stack. With the
// recommended flag @aws-cdk/core:annotationsInValidationReport (cdk.json),
// an error annotation also fails synthesis, which surfaces here as a panic
// from the JavaScript side; that is reported as a failure too.
func nagErrors(stack awscdk.Stack) (out []string, synthErr error) {
	defer func() {
		if r := recover(); r != nil {
			synthErr = fmt.Errorf("synthesis failed: %v", r)
		}
	}()
	found := assertions.Annotations_FromStack(stack).FindError(
		jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String(nagRules)))
	if found == nil {
		return nil, nil
	}
	for _, m := range *found {
		line := *m.Id
		if m.Entry != nil && m.Entry.Data != nil {
			line += ": " + show(m.Entry.Data)
		}
		out = append(out, line)
	}
	return out, nil
}

func checkNoNagErrors(t *testing.T, stack *PrivacyStack) {
	t.Helper()
	errs, err := nagErrors(stack.Stack)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("unsuppressed cdk-nag error: %s", e)
	}
}

// TestAwsSolutionsChecks: the stack as main builds it (build applies the
// AwsSolutions and HIPAA Security packs) has no unsuppressed cdk-nag
// error, in either stage.
func TestAwsSolutionsChecks(t *testing.T) {
	for stage, s := range bothStages(t) {
		t.Run(stage, func(t *testing.T) { checkNoNagErrors(t, s.stack) })
	}
}

// TestHIPAASecurityChecksCanFail is the control for the HIPAA pack: on the
// same stack, a log group that is neither encrypted with a key nor given a
// retention is reported by HIPAA's rules for exactly that, and fails
// synthesis.
func TestHIPAASecurityChecksCanFail(t *testing.T) {
	careless := func(t *testing.T, overrides map[string]any) *PrivacyStack {
		stack, err := build(testApp(t, topology.ClariTru.Functions, overrides))
		if err != nil {
			t.Fatal(err)
		}
		awslogs.NewLogGroup(stack.Stack, jsii.String("CarelessLogs"), &awslogs.LogGroupProps{
			Retention: awslogs.RetentionDays_INFINITE,
		})
		return stack
	}
	rules := []string{"HIPAA.Security-CloudWatchLogGroupEncrypted", "HIPAA.Security-CloudWatchLogGroupRetentionPeriod"}

	t.Run("FindError reports them", func(t *testing.T) {
		stack := careless(t, map[string]any{"@aws-cdk/core:annotationsInValidationReport": false})
		errs, err := nagErrors(stack.Stack)
		if err != nil {
			t.Fatal(err)
		}
		for _, rule := range rules {
			seen := false
			for _, e := range errs {
				seen = seen || (contains(e, rule) && contains(e, "CarelessLogs"))
			}
			if !seen {
				t.Errorf("cdk-nag did not report %s for the careless log group; errors: %v", rule, errs)
			}
		}
		if len(errs) != len(rules) {
			t.Errorf("want only the %d findings of the careless log group, got %d: %v", len(rules), len(errs), errs)
		}
	})

	t.Run("synthesis fails", func(t *testing.T) {
		stack := careless(t, map[string]any{ctxStage: "prod"})
		_, err := nagErrors(stack.Stack)
		if err == nil || !contains(err.Error(), "Validation failed") {
			t.Errorf("synthesis with a HIPAA finding: err = %v, want a validation failure", err)
		}
	})
}

// TestAwsSolutionsChecksCanFail is the control for the test above: the same
// checks on the same stack report a queue that breaks the rules, so an empty
// result means compliance, not a check that never ran.
func TestAwsSolutionsChecksCanFail(t *testing.T) {
	careless := func(t *testing.T, overrides map[string]any) *PrivacyStack {
		stack, err := build(testApp(t, topology.ClariTru.Functions, overrides))
		if err != nil {
			t.Fatal(err)
		}
		awssqs.NewQueue(stack.Stack, jsii.String("Careless"), &awssqs.QueueProps{
			Encryption: awssqs.QueueEncryption_UNENCRYPTED,
		})
		return stack
	}
	rules := []string{"AwsSolutions-SQS2", "AwsSolutions-SQS3", "AwsSolutions-SQS4"}

	t.Run("FindError reports them", func(t *testing.T) {
		// Without the flag that turns error annotations into a synthesis
		// failure, so that the annotations themselves can be inspected.
		stack := careless(t, map[string]any{"@aws-cdk/core:annotationsInValidationReport": false})
		errs, err := nagErrors(stack.Stack)
		if err != nil {
			t.Fatal(err)
		}
		for _, rule := range rules {
			seen := false
			for _, e := range errs {
				seen = seen || (contains(e, rule) && contains(e, "Careless"))
			}
			if !seen {
				t.Errorf("cdk-nag did not report %s for the careless queue; errors: %v", rule, errs)
			}
		}
		if len(errs) != len(rules) {
			t.Errorf("want only the %d findings of the careless queue, got %d: %v", len(rules), len(errs), errs)
		}
	})

	t.Run("synthesis fails", func(t *testing.T) {
		// With cdk.json's flags, as `cdk synth` runs: the error fails it.
		stack := careless(t, nil)
		_, err := nagErrors(stack.Stack)
		if err == nil || !contains(err.Error(), "Validation failed") {
			t.Errorf("synthesis with a cdk-nag error: err = %v, want a validation failure", err)
		}
	})
}

// TestSuppressionsHaveReasons lists every cdk-nag suppression of the prod
// stack (go test -v): each names its rule and gives a reason of its own,
// and none is repeated on a resource. (A finding may carry two reasons:
// the same data-key actions granted on two keys.)
func TestSuppressionsHaveReasons(t *testing.T) {
	s := prodStack(t)
	resources := asMap(normal(s.template.ToJSON()).(map[string]any)["Resources"])
	count := 0
	seen := map[string]bool{}
	for _, id := range sortedKeys(resources) {
		r := asMap(resources[id])
		path := id + " (" + asString(r["Type"]) + ")"
		for _, sup := range asList(asMap(asMap(r["Metadata"])["cdk_nag"])["rules_to_suppress"]) {
			sup := asMap(sup)
			rule, reason := asString(sup["id"]), asString(sup["reason"])
			key := id + " " + rule + " " + show(sup["applies_to"]) + " " + reason
			if seen[key] {
				t.Errorf("%s: %s suppressed twice for the same reason", id, rule)
			}
			seen[key] = true
			count++
			t.Logf("%s | %s | %s | %s", rule, path, show(sup["applies_to"]), reason)
			if rule == "" || len(reason) < 60 {
				t.Errorf("%s: suppression %s without a reason of its own: %q", path, rule, reason)
			}
		}
	}
	if count == 0 {
		t.Error("no suppressions found: the listing would pass vacuously")
	}
	t.Logf("%d suppressions", count)
}
