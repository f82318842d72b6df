package localcloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// The forms in headless Chromium: Debian's chromium, driven with
// chromedp, against a local cloud of the test's own.

// browserTimeout bounds one browser test, its own cloud's start included:
// on a busy machine starting DynamoDB Local and Chromium alone can take
// half a minute.
const browserTimeout = 120 * time.Second

var ulidRE = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)

// TestBrowserDataRightsRequestForm fills the Data Rights Request form, sees
// the page with its reference, follows the link of the receipt mail,
// presses "Confirm my request" and sees the request verified.
func TestBrowserDataRightsRequestForm(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, logs := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)

	const email = "grace.browser@example.com"
	must(t, "fill the form", chromedp.Do(b,
		chromedp.Navigate(cloud.APIURL+"/"),
		chromedp.WaitVisible(chromedp.ID("drr")),
		chromedp.SendKeys(chromedp.ID("first_name"), "Grace"),
		chromedp.SendKeys(chromedp.ID("last_name"), "Hopper"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.Click(chromedp.CSS(`#drr input[name="types"][value="access"]`)),
		chromedp.Click(chromedp.CSS(`#drr input[name="declaration"]`)),
	))
	shot := screenshot(b, t)
	saveShot(t, "form.png", shot)

	resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`#drr button[type="submit"]`)))
	must(t, "submit the form", err)
	loc := location(b, t)
	if resp.Status != http.StatusOK || loc.Path != "/v1/requests" {
		t.Fatalf("after submitting the form: %d %s", resp.Status, loc)
	}
	ref := text(b, t, ".ref")
	if !ulidRE.MatchString(ref) {
		t.Fatalf(".ref shows %q, want a 26-character ULID", ref)
	}
	if h := text(b, t, "h1"); h != "Check your email to confirm your request" {
		t.Fatalf("h1 shows %q, want the pending-verification heading", h)
	}

	receipt := localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool {
		return m.Subject == "We received your privacy request"
	})
	link := regexp.MustCompile(`https?://\S+/v1/verify\?token=[A-Za-z0-9_-]+`).FindString(receipt.Body.Text)
	if !strings.HasPrefix(link, cloud.APIURL+"/v1/verify?token=") || !strings.Contains(receipt.Body.Text, ref) {
		t.Fatalf("receipt mail without a usable link or the reference %s: %q", ref, receipt.Body.Text)
	}

	must(t, "open the verification link", chromedp.Do(b, chromedp.Navigate(link)))
	resp, err = chromedp.RunResponse(b, chromedp.Click(chromedp.Search(`//button[normalize-space()="Confirm my request"]`)))
	must(t, `press "Confirm my request"`, err)
	loc = location(b, t)
	if resp.Status != http.StatusOK || loc.Path != "/v1/verify" {
		t.Fatalf("after confirming: %d %s", resp.Status, loc)
	}
	if got := text(b, t, ".ref"); got != ref {
		t.Errorf("after confirming .ref shows %q, want %q", got, ref)
	}
	if msg := text(b, t, "main"); !strings.Contains(msg, "your request is verified") {
		t.Fatalf("page shows %q, want the verified message", msg)
	}
	noPII(t, logs, email, "Grace", "Hopper")
}

// TestBrowserDoNotSellPage opts out with an email on the Do Not Sell or Share
// page, comes back to the page, and sees this browser opted out after a
// reload. The confirmation mail arrives, and the page renders.
func TestBrowserDoNotSellPage(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, logs := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)

	pageURL := cloud.APIURL + "/do-not-sell.html"
	must(t, "open the page", chromedp.Do(b, chromedp.Navigate(pageURL)))
	waitOptOutReady(b, t)
	if visible(b, t, "#opted-out") {
		t.Fatal("#opted-out is visible before the browser opted out")
	}
	if visible(b, t, "#gpc-notice") {
		t.Fatal("#gpc-notice is visible without the Global Privacy Control signal")
	}
	id := browserID(b, t)

	const email = "margaret.optout@example.com"
	must(t, "type the email", chromedp.Do(b, chromedp.SendKeys(chromedp.ID("email"), email)))
	resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`#optout-form button[type="submit"]`)))
	must(t, "submit #optout-form", err)
	loc := location(b, t)
	if resp.Status != http.StatusOK || loc.Path != "/do-not-sell.html" || loc.Query().Get("status") != "opted_out" ||
		!ulidRE.MatchString(loc.Query().Get("ref")) {
		t.Fatalf("after the opt-out: %d %s, want do-not-sell.html?ref=<ULID>&status=opted_out", resp.Status, loc)
	}
	waitOptOutReady(b, t)
	if !visible(b, t, "#confirmation") {
		t.Error("#confirmation is not visible after the opt-out")
	}

	// Same profile: the browser id in localStorage survives the reload, and
	// the page asks the service whether it is opted out.
	must(t, "reload", chromedp.Do(b, chromedp.Reload()))
	waitOptOutReady(b, t)
	if got := browserID(b, t); got != id {
		t.Fatalf("browser id changed from %q to %q", id, got)
	}
	if !visible(b, t, "#opted-out") {
		t.Fatal("#opted-out is not visible after the reload")
	}
	if msg := text(b, t, "#opted-out"); !strings.Contains(strings.ToLower(msg), "opted out") {
		t.Fatalf("#opted-out shows %q", msg)
	}

	shot := screenshot(b, t)
	saveShot(t, "do-not-sell.png", shot)

	localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool {
		return strings.Contains(strings.ToLower(m.Subject), "opted out")
	})
	noPII(t, logs, email, id)
}

