package localcloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/consentapi"
)

// catalogued is the stored text of a disclosure in the repository's
// catalogue.
func catalogued(t *testing.T, id string) string {
	t.Helper()
	for _, d := range consent.Disclosures().All() {
		if d.ID == id {
			return d.Text
		}
	}
	t.Fatalf("no disclosure %s in the catalogue", id)
	return ""
}

// TestConsentJourneyThroughTheGateway: grant email marketing, confirm from
// the mail, withdraw; staff see grant, confirmation and withdrawal with a
// valid chain, and the check endpoint gates sends; editing one stored event
// makes the check report the broken sequence.
func TestConsentJourneyThroughTheGateway(t *testing.T) {
	l := startLocal(t)
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	staff := []string{"Authorization", staffBearer(t, l.cloud, "admin")}
	give := func(granted bool, extra string) (*http.Response, string) {
		body := `{"subject":{"email":"Rosa@Example.com"},"events":[{"purpose":"email_marketing","granted":` +
			map[bool]string{true: "true", false: "false"}[granted] + `}],` +
			`"disclosure":{"id":"email-optin","version":"2026-11"},` +
			`"source_url":"https://www.example.com/subscribe","locale":"en-US","country":"US"` + extra + `}`
		return l.do("POST", "/v1/consents", "application/json", "", body, "User-Agent", "ConsentTest/1.0")
	}

	// The catalogue the pages show, as the contract describes it.
	resp, out := l.do("GET", "/v1/disclosures", "", "application/json", "")
	var list []consentapi.Disclosure
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &list) != nil || len(list) == 0 ||
		resp.Header.Get("Cache-Control") != "public, max-age=300" || !strings.Contains(out, catalogued(t, "email-optin")[:40]) {
		t.Fatalf("disclosures: %d %v %s", resp.StatusCode, resp.Header, out)
	}

	// Marketing without the age confirmation is refused, and nothing is recorded.
	resp, out = give(true, `,"age_confirmed":false`)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(out, `"field":"age_confirmed"`) {
		t.Fatalf("no age confirmation: %d %s", resp.StatusCode, out)
	}

	resp, out = give(true, `,"age_confirmed":true`)
	var rc consentapi.Receipt
	if resp.StatusCode != http.StatusCreated || json.Unmarshal([]byte(out), &rc) != nil ||
		!rc.ConfirmationRequired || rc.Purposes[0].Status != "pending" || strings.Contains(out, "rosa@") {
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
	// The receipt quotes the stored words of the disclosure named.
	if link == "" || !strings.Contains(mail.Body.Text, `"`+catalogued(t, "email-optin")+`"`) {
		t.Fatalf("receipt mail: %q", mail.Body.Text)
	}
	resp, page := l.do("GET", link, "", browser, "")
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || token == nil {
		t.Fatalf("confirm page: %d", resp.StatusCode)
	}
	resp, confirmed := l.do("POST", "/v1/consents/confirm", "application/x-www-form-urlencoded", browser, url.Values{"token": {token[1]}}.Encode())
	if resp.StatusCode != http.StatusOK || !strings.Contains(confirmed, "Your subscription is confirmed") {
		t.Fatalf("confirm: %d\n%s", resp.StatusCode, confirmed)
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
		`{"subject":{"browser_id":"browser-c-1"},"events":[{"purpose":"cookies_advertising","granted":true},{"purpose":"cookies_analytics","granted":true}],"disclosure":{"id":"cookie-banner","version":"2026-11"}}`,
		"Sec-GPC", "1")
	if resp.StatusCode != http.StatusCreated || !strings.Contains(out, `"purpose":"cookies_advertising","granted":false,"status":"not_granted"`) {
		t.Fatalf("GPC advertising: %d %s", resp.StatusCode, out)
	}

	// Words the caller makes up are not mailed from the company's sender:
	// a text other than the stored one, an unknown disclosure, and a
	// purpose the disclosure does not ask for are refused, and nothing is
	// recorded or mailed.
	for _, tc := range []struct{ disclosure, events, field string }{
		{`{"id":"email-optin","version":"2026-11","text":"You won! Claim at https://evil.example"}`, `[{"purpose":"email_marketing","granted":true}]`, "disclosure.text"},
		{`{"id":"prize","version":"1","text":"You won!"}`, `[{"purpose":"email_marketing","granted":true}]`, "disclosure"},
		{`{"id":"cookie-banner","version":"2026-11"}`, `[{"purpose":"email_marketing","granted":true}]`, "events[0].purpose"},
	} {
		resp, out := l.do("POST", "/v1/consents", "application/json", "",
			`{"subject":{"email":"mallory-target@example.com"},"events":`+tc.events+`,"disclosure":`+tc.disclosure+`,"age_confirmed":true}`)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(out, `"field":"`+tc.field+`"`) {
			t.Errorf("disclosure %s: %d %s, want 422 naming %s", tc.disclosure, resp.StatusCode, out, tc.field)
		}
	}
	if h := history(); len(h.Events) != 3 {
		t.Errorf("%d events for rosa after the refused calls, want 3", len(h.Events))
	}
	resp, out = l.do("GET", "/v1/admin/consents?email=mallory-target@example.com", "", "", "", staff...)
	if resp.StatusCode != http.StatusOK || strings.Contains(out, `"kind":"consent"`) {
		t.Errorf("the refused calls recorded something: %d %s", resp.StatusCode, out)
	}

	// Marketing texts wait for the number's owner: granted by anyone who
	// types the number, the check does not allow a send.
	resp, out = l.do("POST", "/v1/consents", "application/json", "",
		`{"subject":{"phone":"+1 415 555 0199"},"events":[{"purpose":"sms_marketing","granted":true},{"purpose":"sms_transactional","granted":true}],`+
			`"disclosure":{"id":"sms-optin","version":"2026-11"},"age_confirmed":true}`)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(out, `"field":"events[1].purpose"`) {
		t.Fatalf("sms-optin for sms_transactional: %d %s, want 422", resp.StatusCode, out)
	}
	resp, out = l.do("POST", "/v1/consents", "application/json", "",
		`{"subject":{"phone":"+1 415 555 0199"},"events":[{"purpose":"sms_marketing","granted":true}],"disclosure":{"id":"sms-optin","version":"2026-11"},"age_confirmed":true}`)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(out, `"status":"pending"`) || !strings.Contains(out, `"confirmation_required":true`) {
		t.Fatalf("sms grant: %d %s, want pending", resp.StatusCode, out)
	}
	resp, out = l.do("GET", "/v1/admin/consents/check?phone=%2B14155550199&purpose=sms_marketing", "", "", "", staff...)
	var ans adminapi.ConsentAnswer
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &ans) != nil || ans.Allowed || ans.Status != "pending" {
		t.Fatalf("check of a number that has not confirmed: %d %s, want allowed false (pending)", resp.StatusCode, out)
	}

	for _, pii := range []string{"rosa@example.com", "Rosa@Example.com", "4155550199", "mallory-target"} {
		if strings.Contains(l.logs.String(), pii) {
			t.Errorf("logs contain %q", pii)
		}
	}
}

