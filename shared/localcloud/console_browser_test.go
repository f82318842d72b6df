package localcloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// The staff console (web/console/) in headless Chromium: each staff member
// signs in through the local stand-in for the user pool's hosted sign-in
// (username, password, authenticator code), and the console calls the
// staff API with their access token, as it does in AWS.

// TestConsoleHandlerWorksARequest: a person submits a request through the
// public form and confirms it from the mail; the handler signs in, sees it
// in the queue (with requests due this week and overdue marked), starts
// and completes it with the actions the service offers, and the person's
// inbox shows the outcome. Then the handler records the withdrawal the
// person made by phone, and the person's consent history shows it.
func TestConsoleHandlerWorksARequest(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	l := startLocal(t)
	cloud := l.cloud
	b := newBrowser(ctx, t)
	scriptErrors(b, t)

	const email = "grace.console@example.com"
	ref := submitThroughForm(b, t, cloud, email)
	soon, overdue := enterLateRequests(t, l)

	consoleSignIn(b, t, cloud, "handler")
	row := func(id string) string {
		return fmt.Sprintf(`(() => { const a = document.querySelector('#queue-results a[href="#request/%s"]'); return a ? a.closest("tr").className + "|" + a.closest("tr").textContent : ""; })()`, id)
	}
	mine := poll[string](b, t, row(ref))
	if !strings.Contains(mine, "verified") || strings.Contains(mine, "Overdue") || strings.Contains(mine, "Due this week") {
		t.Errorf("queue row of the new request: %q, want verified and no mark", mine)
	}
	if got := poll[string](b, t, row(soon)); !strings.HasPrefix(got, "due-soon|") || !strings.Contains(got, "Due this week") {
		t.Errorf("queue row of a request due in days: %q, want marked due this week", got)
	}
	if got := poll[string](b, t, row(overdue)); !strings.HasPrefix(got, "overdue|") || !strings.Contains(got, "Overdue") {
		t.Errorf("queue row of a request past its date: %q, want marked overdue", got)
	}

	saveShot(t, "console-queue.png", screenshot(b, t))
	must(t, "open the request", chromedp.Do(b, chromedp.Click(chromedp.CSS(`#queue-results a[href="#request/`+ref+`"]`))))
	waitView(b, t)
	if got := offered(b, t); !slices.Equal(got, []string{"start", "extend", "complete", "deny", "cancel"}) {
		t.Errorf("a verified request offers %v, want start, extend, complete, deny, cancel", got)
	}
	act(b, t, "start", nil)
	waitText(b, t, "#request-status", "in progress")
	const outcome = "We mailed you a copy of the personal information we hold."
	act(b, t, "complete", map[string]string{"act-outcome": outcome})
	waitText(b, t, "#request-status", "completed")
	if got := offered(b, t); len(got) != 0 {
		t.Errorf("a completed request offers %v, want nothing", got)
	}
	saveShot(t, "console-request.png", screenshot(b, t))
	history := text(b, t, "main")
	if !strings.Contains(history, "start") || !strings.Contains(history, "handler") {
		t.Errorf("the history does not name the handler as who acted: %q", history)
	}
	localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool {
		return strings.Contains(m.Body.Text, "completed your Data Rights Request "+ref) && strings.Contains(m.Body.Text, outcome)
	})

	// The withdrawal the person made by phone, from the person's view.
	must(t, "open the person's view", chromedp.Do(b, chromedp.Click(chromedp.ID("open-person"))))
	waitPresent(b, t, "#chain-check")
	must(t, "fill the withdrawal", chromedp.Do(b,
		chromedp.Click(chromedp.CSS(`#withdrawal-form input[value="email_marketing"]`)),
		chromedp.SetValue(chromedp.ID("withdrawal-channel"), "phone"),
		chromedp.SendKeys(chromedp.ID("withdrawal-note"), "Called the office to stop the newsletter."),
		chromedp.Click(chromedp.CSS(`#withdrawal-form button[type="submit"]`)),
	))
	log := poll[string](b, t, `(() => { const m = document.getElementById("person-results").textContent; return m.includes("channel: phone") ? m : ""; })()`)
	for _, want := range []string{"email marketing", "withdrawn", "recorded by: handler", "Chain intact"} {
		if !strings.Contains(log, want) {
			t.Errorf("the person's view after the withdrawal lacks %q: %q", want, log)
		}
	}
	for _, sel := range []string{"#erase", "#export"} {
		if present(b, t, sel) {
			t.Errorf("the handler's person view has %s, which only an admin may use", sel)
		}
	}
	saveShot(t, "console-person.png", screenshot(b, t))
	token := consoleToken(b, t)
	resp, out := l.do("GET", "/v1/admin/consents/check?purpose=email_marketing&email="+url.QueryEscape(email), "", js, "", "Authorization", "Bearer "+token)
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, `"allowed":false`) || !strings.Contains(out, `"withdrawn"`) {
		t.Errorf("the consent check after the withdrawal: %d %s, want withdrawn and not allowed", resp.StatusCode, out)
	}
	noPII(t, l.logs, email, "Grace", "Hopper")
}

