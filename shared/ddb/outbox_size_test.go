package ddb_test

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
)

// What a mail item leaves out of the table (its id, a recipient key in hex,
// the request id of a request's mail, a greeting name past its cap) the
// notifier gets back: the intent it decodes from the stream is the one
// queued, the name cut as rendering cuts it.
func TestMailItemDecodesToTheIntentQueued(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	c := sampleCreation("D1")
	key := strings.Repeat("0f", 32)
	name := strings.Repeat("Maximiliana", 5)
	c.Mail.RecipientKey = key
	c.Mail.Data = map[string]string{"first_name": name, "request_id": "D1", "verify_url": "https://api.example/v1/verify?token=secret"}
	queued := c.Mail
	queued.Data = maps.Clone(c.Mail.Data)
	if err := ddb.NewRequests(db, table).Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	item := getItem(t, db, table, "REQ#D1", "MAIL#D1-m1")
	data := item["data"].(*types.AttributeValueMemberM).Value
	if _, ok := data["request_id"]; ok || item["id"] != nil || item["recipient_key"] != nil || item["attempts"] != nil {
		t.Errorf("the mail item stores what it can derive: %v", item)
	}
	recs, err := localcloud.StreamRecords(ctx, db, localcloud.StreamsClient(localtest.DynamoDBEndpoint()), table)
	if err != nil {
		t.Fatal(err)
	}
	o := ddb.NewOutbox(db, table)
	var got []mail.Intent
	for _, r := range recs {
		in, _, ok, err := o.Decode(ctx, change(t, r))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, in)
		}
	}
	queued.Data["first_name"] = mail.FirstName(name)
	if len(got) != 1 || got[0].ID != queued.ID || got[0].RecipientKey != key || got[0].To != queued.To ||
		!maps.Equal(got[0].Data, queued.Data) || got[0].Data["first_name"] == name {
		t.Fatalf("decoded %+v, queued %+v", got, queued)
	}
}
