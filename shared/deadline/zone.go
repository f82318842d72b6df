package deadline

import (
	"fmt"
	"strings"
	"time"

	// The tz database, built in: Lambda's provided.al2023 image has no
	// /usr/share/zoneinfo, and without it LoadLocation fails. It adds
	// 384 KiB to each function's bootstrap (every function links this
	// package).
	_ "time/tzdata"
)

// DefaultZone is the company's time zone when none is configured: it works in
// Pacific time.
const DefaultZone = "America/Los_Angeles"

// defaultLocation is DefaultZone, from the built-in tz database.
var defaultLocation = func() *time.Location {
	loc, err := time.LoadLocation(DefaultZone)
	if err != nil {
		panic("deadline: " + err.Error())
	}
	return loc
}()

// Zone is the company's time zone. The legal clocks count its calendar days,
// business days and holidays (a request received on a Thursday evening in
// California was received on the Thursday, though it is Friday in UTC), a
// deadline is the end of its day there, and mail shows dates there. The zero
// Zone is DefaultZone.
type Zone struct{ loc *time.Location }

// LoadZone reads a zone by its IANA name; empty is DefaultZone. "Local" is
// refused: it would follow the machine's setting, which on Lambda is UTC.
func LoadZone(name string) (Zone, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Zone{loc: defaultLocation}, nil
	}
	if name == "Local" {
		return Zone{}, fmt.Errorf("time zone %q: give an IANA name such as %s", name, DefaultZone)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return Zone{}, fmt.Errorf("time zone %q: %w", name, err)
	}
	return Zone{loc: loc}, nil
}

// Location is the zone's location.
func (z Zone) Location() *time.Location {
	if z.loc == nil {
		return defaultLocation
	}
	return z.loc
}

// String is the zone's IANA name.
func (z Zone) String() string { return z.Location().String() }

// In is t in the zone.
func (z Zone) In(t time.Time) time.Time { return t.In(z.Location()) }

// The clocks counted in the zone give the instant in UTC, as the service
// keeps every time; the day they end on is the zone's.

// Due is Due counted in the zone: the end of the due day there.
func (z Zone) Due(regime Regime, receivedAt time.Time) time.Time {
	return Due(regime, z.In(receivedAt)).UTC()
}

// Extended is Extended counted in the zone.
func (z Zone) Extended(regime Regime, receivedAt time.Time) time.Time {
	return Extended(regime, z.In(receivedAt)).UTC()
}

// AcknowledgeBy is AcknowledgeBy counted in the zone.
func (z Zone) AcknowledgeBy(receivedAt time.Time) time.Time {
	return AcknowledgeBy(z.In(receivedAt)).UTC()
}

// OptOutBy is OptOutBy counted in the zone.
func (z Zone) OptOutBy(receivedAt time.Time) time.Time {
	return OptOutBy(z.In(receivedAt)).UTC()
}

// Layouts of the dates people read: the day with the time and the zone's
// abbreviation ("24 December 2026, 23:59 PST"), or the day alone with the
// abbreviation ("24 December 2026 (PST)"). The abbreviation says which
// clock the time is on; it changes with daylight saving time.
const (
	timeLayout = "2 January 2006, 15:04 MST"
	dayLayout  = "2 January 2006 (MST)"
	// isoDayLayout is the short form of staff lists and notes.
	isoDayLayout = "2006-01-02 MST"
)

// Time shows t as a person reads it, in the zone: "24 December 2026, 23:59
// PST".
func (z Zone) Time(t time.Time) string { return z.In(t).Format(timeLayout) }

// Day shows t's calendar day in the zone: "24 December 2026 (PST)".
func (z Zone) Day(t time.Time) string { return z.In(t).Format(dayLayout) }

// ISODay shows t's calendar day in the zone in the short form staff read in
// lists: "2026-12-24 PST".
func (z Zone) ISODay(t time.Time) string { return z.In(t).Format(isoDayLayout) }
