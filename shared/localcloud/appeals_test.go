package localcloud_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subjectdata"
)

// TestDenialAndAppeal is a denial and its appeal end to end, through the
// local gateway, DynamoDB Local, the notifier and the SES stand-in: a
// Californian's request and a German's are denied on bases from the fixed
// list; each denial mail gives the basis in the company's words and how to
// appeal, the German's also the supervisory authority and the courts (GDPR
// Art. 12(4)), the Californian's the California regulators. Staff record both
// appeals; the queue of appealed requests lists them by the appeal's due
// date; one is upheld, the other overturned and completed, each with its
// mail; the export names the types of value it withheld and the completion
// mail lists them. Every response is checked against the OpenAPI document.
func TestDenialAndAppeal(t *testing.T) {
	l := startLocal(t)
	cloud, do := l.cloud, l.do
	const js = "application/json"
	staff := func(method, path, body string, want int) string {
		t.Helper()
		return l.staff(t, method, path, body, want)
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
	submit := func(email, country, state, details string) request.Receipt {
		t.Helper()
		resp, out := do("POST", "/v1/requests", js, js, `{"types":["access"],"first_name":"Lin","last_name":"Park",`+
			`"email":"`+email+`","country":"`+country+`","state":"`+state+`","details":"`+details+`","declaration":true}`)
		var rc request.Receipt
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil {
			t.Fatalf("request: %d %s", resp.StatusCode, out)
		}
		waitForMail(t, cloud.SES.Endpoint, email, "We received your privacy request")
		return rc
	}

	ca, de, other := "lin.ca@example.com", "lin.de@example.com", "lin.other@example.com"
	caReq := submit(ca, "US", "CA", "My MRN 00451234, NY DL 123 456 789, order 1002345678.")
	deReq := submit(de, "DE", "", "")
	otherReq := submit(other, "US", "CA", "")

	// Bad denials change nothing.
	if out := staff("POST", "/v1/admin/requests/"+caReq.ID+"/actions", `{"action":"deny","basis":"we_feel_like_it"}`, 400); !strings.Contains(out, `"field":"basis"`) {
		t.Fatalf("unknown basis: %s", out)
	}
	if out := staff("POST", "/v1/admin/requests/"+caReq.ID+"/actions", `{"action":"start","basis":"unverified"}`, 400); !strings.Contains(out, `"field":"basis"`) {
		t.Fatalf("basis on start: %s", out)
	}
	if out := staff("POST", "/v1/admin/requests/"+caReq.ID+"/actions", `{"action":"deny","basis":"other"}`, 400); !strings.Contains(out, `"field":"reason"`) {
		t.Fatalf("other without a reason: %s", out)
	}

	// Denials, on bases from the list, with staff's words after the
	// company's.
	v := act(caReq.ID, `{"action":"deny","basis":"legal_obligation","reason":"Tax law requires us to keep invoices for seven years."}`, 200)
	if v.Status != request.Denied || v.DenialCode != "legal_obligation" || !strings.Contains(v.DenialBasis, "comply with a legal obligation") ||
		!strings.HasSuffix(v.DenialBasis, "Tax law requires us to keep invoices for seven years.") || v.ClosedAt == nil {
		t.Fatalf("deny: %+v", v)
	}
	act(deReq.ID, `{"action":"deny","basis":"unverified"}`, 200)

	caDenial := waitForMail(t, cloud.SES.Endpoint, ca, "About your privacy request")
	deDenial := waitForMail(t, cloud.SES.Endpoint, de, "About your privacy request")
	for _, c := range []struct {
		name, text string
		want, not  []string
	}{
		{"CCPA", caDenial.Body.Text,
			[]string{"Why: We must keep this information to comply with a legal obligation", "Tax law requires us", "How to appeal", "within 45 days", "cppa.ca.gov", "oag.ca.gov"},
			[]string{"supervisory authority"}},
		{"GDPR", deDenial.Body.Text,
			[]string{"Why: We could not verify your identity", "How to appeal", "supervisory authority", "GDPR Art. 77", "judicial remedy", "GDPR Art. 79"},
			[]string{"cppa.ca.gov"}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.text, w) {
				t.Errorf("%s denial lacks %q:\n%s", c.name, w, c.text)
			}
		}
		for _, n := range c.not {
			if strings.Contains(c.text, n) {
				t.Errorf("%s denial shows %q:\n%s", c.name, n, c.text)
			}
		}
	}

	// Only a denied request can be appealed, and not from the future.
	act(otherReq.ID, `{"action":"appeal"}`, 409)
	if out := staff("POST", "/v1/admin/requests/"+caReq.ID+"/actions",
		`{"action":"appeal","appealed_at":"`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`"}`, 400); !strings.Contains(out, `"field":"appealed_at"`) {
		t.Fatalf("appeal from the future: %s", out)
	}

	// The German appeals first, the Californian a moment later: each gets
	// its own 45-day clock, counted in the company's days (Los Angeles by
	// default): day 45 is the day the appeal arrived there + 44, to the end
	// of that day. The queue lists them by it (the same day: by id).
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	deAppeal := act(deReq.ID, `{"action":"appeal","reason":"Letter received."}`, 200)
	time.Sleep(5 * time.Millisecond)
	caAppeal := act(caReq.ID, `{"action":"appeal"}`, 200)
	for _, a := range []adminapi.RequestView{deAppeal, caAppeal} {
		if a.Status != request.Appealed || a.AppealReceivedAt == nil || a.AppealDueAt == nil || a.ClosedAt != nil {
			t.Fatalf("appealed: %+v", a)
		}
		rl := a.AppealReceivedAt.In(la)
		if want := time.Date(rl.Year(), rl.Month(), rl.Day()+44, 23, 59, 59, 999_000_000, la); !a.AppealDueAt.Equal(want) || !a.DueAt.Equal(want) {
			t.Fatalf("appeal received %s due %s, want %s", a.AppealReceivedAt, a.AppealDueAt, want)
		}
	}
	act(caReq.ID, `{"action":"appeal"}`, 409)
	var queue adminapi.RequestQueue
	if err := json.Unmarshal([]byte(staff("GET", "/v1/admin/requests?status=appealed", "", 200)), &queue); err != nil {
		t.Fatal(err)
	}
	if len(queue.Requests) != 2 || queue.Requests[0].ID == queue.Requests[1].ID ||
		!slices.Contains([]string{deReq.ID, caReq.ID}, queue.Requests[0].ID) || !slices.Contains([]string{deReq.ID, caReq.ID}, queue.Requests[1].ID) ||
		queue.Requests[1].DueAt.Before(queue.Requests[0].DueAt) || queue.Requests[1].AppealDueAt == nil {
		t.Fatalf("appealed queue %+v", queue.Requests)
	}
	ack := waitForMail(t, cloud.SES.Endpoint, ca, "We received your appeal")
	if !strings.Contains(ack.Body.Text, caAppeal.AppealDueAt.In(la).Format("2 January 2006")) {
		t.Fatalf("appeal receipt: %q", ack.Body.Text)
	}

	// The decisions need reasons, and are mailed with them.
	act(deReq.ID, `{"action":"uphold"}`, 400)
	up := act(deReq.ID, `{"action":"uphold","reason":"The documents you sent do not match the account holder."}`, 200)
	if up.Status != request.Denied || up.AppealDecision != request.Upheld || up.ClosedAt == nil || up.AppealDecidedAt == nil {
		t.Fatalf("uphold: %+v", up)
	}
	act(deReq.ID, `{"action":"appeal"}`, 409) // one appeal per request
	upMail := waitForMail(t, cloud.SES.Endpoint, de, "The decision on your appeal")
	for _, w := range []string{"We uphold our decision", "do not match the account holder", "supervisory authority", "judicial remedy"} {
		if !strings.Contains(upMail.Body.Text, w) {
			t.Errorf("upheld mail lacks %q:\n%s", w, upMail.Body.Text)
		}
	}
	over := act(caReq.ID, `{"action":"overturn","reason":"The invoices are kept, but we can send you a copy."}`, 200)
	if over.Status != request.InProgress || over.AppealDecision != request.Overturned || over.ClosedAt != nil || !over.DueAt.Equal(*caAppeal.AppealDueAt) {
		t.Fatalf("overturn: %+v", over)
	}
	overMail := waitForMail(t, cloud.SES.Endpoint, ca, "The decision on your appeal")
	if !strings.Contains(overMail.Body.Text, "reversed our decision") || !strings.Contains(overMail.Body.Text, "we can send you a copy") ||
		strings.Contains(overMail.Body.Text, "uphold") {
		t.Fatalf("overturned mail:\n%s", overMail.Body.Text)
	}
	act(caReq.ID, `{"action":"extend","reason":"More time."}`, 409) // the appeal's clock has no extension

	// The export withholds the medical record and licence numbers, names
	// their types, and leaves the order number; the completion mail names
	// the types.
	var doc subjectdata.Document
	if err := json.Unmarshal([]byte(staff("GET", "/v1/admin/subjects/export?email="+ca, "", 200)), &doc); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, w := range doc.Withheld {
		kinds = append(kinds, string(w.Type))
	}
	if len(doc.Requests) != 1 || doc.Requests[0].Details != "My MRN [redacted], NY DL [redacted], order 1002345678." ||
		strings.Join(kinds, ",") != "drivers_license,medical_record_number" || doc.Requests[0].Appeal == nil ||
		doc.Requests[0].Appeal.Decision != "overturned" {
		t.Fatalf("export %+v, withheld %v", doc.Requests, doc.Withheld)
	}
	staff("POST", "/v1/admin/requests/"+caReq.ID+"/actions", `{"action":"complete","withheld":["shoe_size"]}`, 400)
	act(caReq.ID, `{"action":"complete","outcome":"We sent your data by secure link.","withheld":["`+strings.Join(kinds, `","`)+`"]}`, 200)
	done := waitForMail(t, cloud.SES.Endpoint, ca, "Your privacy request is complete")
	for _, w := range []string{"- driver's license number\n", "- medical record number\n", "11 CCR §7024(d)"} {
		if !strings.Contains(done.Body.Text, w) {
			t.Errorf("completion mail lacks %q:\n%s", w, done.Body.Text)
		}
	}

	// The history records each step and who took it.
	var detail adminapi.RequestDetail
	if err := json.Unmarshal([]byte(staff("GET", "/v1/admin/requests/"+caReq.ID, "", 200)), &detail); err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range detail.History {
		steps = append(steps, e.Action+":"+string(e.To)+" by "+e.Actor)
	}
	want := "received:pending_verification by requester, deny:denied by admin, appeal:appealed by admin, " +
		"overturn:in_progress by admin, complete:completed by admin"
	if strings.Join(steps, ", ") != want || !strings.Contains(detail.History[4].Note, "driver's license number, medical record number") {
		t.Fatalf("history %q, want %q; %+v", strings.Join(steps, ", "), want, detail.History)
	}
}
