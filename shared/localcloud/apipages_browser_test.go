package localcloud_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// The pages the API renders, in headless Chromium with JavaScript off: what
// a browser without scripts sees after each form.

// noScript turns JavaScript off in the browser's tab.
func noScript(b context.Context, t *testing.T) {
	t.Helper()
	_, err := chromedp.Call(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	must(t, "turn JavaScript off", err)
}

// responseHeader reads a header of a response Chromium received.
func responseHeader(resp *network.Response, name string) string {
	for k, v := range resp.Headers {
		if s, ok := v.(string); ok && strings.EqualFold(k, name) {
			return s
		}
	}
	return ""
}

// fillRequestForm fills the Data Rights Request form's required fields.
func fillRequestForm(b context.Context, t *testing.T, cloud *localcloud.Cloud, first, last, email string) {
	t.Helper()
	must(t, "fill the form", chromedp.Do(b,
		chromedp.Navigate(cloud.APIURL+"/"),
		chromedp.WaitVisible(chromedp.ID("drr")),
		chromedp.SendKeys(chromedp.ID("first_name"), first),
		chromedp.SendKeys(chromedp.ID("last_name"), last),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.Click(chromedp.CSS(`#drr input[name="declaration"]`)),
	))
}

// TestBrowserNoScriptRequest: with JavaScript off, the Data Rights Request
// form ends on a page that shows the reference and the next steps; the
// mailed link's page may not be framed; confirming says so; the used link
// has its own words and a form that asks for a new one.
func TestBrowserNoScriptRequest(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, logs := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)
	noScript(b, t)

	const email = "katherine.noscript@example.com"
	fillRequestForm(b, t, cloud, "Katherine", "Johnson", email)
	must(t, "tick a right", chromedp.Do(b, chromedp.Click(chromedp.CSS(`#drr input[name="types"][value="know"]`))))
	resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`#drr button[type="submit"]`)))
	must(t, "submit the form", err)
	ref := text(b, t, ".ref")
	if resp.Status != http.StatusOK || !ulidRE.MatchString(ref) {
		t.Fatalf("after submitting: %d, .ref %q, want 200 and a 26-character reference", resp.Status, ref)
	}
	if main := text(b, t, "main"); !strings.Contains(main, "What happens next") || !strings.Contains(main, "Confirm my request") {
		t.Errorf("the page does not say what happens next: %q", main)
	}

	receipt := localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool {
		return m.Subject == "We received your privacy request"
	})
	link := regexp.MustCompile(`https?://\S+/v1/verify\?token=[A-Za-z0-9_-]+`).FindString(receipt.Body.Text)
	if link == "" || !strings.Contains(receipt.Body.Text, ref) {
		t.Fatalf("receipt mail without a link or the reference %s: %q", ref, receipt.Body.Text)
	}

	// The confirm page may not be framed: a mail's link must open in a
	// window of its own.
	resp, err = chromedp.RunResponse(b, chromedp.Navigate(link))
	must(t, "open the link", err)
	if xfo := responseHeader(resp, "X-Frame-Options"); xfo != "DENY" {
		t.Errorf("confirm page X-Frame-Options = %q, want DENY", xfo)
	}
	if csp := responseHeader(resp, "Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("confirm page CSP = %q, want frame-ancestors 'none'", csp)
	}
	resp, err = chromedp.RunResponse(b, chromedp.Click(chromedp.Search(`//button[normalize-space()="Confirm my request"]`)))
	must(t, `press "Confirm my request"`, err)
	if h := text(b, t, "h1"); resp.Status != http.StatusOK || h != "Your request is confirmed" || text(b, t, ".ref") != ref {
		t.Fatalf("after confirming: %d %q", resp.Status, h)
	}

	// The link again: used, in words of its own, with the way to a new one.
	resp, err = chromedp.RunResponse(b, chromedp.Navigate(link))
	must(t, "open the used link", err)
	main := text(b, t, "main")
	if h := text(b, t, "h1"); resp.Status != http.StatusGone || h != "This link has already been used or has expired" {
		t.Fatalf("used link: %d %q", resp.Status, h)
	}
	if strings.Contains(main, "correct") || strings.Contains(main, "Gone") {
		t.Errorf("used link's page speaks of correcting the form: %q", main)
	}
	must(t, "ask for a new link", chromedp.Do(b, chromedp.SendKeys(chromedp.ID("resend-email"), email)))
	resp, err = chromedp.RunResponse(b, chromedp.Click(chromedp.Search(`//button[normalize-space()="Send me a new link"]`)))
	must(t, `press "Send me a new link"`, err)
	if h := text(b, t, "h1"); resp.Status != http.StatusAccepted || h != "Check your email" {
		t.Errorf("after asking for a new link: %d %q", resp.Status, h)
	}
	noPII(t, logs, email, "Katherine", "Johnson")
}

