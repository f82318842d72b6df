// Package localtest gives a test package its own DynamoDB Local and SES
// stand-in, started once by TestMain and stopped when the package's tests end,
// so packages can run in parallel without sharing state.
package localtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awsses "github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/topology"
)

var dynamo, ses *localcloud.Process

// Main starts DynamoDB Local (and the SES stand-in when withSES), runs the
// tests, and stops what it started. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(localtest.Main(m, true)) }
func Main(m *testing.M, withSES bool) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root, err := localcloud.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, "localtest:", err)
		return 1
	}
	dynamo, err = localcloud.OnFreePort(func(port int) (*localcloud.Process, error) {
		return localcloud.StartDynamoDB(ctx, root, port, "", nil)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "localtest: DynamoDB Local:", err)
		return 1
	}
	defer dynamo.Stop()
	if withSES {
		ses, err = localcloud.OnFreePort(func(port int) (*localcloud.Process, error) {
			return localcloud.StartSES(ctx, root, port, nil)
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "localtest: SES stand-in:", err)
			return 1
		}
		defer ses.Stop()
	}
	return m.Run()
}

// DynamoDB returns a client of the package's DynamoDB Local.
func DynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	if dynamo == nil {
		t.Fatal("DynamoDB Local is not running: call localtest.Main from TestMain")
	}
	return dynamodb.NewFromConfig(localcloud.LocalAWS(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(dynamo.Endpoint)
	})
}

// DynamoDBEndpoint is the package's DynamoDB Local.
func DynamoDBEndpoint() string { return dynamo.Endpoint }

// NewTable creates a table of the service's definition with a unique name.
func NewTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	db := DynamoDB(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "test-" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := ddb.EnsureTable(ctx, db, name, topology.PrivacyTable); err != nil {
		t.Fatal(err)
	}
	return db, name
}

// SES returns a client of the package's SES stand-in.
func SES(t testing.TB) *awsses.Client {
	t.Helper()
	if ses == nil {
		t.Fatal("the SES stand-in is not running: call localtest.Main(m, true)")
	}
	return awsses.NewFromConfig(localcloud.LocalAWS(), func(o *awsses.Options) {
		o.BaseEndpoint = aws.String(ses.Endpoint)
	})
}

// SESEndpoint is the package's SES stand-in.
func SESEndpoint() string { return ses.Endpoint }

// Mail is one mail the SES stand-in received.
type Mail = localcloud.Mail

// Mails returns every mail the given SES stand-in has received.
func Mails(t testing.TB, endpoint string) []Mail {
	t.Helper()
	m, err := localcloud.Mails(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// WaitForMail polls the stand-in until a mail to `to` matching pred arrives.
func WaitForMail(t testing.TB, endpoint, to string, pred func(Mail) bool) Mail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range Mails(t, endpoint) {
			for _, rcpt := range m.Destination.To {
				if rcpt == to && (pred == nil || pred(m)) {
					return m
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no mail to %s arrived within 20s", to)
	return Mail{}
}

// Texts returns every text the SMS sink at endpoint has received.
func Texts(t testing.TB, endpoint string) []localcloud.SMSText {
	t.Helper()
	texts, err := localcloud.Texts(endpoint)
	if err != nil {
		t.Fatalf("SMS sink store: %v", err)
	}
	return texts
}

// TextsTo returns the texts to one number.
func TextsTo(t testing.TB, endpoint, to string) []localcloud.SMSText {
	t.Helper()
	var out []localcloud.SMSText
	for _, m := range Texts(t, endpoint) {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// WaitForText waits up to 20 s for a text to the number that pred accepts
// (nil: any) and returns it.
func WaitForText(t testing.TB, endpoint, to string, pred func(localcloud.SMSText) bool) localcloud.SMSText {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range TextsTo(t, endpoint, to) {
			if pred == nil || pred(m) {
				return m
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no text to %s arrived within 20s", to)
	return localcloud.SMSText{}
}
