// Package smssend is the text message adapter: it sends rendered texts with
// AWS End User Messaging SMS (pinpointsmsvoicev2 SendTextMessage).
package smssend

import (
	"context"
	"errors"
	"fmt"

	"github.com/claritru/privacy/shared/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/smithy-go"

	"github.com/claritru/privacy/shared/notifier"
)

// Sender implements notifier.TextSender.
type Sender struct {
	client *sms.Client
	origin string
	config string
}

var _ notifier.TextSender = (*Sender)(nil)

// Client returns the End User Messaging SMS client; endpoint overrides
// AWS's (the local SMS sink), empty keeps it.
func Client(cfg aws.Config, endpoint string) *sms.Client {
	return sms.NewFromConfig(cfg, func(o *sms.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		// Give up within seconds: the stream and the re-drive retry.
		o.Retryer = settings.SendRetryer()
	})
}

// NewSender returns a Sender that sends from an origination identity (a
// phone number, pool or sender id of the account; empty lets the service
// pick one) under a configuration set (empty: none).
func NewSender(client *sms.Client, origin, configurationSet string) *Sender {
	return &Sender{client: client, origin: origin, config: configurationSet}
}

// SendText implements notifier.TextSender. Errors carry only the error code
// and reason, never the message, which can quote the number.
func (s *Sender) SendText(ctx context.Context, to, body string) (string, error) {
	in := &sms.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(to),
		MessageBody:            aws.String(body),
		// Every text the service sends is about the person's own choices
		// (a code, HELP, the STOP confirmation): transactional.
		MessageType: types.MessageTypeTransactional,
	}
	if s.origin != "" {
		in.OriginationIdentity = aws.String(s.origin)
	}
	if s.config != "" {
		in.ConfigurationSetName = aws.String(s.config)
	}
	out, err := s.client.SendTextMessage(ctx, in)
	if err != nil {
		if code, ok := rejected(err); ok {
			return "", &notifier.Rejected{Code: code}
		}
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			return "", fmt.Errorf("sms SendTextMessage: %s", apiErr.ErrorCode())
		}
		return "", errors.New("sms SendTextMessage failed")
	}
	return aws.ToString(out.MessageId), nil
}

// rejected reports whether the service refused this text for good, and the
// code to record: the number opted out with the carrier or the service
// (it stays so until it opts in again, which only the person can do), and
// a number or message the service cannot take (ValidationException). What
// concerns the account (spending limit, throttling, no origination
// identity: ServiceQuotaExceeded, Throttling, AccessDenied,
// ResourceNotFound) passes once fixed, so it is retried.
func rejected(err error) (string, bool) {
	var conflict *types.ConflictException
	if errors.As(err, &conflict) && conflict.Reason == types.ConflictExceptionReasonDestinationPhoneNumberOptedOut {
		return conflict.ErrorCode() + ":" + string(conflict.Reason), true
	}
	var invalid *types.ValidationException
	if errors.As(err, &invalid) {
		return invalid.ErrorCode() + ":" + string(invalid.Reason), true
	}
	return "", false
}
