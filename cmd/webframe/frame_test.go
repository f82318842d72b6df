package main

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
)

// TestPagesAreCurrent fails when a page in web/ differs from what the
// generator writes: a changed site.json, country list or frame needs
// `go generate ./cmd/webframe`.
func TestPagesAreCurrent(t *testing.T) {
	stale, err := Write(os.DirFS("../../web"), "../../web", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Fatalf("out of date: %v; run go generate ./cmd/webframe", stale)
	}
}

// TestEveryPageHasTheFrame: every page carries the header, the footer and
// a <main id="main"> for the skip link.
func TestEveryPageHasTheFrame(t *testing.T) {
	pages, err := Render(os.DirFS("../../web"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"limit-sensitive.html", "index.html", "do-not-sell.html", "subscribe.html", "cookies-demo.html", "thanks.html", "privacy-policy.html"}
	for _, name := range want {
		page, ok := pages[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		for _, s := range []string{"<!-- site:header -->", "<!-- site:footer -->", `<main id="main"`, `id="cookie-settings"`, "<header", "<footer"} {
			if strings.Count(page, s) != 1 {
				t.Errorf("%s: %q appears %d times, want once", name, s, strings.Count(page, s))
			}
		}
		footer := page[strings.Index(page, "<footer"):]
		for _, s := range []string{`href="/privacy-policy.html"`, `href="/do-not-sell.html"`, `href="/limit-sensitive.html"`, `href="mailto:`, `href="tel:`} {
			if !strings.Contains(footer, s) {
				t.Errorf("%s: the footer lacks %s", name, s)
			}
		}
		if strings.Contains(page, "[email") {
			t.Errorf("%s shows an obfuscated address", name)
		}
	}
}

// TestFormListsAreTheValidatedOnes reads the options of index.html and
// holds them to what the service accepts: every country code and state
// once, nothing more, and each one accepted by the validation itself.
func TestFormListsAreTheValidatedOnes(t *testing.T) {
	page, err := os.ReadFile("../../web/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id   string
		want []string
	}{
		{"country", subject.Countries()},
		{"state", request.USStates()},
	} {
		sel := regexp.MustCompile(`(?s)<select id="` + tt.id + `"[^>]*>(.*?)</select>`).FindStringSubmatch(string(page))
		if sel == nil {
			t.Fatalf("no <select id=%q>", tt.id)
		}
		var got []string
		for _, m := range regexp.MustCompile(`<option value="([^"]*)">([^<]*)</option>`).FindAllStringSubmatch(sel[1], -1) {
			if m[1] == "" {
				continue
			}
			if strings.TrimSpace(m[2]) == "" {
				t.Errorf("%s option %s has no name", tt.id, m[1])
			}
			got = append(got, m[1])
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) || len(got) < 50 {
			t.Errorf("%s options = %v, want %v", tt.id, got, tt.want)
		}
	}
	if _, err := subject.NormaliseCountry("uk"); err == nil {
		t.Error("UK accepted: the list would offer a code the service refuses")
	}
}

// TestSiteIsTheServicesConfiguration: the pages' postal address is the one
// every mail gives locally, and the contact details are usable links.
func TestSiteIsTheServicesConfiguration(t *testing.T) {
	raw, err := os.ReadFile("../../web/site.json")
	if err != nil {
		t.Fatal(err)
	}
	var s Site
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.PostalAddress != localcloud.DefaultPostalAddress {
		t.Errorf("site.json postal_address %q, the service's %q", s.PostalAddress, localcloud.DefaultPostalAddress)
	}
	if !regexp.MustCompile(`^\+[0-9]{8,15}$`).MatchString(s.PhoneE164) || !regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[a-z]+$`).MatchString(s.Email) {
		t.Errorf("site.json phone_e164 %q or email %q unusable", s.PhoneE164, s.Email)
	}
	digits := regexp.MustCompile(`[^0-9+]`).ReplaceAllString(s.Phone, "")
	if digits != s.PhoneE164 {
		t.Errorf("phone %q and phone_e164 %q differ", s.Phone, s.PhoneE164)
	}
}
