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