// TestBrowserNoScriptDoNotSell: with JavaScript off, the Do Not Sell or
// Share form ends on "You have opted out".
func TestBrowserNoScriptDoNotSell(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, logs := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)
	noScript(b, t)

	const email = "dorothy.noscript@example.com"
	must(t, "fill the form", chromedp.Do(b,
		chromedp.Navigate(cloud.APIURL+"/do-not-sell.html"),
		chromedp.WaitVisible(chromedp.ID("optout-form")),
		chromedp.SendKeys(chromedp.ID("email"), email),
	))
	resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`#optout-form button[type="submit"]`)))
	must(t, "submit the form", err)
	if h := text(b, t, "h1"); resp.Status != http.StatusOK || h != "You have opted out" {
		t.Fatalf("after opting out: %d %q, want 200 and \"You have opted out\"", resp.Status, h)
	}
	ref := text(b, t, ".ref")
	if !ulidRE.MatchString(ref) || !strings.Contains(text(b, t, "main"), "your email address") {
		t.Errorf("page: .ref %q, main %q", ref, text(b, t, "main"))
	}
	localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool {
		return strings.Contains(m.Body.Text, ref)
	})
	noPII(t, logs, email)
}

// TestBrowserErrorPageSpeaksTheForm: a form with mistakes, sent with
// JavaScript off, is answered with the form's own labels, a summary whose
// links lead to the fields, and a link back; never the API's field names.
func TestBrowserErrorPageSpeaksTheForm(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, _ := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)
	noScript(b, t)

	// No right chosen, and "on behalf" ticked without the agent's details.
	sendWrong := func() {
		t.Helper()
		fillRequestForm(b, t, cloud, "Mary", "Jackson", "mary.noscript@example.com")
		must(t, "tick on behalf", chromedp.Do(b, chromedp.Click(chromedp.CSS(`#drr input[name="on_behalf"]`))))
		resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`#drr button[type="submit"]`)))
		must(t, "submit the form", err)
		if h := text(b, t, "h1"); resp.Status != http.StatusBadRequest || h != "Please check your answers" {
			t.Fatalf("after a wrong form: %d %q", resp.Status, h)
		}
	}
	sendWrong()
	summary := text(b, t, ".error-summary")
	for _, want := range []string{"What would you like us to do?", "Agent's name", "Agent's email"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q: %q", want, summary)
		}
	}
	if main := text(b, t, "main"); strings.Contains(main, "agent_name") || strings.Contains(main, "types") || strings.Contains(main, "Bad Request") {
		t.Errorf("page names the API's fields: %q", main)
	}

	// The summary's link leads to the field on the form.
	must(t, "follow the summary's link", chromedp.Do(b,
		chromedp.Click(chromedp.Search(`//div[@class="error-summary"]//a[normalize-space()="Agent's name"]`)),
		chromedp.WaitVisible(chromedp.ID("drr")),
	))
	if loc := location(b, t); loc.Path != "/" || loc.Fragment != "agent_name" {
		t.Errorf("summary link led to %s, want /#agent_name", loc)
	}
	// And the link back leads to the form.
	sendWrong()
	must(t, "follow the link back", chromedp.Do(b,
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Back to the Data Rights Request form"]`)),
		chromedp.WaitVisible(chromedp.ID("drr")),
	))
	if loc := location(b, t); loc.Path != "/" || loc.Fragment != "" {
		t.Errorf("link back led to %s, want the form", loc)
	}
}

