package consent_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/consent"
)

// TestCatalogueInTheRepository: disclosures.json loads, lists one entry per
// page disclosure, and between them asks consent for every purpose, so each
// purpose can be given somewhere and none under a text that does not name it.
func TestCatalogueInTheRepository(t *testing.T) {
	all := consent.Disclosures().All()
	ids := map[string]consent.Disclosure{}
	covered := map[consent.Purpose]string{}
	for _, d := range all {
		ids[d.ID] = d
		for _, p := range d.Purposes {
			if other, ok := covered[p]; ok {
				t.Errorf("%s is asked for by both %s and %s", p, other, d.ID)
			}
			covered[p] = d.ID
		}
	}
	for _, p := range consent.Purposes {
		if _, ok := covered[p]; !ok {
			t.Errorf("no disclosure asks consent for %s", p)
		}
	}
	// The words each page has shown, now served from here.
	for id, want := range map[string]string{
		"email-optin":   "Yes, email me news, offers and product updates from ClariTru",
		"sms-optin":     "Consent is not a condition of purchase.",
		"cookie-banner": "Tracking scripts are disabled until consent is given.",
	} {
		if d, ok := ids[id]; !ok || !strings.Contains(d.Text, want) {
			t.Errorf("disclosure %s: %+v, want a text with %q", id, d, want)
		}
	}
	// TCPA disclosures of marketing texts (47 CFR 64.1200(f)(9)): not a
	// condition of purchase, how to stop.
	if d := ids["sms-optin"]; !strings.Contains(d.Text, "Reply STOP") || !slices.Equal(d.Purposes, []consent.Purpose{consent.SMSMarketing}) {
		t.Errorf("sms-optin: %+v", d)
	}
	got, ok := consent.Disclosures().Find("cookie-banner", ids["cookie-banner"].Version)
	if !ok || got.Text != ids["cookie-banner"].Text || !got.Covers(consent.CookiesAdvertising) || got.Covers(consent.EmailMarketing) {
		t.Errorf("Find(cookie-banner) = %+v, %v", got, ok)
	}
	if _, ok := consent.Disclosures().Find("cookie-banner", "1999-01"); ok {
		t.Error("an unknown version was found")
	}
}

func TestParseCatalogueRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":    `[{"id":"a","version":"1","purposes":["email_marketing"],"text":"t","html":"<b>"}]`,
		"unknown purpose":  `[{"id":"a","version":"1","purposes":["email_marketting"],"text":"t"}]`,
		"no purposes":      `[{"id":"a","version":"1","purposes":[],"text":"t"}]`,
		"repeated purpose": `[{"id":"a","version":"1","purposes":["email_marketing","email_marketing"],"text":"t"}]`,
		"blank text":       `[{"id":"a","version":"1","purposes":["email_marketing"],"text":"  "}]`,
		"no version":       `[{"id":"a","version":"","purposes":["email_marketing"],"text":"t"}]`,
		"id twice":         `[{"id":"a","version":"1","purposes":["email_marketing"],"text":"t"},{"id":"a","version":"2","purposes":["email_marketing"],"text":"u"}]`,
		"not an array":     `{"id":"a"}`,
	} {
		if _, err := consent.ParseCatalogue([]byte(doc)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	c, err := consent.ParseCatalogue([]byte(`[{"id":"a","version":"1","purposes":["email_marketing"],"text":"t"}]`))
	if err != nil || len(c.All()) != 1 {
		t.Fatalf("a good catalogue: %v", err)
	}
	// All hands out copies.
	c.All()[0].Purposes[0] = consent.SMSMarketing
	if d, _ := c.Find("a", "1"); !d.Covers(consent.EmailMarketing) {
		t.Error("changing what All returned changed the catalogue")
	}
}
