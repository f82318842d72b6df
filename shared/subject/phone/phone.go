// Package phone reads phone numbers with the international numbering plan
// metadata. It is the only package that links that metadata (and the
// protobuf runtime it needs); services receive E164 as a
// subject.PhoneNormaliser where they are wired, so that functions that read
// no phone number stay small.
package phone

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/claritru/privacy/shared/subject"
)

var _ subject.PhoneNormaliser = E164

// MaxLength is the longest phone number accepted as typed, separators
// included.
const MaxLength = 32

// E164 returns the E.164 form of a number. A number without a country code is
// read in region (ISO 3166-1 alpha-2, any case); subject.Identify chooses
// the region. Anything that is not a valid number is subject.ErrPhone.
func E164(s, region string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxLength {
		return "", subject.ErrPhone
	}
	n, err := phonenumbers.Parse(s, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", subject.ErrPhone
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// TextsTo says whether the service texts a number (E.164): US numbers only.
// Anyone can type a number into the consent form, and each SMS grant texts
// a code; a code to a premium or far-away number is how SMS pumping (toll
// fraud) earns money. The company serves US practices, so a code goes only
// to a number of the US plan, not to the rest of +1 (the Caribbean
// countries share the code and their rates).
func TextsTo(e164 string) bool {
	n, err := phonenumbers.Parse(e164, "")
	return err == nil && phonenumbers.GetRegionCodeForNumber(n) == "US"
}