// TestConsoleViewerCannotEraseAdminCan: the viewer reads the queue and the
// person's view but is offered no action, export or erasure, and the API
// refuses the viewer's own token to erase (403). The viewer signs out; the
// admin signs in and erases the person through the confirm step, which
// refuses to go on without a reason and the box ticked.
func TestConsoleViewerCannotEraseAdminCan(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	l := startLocal(t)
	cloud := l.cloud
	b := newBrowser(ctx, t)
	scriptErrors(b, t)
	const email = "ada.erase@example.com"
	ref := submitRequest(t, cloud, email)

	consoleSignIn(b, t, cloud, "viewer")
	waitPresent(b, t, `#queue-results a[href="#request/`+ref+`"]`)
	must(t, "open the request", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/console/#request/"+ref)))
	waitView(b, t)
	if got := offered(b, t); len(got) != 0 {
		t.Errorf("the viewer is offered %v, want no action", got)
	}
	if msg := text(b, t, "#no-actions"); !strings.Contains(msg, "viewer") {
		t.Errorf("#no-actions says %q, want the viewer's role named", msg)
	}
	lookUp(b, t, cloud, email)
	for _, sel := range []string{"#erase", "#export", "#withdrawal-form"} {
		if present(b, t, sel) {
			t.Errorf("the viewer's person view has %s", sel)
		}
	}
	viewer := consoleToken(b, t)
	erase := `{"email":"` + email + `","reason":"viewer tries"}`
	resp, out := l.do("POST", "/v1/admin/subjects/erase", js, js, erase, "Authorization", "Bearer "+viewer)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(out, "Your role does not allow this.") {
		t.Fatalf("erase with the viewer's token: %d %s, want 403", resp.StatusCode, out)
	}

	_, err := chromedp.RunResponse(b, chromedp.Click(chromedp.ID("sign-out")))
	must(t, "sign out", err)
	waitBodyState(b, t, "consoleState", "signed-out")
	if left := poll[string](b, t, `String(sessionStorage.length === 0 ? "empty" : Object.keys(sessionStorage).join(","))`); left != "empty" {
		t.Errorf("after signing out sessionStorage holds %s", left)
	}

	consoleSignIn(b, t, cloud, "admin")
	lookUp(b, t, cloud, email)
	must(t, "ask to erase", chromedp.Do(b, chromedp.Click(chromedp.ID("erase"))))
	waitPresent(b, t, "#erase-confirm")
	must(t, "confirm without the box", chromedp.Do(b,
		chromedp.SendKeys(chromedp.ID("erase-reason"), "Verified request to delete "+ref),
		chromedp.Click(chromedp.ID("erase-confirm-button"))))
	waitPresent(b, t, "#erase-confirm .errors")
	admin := consoleToken(b, t)
	detail := func() string {
		resp, out := l.do("GET", "/v1/admin/requests/"+ref, "", js, "", "Authorization", "Bearer "+admin)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET the request: %d %s", resp.StatusCode, out)
		}
		return out
	}
	if !strings.Contains(detail(), email) {
		t.Fatal("the person was erased before the erasure was confirmed")
	}
	must(t, "confirm", chromedp.Do(b,
		chromedp.Click(chromedp.ID("erase-sure")),
		chromedp.Click(chromedp.ID("erase-confirm-button"))))
	waitPresent(b, t, "#erase-result")
	if got := text(b, t, "#erase-result"); !strings.Contains(got, "by admin") {
		t.Errorf("the erasure's result %q does not name the admin", got)
	}
	if strings.Contains(detail(), email) {
		t.Error("the request still holds the email after the erasure")
	}
	noPII(t, l.logs, email)
}