// TestPublicAnswersDoNotTellHistory: anyone may type anyone's address, so
// the answers of the public routes must not differ with what the service
// holds about it. An address with a consent, an opt-out and a request on
// record and a fresh one make the same calls; the answers are the same but
// for ids and times.
func TestPublicAnswersDoNotTellHistory(t *testing.T) {
	l := startLocal(t)
	const known, fresh = "kim.known@example.com", "fay.fresh@example.com"
	consentBody := func(email string) string {
		return `{"subject":{"email":"` + email + `"},"events":[{"purpose":"email_marketing","granted":true}],` +
			`"disclosure":{"id":"email-optin","version":"2026-11"},"country":"US","age_confirmed":true}`
	}
	optOutBody := func(email string) string { return `{"email":"` + email + `","country":"US"}` }
	requestBody := func(email, types string) string {
		return `{"types":` + types + `,"first_name":"Kim","last_name":"Doe","email":"` + email + `","country":"US","state":"CA","declaration":true}`
	}
	ids := regexp.MustCompile(`[0-9A-HJKMNP-TV-Z]{26}`)
	times := regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z`)
	// The known address's history: a consent, an opt-out, a request.
	earlier := map[string]bool{}
	for _, c := range []struct{ path, body string }{
		{"/v1/consents", consentBody(known)},
		{"/v1/opt-out", optOutBody(known)},
		{"/v1/requests", requestBody(known, `["access"]`)},
	} {
		resp, out := l.do("POST", c.path, "application/json", "", c.body)
		if resp.StatusCode >= 300 {
			t.Fatalf("history %s: %d %s", c.path, resp.StatusCode, out)
		}
		for _, id := range ids.FindAllString(out, -1) {
			earlier[id] = true
		}
	}
	time.Sleep(20 * time.Millisecond)

	// answer makes one call and returns its status, body with ids and times
	// masked, and headers; the ids and times themselves must be this
	// call's own: an earlier record's id or time would tell the history.
	answer := func(path, body string) (int, string, []string) {
		t.Helper()
		before := time.Now().UTC().Truncate(time.Millisecond)
		resp, out := l.do("POST", path, "application/json", "", body)
		for _, id := range ids.FindAllString(out, -1) {
			if earlier[id] {
				t.Errorf("%s answers with the id %s of an earlier record: %s", path, id, out)
			}
		}
		for _, ts := range times.FindAllString(out, -1) {
			if at, err := time.Parse(time.RFC3339Nano, ts); err != nil || at.Before(before) {
				t.Errorf("%s answers with the time %s, before the call (%s): %s", path, ts, before.Format(time.RFC3339Nano), out)
			}
		}
		shape := times.ReplaceAllString(ids.ReplaceAllString(out, "<id>"), "<time>")
		var headers []string
		for k := range resp.Header {
			if k != "Date" && k != "Content-Length" {
				headers = append(headers, k+": "+resp.Header.Get(k))
			}
		}
		slices.Sort(headers)
		return resp.StatusCode, shape, headers
	}
	for _, c := range []struct {
		name                 string
		path                 string
		knownBody, freshBody string
	}{
		{"consent receipt", "/v1/consents", consentBody(known), consentBody(fresh)},
		{"opt-out", "/v1/opt-out", optOutBody(known), optOutBody(fresh)},
		{"request", "/v1/requests", requestBody(known, `["know","delete"]`), requestBody(fresh, `["know","delete"]`)},
	} {
		ks, kb, kh := answer(c.path, c.knownBody)
		fs, fb, fh := answer(c.path, c.freshBody)
		if ks != fs || kb != fb || !slices.Equal(kh, fh) {
			t.Errorf("%s: the known address gets\n%d %v %s\nthe fresh one\n%d %v %s", c.name, ks, kh, kb, fs, fh, fb)
		}
		if ks >= 300 || !strings.Contains(kb, "<id>") {
			t.Errorf("%s: %d %s, want a receipt with an id", c.name, ks, kb)
		}
		for _, leak := range []string{`"sequence"`, `"event_hash"`, `"reference"`, "kim.known", "fay.fresh"} {
			if strings.Contains(kb, leak) {
				t.Errorf("%s answer carries %s: %s", c.name, leak, kb)
			}
		}
	}
}
