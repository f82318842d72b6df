package retention

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The periods the retention issue sets, written out independently of the
// table.
func TestPolicyPeriods(t *testing.T) {
	start := time.Date(2028, 2, 29, 10, 0, 0, 0, time.UTC) // a leap day
	cases := []struct {
		kind Kind
		want time.Time // zero: kept while in effect
	}{
		{VerificationToken, time.Date(2028, 3, 3, 10, 0, 0, 0, time.UTC)},  // +72 hours
		{ConfirmationToken, time.Date(2028, 3, 3, 10, 0, 0, 0, time.UTC)},  // +72 hours
		{UnverifiedRequest, time.Date(2030, 2, 28, 10, 0, 0, 0, time.UTC)}, // +24 months, clamped (11 CCR §7101)
		{UnsentMail, time.Date(2028, 3, 30, 10, 0, 0, 0, time.UTC)},        // +30 days
		{SentMail, time.Date(2028, 3, 30, 10, 0, 0, 0, time.UTC)},          // +30 days
		{ClosedRequest, time.Date(2030, 2, 28, 10, 0, 0, 0, time.UTC)},     // +24 months, clamped
		{ConsentEvidence, time.Date(2032, 2, 29, 10, 0, 0, 0, time.UTC)},   // +4 years, a leap year again
		{OptOutEvidence, time.Date(2032, 2, 29, 10, 0, 0, 0, time.UTC)},    // +4 years
		{Suppression, time.Time{}},                                         // while in effect
		{Idempotency, time.Date(2028, 3, 1, 10, 0, 0, 0, time.UTC)},        // +24 hours
		{SweepReport, time.Date(2030, 2, 28, 10, 0, 0, 0, time.UTC)},       // +24 months, clamped
		{ErasureRecord, time.Date(2030, 2, 28, 10, 0, 0, 0, time.UTC)},     // +24 months, clamped
		{ExportRecord, time.Date(2030, 2, 28, 10, 0, 0, 0, time.UTC)},      // +24 months, clamped
		{IdentifierLink, time.Time{}},                                      // while in effect
		{DisclosureText, time.Time{}},                                      // kept
		{HeldMail, time.Date(2028, 3, 30, 10, 0, 0, 0, time.UTC)},          // +30 days
		{MailCounter, time.Date(2028, 3, 2, 10, 0, 0, 0, time.UTC)},        // +2 days
		{DuplicateGuard, time.Date(2028, 2, 29, 10, 10, 0, 0, time.UTC)},   // +10 minutes
		{SMSCode, time.Date(2028, 3, 1, 10, 0, 0, 0, time.UTC)},            // +24 hours
		{ReachJob, time.Date(2030, 2, 28, 10, 0, 0, 0, time.UTC)},          // +24 months, clamped
		{FeedDelivery, time.Date(2030, 2, 28, 10, 0, 0, 0, time.UTC)},      // +24 months, clamped
		{PolicyVersion, time.Time{}},                                       // kept
		{PolicyNotice, time.Date(2030, 2, 28, 10, 0, 0, 0, time.UTC)},      // +24 months, clamped
	}
	if len(cases) != len(Policy) {
		t.Fatalf("%d rules, %d expected: a kind without a test or a test without a rule", len(Policy), len(cases))
	}
	for _, c := range cases {
		r, err := RuleFor(c.kind)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := r.Expiry(start)
		if ok != !c.want.IsZero() || !got.Equal(c.want) {
			t.Errorf("%s: expiry %v (%v), want %v", c.kind, got, ok, c.want)
		}
		if r.Reason == "" || r.From == "" {
			t.Errorf("%s: a rule needs its reason and its starting event", c.kind)
		}
	}
	if _, err := RuleFor("no_such_kind"); err == nil {
		t.Error("an unknown kind has a rule")
	}
}

// The README shows the policy; it must say what the code does.
func TestREADMEShowsThePolicy(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, r := range Policy {
		row := "| `" + string(r.Kind) + "` | " + r.Period() + " | " + r.From + " |"
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row %q", row)
		}
	}
}
