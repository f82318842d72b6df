package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Mail is the SES sender identity of the confirmation mails the policy
// promises: every request, opt-out and consent is answered by mail.
type Mail struct {
	From     string
	Identity awsses.EmailIdentity
}

// newMail registers the sender address with SES. SES mails a verification
// link to the address once; until it is clicked (and while the account is in
// the SES sandbox) sending is refused and the stream retries the mail.
func newMail(scope constructs.Construct, id, from string) Mail {
	c := constructs.NewConstruct(scope, jsii.String(id))
	identity := awsses.NewEmailIdentity(c, jsii.String("Sender"), &awsses.EmailIdentityProps{
		Identity: awsses.Identity_Email(jsii.String(from)),
	})
	return Mail{From: from, Identity: identity}
}
