// Package deadline holds the legal clocks for privacy requests: which regime's
// timelines apply to a requester, when a response is due, when it is due after
// the one permitted extension, and the business-day deadlines for confirming
// receipt and for honouring opt-outs.
//
// Every function keeps the location of the time it is given and judges
// calendar dates in that location; callers pass times in the location they
// mean, which for the service is the company's zone (Zone). A deadline is the
// end of its day there (EndOfDay). No function reads the clock.
//
// Where a rule can be read two ways the functions take the reading that gives
// the earlier date, and say so beside the code with the citation.
package deadline

import (
	"strings"
	"time"
)

// Regime is the body of law whose timelines govern a request.
type Regime string

const (
	// CCPA is the California Consumer Privacy Act and its regulations
	// (11 CCR §7000 ff.). It is also the company's default for requesters
	// in a known country outside the EEA, the United Kingdom and
	// Switzerland.
	CCPA Regime = "ccpa"
	// GDPR is the EU General Data Protection Regulation (EU 2016/679), which
	// applies in the EEA by the EEA Agreement. Its one-month clock also runs
	// for a requester whose country is not known.
	GDPR Regime = "gdpr"
	// UKGDPR is the United Kingdom's GDPR (the GDPR as kept in UK law,
	// with the Data Protection Act 2018): the same one-month clock
	// (UK GDPR Art. 12(3)).
	UKGDPR Regime = "uk_gdpr"
	// FADP is Switzerland's Federal Act on Data Protection (SR 235.1, in
	// force 1 September 2023): information within 30 days (FADP Art. 25(7);
	// Data Protection Ordinance, SR 235.11, Art. 18(1)).
	FADP Regime = "fadp"
)

// Regimes lists every regime, for the contract and for tests.
var Regimes = []Regime{CCPA, GDPR, UKGDPR, FADP}

// eea is the European Economic Area by ISO 3166-1 alpha-2 code: the 27 EU
// member states and the three EFTA states in the EEA (Iceland,
// Liechtenstein, Norway). Greece is GR here (ISO), not the EU's own "EL".
var eea = map[string]bool{
	// EU member states.
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true,
	"DK": true, "EE": true, "FI": true, "FR": true, "DE": true, "GR": true,
	"HU": true, "IE": true, "IT": true, "LV": true, "LT": true, "LU": true,
	"MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true,
	"SI": true, "ES": true, "SE": true,
	// EFTA states in the EEA.
	"IS": true, "LI": true, "NO": true,
}

// RegimeFor says whose clock applies to a requester in country (ISO 3166-1
// alpha-2) and, for the US, state (USPS code). Both are case-insensitive.
func RegimeFor(country, state string) Regime {
	country = strings.ToUpper(strings.TrimSpace(country))
	state = strings.ToUpper(strings.TrimSpace(state))
	switch {
	case eea[country]:
		// A data subject in the EU/EEA (GDPR Art. 3(2)); clock from GDPR
		// Art. 12(3): one month from receipt, extendable by two more.
		return GDPR
	case country == "GB":
		// The United Kingdom left the EU but kept the GDPR in its own law
		// (UK GDPR Art. 12(3)): one month, extendable by two more.
		return UKGDPR
	case country == "CH":
		// Switzerland is in EFTA but not the EEA; its own law gives 30 days
		// (FADP Art. 25(7)).
		return FADP
	case country == "":
		// Conservative reading: with no country we cannot rule out the
		// EEA, the UK or Switzerland, so the shortest regular clock runs,
		// GDPR Art. 12(3)'s one month (at most 31 days, never later than
		// the 45 days of 11 CCR §7021(b)).
		return GDPR
	case country == "US" && state == "CA":
		// A California resident is a CCPA "consumer" (Cal. Civ. Code
		// §1798.140); clock from 11 CCR §7021(b): 45 calendar days from
		// receipt, extendable by 45 more.
		return CCPA
	default:
		// Everyone else in a known country gets the company's default, the
		// CCPA timelines of 11 CCR §7021.
		return CCPA
	}
}

// Due is the end of the day, in receivedAt's location, on which the response
// to a request received at receivedAt is due under regime, before any
// extension. An unknown regime is treated as CCPA, the company's default.
func Due(regime Regime, receivedAt time.Time) time.Time {
	return EndOfDay(dueDay(regime, receivedAt))
}

