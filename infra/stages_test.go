package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/claritru/privacy/shared/topology"
)

// stageSettings is a valid stage of "stages", as cdk.json writes one.
func stageSettings(mailFrom string, retain bool) map[string]any {
	return map[string]any{
		ctxMailFrom:       mailFrom,
		ctxPrivacyTeam:    "team@example.org",
		ctxReturnURL:      "https://example.org/thanks",
		ctxAllowedOrigins: "https://example.org",
		ctxStaffRoles:     "arn:aws:iam::123456789012:role/PrivacyStaff",
		ctxPostalAddress:  "1 Main Street, Mobile, AL 36602, USA",
		ctxStaffAuth:      "example-staff",
		ctxRetainData:     retain,
		ctxVaultLock:      retain,
	}
}

// TestStageFromContext: -c stage= picks one of cdk.json's stages (dev
// unless told), -c key=value overrides one of its settings, and a stage or
// setting that does not exist is refused, naming what does.
func TestStageFromContext(t *testing.T) {
	stages := map[string]any{
		"dev":  stageSettings("dev@example.org", false),
		"prod": stageSettings("prod@example.org", true),
	}
	cases := []struct {
		name    string
		ctx     map[string]any
		check   func(Config) error
		wantErr []string
	}{
		{name: "default is dev", ctx: map[string]any{}, check: func(c Config) error {
			return expect(c.Stage == "dev" && c.MailFrom == "dev@example.org" && !c.RetainData && !c.BackupVaultLock, c)
		}},
		{name: "prod", ctx: map[string]any{ctxStage: "prod"}, check: func(c Config) error {
			return expect(c.Stage == "prod" && c.MailFrom == "prod@example.org" && c.RetainData && c.BackupVaultLock, c)
		}},
		{name: "a -c value overrides the stage's", ctx: map[string]any{ctxStage: "prod", ctxMailFrom: "other@example.org"}, check: func(c Config) error {
			return expect(c.MailFrom == "other@example.org" && c.PrivacyTeamEmail == "team@example.org", c)
		}},
		{name: "a switch from -c is a string", ctx: map[string]any{ctxVaultLock: "true", ctxRetainData: "true"}, check: func(c Config) error {
			return expect(c.Stage == "dev" && c.BackupVaultLock && c.RetainData, c)
		}},
		{name: "unknown stage", ctx: map[string]any{ctxStage: "staging"}, wantErr: []string{`"staging"`, "dev, prod"}},
		{name: "stage name that cannot end a stack name", ctx: map[string]any{ctxStage: "Prod_1"}, wantErr: []string{`"Prod_1"`}},
		{name: "not a switch", ctx: map[string]any{ctxVaultLock: "yes"}, wantErr: []string{ctxVaultLock}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := map[string]any{ctxStages: stages}
			for k, v := range tc.ctx {
				ctx[k] = v
			}
			cfg, err := ConfigFromContext(awscdk.NewApp(&awscdk.AppProps{Context: &ctx}))
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("accepted: %+v", cfg)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %s", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.check(cfg); err != nil {
				t.Error(err)
			}
		})
	}

	t.Run("a setting no stage has", func(t *testing.T) {
		bad := stageSettings("dev@example.org", false)
		bad["mailfrom"] = "typo@example.org"
		ctx := map[string]any{ctxStages: map[string]any{"dev": bad}}
		_, err := ConfigFromContext(awscdk.NewApp(&awscdk.AppProps{Context: &ctx}))
		if err == nil || !strings.Contains(err.Error(), `"mailfrom"`) {
			t.Errorf("err = %v, want one naming the unknown setting", err)
		}
	})
	t.Run("cdk.json's stages are valid", func(t *testing.T) {
		ctx, err := cdkContext()
		if err != nil {
			t.Fatal(err)
		}
		for _, stage := range []string{"dev", "prod"} {
			ctx[ctxStage] = stage
			cfg, err := ConfigFromContext(awscdk.NewApp(&awscdk.AppProps{Context: &ctx}))
			if err != nil {
				t.Errorf("stage %s: %v", stage, err)
			}
			if cfg.RetainData != (stage == "prod") || cfg.BackupVaultLock != (stage == "prod") {
				t.Errorf("stage %s: retain data %v, vault lock %v; want both only in prod", stage, cfg.RetainData, cfg.BackupVaultLock)
			}
		}
	})
}

func expect(ok bool, c Config) error {
	if ok {
		return nil
	}
	return fmt.Errorf("config %+v", c)
}

var (
	prodOnce    sync.Once
	prodFixture *synthesized
	prodErr     error
)

