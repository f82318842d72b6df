package localcloud_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/consentapi"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// The cookie banner (web/consent.js on cookies-demo.html) and the email and
// text message sign-up (web/subscribe.html) in headless Chromium, each
// against a local cloud of the test's own, with the staff API as the judge
// of what was recorded.

// TestBrowserCookieBannerLoadsNothingBeforeConsent: no tracking script runs
// before a choice; a choice of analytics alone turns on analytics alone and
// is recorded for the browser id; the choice is remembered after a reload;
// "Cookie settings" then "Reject all" withdraws it as easily as it was given.
func TestBrowserCookieBannerLoadsNothingBeforeConsent(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, logs := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)

	must(t, "open the page", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/cookies-demo.html")))
	waitBodyState(b, t, "consentState", "ready")
	if !visible(b, t, "#cookie-banner") {
		t.Fatal("#cookie-banner is not visible on a first visit")
	}
	if visible(b, t, "#cookie-gpc-note") {
		t.Error("#cookie-gpc-note is visible without the Global Privacy Control signal")
	}
	shownText := text(b, t, "#cookie-banner-text")
	for _, k := range []string{"functional", "analytics", "advertising"} {
		if demoLoaded(b, t, k) {
			t.Errorf("window.__loaded_%s is set before any choice", k)
		}
		if n := liveDemoScripts(b, t, k); n != 0 {
			t.Errorf("%d executable <script> elements for %s before any choice, want only the inert text/plain one", n, k)
		}
		if n := evalInt(b, t, fmt.Sprintf(`document.querySelectorAll('script[type="text/plain"][data-src="/demo/%s"]').length`, demoFile(k))); n != 1 {
			t.Errorf("%d inert text/plain scripts for %s, want 1", n, k)
		}
	}
	if n := evalInt(b, t, `performance.getEntriesByType("resource").filter((e) => e.name.includes("/demo/")).length`); n != 0 {
		t.Errorf("the browser fetched %d /demo/ scripts before any choice", n)
	}

	// Analytics only.
	setChecked(b, t, "#cookie-functional", false)
	setChecked(b, t, "#cookie-analytics", true)
	setChecked(b, t, "#cookie-advertising", false)
	must(t, "click #cookies-save", chromedp.Do(b, chromedp.Click(chromedp.CSS("#cookies-save"))))
	waitBodyState(b, t, "consentState", "saved")
	waitPresent(b, t, "#loaded-analytics")
	if visible(b, t, "#cookie-banner") {
		t.Error("#cookie-banner is still visible after the choice was saved")
	}
	if !demoLoaded(b, t, "analytics") {
		t.Error("window.__loaded_analytics is not set after analytics was granted")
	}
	for _, k := range []string{"functional", "advertising"} {
		if demoLoaded(b, t, k) || present(b, t, "#loaded-"+k) || liveDemoScripts(b, t, k) != 0 {
			t.Errorf("%s runs although only analytics was granted", k)
		}
	}

	id := browserID(b, t)
	if ans := consentCheck(ctx, t, cloud, "browser_id", id, "cookies_analytics"); !ans.Allowed || ans.Status != "granted" {
		t.Errorf("staff check of cookies_analytics: %+v, want allowed (granted)", ans)
	}
	// The banner showed the catalogue's words, and the ledger holds them.
	notice := disclosures(ctx, t, cloud)["cookie-banner"]
	if notice.Text == "" || shownText != notice.Text {
		t.Errorf("#cookie-banner-text showed %q, want the stored words %q", shownText, notice.Text)
	}
	for _, e := range consentHistory(ctx, t, cloud, "browser_id", id).Events {
		if e.Fields["disclosure_id"] != "cookie-banner" || e.Fields["disclosure_version"] != notice.Version || e.Fields["disclosure_sha256"] != sha256Hex(notice.Text) {
			t.Errorf("event %s %s: disclosure %q %q %q, want the stored cookie-banner", e.Kind, e.Fields["purpose"],
				e.Fields["disclosure_id"], e.Fields["disclosure_version"], e.Fields["disclosure_sha256"])
		}
	}
	if ans := consentCheck(ctx, t, cloud, "browser_id", id, "cookies_advertising"); ans.Allowed {
		t.Errorf("staff check of cookies_advertising: %+v, want not allowed", ans)
	}
	if ans := consentCheck(ctx, t, cloud, "browser_id", id, "cookies_functional"); ans.Allowed {
		t.Errorf("staff check of cookies_functional: %+v, want not allowed", ans)
	}

	// The stored choice is applied on the next page load, without the banner.
	must(t, "reload", chromedp.Do(b, chromedp.Reload()))
	waitBodyState(b, t, "consentState", "ready")
	if got := browserID(b, t); got != id {
		t.Fatalf("browser id changed from %q to %q", id, got)
	}
	waitPresent(b, t, "#loaded-analytics")
	if visible(b, t, "#cookie-banner") {
		t.Error("#cookie-banner is visible after the reload although the choice is stored")
	}
	if !demoLoaded(b, t, "analytics") {
		t.Error("window.__loaded_analytics is not set after the reload")
	}
	for _, k := range []string{"functional", "advertising"} {
		if demoLoaded(b, t, k) || present(b, t, "#loaded-"+k) {
			t.Errorf("%s runs after the reload although only analytics was granted", k)
		}
	}

	// Withdrawing: "Cookie settings", then "Reject all".
	must(t, "click #cookie-settings", chromedp.Do(b, chromedp.Click(chromedp.CSS("#cookie-settings"))))
	if !visible(b, t, "#cookie-banner") {
		t.Fatal("#cookie-banner is not visible after clicking #cookie-settings")
	}
	if !checked(b, t, "#cookie-analytics") || checked(b, t, "#cookie-advertising") || checked(b, t, "#cookie-functional") {
		t.Error("the reopened banner does not show the stored choice (analytics only)")
	}
	must(t, "click #cookies-reject-all", chromedp.Do(b, chromedp.Click(chromedp.CSS("#cookies-reject-all"))))
	waitBodyState(b, t, "consentState", "saved")
	if !visible(b, t, "#cookie-reload-note") {
		t.Error("#cookie-reload-note is not visible although analytics ran on this page before the withdrawal")
	}
	if ans := consentCheck(ctx, t, cloud, "browser_id", id, "cookies_analytics"); ans.Allowed || ans.Status != "withdrawn" {
		t.Errorf("staff check of cookies_analytics after Reject all: %+v, want not allowed (withdrawn)", ans)
	}
	stored, err := chromedp.Run(b, chromedp.Evaluate[string](`localStorage.getItem("claritru_cookie_choice") || ""`))
	must(t, "read localStorage claritru_cookie_choice", err)
	var choice map[string]any
	if json.Unmarshal([]byte(stored), &choice) != nil || choice["analytics"] != false || choice["advertising"] != false || choice["functional"] != false {
		t.Errorf("claritru_cookie_choice after Reject all is %q, want every category false", stored)
	}
	noPII(t, logs, id)
}

