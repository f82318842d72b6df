package deadline

import (
	"testing"
	"time"
)

// Every expected date below was worked out by hand (weekdays checked against
// a printed calendar), not copied from this package's output.

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// endOf is the last millisecond of a day in UTC.
func endOf(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 999_000_000, time.UTC)
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func TestAddMonths(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		n    int
		want time.Time
	}{
		// February 2026 has 28 days (2026 is not divisible by 4), so 31 Feb
		// clamps to 28 Feb.
		{"31 Jan 2026 + 1 clamps to 28 Feb", day(2026, 1, 31), 1, day(2026, 2, 28)},
		// 2028 is divisible by 4 and not by 100: a leap year, February has 29.
		{"31 Jan 2028 + 1 clamps to 29 Feb (leap)", day(2028, 1, 31), 1, day(2028, 2, 29)},
		// April has 30 days, so 31 Apr clamps to 30 Apr.
		{"31 Mar + 1 clamps to 30 Apr", day(2026, 3, 31), 1, day(2026, 4, 30)},
		// 15 exists in every month: plain date arithmetic.
		{"15 May + 1 is 15 Jun", day(2026, 5, 15), 1, day(2026, 6, 15)},
		// Crossing a year: December + 1 is January of the next year.
		{"15 Dec 2026 + 1 is 15 Jan 2027", day(2026, 12, 15), 1, day(2027, 1, 15)},
		// Backwards: 31 Mar - 1 month is 31 Feb, clamped to 28 Feb 2026.
		{"31 Mar 2026 - 1 clamps to 28 Feb", day(2026, 3, 31), -1, day(2026, 2, 28)},
		// Backwards across a year: 10 Jan 2026 - 2 months is 10 Nov 2025.
		{"10 Jan 2026 - 2 is 10 Nov 2025", day(2026, 1, 10), -2, day(2025, 11, 10)},
		// Zero months is the same instant.
		{"zero", day(2026, 7, 31), 0, day(2026, 7, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AddMonths(tt.in, tt.n); !got.Equal(tt.want) {
				t.Errorf("AddMonths(%s, %d) = %s, want %s", tt.in.Format(time.DateOnly), tt.n, got.Format(time.DateOnly), tt.want.Format(time.DateOnly))
			}
		})
	}
}

func TestAddMonthsKeepsClockAndLocation(t *testing.T) {
	la := pacific(t)
	// 31 Jan 2026 16:45:30.5 PST + 1 month: 28 Feb, same wall clock, same zone.
	in := time.Date(2026, 1, 31, 16, 45, 30, 500, la)
	want := time.Date(2026, 2, 28, 16, 45, 30, 500, la)
	got := AddMonths(in, 1)
	if !got.Equal(want) || got.Location() != la {
		t.Errorf("AddMonths = %s (%s), want %s", got, got.Location(), want)
	}
	// 31 Jan 2026 23:30 in Los Angeles is already 1 Feb in UTC; the month is
	// judged in Los Angeles, so the answer is still 28 Feb, 23:30 PST.
	in = time.Date(2026, 1, 31, 23, 30, 0, 0, la)
	want = time.Date(2026, 2, 28, 23, 30, 0, 0, la)
	if got := AddMonths(in, 1); !got.Equal(want) {
		t.Errorf("AddMonths(late evening) = %s, want %s", got, want)
	}
}

