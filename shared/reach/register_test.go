package reach_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/reach"
)

// entry is one register entry as JSON, changed by edit.
func entry(edit func(m map[string]any)) map[string]any {
	m := map[string]any{
		"id": "crm", "name": "CRM", "role": "service_provider", "categories": []string{"identifiers"},
		"acts_on": []string{"delete"}, "reach": "webhook",
		"url": "https://crm.example/hook", "secret": "privacy/webhooks/crm",
	}
	if edit != nil {
		edit(m)
	}
	return m
}

func register(t *testing.T, entries ...map[string]any) ([]byte, error) {
	t.Helper()
	b, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	_, err = reach.ParseRegister(b)
	return b, err
}

func TestParseRegisterRefusesBadEntries(t *testing.T) {
	mail := func(m map[string]any) { delete(m, "url"); delete(m, "secret"); m["reach"] = "mail" }
	cases := []struct {
		name string
		edit func(m map[string]any)
		want string // a word the error must carry
	}{
		{"unknown role", func(m map[string]any) { m["role"] = "partner" }, "role"},
		{"unknown action", func(m map[string]any) { m["acts_on"] = []string{"delete", "sell"} }, "sell"},
		{"repeated action", func(m map[string]any) { m["acts_on"] = []string{"delete", "delete"} }, "repeated"},
		{"no action", func(m map[string]any) { m["acts_on"] = []string{} }, "acts_on"},
		{"unknown reach", func(m map[string]any) { m["reach"] = "fax" }, "reach"},
		{"webhook without url", func(m map[string]any) { delete(m, "url") }, "url"},
		{"webhook over plain http", func(m map[string]any) { m["url"] = "http://crm.example/hook" }, "https"},
		{"webhook url with credentials", func(m map[string]any) { m["url"] = "https://u:p@crm.example/hook" }, "url"},
		{"webhook without secret", func(m map[string]any) { delete(m, "secret") }, "secret"},
		{"mail without contact", mail, "contact"},
		{"mail with a contact that is not an address", func(m map[string]any) { mail(m); m["contact"] = "Privacy <privacy@x.example>" }, "contact"},
		{"mail carrying a url", func(m map[string]any) { mail(m); m["contact"] = "privacy@x.example"; m["url"] = "https://x.example" }, "url"},
		{"feed not an ad platform", func(m map[string]any) {
			delete(m, "url")
			delete(m, "secret")
			m["reach"], m["acts_on"] = "feed", []string{"opt_out"}
		}, "ad platform"},
		{"feed acting on deletion", func(m map[string]any) {
			delete(m, "url")
			delete(m, "secret")
			m["reach"], m["role"], m["acts_on"] = "feed", "ad_platform", []string{"opt_out", "delete"}
		}, "ad platform"},
		{"id with capitals", func(m map[string]any) { m["id"] = "CRM" }, "id"},
		{"no name", func(m map[string]any) { m["name"] = " " }, "name"},
		{"answer window too long", func(m map[string]any) { m["answer_within_days"] = 46 }, "answer_within_days"},
		{"unknown field", func(m map[string]any) { m["owner"] = "sales" }, "owner"},
	}
	for _, c := range cases {
		_, err := register(t, entry(c.edit))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
	if _, err := register(t, entry(nil), entry(func(m map[string]any) { m["name"] = "Other CRM" })); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate id: error %v, want one saying it is listed twice", err)
	}
	// The entries the cases start from are good ones.
	if _, err := register(t, entry(nil), entry(func(m map[string]any) {
		mail(m)
		m["id"], m["contact"] = "billing", "privacy@payments.example"
	}), entry(func(m map[string]any) {
		delete(m, "url")
		delete(m, "secret")
		m["id"], m["role"], m["reach"], m["acts_on"] = "ads", "ad_platform", "feed", []string{"opt_out"}
	})); err != nil {
		t.Fatalf("good register refused: %v", err)
	}
}

// A webhook on the developer's own machine may be plain http (the local
// cloud's sample receiver); nowhere else.
func TestWebhookOverHTTPOnlyOnLoopback(t *testing.T) {
	for u, ok := range map[string]bool{
		"http://127.0.0.1:8080/hook":        true,
		"http://localhost:8080/hook":        true,
		"http://[::1]:8080/hook":            true,
		"http://10.0.0.5/hook":              false,
		"http://localhost.attacker.example": false,
		"ftp://crm.example/hook":            false,
	} {
		_, err := register(t, entry(func(m map[string]any) { m["url"] = u }))
		if (err == nil) != ok {
			t.Errorf("url %s: error %v, want accepted %v", u, err, ok)
		}
	}
	reg, err := reach.Systems().WithURL("crm", "http://127.0.0.1:9/hook")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := reg.System("crm"); s.URL != "http://127.0.0.1:9/hook" {
		t.Fatalf("WithURL: %s", s.URL)
	}
	if _, err := reach.Systems().WithURL("crm", "http://crm.example/hook"); err == nil {
		t.Fatal("WithURL took a plain http address off this machine")
	}
}

// The register kept in the repository is the one built into the functions:
// it parses, and says what the policy says of each system.
func TestRepositoryRegister(t *testing.T) {
	b, err := os.ReadFile("systems.json")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := reach.ParseRegister(b)
	if err != nil {
		t.Fatalf("systems.json: %v", err)
	}
	if len(reg.All()) != len(reach.Systems().All()) {
		t.Fatalf("Systems() has %d systems, systems.json %d", len(reach.Systems().All()), len(reg.All()))
	}
	var webhooks, feeds int
	for _, s := range reg.All() {
		if s.AnswerWithinDays < 1 {
			t.Errorf("%s: answer_within_days %d after defaults", s.ID, s.AnswerWithinDays)
		}
		switch s.Reach {
		case reach.Webhook:
			webhooks++
		case reach.Feed:
			feeds++
			if s.Role != reach.AdPlatform {
				t.Errorf("%s takes the feed but is %s", s.ID, s.Role)
			}
		}
	}
	// The local cloud shows a deletion travel to a webhook and back, and
	// the ad platforms take the suppression feed.
	if webhooks == 0 || feeds == 0 {
		t.Fatalf("register has %d webhooks and %d feeds", webhooks, feeds)
	}
	for _, s := range reg.AdPlatforms() {
		for _, a := range reach.Actions {
			for _, acting := range reg.Acting(a) {
				if acting.ID == s.ID {
					t.Errorf("%s takes the feed and is also given %s jobs", s.ID, a)
				}
			}
		}
	}
}

func TestAnswerWindowDefaultsToTenBusinessDays(t *testing.T) {
	b, _ := register(t, entry(nil))
	reg, err := reach.ParseRegister(b)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := reg.System("crm"); s.AnswerWithinDays != 10 {
		t.Fatalf("answer_within_days = %d, want 10", s.AnswerWithinDays)
	}
}

// The GDPR's restriction reaches every system that holds the person's
// data as a service provider (GDPR Art. 19 tells each recipient), and an
// objection the one that markets (the CRM); the ad platform takes opt-outs
// only, by its feed.
func TestSystemsActOnRestrictionAndObjection(t *testing.T) {
	reg := reach.Systems()
	ids := func(a reach.Action) []string {
		var out []string
		for _, s := range reg.Acting(a) {
			out = append(out, s.ID)
		}
		return out
	}
	if got := ids(reach.Restrict); !slices.Equal(got, []string{"crm", "billing", "hosting"}) {
		t.Errorf("restrict reaches %v", got)
	}
	if got := ids(reach.Object); !slices.Equal(got, []string{"crm"}) {
		t.Errorf("object reaches %v", got)
	}
}