// TestBrowserNoScriptSignUpPage: with JavaScript off, the sign-up page's
// "Stop marketing emails" ends on "You are unsubscribed"; the scripted
// sign-up, which cannot show the words agreed to without the script, is
// hidden, and the form for marketing emails, which shows them, signs up and
// ends on a page that says to confirm by mail. The receipt quotes the words
// the page showed.
func TestBrowserNoScriptSignUpPage(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, logs := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)
	noScript(b, t)

	const email = "annie.noscript@example.com"
	open := func() {
		t.Helper()
		must(t, "fill the sign-up", chromedp.Do(b,
			chromedp.Navigate(cloud.APIURL+"/subscribe.html"),
			chromedp.WaitVisible(chromedp.ID("subscribe-form")),
			chromedp.SendKeys(chromedp.ID("sub-email"), email),
		))
	}
	open()
	resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.ID("sub-withdraw-email")))
	must(t, `press "Stop marketing emails"`, err)
	if h := text(b, t, "h1"); resp.Status != http.StatusCreated || h != "You are unsubscribed" || !ulidRE.MatchString(text(b, t, ".ref")) {
		t.Fatalf("after stopping: %d %q: %s", resp.Status, h, text(b, t, "main"))
	}

	open()
	if visible(b, t, "#sub-submit") || visible(b, t, "#sub-email-marketing") {
		t.Fatal("the scripted sign-up shows without JavaScript")
	}
	words := text(b, t, "#signup-email_marketing-words")
	must(t, "fill the form for marketing emails", chromedp.Do(b,
		chromedp.SendKeys(chromedp.ID("signup-email_marketing-email"), email),
		chromedp.Click(chromedp.CSS(`#signup-email_marketing input[name="age_confirmed"]`))))
	resp, err = chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`#signup-email_marketing button[type="submit"]`)))
	must(t, `press "Sign up for marketing emails"`, err)
	if h := text(b, t, "h1"); resp.Status != http.StatusCreated || h != "Check your email to confirm" || !ulidRE.MatchString(text(b, t, ".ref")) {
		t.Fatalf("sign-up without JavaScript: %d %q: %s", resp.Status, h, text(b, t, "main"))
	}
	receipt := localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool { return m.Subject == "Your consent receipt" })
	if words == "" || !strings.Contains(receipt.Body.Text, words) {
		t.Errorf("the receipt does not quote the words the page showed (%q):\n%s", words, receipt.Body.Text)
	}
	noPII(t, logs, email)
}

// TestBrowserMailLinkFromTheInbox opens the local mail inbox (the SES
// stand-in's page, which shows a mail's HTML in a frame), shows the
// receipt mail and follows its "Confirm my request": the confirm page may
// not be framed, so the link opens in a window of its own, where the page
// shows its button.
func TestBrowserMailLinkFromTheInbox(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, _ := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)

	const email = "evelyn.inbox@example.com"
	fillRequestForm(b, t, cloud, "Evelyn", "Boyd", email)
	must(t, "tick a right", chromedp.Do(b, chromedp.Click(chromedp.CSS(`#drr input[name="types"][value="access"]`))))
	_, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`#drr button[type="submit"]`)))
	must(t, "submit the form", err)
	localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool {
		return m.Subject == "We received your privacy request"
	})

	must(t, "open the inbox", chromedp.Do(b,
		chromedp.Navigate(cloud.SES.Endpoint+"/"),
		chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Toggle HTML view"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Toggle HTML view"]`)),
	))
	const link = `document.querySelector(".email iframe").contentDocument.querySelector('a[href*="/v1/verify?token="]')`
	if target := evalString(b, t, `(`+link+` || {}).target || ""`); target != "_blank" {
		t.Fatalf("the mail's link opens in %q, want a window of its own (_blank)", target)
	}
	opened := chromedp.WaitNewTarget(b, func(i *target.Info) bool { return strings.Contains(i.URL, "/v1/verify?token=") })
	must(t, "click the mail's link", chromedp.Do(b, chromedp.Evaluate[chromedp.Void](link+`.click()`)))
	var id target.ID
	select {
	case id = <-opened:
	case <-ctx.Done():
		t.Fatal("the mail's link opened no window")
	}
	w, closeWindow := chromedp.NewContext(b, chromedp.WithTargetID(id))
	defer closeWindow()
	must(t, "the confirm page in its window", chromedp.Do(w,
		chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Confirm my request"]`))))
}
