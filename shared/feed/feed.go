// Package feed is the suppression list as a versioned feed for the ad
// platforms the company shares audiences with: every entry has a version
// that orders it, a platform pulls the entries after the version it last
// took, staff record each delivery (which platform, which version, how many
// entries, who), and a platform that has not taken every opt-out within the
// opt-out deadline is late. A business must pass an opt-out of sale or
// sharing on to the third parties it sold or shared the data with, and be
// able to show it did (11 CCR §7026(f), §7101).
package feed

import (
	"context"
	"errors"
	"time"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ids"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/reach"
)

// Entry is one row of the feed: what a platform matches on, since when,
// and its version.
type Entry struct {
	Kind    optout.Kind
	Match   string
	Since   time.Time
	Version string
}

// Delivery records that a platform took the feed up to a version.
type Delivery struct {
	ID       string
	Platform string
	Version  string
	// Entries is how many entries the delivery carried.
	Entries int
	At      time.Time
	// Actor is the staff principal who recorded it.
	Actor string
}

// Errors a Store returns.
var (
	// ErrVersion: the text is not a version the feed hands out.
	ErrVersion = errors.New("not a version of the feed")
	// ErrBackwards: the platform has already taken a later version.
	ErrBackwards = errors.New("the platform has taken a later version")
)

// Store is what the feed needs from storage (shared/ddb.Feed). Versions
// are opaque to this package; "" is the start of the feed.
type Store interface {
	// After returns up to limit entries after version, oldest first, and
	// whether more follow; only entries whose since is before until when
	// until is set.
	After(ctx context.Context, version string, until time.Time, limit int) ([]Entry, bool, error)
	// Exists says whether version is the version of an entry.
	Exists(ctx context.Context, version string) (bool, error)
	// Record stores a delivery and makes it the platform's latest, in one
	// write, unless the platform's latest version is later (ErrBackwards).
	Record(ctx context.Context, d Delivery) error
	// Latest returns the platform's latest delivery, and false when none.
	Latest(ctx context.Context, platform string) (Delivery, bool, error)
	// Deliveries returns up to limit of the platform's deliveries, newest
	// first.
	Deliveries(ctx context.Context, platform string, limit int) ([]Delivery, error)
}

// Settle is how old an entry must be before the feed hands it out. An
// opt-out's since is taken before its write commits, and the suppression
// index is updated after the table: an entry younger than this could still
// appear behind a version already handed out, and a platform would never
// get it. The opt-out function's own timeout is far shorter.
const Settle = time.Minute

// Limits of a pull's page.
const (
	DefaultPage = 1000
	MaxPage     = 5000
)

// Service serves the feed.
type Service struct {
	store   Store
	systems *reach.Register
	now     func() time.Time
	ids     *ids.Source
	// Zone is the company's time zone: the 15 business days a platform
	// has are its days. The zero Zone is deadline.DefaultZone.
	Zone deadline.Zone
}

// NewService returns a Service over the platforms of systems; now may be
// nil.
func NewService(store Store, systems *reach.Register, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, systems: systems, now: now, ids: ids.NewSource()}
}

// Page is one pull of the feed.
type Page struct {
	Platform    string
	FromVersion string
	// Version is the last entry's, or FromVersion when there is none:
	// what the platform has once it takes the page.
	Version string
	Entries []Entry
	// Complete is false when more entries follow this page.
	Complete bool
	// Lag is the platform's standing by its latest delivery.
	Lag Lag
}

// Lag is a platform's standing against the opt-out deadline.
type Lag struct {
	Platform string
	// Taken is the version of its latest delivery ("" for none).
	Taken string
	// OldestPending is the since of the oldest entry after Taken (zero
	// when it has taken everything).
	OldestPending time.Time
	// DueBy is when the oldest pending entry had to reach it.
	DueBy time.Time
	// Late: the oldest pending entry's deadline has passed.
	Late bool
}

// platform returns the ad platform with id, or an error naming field.
func (s *Service) platform(id string) error {
	sys, ok := s.systems.System(id)
	if !ok || sys.Reach != reach.Feed {
		var f fault.Fields
		f.Add("platform", "is not an ad platform of the register of systems")
		return f.Refuse("No such ad platform.")
	}
	return nil
}

