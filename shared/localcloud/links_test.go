package localcloud_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subjectdata"
)

// TestLinkAttackThroughTheGateway: an attacker types his own address and
// then his victim's into the public opt-out form, each next to the same
// phone (or the same browser id), linking the two. The links still widen
// opt-outs, but staff's export of the attacker holds none of the victim's
// data, only the claimed link without its records, and erasing the attacker
// leaves the victim's request intact.
func TestLinkAttackThroughTheGateway(t *testing.T) {
	l := startLocal(t)
	for _, c := range []struct{ via, value string }{
		{"phone", "+14155550166"},
		{"browser_id", "attacker-browser-7"},
	} {
		t.Run(c.via, func(t *testing.T) { linkAttack(t, l, c.via, c.value) })
	}
}

// linkAttack runs the attack with the shared identifier of kind via.
func linkAttack(t *testing.T, l *local, via, shared string) {
	staff := []string{"Authorization", staffBearer(t, l.cloud, "admin")}
	attacker, victim := "mallory-"+via+"@example.com", "vera-"+via+"@example.com"
	const victimDetails = "Vera's own records: order 4471 and the clinic notes."
	submit := func(body string) string {
		t.Helper()
		resp, out := l.do("POST", "/v1/requests", "application/json", "", body)
		var rc request.Receipt
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil || rc.ID == "" {
			t.Fatalf("request: %d %s", resp.StatusCode, out)
		}
		return rc.ID
	}
	detail := func(id string) adminapi.RequestDetail {
		t.Helper()
		resp, out := l.do("GET", "/v1/admin/requests/"+id, "", "", "", staff...)
		var d adminapi.RequestDetail
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &d) != nil {
			t.Fatalf("request detail: %d %s", resp.StatusCode, out)
		}
		return d
	}
	history := func(email string) adminapi.History {
		t.Helper()
		resp, out := l.do("GET", "/v1/admin/consents?email="+url.QueryEscape(email), "", "", "", staff...)
		var h adminapi.History
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &h) != nil {
			t.Fatalf("history: %d %s", resp.StatusCode, out)
		}
		return h
	}

	// The victim asks for her data; the attacker files a request of his own.
	victimReq := submit(`{"types":["access"],"first_name":"Vera","last_name":"Victim","email":"` + victim +
		`","country":"US","state":"CA","details":"` + victimDetails + `","declaration":true}`)
	attackerReq := submit(`{"types":["access"],"first_name":"Mallory","last_name":"Attacker","email":"` + attacker +
		`","country":"US","state":"CA","details":"Everything about me.","declaration":true}`)

	// The attack: the same phone or browser id next to each address.
	for _, email := range []string{attacker, victim} {
		body, _ := json.Marshal(map[string]string{"email": email, via: shared})
		if resp, out := l.do("POST", "/v1/opt-out", "application/json", "", string(body)); resp.StatusCode != http.StatusOK {
			t.Fatalf("opt-out: %d %s", resp.StatusCode, out)
		}
	}

	// Opt-outs still spread over the links: the attacker limiting the use
	// of sensitive data reaches the victim, and her ledger names no request
	// of his.
	submit(`{"types":["limit_sensitive"],"first_name":"Mallory","last_name":"Attacker","email":"` + attacker +
		`","country":"US","state":"CA","declaration":true}`)
	spread := false
	for _, e := range history(victim).Events {
		if e.Fields["rights"] == "limit_sensitive" {
			spread = e.Fields["via"] == "linked" && e.Fields["request_id"] == ""
		}
	}
	if !spread {
		t.Fatalf("the attacker's limit did not spread to the victim as linked: %+v", history(victim).Events)
	}
	victimEvents := len(history(victim).Events)

	// Staff export of the attacker: his own request, none of hers, and the
	// shared identifier listed as a claimed link without its records.
	resp, out := l.do("GET", "/v1/admin/subjects/export?email="+url.QueryEscape(attacker), "", "", "", staff...)
	var doc subjectdata.Document
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("export: %d %s", resp.StatusCode, out)
	}
	for _, leak := range []string{victim, "Vera", "Victim", "clinic notes", victimReq} {
		if strings.Contains(out, leak) {
			t.Errorf("the attacker's export holds the victim's %q: %s", leak, out)
		}
	}
	ids := map[string]bool{}
	for _, r := range doc.Requests {
		ids[r.ID] = true
	}
	if !ids[attackerReq] || len(doc.Requests) != 2 {
		t.Fatalf("the attacker's export lacks his own requests: %+v", doc.Requests)
	}
	if len(doc.Linked) != 1 || doc.Linked[0].Kind != via || doc.Linked[0].Evidence != "claimed" || doc.Linked[0].Reference == "" {
		t.Fatalf("linked identifiers %+v, want the %s as claimed", doc.Linked, via)
	}
	for _, o := range doc.OptOuts {
		if o.Identifier != "email" {
			t.Errorf("the export holds the %s's opt-out: %+v", o.Identifier, doc.OptOuts)
		}
	}

	// Staff erase the attacker: his request is minimised, hers untouched,
	// and the erasure names who did it.
	resp, out = l.do("POST", "/v1/admin/subjects/erase", "application/json", "",
		`{"email":"`+attacker+`","reason":"Verified request to delete `+attackerReq+`"}`, staff...)
	var rep subjectdata.Report
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &rep) != nil || rep.Actor != "admin" {
		t.Fatalf("erase: %d %s", resp.StatusCode, out)
	}
	if mine := detail(attackerReq); mine.Email != "" || mine.FirstName != "" || mine.Details != "" {
		t.Fatalf("the attacker's request survived his erasure: %+v", mine)
	}
	if hers := detail(victimReq); hers.Email != victim || hers.FirstName != "Vera" || hers.LastName != "Victim" || hers.Details != victimDetails {
		t.Fatalf("the victim's request after the attacker's erasure: %+v", hers)
	}
	if n := len(history(victim).Events); n != victimEvents {
		t.Fatalf("the victim's ledger has %d events after the attacker's erasure, had %d", n, victimEvents)
	}
	if logs := l.logs.String(); strings.Contains(logs, victim) || strings.Contains(logs, attacker) || strings.Contains(logs, shared) {
		t.Error("personal data in the logs")
	}
}
