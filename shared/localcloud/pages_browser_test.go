package localcloud_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// framedPages are the static pages in web/, each in the site's frame.
var framedPages = []string{"/", "/do-not-sell.html", "/limit-sensitive.html", "/subscribe.html",
	"/cookies-demo.html", "/thanks.html", "/privacy-policy.html"}

// phone sets a 390 px wide phone viewport.
func phone(b context.Context, t *testing.T) {
	t.Helper()
	must(t, "390 px viewport", chromedp.Do(b, chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile)))
}

// TestBrowserSiteFrame opens every page on a 390 px phone: one header, one
// main and one footer with the privacy links and a usable contact address,
// and nothing wider than the screen (WCAG 1.4.10). On the cookie demo the
// banner comes before the page's content in the tab order and leaves most
// of the screen free.
func TestBrowserSiteFrame(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, _ := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)
	phone(b, t)

	for _, p := range framedPages {
		must(t, "open "+p, chromedp.Do(b, chromedp.Navigate(cloud.APIURL+p)))
		for _, sel := range []string{"body > header", "body > main#main", "body > footer"} {
			if n := evalInt(b, t, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)); n != 1 {
				t.Errorf("%s: %d of %s, want 1", p, n, sel)
			}
		}
		for _, href := range []string{"/privacy-policy.html", "/do-not-sell.html", "/limit-sensitive.html"} {
			if !present(b, t, fmt.Sprintf(`footer a[href=%q]`, href)) {
				t.Errorf("%s: the footer has no link to %s", p, href)
			}
		}
		if mail := evalString(b, t, `(document.querySelector('footer a[href^="mailto:"]') || {}).href || ""`); !strings.HasPrefix(mail, "mailto:") || !strings.Contains(mail, "@") {
			t.Errorf("%s: the footer's mail link is %q", p, mail)
		}
		if over := evalInt(b, t, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
			t.Errorf("%s: %d px wider than a 390 px screen", p, over)
		}
	}

	// The cookie banner on a phone, before any choice.
	must(t, "open the cookie demo", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/cookies-demo.html")))
	waitBodyState(b, t, "consentState", "ready")
	if !visible(b, t, "#cookie-banner") {
		t.Fatal("the banner is not shown before a choice")
	}
	share := evalInt(b, t, `Math.round(100 * document.getElementById("cookie-banner").getBoundingClientRect().height / innerHeight)`)
	t.Logf("the banner covers %d%% of a 390x844 screen", share)
	if share > 50 {
		t.Errorf("the banner covers %d%% of the phone's screen, want at most half", share)
	}
	if !evalBool(b, t, `!!(document.getElementById("cookie-banner").compareDocumentPosition(document.querySelector("main")) & Node.DOCUMENT_POSITION_FOLLOWING)`) {
		t.Error("the banner comes after the page's content in the tab order")
	}
	if over := evalInt(b, t, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
		t.Errorf("cookie demo with the banner: %d px wider than the screen", over)
	}
	// "Cookie settings" on another page leads to the banner.
	must(t, "open the policy page", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/privacy-policy.html")))
	_, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS("#cookie-settings")))
	must(t, "follow Cookie settings", err)
	waitBodyState(b, t, "consentState", "ready")
	if loc := location(b, t); loc.Path != "/cookies-demo.html" || !visible(b, t, "#cookie-banner") {
		t.Errorf("Cookie settings led to %s, banner shown %v", loc, visible(b, t, "#cookie-banner"))
	}
}

