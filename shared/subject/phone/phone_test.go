package phone

import (
	"errors"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/subject"
)

func TestE164(t *testing.T) {
	tests := []struct {
		in, region, want string
	}{
		// NANP: country code 1, area 415, exchange 555, line 0100.
		{"(415) 555-0100", "US", "+14155550100"},
		{"+1 415 555 0100", "DE", "+14155550100"},
		{"  1-415-555-0100 ", "us", "+14155550100"},
		// Berlin: country code 49, area 30 (030 nationally), 901820.
		{"+49 30 901820", "", "+4930901820"},
		{"+49 (0)30 901820", "US", "+4930901820"},
		{"030 901820", "DE", "+4930901820"},
		{"0049 30 901820", "DE", "+4930901820"},
	}
	for _, tt := range tests {
		got, err := E164(tt.in, tt.region)
		if err != nil || got != tt.want {
			t.Errorf("E164(%q, %q) = %q, %v; want %q", tt.in, tt.region, got, err, tt.want)
		}
	}
	refuse := []struct{ in, region string }{
		{"", "US"},
		{"   ", "US"},
		{"garbage", "US"},
		{"call me at noon", "US"},
		{"555-0100", "US"},      // no area code: too short
		{"030 901820", "US"},    // a German national number read in the US
		{"415.555.0100", ""},    // no region: only international numbers (subject.Identify picks the region)
		{"+1 415 555 01", "US"}, // too short
		{"+999 1234 5678", ""},  // no such country code
		{"+1 415 555 0100" + strings.Repeat("0", 30), "US"},
		{"+14155550100\r\nBcc: x@y", "US"},
		{"\x00\x00\x00", "US"},
	}
	for _, tt := range refuse {
		if got, err := E164(tt.in, tt.region); err == nil {
			t.Errorf("E164(%q, %q) = %q, want refused", tt.in, tt.region, got)
		} else if !errors.Is(err, subject.ErrPhone) {
			t.Errorf("E164(%q, %q) error %v, want subject.ErrPhone", tt.in, tt.region, err)
		}
	}
}

// Codes are texted to US numbers only: not to the rest of the +1 plan, nor
// abroad, nor to anything that is not a number.
func TestTextsTo(t *testing.T) {
	for n, want := range map[string]bool{
		"+14155550123":  true,  // California
		"+12125550199":  true,  // New York
		"+18765550123":  false, // Jamaica, in the +1 plan
		"+16135550123":  false, // Canada
		"+442071838750": false,
		"+33142685300":  false,
		"":              false,
		"not a number":  false,
	} {
		if got := TextsTo(n); got != want {
			t.Errorf("TextsTo(%q) = %v, want %v", n, got, want)
		}
	}
}
