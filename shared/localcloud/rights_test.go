package localcloud_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subjectdata"
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
	resp, out := l.do(method, path, ct, "application/json", body, "Authorization", staffBearer(t, l.cloud, "admin"))
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
	// One month (GDPR Art. 12(3)), counted in the company's days (Los
	// Angeles by default): the same date a month on, the month's last day
	// when it has none, to the end of that day.
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	rl := rc.ReceivedAt.In(la)
	day := min(rl.Day(), time.Date(rl.Year(), rl.Month()+2, 0, 0, 0, 0, 0, la).Day())
	if want := time.Date(rl.Year(), rl.Month()+1, day, 23, 59, 59, 999_000_000, la); rc.Status != request.PendingVerification ||
		!rc.VerificationRequired || !rc.DueAt.Equal(want) {
		t.Fatalf("receipt %+v: want pending, due one month from receipt (%s)", rc, want)
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

	// Staff hand over the portable copy: what she provided, as JSON, with
	// the objection's withdrawals among her consents; then complete.
	if out := l.staff("GET", "/v1/admin/subjects/export?format=csv&email="+url.QueryEscape(email), "", 400); !slices.Equal(problemFields(t, out), []string{"format"}) {
		t.Errorf("unknown format: %s", out)
	}
	var p subjectdata.Portable
	if err := json.Unmarshal([]byte(l.staff("GET", "/v1/admin/subjects/export?format=portable&email="+url.QueryEscape(email), "", 200)), &p); err != nil {
		t.Fatal(err)
	}
	consents := map[string]string{}
	for _, c := range p.Consents {
		consents[c.Purpose] = c.Status
	}
	if p.Format != "claritru.portable.v1" || len(p.Requests) != 1 || p.Requests[0].Email != email || p.Requests[0].FirstName != "Ines" ||
		!slices.Contains(p.Requests[0].Types, "portability") || consents["email_marketing"] != "withdrawn" || len(p.OptOuts) == 0 {
		t.Errorf("portable copy %+v", p)
	}
	l.staff("POST", "/v1/admin/requests/"+rc.ID+"/actions", `{"action":"complete","override_reason":"","outcome":"We sent you your data as a JSON file."}`, 200)
	if done := waitForMail(t, l.cloud.SES.Endpoint, email, "Your privacy request is complete"); !strings.Contains(done.Body.Text, "JSON file") {
		t.Errorf("completion: %s", done.Body.Text)
	}

	// A Californian asks for a portable copy: accepted, on the CCPA clock.
	ca := l.submit(`{"types":["portability"],"first_name":"Cal","last_name":"Ifornia","email":"cal.port@example.com","country":"US","state":"CA","declaration":true}`)
	// Day 45 is the day of receipt in Los Angeles + 44, to its end.
	cl := ca.ReceivedAt.In(la)
	if !ca.DueAt.Equal(time.Date(cl.Year(), cl.Month(), cl.Day()+44, 23, 59, 59, 999_000_000, la)) || ca.Status != request.PendingVerification {
		t.Errorf("CCPA portability receipt %+v", ca)
	}
	if strings.Contains(l.logs.String(), email) || strings.Contains(l.logs.String(), "5550142") {
		t.Error("a log line carries the address or the number")
	}
}

// problemFields are the fields a problem document names, sorted.
func problemFields(t *testing.T, out string) []string {
	t.Helper()
	var p struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("problem %q: %v", out, err)
	}
	var fs []string
	for _, e := range p.Errors {
		fs = append(fs, e.Field)
	}
	slices.Sort(fs)
	return fs
}