// dueDay is a time on the day the first period ends.
func dueDay(regime Regime, receivedAt time.Time) time.Time {
	switch regime {
	case GDPR, UKGDPR:
		// GDPR Art. 12(3) (and UK GDPR Art. 12(3)): "without undue delay
		// and in any event within one month of receipt of the request". A
		// period in months ends with the day of the last month that has the
		// same date as the day of receipt (Regulation (EEC, Euratom) No
		// 1182/71, Art. 3(2)(c)); AddMonths clamps to the month's last day.
		return AddMonths(receivedAt, 1)
	case FADP:
		// FADP Art. 25(7): "in general ... within 30 days". Conservative
		// reading, as for §7021(b) below: the day of receipt is day 1, so
		// day 30 is receipt + 29 (Swiss law would not count the day of
		// receipt, Code of Obligations Art. 77(1)(1); we take the earlier).
		return receivedAt.AddDate(0, 0, 29)
	}
	// 11 CCR §7021(b): respond within 45 calendar days, a period that
	// begins on the day the business receives the request. Conservative
	// reading: the day of receipt is day 1, so day 45 is receipt + 44
	// (counting from the day after receipt, as Cal. Code Civ. Proc. §12
	// counts, would give receipt + 45; we take the earlier date).
	return receivedAt.AddDate(0, 0, 44)
}

// Extended is the end of the day, in receivedAt's location, on which the
// response is due after the one extension the regime permits. The extension
// needs notice and a reason, given before Due; that is the caller's to
// record. An unknown regime is treated as CCPA.
func Extended(regime Regime, receivedAt time.Time) time.Time {
	switch regime {
	case GDPR, UKGDPR:
		// GDPR Art. 12(3): "That period may be extended by two further
		// months". Conservative reading: the two further months run from
		// the day the first month ended, not three months from receipt.
		// The two agree unless the first month was clamped to a shorter
		// month's end, and then the first is earlier: received 31 January
		// 2026, due 28 February, extended to 28 April (not 30 April).
		return EndOfDay(AddMonths(dueDay(regime, receivedAt), 2))
	case FADP:
		// The FADP fixes no length for a longer period: the controller must
		// tell the person when the information will come (Data Protection
		// Ordinance Art. 18). The company allows itself what the GDPR
		// allows, two further months from the end of the 30 days.
		return EndOfDay(AddMonths(dueDay(regime, receivedAt), 2))
	}
	// 11 CCR §7021(b): up to an additional 45 calendar days, "for a maximum
	// total of 90 calendar days from the day the request is received".
	// With the day of receipt as day 1 (see Due), day 90 is receipt + 89.
	return EndOfDay(receivedAt.AddDate(0, 0, 89))
}

// EndOfDay is the last millisecond (23:59:59.999) of t's calendar day in t's
// location: a deadline on a day is met by anything done that day, and the
// store keeps times to the millisecond.
func EndOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 23, 59, 59, int(time.Second-time.Millisecond), t.Location())
}

// AddMonths moves t by n calendar months (n may be negative), keeping the time
// of day and location. Where the same day does not exist in the target month
// the result is the last day of that month: 31 January + 1 month is 28 (or 29)
// February, not 3 March as with time.Time.AddDate. This is how EU law counts
// periods in months (Regulation (EEC, Euratom) No 1182/71, Art. 3(2)(c)), which
// governs the GDPR's "one month".
//
// If the resulting wall-clock time does not exist in t's location (a daylight
// saving gap) it is normalised as time.Date does.
func AddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	// Months since year 0, with floor division so negative n works.
	total := y*12 + int(m-1) + n
	ty, tm := floorDiv(total, 12), time.Month(floorMod(total, 12)+1)
	if last := daysIn(ty, tm); d > last {
		d = last
	}
	hh, mm, ss := t.Clock()
	return time.Date(ty, tm, d, hh, mm, ss, t.Nanosecond(), t.Location())
}

// AcknowledgeBy is the end of the last day, in receivedAt's location, to
// confirm receipt of a request to know, delete or correct: 10 business days
// (11 CCR §7021(a)), counted as BusinessDaysFromReceipt counts them.
func AcknowledgeBy(receivedAt time.Time) time.Time {
	return BusinessDaysFromReceipt(receivedAt, 10)
}

// OptOutBy is the end of the last day, in receivedAt's location, to comply
// with a request to opt out of sale or sharing: 15 business days from receipt
// (11 CCR §7026(f)), counted as BusinessDaysFromReceipt counts them. The same
// period applies to requests to limit the use of sensitive personal
// information (11 CCR §7027(e)).
func OptOutBy(receivedAt time.Time) time.Time {
	return BusinessDaysFromReceipt(receivedAt, 15)
}

// BusinessDaysFromReceipt is the end of the n-th business day (n >= 1) of a
// period that runs from receivedAt, in receivedAt's location.
//
// Conservative reading: the day of receipt, when it is a business day, is
// day 1, as 11 CCR §7021(b) counts its 45 days from "the day that the
// business receives the request". The other reading, counting from the next
// day (Cal. Code Civ. Proc. §12), gives a date one business day later; we
// take the earlier. A request received on a weekend or holiday starts its
// count on the next business day.
func BusinessDaysFromReceipt(receivedAt time.Time, n int) time.Time {
	if IsBusinessDay(receivedAt) {
		n--
	}
	return EndOfDay(AddBusinessDays(receivedAt, n))
}

