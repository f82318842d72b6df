package localcloud_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/request"
)

// TestStaffRequestWorkflow is the staff side of a request end to end,
// through the local gateway, DynamoDB Local, the stream poller, the notifier
// and the SES stand-in: a web request is verified by its mailed link, found
// in the queue, started, extended once with a reason the requester is told,
// and completed; requests taken by phone and by letter are entered by staff,
// paged through, and counted in the year's figures. Every response is
// checked against the OpenAPI document.
func TestStaffRequestWorkflow(t *testing.T) {
	l := startLocal(t)
	cloud, do := l.cloud, l.do
	const js = "application/json"
	auth := []string{"Authorization", staffBearer(t, l.cloud, "admin")}
	staff := func(method, path, body string, want int) string {
		t.Helper()
		return l.staff(t, method, path, body, want)
	}

	// A web request, verified by the link in its receipt mail.
	email := "grace.staff@example.com"
	resp, out := do("POST", "/v1/requests", js, js, `{"types":["access"],"first_name":"Grace","last_name":"Hopper",`+
		`"email":"`+email+`","country":"US","state":"CA","declaration":true}`)
	var rc request.Receipt
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil {
		t.Fatalf("web request: %d %s", resp.StatusCode, out)
	}
	receipt := waitForMail(t, cloud.SES.Endpoint, email, "We received your privacy request")
	link, err := url.Parse(regexp.MustCompile(`https?://\S+/v1/verify\?token=[A-Za-z0-9_-]+`).FindString(receipt.Body.Text))
	if err != nil || link.Query().Get("token") == "" {
		t.Fatalf("receipt mail without a link: %q", receipt.Body.Text)
	}
	if resp, out := do("POST", "/v1/verify", js, js, `{"token":"`+link.Query().Get("token")+`"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("verify: %d %s", resp.StatusCode, out)
	}

	// Staff see it in the queue of verified requests, due 45 calendar days
	// from receipt, not from verification (11 CCR §7021(b)).
	var page adminapi.RequestQueue
	if err := json.Unmarshal([]byte(staff("GET", "/v1/admin/requests?status=verified", "", 200)), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Requests) != 1 || page.Requests[0].ID != rc.ID || page.NextCursor != "" {
		t.Fatalf("verified queue: %+v", page)
	}
	got := page.Requests[0]
	// Days are the company's (Los Angeles by default): day 45 is the day of
	// receipt there + 44, day 90 + 89, each to the end of that day.
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	rl := rc.ReceivedAt.In(la)
	dueAt := time.Date(rl.Year(), rl.Month(), rl.Day()+44, 23, 59, 59, 999_000_000, la)
	if !got.ReceivedAt.Equal(rc.ReceivedAt) || !got.DueAt.Equal(dueAt) ||
		got.Channel != request.Web || got.Email != email || got.Version != 2 {
		t.Fatalf("queued request %+v", got)
	}

	act := func(id, body string, want int) adminapi.RequestView {
		t.Helper()
		out := staff("POST", "/v1/admin/requests/"+id+"/actions", body, want)
		var v adminapi.RequestView
		if want == http.StatusOK {
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatal(err)
			}
		} else if !strings.Contains(out, `"status":`+strconv.Itoa(want)) {
			t.Fatalf("refusal %s", out)
		}
		return v
	}
	if v := act(rc.ID, `{"action":"start","version":2}`, 200); v.Status != request.InProgress || v.Version != 3 {
		t.Fatalf("start: %+v", v)
	}
	reason := "Your records are in our archive and must be restored first."
	v := act(rc.ID, `{"action":"extend","reason":"`+reason+`"}`, 200)
	extendedDue := time.Date(rl.Year(), rl.Month(), rl.Day()+89, 23, 59, 59, 999_000_000, la)
	if v.Status != request.Extended || !v.Extended || v.ExtensionReason != reason || !v.DueAt.Equal(extendedDue) {
		t.Fatalf("extend: %+v", v)
	}
	notice := waitForMail(t, cloud.SES.Endpoint, email, "We need more time for your privacy request")
	if !strings.Contains(notice.Body.Text, "Why: "+reason) || !strings.Contains(notice.Body.Text, extendedDue.Format("2 January 2006, 15:04 MST")) {
		t.Fatalf("extension notice: %q", notice.Body.Text)
	}
	act(rc.ID, `{"action":"extend","reason":"Still more time."}`, 409)
	act(rc.ID, `{"action":"extend"}`, 400)
	outcome := "We sent you a copy of your data by secure link."
	if v := act(rc.ID, `{"action":"complete","outcome":"`+outcome+`","version":4}`, 200); v.Status != request.Completed || v.ClosedAt == nil || v.Outcome != outcome {
		t.Fatalf("complete: %+v", v)
	}
	done := waitForMail(t, cloud.SES.Endpoint, email, "Your privacy request is complete")
	if !strings.Contains(done.Body.Text, outcome) {
		t.Fatalf("completion mail: %q", done.Body.Text)
	}
	act(rc.ID, `{"action":"cancel"}`, 409)
	act("01JZ8X6Q3V4N5T7W9Y0A2B4C6D", `{"action":"start"}`, 404)

	// Its history tells who did what.
	var detail adminapi.RequestDetail
	if err := json.Unmarshal([]byte(staff("GET", "/v1/admin/requests/"+rc.ID, "", 200)), &detail); err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range detail.History {
		steps = append(steps, e.Action+" by "+e.Actor)
	}
	want := "received by requester, verified by requester, start by admin, extend by admin, complete by admin"
	if strings.Join(steps, ", ") != want || detail.Status != request.Completed || detail.Outcome != outcome {
		t.Fatalf("history %q, want %q", strings.Join(steps, ", "), want)
	}
	staff("GET", "/v1/admin/requests/01JZ8X6Q3V4N5T7W9Y0A2B4C6D", "", 404)

	// Requests that came by phone and by letter, entered by staff, get the
	// web form's receipt with its verification link.
	var entered []string
	for _, e := range []struct{ channel, email, types string }{
		{"phone", "ada.phone@example.com", `["know"]`},
		{"mail", "bob.letter@example.com", `["delete"]`},
	} {
		out := staff("POST", "/v1/admin/requests", `{"channel":"`+e.channel+`","types":`+e.types+`,"first_name":"Ada",`+
			`"last_name":"Byron","email":"`+e.email+`","country":"US","state":"CA","declaration":true}`, 202)
		var rc request.Receipt
		if err := json.Unmarshal([]byte(out), &rc); err != nil || rc.Status != request.PendingVerification {
			t.Fatalf("staff-entered request: %s", out)
		}
		entered = append(entered, rc.ID)
		m := waitForMail(t, cloud.SES.Endpoint, e.email, "We received your privacy request")
		if !strings.Contains(m.Body.Text, rc.ID) || !strings.Contains(m.Body.Text, "/v1/verify?token=") {
			t.Fatalf("receipt of the %s request: %q", e.channel, m.Body.Text)
		}
		var d adminapi.RequestDetail
		if err := json.Unmarshal([]byte(staff("GET", "/v1/admin/requests/"+rc.ID, "", 200)), &d); err != nil || string(d.Channel) != e.channel ||
			len(d.History) != 1 || d.History[0].Actor != "admin" {
			t.Fatalf("entered request: %+v, %v", d, err)
		}
		time.Sleep(2 * time.Millisecond) // distinct ids, which order requests due at the same time
	}
	staff("POST", "/v1/admin/requests", `{"types":["know"],"first_name":"Ada","last_name":"Byron","email":"x@example.com","declaration":true}`, 400)
	// Staff may send an Idempotency-Key too (the function's table access
	// covers its records): a retry is the same request.
	keyed := `{"channel":"email","types":["access"],"first_name":"Cy","last_name":"Key","email":"cy.key@example.com","declaration":true}`
	var first, again request.Receipt
	for _, rc := range []*request.Receipt{&first, &again} {
		resp, out := do("POST", "/v1/admin/requests", js, js, keyed, append([]string{"Idempotency-Key", "staff-entry-0001"}, auth...)...)
		if resp.StatusCode != 202 || json.Unmarshal([]byte(out), rc) != nil {
			t.Fatalf("staff request with a key: %d %s", resp.StatusCode, out)
		}
	}
	if first.ID == "" || again.ID != first.ID {
		t.Fatalf("a keyed retry made request %q after %q", again.ID, first.ID)
	}
	// No country: the one-month clock, due before the two Californian
	// requests, whose 45 days end at the same instant (the end of the same
	// day) and which then follow in the order they came.
	entered = append([]string{first.ID}, entered...)

	// Paging one at a time finds them all, the soonest due first.
	var listed []string
	cursor := ""
	for i := 0; i < 5; i++ {
		path := "/v1/admin/requests?status=pending_verification&limit=1"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var p adminapi.RequestQueue
		if err := json.Unmarshal([]byte(staff("GET", path, "", 200)), &p); err != nil || len(p.Requests) > 1 {
			t.Fatalf("page %d: %+v, %v", i, p, err)
		}
		for _, r := range p.Requests {
			listed = append(listed, r.ID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
		if i == 0 && len(p.Requests) != 1 {
			t.Fatalf("first page: %+v", p)
		}
	}
	if strings.Join(listed, ",") != strings.Join(entered, ",") || cursor != "" {
		t.Fatalf("paged %v (cursor %q), want %v", listed, cursor, entered)
	}
	if out := staff("GET", "/v1/admin/requests?status=pending_verification&cursor=bm90LWEtY3Vyc29y", "", 400); !strings.Contains(out, `"field":"cursor"`) {
		t.Fatalf("malformed cursor: %s", out)
	}
	staff("GET", "/v1/admin/requests?due_before=2026-01-01", "", 400)

	// Without the token: nothing.
	if resp, out := do("GET", "/v1/admin/requests?status=verified", "", js, ""); resp.StatusCode != http.StatusUnauthorized || strings.Contains(out, rc.ID) {
		t.Fatalf("no token: %d %s", resp.StatusCode, out)
	}
	if resp, _ := do("POST", "/v1/admin/requests/"+rc.ID+"/actions", js, js, `{"action":"cancel"}`); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("action without a token: %d", resp.StatusCode)
	}

	// This year's figures count all three (11 CCR §7102).
	year := rl.Year()
	var m request.Metrics
	if err := json.Unmarshal([]byte(staff("GET", "/v1/admin/metrics?year="+strconv.Itoa(year), "", 200)), &m); err != nil {
		t.Fatal(err)
	}
	// Access: the worked request and the keyed one staff entered.
	if m.Year != year || m.Received["access"] != 2 || m.Received["know"] != 1 || m.Received["delete"] != 1 ||
		m.Completed["access"] != 1 || len(m.Denied) != 0 || m.MedianDaysToRespond["access"] != 0 {
		t.Fatalf("metrics %+v", m)
	}
	staff("GET", "/v1/admin/metrics?year=20x6", "", 400)

	// Staff routes log no personal data either.
	for _, pii := range []string{email, "ada.phone@example.com", "bob.letter@example.com", "Hopper", reason} {
		if strings.Contains(l.logs.String(), pii) {
			t.Errorf("logs contain %q", pii)
		}
	}
}
