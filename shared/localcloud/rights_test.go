package localcloud_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/request"
)

// rights drives one local cloud through the GDPR's further rights and a
// structured correction, as the person and as staff.
type rights struct {
	*local
}

func (l rights) staff(method, path, body string, want int) string {
	t := l.t
	t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	resp, out := l.do(method, path, ct, "application/json", body, "Authorization", "Bearer "+adminToken)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, out, want)
	}
	return out
}

// submit posts a JSON request and returns its receipt.
func (l rights) submit(body string) request.Receipt {
	t := l.t
	t.Helper()
	resp, out := l.do("POST", "/v1/requests", "application/json", "application/json", body)
	var rc request.Receipt
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil {
		t.Fatalf("request: %d %s", resp.StatusCode, out)
	}
	return rc
}

// verify follows the link of the receipt mailed to email.
func (l rights) verify(email string) {
	t := l.t
	t.Helper()
	receipt := waitForMail(t, l.cloud.SES.Endpoint, email, "We received your privacy request")
	link, err := url.Parse(regexp.MustCompile(`https?://\S+/v1/verify\?token=[A-Za-z0-9_-]+`).FindString(receipt.Body.Text))
	if err != nil || link.Query().Get("token") == "" {
		t.Fatalf("receipt without a link: %q", receipt.Body.Text)
	}
	if resp, out := l.do("POST", "/v1/verify", "application/json", "application/json", `{"token":"`+link.Query().Get("token")+`"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("verify: %d %s", resp.StatusCode, out)
	}
}

func (l rights) detail(id string) adminapi.RequestDetail {
	var d adminapi.RequestDetail
	if err := json.Unmarshal([]byte(l.staff("GET", "/v1/admin/requests/"+id, "", 200)), &d); err != nil {
		l.t.Fatal(err)
	}
	return d
}

func (l rights) check(key, value, purpose string) adminapi.ConsentAnswer {
	t := l.t
	t.Helper()
	var ans adminapi.ConsentAnswer
	out := l.staff("GET", "/v1/admin/consents/check?"+url.Values{key: {value}, "purpose": {purpose}}.Encode(), "", 200)
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatal(err)
	}
	return ans
}

// TestObjectionStopsMarketingAtOnce: a requester in Germany objects and
// asks for a portable copy and a restriction. Before any verification the
// marketing she had consented to stops (GDPR Art. 21(3)), for the address
// and the number she gave, and she is opted out of sale and sharing; the
// receipt says so; the request waits for verification under the GDPR's
// one-month clock. Verified, it tells the CRM to stop marketing and to
// restrict. A Californian may ask for the same rights: accepted, on the
// CCPA's 45-day clock.
func TestObjectionStopsMarketingAtOnce(t *testing.T) {
	l := rights{startLocal(t)}
	email, number := "ines.object@example.com", "+14155550142"

	if ans := l.check("email", email, "email_marketing"); ans.Allowed {
		t.Fatalf("marketing allowed before any consent: %+v", ans)
	}

	rc := l.submit(`{"types":["object","portability","restrict"],"first_name":"Ines","last_name":"Weber","email":"` + email +
		`","phone":"` + number + `","country":"DE","declaration":true}`)
	if rc.Status != request.PendingVerification || !rc.VerificationRequired || !rc.DueAt.Equal(rc.ReceivedAt.AddDate(0, 1, 0)) {
		t.Fatalf("receipt %+v: want pending, due one month from receipt", rc)
	}
	for purpose, id := range map[string][2]string{"email_marketing": {"email", email}, "sms_marketing": {"phone", number}} {
		ans := l.check(id[0], id[1], purpose)
		if ans.Allowed || ans.Status != "withdrawn" {
			t.Errorf("%s after the objection: %+v, want withdrawn", purpose, ans)
		}
	}
	if ans := l.check("email", email, "ad_audiences"); ans.Allowed || ans.Reason != "opted_out" {
		t.Errorf("ad audiences after the objection: %+v", ans)
	}
	receipt := waitForMail(t, l.cloud.SES.Endpoint, email, "We received your privacy request")
	for _, want := range []string{"Your objection to direct marketing is in effect since", "Object to processing, including direct marketing",
		"Receive personal information in a portable format", "Restrict the processing of personal information"} {
		if !strings.Contains(receipt.Body.Text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, receipt.Body.Text)
		}
	}
	d := l.detail(rc.ID)
	if len(d.History) != 1 || !strings.Contains(d.History[0].Note, "objection to direct marketing applied") ||
		strings.Contains(d.History[0].Note, email) || d.Regime != "gdpr" {
		t.Errorf("history %+v regime %s", d.History, d.Regime)
	}

	// Verified: the systems are told, the CRM of all three, with the
	// address proven by the link; the opt-out told it at once.
	l.verify(email)
	var actions []string
	for _, j := range l.detail(rc.ID).Jobs {
		if j.System == "crm" {
			actions = append(actions, string(j.Action))
		}
	}
	slices.Sort(actions)
	if !slices.Equal(actions, []string{"access", "object", "opt_out", "restrict"}) {
		t.Errorf("CRM jobs %v, want access (for the portable copy), object, opt_out (at once), restrict", actions)
	}

	// A Californian asks for a portable copy: accepted, on the CCPA clock.
	ca := l.submit(`{"types":["portability"],"first_name":"Cal","last_name":"Ifornia","email":"cal.port@example.com","country":"US","state":"CA","declaration":true}`)
	if !ca.DueAt.Equal(ca.ReceivedAt.AddDate(0, 0, 45)) || ca.Status != request.PendingVerification {
		t.Errorf("CCPA portability receipt %+v", ca)
	}
	if strings.Contains(l.logs.String(), email) || strings.Contains(l.logs.String(), "5550142") {
		t.Error("a log line carries the address or the number")
	}
}
