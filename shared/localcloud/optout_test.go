package localcloud_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/optoutapi"
)

// TestDoNotSellThroughTheGateway covers the Do Not Sell or Share journey:
// the page's form with an email, the GPC signal with a browser id, the
// status the page reads, repeats, bad input, and the staff suppression
// export, which must hold the hashes of both and nothing raw.
func TestDoNotSellThroughTheGateway(t *testing.T) {
	l := startLocal(t)
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	const form = "application/x-www-form-urlencoded"
	page := l.cloud.APIURL + "/do-not-sell.html"

	// The page's form, posted by a browser without JavaScript.
	resp, _ := l.do("POST", "/v1/opt-out", form, browser,
		url.Values{"email": {" Grace@Example.com "}, "return_url": {page}}.Encode())
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/do-not-sell.html" || loc.Query().Get("status") != "opted_out" {
		t.Fatalf("form opt-out: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	mail := waitForMail(t, l.cloud.SES.Endpoint, "grace@example.com",
		"You have opted out of the sale and sharing of your personal information")
	if !strings.Contains(mail.Body.Text, loc.Query().Get("ref")) {
		t.Fatalf("confirmation mail lacks the reference: %q", mail.Body.Text)
	}

	// The Global Privacy Control signal with a browser id (curl -H 'Sec-GPC: 1').
	gpcBody := `{"browser_id":"gpc-browser-42"}`
	resp, out := l.do("POST", "/v1/opt-out", "application/json", "", gpcBody, "Sec-GPC", "1")
	var rc optoutapi.Receipt
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &rc) != nil ||
		rc.Status != "opted_out" || !rc.GPC || len(rc.Identifiers) != 1 || rc.Identifiers[0] != "browser_id" {
		t.Fatalf("GPC opt-out: %d %s", resp.StatusCode, out)
	}
	// Repeating it is harmless, and does not disclose the first opt-out.
	resp, out = l.do("POST", "/v1/opt-out", "application/json", "", gpcBody, "Sec-GPC", "1")
	var again optoutapi.Receipt
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &again) != nil ||
		again.Status != "opted_out" || again.ID == rc.ID {
		t.Fatalf("repeat: %d %s (first id %s)", resp.StatusCode, out, rc.ID)
	}

	// The page asks whether its browser is opted out.
	resp, out = l.do("GET", "/v1/opt-out/status?browser_id=gpc-browser-42", "", "", "")
	var st optoutapi.StatusAnswer
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &st) != nil || !st.OptedOut || st.Since == nil {
		t.Fatalf("status: %d %s", resp.StatusCode, out)
	}
	resp, out = l.do("GET", "/v1/opt-out/status?browser_id=never-seen-1", "", "", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, `"opted_out":false`) {
		t.Fatalf("status of an unknown browser: %d %s", resp.StatusCode, out)
	}

	// Bad input: no identifier names all three fields; a header injection
	// attempt in the email is refused, not echoed.
	resp, out = l.do("POST", "/v1/opt-out", "application/json", "", `{}`)
	for _, f := range []string{"email", "phone", "browser_id"} {
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(out, `"field":"`+f+`"`) {
			t.Fatalf("no identifier: %d %s (missing %s)", resp.StatusCode, out, f)
		}
	}
	resp, out = l.do("POST", "/v1/opt-out", "application/json", "", `{"email":"eve@example.com\r\nBcc: all@example.com"}`)
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(out, "Bcc") {
		t.Fatalf("header injection: %d %s", resp.StatusCode, out)
	}

	// The staff export: hashes of both, nothing raw; staff only.
	resp, _ = l.do("GET", "/v1/admin/suppression?format=json", "", "", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("export without a token: %d", resp.StatusCode)
	}
	resp, _ = l.do("GET", "/v1/admin/suppression", "", "", "", "Authorization", "Bearer wrong")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("export with a wrong token: %d", resp.StatusCode)
	}
	resp, out = l.do("GET", "/v1/admin/suppression?format=json", "", "", "", "Authorization", staffBearer(t, l.cloud, "admin"))
	var list adminapi.SuppressionList
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &list) != nil {
		t.Fatalf("export: %d %s", resp.StatusCode, out)
	}
	sum := sha256.Sum256([]byte("grace@example.com"))
	emailHash := hex.EncodeToString(sum[:])
	var haveEmail, haveBrowser bool
	for _, e := range list.Entries {
		haveEmail = haveEmail || e.EmailSHA256 == emailHash
		haveBrowser = haveBrowser || e.BrowserID == "gpc-browser-42"
	}
	if !haveEmail || !haveBrowser || list.Count != len(list.Entries) || strings.Contains(out, "@") {
		t.Fatalf("export = %s", out)
	}
	resp, out = l.do("GET", "/v1/admin/suppression?format=csv", "", "", "", "Authorization", staffBearer(t, l.cloud, "admin"))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(out, "email_sha256,phone_sha256,browser_id,since\n") ||
		!strings.Contains(out, emailHash) || strings.Contains(out, "@") {
		t.Fatalf("csv export: %d %s", resp.StatusCode, out)
	}

	// The well-known GPC resource is served.
	resp, out = l.do("GET", "/.well-known/gpc.json", "", "", "")
	var gpc struct {
		GPC bool `json:"gpc"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &gpc) != nil || !gpc.GPC {
		t.Fatalf("gpc.json: %d %s", resp.StatusCode, out)
	}

	for _, pii := range []string{"grace@example.com", "Grace@Example.com", "eve@example.com"} {
		if strings.Contains(l.logs.String(), pii) {
			t.Errorf("logs contain %q", pii)
		}
	}
}

// TestLimitSensitiveThroughTheGateway covers the Limit the Use of My
// Sensitive Personal Information page (11 CCR §7027): its form post names
// the right, the browser returns with status=limited, the confirmation
// names the limit, and a limit alone does not opt the browser out of sale
// and sharing. An unknown right is refused, naming the field.
func TestLimitSensitiveThroughTheGateway(t *testing.T) {
	l := startLocal(t)
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	const form = "application/x-www-form-urlencoded"
	page := l.cloud.APIURL + "/limit-sensitive.html"

	resp, _ := l.do("POST", "/v1/opt-out", form, browser, url.Values{
		"email": {"ada@example.com"}, "browser_id": {"limit-browser-7"},
		"rights": {"limit_sensitive"}, "return_url": {page},
	}.Encode())
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/limit-sensitive.html" ||
		loc.Query().Get("status") != "limited" || loc.Query().Get("ref") == "" {
		t.Fatalf("form limit: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	mail := localtest.WaitForMail(t, l.cloud.SES.Endpoint, "ada@example.com", func(localtest.Mail) bool { return true })
	if !strings.Contains(mail.Body.Text, "Limit the use of my sensitive personal information") ||
		strings.Contains(mail.Body.Text, "Do not sell or share my personal information") {
		t.Fatalf("confirmation of a limit: %q", mail.Body.Text)
	}
	resp, out := l.do("GET", "/v1/opt-out/status?browser_id=limit-browser-7", "", "", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, `"opted_out":false`) {
		t.Fatalf("a limit alone opted the browser out of sale and sharing: %d %s", resp.StatusCode, out)
	}

	// Both rights in one JSON call, a repeat counted once.
	resp, out = l.do("POST", "/v1/opt-out", "application/json", "",
		`{"browser_id":"limit-browser-8","rights":["limit_sensitive","opt_out","opt_out"]}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, `"status":"opted_out"`) {
		t.Fatalf("both rights: %d %s", resp.StatusCode, out)
	}
	resp, out = l.do("GET", "/v1/opt-out/status?browser_id=limit-browser-8", "", "", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, `"opted_out":true`) {
		t.Fatalf("status after both rights: %d %s", resp.StatusCode, out)
	}

	for _, body := range []string{`{"email":"x@example.com","rights":["sell_everything"]}`, `{"email":"x@example.com","rights":"limit_sensitive"}`} {
		resp, out = l.do("POST", "/v1/opt-out", "application/json", "", body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(out, `"field":"rights"`) {
			t.Fatalf("bad rights %s: %d %s", body, resp.StatusCode, out)
		}
	}
	if strings.Contains(l.logs.String(), "ada@example.com") {
		t.Error("logs contain the email")
	}
}
