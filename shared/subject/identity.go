package subject

import (
	"errors"
	"slices"
	"strings"

	"github.com/claritru/privacy/shared/fault"
)

// Kind is the kind of an identifier, named as the API fields and the stored
// records name it.
type Kind string

// Identifier kinds, in the order identities are returned and messages name
// them.
const (
	Email     Kind = "email"
	Phone     Kind = "phone"
	BrowserID Kind = "browser_id"
)

var allKinds = []Kind{Email, Phone, BrowserID}

// Identity is one identifier of a person, normalised and keyed.
type Identity struct {
	Kind Kind
	// Key is the keyed hash (Keyer) under which the person's records are
	// kept.
	Key string
	// Value is the normalised identifier: the trimmed, lower-cased email,
	// the E.164 phone or the browser id. It is personal data, used only to
	// mail the person or on the record that needs it; identities read
	// back from storage, and KeyOnly ones, have none.
	Value string
	// Match is what the suppression export shows: the SHA-256 of the
	// normalised email or phone (MatchHash), or the browser id itself.
	Match string
}

// KeyOnly returns the identity without its value and match, for callers that
// find records by key and need hold no more of the person's data.
func (id Identity) KeyOnly() Identity { return Identity{Kind: id.Kind, Key: id.Key} }

// Find returns the identity of a kind, and false when there is none.
func Find(ids []Identity, k Kind) (Identity, bool) {
	for _, id := range ids {
		if id.Kind == k {
			return id, true
		}
	}
	return Identity{}, false
}

// PhoneNormaliser returns the E.164 form of a phone number, reading one
// written without a country code in region (an ISO 3166-1 alpha-2 code), or
// ErrPhone. shared/subject/phone provides it. It is passed in rather than
// imported so that functions that read no phone number (the watch, the
// notifier, the retention sweep) do not link the numbering plan.
type PhoneNormaliser func(raw, region string) (string, error)

// DefaultRegion is where a phone written without a country code is read when
// no valid country is given, as the API documents for every route.
const DefaultRegion = "US"

// Errors of an Identifier built without what a call needs. They are the
// service's fault, not the caller's.
var (
	ErrNoPhoneNormaliser = errors.New("subject: no phone normaliser configured; this service cannot read phone numbers")
	ErrNoKeyer           = errors.New("subject: no keyer configured; this service cannot key identifiers")
)

// Identifier turns the identifiers a person gives into keyed identities: the
// one place where email, phone and browser id are checked, normalised and
// keyed.
type Identifier struct {
	keyer *Keyer
	phone PhoneNormaliser
}

// NewIdentifier returns an Identifier. Either part may be nil for a service
// that never needs it; a call that does then fails with ErrNoKeyer or
// ErrNoPhoneNormaliser instead of panicking.
func NewIdentifier(keyer *Keyer, phone PhoneNormaliser) *Identifier {
	return &Identifier{keyer: keyer, phone: phone}
}

// Given is what a caller was given, as given.
type Given struct {
	Email, Phone, BrowserID string
	// Country is the person's country, if known: a phone written without
	// a country code is read there when it is an ISO 3166-1 alpha-2 code,
	// else in DefaultRegion. It is not checked here; callers that take a
	// country report a wrong one under their own field.
	Country string
}

// Count is how many identifiers a caller needs.
type Count int

// Counts.
const (
	// Optional: none is fine; the caller checks what it requires.
	Optional Count = iota
	// AtLeastOne identifier, as a person gives them on a public form.
	AtLeastOne
	// ExactlyOne identifier, as staff name one person in a query.
	ExactlyOne
)

// Form is how one route takes identifiers.
type Form struct {
	// Kinds are the identifiers the route takes; values of other kinds
	// are not read. All three when empty.
	Kinds []Kind
	Count Count
	// Prefix goes before each field name when the route nests the
	// identifiers in an object, e.g. "subject." in the consent body.
	Prefix string
}

// Identify checks, normalises and keys the identifiers given, adding what is
// wrong to errs, and returns the identities of the valid ones in the order
// email, phone, browser id. The rules are the same for every route:
//
//   - a value that is blank once trimmed is not given;
//   - the count is checked first; when it is wrong, that is the only error
//     (the values are not read): named on the object holding the
//     identifiers when they are nested (the prefix without its dot), else
//     on every field the route takes when at least one is needed, and on
//     the first when exactly one is, as the API documents each;
//   - a wrong value is named by its field (prefix + kind) and is never
//     keyed: it yields no identity;
//   - a phone without a country code is read in Given.Country when that is
//     an ISO 3166-1 alpha-2 code, else in DefaultRegion.
//
// The error is not about the input: the Identifier lacks the keyer or phone
// normaliser the call needs.
func (x *Identifier) Identify(in Given, f Form, errs *fault.Fields) ([]Identity, error) {
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = allKinds
	}
	raw := map[Kind]string{Email: in.Email, Phone: in.Phone, BrowserID: in.BrowserID}
	values := map[Kind]string{}
	var taken []Kind
	for _, k := range allKinds {
		if !slices.Contains(kinds, k) {
			continue
		}
		taken = append(taken, k)
		if v := strings.TrimSpace(raw[k]); v != "" {
			values[k] = v
		}
	}
	if msg := countError(f.Count, taken, len(values)); msg != "" {
		switch {
		case f.Prefix != "":
			errs.Add(strings.TrimSuffix(f.Prefix, "."), msg)
		case f.Count == ExactlyOne:
			errs.Add(string(taken[0]), msg)
		default:
			for _, k := range taken {
				errs.Add(string(k), msg)
			}
		}
		return nil, nil
	}

	var ids []Identity
	for _, k := range taken {
		v, ok := values[k]
		if !ok {
			continue
		}
		n, err := x.normalise(k, v, in.Country)
		if errors.Is(err, ErrNoPhoneNormaliser) {
			return nil, err
		}
		if err != nil {
			errs.Add(f.Prefix+string(k), err.Error())
			continue
		}
		ids = append(ids, Identity{Kind: k, Value: n})
	}
	if len(ids) > 0 && (x == nil || x.keyer == nil) {
		return nil, ErrNoKeyer
	}
	for i := range ids {
		id := &ids[i]
		switch id.Kind {
		case Email:
			id.Key, id.Match = x.keyer.Email(id.Value), MatchHash(id.Value)
		case Phone:
			id.Key, id.Match = x.keyer.Phone(id.Value), MatchHash(id.Value)
		case BrowserID:
			id.Key, id.Match = x.keyer.Browser(id.Value), id.Value
		}
	}
	return ids, nil
}

func (x *Identifier) normalise(k Kind, v, country string) (string, error) {
	switch k {
	case Email:
		return NormaliseEmail(v)
	case Phone:
		if x == nil || x.phone == nil {
			return "", ErrNoPhoneNormaliser
		}
		region, err := NormaliseCountry(country)
		if err != nil {
			region = DefaultRegion
		}
		return x.phone(v, region)
	default:
		return NormaliseBrowserID(v)
	}
}

// countError is the message for a wrong number of identifiers, or "".
func countError(c Count, kinds []Kind, given int) string {
	switch {
	case c == AtLeastOne && given == 0:
		return "give at least one of " + list(kinds)
	case c == ExactlyOne && given != 1:
		if len(kinds) == 1 {
			return "this field is required"
		}
		return "give exactly one of " + list(kinds)
	}
	return ""
}

// list names kinds as "a, b or c".
func list(kinds []Kind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
