package localcloud_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/consentapi"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/policy"
	"github.com/claritru/privacy/shared/topology"
	"github.com/claritru/privacy/shared/wiring"
	"github.com/claritru/privacy/shared/wiring/watch"
)

const noticeSubject = "We are changing our privacy policy"

// noticeJob runs the watch's policy notice job as its schedule does, with
// the watch function's configuration and table access; pace overrides the
// batch size.
func noticeJob(t *testing.T, l *local, pace int) func() policy.NoticeReport {
	t.Helper()
	def, _ := topology.ClariTru.Function("watch")
	h, err := watch.Handler(wiring.Deps{Env: l.cloud.Settings, DB: ddb.Guard(l.cloud.Settings.DynamoDB(), def), Log: slog.New(slog.NewJSONHandler(l.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h.Notices.PerRun = pace
	return func() policy.NoticeReport {
		t.Helper()
		rep, err := h.Handle(context.Background(), json.RawMessage(`{"job":"`+topology.JobPolicyNotices+`"}`))
		if err != nil || rep.PolicyNotices == nil {
			t.Fatalf("notice job: %+v %v", rep, err)
		}
		return *rep.PolicyNotices
	}
}

// TestPolicyVersionsEndToEnd: staff publish the policy in force, the public
// list shows it as the contract says, a consent's receipt (JSON and mail)
// cites it; a version that is not material mails no one; a material one
// mails each person with a granted consent or an open request exactly once
// (counted in the SES stand-in), at most the pace per run, however often
// the job runs.
func TestPolicyVersionsEndToEnd(t *testing.T) {
	l := startLocal(t)
	staff := []string{"Authorization", staffBearer(t, l.cloud, "admin")}
	publish := func(body string) (*http.Response, string) {
		return l.do("POST", "/v1/admin/policy-versions", "application/json", "", body, staff...)
	}
	list := func() consentapi.PolicyVersions {
		resp, out := l.do("GET", "/v1/policy-versions", "", "application/json", "")
		var v consentapi.PolicyVersions
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &v) != nil || resp.Header.Get("Cache-Control") != "public, max-age=60" {
			t.Fatalf("list: %d %s", resp.StatusCode, out)
		}
		return v
	}
	if v := list(); v.Current != nil || len(v.Versions) != 0 {
		t.Fatalf("empty register: %+v", v)
	}

	// Refused: no staff credentials; malformed; then the policy in force.
	if resp, _ := l.do("POST", "/v1/admin/policy-versions", "application/json", "", `{}`); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without credentials: %d", resp.StatusCode)
	}
	if resp, out := publish(`{"version":"v1","effective_at":"2025-04-28T00:00:00Z","text":"x","material":"yes","summary":"x"}`); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(out, `"field":"material"`) {
		t.Errorf("malformed: %d %s", resp.StatusCode, out)
	}
	if resp, out := publish(`{"version":"v 1","effective_at":"yesterday","text":"x","material":true}`); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(out, `"field":"effective_at"`) || !strings.Contains(out, `"field":"version"`) || !strings.Contains(out, `"field":"summary"`) {
		t.Errorf("invalid: %d %s", resp.StatusCode, out)
	}
	text := "Privacy Policy\nEffective Date: April 28, 2025\n..."
	resp, out := publish(`{"version":"2025-04-28","effective_at":"2025-04-28T00:00:00-07:00","material":false,"summary":"The policy as first published.","text":` + jsonString(text) + `}`)
	var pub adminapi.PublishedVersion
	if resp.StatusCode != http.StatusCreated || json.Unmarshal([]byte(out), &pub) != nil || pub.TextSHA256 != policy.Hash(text) || pub.Actor != "admin" || pub.Notice {
		t.Fatalf("publish: %d %s", resp.StatusCode, out)
	}
	if resp, out := publish(`{"version":"2025-04-28","effective_at":"2030-01-01T00:00:00Z","material":false,"summary":"Again.","text":"x"}`); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(out, `"field":"version"`) {
		t.Errorf("taken id: %d %s", resp.StatusCode, out)
	}
	if v := list(); v.Current == nil || v.Current.Version != "2025-04-28" || !v.Current.EffectiveAt.Equal(time.Date(2025, 4, 28, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("in force: %+v", v)
	}

	// People on record: a granted consent (confirmed from its mail), an open
	// request, and a person with both.
	confirmed := func(email string) {
		t.Helper()
		resp, out := l.do("POST", "/v1/consents", "application/json", "", `{"subject":{"email":"`+email+`"},"events":[{"purpose":"email_marketing","granted":true}],`+
			`"disclosure":{"id":"email-optin","version":"2026-11"},"age_confirmed":true}`)
		var rc consentapi.Receipt
		if resp.StatusCode != http.StatusCreated || json.Unmarshal([]byte(out), &rc) != nil || rc.PolicyVersion != "2025-04-28" || rc.PolicySHA256 != policy.Hash(text) {
			t.Fatalf("receipt does not cite the version in force: %d %s", resp.StatusCode, out)
		}
		m := waitForMail(t, l.cloud.SES.Endpoint, email, "Your consent receipt")
		if !strings.Contains(m.Body.Text, "version 2025-04-28, effective 28 April 2025") {
			t.Fatalf("receipt mail does not cite the version:\n%s", m.Body.Text)
		}
		link := confirmLink.FindStringSubmatch(m.Body.Text)
		if link == nil {
			t.Fatalf("no confirmation link:\n%s", m.Body.Text)
		}
		if resp, out := l.do("POST", "/v1/consents/confirm", "application/json", "", `{"token":"`+link[1]+`"}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("confirm: %d %s", resp.StatusCode, out)
		}
	}
	filed := func(email string) {
		t.Helper()
		resp, out := l.do("POST", "/v1/requests", "application/json", "", `{"types":["access"],"first_name":"Ada","last_name":"Lovelace","email":"`+email+`","country":"US","state":"CA","declaration":true}`)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("request: %d %s", resp.StatusCode, out)
		}
	}
	people := []string{"ana@example.com", "ben@example.com", "cy@example.com", "di@example.com", "ed@example.com"}
	confirmed(people[0])
	confirmed(people[1])
	confirmed(people[2])
	// The ledger's evidence of the choice names the version too.
	if resp, out := l.do("GET", "/v1/admin/consents?email="+people[0], "", "", "", staff...); resp.StatusCode != http.StatusOK ||
		!strings.Contains(out, `"policy_version":"2025-04-28"`) || !strings.Contains(out, `"policy_sha256":"`+policy.Hash(text)+`"`) {
		t.Errorf("history: %d %s", resp.StatusCode, out)
	}
	filed(people[2])
	filed(people[3])
	filed(people[4])
	filed(people[4])

	run := noticeJob(t, l, 2)
	minor := `{"version":"2026-12-a","effective_at":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `","material":false,"summary":"A typo.","text":"y"}`
	if resp, out := publish(minor); resp.StatusCode != http.StatusCreated {
		t.Fatalf("minor: %d %s", resp.StatusCode, out)
	}
	if rep := run(); rep.Queued != 0 {
		t.Errorf("a version that is not material queued %d notices", rep.Queued)
	}
	material := `{"version":"2027-01","effective_at":"` + time.Now().Add(30*24*time.Hour).UTC().Format(time.RFC3339) +
		`","material":true,"summary":"We now ask before sharing customer lists.","text":"z"}`
	if resp, out := publish(material); resp.StatusCode != http.StatusCreated || !strings.Contains(out, `"notice":true`) {
		t.Fatalf("material: %d %s", resp.StatusCode, out)
	}
	if resp, out := publish(strings.Replace(material, "2027-01", "2027-02", 1)); resp.StatusCode != http.StatusConflict || !strings.Contains(out, `"field":"effective_at"`) {
		t.Errorf("same date: %d %s", resp.StatusCode, out)
	}
	for i := 0; i < 10; i++ {
		rep := run()
		if rep.Queued > 2 {
			t.Fatalf("run %d queued %d notices, pace 2", i, rep.Queued)
		}
		if rep.Runs == 0 {
			break
		}
	}
	for _, p := range people {
		waitForMail(t, l.cloud.SES.Endpoint, p, noticeSubject)
	}
	// Runs after the end, and the time the stream takes: still one each.
	run()
	time.Sleep(2 * time.Second)
	for _, p := range people {
		if n := mailsTo(t, l, p, noticeSubject); n != 1 {
			t.Errorf("%s got %d notices, want 1", p, n)
		}
	}
	m := waitForMail(t, l.cloud.SES.Endpoint, people[0], noticeSubject)
	for _, want := range []string{"2027-01", "We now ask before sharing customer lists.", "/privacy-policy.html", policy.Hash("z")} {
		if !strings.Contains(m.Body.Text, want) {
			t.Errorf("the notice lacks %q:\n%s", want, m.Body.Text)
		}
	}
	if v := list(); len(v.Versions) != 3 || v.Versions[0].Version != "2027-01" || v.Current.Version != "2025-04-28" || !v.Versions[0].Material {
		t.Errorf("register: %+v", v)
	}
	for _, p := range people {
		if strings.Contains(l.logs.String(), p) {
			t.Errorf("a log line names %s", p)
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// confirmLink is a double opt-in link in a receipt mail.
var confirmLink = regexp.MustCompile(`https?://\S+/v1/consents/confirm\?token=([A-Za-z0-9_-]+)`)
