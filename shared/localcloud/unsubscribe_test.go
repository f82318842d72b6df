package localcloud_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/localcloud"
)

// rawMail keeps the raw messages the functions send, on their way to the
// SES stand-in, which stores only the parsed parts and no header of the
// sender's own.
type rawMail struct {
	mu   sync.Mutex
	msgs []*netmail.Message
}

func (c *rawMail) via(t *testing.T) func(string) string {
	return func(standIn string) string {
		target, err := url.Parse(standIn)
		if err != nil {
			t.Fatal(err)
		}
		proxy := httputil.NewSingleHostReverseProxy(target)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") == "SendRawEmail" {
				raw, _ := base64.StdEncoding.DecodeString(form.Get("RawMessage.Data"))
				if m, err := netmail.ReadMessage(bytes.NewReader(raw)); err == nil {
					c.mu.Lock()
					c.msgs = append(c.msgs, m)
					c.mu.Unlock()
				}
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
}

// to returns the raw messages sent to an address.
func (c *rawMail) to(addr string) []*netmail.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*netmail.Message
	for _, m := range c.msgs {
		if m.Header.Get("To") == addr {
			out = append(out, m)
		}
	}
	return out
}

// TestOneClickUnsubscribe: the consent receipt carries the postal address
// and the one-click headers (RFC 8058) with a link on the public base URL;
// the link's GET shows a page and changes nothing, a forged token changes
// nothing, the POST withdraws email marketing at once (the check says not
// allowed, the history shows a one_click withdrawal), and a repeat is fine
// and records nothing more.
func TestOneClickUnsubscribe(t *testing.T) {
	capture := &rawMail{}
	l := startLocal(t, func(o *localcloud.Options) { o.SESVia = capture.via(t) })
	const addr = "una@example.com"
	const browser = "text/html,application/xhtml+xml,*/*;q=0.8"
	staff := []string{"Authorization", staffBearer(t, l.cloud, "admin")}
	resp, out := l.do("POST", "/v1/consents", "application/json", "", `{"subject":{"email":"Una@Example.com"},`+
		`"events":[{"purpose":"email_marketing","granted":true}],"disclosure":{"id":"email-optin","version":"2026-11"},`+
		`"source_url":"https://www.example.com/subscribe","country":"US","age_confirmed":true}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("grant: %d %s", resp.StatusCode, out)
	}
	stored := waitForMail(t, l.cloud.SES.Endpoint, addr, "Your consent receipt")
	raws := capture.to(addr)
	if len(raws) != 1 {
		t.Fatalf("%d raw messages to %s, want 1", len(raws), addr)
	}
	h := raws[0].Header
	unsub := strings.TrimSuffix(strings.TrimPrefix(h.Get("List-Unsubscribe"), "<"), ">")
	if !strings.HasPrefix(unsub, l.cloud.APIURL+"/v1/unsubscribe?token=") || h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("headers List-Unsubscribe %q, List-Unsubscribe-Post %q", h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"))
	}
	for part, body := range map[string]string{"text": stored.Body.Text, "HTML": stored.Body.HTML} {
		if !strings.Contains(body, localcloud.DefaultPostalAddress) || !strings.Contains(body, "+1 (251) 428-3182") {
			t.Errorf("%s part lacks the postal address or the phone:\n%s", part, body)
		}
	}
	if !strings.Contains(stored.Body.Text, unsub) || !strings.Contains(stored.Body.HTML, strings.ReplaceAll(unsub, "&", "&amp;")) {
		t.Errorf("the body does not show the link %s", unsub)
	}

	check := func(want bool) {
		t.Helper()
		resp, out := l.do("GET", "/v1/admin/consents/check?email="+addr+"&purpose=email_marketing", "", "", "", staff...)
		var ans adminapi.ConsentAnswer
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &ans) != nil || ans.Allowed != want {
			t.Fatalf("check: %d %s, want allowed=%v", resp.StatusCode, out, want)
		}
	}
	history := func() adminapi.History {
		t.Helper()
		resp, out := l.do("GET", "/v1/admin/consents?email="+addr, "", "", "", staff...)
		var hs adminapi.History
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &hs) != nil {
			t.Fatalf("history: %d %s", resp.StatusCode, out)
		}
		return hs
	}
	confirm := regexp.MustCompile(`/v1/consents/confirm\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(stored.Body.Text)
	if confirm == nil {
		t.Fatalf("no confirm link in %q", stored.Body.Text)
	}
	if resp, out := l.do("POST", "/v1/consents/confirm", "application/json", "", `{"token":"`+confirm[1]+`"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d %s", resp.StatusCode, out)
	}
	check(true)
	before := len(history().Events)

	// The GET (a link scanner, or the person) shows the page and changes nothing.
	resp, page := l.do("GET", unsub, "", browser, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `method="post"`) || !strings.Contains(page, "Unsubscribe</button>") {
		t.Fatalf("GET: %d %s", resp.StatusCode, page)
	}
	check(true)

	// A forged token (its tag changed) changes nothing and names no one.
	u, _ := url.Parse(unsub)
	tok := u.Query().Get("token")
	forged := tok[:len(tok)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(tok, "AA")]
	resp, out = l.do("POST", "/v1/unsubscribe?token="+url.QueryEscape(forged), "application/x-www-form-urlencoded", "", "List-Unsubscribe=One-Click")
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(out, "una") {
		t.Fatalf("forged: %d %s", resp.StatusCode, out)
	}
	check(true)

	// The one-click POST, as a mailbox provider sends it; then again from
	// the page's button, which gets a page.
	resp, out = l.do("POST", unsub, "application/x-www-form-urlencoded", "", "List-Unsubscribe=One-Click")
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, `"status":"withdrawn"`) {
		t.Fatalf("one-click POST: %d %s", resp.StatusCode, out)
	}
	check(false)
	resp, out = l.do("POST", unsub, "application/x-www-form-urlencoded", browser, "List-Unsubscribe=One-Click")
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, "You are unsubscribed") {
		t.Fatalf("repeat POST from the page: %d %s", resp.StatusCode, out)
	}
	check(false)
	hs := history()
	if len(hs.Events) != before+1 || !hs.Chain.Valid {
		t.Fatalf("%d events after the POSTs, want %d (one withdrawal); chain %+v", len(hs.Events), before+1, hs.Chain)
	}
	last := hs.Events[len(hs.Events)-1]
	if last.Kind != "consent" || last.Fields["status"] != "withdrawn" || last.Fields["channel"] != "one_click" || last.Fields["purpose"] != "email_marketing" {
		t.Errorf("last event %s %v, want a one_click withdrawal", last.Kind, last.Fields)
	}
	if len(hs.Current) != 1 || hs.Current[0].Purpose != "email_marketing" || hs.Current[0].Status != "withdrawn" {
		t.Errorf("current %+v, want email marketing withdrawn", hs.Current)
	}
}