// TestBrowserGlobalPrivacyControl opens the Do Not Sell or Share page in a
// browser that sends the Global Privacy Control signal: the page says the
// signal is honoured and opts the browser out by itself, and the suppression
// export lists the browser id (and no email).
func TestBrowserGlobalPrivacyControl(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, _ := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)

	// Chromium has no GPC setting: the script gives the page the signal,
	// and the header gives it to the service.
	_, err := chromedp.Call(b, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true});`,
	})
	must(t, "inject navigator.globalPrivacyControl", err)
	_, err = chromedp.Call(b, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Sec-GPC": "1"},
	})
	must(t, "set Sec-GPC", err)

	// Note the page's POST /v1/opt-out, to read the service's answer.
	var mu sync.Mutex
	var postID network.RequestID
	must(t, "listen", chromedp.Listen(b, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok && ev.Request.Method == http.MethodPost &&
			strings.HasSuffix(ev.Request.URL, "/v1/opt-out") {
			mu.Lock()
			postID = ev.RequestID
			mu.Unlock()
		}
	}))

	must(t, "open the page", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/do-not-sell.html")))
	if gpc, err := chromedp.Run(b, chromedp.Evaluate[bool](`navigator.globalPrivacyControl === true`)); err != nil || !gpc {
		t.Fatalf("navigator.globalPrivacyControl is not true in the page (%v)", err)
	}
	if !visible(b, t, "#gpc-notice") {
		t.Fatal("#gpc-notice is not visible with the Global Privacy Control signal on")
	}
	state := waitOptOutState(b, t)
	wctx, wcancel := context.WithTimeout(b, 10*time.Second)
	_, err = chromedp.Run(wctx, chromedp.Poll[bool](`(() => { const e = document.getElementById("opted-out"); return !!e && !e.hidden && e.getClientRects().length > 0; })()`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	wcancel()
	if err != nil {
		gpcErr := visible(b, t, "#gpc-error")
		t.Fatalf("#opted-out did not become visible within 10s (data-optout-state=%q, #gpc-error visible=%v): %v", state, gpcErr, err)
	}
	if state != "ready" {
		t.Errorf("data-optout-state is %q, want ready", state)
	}
	if visible(b, t, "#gpc-error") {
		t.Error("#gpc-error is visible although the opt-out succeeded")
	}
	id := browserID(b, t)

	mu.Lock()
	reqID := postID
	mu.Unlock()
	if reqID == "" {
		t.Fatal("the page opted out without a POST /v1/opt-out")
	}
	body, err := chromedp.Call(b, network.GetResponseBody, network.GetResponseBodyParams{RequestID: reqID})
	must(t, "read the answer of POST /v1/opt-out", err)
	var receipt struct {
		ID          string   `json:"id"`
		Status      string   `json:"status"`
		Identifiers []string `json:"identifiers"`
		GPC         bool     `json:"gpc"`
	}
	if err := json.Unmarshal([]byte(body.Body), &receipt); err != nil || receipt.Status != "opted_out" || !receipt.GPC ||
		!ulidRE.MatchString(receipt.ID) || len(receipt.Identifiers) != 1 || receipt.Identifiers[0] != "browser_id" {
		t.Errorf("POST /v1/opt-out answered %s, want a receipt with gpc true for the browser id alone (%v)", body.Body, err)
	}

	// The staff export lists the browser id, and no address in the clear.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cloud.APIURL+"/v1/admin/suppression?format=json", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", staffBearer(t, cloud, "admin"))
	hresp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(hresp.Body)
	hresp.Body.Close()
	if hresp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/admin/suppression: %d %s", hresp.StatusCode, raw)
	}
	var list struct {
		Count   int `json:"count"`
		Entries []struct {
			EmailSHA256 string `json:"email_sha256"`
			PhoneSHA256 string `json:"phone_sha256"`
			BrowserID   string `json:"browser_id"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatalf("suppression list %s: %v", raw, err)
	}
	found := false
	for _, e := range list.Entries {
		found = found || e.BrowserID == id
		if strings.Contains(e.EmailSHA256+e.PhoneSHA256+e.BrowserID, "@") {
			t.Errorf("suppression entry with an address in the clear: %+v", e)
		}
	}
	if !found || list.Count != len(list.Entries) {
		t.Fatalf("suppression list %s has no entry for browser id %q", raw, id)
	}
}

