package ddb

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/settings"
)

func opErr(err error) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem", Err: err}
}

func responseErr(status int) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      errors.New("api error"),
	}}
}

func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		name string
		err  error
		want fault.Kind
	}{
		{"connection refused", opErr(&smithyhttp.RequestSendError{Err: refused}), fault.Unavailable},
		{"retry quota spent", opErr(errors.Join(&smithyhttp.RequestSendError{Err: refused}, ratelimit.QuotaExceededError{})), fault.Unavailable},
		{"internal server error", opErr(&types.InternalServerError{}), fault.Unavailable},
		{"503", opErr(responseErr(503)), fault.Unavailable},
		{"deadline", opErr(&smithy.CanceledError{Err: context.DeadlineExceeded}), fault.Unavailable},
		{"throttled", opErr(&types.ProvisionedThroughputExceededException{}), fault.TooMany},
		{"400 validation", opErr(responseErr(400)), fault.Internal},
		{"resource not found", opErr(&types.ResourceNotFoundException{}), fault.Internal},
		{"plain", errors.New("item too large"), fault.Internal},
	}
	for _, tt := range tests {
		if got := fault.KindOf(classify(tt.err)); got != tt.want {
			t.Errorf("%s: kind %d, want %d", tt.name, got, tt.want)
		}
	}
	if classify(nil) != nil {
		t.Error("classify(nil) is an error")
	}
}

// TestUnreachableTableIsUnavailableQuickly: the table's client as the
// functions build it (settings), against a port nothing listens on, gives
// up well inside a Lambda timeout, and the store calls it Unavailable.
func TestUnreachableTableIsUnavailableQuickly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	env := settings.Env{
		AWS:   aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")},
		Table: "down", DynamoDBEndpoint: "http://127.0.0.1:" + strconv.Itoa(port),
	}
	db := env.DynamoDB()
	start := time.Now()
	_, err = NewOutbox(db, env.Table).RedriveStale(context.Background(), time.Now(), 10)
	took := time.Since(start)
	if fault.KindOf(err) != fault.Unavailable {
		t.Fatalf("err = %v, want Unavailable", err)
	}
	if took > 5*time.Second {
		t.Errorf("gave up after %v; a handler has 10 s in all", took)
	}
}