func TestDue(t *testing.T) {
	tests := []struct {
		name     string
		regime   Regime
		received time.Time
		due      time.Time
		extended time.Time
	}{
		// CCPA, the day of receipt as day 1: day 45 is 1 Jan + 44 days.
		// January has 31 days, so 1 Jan + 30 = 31 Jan and + 44 = 14 Feb.
		// Extended: day 90 is 1 Jan + 89; 31 (Jan) + 28 (Feb) + 31 (Mar) =
		// 90 days takes 1 Jan to 1 Apr, so + 89 is 31 Mar 2026.
		{"CCPA 1 Jan 2026", CCPA, day(2026, 1, 1), endOf(2026, 2, 14), endOf(2026, 3, 31)},
		// GDPR: 30 Nov 2026 + 1 month = 30 Dec 2026. Extended: two further
		// months from 30 Dec = 30 Feb 2027, which does not exist; 2027 is
		// not a leap year, so 28 Feb.
		{"GDPR 30 Nov 2026", GDPR, day(2026, 11, 30), endOf(2026, 12, 30), endOf(2027, 2, 28)},
		// GDPR: 31 Jan 2026 + 1 month clamps to 28 Feb. Extended: two
		// further months from 28 Feb is 28 Apr, earlier than 30 Apr
		// (three months from receipt), and the earlier is taken.
		{"GDPR 31 Jan 2026", GDPR, day(2026, 1, 31), endOf(2026, 2, 28), endOf(2026, 4, 28)},
		// UK GDPR counts as GDPR: 31 Mar 2026 + 1 month clamps to 30 Apr;
		// + 2 more is 30 Jun (31 Jun does not exist either way).
		{"UK GDPR 31 Mar 2026", UKGDPR, day(2026, 3, 31), endOf(2026, 4, 30), endOf(2026, 6, 30)},
		// FADP: 30 days with the day of receipt as day 1, so 15 Jan + 29:
		// 16 days take it to 31 Jan, 13 more to 13 Feb. Extended: two
		// months from 13 Feb is 13 Apr 2026.
		{"FADP 15 Jan 2026", FADP, day(2026, 1, 15), endOf(2026, 2, 13), endOf(2026, 4, 13)},
		// An unknown regime gets the company default, CCPA: 15 Mar + 44
		// days: 16 days left in March take it to 31 Mar, 28 more is 28 Apr.
		// Extended: + 89: 16 (Mar) + 30 (Apr) + 31 (May) = 77 to 31 May,
		// 12 more is 12 Jun.
		{"unknown regime is CCPA", Regime("lgpd"), day(2026, 3, 15), endOf(2026, 4, 28), endOf(2026, 6, 12)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Due(tt.regime, tt.received); !got.Equal(tt.due) {
				t.Errorf("Due = %s, want %s", got, tt.due)
			}
			if got := Extended(tt.regime, tt.received); !got.Equal(tt.extended) {
				t.Errorf("Extended = %s, want %s", got, tt.extended)
			}
		})
	}
}

func TestEndOfDayKeepsTheDayAndLocation(t *testing.T) {
	la := pacific(t)
	// 8 Mar 2026 is the day DST starts in Los Angeles (a 23-hour day):
	// its end is still 23:59:59.999 local, PDT (UTC-7), 06:59:59.999 UTC
	// on 9 Mar.
	got := EndOfDay(time.Date(2026, 3, 8, 1, 0, 0, 0, la))
	if want := time.Date(2026, 3, 9, 6, 59, 59, 999_000_000, time.UTC); !got.Equal(want) || got.Location() != la {
		t.Errorf("EndOfDay = %s (%s), want %s", got, got.Location(), want)
	}
}

