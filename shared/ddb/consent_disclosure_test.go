package ddb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
)

// A disclosure text is written with the first save given under it only: a
// process that has not seen it stored looks it up (and writes nothing
// then), one that has neither looks nor writes. The text stays retrievable
// by the hash every event keeps.
func TestDisclosureTextIsWrittenOnlyWhenNew(t *testing.T) {
	db, table, m := meteredTable(t)
	keyer := benchKeyer(t)
	ctx := context.Background()
	yes, no := true, false
	in := consent.Input{
		BrowserID: "browser-disclosure-1",
		Choices: []consent.Choice{
			{Purpose: consent.CookiesFunctional, Granted: &yes},
			{Purpose: consent.CookiesAnalytics, Granted: &no},
		},
		Disclosure: &consent.Disclosure{ID: "cookie-banner", Version: "2026-11"},
	}
	d, ok := consent.Disclosures().Find("cookie-banner", "2026-11")
	if !ok {
		t.Fatal("cookie-banner 2026-11 is not in the catalogue")
	}
	// texts counts the writes of the disclosure item in transactions.
	var texts int
	m.watch = func(tx *dynamodb.TransactWriteItemsInput) {
		for _, w := range tx.TransactItems {
			var k map[string]types.AttributeValue
			switch {
			case w.Update != nil:
				k = w.Update.Key
			case w.Put != nil:
				k = w.Put.Item
			}
			if pk, ok := k["pk"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, "DISCLOSURE#") {
				texts++
			}
		}
	}
	save := func(store *ddb.Consents, wantTexts, wantGets int) {
		t.Helper()
		m.reset()
		texts = 0
		svc := consent.NewService(store, consent.Config{Keyer: keyer, Now: time.Now})
		if _, err := svc.Give(ctx, in); err != nil {
			t.Fatal(err)
		}
		gets := 0
		if u := m.by["GetItem"]; u != nil {
			gets = u.calls
		}
		if texts != wantTexts || gets != wantGets {
			t.Errorf("save wrote the text %d times and looked it up %d times, want %d and %d", texts, gets, wantTexts, wantGets)
		}
	}
	first := ddb.NewConsents(db, table)
	save(first, 1, 1)                      // new: looked up, written
	save(first, 0, 0)                      // this process stored it
	save(ddb.NewConsents(db, table), 0, 1) // another process: looked up, not written
	got, found, err := first.Disclosure(ctx, d.SHA256())
	if err != nil || !found || got.Text != d.Text || got.ID != d.ID || got.Version != d.Version {
		t.Fatalf("stored disclosure = %+v, %v, %v", got, found, err)
	}
}