// TestBrowserCookieBannerUnderGPC: with the Global Privacy Control signal the
// banner keeps advertising off, "Accept all" turns on the rest only, and the
// ledger records the advertising choice as not granted under the signal.
func TestBrowserCookieBannerUnderGPC(t *testing.T) {
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

	must(t, "open the page", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/cookies-demo.html")))
	waitBodyState(b, t, "consentState", "ready")
	if !visible(b, t, "#cookie-banner") {
		t.Fatal("#cookie-banner is not visible on a first visit")
	}
	if !visible(b, t, "#cookie-gpc-note") {
		t.Error("#cookie-gpc-note is not visible with the Global Privacy Control signal on")
	}
	disabled, err := chromedp.Run(b, chromedp.Evaluate[bool](`document.getElementById("cookie-advertising").disabled === true`))
	must(t, "read #cookie-advertising.disabled", err)
	if !disabled {
		t.Error("#cookie-advertising is not disabled under the Global Privacy Control signal")
	}

	must(t, "click #cookies-accept-all", chromedp.Do(b, chromedp.Click(chromedp.CSS("#cookies-accept-all"))))
	waitBodyState(b, t, "consentState", "saved")
	// Wait for the granted scripts to run before judging the refused one.
	waitPresent(b, t, "#loaded-analytics")
	waitPresent(b, t, "#loaded-functional")
	if demoLoaded(b, t, "advertising") || present(b, t, "#loaded-advertising") || liveDemoScripts(b, t, "advertising") != 0 {
		t.Error("the advertising script runs under the Global Privacy Control signal")
	}

	id := browserID(b, t)
	if ans := consentCheck(ctx, t, cloud, "browser_id", id, "cookies_advertising"); ans.Allowed {
		t.Errorf("staff check of cookies_advertising: %+v, want not allowed", ans)
	}
	if ans := consentCheck(ctx, t, cloud, "browser_id", id, "cookies_analytics"); !ans.Allowed {
		t.Errorf("staff check of cookies_analytics: %+v, want allowed", ans)
	}
	h := consentHistory(ctx, t, cloud, "browser_id", id)
	if !h.Chain.Valid {
		t.Errorf("chain of the browser's ledger: %+v, want valid", h.Chain)
	}
	var ads []map[string]string
	for _, e := range h.Events {
		if e.Kind == "consent" && e.Fields["purpose"] == "cookies_advertising" {
			ads = append(ads, e.Fields)
		}
	}
	if len(ads) != 1 || ads[0]["status"] != "not_granted" || ads[0]["gpc"] != "true" {
		t.Errorf("cookies_advertising events in the ledger: %v, want one with status not_granted and gpc true", ads)
	}
	noPII(t, logs, id)
}

// TestBrowserSubscribeWidget: the sign-up refuses marketing without the age
// confirmation and records nothing; with it the email grant is pending, the
// receipt mail quotes the words shown on the page, the mailed link confirms
// it, and "Stop marketing emails" withdraws it. The ledger shows the three
// steps with a valid chain.
func TestBrowserSubscribeWidget(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, logs := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)

	const email = "ida.subscribe@example.com"
	pageURL := cloud.APIURL + "/subscribe.html"
	must(t, "open the page", chromedp.Do(b, chromedp.Navigate(pageURL)))
	waitBodyState(b, t, "subscribeState", "ready")
	if !visible(b, t, "#subscribe-form") {
		t.Fatal("#subscribe-form is not visible once subscribe.js ran")
	}
	// The words next to each box are the catalogue's, as stored.
	catalogue := disclosures(ctx, t, cloud)
	disclosure := text(b, t, "#disclosure-email")
	if want := catalogue["email-optin"].Text; want == "" || disclosure != want {
		t.Fatalf("#disclosure-email shows %q, want the stored words %q", disclosure, want)
	}
	if got, want := text(b, t, "#disclosure-sms"), catalogue["sms-optin"].Text; want == "" || got != want {
		t.Fatalf("#disclosure-sms shows %q, want the stored words %q", got, want)
	}

	// Without "I am 18 or older": refused, nothing recorded.
	must(t, "fill the form without the age", chromedp.Do(b,
		chromedp.SendKeys(chromedp.CSS("#sub-email"), email),
		chromedp.Click(chromedp.CSS("#sub-email-marketing")),
	))
	if checked(b, t, "#sub-age") {
		t.Fatal("#sub-age is ticked on a fresh page")
	}
	must(t, "submit without the age", chromedp.Do(b, chromedp.Click(chromedp.CSS("#sub-submit"))))
	waitBodyState(b, t, "subscribeState", "error")
	if !visible(b, t, "#sub-errors") {
		t.Fatal("#sub-errors is not visible after a sign-up without the age confirmation")
	}
	if msg := text(b, t, "#sub-errors"); !strings.Contains(msg, "18 or older") {
		t.Fatalf("#sub-errors shows %q, want an error about the age confirmation", msg)
	}
	if n := evalInt(b, t, `document.querySelectorAll('#sub-errors li[data-field="age_confirmed"]').length`); n != 1 {
		t.Errorf("#sub-errors lists %d age_confirmed errors, want 1", n)
	}
	if ans := consentCheck(ctx, t, cloud, "email", email, "email_marketing"); ans.Allowed || ans.Status != "none" {
		t.Fatalf("staff check after the refused sign-up: %+v, want status none", ans)
	}

	// With it: pending until confirmed from the mail.
	must(t, "tick #sub-age", chromedp.Do(b, chromedp.Click(chromedp.CSS("#sub-age"))))
	must(t, "submit", chromedp.Do(b, chromedp.Click(chromedp.CSS("#sub-submit"))))
	waitBodyState(b, t, "subscribeState", "done")
	if visible(b, t, "#sub-errors") {
		t.Errorf("#sub-errors is visible after a successful sign-up: %q", text(b, t, "#sub-errors"))
	}
	if msg := text(b, t, "#sub-result"); !strings.Contains(msg, "Check your inbox to confirm") {
		t.Fatalf("#sub-result shows %q, want the check-your-inbox message", msg)
	}
	receiptID, err := chromedp.Run(b, chromedp.Evaluate[string](
		`(() => { const e = document.querySelector('#sub-result .outcome[data-purpose="email_marketing"][data-status="pending"]'); return e ? e.dataset.receipt : ""; })()`))
	must(t, "read the receipt id", err)
	if !ulidRE.MatchString(receiptID) {
		t.Fatalf("#sub-result has no pending email_marketing outcome with a receipt id (%q)", receiptID)
	}
	if ans := consentCheck(ctx, t, cloud, "email", email, "email_marketing"); ans.Allowed || ans.Status != "pending" {
		t.Fatalf("staff check before confirming: %+v, want pending", ans)
	}

	confirmRE := regexp.MustCompile(`https?://\S+/v1/consents/confirm\?token=[A-Za-z0-9_%-]+`)
	mail := localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool {
		return m.Subject == "Your consent receipt" && confirmRE.MatchString(m.Body.Text)
	})
	if !strings.Contains(mail.Body.Text, `"`+disclosure+`"`) {
		t.Fatalf("the receipt mail does not quote #disclosure-email as shown (%q):\n%s", disclosure, mail.Body.Text)
	}
	if !strings.Contains(mail.Body.Text, receiptID) {
		t.Errorf("the receipt mail does not name the receipt %s", receiptID)
	}
	link := confirmRE.FindString(mail.Body.Text)
	if !strings.HasPrefix(link, cloud.APIURL+"/v1/consents/confirm?token=") {
		t.Fatalf("confirmation link %q is not on %s", link, cloud.APIURL)
	}

	must(t, "open the confirmation link", chromedp.Do(b, chromedp.Navigate(link)))
	resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.Search(`//button[normalize-space()="Confirm my subscription"]`)))
	must(t, `press "Confirm my subscription"`, err)
	// The confirm page's form names no return page: the service answers
	// with its own page, which names the receipt.
	loc := location(b, t)
	if resp.Status != http.StatusOK || loc.Path != "/v1/consents/confirm" || text(b, t, "h1") != "Your subscription is confirmed" ||
		text(b, t, ".ref") != receiptID {
		t.Fatalf("after confirming: %d %s, want the confirmed page naming %s", resp.Status, loc, receiptID)
	}
	if ans := consentCheck(ctx, t, cloud, "email", email, "email_marketing"); !ans.Allowed || ans.Status != "granted" {
		t.Fatalf("staff check after confirming: %+v, want allowed (granted)", ans)
	}

	// Stopping, on the same page, with the address alone.
	must(t, "open the page again", chromedp.Do(b, chromedp.Navigate(pageURL)))
	waitBodyState(b, t, "subscribeState", "ready")
	must(t, "fill the email", chromedp.Do(b, chromedp.SendKeys(chromedp.CSS("#sub-email"), email)))
	must(t, "click #sub-withdraw-email", chromedp.Do(b, chromedp.Click(chromedp.CSS("#sub-withdraw-email"))))
	waitBodyState(b, t, "subscribeState", "done")
	if msg := text(b, t, "#sub-result"); !strings.Contains(msg, "no more marketing emails") {
		t.Errorf("#sub-result after stopping shows %q", msg)
	}
	if ans := consentCheck(ctx, t, cloud, "email", email, "email_marketing"); ans.Allowed || ans.Status != "withdrawn" {
		t.Fatalf("staff check after stopping: %+v, want not allowed (withdrawn)", ans)
	}

	h := consentHistory(ctx, t, cloud, "email", email)
	var kinds []string
	for _, e := range h.Events {
		kinds = append(kinds, e.Kind+":"+e.Fields["status"])
	}
	if strings.Join(kinds, ",") != "consent:pending,consent_confirmed:granted,consent:withdrawn" || !h.Chain.Valid {
		t.Errorf("history %v, chain %+v; want consent:pending,consent_confirmed:granted,consent:withdrawn with a valid chain", kinds, h.Chain)
	}
	if len(h.Events) > 0 && h.Events[0].Fields["age_confirmed"] != "true" {
		t.Errorf("the grant was recorded with age_confirmed=%q", h.Events[0].Fields["age_confirmed"])
	}

	// Marketing texts: the number has not confirmed, so the grant waits and
	// the check does not allow a send, until the code texted to it is
	// typed into the page.
	const number = "+1 415 555 0142"
	must(t, "open the page for texts", chromedp.Do(b, chromedp.Navigate(pageURL)))
	waitBodyState(b, t, "subscribeState", "ready")
	must(t, "fill the number", chromedp.Do(b,
		chromedp.SendKeys(chromedp.CSS("#sub-phone"), number),
		chromedp.Click(chromedp.CSS("#sub-sms-marketing")),
		chromedp.Click(chromedp.CSS("#sub-age")),
		chromedp.Click(chromedp.CSS("#sub-submit")),
	))
	waitBodyState(b, t, "subscribeState", "done")
	if n := evalInt(b, t, `document.querySelectorAll('#sub-result .outcome[data-purpose="sms_marketing"][data-status="pending"]').length`); n != 1 {
		t.Errorf("#sub-result shows %q, want one pending sms_marketing outcome", text(b, t, "#sub-result"))
	}
	if ans := consentCheck(ctx, t, cloud, "phone", number, "sms_marketing"); ans.Allowed || ans.Status != "pending" {
		t.Errorf("staff check of sms_marketing: %+v, want not allowed (pending)", ans)
	}
	if !visible(b, t, "#sms-code") {
		t.Fatal("#sms-code is not shown after a pending SMS grant")
	}
	codeText := localtest.WaitForText(t, cloud.SMS.Endpoint, "+14155550142", func(m localcloud.SMSText) bool {
		return codeRE.MatchString(m.Body)
	})
	code := codeRE.FindStringSubmatch(codeText.Body)[1]
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	must(t, "type a wrong code", chromedp.Do(b,
		chromedp.SendKeys(chromedp.CSS("#sms-code-input"), wrong),
		chromedp.Click(chromedp.CSS("#sms-code-submit")),
	))
	waitBodyState(b, t, "smsCodeState", "error")
	if ans := consentCheck(ctx, t, cloud, "phone", number, "sms_marketing"); ans.Allowed {
		t.Fatalf("staff check after a wrong code: %+v, want not allowed", ans)
	}
	_, err = chromedp.Run(b, chromedp.Evaluate[string](`document.getElementById("sms-code-input").value = ""`))
	must(t, "clear the code box", err)
	must(t, "type the code", chromedp.Do(b,
		chromedp.SendKeys(chromedp.CSS("#sms-code-input"), code),
		chromedp.Click(chromedp.CSS("#sms-code-submit")),
	))
	waitBodyState(b, t, "smsCodeState", "confirmed")
	if ans := consentCheck(ctx, t, cloud, "phone", number, "sms_marketing"); !ans.Allowed || ans.Status != "granted" {
		t.Errorf("staff check after the code: %+v, want allowed (granted)", ans)
	}
	sms := consentHistory(ctx, t, cloud, "phone", number)
	if len(sms.Events) != 2 || sms.Events[0].Fields["disclosure_id"] != "sms-optin" ||
		sms.Events[0].Fields["disclosure_sha256"] != sha256Hex(catalogue["sms-optin"].Text) ||
		sms.Events[1].Kind != "consent_confirmed" || sms.Events[1].Fields["sms_sha256"] != sha256Hex(codeText.Body) ||
		sms.Events[1].Fields["disclosure_sha256"] != sha256Hex(catalogue["sms-optin"].Text) {
		t.Errorf("SMS ledger %+v, want the grant under the stored sms-optin words and its confirmation naming the text sent", sms.Events)
	}

	saveShot(t, "subscribe.png", screenshot(b, t))
	noPII(t, logs, email)
	noPII(t, logs, "4155550142")
}

