package localcloud_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/consentapi"
	"github.com/claritru/privacy/shared/optoutapi"
)

// TestChoicesAfterOptOuts: one answer to "may we?" through the gateway and
// DynamoDB Local, the staff check and the browser's own GET /v1/choices
// alike, every answer checked against the OpenAPI document. An advertising
// grant is overridden by a later opt-out made on the Do Not Sell page
// without the signal; an opt-out spreads to an email linked earlier, which
// ad_audiences then refuses; a limit request refuses sensitive_data.
func TestChoicesAfterOptOuts(t *testing.T) {
	t.Parallel()
	l := startLocal(t)
	staff := []string{"Authorization", staffBearer(t, l.cloud, "admin")}
	check := func(key, value, purpose string) adminapi.ConsentAnswer {
		t.Helper()
		resp, out := l.do("GET", "/v1/admin/consents/check?"+url.Values{key: {value}, "purpose": {purpose}}.Encode(), "", "", "", staff...)
		var ans adminapi.ConsentAnswer
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &ans) != nil {
			t.Fatalf("check %s %s: %d %s", key, purpose, resp.StatusCode, out)
		}
		return ans
	}
	choicesOf := func(browser string, headers ...string) (consentapi.Choices, map[string]consentapi.Choice) {
		t.Helper()
		resp, out := l.do("GET", "/v1/choices?browser_id="+browser, "", "", "", headers...)
		var c consentapi.Choices
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &c) != nil {
			t.Fatalf("choices: %d %s", resp.StatusCode, out)
		}
		by := map[string]consentapi.Choice{}
		for _, p := range c.Purposes {
			by[p.Purpose] = p
		}
		return c, by
	}
	optOut := func(body string) time.Time {
		t.Helper()
		resp, out := l.do("POST", "/v1/opt-out", "application/json", "", body)
		var rc optoutapi.Receipt
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &rc) != nil {
			t.Fatalf("opt-out %s: %d %s", body, resp.StatusCode, out)
		}
		return rc.EffectiveAt
	}

	// Accept all on the banner, for one browser.
	const browser = "choices-browser-1"
	body := fmt.Sprintf(`{"subject":{"browser_id":%q},"events":[`+
		`{"purpose":"cookies_functional","granted":true},{"purpose":"cookies_analytics","granted":true},{"purpose":"cookies_advertising","granted":true}],`+
		`"disclosure":{"id":"cookie-banner","version":"2026-11"},"source_url":"https://www.example.com/cookies-demo.html"}`, browser)
	if resp, out := l.do("POST", "/v1/consents", "application/json", "", body); resp.StatusCode != http.StatusCreated {
		t.Fatalf("consent: %d %s", resp.StatusCode, out)
	}
	if ans := check("browser_id", browser, "cookies_advertising"); !ans.Allowed || ans.Reason != "consent_granted" {
		t.Fatalf("advertising before the opt-out: %+v, want allowed", ans)
	}
	c, by := choicesOf(browser)
	if c.OptedOut || c.GPC || !by["cookies_advertising"].Allowed || !by["ad_audiences"].Allowed || by["ad_audiences"].Reason != "not_opted_out" {
		t.Fatalf("choices before the opt-out: %+v", c)
	}
	// The same browser asking with the signal: advertising refused for
	// this request, nothing recorded.
	c, by = choicesOf(browser, "Sec-GPC", "1")
	if c.OptedOut || !c.GPC || by["cookies_advertising"].Allowed || by["cookies_advertising"].Reason != "gpc" ||
		by["ad_audiences"].Reason != "gpc" || !by["cookies_analytics"].Allowed {
		t.Fatalf("choices with Sec-GPC: %+v", c)
	}

	// The Do Not Sell page's form for this browser, without the signal.
	at := optOut(fmt.Sprintf(`{"browser_id":%q}`, browser))
	ans := check("browser_id", browser, "cookies_advertising")
	if ans.Allowed || ans.Reason != "opted_out" || ans.Status != "granted" || ans.OptedOutAt == nil || !ans.OptedOutAt.Equal(at) ||
		ans.Since == nil || !ans.Since.Equal(at) || ans.LimitedAt != nil {
		t.Fatalf("advertising after the opt-out: %+v, want refused as opted_out at %v", ans, at)
	}
	if ans := check("browser_id", browser, "cookies_analytics"); !ans.Allowed {
		t.Fatalf("analytics after the opt-out: %+v, want allowed (not sale or sharing)", ans)
	}
	c, by = choicesOf(browser)
	if !c.OptedOut || c.OptedOutAt == nil || !c.OptedOutAt.Equal(at) || by["cookies_advertising"].Allowed ||
		by["cookies_advertising"].Reason != "opted_out" || by["ad_audiences"].Allowed || !by["cookies_functional"].Allowed {
		t.Fatalf("choices after the opt-out: %+v", c)
	}

	// An email and a phone linked by a limit request; the opt-out of the
	// phone alone spreads to the email.
	const email, phone = "linked.choices@example.com", "+14155550142"
	resp, out := l.do("POST", "/v1/requests", "application/json", "", `{"types":["limit_sensitive"],"first_name":"Lin","last_name":"Ked",`+
		`"email":"`+email+`","phone":"`+phone+`","country":"US","state":"CA","declaration":true}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("limit request: %d %s", resp.StatusCode, out)
	}
	for _, key := range []string{"email", "phone"} {
		value := map[string]string{"email": email, "phone": phone}[key]
		if ans := check(key, value, "sensitive_data"); ans.Allowed || ans.Reason != "limited" || ans.Status != "limited" || ans.LimitedAt == nil || ans.OptedOutAt != nil {
			t.Fatalf("sensitive_data of the %s after the limit: %+v", key, ans)
		}
		if ans := check(key, value, "ad_audiences"); !ans.Allowed || ans.Reason != "not_opted_out" {
			t.Fatalf("ad_audiences of the %s after a limit alone: %+v, want allowed", key, ans)
		}
	}
	if ans := check("browser_id", browser, "sensitive_data"); !ans.Allowed {
		t.Fatalf("sensitive_data of an unlimited browser: %+v", ans)
	}
	at = optOut(`{"phone":"` + phone + `"}`)
	ans = check("email", email, "ad_audiences")
	if ans.Allowed || ans.Reason != "opted_out" || ans.Status != "opted_out" || ans.OptedOutAt == nil || !ans.OptedOutAt.Equal(at) {
		t.Fatalf("ad_audiences of the linked email: %+v, want refused as opted_out at %v", ans, at)
	}

	// An id nobody used: the same shape, nothing recorded.
	c, by = choicesOf("never-used-browser")
	if c.OptedOut || c.OptedOutAt != nil || len(c.Purposes) != 4 || by["cookies_advertising"].Allowed ||
		by["cookies_advertising"].Status != "none" || by["cookies_advertising"].Since != nil || !by["ad_audiences"].Allowed {
		t.Fatalf("choices of an unknown browser: %+v", c)
	}
}

// TestChoicesRefusesBadQueries: the browser id is required, well formed
// and given once; an unknown purpose is refused by the staff check.
func TestChoicesRefusesBadQueries(t *testing.T) {
	t.Parallel()
	l := startLocal(t)
	for _, q := range []string{"", "?browser_id=short", "?browser_id=abcdefgh1&browser_id=abcdefgh2", "?browser_id=%ff%fe%fdabcdefgh"} {
		resp, out := l.do("GET", "/v1/choices"+q, "", "", "")
		if resp.StatusCode != http.StatusBadRequest || !jsonHasField(out, "browser_id") {
			t.Errorf("GET /v1/choices%s: %d %s, want 400 naming browser_id", q, resp.StatusCode, out)
		}
	}
	resp, out := l.do("GET", "/v1/admin/consents/check?browser_id=abcdefgh1&purpose=opt_out", "", "", "", "Authorization", staffBearer(t, l.cloud, "admin"))
	if resp.StatusCode != http.StatusBadRequest || !jsonHasField(out, "purpose") {
		t.Errorf("check of an unknown purpose: %d %s, want 400 naming purpose", resp.StatusCode, out)
	}
}

// jsonHasField reports whether a problem document names field.
func jsonHasField(doc, field string) bool {
	var p struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return false
	}
	for _, e := range p.Errors {
		if e.Field == field {
			return true
		}
	}
	return false
}
