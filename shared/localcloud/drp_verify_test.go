package localcloud_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// fullLinkPattern is a mailed verification link with every parameter.
var fullLinkPattern = regexp.MustCompile(`https?://\S+/v1/verify\?token=[^\s<>"]+`)

// TestDataRightsProtocolVerificationPage is the protocol's
// need_user_verification flow (DRP 3.02.1) through the local gateway,
// DynamoDB Local and the SES stand-in: the agent sends the person to its
// request's user_verification_url with request_id and redirect_to; the
// page says a link was mailed, shows nothing of the request and verifies
// nothing itself; its button mails a new link to the person's address
// only; any other id answers as an unknown link does; a redirect_to on an
// origin the agent's entry does not list appears nowhere, one it lists is
// offered as a link once the person confirms from the mail.
func TestDataRightsProtocolVerificationPage(t *testing.T) {
	agent := newTestAgent(t, "RETURN_AGENT")
	pub := agent.priv.Public().(ed25519.PublicKey)
	entry := fmt.Sprintf(`{"id":%q,"name":"Return Agent","verify_key":%q,"redirect_origins":["https://agent.example"]}`,
		agent.id, base64.StdEncoding.EncodeToString(pub))
	l := startLocal(t, func(o *localcloud.Options) { o.DRPAgents = "[" + entry + "]" })
	const (
		html     = "text/html"
		form     = "application/x-www-form-urlencoded"
		person   = "mary.drp@example.com"
		listed   = "https://agent.example/drp/done?req=7"
		unlisted = "https://evil.example/phish"
	)
	resp, out := l.do("POST", "/v1/agent/"+agent.id, "text/plain", js, agent.sign(agent.claims(nil)))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("key setup: %d %s", resp.StatusCode, out)
	}
	agent.token = regexp.MustCompile(`"token":"([^"]+)"`).FindStringSubmatch(out)[1]
	exercise := func(exercise, name, email string) (id, verifyURL string) {
		t.Helper()
		resp, out := l.do("POST", "/v1/data-rights-request", "text/plain", js, agent.sign(agent.claims(map[string]any{
			"exercise": exercise, "regime": "ccpa", "name": name, "email": email})), "Authorization", "Bearer "+agent.token)
		m := regexp.MustCompile(`"request_id":"([^"]+)".*"user_verification_url":"([^"]+)"`).FindStringSubmatch(out)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("exercise: %d %s", resp.StatusCode, out)
		}
		return m[1], m[2]
	}
	id, verifyURL := exercise("deletion", "Mary Somerville", person)
	if verifyURL != l.cloud.APIURL+"/v1/verify?reference="+id {
		t.Fatalf("user_verification_url %q", verifyURL)
	}
	first := tokenIn(t, waitForMail(t, l.cloud.SES.Endpoint, person, "We received your privacy request"))
	page := func(u string, want int) string {
		t.Helper()
		resp, out := l.do("GET", u, "", html, "")
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d, want %d\n%s", u, resp.StatusCode, want, out)
		}
		return out
	}
	with := func(reference, requestID, redirectTo string) string {
		return "/v1/verify?" + url.Values{"reference": {reference}, "request_id": {requestID}, "redirect_to": {redirectTo}}.Encode()
	}
	var pages []string

	// The agent's page: 200, in the company's words, nothing of the
	// request, no way to verify but the mail, a button for a new link.
	agentPage := page(verifyURL+"&request_id="+id+"&redirect_to="+url.QueryEscape(unlisted), 200)
	pages = append(pages, agentPage)
	for _, want := range []string{"We emailed a link to confirm the request to the email address your agent gave us",
		`action="` + l.cloud.APIURL + `/v1/verify/resend"`, `<button type="submit">Email me a new link</button>`} {
		if !strings.Contains(agentPage, want) {
			t.Errorf("the agent's page lacks %q:\n%s", want, agentPage)
		}
	}
	for _, never := range []string{person, "Mary", "Somerville", "deletion", "Return Agent", `name="token"`, `action="` + l.cloud.APIURL + `/v1/verify"`} {
		if strings.Contains(agentPage, never) {
			t.Errorf("the agent's page shows %q:\n%s", never, agentPage)
		}
	}

	// Any other id, a request_id that differs, a web request: as an
	// unknown reference is answered, word for word.
	unknown := page("/v1/verify?reference=01JZ8X6Q3V4N5T7W9Y0A2B4C6D", http.StatusGone)
	other, _ := exercise("access", "Caroline Herschel", "caroline.drp@example.com")
	resp, out = l.do("POST", "/v1/requests", js, js, `{"types":["access"],"first_name":"Web","last_name":"Person","email":"web.drp@example.com","declaration":true}`)
	webID := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(out)
	if resp.StatusCode != http.StatusAccepted || webID == nil {
		t.Fatalf("web request: %d %s", resp.StatusCode, out)
	}
	for name, u := range map[string]string{
		"unknown id":          with("01JZ8X6Q3V4N5T7W9Y0A2B4C6D", "01JZ8X6Q3V4N5T7W9Y0A2B4C6D", listed),
		"another request_id":  with(id, other, listed),
		"no request_id":       "/v1/verify?reference=" + id,
		"a web request":       with(webID[1], webID[1], listed),
		"malformed reference": with("x", "x", ""),
	} {
		if got := page(u, http.StatusGone); got != unknown {
			t.Errorf("%s: the page differs from an unknown reference's:\n%s", name, got)
		}
	}

	// The button mails a new link to the person's address only; an
	// unlisted redirect_to does not travel in it.
	resend := func(redirectTo string) string {
		t.Helper()
		body := url.Values{"reference": {id}, "request_id": {id}, "redirect_to": {redirectTo}}.Encode()
		resp, out := l.do("POST", "/v1/verify/resend", form, html, body)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("resend: %d %s", resp.StatusCode, out)
		}
		return out
	}
	pages = append(pages, resend(unlisted))
	drained(t, l)
	const newLink = "Your new link to confirm your privacy request"
	for _, m := range localtest.Mails(t, l.cloud.SES.Endpoint) {
		if m.Subject == newLink && (len(m.Destination.To) != 1 || m.Destination.To[0] != person) {
			t.Errorf("a new link went to %v", m.Destination.To)
		}
		if strings.Contains(m.Body.Text+m.Body.HTML, "evil.example") {
			t.Errorf("a mail carries the unlisted return address: %s", m.Body.Text)
		}
	}
	if n := mailsTo(t, l, person, newLink); n != 1 {
		t.Fatalf("%d new links to the person, want 1", n)
	}
	if linkWorks(t, l, first) {
		t.Error("the first link still works after a new one was sent")
	}
	second := tokenIn(t, waitForMail(t, l.cloud.SES.Endpoint, person, newLink))
	// Even appended to a link by hand, it shows on no page.
	pages = append(pages, page("/v1/verify?token="+second+"&redirect_to="+url.QueryEscape(unlisted), 200))

	// A listed redirect_to travels in the next link and is offered, as a
	// link, once the person confirms from the mail.
	resend(listed)
	drained(t, l)
	var link string
	for _, m := range localtest.Mails(t, l.cloud.SES.Endpoint) {
		if m.Subject == newLink && strings.Contains(m.Body.Text, "redirect_to=") {
			link = fullLinkPattern.FindString(m.Body.Text)
		}
	}
	if link == "" {
		t.Fatal("no new link carries the listed return address")
	}
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("redirect_to") != listed {
		t.Fatalf("link %q: %v", link, err)
	}
	confirm := page(u.RequestURI(), 200)
	if !strings.Contains(confirm, `name="redirect_to" value="https://agent.example/drp/done?req=7"`) {
		t.Errorf("the confirm page does not keep the return address:\n%s", confirm)
	}
	body := url.Values{"token": {u.Query().Get("token")}, "redirect_to": {listed}}.Encode()
	resp, verified := l.do("POST", "/v1/verify", form, html, body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(verified, "Your request is confirmed") ||
		!strings.Contains(verified, `<a href="https://agent.example/drp/done?req=7" rel="noreferrer">Return to Return Agent</a>`) {
		t.Fatalf("confirmation: %d\n%s", resp.StatusCode, verified)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Errorf("the confirmation redirects to %q", loc)
	}

	// Verified now: the agent's page answers as an unknown reference.
	if got := page(with(id, id, listed), http.StatusGone); got != unknown {
		t.Errorf("a verified request's page differs from an unknown reference's:\n%s", got)
	}

	// Confirmed from the first mail with an unlisted return address: no
	// way back is offered.
	otherToken := tokenIn(t, waitForMail(t, l.cloud.SES.Endpoint, "caroline.drp@example.com", "We received your privacy request"))
	body = url.Values{"token": {otherToken}, "redirect_to": {unlisted}}.Encode()
	resp, out = l.do("POST", "/v1/verify", form, html, body)
	if resp.StatusCode != http.StatusOK || strings.Contains(out, "Return to") {
		t.Fatalf("confirmation with an unlisted return address: %d\n%s", resp.StatusCode, out)
	}
	pages = append(pages, out, unknown)

	// The button is the resend, under its cap: three new links a day.
	capped, _ := exercise("access:categories", "Emmy Noether", "emmy.drp@example.com")
	for range 5 {
		body := url.Values{"reference": {capped}, "request_id": {capped}}.Encode()
		if resp, out := l.do("POST", "/v1/verify/resend", form, html, body); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("resend: %d %s", resp.StatusCode, out)
		}
	}
	drained(t, l)
	if n := mailsTo(t, l, "emmy.drp@example.com", newLink); n != 3 {
		t.Errorf("%d new links after five asks, want the cap of 3", n)
	}
	for _, p := range pages {
		if strings.Contains(p, "evil.example") {
			t.Errorf("a page shows the unlisted return address:\n%s", p)
		}
	}
	for _, pii := range []string{person, "Somerville", first, second} {
		if strings.Contains(l.logs.String(), pii) {
			t.Errorf("logs contain %q", pii)
		}
	}
}