// codeRE finds the one-time code in its text.
var codeRE = regexp.MustCompile(`code to confirm marketing texts is ([0-9]{6})\.`)

// disclosures reads the catalogue the pages show, by id, and checks that it
// may be cached.
func disclosures(ctx context.Context, t *testing.T, cloud *localcloud.Cloud) map[string]consentapi.Disclosure {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cloud.APIURL+"/v1/disclosures", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET /v1/disclosures: %v", err)
	}
	defer resp.Body.Close()
	var list []consentapi.Disclosure
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/disclosures: %d %v", resp.StatusCode, err)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public, max-age=") {
		t.Errorf("GET /v1/disclosures: Cache-Control %q, want it cacheable", cc)
	}
	out := map[string]consentapi.Disclosure{}
	for _, d := range list {
		out[d.ID] = d
	}
	return out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// waitBodyState waits until <body data-*> (key in dataset form, e.g.
// consentState) is want, or "error", and fails on anything but want.
func waitBodyState(b context.Context, t *testing.T, key, want string) {
	t.Helper()
	expr := fmt.Sprintf(`(() => { const s = document.body && document.body.dataset[%q]; return s === %q || s === "error" ? s : ""; })()`, key, want)
	got, err := chromedp.Run(b, chromedp.Poll[string](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		now, _ := chromedp.Run(b, chromedp.Evaluate[string](fmt.Sprintf(`String(document.body && document.body.dataset[%q])`, key)))
		t.Fatalf("wait for body data-%s=%q: %v (it is %q)", key, want, err, now)
	}
	if got != want {
		t.Fatalf("body data-%s is %q, want %q", key, got, want)
	}
}

// waitPresent waits up to 10 s for an element to be in the document.
func waitPresent(b context.Context, t *testing.T, sel string) {
	t.Helper()
	_, err := chromedp.Run(b, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel),
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	must(t, "wait for "+sel, err)
}

func present(b context.Context, t *testing.T, sel string) bool {
	t.Helper()
	v, err := chromedp.Run(b, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
	must(t, "look for "+sel, err)
	return v
}

func checked(b context.Context, t *testing.T, sel string) bool {
	t.Helper()
	v, err := chromedp.Run(b, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).checked === true`, sel)))
	must(t, "read "+sel+".checked", err)
	return v
}

// setChecked clicks a checkbox until it is as wanted.
func setChecked(b context.Context, t *testing.T, sel string, want bool) {
	t.Helper()
	if checked(b, t, sel) != want {
		must(t, "click "+sel, chromedp.Do(b, chromedp.Click(chromedp.CSS(sel))))
	}
	if checked(b, t, sel) != want {
		t.Fatalf("%s is not %v after a click", sel, map[bool]string{true: "ticked", false: "unticked"}[want])
	}
}

func evalInt(b context.Context, t *testing.T, expr string) int {
	t.Helper()
	n, err := chromedp.Run(b, chromedp.Evaluate[int](expr))
	must(t, "evaluate "+expr, err)
	return n
}

func demoFile(category string) string {
	if category == "advertising" {
		return "ads.js"
	}
	return category + ".js"
}

// demoLoaded reports whether the category's stand-in script has run.
func demoLoaded(b context.Context, t *testing.T, category string) bool {
	t.Helper()
	v, err := chromedp.Run(b, chromedp.Evaluate[bool](fmt.Sprintf(`window.__loaded_%s === true`, category)))
	must(t, "read window.__loaded_"+category, err)
	return v
}

// liveDemoScripts counts the script elements that load the category's
// stand-in for real: with a src, and a type the browser runs.
func liveDemoScripts(b context.Context, t *testing.T, category string) int {
	t.Helper()
	return evalInt(b, t, fmt.Sprintf(`Array.from(document.scripts).filter((s) =>
		s.src && new URL(s.src).pathname === "/demo/%s" &&
		["", "text/javascript", "application/javascript", "module"].includes((s.getAttribute("type") || "").toLowerCase())).length`,
		demoFile(category)))
}

// staffGet calls the staff API with the admin token and decodes the answer.
func staffGet(ctx context.Context, t *testing.T, cloud *localcloud.Cloud, path string, q url.Values, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cloud.APIURL+path+"?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", staffBearer(t, cloud, "admin"))
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s?%s: %d %s", path, q.Encode(), resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("GET %s: %s: %v", path, raw, err)
	}
}

func consentCheck(ctx context.Context, t *testing.T, cloud *localcloud.Cloud, key, value, purpose string) adminapi.ConsentAnswer {
	t.Helper()
	var ans adminapi.ConsentAnswer
	staffGet(ctx, t, cloud, "/v1/admin/consents/check", url.Values{key: {value}, "purpose": {purpose}}, &ans)
	return ans
}

func consentHistory(ctx context.Context, t *testing.T, cloud *localcloud.Cloud, key, value string) adminapi.History {
	t.Helper()
	var h adminapi.History
	staffGet(ctx, t, cloud, "/v1/admin/consents", url.Values{key: {value}}, &h)
	return h
}