// AddBusinessDays moves t by n business days (see IsBusinessDay), keeping the
// time of day and location. The day of t itself does not count, whether or
// not it is a business day: a request received on Friday plus one business
// day is Monday, and received on Saturday plus one business day is also
// Monday. A negative n counts backwards; zero returns t.
func AddBusinessDays(t time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		t = t.AddDate(0, 0, step)
		if IsBusinessDay(t) {
			n--
		}
	}
	return t
}

// IsBusinessDay reports whether d's calendar date, in d's location, is Monday
// to Friday and not the observed date of a US federal holiday (see
// FederalHolidays).
func IsBusinessDay(d time.Time) bool {
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	y, m, day := d.Date()
	// The observed New Year's Day of y+1 can fall on 31 December of y.
	for _, year := range [...]int{y, y + 1} {
		for _, h := range observedHolidays(year) {
			if h.y == y && h.m == m && h.d == day {
				return false
			}
		}
	}
	return true
}

// FederalHolidays lists the observed dates of the legal public holidays of
// year under 5 U.S.C. 6103(a), in calendar order, as midnight UTC. A holiday
// on a Saturday is observed on the Friday before and one on a Sunday on the
// Monday after (5 U.S.C. 6103(b); Executive Order 11582). So the list for a
// year whose 1 January is a Saturday begins with 31 December of the year
// before (2022's begins with Friday 31 December 2021).
//
// The dates are computed by the statute's rules, not looked up. Juneteenth is
// included from 2021 and Martin Luther King Jr. Day from 1986, when they were
// enacted; the Monday rules of the Uniform Monday Holiday Act (1971) are
// applied to every year. One-off closures by executive order (such as an extra
// day at Christmas) are not included.
func FederalHolidays(year int) []time.Time {
	hs := observedHolidays(year)
	out := make([]time.Time, len(hs))
	for i, h := range hs {
		out[i] = time.Date(h.y, h.m, h.d, 0, 0, 0, 0, time.UTC)
	}
	return out
}

// date is a calendar date with no time or location.
type date struct {
	y int
	m time.Month
	d int
}

// weekday is the day of the week of a calendar date (the same everywhere).
func (c date) weekday() time.Weekday {
	return time.Date(c.y, c.m, c.d, 12, 0, 0, 0, time.UTC).Weekday()
}

// observedHolidays is FederalHolidays as calendar dates.
func observedHolidays(year int) []date {
	hs := make([]date, 0, 11)
	add := func(c date) { hs = append(hs, c) }
	fixed := func(m time.Month, d int) { add(observed(date{year, m, d})) }

	fixed(time.January, 1) // New Year's Day
	if year >= 1986 {
		add(nthWeekday(year, time.January, time.Monday, 3)) // Martin Luther King Jr. Day
	}
	add(nthWeekday(year, time.February, time.Monday, 3)) // Washington's Birthday
	add(lastWeekday(year, time.May, time.Monday))        // Memorial Day
	if year >= 2021 {
		fixed(time.June, 19) // Juneteenth National Independence Day
	}
	fixed(time.July, 4)                                    // Independence Day
	add(nthWeekday(year, time.September, time.Monday, 1))  // Labor Day
	add(nthWeekday(year, time.October, time.Monday, 2))    // Columbus Day
	fixed(time.November, 11)                               // Veterans Day
	add(nthWeekday(year, time.November, time.Thursday, 4)) // Thanksgiving Day
	fixed(time.December, 25)                               // Christmas Day
	return hs
}

// observed moves a fixed-date holiday off the weekend: Saturday to the Friday
// before, Sunday to the Monday after.
func observed(c date) date {
	switch c.weekday() {
	case time.Saturday:
		return shift(c, -1)
	case time.Sunday:
		return shift(c, 1)
	}
	return c
}

// nthWeekday is the n-th (from 1) wd of month m in year y.
func nthWeekday(y int, m time.Month, wd time.Weekday, n int) date {
	first := date{y, m, 1}
	offset := (int(wd) - int(first.weekday()) + 7) % 7
	return date{y, m, 1 + offset + 7*(n-1)}
}

// lastWeekday is the last wd of month m in year y.
func lastWeekday(y int, m time.Month, wd time.Weekday) date {
	last := date{y, m, daysIn(y, m)}
	back := (int(last.weekday()) - int(wd) + 7) % 7
	return date{y, m, last.d - back}
}

// shift moves a calendar date by days.
func shift(c date, days int) date {
	y, m, d := time.Date(c.y, c.m, c.d+days, 12, 0, 0, 0, time.UTC).Date()
	return date{y, m, d}
}

// daysIn is the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	// Day 0 of the next month is the last day of this one.
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int) int {
	return a - floorDiv(a, b)*b
}