func TestFederalHolidays(t *testing.T) {
	tests := []struct {
		year int
		want []time.Time
	}{
		{2026, []time.Time{
			day(2026, 1, 1),   // New Year's Day: Thursday.
			day(2026, 1, 19),  // MLK: Mondays in Jan 2026 are 5, 12, 19; third is 19.
			day(2026, 2, 16),  // Washington's Birthday: Mondays 2, 9, 16.
			day(2026, 5, 25),  // Memorial Day: 31 May is a Sunday, so the last Monday is 25.
			day(2026, 6, 19),  // Juneteenth: Friday.
			day(2026, 7, 3),   // Independence Day: 4 Jul is a Saturday, observed Friday 3 Jul.
			day(2026, 9, 7),   // Labor Day: 1 Sep is a Tuesday, first Monday is 7.
			day(2026, 10, 12), // Columbus Day: 1 Oct is a Thursday, Mondays 5, 12.
			day(2026, 11, 11), // Veterans Day: Wednesday.
			day(2026, 11, 26), // Thanksgiving: 1 Nov is a Sunday, Thursdays 5, 12, 19, 26.
			day(2026, 12, 25), // Christmas: Friday.
		}},
		{2022, []time.Time{
			day(2021, 12, 31), // New Year's Day 2022 is a Saturday: observed Friday 31 Dec 2021.
			day(2022, 1, 17),  // MLK: 1 Jan is a Saturday, Mondays 3, 10, 17.
			day(2022, 2, 21),  // Washington's Birthday: 1 Feb is a Tuesday, Mondays 7, 14, 21.
			day(2022, 5, 30),  // Memorial Day: 31 May is a Tuesday, so the last Monday is 30.
			day(2022, 6, 20),  // Juneteenth: 19 Jun is a Sunday, observed Monday 20.
			day(2022, 7, 4),   // Independence Day: Monday.
			day(2022, 9, 5),   // Labor Day: 1 Sep is a Thursday, first Monday is 5.
			day(2022, 10, 10), // Columbus Day: 1 Oct is a Saturday, Mondays 3, 10.
			day(2022, 11, 11), // Veterans Day: Friday.
			day(2022, 11, 24), // Thanksgiving: 1 Nov is a Tuesday, Thursdays 3, 10, 17, 24.
			day(2022, 12, 26), // Christmas: 25 Dec is a Sunday, observed Monday 26.
		}},
		{2020, []time.Time{
			day(2020, 1, 1),   // New Year's Day: Wednesday.
			day(2020, 1, 20),  // MLK: Mondays 6, 13, 20.
			day(2020, 2, 17),  // Washington's Birthday: Mondays 3, 10, 17.
			day(2020, 5, 25),  // Memorial Day: 31 May is a Sunday, last Monday 25.
			day(2020, 7, 3),   // Independence Day: Saturday, observed Friday 3 Jul. No Juneteenth before 2021.
			day(2020, 9, 7),   // Labor Day: 1 Sep is a Tuesday, first Monday 7.
			day(2020, 10, 12), // Columbus Day: 1 Oct is a Thursday, Mondays 5, 12.
			day(2020, 11, 11), // Veterans Day: Wednesday.
			day(2020, 11, 26), // Thanksgiving: 1 Nov is a Sunday, Thursdays 5, 12, 19, 26.
			day(2020, 12, 25), // Christmas: Friday.
		}},
	}
	for _, tt := range tests {
		got := FederalHolidays(tt.year)
		if len(got) != len(tt.want) {
			t.Errorf("FederalHolidays(%d) has %d dates, want %d: %v", tt.year, len(got), len(tt.want), got)
			continue
		}
		for i := range got {
			if !got[i].Equal(tt.want[i]) {
				t.Errorf("FederalHolidays(%d)[%d] = %s, want %s", tt.year, i, got[i].Format(time.DateOnly), tt.want[i].Format(time.DateOnly))
			}
		}
	}
}

func TestIsBusinessDay(t *testing.T) {
	tests := []struct {
		name string
		d    time.Time
		want bool
	}{
		{"ordinary Tuesday 24 Nov 2026", day(2026, 11, 24), true},
		{"Saturday 28 Nov 2026", day(2026, 11, 28), false},
		{"Sunday 29 Nov 2026", day(2026, 11, 29), false},
		{"Thanksgiving Thursday 26 Nov 2026", day(2026, 11, 26), false},
		// The day after Thanksgiving is not a federal holiday.
		{"Friday 27 Nov 2026", day(2026, 11, 27), true},
		// 4 Jul 2026 is a Saturday, so Friday 3 Jul is the holiday.
		{"observed Independence Day Friday 3 Jul 2026", day(2026, 7, 3), false},
		// 25 Dec 2022 is a Sunday, so Monday 26 Dec is the holiday.
		{"observed Christmas Monday 26 Dec 2022", day(2022, 12, 26), false},
		// 1 Jan 2022 is a Saturday: the holiday is Friday 31 Dec 2021, a
		// date in the previous year.
		{"observed New Year Friday 31 Dec 2021", day(2021, 12, 31), false},
		// 31 Dec 2026 is a Thursday and 1 Jan 2027 a Friday: no shift.
		{"Thursday 31 Dec 2026", day(2026, 12, 31), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsBusinessDay(tt.d); got != tt.want {
				t.Errorf("IsBusinessDay(%s) = %v, want %v", tt.d.Format(time.DateOnly), got, tt.want)
			}
		})
	}
}

