package localcloud_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// A withdrawal that reached staff by phone, letter or email is recorded
// with its channel and the staff member: the check answers not allowed at
// once and the history shows how it came. Staff cannot record a grant, and
// a refused body records nothing.
func TestStaffRecordedWithdrawal(t *testing.T) {
	l := startLocal(t)
	staff := map[string]string{"Authorization": staffBearer(t, l.cloud, "admin")}
	const browser = "browser-staff-w-1"
	if code, out, err := post(l, "/v1/consents", `{"subject":{"browser_id":"`+browser+`"},"events":[{"purpose":"cookies_analytics","granted":true}],`+
		`"disclosure":{"id":"cookie-banner","version":"2026-11"}}`, nil); err != nil || code != http.StatusCreated {
		t.Fatalf("grant: %d %s %v", code, out, err)
	}
	var check adminapi.ConsentAnswer
	staffJSON(t, l, "/v1/admin/consents/check?browser_id="+browser+"&purpose=cookies_analytics", &check)
	if !check.Allowed {
		t.Fatalf("check before the withdrawal: %+v", check)
	}
	var before adminapi.History
	staffJSON(t, l, "/v1/admin/consents?browser_id="+browser, &before)

	for body, field := range map[string]string{
		`{"subject":{"browser_id":"` + browser + `"},"events":[{"purpose":"cookies_analytics","granted":true}],"channel":"phone"}`:                                "events[0].granted",
		`{"subject":{"browser_id":"` + browser + `"},"events":[{"purpose":"cookies_analytics","granted":false}],"channel":"fax"}`:                                 "channel",
		`{"subject":{"browser_id":"` + browser + `"},"events":[{"purpose":"cookies_tasty","granted":false}],"channel":"phone"}`:                                   "events[0].purpose",
		`{"subject":{},"events":[{"purpose":"cookies_analytics","granted":false}],"channel":"phone"}`:                                                             "subject",
		`{"subject":{"browser_id":"` + browser + `"},"events":[{"purpose":"cookies_analytics","granted":false}],"channel":"email","note":"from ada@example.com"}`: "note",
	} {
		code, out, err := post(l, "/v1/admin/consents", body, staff)
		if err != nil || code != http.StatusBadRequest || !strings.Contains(out, `"field":"`+field) {
			t.Errorf("%s: %d %s, want 400 naming %s", body, code, out, field)
		}
	}
	// A purpose is withdrawn only on the identifier it is checked by: an
	// SMS purpose needs the number, an email one the address.
	for body, field := range map[string]string{
		`{"subject":{"email":"ada@example.com"},"events":[{"purpose":"sms_marketing","granted":false}],"channel":"phone"}`: "subject.phone",
		`{"subject":{"phone":"+14155550123"},"events":[{"purpose":"email_marketing","granted":false}],"channel":"letter"}`: "subject.email",
	} {
		code, out, err := post(l, "/v1/admin/consents", body, staff)
		if err != nil || code != http.StatusUnprocessableEntity || !strings.Contains(out, `"field":"`+field) {
			t.Errorf("%s: %d %s, want 422 naming %s", body, code, out, field)
		}
	}
	if code, _, _ := post(l, "/v1/admin/consents", `{"subject":{"browser_id":"`+browser+`"},"events":[{"purpose":"cookies_analytics","granted":false}],"channel":"phone"}`, nil); code != http.StatusUnauthorized {
		t.Errorf("without staff credentials: %d, want 401", code)
	}
	var mid adminapi.History
	staffJSON(t, l, "/v1/admin/consents?browser_id="+browser, &mid)
	if len(mid.Events) != len(before.Events) {
		t.Fatalf("refused bodies recorded %d events", len(mid.Events)-len(before.Events))
	}

	code, out, err := post(l, "/v1/admin/consents", `{"subject":{"browser_id":"`+browser+`"},"events":[{"purpose":"cookies_analytics","granted":false}],`+
		`"channel":"letter","note":"Letter of 3 March asking us to stop analytics."}`, staff)
	var rec adminapi.RecordedWithdrawal
	if err != nil || code != http.StatusCreated || json.Unmarshal([]byte(out), &rec) != nil || rec.Actor != "admin" || rec.Channel != "letter" ||
		len(rec.Purposes) != 1 || rec.Purposes[0].Status != "withdrawn" {
		t.Fatalf("record: %d %s %v", code, out, err)
	}
	staffJSON(t, l, "/v1/admin/consents/check?browser_id="+browser+"&purpose=cookies_analytics", &check)
	if check.Allowed || check.Status != "withdrawn" {
		t.Fatalf("check after the withdrawal: %+v", check)
	}
	var after adminapi.History
	staffJSON(t, l, "/v1/admin/consents?browser_id="+browser, &after)
	last := after.Events[len(after.Events)-1]
	if len(after.Events) != len(before.Events)+1 || last.Fields["channel"] != "letter" || last.Fields["recorded_by"] != "admin" ||
		last.Fields["status"] != "withdrawn" || last.Fields["receipt_id"] != rec.ReceiptID || !after.Chain.Valid {
		t.Fatalf("history after the withdrawal: %+v", after)
	}
}

// A code is texted to US numbers only: an SMS grant for another number is
// refused before anything is recorded or texted (SMS pumping: anyone can
// type a premium number into the form).
func TestNoCodeTextedAbroad(t *testing.T) {
	l := startLocal(t)
	for _, n := range []string{"+18765550123", "+442071838750"} {
		code, out, err := post(l, "/v1/consents", `{"subject":{"phone":"`+n+`"},"events":[{"purpose":"sms_marketing","granted":true}],`+
			`"disclosure":{"id":"sms-optin","version":"2026-11"},"age_confirmed":true}`, nil)
		if err != nil || code != http.StatusUnprocessableEntity || !strings.Contains(out, `"field":"subject.phone"`) {
			t.Errorf("%s: %d %s, want 422 naming subject.phone", n, code, out)
		}
	}
	drained(t, l)
	if texts := localtest.Texts(t, l.cloud.SMS.Endpoint); len(texts) != 0 {
		t.Fatalf("texts sent: %+v", texts)
	}
}
