package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/topology"
)

// PrivacyStackProps configure NewPrivacyStack.
type PrivacyStackProps struct {
	awscdk.StackProps
	Config Config
	// AssetRoot holds <function>/bootstrap for every topology function;
	// empty means "build" (what `make build` writes).
	AssetRoot string
	// Service and Table default to topology.ClariTru and
	// topology.PrivacyTable; tests pass other shapes.
	Service *topology.Service
	Table   *topology.Table
	// Systems defaults to the register kept in the repository
	// (reach.Systems).
	Systems *reach.Register
	// ConsoleDir holds the staff console's pages; empty means web/console.
	ConsoleDir string
}

// PrivacyStack is the whole service in one stack, split by concern into
// constructs (data, functions, api, mail, schedules, monitoring).
type PrivacyStack struct {
	Stack      awscdk.Stack
	Data       Data
	Mail       Mail
	API        API
	Edge       Edge
	Staff      Staff
	Console    Console
	Functions  Functions
	Routes     []awsapigatewayv2.HttpRoute
	Streams    Streams
	Topics     Topics
	Logs       Logs
	Backup     Backup
	Schedules  Schedules
	Monitoring Monitoring
}

// NewPrivacyStack builds the service from the topology. It fails, rather
// than deploying something that differs from what runs locally, when the
// topology names a function, variable or auth kind the stack cannot honour.
func NewPrivacyStack(scope constructs.Construct, id string, props PrivacyStackProps) (*PrivacyStack, error) {
	if err := props.Config.Validate(); err != nil {
		return nil, err
	}
	service, table, assets := props.shapes()
	stack := newStack(scope, id, props.StackProps)
	if err := edgeRegion(stack); err != nil {
		return nil, err
	}

	data := newData(stack, "Data", table, props.Config)
	logs := newLogs(stack, "Logs", props.Config)
	backup, err := newBackup(stack, "Backup", data, props.Config, retentionZone(service))
	if err != nil {
		return nil, err
	}
	mail := newMail(stack, "Mail", props.Config.MailFrom)
	api := newAPI(stack, "Api", props.Config, service.Routes, logs)
	edge := newEdge(stack, "Edge", api)

	fns, err := newFunctions(stack, "Functions", functionsProps{
		Defs:          service.Functions,
		AssetRoot:     assets,
		Config:        props.Config,
		PublicBaseURL: publicBaseURL(props.Config, edge),
		EdgeSecret:    edge.Secret.SecretValue().UnsafeUnwrap(),
		Table:         table,
		Data:          data,
		Mail:          mail,
		Logs:          logs,
		Systems:       props.systems(),
	})
	if err != nil {
		return nil, err
	}
	staff := newStaff(stack, "Staff", props.Config, consoleBase(props.Config, edge))
	routes, err := api.route(service.Routes, fns, staff)
	if err != nil {
		return nil, err
	}
	streams, err := newStreams(stack, "Stream", service.Streams, data, fns)
	if err != nil {
		return nil, err
	}
	topics, err := newServiceTopics(stack, service.Topics, data, fns, &mail)
	if err != nil {
		return nil, err
	}
	scheduled, err := configuredSchedules(service.Schedules, props.Config)
	if err != nil {
		return nil, err
	}
	schedules, err := newSchedules(stack, "Schedule", scheduled, fns)
	if err != nil {
		return nil, err
	}

	suppressFunctionDLQs(fns, service)

	monitoring := newMonitoring(stack, "Monitoring", monitoringProps{
		Email:     props.Config.PrivacyTeamEmail,
		API:       api,
		Functions: fns,
		Streams:   streams,
		Topics:    topics,
		Schedules: schedules,
	})

	console, err := newConsole(stack, "Console", consoleProps{Dir: props.consoleDir(), Edge: edge, Staff: staff, Logs: logs})
	if err != nil {
		return nil, err
	}
	addOutputs(stack, api, edge, data)
	addMessagingOutputs(stack, topics, mail)
	addStaffOutputs(stack, staff)

	return &PrivacyStack{
		Stack:      stack,
		Data:       data,
		Mail:       mail,
		API:        api,
		Edge:       edge,
		Staff:      staff,
		Console:    console,
		Functions:  fns,
		Routes:     routes,
		Streams:    streams,
		Topics:     topics,
		Logs:       logs,
		Backup:     backup,
		Schedules:  schedules,
		Monitoring: monitoring,
	}, nil
}

// shapes are the service, table and asset root the stack is built from:
// p's or, where they leave them out, the defaults.
func (p PrivacyStackProps) shapes() (topology.Service, topology.Table, string) {
	service := topology.ClariTru
	if p.Service != nil {
		service = *p.Service
	}
	table := topology.PrivacyTable
	if p.Table != nil {
		table = *p.Table
	}
	assets := p.AssetRoot
	if assets == "" {
		assets = defaultAssetRoot
	}
	return service, table, assets
}

