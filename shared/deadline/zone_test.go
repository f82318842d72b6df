package deadline

import (
	"testing"
	"time"
)

// Worked dates in the company's default zone, Los Angeles. Every expected
// date was counted by hand on a calendar; the offsets are Pacific time's:
// PST is UTC-8, PDT is UTC-7. DST began on Sunday 8 March 2026 and ends on
// Sunday 1 November 2026; in 2027 it begins on Sunday 14 March (1 March 2027
// is a Monday, so the Sundays are 7 and 14) and ends on Sunday 7 November
// (1 November 2027 is a Monday).

// utc is a UTC instant to the millisecond.
func utc(y int, m time.Month, d, h, mi, s, ms int) time.Time {
	return time.Date(y, m, d, h, mi, s, ms*1_000_000, time.UTC)
}

func TestZoneWorkedDates(t *testing.T) {
	z, err := LoadZone("")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  func() time.Time
		want time.Time
	}{
		// Received Thursday 10 Dec 2026 at 20:00 PST, which is Friday 11
		// Dec 04:00 UTC. Counted from the Thursday: Thu 10 (1), Fri 11 (2),
		// Mon 14 (3), Tue 15 (4), Wed 16 (5), Thu 17 (6), Fri 18 (7), Mon 21
		// (8), Tue 22 (9), Wed 23 (10). The end of Wed 23 Dec PST is
		// 07:59:59.999 UTC on Thu 24 Dec.
		{"acknowledge, Thursday evening in December", func() time.Time { return z.AcknowledgeBy(utc(2026, 12, 11, 4, 0, 0, 0)) }, utc(2026, 12, 24, 7, 59, 59, 999)},
		// Same request, CCPA: 10 Dec + 44 days: 21 days to 31 Dec, 23 more
		// is 23 Jan 2027; its end in PST is 24 Jan 07:59:59.999 UTC.
		{"CCPA due over the year end", func() time.Time { return z.Due(CCPA, utc(2026, 12, 11, 4, 0, 0, 0)) }, utc(2027, 1, 24, 7, 59, 59, 999)},
		// Same request, GDPR: one month from 10 Dec is 10 Jan 2027 (PST).
		{"GDPR due over the year end", func() time.Time { return z.Due(GDPR, utc(2026, 12, 11, 4, 0, 0, 0)) }, utc(2027, 1, 11, 7, 59, 59, 999)},

		// Received Friday 27 Feb 2026 at 23:30 PST (Saturday 28 Feb 07:30
		// UTC). CCPA: 27 Feb + 1 = 28 Feb, + 31 more = 31 Mar (32 days),
		// + 12 more = 12 Apr (44). DST has begun: the end of 12 Apr PDT
		// is 13 Apr 06:59:59.999 UTC.
		{"CCPA due across the March 2026 change", func() time.Time { return z.Due(CCPA, utc(2026, 2, 28, 7, 30, 0, 0)) }, utc(2026, 4, 13, 6, 59, 59, 999)},
		// Same request, opt-out: Fri 27 Feb (1), Mon 2 Mar (2) ... Fri 6 (6),
		// Mon 9 (7) ... Fri 13 (11), Mon 16 (12), Tue 17 (13), Wed 18 (14),
		// Thu 19 (15); end of 19 Mar PDT.
		{"opt-out across the March 2026 change", func() time.Time { return z.OptOutBy(utc(2026, 2, 28, 7, 30, 0, 0)) }, utc(2026, 3, 20, 6, 59, 59, 999)},

		// Received Saturday 31 Oct 2026 at 18:00 PDT (1 Nov 01:00 UTC).
		// GDPR: 31 Nov does not exist, so 30 Nov; PST by then: end is
		// 1 Dec 07:59:59.999 UTC.
		{"GDPR due across the November 2026 change", func() time.Time { return z.Due(GDPR, utc(2026, 11, 1, 1, 0, 0, 0)) }, utc(2026, 12, 1, 7, 59, 59, 999)},
		// Extended: two further months from 30 Nov is 30 Jan 2027 (three
		// months from receipt would be 31 Jan; the earlier is taken).
		{"GDPR extended from the first due date", func() time.Time { return z.Extended(GDPR, utc(2026, 11, 1, 1, 0, 0, 0)) }, utc(2027, 1, 31, 7, 59, 59, 999)},
		// Acknowledge: a Saturday, so the count starts Mon 2 Nov (1), Tue 3
		// (2), Wed 4 (3), Thu 5 (4), Fri 6 (5), Mon 9 (6), Tue 10 (7), Wed
		// 11 Veterans Day (skip), Thu 12 (8), Fri 13 (9), Mon 16 (10).
		{"acknowledge across the November 2026 change", func() time.Time { return z.AcknowledgeBy(utc(2026, 11, 1, 1, 0, 0, 0)) }, utc(2026, 11, 17, 7, 59, 59, 999)},

		// Received Monday 1 Mar 2027 09:00 PST (17:00 UTC). Opt-out: Mon 1
		// (1) ... Fri 5 (5), Mon 8 (6) ... Fri 12 (10), Mon 15 (11) ... Fri
		// 19 (15); DST began on the 14th, so the end of 19 Mar is PDT.
		{"opt-out across the March 2027 change", func() time.Time { return z.OptOutBy(utc(2027, 3, 1, 17, 0, 0, 0)) }, utc(2027, 3, 20, 6, 59, 59, 999)},
		// Received Sunday 14 Mar 2027 01:30 PST, half an hour before the
		// clocks go forward (09:30 UTC). FADP: 14 Mar + 29: 17 days to 31
		// Mar, 12 more is 12 Apr (PDT).
		{"FADP due from the night of the March 2027 change", func() time.Time { return z.Due(FADP, utc(2027, 3, 14, 9, 30, 0, 0)) }, utc(2027, 4, 13, 6, 59, 59, 999)},

		// Received Friday 5 Nov 2027 22:00 PDT (Saturday 6 Nov 05:00 UTC).
		// Acknowledge: Fri 5 (1), Mon 8 (2), Tue 9 (3), Wed 10 (4), Thu 11
		// Veterans Day (skip), Fri 12 (5), Mon 15 (6) ... Fri 19 (10); PST.
		// Counted in UTC it would start on the Saturday and end Mon 22.
		{"acknowledge across the November 2027 change", func() time.Time { return z.AcknowledgeBy(utc(2027, 11, 6, 5, 0, 0, 0)) }, utc(2027, 11, 20, 7, 59, 59, 999)},

		// Received Thursday 31 Dec 2026 17:00 PST (1 Jan 2027 01:00 UTC, a
		// holiday there). Thu 31 Dec is a business day (1): Fri 1 Jan New
		// Year (skip), Mon 4 (2) ... Fri 8 (6), Mon 11 (7), Tue 12 (8), Wed
		// 13 (9), Thu 14 (10). MLK Day 2027 is Mon 18 Jan, after.
		{"acknowledge over the 2026 year end", func() time.Time { return z.AcknowledgeBy(utc(2027, 1, 1, 1, 0, 0, 0)) }, utc(2027, 1, 15, 7, 59, 59, 999)},
		// Same request, CCPA: 31 Dec + 44: 31 days to 31 Jan, 13 more is
		// 13 Feb 2027.
		{"CCPA due over the 2026 year end", func() time.Time { return z.Due(CCPA, utc(2027, 1, 1, 1, 0, 0, 0)) }, utc(2027, 2, 14, 7, 59, 59, 999)},
		// Same request, GDPR extended: due 31 Jan 2027, + 2 months is 31
		// Mar, in PDT.
		{"GDPR extended over the 2026 year end", func() time.Time { return z.Extended(GDPR, utc(2027, 1, 1, 1, 0, 0, 0)) }, utc(2027, 4, 1, 6, 59, 59, 999)},
		// Received Friday 31 Dec 2027 23:00 PST: 1 Jan 2028 is a Saturday,
		// so New Year is observed that Friday, not a business day. Mon 3
		// Jan 2028 (1) ... Fri 7 (5), Mon 10 (6) ... Fri 14 (10). MLK Day
		// 2028 is Mon 17 Jan (Mondays 3, 10, 17).
		{"acknowledge over the 2027 year end", func() time.Time { return z.AcknowledgeBy(utc(2028, 1, 1, 7, 0, 0, 0)) }, utc(2028, 1, 15, 7, 59, 59, 999)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.got(); !got.Equal(tt.want) {
				t.Errorf("got %s (%s UTC), want %s UTC", got, got.UTC(), tt.want)
			}
		})
	}
}

