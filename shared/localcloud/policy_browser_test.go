package localcloud_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPolicyPageShowsTheRegister: the policy page shows the
// effective date of the version the register has in force, in Pacific
// time, and announces a version published ahead of its date with what
// changes.
func TestBrowserPolicyPageShowsTheRegister(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, _ := startBrowserCloud(ctx, t)
	publish := func(body string) {
		t.Helper()
		req, _ := http.NewRequest("POST", cloud.APIURL+"/v1/admin/policy-versions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", staffBearer(t, cloud, "admin"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("publish: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	// Midnight Pacific on 1 June 2026 is 07:00 UTC: the page shows 1 June.
	publish(`{"version":"2026-06","effective_at":"2026-06-01T07:00:00Z","material":false,"summary":"First.","text":"One."}`)
	next := time.Now().Add(20 * 24 * time.Hour).UTC()
	publish(`{"version":"next","effective_at":"` + next.Format(time.RFC3339) + `","material":true,"summary":"We now ask before sharing customer lists.","text":"Two."}`)

	b := newBrowser(ctx, t)
	must(t, "open the policy", chromedp.Do(b, chromedp.Navigate(cloud.APIURL+"/privacy-policy.html")))
	state, err := chromedp.Run(b, chromedp.Poll[string](`document.body && document.body.dataset.policyState`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	must(t, "wait for body[data-policy-state]", err)
	if state != "ready" {
		t.Fatalf("data-policy-state %q", state)
	}
	if got := text(b, t, "#policy-effective"); got != "Effective Date: June 1, 2026 (version 2026-06)" {
		t.Errorf("#policy-effective shows %q", got)
	}
	pacific, _ := time.LoadLocation("America/Los_Angeles")
	if !visible(b, t, "#policy-upcoming") {
		t.Fatal("#policy-upcoming is hidden though a version takes effect later")
	}
	up := text(b, t, "#policy-upcoming")
	for _, want := range []string{"next", next.In(pacific).Format("January 2, 2006"), "We now ask before sharing customer lists."} {
		if !strings.Contains(up, want) {
			t.Errorf("#policy-upcoming %q lacks %q", up, want)
		}
	}
}
