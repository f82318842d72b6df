package subject

import (
	"errors"
	"maps"
	"slices"
	"strings"
)

// ErrCountry is returned for a country that is not an ISO 3166-1 alpha-2
// code.
var ErrCountry = errors.New("use an ISO 3166-1 two-letter country code, e.g. US or DE")

// NormaliseCountry trims and upper-cases a country code and checks it against
// the ISO 3166-1 alpha-2 list. Codes that only look like one (UK, EU, the
// phone plan's AC and TA, alpha-3 codes) are refused: the country decides the
// applicable law (shared/deadline) and the region of a phone number.
func NormaliseCountry(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if !countries[c] {
		return "", ErrCountry
	}
	return c, nil
}

// countries holds the 249 officially assigned ISO 3166-1 alpha-2 codes and
// XK (Kosovo): XK is user-assigned in ISO 3166-1 but used by the European
// Union and by the telephone numbering plan, so people there can name their
// country.
var countries = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`
		AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
		BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
		CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
		DE DJ DK DM DO DZ
		EC EE EG EH ER ES ET
		FI FJ FK FM FO FR
		GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
		HK HM HN HR HT HU
		ID IE IL IM IN IO IQ IR IS IT
		JE JM JO JP
		KE KG KH KI KM KN KP KR KW KY KZ
		LA LB LC LI LK LR LS LT LU LV LY
		MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
		NA NC NE NF NG NI NL NO NP NR NU NZ
		OM
		PA PE PF PG PH PK PL PM PN PR PS PT PW PY
		QA
		RE RO RS RU RW
		SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
		TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
		UA UG UM US UY UZ
		VA VC VE VG VI VN VU
		WF WS
		XK
		YE YT
		ZA ZM ZW`) {
		m[c] = true
	}
	return m
}()

// Countries returns the codes NormaliseCountry accepts, sorted: the web
// form's country list is generated from it (cmd/webframe).
func Countries() []string { return slices.Sorted(maps.Keys(countries)) }