// retentionZone is the time zone of the retention sweep's schedule, in
// which the daily backup is timed after it; UTC when it has none.
func retentionZone(service topology.Service) string {
	for _, s := range service.Schedules {
		if s.Function == retentionFunction && s.Timezone != "" {
			return s.Timezone
		}
	}
	return "UTC"
}

// consoleDir is where the console's pages are.
func (p PrivacyStackProps) consoleDir() string {
	if p.ConsoleDir != "" {
		return p.ConsoleDir
	}
	return defaultConsoleDir
}

// systems is the register whose webhook keys the stack grants.
func (p PrivacyStackProps) systems() *reach.Register {
	if p.Systems != nil {
		return p.Systems
	}
	return reach.Systems()
}

// newStack creates the stack, with the service's description unless the
// props give one.
func newStack(scope constructs.Construct, id string, sprops awscdk.StackProps) awscdk.Stack {
	if sprops.Description == nil {
		sprops.Description = jsii.String("ClariTru privacy rights service: data rights requests, opt-outs, consent records")
	}
	return awscdk.NewStack(scope, jsii.String(id), &sprops)
}

// edgeRegion refuses a stack pinned to a region other than us-east-1: the
// edge's web ACL (scope CLOUDFRONT) can only be created there, so the
// deployment would fail halfway. An environment-agnostic stack is checked
// by CloudFormation at deploy time; the README says where to deploy.
func edgeRegion(stack awscdk.Stack) error {
	r := stack.Region()
	if r == nil || *awscdk.Token_IsUnresolved(r) || *r == edgeRegionName {
		return nil
	}
	return fmt.Errorf("stack region %s: the edge's AWS WAF web ACL (CloudFront scope) can only be created in %s; deploy the stack there", *r, edgeRegionName)
}

// publicBaseURL is the configured public base URL or, when none is, the
// edge's address: mail links lead through the firewall like the forms.
func publicBaseURL(cfg Config, edge Edge) *string {
	if cfg.PublicBaseURL != "" {
		return jsii.String(cfg.PublicBaseURL)
	}
	return edge.URL
}

// addMessagingOutputs adds what an installation sets up outside the stack
// with: the two-way SMS topic and the configuration set.
func addMessagingOutputs(stack awscdk.Stack, topics Topics, mail Mail) {
	awscdk.NewCfnOutput(stack, jsii.String("SmsInboundTopicArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("The two-way SMS topic: set it as the two-way channel of the number texts are sent from"),
		Value:       topics.ByName[topology.TopicSMSInbound].Topic.TopicArn(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("MailConfigurationSet"), &awscdk.CfnOutputProps{
		Description: jsii.String("The SES configuration set the notifier sends with; its events reach the inbound function"),
		Value:       mail.ConfigSet.ConfigurationSetName(),
	})
}

// consoleBase is the public base URL the console is served under, without
// a trailing slash.
func consoleBase(cfg Config, edge Edge) *string {
	if cfg.PublicBaseURL != "" {
		return jsii.String(strings.TrimSuffix(cfg.PublicBaseURL, "/"))
	}
	return edge.URL
}

// addStaffOutputs adds what an admin needs to create staff accounts and
// what staff open to sign in.
func addStaffOutputs(stack awscdk.Stack, staff Staff) {
	awscdk.NewCfnOutput(stack, jsii.String("StaffUserPoolId"), &awscdk.CfnOutputProps{
		Description: jsii.String("The staff user pool: create accounts in it and add each to one privacy-* group"),
		Value:       staff.Pool.UserPoolId(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("StaffClientId"), &awscdk.CfnOutputProps{
		Description: jsii.String("The console's app client (the audience of staff access tokens)"),
		Value:       staff.Client.UserPoolClientId(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ConsoleUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("The staff console: staff sign in here with password and authenticator code"),
		Value:       staff.ConsoleURL,
	})
}

// addOutputs adds the stack's outputs: the public and staff addresses and
// the table's name.
func addOutputs(stack awscdk.Stack, api API, edge Edge, data Data) {
	awscdk.NewCfnOutput(stack, jsii.String("PublicUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Public address of the privacy API, behind CloudFront and AWS WAF (the website's forms post here)"),
		Value:       edge.URL,
	})
	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("The API's own endpoint: machine routes, signed with SigV4, and staff routes with a staff access token (public routes answer only through PublicUrl)"),
		Value:       api.HTTP.Url(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Description: jsii.String("The privacy records table"),
		Value:       data.Table.TableName(),
	})
}
