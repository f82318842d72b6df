package smssend

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/claritru/privacy/shared/notifier"
)

// server answers SendTextMessage in the AWS JSON 1.0 protocol with status
// and body, and records the requests it saw.
func server(t *testing.T, status int, body string, seen *[]map[string]any) *Sender {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("X-Amz-Target"); got != "PinpointSMSVoiceV2.SendTextMessage" {
			t.Errorf("X-Amz-Target = %q", got)
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
			t.Error("request is not signed")
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("body %q: %v", b, err)
		}
		*seen = append(*seen, m)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	return NewSender(Client(cfg, srv.URL), "+12515550100", "claritru")
}

func TestSendText(t *testing.T) {
	var seen []map[string]any
	s := server(t, 200, `{"MessageId":"msg-1"}`, &seen)
	id, err := s.SendText(context.Background(), "+12025550123", "ClariTru: hello")
	if err != nil || id != "msg-1" {
		t.Fatalf("SendText = %q, %v", id, err)
	}
	want := map[string]any{"DestinationPhoneNumber": "+12025550123", "MessageBody": "ClariTru: hello",
		"MessageType": "TRANSACTIONAL", "OriginationIdentity": "+12515550100", "ConfigurationSetName": "claritru"}
	for k, v := range want {
		if seen[0][k] != v {
			t.Errorf("%s = %v, want %v", k, seen[0][k], v)
		}
	}
}

// An opted-out or invalid number is refused for good; an account's
// trouble and throttling are not, and no error quotes the number.
func TestSendTextErrors(t *testing.T) {
	cases := []struct {
		status   int
		body     string
		rejected string
	}{
		{400, `{"__type":"ConflictException","Message":"+12025550123 opted out","Reason":"DESTINATION_PHONE_NUMBER_OPTED_OUT"}`, "ConflictException:DESTINATION_PHONE_NUMBER_OPTED_OUT"},
		{400, `{"__type":"ValidationException","Message":"bad +12025550123","Reason":"INVALID_PARAMETER"}`, "ValidationException:INVALID_PARAMETER"},
		{400, `{"__type":"ServiceQuotaExceededException","Message":"spend limit","Reason":"MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"}`, ""},
		{400, `{"__type":"AccessDeniedException","Message":"no"}`, ""},
	}
	for _, c := range cases {
		var seen []map[string]any
		s := server(t, c.status, c.body, &seen)
		_, err := s.SendText(context.Background(), "+12025550123", "x")
		if err == nil {
			t.Fatalf("%s: no error", c.body)
		}
		var rej *notifier.Rejected
		switch {
		case c.rejected != "" && (!errors.As(err, &rej) || rej.Code != c.rejected):
			t.Errorf("%s: err = %v, want rejected %s", c.body, err, c.rejected)
		case c.rejected == "" && errors.As(err, &rej):
			t.Errorf("%s: rejected for good (%v), want a retryable error", c.body, err)
		}
		if strings.Contains(err.Error(), "5550123") {
			t.Errorf("error quotes the number: %v", err)
		}
	}
}
