package localcloud_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/localcloud"
)

// The local cloud's mail goes through the tap, which keeps the headers the
// SES stand-in drops: a consent receipt shows its one-click unsubscribe
// headers there, and a request receipt none.
func TestMailTapKeepsTheHeaders(t *testing.T) {
	l := startLocal(t)
	const email = "tapped@example.com"
	if code, out, err := post(l, "/v1/consents", `{"subject":{"email":"`+email+`"},"events":[{"purpose":"email_marketing","granted":true}],`+
		`"disclosure":{"id":"email-optin","version":"2026-11"},"age_confirmed":true}`, nil); err != nil || code != http.StatusCreated {
		t.Fatalf("consent: %d %s %v", code, out, err)
	}
	if code, out, err := post(l, "/v1/requests", `{"types":["know"],"first_name":"Tap","last_name":"Ped","email":"`+email+`","country":"US","state":"CA","declaration":true}`, nil); err != nil || code != http.StatusAccepted {
		t.Fatalf("request: %d %s %v", code, out, err)
	}
	var mails []localcloud.TappedMail
	for deadline := time.Now().Add(20 * time.Second); len(mails) < 2 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(l.cloud.MailTap.Endpoint + "/store")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mails = nil
		if err := json.Unmarshal(b, &mails); err != nil {
			t.Fatal(err)
		}
	}
	kinds := map[string]bool{}
	for _, m := range mails {
		unsub, post := strings.Join(m.Headers["List-Unsubscribe"], ""), strings.Join(m.Headers["List-Unsubscribe-Post"], "")
		switch m.Subject {
		case "Your consent receipt":
			kinds["consent"] = strings.Contains(unsub, "/v1/unsubscribe?token=") && post == "List-Unsubscribe=One-Click"
		case "We received your privacy request":
			kinds["request"] = unsub == "" && post == ""
		}
		if m.To != email {
			t.Errorf("tapped mail to %q", m.To)
		}
	}
	if !kinds["consent"] || !kinds["request"] {
		t.Fatalf("tapped headers %+v, want the consent receipt with one-click unsubscribe and the request receipt without", mails)
	}
	resp, err := http.Get(l.cloud.MailTap.Endpoint + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "List-Unsubscribe=One-Click") {
		t.Errorf("the tap's page does not show the headers")
	}
}
