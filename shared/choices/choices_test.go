package choices_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/choices"
	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/optout"
)

var (
	consentAt = time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	optOutAt  = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	limitAt   = time.Date(2026, 11, 3, 11, 0, 0, 0, time.UTC)
)

var statuses = []consent.Status{consent.None, consent.Pending, consent.Granted, consent.Withdrawn, consent.NotGranted}

// facts builds the facts of one combination: the purpose's consent in
// status (nothing recorded for none), and the opt-out, signal and limit.
func facts(p consent.Purpose, status consent.Status, optedOut, gpc, limited bool) choices.Facts {
	f := choices.Facts{GPC: gpc}
	if status != consent.None {
		f.Consents = []consent.State{
			{Purpose: consent.SMSMarketing, Status: consent.Granted, Since: consentAt, ReceiptID: "other"},
			{Purpose: p, Status: status, Since: consentAt, ReceiptID: "receipt-1"},
		}
	}
	if optedOut {
		f.SaleSharing = &optout.State{OptOutID: "optout-1", Since: optOutAt, Source: optout.Form}
	}
	if limited {
		f.Limit = &optout.State{OptOutID: "optout-2", Since: limitAt, Source: optout.Request}
	}
	return f
}

type want struct {
	allowed bool
	status  string
	reason  choices.Reason
	since   time.Time
}

func check(t *testing.T, name string, got choices.Answer, p choices.Purpose, w want) {
	t.Helper()
	if got.Purpose != p || got.Allowed != w.allowed || got.Status != w.status || got.Reason != w.reason || !got.Since.Equal(w.since) {
		t.Errorf("%s: got %+v, want allowed=%v status=%s reason=%s since=%v", name, got, w.allowed, w.status, w.reason, w.since)
	}
}

var bools = []bool{false, true}

// TestAdvertisingCookies: allowed only when granted, and even then refused
// by an opt-out of sale/sharing (with its time) or the signal; the opt-out
// is named when both apply. The limit changes nothing.
func TestAdvertisingCookies(t *testing.T) {
	var zero time.Time
	cases := []struct {
		status        consent.Status
		optedOut, gpc bool
		want          want
	}{
		{consent.None, false, false, want{false, "none", choices.NoConsent, zero}},
		{consent.None, false, true, want{false, "none", choices.GPC, zero}},
		{consent.None, true, false, want{false, "opted_out", choices.OptedOut, optOutAt}},
		{consent.None, true, true, want{false, "opted_out", choices.OptedOut, optOutAt}},
		{consent.Pending, false, false, want{false, "pending", choices.NoConsent, consentAt}},
		{consent.Pending, false, true, want{false, "pending", choices.GPC, zero}},
		{consent.Pending, true, false, want{false, "pending", choices.OptedOut, optOutAt}},
		{consent.Pending, true, true, want{false, "pending", choices.OptedOut, optOutAt}},
		{consent.Granted, false, false, want{true, "granted", choices.Consented, consentAt}},
		{consent.Granted, false, true, want{false, "granted", choices.GPC, zero}},
		{consent.Granted, true, false, want{false, "granted", choices.OptedOut, optOutAt}},
		{consent.Granted, true, true, want{false, "granted", choices.OptedOut, optOutAt}},
		{consent.Withdrawn, false, false, want{false, "withdrawn", choices.NoConsent, consentAt}},
		{consent.Withdrawn, false, true, want{false, "withdrawn", choices.GPC, zero}},
		{consent.Withdrawn, true, false, want{false, "withdrawn", choices.OptedOut, optOutAt}},
		{consent.Withdrawn, true, true, want{false, "withdrawn", choices.OptedOut, optOutAt}},
		{consent.NotGranted, false, false, want{false, "not_granted", choices.NoConsent, consentAt}},
		{consent.NotGranted, false, true, want{false, "not_granted", choices.GPC, zero}},
		{consent.NotGranted, true, false, want{false, "not_granted", choices.OptedOut, optOutAt}},
		{consent.NotGranted, true, true, want{false, "not_granted", choices.OptedOut, optOutAt}},
	}
	p := choices.Purpose(consent.CookiesAdvertising)
	for _, c := range cases {
		for _, limited := range bools {
			name := fmt.Sprintf("%s opted_out=%v gpc=%v limited=%v", c.status, c.optedOut, c.gpc, limited)
			got := choices.Decide(facts(consent.CookiesAdvertising, c.status, c.optedOut, c.gpc, limited), p)
			check(t, name, got, p, c.want)
			if c.status != consent.None && got.ReceiptID != "receipt-1" {
				t.Errorf("%s: receipt %q, want the state's", name, got.ReceiptID)
			}
		}
	}
}

