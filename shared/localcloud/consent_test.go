package localcloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/consentapi"
)

// TestConsentJourneyThroughTheGateway: grant email marketing, confirm from
// the mail, withdraw; staff see grant, confirmation and withdrawal with a
// valid chain, and the check endpoint gates sends; editing one stored event
// makes the check report the broken sequence.
func TestConsentJourneyThroughTheGateway(t *testing.T) {
	l := startLocal(t)
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	staff := []string{"Authorization", "Bearer " + adminToken}
	give := func(granted bool, extra string) (*http.Response, string) {
		body := `{"subject":{"email":"Rosa@Example.com"},"events":[{"purpose":"email_marketing","granted":` +
			map[bool]string{true: "true", false: "false"}[granted] + `}],` +
			`"disclosure":{"id":"email-optin","version":"2026-11","text":"Send me ClariTru news and offers by email. I can unsubscribe at any time."},` +
			`"source_url":"https://www.example.com/subscribe","locale":"en-US","country":"US"` + extra + `}`
		return l.do("POST", "/v1/consents", "application/json", "", body, "User-Agent", "ConsentTest/1.0")
	}

	// Marketing without the age confirmation is refused, and nothing is recorded.
	resp, out := give(true, `,"age_confirmed":false`)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(out, `"field":"age_confirmed"`) {
		t.Fatalf("no age confirmation: %d %s", resp.StatusCode, out)
	}

	resp, out = give(true, `,"age_confirmed":true`)
	var rc consentapi.Receipt
	if resp.StatusCode != http.StatusCreated || json.Unmarshal([]byte(out), &rc) != nil ||
		!rc.ConfirmationRequired || rc.Purposes[0].Status != "pending" || rc.Purposes[0].Sequence != 1 || strings.Contains(out, "rosa@") {
		t.Fatalf("grant: %d %s", resp.StatusCode, out)
	}
	check := func(want bool) {
		t.Helper()
		resp, out := l.do("GET", "/v1/admin/consents/check?email=rosa@example.com&purpose=email_marketing", "", "", "", staff...)
		var ans adminapi.ConsentAnswer
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &ans) != nil || ans.Allowed != want {
			t.Fatalf("check: %d %s, want allowed=%v", resp.StatusCode, out, want)
		}
	}
	check(false) // pending until confirmed

	mail := waitForMail(t, l.cloud.SES.Endpoint, "rosa@example.com", "Your consent receipt")
	link := regexp.MustCompile(`https?://\S+/v1/consents/confirm\?token=[A-Za-z0-9_-]+`).FindString(mail.Body.Text)
	if link == "" || !strings.Contains(mail.Body.Text, "Send me ClariTru news and offers by email.") {
		t.Fatalf("receipt mail: %q", mail.Body.Text)
	}
	resp, page := l.do("GET", link, "", browser, "")
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || token == nil {
		t.Fatalf("confirm page: %d", resp.StatusCode)
	}
	resp, _ = l.do("POST", "/v1/consents/confirm", "application/x-www-form-urlencoded", browser, url.Values{"token": {token[1]}}.Encode())
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "status=confirmed") {
		t.Fatalf("confirm: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	check(true)
	resp, _ = l.do("POST", "/v1/consents/confirm", "application/json", "", `{"token":"`+token[1]+`"}`)
	if resp.StatusCode != http.StatusGone {
		t.Fatalf("second confirm: %d, want 410", resp.StatusCode)
	}

	// Withdrawing is the same call with granted:false, and needs nothing more.
	resp, out = give(false, "")
	if resp.StatusCode != http.StatusCreated || !strings.Contains(out, `"status":"withdrawn"`) {
		t.Fatalf("withdraw: %d %s", resp.StatusCode, out)
	}
	check(false)

	history := func() adminapi.History {
		t.Helper()
		resp, out := l.do("GET", "/v1/admin/consents?email=rosa@example.com", "", "", "", staff...)
		var h adminapi.History
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &h) != nil {
			t.Fatalf("history: %d %s", resp.StatusCode, out)
		}
		return h
	}
	h := history()
	var kinds []string
	for _, e := range h.Events {
		kinds = append(kinds, e.Kind+":"+e.Fields["status"])
	}
	if strings.Join(kinds, ",") != "consent:pending,consent_confirmed:granted,consent:withdrawn" || !h.Chain.Valid ||
		h.Head.Seq != 3 || h.Events[0].Fields["user_agent"] != "ConsentTest/1.0" || h.Events[0].Fields["ip"] == "" {
		t.Fatalf("history %v, chain %+v, head %+v, first %v", kinds, h.Chain, h.Head, h.Events[0].Fields)
	}

	// Someone edits the confirmation directly in the table: the check
	// reports sequence 2.
	db := l.cloud.Settings.DynamoDB()
	_, err := db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(l.cloud.Settings.Table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "SUBJ#" + h.Subject.Reference},
			"sk": &types.AttributeValueMemberS{Value: "LEDGER#000000000002"},
		},
		UpdateExpression:          aws.String("SET #at = :at"),
		ExpressionAttributeNames:  map[string]string{"#at": "at"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: "2020-01-01T00:00:00.000Z"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if h := history(); h.Chain.Valid || h.Chain.BrokenAt != 2 {
		t.Fatalf("after tampering: chain %+v, want broken at 2", h.Chain)
	}

	// Bad input names the field; a GPC browser's advertising grant is not granted.
	resp, out = l.do("POST", "/v1/consents", "application/json", "", `{"subject":{"browser_id":"browser-c-1"},"events":[{"purpose":"cookies_tracking","granted":"yes"}],"disclosure":{"id":"b","version":"1","text":"t"}}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(out, `events[0].granted`) {
		t.Fatalf("bad event: %d %s", resp.StatusCode, out)
	}
	resp, out = l.do("POST", "/v1/consents", "application/json", "",
		`{"subject":{"browser_id":"browser-c-1"},"events":[{"purpose":"cookies_advertising","granted":true},{"purpose":"cookies_analytics","granted":true}],"disclosure":{"id":"cookie-banner","version":"2026-11","text":"We use cookies."}}`,
		"Sec-GPC", "1")
	if resp.StatusCode != http.StatusCreated || !strings.Contains(out, `"purpose":"cookies_advertising","granted":false,"status":"not_granted"`) {
		t.Fatalf("GPC advertising: %d %s", resp.StatusCode, out)
	}
	for _, pii := range []string{"rosa@example.com", "Rosa@Example.com"} {
		if strings.Contains(l.logs.String(), pii) {
			t.Errorf("logs contain %q", pii)
		}
	}
}
