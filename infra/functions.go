package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/claritru/privacy/shared/drp"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/topology"
)

// functionLogRetention bounds how long function logs exist. Logs carry no
// email, phone, name or body (the handlers log ids and statuses only), but they are still kept only as
// long as they help operate the service.
const functionLogRetention = awslogs.RetentionDays_ONE_MONTH

// Function is one deployed topology.Function with its own role and logs.
type Function struct {
	Def    topology.Function
	Lambda awslambda.Function
	Role   awsiam.Role
	Logs   awslogs.LogGroup
}

// Functions are the service's Lambda functions by topology name.
type Functions struct {
	ByName map[string]Function
}

type functionsProps struct {
	Defs      []topology.Function
	AssetRoot string
	Config    Config
	// PublicBaseURL is Config.PublicBaseURL or, when that is empty, the
	// API's endpoint (a token).
	PublicBaseURL *string
	// EdgeSecret is the edge's origin secret (a dynamic reference).
	EdgeSecret *string
	// Table is the table's shape, which each function's access must fit.
	Table topology.Table
	Data  Data
	Mail  Mail
	Logs  Logs
	// Systems is the register of systems whose webhook keys the
	// functions with topology.Function.WebhookKeys may read.
	Systems *reach.Register
}

// newFunctions builds one function per topology entry. What a function may
// touch follows from the configuration topology says it reads, so the
// topology stays the one place that says what a function is for:
//
//   - TABLE_NAME: exactly the table actions, partitions and indexes of the
//     function's topology.TableAccess (grantTable), which the local cloud
//     enforces on the function's client too;
//   - SUBJECT_PEPPER_SECRET_ARN: read the pepper secret;
//   - MAIL_FROM: send mail as that SES identity, and nothing else in SES;
//   - SES_CONFIGURATION_SET: send with that configuration set too.
//
// Each function gets a role of its own instead of the default role with the
// AWS-managed AWSLambdaBasicExecutionRole, whose logs:* grants cover every
// log group in the account; here a function may write to its own log group.
func newFunctions(scope constructs.Construct, id string, p functionsProps) (Functions, error) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	out := Functions{ByName: map[string]Function{}}
	values := functionEnvValues(p)
	for _, def := range p.Defs {
		if _, dup := out.ByName[def.Name]; dup {
			return Functions{}, fmt.Errorf("topology: function %q is listed twice", def.Name)
		}
		env, err := functionEnv(def, values)
		if err != nil {
			return Functions{}, err
		}
		if err := def.Table.Check(p.Table); err != nil {
			return Functions{}, fmt.Errorf("topology: function %q: table access: %w", def.Name, err)
		}
		code, err := bootstrapDir(p.AssetRoot, def.Name)
		if err != nil {
			return Functions{}, err
		}
		out.ByName[def.Name] = newFunction(c, def, env, code, p)
	}
	return out, nil
}

// functionEnvValues are the values of the configuration a function may
// read, by topology variable name.
func functionEnvValues(p functionsProps) map[string]*string {
	return map[string]*string{
		topology.EnvTableName:     p.Data.Table.TableName(),
		topology.EnvPublicBaseURL: p.PublicBaseURL,
		topology.EnvReturnURL:     jsii.String(p.Config.ReturnURL),
		topology.EnvAllowedOrigin: jsii.String(strings.Join(p.Config.AllowedOrigins, ",")),
		topology.EnvMailFrom:      jsii.String(p.Mail.From),
		topology.EnvPepperSecret:  p.Data.Pepper.SecretArn(),
		topology.EnvPolicyURL:     jsii.String(p.Config.PolicyURL),
		topology.EnvPrivacyTeam:   jsii.String(p.Config.PrivacyTeamEmail),
		topology.EnvStaffRoles:    jsii.String(strings.Join(p.Config.StaffRoles, ",")),
		topology.EnvEdgeSecret:    p.EdgeSecret,
		topology.EnvPostalAddress: jsii.String(p.Config.PostalAddress),
		topology.EnvSMSOrigin:     jsii.String(p.Config.SMSOrigin),
		topology.EnvTimeZone:      jsii.String(p.Config.TimeZone),
		topology.EnvMailConfigSet: p.Mail.ConfigSet.ConfigurationSetName(),
		// In AWS the agent function trusts the repository's register of
		// authorized agents only; DRP_AGENTS adds agents for local runs.
		topology.EnvDRPAgents:     jsii.String("[]"),
		topology.EnvDRPBusinessID: jsii.String(drp.DefaultBusinessID),
	}
}

// functionEnv checks a topology function's timeout and returns the
// environment it reads, from values.
func functionEnv(def topology.Function, values map[string]*string) (map[string]*string, error) {
	if def.Timeout <= 0 || def.Timeout%time.Second != 0 {
		return nil, fmt.Errorf("topology: function %q: timeout %v is not a whole number of seconds", def.Name, def.Timeout)
	}
	if def.ReservedConcurrency < 1 {
		return nil, fmt.Errorf("topology: function %q: no reserved concurrency", def.Name)
	}
	env := map[string]*string{}
	for _, name := range def.Env {
		v, ok := values[name]
		if !ok {
			return nil, fmt.Errorf("topology: function %q reads %s, which the stack does not provide", def.Name, name)
		}
		env[name] = v
	}
	return env, nil
}

