package sesmail_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/sesmail"
)

// sesAnswer is an SES (query protocol) endpoint that answers every call
// with the given status and error code, and an error message that quotes the
// recipient, as SES's own messages do.
func sesAnswer(t *testing.T, status int, code string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "text/xml")
		if status == http.StatusOK {
			fmt.Fprint(w, `<SendRawEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendRawEmailResult><MessageId>m-1</MessageId></SendRawEmailResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></SendRawEmailResponse>`)
			return
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>%s</Code><Message>Address rejected: %s</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
			code, r.Form.Get("Destinations.member.1"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func send(t *testing.T, endpoint string) (string, error) {
	t.Helper()
	cfg := aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
		RetryMaxAttempts: 1,
	}
	s := sesmail.NewSender(sesmail.Client(cfg, endpoint), "privacy@claritru.example")
	return s.Send(context.Background(), "ada@example.com", mail.Message{Subject: "S", Text: "T", HTML: "<p>T</p>"})
}

func TestSendDelivers(t *testing.T) {
	id, err := send(t, sesAnswer(t, http.StatusOK, ""))
	if err != nil || id != "m-1" {
		t.Fatalf("Send = %q, %v; want m-1", id, err)
	}
}

// TestPermanentErrorsAreRejected: SES refusing the mail itself is final
// (notifier.Rejected, with the code); what concerns the account, throttling
// and SES's own faults are not, so the notifier retries them. No error
// quotes the address SES's message names.
func TestPermanentErrorsAreRejected(t *testing.T) {
	tests := []struct {
		status int
		code   string
		final  bool
	}{
		{400, "MessageRejected", true},
		{400, "InvalidParameterValue", true},
		{400, "AccountSendingPausedException", false},
		{400, "MailFromDomainNotVerifiedException", false},
		{400, "ConfigurationSetSendingPausedException", false},
		{400, "Throttling", false},
		{500, "InternalFailure", false},
		{503, "ServiceUnavailable", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			_, err := send(t, sesAnswer(t, tt.status, tt.code))
			if err == nil {
				t.Fatal("no error")
			}
			var rej *notifier.Rejected
			if got := errors.As(err, &rej); got != tt.final {
				t.Fatalf("rejected for good = %v, want %v (err %v)", got, tt.final, err)
			}
			if tt.final && rej.Code != tt.code {
				t.Errorf("code %q, want %q", rej.Code, tt.code)
			}
			if !strings.Contains(err.Error(), tt.code) && tt.status < 500 {
				t.Errorf("error %q does not name the code %s", err, tt.code)
			}
			if strings.Contains(err.Error(), "ada@example.com") {
				t.Errorf("error %q quotes the address", err)
			}
		})
	}
}