// TestOtherConsentPurposes: a consent purpose that is not sale or sharing
// follows its consent alone, whatever the opt-out, the signal or the limit.
func TestOtherConsentPurposes(t *testing.T) {
	var zero time.Time
	wants := map[consent.Status]want{
		consent.None:       {false, "none", choices.NoConsent, zero},
		consent.Pending:    {false, "pending", choices.NoConsent, consentAt},
		consent.Granted:    {true, "granted", choices.Consented, consentAt},
		consent.Withdrawn:  {false, "withdrawn", choices.NoConsent, consentAt},
		consent.NotGranted: {false, "not_granted", choices.NoConsent, consentAt},
	}
	for _, cp := range []consent.Purpose{consent.EmailMarketing, consent.SMSMarketing, consent.SMSTransactional, consent.CookiesFunctional, consent.CookiesAnalytics} {
		p := choices.Purpose(cp)
		for _, status := range statuses {
			for _, optedOut := range bools {
				for _, gpc := range bools {
					for _, limited := range bools {
						name := fmt.Sprintf("%s %s opted_out=%v gpc=%v limited=%v", cp, status, optedOut, gpc, limited)
						check(t, name, choices.Decide(facts(cp, status, optedOut, gpc, limited), p), p, wants[status])
					}
				}
			}
		}
	}
}

// TestAdAudiences: allowed unless opted out of sale/sharing or asked with
// the signal; consents and the limit change nothing.
func TestAdAudiences(t *testing.T) {
	var zero time.Time
	cases := []struct {
		optedOut, gpc bool
		want          want
	}{
		{false, false, want{true, "none", choices.NotOptedOut, zero}},
		{false, true, want{false, "none", choices.GPC, zero}},
		{true, false, want{false, "opted_out", choices.OptedOut, optOutAt}},
		{true, true, want{false, "opted_out", choices.OptedOut, optOutAt}},
	}
	for _, c := range cases {
		for _, status := range statuses {
			for _, limited := range bools {
				name := fmt.Sprintf("opted_out=%v gpc=%v advertising %s limited=%v", c.optedOut, c.gpc, status, limited)
				check(t, name, choices.Decide(facts(consent.CookiesAdvertising, status, c.optedOut, c.gpc, limited), choices.AdAudiences), choices.AdAudiences, c.want)
			}
		}
	}
}

// TestSensitiveData: allowed until a limit request, then refused from its
// time; the opt-out of sale/sharing, the signal and consents change nothing.
func TestSensitiveData(t *testing.T) {
	var zero time.Time
	wants := map[bool]want{
		false: {true, "none", choices.NotOptedOut, zero},
		true:  {false, "limited", choices.Limited, limitAt},
	}
	for _, limited := range bools {
		for _, status := range statuses {
			for _, optedOut := range bools {
				for _, gpc := range bools {
					name := fmt.Sprintf("limited=%v advertising %s opted_out=%v gpc=%v", limited, status, optedOut, gpc)
					check(t, name, choices.Decide(facts(consent.CookiesAdvertising, status, optedOut, gpc, limited), choices.SensitiveData), choices.SensitiveData, wants[limited])
				}
			}
		}
	}
}

func TestKnown(t *testing.T) {
	for _, p := range []choices.Purpose{"email_marketing", "cookies_advertising", "ad_audiences", "sensitive_data"} {
		if !choices.Known(p) {
			t.Errorf("%s is not known", p)
		}
	}
	for _, p := range []choices.Purpose{"", "opt_out", "limit_sensitive", "Ad_Audiences"} {
		if choices.Known(p) {
			t.Errorf("%q is known", p)
		}
	}
	if len(choices.Purposes) != 8 || !slices.Contains(choices.BrowserPurposes, choices.AdAudiences) || slices.Contains(choices.BrowserPurposes, choices.SensitiveData) {
		t.Errorf("Purposes %v, BrowserPurposes %v", choices.Purposes, choices.BrowserPurposes)
	}
}

type fakeConsents struct {
	states []consent.State
	err    error
	asked  []string
}

func (f *fakeConsents) States(_ context.Context, key string) ([]consent.State, error) {
	f.asked = append(f.asked, key)
	return f.states, f.err
}

type fakeOptOuts map[optout.Right]optout.State

func (f fakeOptOuts) State(_ context.Context, key string, r optout.Right) (optout.State, bool, error) {
	if key != "key-1" {
		return optout.State{}, false, errors.New("another key was read")
	}
	st, ok := f[r]
	return st, ok, nil
}

// TestReaderFacts: the facts come from the subject's own key: its
// consents, each right's opt-out, and the signal as given.
func TestReaderFacts(t *testing.T) {
	cs := &fakeConsents{states: []consent.State{{Purpose: consent.CookiesAdvertising, Status: consent.Granted, Since: consentAt}}}
	r := choices.Reader{Consents: cs, OptOuts: fakeOptOuts{optout.LimitSensitive: {OptOutID: "o", Since: limitAt}}}
	f, err := r.Facts(context.Background(), "key-1", true)
	if err != nil || !f.GPC || f.SaleSharing != nil || f.Limit == nil || !f.Limit.Since.Equal(limitAt) || len(f.Consents) != 1 || !slices.Equal(cs.asked, []string{"key-1"}) {
		t.Fatalf("Facts = %+v, %v (asked %v)", f, err, cs.asked)
	}
	cs.err = errors.New("table unavailable")
	if _, err := r.Facts(context.Background(), "key-1", false); err == nil {
		t.Fatal("a failed read gave facts")
	}
}