// TestConsoleAccessibility runs axe-core on the console's pages, signed out
// and signed in as the admin (who sees every button), at a laptop's and a
// phone's width.
func TestConsoleAccessibility(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	l := startLocal(t)
	cloud := l.cloud
	axe := axeSource(t)
	b := newBrowser(ctx, t)
	// The console runs under a strict Content-Security-Policy; axe is the
	// test's script, not the page's.
	_, err := chromedp.Call(b, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
	must(t, "bypass the CSP for axe", err)
	const email = "ida.a11y@example.com"
	ref := submitRequest(t, cloud, email)

	check := func(name string) {
		for _, w := range a11yWidths {
			setWidth(b, t, w)
			for _, v := range runAxe(b, t, axe) {
				t.Errorf("%s at %d px: %s (%s) %s\n    at %s", name, w, v.ID, v.Impact, v.Help, targets(v.Targets))
			}
			if over := sidewaysOverflow(b, t); over > 0 {
				t.Errorf("%s at %d px: the page is %d px wider than the window (WCAG 1.4.10)", name, w, over)
			}
		}
		setWidth(b, t, a11yWidths[0])
	}
	openPage(b, t, cloud.APIURL+"/console/", http.StatusOK)
	waitBodyState(b, t, "consoleState", "signed-out")
	check("sign-in page")

	consoleSignIn(b, t, cloud, "admin")
	waitPresent(b, t, `#queue-results a[href="#request/`+ref+`"]`)
	check("queue")
	must(t, "open the request", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/console/#request/"+ref)))
	waitView(b, t)
	must(t, "open the deny form", chromedp.Do(b, chromedp.Click(chromedp.CSS(`button[data-action="deny"]`))))
	waitPresent(b, t, "#action-form")
	check("request with an action's form")
	lookUp(b, t, cloud, email)
	must(t, "open the erasure's confirm step", chromedp.Do(b, chromedp.Click(chromedp.ID("erase"))))
	waitPresent(b, t, "#erase-confirm")
	check("person with the erasure's confirm step")
	for _, v := range []string{"suppression", "sweeps", "metrics"} {
		must(t, "open "+v, chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/console/#"+v)))
		waitView(b, t)
		if v == "metrics" {
			waitPresent(b, t, "svg.chart")
		}
		check(v)
		saveShot(t, "console-"+v+".png", screenshot(b, t))
	}
}

// submitThroughForm sends a request to access through the public form and
// confirms it from the receipt's link, as the person would; it returns the
// reference.
func submitThroughForm(b context.Context, t *testing.T, cloud *localcloud.Cloud, email string) string {
	t.Helper()
	fillRequestForm(b, t, cloud, "Grace", "Hopper", email)
	must(t, "tick access", chromedp.Do(b, chromedp.Click(chromedp.CSS(`#drr input[name="types"][value="access"]`))))
	_, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`#drr button[type="submit"]`)))
	must(t, "submit the form", err)
	ref := text(b, t, ".ref")
	if !ulidRE.MatchString(ref) {
		t.Fatalf(".ref shows %q, want a reference", ref)
	}
	receipt := localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool {
		return strings.Contains(m.Body.Text, "/v1/verify?token=")
	})
	link := regexp.MustCompile(`https?://\S+/v1/verify\?token=[A-Za-z0-9_-]+`).FindString(receipt.Body.Text)
	must(t, "open the link", chromedp.Do(b, chromedp.Navigate(link)))
	_, err = chromedp.RunResponse(b, chromedp.Click(chromedp.Search(`//button[normalize-space()="Confirm my request"]`)))
	must(t, "confirm the request", err)
	return ref
}

// enterLateRequests has the handler enter, through the API, two requests
// that came by phone 40 days ago: one under the CCPA's 45 days (due within
// the week) and one under the GDPR's month (overdue). It returns their
// references.
func enterLateRequests(t *testing.T, l *local) (string, string) {
	t.Helper()
	token, err := l.cloud.StaffToken(context.Background(), "handler")
	must(t, "sign the handler in", err)
	at := time.Now().UTC().AddDate(0, 0, -40).Format(time.RFC3339)
	var refs []string
	for i, country := range []string{"US", "DE"} {
		body := fmt.Sprintf(`{"channel":"phone","types":["know"],"first_name":"Late","last_name":"Caller","email":"late%d.console@example.com",`+
			`"country":%q,"declaration":true,"received_at":%q}`, i, country, at)
		resp, out := l.do("POST", "/v1/admin/requests", js, js, body, "Authorization", "Bearer "+token)
		var rc struct {
			ID string `json:"id"`
		}
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil {
			t.Fatalf("enter a request received 40 days ago from %s: %d %s", country, resp.StatusCode, out)
		}
		refs = append(refs, rc.ID)
	}
	return refs[0], refs[1]
}

