package localcloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// reply texts the service from a phone through the sink, as its owner would.
func reply(t *testing.T, l *local, from, body string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"from": from, "body": body})
	resp, err := http.Post(l.cloud.SMS.Endpoint+"/inbound", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("reply %q: %d", body, resp.StatusCode)
	}
}

// countTexts counts the texts to a number whose body contains s.
func countTexts(t *testing.T, l *local, to, s string) int {
	t.Helper()
	n := 0
	for _, m := range localtest.TextsTo(t, l.cloud.SMS.Endpoint, to) {
		if strings.Contains(m.Body, s) {
			n++
		}
	}
	return n
}

// waitTexts waits until n texts to a number contain s.
func waitTexts(t *testing.T, l *local, to, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for countTexts(t, l, to, s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d texts to %s say %q, want %d\n%s", countTexts(t, l, to, s), to, s, n, l.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSMSJourney: subscribe to marketing texts, read the code in the sink,
// confirm, and the check allows; STOP in the sink and it does not, with a
// ledger event per SMS purpose and one confirmation text; HELP gets its
// reply; a repeated STOP changes and sends nothing; START restores the
// confirmed grant; STOP from an unknown number is answered the same and
// START there grants nothing. Every response is checked against the
// contract, and the logs hold no number, code or body.
func TestSMSJourney(t *testing.T) {
	l := startLocal(t)
	ctx := context.Background()
	const number, e164 = "(415) 555-0177", "+14155550177"
	const stopText, helpText = "no more texts from us", "Msg & data rates may apply"
	check := func(purpose string) adminapi.ConsentAnswer {
		return consentCheck(ctx, t, l.cloud, "phone", number, purpose)
	}

	give := func(purpose, disclosure string) string {
		body := `{"subject":{"phone":"` + number + `"},"events":[{"purpose":"` + purpose + `","granted":true}],` +
			`"disclosure":{"id":"` + disclosure + `","version":"2026-11"},"source_url":"https://www.example.com/subscribe","country":"US","age_confirmed":true}`
		resp, out := l.do("POST", "/v1/consents", "application/json", "", body)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("subscribe %s: %d %s", purpose, resp.StatusCode, out)
		}
		return out
	}
	give("sms_transactional", "sms-service")
	if out := give("sms_marketing", "sms-optin"); !strings.Contains(out, `"confirmation_required":true`) {
		t.Fatalf("subscribe: %s", out)
	}
	if a := check("sms_marketing"); a.Allowed || a.Status != "pending" {
		t.Fatalf("before the code: %+v", a)
	}
	text := localtest.WaitForText(t, l.cloud.SMS.Endpoint, e164, nil)
	m := regexp.MustCompile(`\b([0-9]{6})\b`).FindStringSubmatch(text.Body)
	if m == nil || !strings.Contains(text.Body, "ClariTru") || !strings.Contains(text.Body, "Reply STOP") {
		t.Fatalf("code text %q", text.Body)
	}
	code := m[1]

	// A wrong code and a number with nothing pending get the same answer.
	wrong := "000000"
	if code == wrong {
		wrong = "999999"
	}
	resp, out1 := l.do("POST", "/v1/consents/confirm", "application/json", "", `{"phone":"`+number+`","code":"`+wrong+`"}`)
	resp2, out2 := l.do("POST", "/v1/consents/confirm", "application/json", "", `{"phone":"+14155550100","code":"`+wrong+`"}`)
	if resp.StatusCode != http.StatusUnprocessableEntity || resp2.StatusCode != http.StatusUnprocessableEntity ||
		out1 != out2 || !strings.Contains(out1, `"field":"code"`) {
		t.Fatalf("wrong code: %d %s; unknown number: %d %s", resp.StatusCode, out1, resp2.StatusCode, out2)
	}
	resp, out := l.do("POST", "/v1/consents/confirm", "application/json", "", `{"phone":"`+number+`","code":"`+code+`"}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, `"purpose":"sms_marketing"`) {
		t.Fatalf("confirm: %d %s", resp.StatusCode, out)
	}
	if a := check("sms_marketing"); !a.Allowed {
		t.Fatalf("after the code: %+v, want allowed", a)
	}

	// STOP, with words around it: every SMS purpose ends at once.
	events := len(consentHistory(ctx, t, l.cloud, "phone", number).Events)
	reply(t, l, e164, "Please stop texting me")
	for _, p := range []string{"sms_marketing", "sms_transactional"} {
		if a := check(p); a.Allowed || a.Status != "withdrawn" {
			t.Errorf("%s after STOP: %+v, want withdrawn", p, a)
		}
	}
	h := consentHistory(ctx, t, l.cloud, "phone", number)
	if len(h.Events) != events+2 || !h.Chain.Valid {
		t.Fatalf("history after STOP: %d events (was %d), chain %+v", len(h.Events), events, h.Chain)
	}
	for _, e := range h.Events[events:] {
		if e.Kind != "consent" || e.Fields["channel"] != "sms_reply" || e.Fields["status"] != "withdrawn" || e.Fields["keyword"] != "STOP" {
			t.Errorf("STOP event %s %v", e.Kind, e.Fields)
		}
	}
	waitTexts(t, l, e164, stopText, 1)

	reply(t, l, e164, "help")
	waitTexts(t, l, e164, helpText, 2) // the code text says it too

	// STOP again: nothing changes, nothing is sent (the HELP after it
	// arrives, the STOP confirmation does not).
	reply(t, l, e164, "STOP")
	reply(t, l, e164, "HELP")
	waitTexts(t, l, e164, helpText, 3)
	if n := countTexts(t, l, e164, stopText); n != 1 {
		t.Errorf("%d STOP confirmations, want 1", n)
	}
	if n := len(consentHistory(ctx, t, l.cloud, "phone", number).Events); n != events+2 {
		t.Errorf("a repeated STOP changed the ledger: %d events, want %d", n, events+2)
	}

	// START restores what the number confirmed.
	reply(t, l, e164, "START")
	if a := check("sms_marketing"); !a.Allowed {
		t.Errorf("sms_marketing after START: %+v, want allowed", a)
	}

	// A number the service never knew: the same answer, a withdrawal on
	// record (keyed hash only), and START grants nothing.
	const stranger = "+14155550166"
	reply(t, l, stranger, "UNSUBSCRIBE")
	waitTexts(t, l, stranger, stopText, 1)
	if a := consentCheck(ctx, t, l.cloud, "phone", stranger, "sms_marketing"); a.Allowed || a.Status != "withdrawn" {
		t.Errorf("unknown number after STOP: %+v", a)
	}
	reply(t, l, stranger, "start")
	if a := consentCheck(ctx, t, l.cloud, "phone", stranger, "sms_marketing"); a.Allowed {
		t.Errorf("unknown number after START: %+v, want not allowed", a)
	}
	sh := consentHistory(ctx, t, l.cloud, "phone", stranger)
	if len(sh.Events) != 2 || !sh.Chain.Valid {
		t.Errorf("unknown number's history: %d events, want the two withdrawals", len(sh.Events))
	}

	// A browser form post confirms too, and says so.
	const other = "+14155550155"
	body := `{"subject":{"phone":"` + other + `"},"events":[{"purpose":"sms_marketing","granted":true}],` +
		`"disclosure":{"id":"sms-optin","version":"2026-11"},"country":"US","age_confirmed":true}`
	if resp, out := l.do("POST", "/v1/consents", "application/json", "", body); resp.StatusCode != http.StatusCreated {
		t.Fatalf("subscribe %s: %d %s", other, resp.StatusCode, out)
	}
	text = localtest.WaitForText(t, l.cloud.SMS.Endpoint, other, nil)
	form := url.Values{"phone": {other}, "code": {regexp.MustCompile(`\b([0-9]{6})\b`).FindStringSubmatch(text.Body)[1]}}
	resp, confirmed := l.do("POST", "/v1/consents/confirm", "application/x-www-form-urlencoded", "text/html", form.Encode())
	if resp.StatusCode != http.StatusOK || !strings.Contains(confirmed, "marketing text messages") {
		t.Errorf("form confirm: %d\n%s", resp.StatusCode, confirmed)
	}
	if a := consentCheck(ctx, t, l.cloud, "phone", other, "sms_marketing"); !a.Allowed {
		t.Errorf("after the form's code: %+v", a)
	}

	// The sink's store lists the replies too.
	var st struct {
		Texts   []localcloud.SMSText  `json:"texts"`
		Replies []localcloud.SMSReply `json:"replies"`
	}
	r, err := http.Get(l.cloud.SMS.Endpoint + "/store")
	if err != nil || json.NewDecoder(r.Body).Decode(&st) != nil || len(st.Replies) != 7 {
		t.Errorf("store: %v, %d replies", err, len(st.Replies))
	}
	r.Body.Close()

	logs := l.logs.String()
	for _, s := range []string{"4155550177", "4155550166", "texting me", "UNSUBSCRIBE"} {
		if strings.Contains(logs, s) {
			t.Errorf("the logs carry %q", s)
		}
	}
}
