package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

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
}

// PrivacyStack is the whole service in one stack, split by concern into
// constructs (data, functions, api, mail, schedules, monitoring).
type PrivacyStack struct {
	Stack      awscdk.Stack
	Data       Data
	Mail       Mail
	API        API
	Functions  Functions
	Routes     []awsapigatewayv2.HttpRoute
	Streams    Streams
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
	service := topology.ClariTru
	if props.Service != nil {
		service = *props.Service
	}
	table := topology.PrivacyTable
	if props.Table != nil {
		table = *props.Table
	}
	assets := props.AssetRoot
	if assets == "" {
		assets = defaultAssetRoot
	}
	sprops := props.StackProps
	if sprops.Description == nil {
		sprops.Description = jsii.String("ClariTru privacy rights service: data rights requests, opt-outs, consent records")
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &sprops)

	data := newData(stack, "Data", table)
	mail := newMail(stack, "Mail", props.Config.MailFrom)
	api := newAPI(stack, "Api", props.Config, service.Routes)

	baseURL := api.Endpoint
	if props.Config.PublicBaseURL != "" {
		baseURL = jsii.String(props.Config.PublicBaseURL)
	}
	fns, err := newFunctions(stack, "Functions", functionsProps{
		Defs:          service.Functions,
		AssetRoot:     assets,
		Config:        props.Config,
		PublicBaseURL: baseURL,
		Data:          data,
		Mail:          mail,
	})
	if err != nil {
		return nil, err
	}
	routes, err := api.route(service.Routes, fns)
	if err != nil {
		return nil, err
	}
	streams, err := newStreams(stack, "Stream", service.Streams, data, fns)
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

	monitoring := newMonitoring(stack, "Monitoring", monitoringProps{
		Email:     props.Config.PrivacyTeamEmail,
		API:       api,
		Functions: fns,
		Streams:   streams,
		Schedules: schedules,
	})

	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Base URL of the privacy API (the website's forms post here)"),
		Value:       api.HTTP.Url(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Description: jsii.String("The privacy records table"),
		Value:       data.Table.TableName(),
	})

	return &PrivacyStack{
		Stack:      stack,
		Data:       data,
		Mail:       mail,
		API:        api,
		Functions:  fns,
		Routes:     routes,
		Streams:    streams,
		Schedules:  schedules,
		Monitoring: monitoring,
	}, nil
}
