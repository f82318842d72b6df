// Package policy is the register of the privacy policy's versions and the
// notice of a material change. The policy promises (section 14, "Updates to
// This Policy"): "Changes will be posted on this page with the revised
// effective date. If material changes are made, we may also notify you via
// email". The register is what makes that checkable: each version's
// effective date, the SHA-256 of its exact words (kept with it, so the
// company can show which words were in force on any day), whether the
// change is material and what changed. Consent receipts cite the version in
// force (GDPR Art. 7(1): consent is shown with what the person was told),
// and a material version is mailed, once per person, to everyone the
// service holds an address for with a consent in effect or a request open
// (the policy's own promise; GDPR Art. 12(1): information in a concise,
// transparent and easily accessible form).
package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/claritru/privacy/shared/fault"
)

// Version is one version of the privacy policy.
type Version struct {
	ID          string
	EffectiveAt time.Time
	// TextSHA256 is the SHA-256 of the exact text, hex.
	TextSHA256 string
	// Text is the policy's words; set on publication, not in lists.
	Text        string
	Material    bool
	Summary     string
	PublishedAt time.Time
	// Actor is the staff principal who published it.
	Actor string
}

// Input is a publication as staff send it.
type Input struct {
	ID          string
	EffectiveAt string // RFC 3339
	Text        string
	TextSHA256  string // optional: checked against Text when given
	Material    *bool
	Summary     string
}

// Limits.
const (
	// MaxText bounds the policy's words: the whole policy is some 6 KB, and
	// a staff request body is at most 64 KiB.
	MaxText    = 60000
	MaxSummary = 1000
)

var (
	versionID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`) })
	hexHash   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })
)

// Store keeps the register (shared/ddb).
type Store interface {
	// Publish writes the version, its text and, when it is material, its
	// notice run, in one transaction. It fails with fault.Conflict naming
	// "version" when the id is taken, and "effective_at" when a version
	// already takes effect at or after v's effective date (the register
	// only grows forward in time).
	Publish(ctx context.Context, v Version) error
	// Versions lists every version without its text, earliest effective
	// first.
	Versions(ctx context.Context) ([]Version, error)
}

// Service publishes and reads the register.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service; now nil is time.Now.
func NewService(store Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// Hash is the SHA-256 of a text, hex: what the register publishes, so that
// anyone holding a copy of the words can show it is the version named.
func Hash(text string) string {
	h := sha256.Sum256([]byte(text))
	return hex.EncodeToString(h[:])
}

// Publish validates and records a version.
//
// A version effective before its publication is accepted only as the
// register's first entry (the policy already in force when the register
// began): a later one would rewrite what consents given meanwhile were told,
// and their receipts already cite the earlier version (GDPR Art. 7(1)).
func (s *Service) Publish(ctx context.Context, in Input, actor string) (Version, error) {
	v, err := check(in)
	if err != nil {
		return Version{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	v.PublishedAt, v.Actor = now, actor
	existing, err := s.store.Versions(ctx)
	if err != nil {
		return Version{}, err
	}
	if n := len(existing); n > 0 && !existing[n-1].EffectiveAt.Before(v.EffectiveAt) {
		return Version{}, OutOfOrder(nil)
	}
	if len(existing) > 0 && v.EffectiveAt.Before(now) {
		var refuse fault.Fields
		refuse.Add("effective_at", "a new version cannot take effect before it is published")
		return Version{}, refuse.Refuse("The version cannot be published.")
	}
	if err := s.store.Publish(ctx, v); err != nil {
		return Version{}, err
	}
	return v, nil
}

// OutOfOrder is the conflict of a version that does not take effect after
// every version of the register (cause, when the store found it, for
// logs).
func OutOfOrder(cause error) error {
	return &fault.Error{Kind: fault.Conflict, Detail: "The register has a version in the way.", Err: cause,
		Fields: []fault.FieldError{{Field: "effective_at", Message: "a version of the register takes effect at or after this date; a new version must take effect later"}}}
}

// Taken is the conflict of a version id already in the register.
func Taken(cause error) error {
	return &fault.Error{Kind: fault.Conflict, Detail: "The register has a version in the way.", Err: cause,
		Fields: []fault.FieldError{{Field: "version", Message: "a version with this id is in the register already"}}}
}

// check reads a publication: malformed fields are Invalid (400), a hash
// that does not match the text Unprocessable (422).
func check(in Input) (Version, error) {
	var errs fault.Fields
	if !versionID().MatchString(in.ID) {
		errs.Add("version", "give 1 to 40 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	at, err := time.Parse(time.RFC3339, in.EffectiveAt)
	if err != nil {
		errs.Add("effective_at", "give an RFC 3339 date and time, e.g. 2026-12-01T00:00:00-08:00")
	}
	switch {
	case strings.TrimSpace(in.Text) == "":
		errs.Add("text", "give the policy's full text")
	case !utf8.ValidString(in.Text):
		errs.Add("text", "must be valid UTF-8 text")
	case len(in.Text) > MaxText:
		errs.Add("text", "is too long")
	}
	if in.TextSHA256 != "" && !hexHash().MatchString(in.TextSHA256) {
		errs.Add("text_sha256", "give 64 lowercase hex digits")
	}
	if in.Material == nil {
		errs.Add("material", "must be true or false")
	}
	switch {
	case strings.TrimSpace(in.Summary) == "":
		errs.Add("summary", "say briefly what changed")
	case !utf8.ValidString(in.Summary) || utf8.RuneCountInString(in.Summary) > MaxSummary:
		errs.Add("summary", "give at most 1000 characters of text")
	case strings.ContainsFunc(in.Summary, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }):
		errs.Add("summary", "must be plain text (line breaks allowed)")
	}
	if err := errs.Err(); err != nil {
		return Version{}, err
	}
	v := Version{ID: in.ID, EffectiveAt: at.UTC(), Text: in.Text, TextSHA256: Hash(in.Text), Material: *in.Material, Summary: strings.TrimSpace(in.Summary)}
	if in.TextSHA256 != "" && in.TextSHA256 != v.TextSHA256 {
		var refuse fault.Fields
		refuse.Add("text_sha256", "is not the SHA-256 of text")
		return Version{}, refuse.Refuse("The version cannot be published.")
	}
	return v, nil
}

// Versions lists the register, earliest effective first.
func (s *Service) Versions(ctx context.Context) ([]Version, error) { return s.store.Versions(ctx) }

// InForce is the version in force at at: the latest effective at or before
// it. ok is false when none is (the register is empty, or every version
// takes effect later).
func InForce(vs []Version, at time.Time) (v Version, ok bool) {
	for _, x := range vs {
		if !x.EffectiveAt.After(at) && (!ok || x.EffectiveAt.After(v.EffectiveAt)) {
			v, ok = x, true
		}
	}
	return v, ok
}

// InForce reads the register and returns the version in force at at.
func (s *Service) InForce(ctx context.Context, at time.Time) (Version, bool, error) {
	vs, err := s.store.Versions(ctx)
	if err != nil {
		return Version{}, false, err
	}
	v, ok := InForce(vs, at)
	return v, ok, nil
}
