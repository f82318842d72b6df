package consentapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/mail"
)

// unsubscribeEvent is a request to the unsubscribe link with token.
func unsubscribeEvent(method, token, accept string) apigw.Request {
	r := event(method+" /v1/unsubscribe", "", accept, "")
	if method == "POST" {
		r = event(method+" /v1/unsubscribe", "application/x-www-form-urlencoded", accept, "List-Unsubscribe=One-Click")
	}
	r.QueryStringParameters = map[string]string{"token": token}
	return r
}

// TestUnsubscribeRoutes: the receipt's link shows a page whose form posts
// to the same link on the public base URL, changing nothing; the POST
// withdraws, as JSON for a mailbox provider and as a page for a browser; a
// forged token is 400 on both, and no log line carries the token.
func TestUnsubscribeRoutes(t *testing.T) {
	h, st, logs := newHandler(t)
	resp := handle(t, h, post(goodBody(`[{"purpose":"email_marketing","granted":true}]`)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("give: %d %s", resp.StatusCode, resp.Body)
	}
	link, err := url.Parse(st.Recordings()[0].Mail.Data[mail.UnsubscribeKey])
	if err != nil {
		t.Fatal(err)
	}
	token := link.Query().Get("token")

	page := handle(t, h, unsubscribeEvent("GET", token, chromeAccept))
	wantAction := `action="` + baseURL + `/v1/unsubscribe?token=` + url.QueryEscape(token) + `"`
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, wantAction) || !strings.Contains(page.Body, `method="post"`) {
		t.Fatalf("page: %d, want a form with %s:\n%s", page.StatusCode, wantAction, page.Body)
	}
	if n := len(st.Recordings()); n != 1 {
		t.Fatalf("the GET recorded: %d recordings", n)
	}

	forged := token[:len(token)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(token, "A")]
	for _, m := range []string{"GET", "POST"} {
		if r := handle(t, h, unsubscribeEvent(m, forged, chromeAccept)); r.StatusCode != http.StatusBadRequest || !strings.HasPrefix(r.Body, "<!DOCTYPE html>") {
			t.Errorf("%s forged (browser): %d %s", m, r.StatusCode, r.Body)
		}
	}
	wantField(t, problem(t, handle(t, h, unsubscribeEvent("POST", forged, "")), http.StatusBadRequest), "token")
	wantField(t, problem(t, handle(t, h, unsubscribeEvent("POST", "", "")), http.StatusBadRequest), "token")

	if r := handle(t, h, unsubscribeEvent("POST", token, "")); r.StatusCode != http.StatusOK || r.Body != `{"purpose":"email_marketing","status":"withdrawn"}` {
		t.Fatalf("one-click: %d %s", r.StatusCode, r.Body)
	}
	if r := handle(t, h, unsubscribeEvent("POST", token, chromeAccept)); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "You are unsubscribed") {
		t.Fatalf("from the page: %d %s", r.StatusCode, r.Body)
	}
	if n := len(st.Recordings()); n != 2 {
		t.Errorf("%d recordings, want the grant and one withdrawal", n)
	}
	if strings.Contains(logs.String(), token[len(token)-10:]) || strings.Contains(logs.String(), forged[len(forged)-10:]) {
		t.Errorf("a log line carries the token:\n%s", logs)
	}
}
