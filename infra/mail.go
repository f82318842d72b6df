package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// sesService is the principal of Amazon SES.
const sesService = "ses.amazonaws.com"

// Mail is the SES sender identity of the confirmation mails the policy
// promises (every request, opt-out and consent is answered by mail), and
// the configuration set the notifier sends with.
type Mail struct {
	From     string
	Identity awsses.EmailIdentity
	// ConfigSet publishes each mail's bounce, complaint, reject and
	// delivery to the mail events topic, which the inbound function
	// consumes: an address that bounces or complains is marked
	// undeliverable, and staff see why a person got no answer.
	ConfigSet awsses.ConfigurationSet
	// ConfigSetArn is the set's ARN: SES authorises a send on it too.
	ConfigSetArn *string
	Events       awsses.ConfigurationSetEventDestination
}

// mailEvents are the events the configuration set publishes.
var mailEvents = []awsses.EmailSendingEvent{
	awsses.EmailSendingEvent_BOUNCE,
	awsses.EmailSendingEvent_COMPLAINT,
	awsses.EmailSendingEvent_REJECT,
	awsses.EmailSendingEvent_DELIVERY,
}

// newMail registers the sender address with SES and builds the
// configuration set. SES mails a verification link to the address once;
// until it is clicked (and while the account is in the SES sandbox)
// sending is refused and the stream retries the mail.
func newMail(scope constructs.Construct, id, from string) Mail {
	c := constructs.NewConstruct(scope, jsii.String(id))
	identity := awsses.NewEmailIdentity(c, jsii.String("Sender"), &awsses.EmailIdentityProps{
		Identity: awsses.Identity_Email(jsii.String(from)),
	})
	set := awsses.NewConfigurationSet(c, jsii.String("ConfigurationSet"), &awsses.ConfigurationSetProps{
		// Mail carries request details: only to servers that take it
		// over TLS. One that does not gets no mail, and SES reports it.
		TlsPolicy:         awsses.ConfigurationSetTlsPolicy_REQUIRE,
		ReputationMetrics: jsii.Bool(true),
		SendingEnabled:    jsii.Bool(true),
		// SES itself stops mailing an address that bounced or complained
		// (the account's suppression list), besides the service's mark.
		SuppressionReasons: awsses.SuppressionReasons_BOUNCES_AND_COMPLAINTS,
	})
	arn := awscdk.Stack_Of(c).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ses"),
		Resource:     jsii.String("configuration-set"),
		ResourceName: set.ConfigurationSetName(),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
	return Mail{From: from, Identity: identity, ConfigSet: set, ConfigSetArn: arn}
}

// eventsTopic is the topic SES publishes the configuration set's events to:
// SES of this account, for this configuration set only. (The event
// destination adds the topic's statement for SES itself, with the same
// conditions; the key's is added here.)
func (m Mail) eventsTopic(scope constructs.Construct) topicSpec {
	return topicSpec{scope: constructs.NewConstruct(scope, jsii.String("MailEvents")), publisher: publisher{
		topicID: "Topic", displayName: "ClariTru mail events", keyDescription: "ClariTru SES mail events topic",
		service: sesService, keySid: "SesPublishesTheEventsOfTheConfigurationSet",
		conditions: &map[string]any{"StringEquals": map[string]any{
			"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID(),
			"aws:SourceArn":     m.ConfigSetArn,
		}},
	}}
}

// publishEvents sends the configuration set's events to topic.
func (m *Mail) publishEvents(topic awssns.Topic) {
	events := mailEvents
	m.Events = m.ConfigSet.AddEventDestination(jsii.String("Events"), &awsses.ConfigurationSetEventDestinationOptions{
		Destination: awsses.EventDestination_SnsTopic(topic),
		Events:      &events,
	})
}

// grantSend lets role send as the identity with the configuration set:
// with a configuration set named, SES authorises the call on both.
func (m Mail) grantSend(role awsiam.Role) {
	m.Identity.GrantSendEmail(role)
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ses:SendEmail", "ses:SendRawEmail"),
		Resources: &[]*string{m.ConfigSetArn},
	}))
}
