// Package sesmail is the mail adapter: it sends rendered mail with the SES v1
// SendRawEmail API, the one that takes headers of the sender's own
// (List-Unsubscribe, List-Unsubscribe-Post).
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/claritru/privacy/shared/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	// ConfigurationSet, when set, is the SES configuration set every mail
	// is sent with: it publishes the mail's bounces and complaints to the
	// topic the inbound function takes (topology.TopicMailEvents).
	ConfigurationSet string
	// Now stamps the Date header; nil is time.Now.
	Now func() time.Time
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

var _ notifier.Sender = (*Sender)(nil)

// Client returns the SES client; endpoint overrides AWS's (the local
// stand-in), empty keeps it.
func Client(cfg aws.Config, endpoint string) *awsses.Client {
	return awsses.NewFromConfig(cfg, func(o *awsses.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		// Give up within seconds: the stream and the re-drive retry.
		o.Retryer = settings.SendRetryer()
	})
}

// NewSender returns a Sender that sends from the given (verified) address.
func NewSender(client *awsses.Client, from string) *Sender {
	return &Sender{client: client, from: from}
}

// Send implements notifier.Sender. Errors carry only the SES error code, never
// the message text, which can quote the recipient's address.
func (s *Sender) Send(ctx context.Context, to string, m mail.Message) (string, error) {
	raw, err := Raw(s.from, to, m, s.now())
	if errors.Is(err, errHeader) {
		// SES refuses such an address the same way every time.
		return "", &notifier.Rejected{Code: invalidParameter}
	}
	if err != nil {
		return "", err
	}
	in := &awsses.SendRawEmailInput{
		Source:       aws.String(s.from),
		Destinations: []string{to},
		RawMessage:   &types.RawMessage{Data: raw},
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	out, err := s.client.SendRawEmail(ctx, in)
	if err != nil {
		if code, ok := rejected(err); ok {
			return "", &notifier.Rejected{Code: code}
		}
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			return "", fmt.Errorf("ses SendRawEmail: %s", apiErr.ErrorCode())
		}
		var opErr *smithy.OperationError
		if errors.As(err, &opErr) {
			return "", fmt.Errorf("ses SendRawEmail failed: %T", opErr.Unwrap())
		}
		return "", errors.New("ses SendRawEmail failed")
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