// prodStack is the prod stage as main builds it from cdk.json
// (-c stage=prod), synthesized once.
func prodStack(t *testing.T) *synthesized {
	t.Helper()
	prodOnce.Do(func() {
		prodErr = fakeAssets(topology.ClariTru.Functions)
		if prodErr != nil {
			return
		}
		app, err := newTestApp(map[string]any{ctxStage: "prod"})
		if err != nil {
			prodErr = err
			return
		}
		stack, err := build(app)
		if err != nil {
			prodErr = err
			return
		}
		cfg, _ := ConfigFromContext(app)
		prodFixture, prodErr = synth(stack, cfg, topology.ClariTru)
	})
	if prodErr != nil {
		t.Fatalf("the prod stack: %v", prodErr)
	}
	return prodFixture
}

// bothStages are the dev and prod stacks, by stage.
func bothStages(t *testing.T) map[string]*synthesized {
	t.Helper()
	return map[string]*synthesized{"dev": mainStack(t), "prod": prodStack(t)}
}

// TestStackNamePerStage: each stage is a stack of its own name, so both
// can live in one account.
func TestStackNamePerStage(t *testing.T) {
	for stage, s := range bothStages(t) {
		if got, want := *s.stack.Stack.StackName(), "ClariTruPrivacy-"+stage; got != want {
			t.Errorf("stage %s: stack name %q, want %q", stage, got, want)
		}
	}
}

// TestResourceCounts prints the template's resources by type per stage
// (go test -v), and checks that the stages have the same ones.
func TestResourceCounts(t *testing.T) {
	counts := map[string]map[string]int{}
	for stage, s := range bothStages(t) {
		counts[stage] = map[string]int{}
		for _, r := range s.doc.Resources {
			counts[stage][r.Type]++
		}
	}
	var types []string
	for typ := range counts["prod"] {
		types = append(types, typ)
	}
	sort.Strings(types)
	total := map[string]int{}
	for _, typ := range types {
		t.Logf("%-45s dev %3d  prod %3d", typ, counts["dev"][typ], counts["prod"][typ])
		total["dev"] += counts["dev"][typ]
		total["prod"] += counts["prod"][typ]
	}
	t.Logf("%-45s dev %3d  prod %3d", "total", total["dev"], total["prod"])
	if !sameJSON(counts["dev"], counts["prod"]) {
		t.Errorf("the stages have different resources: dev %v, prod %v", counts["dev"], counts["prod"])
	}
}

// stageDifferences are the only ways dev and prod may differ, besides
// their settings (cdk.json's stages) and stack name: prod keeps what holds
// personal data, proof or their keys (RETAIN, the table's and the staff
// pool's deletion protection) and locks the backup vault. Each is a
// resource type and a path in its resource.
var stageDifferences = []string{
	"AWS::Backup::BackupVault DeletionPolicy",
	"AWS::Backup::BackupVault Properties.LockConfiguration",
	"AWS::Backup::BackupVault UpdateReplacePolicy",
	"AWS::Cognito::UserPool DeletionPolicy",
	"AWS::Cognito::UserPool Properties.DeletionProtection",
	"AWS::Cognito::UserPool UpdateReplacePolicy",
	"AWS::DynamoDB::Table DeletionPolicy",
	"AWS::DynamoDB::Table Properties.DeletionProtectionEnabled",
	"AWS::DynamoDB::Table UpdateReplacePolicy",
	"AWS::KMS::Key DeletionPolicy",
	"AWS::KMS::Key UpdateReplacePolicy",
	"AWS::Logs::LogGroup DeletionPolicy",
	"AWS::Logs::LogGroup UpdateReplacePolicy",
	"AWS::SecretsManager::Secret DeletionPolicy",
	"AWS::SecretsManager::Secret UpdateReplacePolicy",
}

