package localcloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// Accessibility of every page in headless Chromium: axe-core (the pinned npm
// package, read from node_modules) with the WCAG 2.2 A and AA rules and
// axe's best practices, on a laptop and a phone width; zero violations.

// axeVersion is the axe-core release package.json pins; the test refuses
// another, so that a result always names the rules it ran.
const axeVersion = "4.14.1"

// axeTags are the rule sets run: WCAG 2.0, 2.1 and 2.2 at levels A and AA,
// and axe's best practices.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// a11yWidths are a laptop's and a phone's CSS widths (WCAG 1.4.10 asks for
// no sideways scrolling at 320 CSS px; 390 is a common phone).
var a11yWidths = []int64{1280, 390}

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// a11yPage is one page to check: open loads it in the browser (and fails
// the test when the page does not answer as it should).
type a11yPage struct {
	name string
	open func(b context.Context, t *testing.T)
}

// TestBrowserAccessibility runs axe-core on every page of web/ and every
// page the API renders itself, at 1280 and 390 px.
func TestBrowserAccessibility(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*browserTimeout)
	defer cancel()
	cloud, _ := startBrowserCloud(ctx, t)
	axe := axeSource(t)
	b := newBrowser(ctx, t)
	// The API's pages are served under a strict Content-Security-Policy;
	// axe is the test's script, not the page's.
	_, err := chromedp.Call(b, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
	must(t, "bypass the CSP for axe", err)

	pages := append(staticPages(t, cloud), serverPages(ctx, t, cloud)...)
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			setWidth(b, t, a11yWidths[0])
			p.open(b, t)
			for _, w := range a11yWidths {
				setWidth(b, t, w)
				for _, v := range runAxe(b, t, axe) {
					t.Errorf("%d px: %s (%s) %s\n    at %s", w, v.ID, v.Impact, v.Help, targets(v.Targets))
				}
				if over := sidewaysOverflow(b, t); over > 0 {
					t.Errorf("%d px: the page is %d px wider than the window (WCAG 1.4.10)", w, over)
				}
			}
		})
	}

}

// targets lists where a violation is, the first ten places in full.
func targets(ts []string) string {
	const most = 10
	s := strings.Join(ts[:min(len(ts), most)], "\n    at ")
	if len(ts) > most {
		s += fmt.Sprintf("\n    and %d more", len(ts)-most)
	}
	return s
}

// axeSource reads axe.min.js from the pinned package and checks its version.
func axeSource(t *testing.T) string {
	t.Helper()
	root, err := localcloud.Root()
	must(t, "find the repository root", err)
	dir := filepath.Join(root, "node_modules", "axe-core")
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	must(t, "read axe-core's package.json (make tools installs it)", err)
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil || pkg.Version != axeVersion {
		t.Fatalf("node_modules/axe-core is %q (%v), want %s", pkg.Version, err, axeVersion)
	}
	src, err := os.ReadFile(filepath.Join(dir, "axe.min.js"))
	must(t, "read axe.min.js", err)
	return string(src)
}

// runAxe injects axe into the page (once per document) and returns its
// violations.
func runAxe(b context.Context, t *testing.T, axe string) []axeViolation {
	t.Helper()
	loaded, err := chromedp.Run(b, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	must(t, "look for axe", err)
	if !loaded {
		_, err := chromedp.Run(b, chromedp.Evaluate[json.RawMessage](axe+"\n;true"))
		must(t, "inject axe-core", err)
	}
	tags, _ := json.Marshal(axeTags)
	expr := fmt.Sprintf(`axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
    targets: v.nodes.map(n => n.target.flat().join(" >>> "))})))`, tags)
	vs, err := chromedp.Run(b, chromedp.Evaluate[[]axeViolation](expr, chromedp.EvalAwaitPromise))
	must(t, "run axe", err)
	return vs
}

// setWidth emulates a window of the given CSS width (a phone below 600 px).
func setWidth(b context.Context, t *testing.T, w int64) {
	t.Helper()
	_, err := chromedp.Call(b, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: w, Height: 900, DeviceScaleFactor: 1, Mobile: w < 600,
	})
	must(t, fmt.Sprintf("set the width to %d px", w), err)
	// Let the page lay itself out again before it is measured.
	_, err = chromedp.Run(b, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise))
	must(t, "wait for a frame", err)
}