func TestZoneCountsItsOwnDaysNotUTCs(t *testing.T) {
	// The same instant, Thursday 10 Dec 2026 20:00 PST, counted in UTC
	// is received on Friday 11 Dec: Fri 11 (1), Mon 14 (2) ... Fri 18 (6),
	// Mon 21 (7), Tue 22 (8), Wed 23 (9), Thu 24 (10), a day later than in
	// Los Angeles (Wed 23).
	utcZone, err := LoadZone("UTC")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := utcZone.AcknowledgeBy(utc(2026, 12, 11, 4, 0, 0, 0)), utc(2026, 12, 24, 23, 59, 59, 999); !got.Equal(want) {
		t.Errorf("in UTC: got %s, want %s", got, want)
	}
	// Zurich (CET, UTC+1): 06:00 CET on Friday 11 Dec is 05:00 UTC, and
	// still 21:00 PST on Thursday. The zone decides the receipt day.
	zurich, err := LoadZone("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	// CCPA from Friday 11 Dec: + 44 days = 24 Jan 2027, end in CET is
	// 22:59:59.999 UTC.
	if got, want := zurich.Due(CCPA, utc(2026, 12, 11, 5, 0, 0, 0)), utc(2027, 1, 24, 22, 59, 59, 999); !got.Equal(want) {
		t.Errorf("in Zurich: got %s, want %s", got, want)
	}
}

func TestLoadZone(t *testing.T) {
	for _, name := range []string{"", "  ", "America/Los_Angeles"} {
		z, err := LoadZone(name)
		if err != nil || z.String() != "America/Los_Angeles" {
			t.Errorf("LoadZone(%q) = %s, %v; want America/Los_Angeles", name, z, err)
		}
	}
	if z := (Zone{}); z.String() != "America/Los_Angeles" {
		t.Errorf("zero Zone is %s, want America/Los_Angeles", z)
	}
	for _, name := range []string{"Local", "Pacific", "America/Nowhere", "../etc/passwd"} {
		if _, err := LoadZone(name); err == nil {
			t.Errorf("LoadZone(%q) accepted", name)
		}
	}
}

func TestZoneShowsDatesWithTheAbbreviation(t *testing.T) {
	z := Zone{}
	tests := []struct {
		name string
		got  string
		want string
	}{
		// 24 Jan 2027 07:59:59.999 UTC is 23:59 PST on 23 Jan.
		{"winter time", z.Time(utc(2027, 1, 24, 7, 59, 59, 999)), "23 January 2027, 23:59 PST"},
		// 13 Apr 2026 06:59:59.999 UTC is 23:59 PDT on 12 Apr.
		{"summer time", z.Time(utc(2026, 4, 13, 6, 59, 59, 999)), "12 April 2026, 23:59 PDT"},
		// Friday 11 Dec 04:00 UTC is Thursday 10 Dec in Los Angeles.
		{"day", z.Day(utc(2026, 12, 11, 4, 0, 0, 0)), "10 December 2026 (PST)"},
		{"short day", z.ISODay(utc(2026, 12, 11, 4, 0, 0, 0)), "2026-12-10 PST"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