func versionErr(field string, err error) error {
	if errors.Is(err, ErrVersion) {
		var f fault.Fields
		f.Add(field, "is not a version this feed handed out")
		return f.Err()
	}
	return err
}

// Pull returns the entries after since, or after the platform's latest
// delivery when since is "", up to limit.
func (s *Service) Pull(ctx context.Context, platform, since string, limit int) (Page, error) {
	if err := s.platform(platform); err != nil {
		return Page{}, err
	}
	if limit < 1 || limit > MaxPage {
		var f fault.Fields
		f.Add("limit", "give a whole number from 1 to 5000")
		return Page{}, f.Err()
	}
	lag, err := s.Lag(ctx, platform)
	if err != nil {
		return Page{}, err
	}
	from := since
	if from == "" {
		from = lag.Taken
	}
	entries, more, err := s.store.After(ctx, from, s.now().Add(-Settle), limit)
	if err != nil {
		return Page{}, versionErr("since", err)
	}
	p := Page{Platform: platform, FromVersion: from, Version: from, Entries: entries, Complete: !more, Lag: lag}
	if len(entries) > 0 {
		p.Version = entries[len(entries)-1].Version
	}
	return p, nil
}

// Lag computes a platform's standing: the oldest entry after its latest
// delivered version, and whether that entry's opt-out deadline (15
// business days, 11 CCR §7026(f)) has passed.
func (s *Service) Lag(ctx context.Context, platform string) (Lag, error) {
	l := Lag{Platform: platform}
	d, ok, err := s.store.Latest(ctx, platform)
	if err != nil {
		return Lag{}, err
	}
	if ok {
		l.Taken = d.Version
	}
	oldest, _, err := s.store.After(ctx, l.Taken, time.Time{}, 1)
	if err != nil {
		return Lag{}, err
	}
	if len(oldest) == 1 {
		// Business days as the request clock counts them: in the
		// company's zone, to the end of the last day there.
		l.OldestPending = oldest[0].Since
		l.DueBy = s.Zone.OptOutBy(oldest[0].Since)
		l.Late = s.now().After(l.DueBy)
	}
	return l, nil
}

// Behind returns the ad platforms of the register that are late, in the
// register's order.
func (s *Service) Behind(ctx context.Context) ([]Lag, error) {
	var out []Lag
	for _, p := range s.systems.AdPlatforms() {
		l, err := s.Lag(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		if l.Late {
			out = append(out, l)
		}
	}
	return out, nil
}

// MaxEntries bounds a delivery's count: far above any list the company
// holds, so a typo cannot pass as a count.
const MaxEntries = 100_000_000

// Record records that platform took the feed up to version, with entries
// entries, as actor. The version must be one the feed handed out, and no
// earlier than the platform's latest.
func (s *Service) Record(ctx context.Context, platform, version string, entries int, actor string) (Delivery, error) {
	if err := s.platform(platform); err != nil {
		return Delivery{}, err
	}
	var f fault.Fields
	if version == "" {
		f.Add("version", "is required")
	}
	if entries < 0 || entries > MaxEntries {
		f.Add("entries", "give the number of entries delivered, 0 or more")
	}
	if err := f.Err(); err != nil {
		return Delivery{}, err
	}
	ok, err := s.store.Exists(ctx, version)
	if err == nil && !ok {
		err = ErrVersion
	}
	if err != nil {
		return Delivery{}, versionErr("version", err)
	}
	now := s.now().UTC()
	d := Delivery{ID: s.ids.At(now), Platform: platform, Version: version, Entries: entries, At: now, Actor: actor}
	if err := s.store.Record(ctx, d); err != nil {
		if errors.Is(err, ErrBackwards) {
			return Delivery{}, &fault.Error{Kind: fault.Conflict, Detail: "The platform has already taken a later version.",
				Fields: []fault.FieldError{{Field: "version", Message: "is earlier than the platform's latest delivery"}}}
		}
		return Delivery{}, err
	}
	return d, nil
}

// Deliveries lists a platform's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, platform string, limit int) ([]Delivery, error) {
	if err := s.platform(platform); err != nil {
		return nil, err
	}
	return s.store.Deliveries(ctx, platform, limit)
}