// startBrowserCloud starts a local cloud for one test and returns it with
// the buffer its handlers log to, printed when the test fails.
func startBrowserCloud(_ context.Context, t *testing.T) (*localcloud.Cloud, *syncBuffer) {
	t.Helper()
	l := startLocal(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("local cloud logs:\n%s", l.logs.String())
		}
	})
	return l.cloud, l.logs
}

// chromium finds Debian's Chromium.
func chromium(t *testing.T) string {
	t.Helper()
	const debian = "/usr/bin/chromium"
	if fi, err := os.Stat(debian); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return debian
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatalf("no Chromium at %s or on PATH: install Debian's chromium (make tools does)", debian)
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile, bound to ctx,
// and returns the context of its first tab.
func newBrowser(ctx context.Context, t *testing.T) context.Context {
	t.Helper()
	exe := chromium(t)
	profile := t.TempDir()
	out := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1000),
		chromedp.CombinedOutput(out),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	// Cleanups run last in first out: the browser stops before its profile
	// directory is removed.
	t.Cleanup(func() {
		bcancel()
		acancel()
		if t.Failed() {
			t.Logf("chromium output:\n%s", out.String())
		}
	})
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v\n%s", exe, err, out.String())
	}
	return bctx
}

func must(t *testing.T, step string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// waitOptOutState waits until optout.js has set <body data-optout-state>
// and returns it.
func waitOptOutState(b context.Context, t *testing.T) string {
	t.Helper()
	state, err := chromedp.Run(b, chromedp.Poll[string](`document.body && document.body.dataset.optoutState`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	must(t, "wait for body[data-optout-state]", err)
	return state
}

func waitOptOutReady(b context.Context, t *testing.T) {
	t.Helper()
	if state := waitOptOutState(b, t); state != "ready" {
		t.Fatalf(`body[data-optout-state] is %q, want "ready"`, state)
	}
}

// visible reports whether the element is rendered: present, not hidden,
// with a box.
func visible(b context.Context, t *testing.T, sel string) bool {
	t.Helper()
	v, err := chromedp.Run(b, chromedp.Evaluate[bool](fmt.Sprintf(
		`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden"; })()`, sel)))
	must(t, "is "+sel+" visible", err)
	return v
}

func text(b context.Context, t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(b, chromedp.TextContent(chromedp.CSS(sel)))
	must(t, "read "+sel, err)
	return strings.TrimSpace(s)
}

func location(b context.Context, t *testing.T) *url.URL {
	t.Helper()
	s, err := chromedp.Run(b, chromedp.Location())
	must(t, "read the location", err)
	u, err := url.Parse(s)
	must(t, "parse the location", err)
	return u
}

func browserID(b context.Context, t *testing.T) string {
	t.Helper()
	id, err := chromedp.Run(b, chromedp.Evaluate[string](`localStorage.getItem("claritru_browser_id") || ""`))
	must(t, "read localStorage claritru_browser_id", err)
	if id == "" {
		t.Fatal("the page kept no claritru_browser_id in localStorage")
	}
	return id
}

// screenshot takes a PNG of the whole page and checks that something was
// rendered.
func screenshot(b context.Context, t *testing.T) []byte {
	t.Helper()
	png, err := chromedp.Run(b, chromedp.FullScreenshot(100))
	must(t, "screenshot", err)
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) <= 10<<10 {
		t.Fatalf("screenshot is %d bytes (PNG: %v), want a PNG over 10 KB", len(png), bytes.HasPrefix(png, []byte("\x89PNG")))
	}
	return png
}

// saveShot keeps a screenshot in SCREENSHOT_DIR, for a person to look at,
// or in the test's temporary folder.
func saveShot(t *testing.T, name string, b []byte) {
	t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func noPII(t *testing.T, logs *syncBuffer, values ...string) {
	t.Helper()
	s := logs.String()
	for _, v := range values {
		if strings.Contains(s, v) {
			t.Errorf("logs contain %q", v)
		}
	}
}
