package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// smsService is the principal of AWS End User Messaging SMS.
const smsService = "sms-voice.amazonaws.com"

// grantSendText lets role send texts with End User Messaging SMS. The
// action is authorised on the origination identity, the configuration set
// and the opt-out list a call uses; the numbers are bought and registered
// outside the stack (carrier registration), so their ARNs are not known
// here: the grant is scoped to this account and region.
func grantSendText(role awsiam.Role) {
	stack := awscdk.Stack_Of(role)
	arn := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("sms-voice"), Resource: jsii.String("*")})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sms-voice:SendTextMessage"),
		Resources: &[]*string{arn},
	}))
	suppressPolicyWildcards(role,
		"sms-voice:SendTextMessage is authorised on the origination identity, configuration set and opt-out "+
			"list of each call; the phone numbers are registered outside the stack, so the grant is scoped to "+
			"this account and region's End User Messaging SMS resources.",
		"Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:*")
}