// sidewaysOverflow is how many CSS pixels the page is wider than its window.
func sidewaysOverflow(b context.Context, t *testing.T) int {
	t.Helper()
	n, err := chromedp.Run(b, chromedp.Evaluate[int](`Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth)`))
	must(t, "measure the page's width", err)
	return n
}

// staticPages lists the pages in web/ as they exist, the thank-you page
// with a real reference and the cookie demo with its banner open.
func staticPages(t *testing.T, cloud *localcloud.Cloud) []a11yPage {
	t.Helper()
	root, err := localcloud.Root()
	must(t, "find the repository root", err)
	files, err := filepath.Glob(filepath.Join(root, "web", "*.html"))
	must(t, "list web/*.html", err)
	sort.Strings(files)
	if len(files) < 6 {
		t.Fatalf("web/ has %d pages, want the request form, Do Not Sell, subscribe, cookie demo, thank-you and policy pages", len(files))
	}
	var pages []a11yPage
	for _, f := range files {
		name := filepath.Base(f)
		u := cloud.APIURL + "/" + name
		if name == "thanks.html" {
			ref := submitRequest(t, cloud, "thea.thanks@example.com")
			u += "?ref=" + ref + "&status=pending_verification"
		}
		pages = append(pages, a11yPage{name: name, open: func(b context.Context, t *testing.T) {
			openPage(b, t, u, http.StatusOK)
			if name == "cookies-demo.html" {
				waitBodyState(b, t, "consentState", "ready")
				if !visible(b, t, "#cookie-banner-text") {
					t.Fatal("the cookie banner is not open on a first visit")
				}
			}
		}})
	}
	return pages
}