// newFunction builds one function under c, with its log group, its role
// and the grants its environment calls for; code is its asset directory.
func newFunction(c constructs.Construct, def topology.Function, env map[string]*string, code string, p functionsProps) Function {
	fc := constructs.NewConstruct(c, jsii.String(def.Name))
	logs := p.Logs.group(fc, "Logs", functionLogRetention)
	role := awsiam.NewRole(fc, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("ClariTru " + def.Name + ": " + def.Purpose),
	})
	logs.GrantWrite(role)

	fn := awslambda.NewFunction(fc, jsii.String("Function"), &awslambda.FunctionProps{
		Description:  jsii.String(def.Purpose),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(code), nil),
		MemorySize:   jsii.Number(float64(def.Memory)),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(def.Timeout.Seconds())),
		Environment:  &env,
		Role:         role,
		LogGroup:     logs,
		// The topology's cap per function (topology.Function).
		ReservedConcurrentExecutions: jsii.Number(float64(def.ReservedConcurrency)),
	})

	// The function depends on its role's whole subtree so that it is
	// created after the role's policy; the role half of that DependsOn
	// repeats what the Role GetAtt already implies, which cfn-lint
	// reports (W3005). Harmless, and the policy half is needed.
	fn.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("cfn-lint"), map[string]any{
		"config": map[string]any{"ignore_checks": []string{"W3005"}},
	})

	grantFromEnv(role, def, p)
	if def.WebhookKeys {
		grantWebhookKeys(role, p.Systems)
	}
	out := Function{Def: def, Lambda: fn, Role: role, Logs: logs}
	suppressInlinePolicy(role, "the "+def.Name+" function")
	suppressNoVPC(out)
	return out
}

// grantFromEnv grants role what the variables def reads call for.
func grantFromEnv(role awsiam.Role, def topology.Function, p functionsProps) {
	var wildcards []string
	for _, name := range def.Env {
		switch name {
		case topology.EnvTableName:
			wildcards = append(wildcards, grantTable(role, def.Table, p.Data)...)
		case topology.EnvPepperSecret:
			p.Data.Pepper.GrantRead(role, nil)
		case topology.EnvMailFrom:
			p.Mail.Identity.GrantSendEmail(role)
		case topology.EnvMailConfigSet:
			p.Mail.grantSend(role)
		case topology.EnvSMSOrigin:
			grantSendText(role)
		}
	}
	if len(wildcards) > 0 {
		suppressPolicyWildcards(role,
			"kms:GenerateDataKey*/kms:ReEncrypt* are the data-key actions DynamoDB needs on the table's "+
				"customer-managed key to write encrypted items (the same actions table.GrantWriteData "+
				"grants); they are scoped to this one key. The table actions are the function's own "+
				"declaration (topology.TableAccess), on the table and the named indexes only.",
			wildcards...)
	}
}

// bootstrapDir is the asset directory of one function: `make build` writes
// build/<name>/bootstrap for the provided.al2023 runtime.
func bootstrapDir(root, name string) (string, error) {
	dir := filepath.Join(root, name)
	st, err := os.Stat(filepath.Join(dir, "bootstrap"))
	if err != nil || !st.Mode().IsRegular() {
		return "", fmt.Errorf("function %q: %s is missing; run `make build` first", name, filepath.Join(dir, "bootstrap"))
	}
	return dir, nil
}

// grantTable grants role exactly the table access the function declares:
// its item actions on the table, limited to its partitions by
// dynamodb:LeadingKeys (the partition key of every item and of every
// queried partition the call touches); Query on the named indexes, each by
// its own ARN (an index's own partition key is not the table's, so no
// LeadingKeys condition there); and the key actions DynamoDB needs to read
// or write the table's encrypted items, as table.GrantReadData and
// GrantWriteData grant them. It returns the cdk-nag IAM5 findings the key's
// data-key actions raise.
func grantTable(role awsiam.Role, access topology.TableAccess, d Data) []string {
	if len(access.Actions) > 0 {
		actions := make([]*string, len(access.Actions))
		for i, a := range access.Actions {
			actions[i] = jsii.String("dynamodb:" + string(a))
		}
		st := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   &actions,
			Resources: jsii.Strings(*d.Table.TableArn()),
		})
		if len(access.Partitions) > 0 {
			// ForAllValues: every partition key the call touches must
			// match. (A call that names no partition, a Scan, would pass;
			// the declarations of partition-bound functions hold none.)
			st.AddCondition(jsii.String("ForAllValues:StringLike"), map[string]any{
				"dynamodb:LeadingKeys": access.Partitions,
			})
		}
		role.AddToPrincipalPolicy(st)
	}
	if len(access.Indexes) > 0 {
		var arns []*string
		for _, ix := range access.Indexes {
			arns = append(arns, jsii.String(*d.Table.TableArn()+"/index/"+ix))
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("dynamodb:Query"),
			Resources: &arns,
		}))
	}
	var keyActions []string
	if access.Reads() || access.Writes() {
		keyActions = append(keyActions, "kms:Decrypt", "kms:DescribeKey")
	}
	if access.Writes() {
		keyActions = append(keyActions, "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")
	}
	if len(keyActions) == 0 {
		return nil
	}
	d.Key.Grant(role, *jsii.Strings(keyActions...)...)
	if !access.Writes() {
		return nil
	}
	return []string{"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"}
}

// suppressPolicyWildcards records, on the role's own policy and only for the
// named findings, why a wildcard from a grant helper is deliberate. Anything
// else the policy grants is still checked.
func suppressPolicyWildcards(role awsiam.Role, reason string, findings ...string) {
	policy := role.Node().TryFindChild(jsii.String("DefaultPolicy"))
	if policy == nil {
		return
	}
	appliesTo := make([]interface{}, len(findings))
	for i, f := range findings {
		appliesTo[i] = f
	}
	cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String(reason),
		AppliesTo: &appliesTo,
	}}, jsii.Bool(true))
}
