package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/topology"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m, false)) }

// mailItemBudget is what a mail item may take here: its entry in the
// outbox index (the item and 100 bytes) within one write unit (1 KB), with
// room for a public base URL 24 characters longer than the service's here
// (http://127.0.0.1) on each of its links.
func mailItemBudget(it Item) int {
	links := 0
	if data, ok := it["data"].(*types.AttributeValueMemberM); ok {
		for _, v := range data.Value {
			if s, ok := v.(*types.AttributeValueMemberS); ok && strings.HasPrefix(s.Value, "http") {
				links++
			}
		}
	}
	return writeUnitBytes - indexEntryOverhead - 24*links
}

// longEmail is an address of n characters (n > 30), the length of a long
// real one (given.middle.family.names@mail.company-name.example).
func longEmail(n int) string {
	return strings.Repeat("m", n-len("@mail.example.com")) + "@mail.example.com"
}

// The mail items of the common kinds, queued by the service from the
// longest inputs its forms take (names at their cap of 100 characters,
// every request type a form offers, every identifier of an opt-out) and an
// address of 64 characters, each fit one write unit with room to spare, and
// so does its outbox index entry (an address may be longer, up to 254
// characters, but hardly is): a mail item is written in its record's
// transaction, where a byte over 1 KB costs two more units.
func TestMailItemsOfEachKindStayUnderOneKB(t *testing.T) {
	ctx := context.Background()
	c := &capture{table: TableOf(topology.PrivacyTable)}
	s, err := startService(ctx, localtest.DynamoDBEndpoint(), c)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.Repeat("Maximiliana", 10)[:100]
	addr := longEmail(64)
	steps := []struct {
		kind, path string
		want       int
		body       string
	}{
		{"request receipt", "/v1/requests", http.StatusAccepted, fmt.Sprintf(`{"types":["know","access","delete","limit_sensitive"],`+
			`"first_name":%q,"last_name":%q,"email":%q,"country":"US","state":"CA","declaration":true}`, name, name, addr)},
		{"opt-out confirmation", "/v1/opt-out", http.StatusOK, fmt.Sprintf(`{"email":%q,"phone":"+12025550143","browser_id":"browser-%s",`+
			`"rights":["opt_out","limit_sensitive"]}`, addr, strings.Repeat("b", 60))},
		{"consent receipt", "/v1/consents", http.StatusCreated, fmt.Sprintf(`{"subject":{"email":%q},"events":[{"purpose":"email_marketing","granted":true}],`+
			`"disclosure":{"id":"email-optin","version":"2026-11"},"source_url":"https://www.example.com/subscribe","country":"US","age_confirmed":true}`, addr)},
	}
	var tokens []string
	for _, st := range steps {
		c.reset()
		if _, err := s.expect(ctx, st.want, "POST", st.path, st.body); err != nil {
			t.Fatalf("%s: %v", st.kind, err)
		}
		checkMailItems(t, c, st.kind, 1)
		if st.kind == "request receipt" {
			tokens = c.find(verifyLink)
		}
	}
	if len(tokens) != 1 {
		t.Fatalf("verification links in the receipt: %d", len(tokens))
	}
	c.reset()
	if _, err := s.expect(ctx, http.StatusOK, "POST", "/v1/verify", `{"token":"`+tokens[0]+`"}`); err != nil {
		t.Fatal(err)
	}
	checkMailItems(t, c, "verification notice", 1)
}

// checkMailItems fails unless the captured writes queued at least want
// mail items, each within its budget.
func checkMailItems(t *testing.T, c *capture, kind string, want int) {
	t.Helper()
	n := 0
	for _, w := range c.writes {
		sk, _ := w.After["sk"].(*types.AttributeValueMemberS)
		if sk == nil || !strings.HasPrefix(sk.Value, "MAIL#") {
			continue
		}
		n++
		size := ItemSize(w.After)
		t.Logf("%s: mail item of %d bytes", kind, size)
		if budget := mailItemBudget(w.After); size > budget {
			t.Errorf("%s: the mail item takes %d bytes, more than %d", kind, size, budget)
		}
	}
	if n < want {
		t.Errorf("%s: %d mail items queued, want %d", kind, n, want)
	}
}
