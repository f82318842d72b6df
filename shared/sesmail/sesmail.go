// Package sesmail is the mail adapter: it sends rendered mail with the SES v1
// SendEmail API.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsses "github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/notifier"
)

// Sender implements notifier.Sender.
type Sender struct {
	client *awsses.Client
	from   string
}

var _ notifier.Sender = (*Sender)(nil)

// The SES client gives up on one mail within a few seconds (three
// attempts, at most a second apart): the notifier sends a batch of ten in
// one invocation of 30 s, and a mail that fails is retried by the stream
// and the re-drive, not by waiting here.
const (
	sendAttempts   = 3
	sendMaxBackoff = time.Second
)

// Client returns the SES client; endpoint overrides AWS's (the local
// stand-in), empty keeps it.
func Client(cfg aws.Config, endpoint string) *awsses.Client {
	return awsses.NewFromConfig(cfg, func(o *awsses.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.Retryer = retry.NewStandard(func(r *retry.StandardOptions) {
			r.MaxAttempts = sendAttempts
			r.MaxBackoff = sendMaxBackoff
		})
	})
}

// NewSender returns a Sender that sends from the given (verified) address.
func NewSender(client *awsses.Client, from string) *Sender {
	return &Sender{client: client, from: from}
}

// Send implements notifier.Sender. Errors carry only the SES error code, never
// the message text, which can quote the recipient's address.
func (s *Sender) Send(ctx context.Context, to string, m mail.Message) (string, error) {
	utf8 := aws.String("UTF-8")
	out, err := s.client.SendEmail(ctx, &awsses.SendEmailInput{
		Source:      aws.String(s.from),
		Destination: &types.Destination{ToAddresses: []string{to}},
		Message: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: utf8},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(m.Text), Charset: utf8},
				Html: &types.Content{Data: aws.String(m.HTML), Charset: utf8},
			},
		},
	})
	if err != nil {
		if code, ok := rejected(err); ok {
			return "", &notifier.Rejected{Code: code}
		}
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			return "", fmt.Errorf("ses SendEmail: %s", apiErr.ErrorCode())
		}
		var opErr *smithy.OperationError
		if errors.As(err, &opErr) {
			return "", fmt.Errorf("ses SendEmail failed: %T", opErr.Unwrap())
		}
		return "", errors.New("ses SendEmail failed")
	}
	return aws.ToString(out.MessageId), nil
}

// invalidParameter is the code SES answers for a parameter it cannot take
// (a malformed or non-ASCII address: "Missing final '@domain'", "Illegal
// address"); the SDK models no type for it, so it is told by its code.
const invalidParameter = "InvalidParameterValue"

// rejected reports whether SES refused this mail for good, and the error
// code to record: MessageRejected (the address or the message is refused)
// and a parameter SES cannot take are about this mail and fail the same
// way every time. What concerns the account, not the mail
// (AccountSendingPausedException, MailFromDomainNotVerifiedException, a
// configuration set missing or paused), throttling and 5xx pass once
// fixed or over, so they are retried.
func rejected(err error) (string, bool) {
	var msg *types.MessageRejected
	if errors.As(err, &msg) {
		return msg.ErrorCode(), true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == invalidParameter {
		return invalidParameter, true
	}
	return "", false
}
