package ddb_test

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/notifierstream"
)

// change is a stream record as the notifier's stream adapter hands it to
// Outbox.Decode.
func change(t *testing.T, r events.DynamoDBEventRecord) ddb.Change {
	t.Helper()
	c, err := notifierstream.Change(r)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
