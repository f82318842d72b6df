package localcloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/claritru/privacy/shared/optoutapi"
)

// The banner reads the service's answer for its browser (GET /v1/choices):
// an opt-out made elsewhere turns advertising off on the next page load, and
// the Global Privacy Control signal is recorded as an opt-out on any page
// with the banner.

// TestBrowserOptOutTurnsAdvertisingOff: "Accept all" on the cookie demo
// runs advertising; an opt-out of this browser on the Do Not Sell page,
// without the signal, stops it on the next load of the demo although the
// stored choice still says advertising, and the banner shows the box
// unchecked with a note. The staff check says why.
func TestBrowserOptOutTurnsAdvertisingOff(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, logs := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)

	demo := cloud.APIURL + "/cookies-demo.html"
	must(t, "open the demo", chromedp.Do(b, chromedp.Navigate(demo)))
	waitBodyState(b, t, "consentState", "ready")
	must(t, "click #cookies-accept-all", chromedp.Do(b, chromedp.Click(chromedp.CSS("#cookies-accept-all"))))
	waitBodyState(b, t, "consentState", "saved")
	waitPresent(b, t, "#loaded-advertising")
	id := browserID(b, t)

	// The Do Not Sell page, both fields empty: this browser only.
	must(t, "open the Do Not Sell page", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/do-not-sell.html")))
	waitOptOutReady(b, t)
	resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`#optout-form button[type="submit"]`)))
	must(t, "submit #optout-form", err)
	if loc := location(b, t); resp.Status != http.StatusOK || loc.Query().Get("status") != "opted_out" {
		t.Fatalf("after the opt-out: %d %s, want do-not-sell.html?status=opted_out", resp.Status, loc)
	}

	must(t, "open the demo again", chromedp.Do(b, chromedp.Navigate(demo)))
	waitBodyState(b, t, "consentState", "ready")
	waitPresent(b, t, "#loaded-analytics")
	waitPresent(b, t, "#loaded-functional")
	if demoLoaded(b, t, "advertising") || present(b, t, "#loaded-advertising") || liveDemoScripts(b, t, "advertising") != 0 {
		t.Error("the advertising script runs after the browser opted out")
	}
	stored, err := chromedp.Run(b, chromedp.Evaluate[string](`localStorage.getItem("claritru_cookie_choice") || ""`))
	must(t, "read localStorage claritru_cookie_choice", err)
	var choice map[string]any
	if json.Unmarshal([]byte(stored), &choice) != nil || choice["advertising"] != true {
		t.Fatalf("claritru_cookie_choice is %q; the test needs the stored grant to be still there", stored)
	}
	if visible(b, t, "#gpc-honored") {
		t.Error("#gpc-honored is visible without the Global Privacy Control signal")
	}

	must(t, "click #cookie-settings", chromedp.Do(b, chromedp.Click(chromedp.CSS("#cookie-settings"))))
	disabled, err := chromedp.Run(b, chromedp.Evaluate[bool](`document.getElementById("cookie-advertising").disabled === true`))
	must(t, "read #cookie-advertising.disabled", err)
	if checked(b, t, "#cookie-advertising") || !disabled {
		t.Error("#cookie-advertising is checked or enabled although the browser opted out")
	}
	if !visible(b, t, "#cookie-optout-note") || visible(b, t, "#cookie-gpc-note") {
		t.Error("the banner does not explain that advertising stays off because of the opt-out")
	}

	ans := consentCheck(ctx, t, cloud, "browser_id", id, "cookies_advertising")
	if ans.Allowed || ans.Reason != "opted_out" || ans.Status != "granted" || ans.OptedOutAt == nil {
		t.Errorf("staff check of cookies_advertising: %+v, want refused, reason opted_out, with its time", ans)
	}
	if ans := consentCheck(ctx, t, cloud, "browser_id", id, "cookies_analytics"); !ans.Allowed {
		t.Errorf("staff check of cookies_analytics: %+v, want allowed", ans)
	}
	noPII(t, logs, id)
}

// TestBrowserBannerRecordsGPC: the cookie demo in a browser sending the
// Global Privacy Control signal opts the browser out by itself, says
// "Opt-out request honored", and does not post again on the next load.
func TestBrowserBannerRecordsGPC(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, logs := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)

	_, err := chromedp.Call(b, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true});`,
	})
	must(t, "inject navigator.globalPrivacyControl", err)
	_, err = chromedp.Call(b, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Sec-GPC": "1"},
	})
	must(t, "set Sec-GPC", err)
	var mu sync.Mutex
	posts := 0
	must(t, "listen", chromedp.Listen(b, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok && ev.Request.Method == http.MethodPost &&
			strings.HasSuffix(ev.Request.URL, "/v1/opt-out") {
			mu.Lock()
			posts++
			mu.Unlock()
		}
	}))
	postCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return posts
	}

	demo := cloud.APIURL + "/cookies-demo.html"
	must(t, "open the demo", chromedp.Do(b, chromedp.Navigate(demo)))
	waitBodyState(b, t, "consentState", "ready")
	if !visible(b, t, "#gpc-honored") || text(b, t, "#gpc-honored") != "Opt-out request honored" {
		t.Fatalf("#gpc-honored is not showing \"Opt-out request honored\" (visible %v)", visible(b, t, "#gpc-honored"))
	}
	if n := postCount(); n != 1 {
		t.Fatalf("%d POST /v1/opt-out on the first load, want 1", n)
	}
	id := browserID(b, t)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cloud.APIURL+"/v1/opt-out/status?browser_id="+id, nil)
	must(t, "build the status request", err)
	hresp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	must(t, "GET /v1/opt-out/status", err)
	var st optoutapi.StatusAnswer
	err = json.NewDecoder(hresp.Body).Decode(&st)
	hresp.Body.Close()
	if err != nil || hresp.StatusCode != http.StatusOK || !st.OptedOut || st.Since == nil {
		t.Fatalf("GET /v1/opt-out/status: %d %+v (%v), want opted out", hresp.StatusCode, st, err)
	}
	if ans := consentCheck(ctx, t, cloud, "browser_id", id, "ad_audiences"); ans.Allowed || ans.Reason != "opted_out" {
		t.Errorf("staff check of ad_audiences: %+v, want refused as opted_out", ans)
	}

	must(t, "reload", chromedp.Do(b, chromedp.Reload()))
	waitBodyState(b, t, "consentState", "ready")
	if !visible(b, t, "#gpc-honored") {
		t.Error("#gpc-honored is not visible on the second load")
	}
	if n := postCount(); n != 1 {
		t.Errorf("%d POST /v1/opt-out after the second load, want still 1", n)
	}
	optOutEvents := 0
	for _, e := range consentHistory(ctx, t, cloud, "browser_id", id).Events {
		if e.Fields["rights"] != "" {
			optOutEvents++
		}
	}
	if optOutEvents != 1 {
		t.Errorf("%d opt-out events in the browser's ledger, want 1", optOutEvents)
	}
	noPII(t, logs, id)
}