// TestStructuredCorrectionThroughStaff: a request to correct two items
// and a free-text one; staff decide each through the admin API (DynamoDB
// Local behind it), the request cannot complete before every item is
// decided, and the completion mail in the SES stand-in says what became
// of each item; the contest of a denial is recorded afterwards. The
// person's values never reach a log line or an audit note.
func TestStructuredCorrectionThroughStaff(t *testing.T) {
	l := rights{startLocal(t)}
	email := "maria.correct@example.com"

	// A wrong item is refused by its place, and nothing is stored.
	resp, out := l.do("POST", "/v1/requests", "application/json", "application/json", `{"types":["correct"],"first_name":"Maria","last_name":"Sklodowska",`+
		`"email":"`+email+`","declaration":true,"corrections":[{"item":"surname","corrected_value":"Curie"},{"item":"city","current_value":"Paris","colour":"red"}]}`)
	if resp.StatusCode != http.StatusBadRequest || !slices.Equal(problemFields(t, out), []string{"corrections[1].colour", "corrections[1].corrected_value"}) {
		t.Fatalf("bad item: %d %s", resp.StatusCode, out)
	}
	resp, out = l.do("POST", "/v1/requests", "application/json", "application/json", `{"types":["know"],"first_name":"Maria","last_name":"Sklodowska",`+
		`"email":"`+email+`","declaration":true,"corrections":[{"item":"surname","corrected_value":"Curie"}]}`)
	if resp.StatusCode != http.StatusBadRequest || !slices.Equal(problemFields(t, out), []string{"corrections"}) {
		t.Fatalf("items without the type: %d %s", resp.StatusCode, out)
	}

	rc := l.submit(`{"types":["correct"],"first_name":"Maria","last_name":"Sklodowska","email":"` + email + `","declaration":true,` +
		`"correction":"My practice is Radium Institute Clinic.","corrections":[` +
		`{"item":"surname","current_value":"Sklodowska","corrected_value":"Sklodowska-Curie","documentation":"marriage certificate"},` +
		`{"item":"postal address","corrected_value":"11 Rue Pierre et Marie Curie, 75005 Paris"}]}`)
	l.verify(email)
	d := l.detail(rc.ID)
	if len(d.Corrections) != 3 || d.Corrections[0].CorrectedValue != "Sklodowska-Curie" || d.Corrections[0].Documentation != "marriage certificate" ||
		d.Corrections[2].CorrectedValue != "My practice is Radium Institute Clinic." || d.Correction != "My practice is Radium Institute Clinic." {
		t.Fatalf("items as stored: %+v", d.Corrections)
	}
	act := func(body string, want int) string {
		return l.staff("POST", "/v1/admin/requests/"+rc.ID+"/actions", body, want)
	}

	// Completing before deciding is refused, naming the corrections.
	if out := act(`{"action":"complete"}`, 409); !slices.Equal(problemFields(t, out), []string{"corrections"}) {
		t.Errorf("complete undecided: %s", out)
	}
	// Decisions are checked item by item.
	out = act(`{"action":"decide_correction","decisions":[{"item":0,"decision":"deny"},{"item":1,"decision":"accept_in_part","reason":"r"},{"item":7,"decision":"accept"}]}`, 400)
	if got := problemFields(t, out); !slices.Equal(got, []string{"decisions[0].reason", "decisions[1].applied_value", "decisions[2].item"}) {
		t.Errorf("bad decisions name %v", got)
	}
	act(`{"action":"start","decisions":[{"item":0,"decision":"accept"}]}`, 400)

	var v adminapi.RequestView
	if err := json.Unmarshal([]byte(act(`{"action":"decide_correction","version":2,"decisions":[`+
		`{"item":0,"decision":"accept"},`+
		`{"item":1,"decision":"accept_in_part","applied_value":"11 Rue Pierre et Marie Curie, Paris","reason":"We keep no postcodes."}]}`, 200)), &v); err != nil {
		t.Fatal(err)
	}
	if v.Status != request.InProgress || v.Corrections[0].AppliedValue != "Sklodowska-Curie" || v.Corrections[1].Decision != "accept_in_part" ||
		v.Corrections[2].Decision != "" || v.Corrections[0].DecidedBy != "admin" || v.Corrections[0].DecidedAt == nil {
		t.Fatalf("after the first decisions: %+v", v)
	}
	act(`{"action":"complete"}`, 409)
	act(`{"action":"decide_correction","decisions":[{"item":2,"decision":"deny","reason":"The practice's name is as registered with the state board."}]}`, 200)
	act(`{"action":"complete","outcome":"We corrected our records."}`, 200)

	done := waitForMail(t, l.cloud.SES.Endpoint, email, "Your privacy request is complete")
	for _, want := range []string{
		"- Item 1 of your correction: corrected as you asked.",
		"- Item 2 of your correction: corrected in part. We now hold: 11 Rue Pierre et Marie Curie, Paris. Why not in full: We keep no postcodes.",
		"- Item 3 of your correction: not corrected. Why: The practice's name is as registered with the state board.",
		"written statement",
	} {
		if !strings.Contains(done.Body.Text, want) {
			t.Errorf("completion mail lacks %q:\n%s", want, done.Body.Text)
		}
	}
	if strings.Contains(done.Body.Text, "Radium") || strings.Contains(done.Body.Text, "marriage") {
		t.Errorf("completion mail repeats the person's own words:\n%s", done.Body.Text)
	}

	// She disputes the denial: staff mark it contested with her statement.
	act(`{"action":"decide_correction","decisions":[{"item":0,"decision":"deny","contested":true}]}`, 400)
	act(`{"action":"decide_correction","decisions":[{"item":2,"decision":"deny","contested":true,"statement":"The board's register is out of date."}]}`, 200)
	d = l.detail(rc.ID)
	if d.Status != request.Completed || !d.Corrections[2].Contested || d.Corrections[2].Statement != "The board's register is out of date." ||
		d.Corrections[2].Reason != "The practice's name is as registered with the state board." {
		t.Errorf("after the contest: %s %+v", d.Status, d.Corrections[2])
	}
	var notes []string
	for _, e := range d.History {
		if e.Action == "decide_correction" {
			notes = append(notes, e.Note)
		}
	}
	if !slices.Equal(notes, []string{"corrections decided: 0 accept; 1 accept_in_part", "corrections decided: 2 deny",
		"corrections decided: 2 deny (contested, statement kept)"}) {
		t.Errorf("audit notes %q", notes)
	}
	// The export carries the items with their decisions; an erasure
	// minimises them with the request.
	var export struct {
		Requests []struct {
			ID          string                    `json:"id"`
			Corrections []adminapi.CorrectionView `json:"corrections"`
		} `json:"requests"`
	}
	if err := json.Unmarshal([]byte(l.staff("GET", "/v1/admin/subjects/export?email="+url.QueryEscape(email), "", 200)), &export); err != nil {
		t.Fatal(err)
	}
	if len(export.Requests) != 1 || len(export.Requests[0].Corrections) != 3 || export.Requests[0].Corrections[0].AppliedValue != "Sklodowska-Curie" ||
		!export.Requests[0].Corrections[2].Contested {
		t.Errorf("export %+v", export.Requests)
	}
	l.staff("POST", "/v1/admin/subjects/erase", `{"email":"`+email+`","reason":"Verified deletion request"}`, 200)
	if d := l.detail(rc.ID); len(d.Corrections) != 0 || d.Correction != "" {
		t.Errorf("erased request keeps its corrections: %+v", d.Corrections)
	}
	for _, v := range []string{"Curie", "Radium", "marriage", "register is out of date", "postcodes"} {
		if strings.Contains(l.logs.String(), v) {
			t.Errorf("a log line carries %q", v)
		}
	}
}