// TestBrowserErrorSummary sends the request form empty: the summary takes
// focus and links each problem to its field, in the form's own words, and
// each field says what is wrong beside it.
func TestBrowserErrorSummary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, _ := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)

	must(t, "send the form empty", chromedp.Do(b,
		chromedp.Navigate(cloud.APIURL+"/"),
		chromedp.WaitVisible(chromedp.ID("drr")),
		chromedp.Click(chromedp.CSS(`#drr button[type="submit"]`)),
	))
	if loc := location(b, t); loc.Path != "/" {
		t.Fatalf("an empty form was sent: now at %s", loc)
	}
	if !visible(b, t, "#error-summary") || evalString(b, t, `document.activeElement.id`) != "error-summary" {
		t.Fatalf("the summary is not shown with focus (focus on %q)", evalString(b, t, `document.activeElement.id`))
	}
	links := evalString(b, t, `Array.from(document.querySelectorAll("#error-summary a")).map(a => a.getAttribute("href")).join(" ")`)
	if links != "#type_know #first_name #last_name #email #declaration" {
		t.Errorf("summary links %q", links)
	}
	summary := text(b, t, "#error-summary")
	for _, words := range []string{"What would you like us to do?", "first name", "I declare"} {
		if !strings.Contains(summary, words) {
			t.Errorf("summary %q does not say %q", summary, words)
		}
	}
	for _, internal := range []string{"first_name", "declaration", "types"} {
		if strings.Contains(summary, internal) {
			t.Errorf("summary %q names the field %s", summary, internal)
		}
	}
	must(t, "follow the link to Last name", chromedp.Do(b, chromedp.Click(chromedp.CSS(`#error-summary a[href="#last_name"]`))))
	if id := evalString(b, t, `document.activeElement.id`); id != "last_name" {
		t.Errorf("the link moved focus to %q, want last_name", id)
	}
	if d := evalString(b, t, `document.getElementById("last_name").getAttribute("aria-describedby") + "|" + document.getElementById("last_name").getAttribute("aria-invalid")`); d != "last_name-error|true" {
		t.Errorf("last_name aria-describedby|aria-invalid = %q", d)
	}
	if d := evalString(b, t, `document.getElementById("email").getAttribute("aria-describedby")`); d != "email-hint email-error" {
		t.Errorf("email aria-describedby = %q, want its hint and its error", d)
	}
	// Fixing a field clears its error on the next try.
	must(t, "fill the names and try again", chromedp.Do(b,
		chromedp.SendKeys(chromedp.ID("first_name"), "Ada"),
		chromedp.SendKeys(chromedp.ID("last_name"), "Lovelace"),
		chromedp.Click(chromedp.CSS(`#drr button[type="submit"]`)),
	))
	if present(b, t, "#first_name-error") || !present(b, t, "#email-error") {
		t.Error("after filling the names: their errors remain or the email's is gone")
	}
}

// TestBrowserLimitSensitivePage limits the use of sensitive personal
// information from its page and comes back to it with the reference.
func TestBrowserLimitSensitivePage(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, logs := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)

	const email = "limit.browser@example.com"
	must(t, "fill the form", chromedp.Do(b,
		chromedp.Navigate(cloud.APIURL+"/limit-sensitive.html"),
		chromedp.SendKeys(chromedp.ID("email"), email),
	))
	resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`#limit-form button[type="submit"]`)))
	must(t, "send the limit", err)
	loc := location(b, t)
	if resp.Status != http.StatusOK || loc.Path != "/limit-sensitive.html" || loc.Query().Get("status") != "limited" {
		t.Fatalf("after sending: %d %s", resp.Status, loc)
	}
	if !visible(b, t, "#confirmation") || text(b, t, "#ref") != loc.Query().Get("ref") || !ulidRE.MatchString(text(b, t, "#ref")) {
		t.Fatalf("confirmation shown %v with reference %q (address %s)", visible(b, t, "#confirmation"), text(b, t, "#ref"), loc)
	}
	noPII(t, logs, email)
}

// TestBrowserPagesWithoutJavaScript turns scripts off: the forms are
// visible, the lists are there, and the Do Not Sell and Limit forms post
// and end on the service's page, which says what happened and shows the
// reference.
func TestBrowserPagesWithoutJavaScript(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, _ := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)
	_, err := chromedp.Call(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	must(t, "turn scripts off", err)

	must(t, "open the sign-up", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/subscribe.html")))
	if !visible(b, t, "#subscribe-form") || !visible(b, t, "#sub-withdraw-email") {
		t.Error("the sign-up form is hidden without JavaScript")
	}
	must(t, "open the request form", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/")))
	if n := evalInt(b, t, `document.querySelectorAll("select#country option[value]:not([value=''])").length`); n != 250 {
		t.Errorf("%d countries in the list, want the 250 the service accepts", n)
	}

	for _, tt := range []struct{ page, form, says string }{
		{"/do-not-sell.html", "optout-form", "You have opted out"},
		{"/limit-sensitive.html", "limit-form", "We will limit the use of your sensitive personal information"},
	} {
		must(t, "fill "+tt.page, chromedp.Do(b,
			chromedp.Navigate(cloud.APIURL+tt.page),
			chromedp.SendKeys(chromedp.CSS("#"+tt.form+" #email"), "nojs"+tt.form+"@example.com"),
		))
		resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS("#"+tt.form+` button[type="submit"]`)))
		must(t, "post "+tt.page, err)
		if h := text(b, t, "h1"); resp.Status != http.StatusOK || h != tt.says || !ulidRE.MatchString(text(b, t, ".ref")) {
			t.Errorf("%s without JavaScript: %d %q, want %q and the reference", tt.page, resp.Status, h, tt.says)
		}
	}
}

func evalString(b context.Context, t *testing.T, expr string) string {
	t.Helper()
	s, err := chromedp.Run(b, chromedp.Evaluate[string](expr))
	must(t, "evaluate "+expr, err)
	return s
}

func evalBool(b context.Context, t *testing.T, expr string) bool {
	t.Helper()
	v, err := chromedp.Run(b, chromedp.Evaluate[bool](expr))
	must(t, "evaluate "+expr, err)
	return v
}