// openPage navigates to u, expects the status and lets the page's scripts
// settle (they fetch the service's answers on load).
func openPage(b context.Context, t *testing.T, u string, status int64) {
	t.Helper()
	nctx, cancel := context.WithTimeout(b, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(nctx, chromedp.Navigate(u))
	must(t, "open "+u, err)
	if resp.Status != status {
		t.Fatalf("%s answered %d, want %d", u, resp.Status, status)
	}
	settle(b, t)
}

// settle waits until the page's own requests have had time to answer.
func settle(b context.Context, t *testing.T) {
	t.Helper()
	var err error
	// A document that replaces itself (a redirect, a late navigation)
	// loses the context the poll ran in; the poll then starts again.
	for range 3 {
		if _, err = chromedp.Run(b, chromedp.Poll[bool](`document.readyState === "complete"`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	must(t, "wait for the page to load", err)
	time.Sleep(500 * time.Millisecond)
}

// serverPages lists the pages the API renders itself, each reached the way
// a person reaches it: from a real mail's link, or a real form post.
func serverPages(ctx context.Context, t *testing.T, cloud *localcloud.Cloud) []a11yPage {
	t.Helper()
	const email = "vera.verify@example.com"
	submitRequest(t, cloud, email)
	receipt := localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool {
		return strings.Contains(m.Body.Text, "/v1/verify?token=")
	})
	verify := regexp.MustCompile(`https?://\S+/v1/verify\?token=[A-Za-z0-9_-]+`).FindString(receipt.Body.Text)
	confirm, unsubscribe := consentLinks(ctx, t, cloud)
	return []a11yPage{
		{"verify page", func(b context.Context, t *testing.T) { openPage(b, t, verify, http.StatusOK) }},
		{"used link page (410)", func(b context.Context, t *testing.T) {
			openPage(b, t, verify, http.StatusOK)
			resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(`form[method="post"] button`)))
			must(t, "confirm the request", err)
			if resp.Status != http.StatusOK {
				t.Fatalf("confirming answered %d", resp.Status)
			}
			openPage(b, t, verify, http.StatusGone)
		}},
		{"consent confirm page", func(b context.Context, t *testing.T) { openPage(b, t, confirm, http.StatusOK) }},
		{"staff sign-in page", func(b context.Context, t *testing.T) {
			cfg := cloud.SignIn.Config()
			q := url.Values{"response_type": {"code"}, "client_id": {cfg.ClientID}, "redirect_uri": {cfg.RedirectURI}, "state": {"a11y"},
				"code_challenge": {strings.Repeat("A", 43)}, "code_challenge_method": {"S256"}, "scope": {cfg.Scope}}
			openPage(b, t, cfg.AuthorizeURL+"?"+q.Encode(), http.StatusOK)
		}},
		{"unsubscribe page", func(b context.Context, t *testing.T) { openPage(b, t, unsubscribe, http.StatusOK) }},
		{"error page (400)", func(b context.Context, t *testing.T) {
			openPage(b, t, cloud.APIURL+"/", http.StatusOK)
			// The empty form, past the browser's checks and the page's
			// script, as a browser without them would send it.
			rctx, rcancel := context.WithTimeout(b, 30*time.Second)
			defer rcancel()
			resp, err := chromedp.RunResponse(rctx, chromedp.Evaluate[chromedp.Void](
				`(() => { HTMLFormElement.prototype.submit.call(document.getElementById("drr")); return {}; })()`))
			must(t, "send the empty form", err)
			if resp.Status != http.StatusBadRequest {
				t.Fatalf("the empty form answered %d, want 400", resp.Status)
			}
			settle(b, t)
		}},
	}
}

// submitRequest sends a request as the API's JSON client and returns its
// reference.
func submitRequest(t *testing.T, cloud *localcloud.Cloud, email string) string {
	t.Helper()
	body := `{"types":["access"],"first_name":"Ada","last_name":"Lovelace","email":"` + email + `","country":"US","state":"CA","declaration":true}`
	out := postJSON(t, cloud.APIURL+"/v1/requests", body, http.StatusAccepted)
	var r struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(out, &r) != nil || !ulidRE.MatchString(r.ID) {
		t.Fatalf("POST /v1/requests answered %s", out)
	}
	return r.ID
}

// consentLinks grants email marketing and returns the confirm and the
// unsubscribe links of the consent receipt.
func consentLinks(_ context.Context, t *testing.T, cloud *localcloud.Cloud) (string, string) {
	t.Helper()
	const email = "cora.consent@example.com"
	postJSON(t, cloud.APIURL+"/v1/consents", `{"subject":{"email":"`+email+`"},`+
		`"events":[{"purpose":"email_marketing","granted":true}],"disclosure":{"id":"email-optin","version":"2026-11"},`+
		`"source_url":"https://www.example.com/subscribe","country":"US","age_confirmed":true}`, http.StatusCreated)
	mail := localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool {
		return strings.Contains(m.Body.Text, "/v1/unsubscribe?token=")
	})
	confirm := regexp.MustCompile(`https?://\S+/v1/consents/confirm\?token=[A-Za-z0-9_%-]+`).FindString(mail.Body.Text)
	unsub := regexp.MustCompile(`https?://\S+/v1/unsubscribe\?token=[A-Za-z0-9_%.-]+`).FindString(mail.Body.Text)
	if confirm == "" || unsub == "" {
		t.Fatalf("consent receipt without a confirm or an unsubscribe link:\n%s", mail.Body.Text)
	}
	return confirm, unsub
}

func postJSON(t *testing.T, u, body string, status int) []byte {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Post(u, "application/json", strings.NewReader(body))
	must(t, "POST "+u, err)
	defer resp.Body.Close()
	var out json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != status {
		t.Fatalf("POST %s: %d %s, want %d", u, resp.StatusCode, out, status)
	}
	return out
}
