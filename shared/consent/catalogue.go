package consent

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// The words people are shown when they choose are the company's, kept here
// in the repository (disclosures.json) and built into the function: a
// consent names the disclosure it was given under by id and version, and
// the service records and mails the stored text, never text a caller sent.
// Otherwise anyone could have the company's own sender mail any words to any
// address, and a consent record could not prove which words were agreed to
// (GDPR Art. 7(1); for texts, 47 CFR 64.1200(f)(9)).
//
// A new wording is a new version of its entry, replacing the old one in the
// file: the words earlier consents were given under stay stored with their
// evidence (the disclosure text under its hash).

//go:embed disclosures.json
var disclosuresJSON []byte

// catalogueEntry is one disclosure as disclosures.json and GET
// /v1/disclosures spell it.
type catalogueEntry struct {
	ID       string    `json:"id"`
	Version  string    `json:"version"`
	Purposes []Purpose `json:"purposes"`
	Text     string    `json:"text"`
}

// Catalogue is the set of disclosures consent may be given under.
type Catalogue struct {
	entries []Disclosure
}

var defaultCatalogue = mustCatalogue(ParseCatalogue(disclosuresJSON))

func mustCatalogue(c *Catalogue, err error) *Catalogue {
	if err != nil {
		panic("consent: disclosures.json: " + err.Error())
	}
	return c
}

// Disclosures returns the catalogue kept in the repository, which the
// service uses unless its Config names another.
func Disclosures() *Catalogue { return defaultCatalogue }

// ParseCatalogue reads a catalogue: a JSON array of {id, version, purposes,
// text}, no other fields.
func ParseCatalogue(b []byte) (*Catalogue, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var entries []catalogueEntry
	if err := dec.Decode(&entries); err != nil {
		return nil, err
	}
	ds := make([]Disclosure, len(entries))
	for i, e := range entries {
		ds[i] = Disclosure{ID: e.ID, Version: e.Version, Purposes: e.Purposes, Text: e.Text}
	}
	return NewCatalogue(ds...)
}

// NewCatalogue returns a catalogue of ds, checking each: an id and a
// version that are short single lines, one version per id (a page asks for
// its disclosure by id), known purposes, each once, and a text that is not
// blank and not longer than MaxDisclosure.
func NewCatalogue(ds ...Disclosure) (*Catalogue, error) {
	seen := map[string]bool{}
	c := &Catalogue{}
	for i, d := range ds {
		if err := checkEntry(d); err != nil {
			return nil, fmt.Errorf("entry %d (%q %q): %w", i, d.ID, d.Version, err)
		}
		if seen[d.ID] {
			return nil, fmt.Errorf("entry %d: id %q is listed twice; a new wording replaces the old version", i, d.ID)
		}
		seen[d.ID] = true
		d.Purposes = slices.Clone(d.Purposes)
		c.entries = append(c.entries, d)
	}
	return c, nil
}

func checkEntry(d Disclosure) error {
	for _, s := range []string{d.ID, d.Version} {
		if strings.TrimSpace(s) == "" || len(s) > maxShort || strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return fmt.Errorf("id and version must be short single lines")
		}
	}
	if len(d.Purposes) == 0 {
		return fmt.Errorf("no purposes")
	}
	for i, p := range d.Purposes {
		if !known(p) || slices.Contains(d.Purposes[:i], p) {
			return fmt.Errorf("purpose %q is unknown or repeated", p)
		}
	}
	if strings.TrimSpace(d.Text) == "" || !utf8.ValidString(d.Text) || utf8.RuneCountInString(d.Text) > MaxDisclosure {
		return fmt.Errorf("the text must be non-blank UTF-8 of at most %d characters", MaxDisclosure)
	}
	return nil
}

// All returns every disclosure, in the catalogue's order.
func (c *Catalogue) All() []Disclosure {
	out := make([]Disclosure, len(c.entries))
	for i, d := range c.entries {
		d.Purposes = slices.Clone(d.Purposes)
		out[i] = d
	}
	return out
}

// Find returns the disclosure with id and version.
func (c *Catalogue) Find(id, version string) (Disclosure, bool) {
	for _, d := range c.entries {
		if d.ID == id && d.Version == version {
			d.Purposes = slices.Clone(d.Purposes)
			return d, true
		}
	}
	return Disclosure{}, false
}

// Covers reports whether consent to p may be given under d.
func (d Disclosure) Covers(p Purpose) bool { return slices.Contains(d.Purposes, p) }