// TestStagesDifferOnlyWhereIntended compares the dev and prod templates
// resource by resource, with each stage's settings and stack name put
// back to placeholders: what is left must be exactly stageDifferences.
func TestStagesDifferOnlyWhereIntended(t *testing.T) {
	dev, prod := mainStack(t), prodStack(t)
	a, b := normalised(t, dev), normalised(t, prod)
	if !sameJSON(a["Outputs"], b["Outputs"]) {
		t.Errorf("outputs differ: dev %s, prod %s", show(a["Outputs"]), show(b["Outputs"]))
	}
	ra, rb := asMap(a["Resources"]), asMap(b["Resources"])
	found := map[string][]string{}
	for id, r := range rb {
		if _, ok := ra[id]; !ok {
			t.Errorf("%s is only in prod", id)
		}
		typ := asString(asMap(r)["Type"])
		for _, path := range differences(ra[id], r, "") {
			key := typ + " " + strings.TrimPrefix(path, ".")
			found[key] = append(found[key], id)
		}
	}
	for id := range ra {
		if _, ok := rb[id]; !ok {
			t.Errorf("%s is only in dev", id)
		}
	}
	var got []string
	for k := range found {
		got = append(got, k)
	}
	sort.Strings(got)
	for _, k := range got {
		t.Logf("differs: %s (%s)", k, strings.Join(found[k], ", "))
	}
	if strings.Join(got, "\n") != strings.Join(stageDifferences, "\n") {
		t.Errorf("the stages differ in\n  %s\nwant exactly\n  %s", strings.Join(got, "\n  "), strings.Join(stageDifferences, "\n  "))
	}
	// The keys that differ are the retained data's, not the topics'.
	keys := map[string]bool{}
	for _, id := range found["AWS::KMS::Key DeletionPolicy"] {
		keys[id] = true
	}
	want := map[string]bool{
		dev.logicalID(dev.stack.Data.Key):   true,
		dev.logicalID(dev.stack.Logs.Key):   true,
		dev.logicalID(dev.stack.Backup.Key): true,
	}
	if !sameJSON(keys, want) {
		t.Errorf("keys whose removal differs: %v, want the data, log and backup keys %v", keys, want)
	}
}

var (
	nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]`)
	idLike   = regexp.MustCompile(`^[A-Za-z0-9<>]+$`)
	pathHash = regexp.MustCompile(`[0-9A-F]{8,}$`)
	// CDK's BucketDeployment tags its bucket with a hash of its own
	// construct path, which holds the stack's name.
	ownerTag = regexp.MustCompile(`^(aws-cdk:cr-owned:.*:)[0-9a-f]{8}$`)
)

// normalised is the stack's template with its stage's settings and stack
// name replaced by placeholders, wherever they occur in a string.
func normalised(t *testing.T, s *synthesized) map[string]any {
	t.Helper()
	c := s.cfg
	subs := map[string]string{
		*s.stack.Stack.StackName():          "<stack>",
		c.MailFrom:                          "<mailFrom>",
		c.PrivacyTeamEmail:                  "<privacyTeamEmail>",
		c.PostalAddress:                     "<postalAddress>",
		c.ReturnURL:                         "<returnUrl>",
		c.PolicyURL:                         "<policyUrl>",
		c.PublicBaseURL:                     "<publicBaseUrl>",
		strings.Join(c.AllowedOrigins, ","): "<allowedOrigins>",
		strings.Join(c.StaffRoles, ","):     "<staffRoles>",
		c.RetentionSchedule:                 "<retentionSchedule>",
		c.TimeZone:                          "<timeZone>",
		c.SMSOrigin:                         "<smsOrigin>",
		c.StaffAuthDomain:                   "<staffAuthDomain>",
	}
	for i, o := range c.AllowedOrigins {
		subs[o] = fmt.Sprintf("<origin %d>", i)
	}
	delete(subs, "")
	// CDK builds logical ids and generated names from construct paths
	// (with the stack's name) and ids (an email subscription's address),
	// without their punctuation.
	for o, p := range subs {
		if a := nonAlnum.ReplaceAllString(o, ""); a != o && len(a) >= 8 {
			subs[a] = p
		}
	}
	olds := make([]string, 0, len(subs))
	for o := range subs {
		olds = append(olds, o)
	}
	// Longest first, so a list is replaced before its parts.
	sort.Slice(olds, func(i, j int) bool { return len(olds[i]) > len(olds[j]) })
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			for _, o := range olds {
				x = strings.ReplaceAll(x, o, subs[o])
			}
			// A logical id or generated name made from a path with a
			// placeholder in it ends in hashes of that path.
			if idLike.MatchString(x) && strings.Contains(x, "<") {
				x = pathHash.ReplaceAllString(x, "")
			}
			return ownerTag.ReplaceAllString(x, "$1<path hash>")
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for k, e := range x {
				delete(x, k)
				x[walk(k).(string)] = walk(e)
			}
		}
		return v
	}
	return walk(normal(s.template.ToJSON())).(map[string]any)
}

// differences lists the paths at which a and b differ.
func differences(a, b any, path string) []string {
	ma, aok := a.(map[string]any)
	mb, bok := b.(map[string]any)
	if aok && bok {
		var out []string
		keys := map[string]bool{}
		for k := range ma {
			keys[k] = true
		}
		for k := range mb {
			keys[k] = true
		}
		for k := range keys {
			out = append(out, differences(ma[k], mb[k], path+"."+k)...)
		}
		return out
	}
	if sameJSON(a, b) {
		return nil
	}
	return []string{path}
}