// consoleSignIn opens the console and signs user in through the hosted
// sign-in's form, with the seeded password and the authenticator's current
// code, then waits for the console's first view.
func consoleSignIn(b context.Context, t *testing.T, cloud *localcloud.Cloud, user string) {
	t.Helper()
	openPage(b, t, cloud.APIURL+"/console/", http.StatusOK)
	waitBodyState(b, t, "consoleState", "signed-out")
	resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.ID("sign-in")))
	must(t, "press Sign in", err)
	if u, _ := url.Parse(resp.URL); resp.Status != http.StatusOK || u.Path != "/oauth2/authorize" || u.Query().Get("code_challenge_method") != "S256" {
		t.Fatalf("Sign in led to %d %s, want the hosted sign-in with a PKCE challenge", resp.Status, resp.URL)
	}
	must(t, "fill the sign-in form", chromedp.Do(b,
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), cloud.StaffPassword()),
		chromedp.SendKeys(chromedp.ID("code"), cloud.StaffCode(user)),
	))
	_, err = chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	must(t, "sign in as "+user, err)
	waitBodyState(b, t, "consoleState", "ready")
	waitView(b, t)
	if got := text(b, t, "#who-role"); got != user {
		t.Fatalf("signed in as %s, the console shows the role %q", user, got)
	}
	if loc := location(b, t); loc.Path != "/console/" || loc.RawQuery != "" {
		t.Errorf("after signing in the address is %s, want /console/ without the code", loc)
	}
	if stored := poll[string](b, t, `String(localStorage.length === 0 ? "none" : Object.keys(localStorage).join(","))`); stored != "none" {
		t.Errorf("the console left %s in localStorage", stored)
	}
}

// scriptErrors fails the test on any error a page of the console throws,
// and on anything the Content-Security-Policy refuses.
func scriptErrors(b context.Context, t *testing.T) {
	t.Helper()
	var mu sync.Mutex
	var errs []string
	must(t, "listen to the page", chromedp.Listen(b, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			errs = append(errs, fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Source == cdplog.EntrySourceSecurity || strings.Contains(ev.Entry.Text, "Content Security Policy") {
				errs = append(errs, ev.Entry.Text)
			}
		}
	}))
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			t.Errorf("the page: %s", e)
		}
	})
}

// waitView waits until the console's view has loaded.
func waitView(b context.Context, t *testing.T) {
	t.Helper()
	state := poll[string](b, t, `(() => { const m = document.getElementById("main"); return m && m.dataset.viewState === "ready" ? "ready" : ""; })()`)
	if state != "ready" {
		t.Fatalf("the view did not load")
	}
	if bad := poll[string](b, t, `document.querySelector("#main .errors") ? document.querySelector("#main .errors").textContent : "none"`); bad != "none" {
		t.Fatalf("the view shows an error: %s", bad)
	}
}

// poll evaluates expr until it gives a value other than the zero one.
func poll[T comparable](b context.Context, t *testing.T, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b, chromedp.Poll[T](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	must(t, "wait for "+expr, err)
	return v
}

func waitText(b context.Context, t *testing.T, sel, want string) {
	t.Helper()
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.trim() === %q; })()`, sel, want)
	if _, err := chromedp.Run(b, chromedp.Poll[bool](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		errs, _ := chromedp.Run(b, chromedp.Evaluate[string](`Array.from(document.querySelectorAll(".errors")).map(e => e.textContent).join(" | ")`))
		t.Fatalf("%s never showed %q (errors on the page: %q): %v", sel, want, errs, err)
	}
}

// offered lists the actions the request view offers, in its order.
func offered(b context.Context, t *testing.T) []string {
	t.Helper()
	v, err := chromedp.Run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("button[data-action]")).map(e => e.dataset.action)`))
	must(t, "list the actions", err)
	return v
}

// act opens an action's form, fills it and confirms it.
func act(b context.Context, t *testing.T, action string, fields map[string]string) {
	t.Helper()
	must(t, "open "+action, chromedp.Do(b, chromedp.Click(chromedp.CSS(`button[data-action="`+action+`"]`))))
	waitPresent(b, t, `#action-form[data-action="`+action+`"]`)
	for id, v := range fields {
		must(t, "fill "+id, chromedp.Do(b, chromedp.SendKeys(chromedp.ID(id), v)))
	}
	must(t, "confirm "+action, chromedp.Do(b, chromedp.Click(chromedp.ID("action-confirm"))))
}

// lookUp opens the person's view of an email.
func lookUp(b context.Context, t *testing.T, cloud *localcloud.Cloud, email string) {
	t.Helper()
	must(t, "open the person's view", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/console/#person")))
	waitView(b, t)
	must(t, "look the person up", chromedp.Do(b,
		chromedp.SetValue(chromedp.ID("person-kind"), "email"),
		chromedp.SendKeys(chromedp.ID("person-value"), email),
		chromedp.Click(chromedp.CSS(`#person-lookup button[type="submit"]`))))
	waitPresent(b, t, "#chain-check")
}

// consoleToken is the access token the console holds for this tab.
func consoleToken(b context.Context, t *testing.T) string {
	t.Helper()
	tok := poll[string](b, t, `(() => { const s = JSON.parse(sessionStorage.getItem("claritru.console.tokens") || "null"); return s ? s.access_token : ""; })()`)
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("the console's token is not a JWT")
	}
	return tok
}