func TestIsBusinessDayJudgesOwnLocation(t *testing.T) {
	la := pacific(t)
	// Wednesday 25 Nov 2026 20:00 PST is Thursday 26 Nov 04:00 UTC. In Los
	// Angeles it is still the Wednesday, a business day.
	d := time.Date(2026, 11, 25, 20, 0, 0, 0, la)
	if !IsBusinessDay(d) {
		t.Errorf("IsBusinessDay(%s) = false, want true (Wednesday in LA)", d)
	}
	if IsBusinessDay(d.UTC()) {
		t.Errorf("IsBusinessDay(%s) = true, want false (Thanksgiving in UTC)", d.UTC())
	}
}

func TestBusinessDayDeadlines(t *testing.T) {
	tests := []struct {
		name string
		f    func(time.Time) time.Time
		in   time.Time
		want time.Time
	}{
		// Received Monday 23 Nov 2026, a business day, so day 1. Tue 24 (2),
		// Wed 25 (3), Thu 26 Thanksgiving (skip), Fri 27 (4), Sat/Sun skip,
		// Mon 30 (5), Tue 1 Dec (6), Wed 2 (7), Thu 3 (8), Fri 4 (9), Mon 7 (10).
		{"acknowledge across Thanksgiving 2026", AcknowledgeBy, day(2026, 11, 23), endOf(2026, 12, 7)},
		// Received Saturday 28 Nov 2026: not a business day, so the count
		// starts Monday. Mon 30 (1), Tue 1 Dec (2), ... Fri 4 (5), Mon 7 (6)
		// ... Fri 11 (10).
		{"acknowledge from a Saturday", AcknowledgeBy, day(2026, 11, 28), endOf(2026, 12, 11)},
		// Received Tuesday 16 Jun 2026 (1). Wed 17 (2), Thu 18 (3), Fri 19
		// Juneteenth (skip), Mon 22 (4) ... Fri 26 (8), Mon 29 (9), Tue 30 (10),
		// Wed 1 Jul (11), Thu 2 (12), Fri 3 observed Independence Day (skip),
		// Mon 6 (13), Tue 7 (14), Wed 8 (15).
		{"opt-out across Juneteenth and 3 Jul 2026", OptOutBy, day(2026, 6, 16), endOf(2026, 7, 8)},
		// Received Wednesday 21 Dec 2022 (1). Thu 22 (2), Fri 23 (3), Mon 26
		// observed Christmas (skip), Tue 27 (4), Wed 28 (5), Thu 29 (6),
		// Fri 30 (7), Mon 2 Jan 2023 observed New Year (1 Jan is a Sunday,
		// skip), Tue 3 (8), Wed 4 (9), Thu 5 (10).
		{"acknowledge across Christmas 2022 and New Year 2023", AcknowledgeBy, day(2022, 12, 21), endOf(2023, 1, 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(tt.in); !got.Equal(tt.want) {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAddBusinessDays(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		n    int
		want time.Time
	}{
		// Friday 20 Nov 2026 + 1: Saturday and Sunday skipped, Monday 23.
		{"Friday + 1 is Monday", day(2026, 11, 20), 1, day(2026, 11, 23)},
		// Zero is the same time, even on a weekend.
		{"zero", day(2026, 11, 28), 0, day(2026, 11, 28)},
		// Friday 27 Nov 2026 - 1: Thursday 26 is Thanksgiving, so Wednesday 25.
		{"backwards over Thanksgiving", day(2026, 11, 27), -1, day(2026, 11, 25)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AddBusinessDays(tt.in, tt.n); !got.Equal(tt.want) {
				t.Errorf("AddBusinessDays(%s, %d) = %s, want %s", tt.in.Format(time.DateOnly), tt.n, got.Format(time.DateOnly), tt.want.Format(time.DateOnly))
			}
		})
	}

	// Time of day and location are kept.
	loc := time.FixedZone("UTC-8", -8*3600)
	in := time.Date(2026, 11, 20, 9, 15, 0, 0, loc)
	got := AddBusinessDays(in, 1)
	if want := time.Date(2026, 11, 23, 9, 15, 0, 0, loc); !got.Equal(want) || got.Location() != loc {
		t.Errorf("AddBusinessDays kept %s (%s), want %s", got, got.Location(), want)
	}
	if !sameDate(got, day(2026, 11, 23)) {
		t.Errorf("AddBusinessDays date = %s, want 2026-11-23", got.Format(time.DateOnly))
	}
}

func TestRegimeFor(t *testing.T) {
	tests := []struct {
		country, state string
		want           Regime
	}{
		{"DE", "", GDPR},   // Germany: EU member state.
		{"de", "", GDPR},   // Case-insensitive.
		{"NO", "", GDPR},   // Norway: EEA through EFTA, not EU.
		{"US", "CA", CCPA}, // California.
		{"us", "ca", CCPA}, // Case-insensitive.
		{"US", "NY", CCPA}, // Other US states: the company default.
		{"GB", "", UKGDPR}, // United Kingdom: UK GDPR, one month.
		{"gb", "", UKGDPR}, // Case-insensitive.
		{"CH", "", FADP},   // Switzerland: EFTA but not EEA, its own FADP.
		{"", "", GDPR},     // Unknown country: the one-month clock.
		{" ", "CA", GDPR},  // Blank country, whatever the state.
		{"BR", "", CCPA},   // Another known country: company default.
	}
	for _, tt := range tests {
		if got := RegimeFor(tt.country, tt.state); got != tt.want {
			t.Errorf("RegimeFor(%q, %q) = %q, want %q", tt.country, tt.state, got, tt.want)
		}
	}
}

func FuzzAddMonths(f *testing.F) {
	f.Add(2026, 1, 31, 1)
	f.Add(2028, 1, 31, 1)
	f.Add(2026, 3, 31, -1)
	f.Add(2026, 11, 30, 3)
	f.Add(1999, 12, 15, -25)
	f.Fuzz(func(t *testing.T, y, m, d, n int) {
		// Keep to plausible inputs: a valid date in years 1..9999 and a
		// shift of at most 100 years either way.
		if y < 1 || y > 9999 || m < 1 || m > 12 || n < -1200 || n > 1200 {
			t.Skip()
		}
		if d < 1 || d > daysIn(y, time.Month(m)) {
			t.Skip()
		}
		in := time.Date(y, time.Month(m), d, 13, 14, 15, 16, time.UTC)
		got := AddMonths(in, n)

		// Expected year and month by counting months from 1 January, year 0.
		months := y*12 + (m - 1) + n
		if months < 0 {
			t.Skip() // Would land before year 0.
		}
		wantY := months / 12
		wantM := months%12 + 1
		gy, gm, gd := got.Date()
		if gy != wantY || int(gm) != wantM {
			t.Fatalf("AddMonths(%s, %d) = %s, want year %d month %d", in, n, got, wantY, wantM)
		}
		if gd > d {
			t.Fatalf("AddMonths(%s, %d) = %s: day grew from %d to %d", in, n, got, d, gd)
		}
		// The day is kept unless the month is too short, then it is the last day.
		if gd != d {
			next := time.Date(gy, gm, gd+1, 0, 0, 0, 0, time.UTC)
			if next.Month() == gm {
				t.Fatalf("AddMonths(%s, %d) = %s: clamped to %d but the month has a day %d", in, n, got, gd, gd+1)
			}
		}
		if h, mi, s := got.Clock(); h != 13 || mi != 14 || s != 15 || got.Nanosecond() != 16 || got.Location() != time.UTC {
			t.Fatalf("AddMonths(%s, %d) = %s: time of day or location changed", in, n, got)
		}
	})
}

// pacific is the company's default zone, from the built-in tz database.
func pacific(t *testing.T) *time.Location {
	t.Helper()
	la, err := time.LoadLocation(DefaultZone)
	if err != nil {
		t.Fatalf("tz database: %v", err)
	}
	return la
}
