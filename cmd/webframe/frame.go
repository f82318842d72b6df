package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
)

// Site is web/site.json: who the pages speak for and how to reach them.
type Site struct {
	Company       string `json:"company"`
	Tagline       string `json:"tagline"`
	Email         string `json:"email"`
	Phone         string `json:"phone"`
	PhoneE164     string `json:"phone_e164"`
	PostalAddress string `json:"postal_address"`
}

// marked finds one marked part: <!-- site:name -->...<!-- /site:name -->.
var marked = regexp.MustCompile(`(?s)<!-- site:([a-z-]+) -->.*?<!-- /site:([a-z-]+) -->`)

// Write renders every page of dir and, when write is true, writes those
// that changed. It returns the pages that were out of date.
func Write(fsys fs.FS, dir string, write bool) ([]string, error) {
	pages, err := Render(fsys)
	if err != nil {
		return nil, err
	}
	var stale []string
	for name, out := range pages {
		old, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if string(old) == out {
			continue
		}
		stale = append(stale, name)
		if write {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(out), 0o644); err != nil {
				return nil, err
			}
		}
	}
	return stale, nil
}

// Render returns every .html page of fsys with its marked parts rendered.
func Render(fsys fs.FS) (map[string]string, error) {
	raw, err := fs.ReadFile(fsys, "site.json")
	if err != nil {
		return nil, err
	}
	var site Site
	if err := json.Unmarshal(raw, &site); err != nil {
		return nil, fmt.Errorf("site.json: %w", err)
	}
	parts, err := Parts(site)
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]string{}
	for _, name := range names {
		page, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var bad error
		out := marked.ReplaceAllStringFunc(string(page), func(m string) string {
			g := marked.FindStringSubmatch(m)
			part, ok := parts[g[1]]
			if !ok || g[1] != g[2] {
				bad = fmt.Errorf("%s: unknown or unbalanced marker site:%s", name, g[1])
				return m
			}
			return "<!-- site:" + g[1] + " -->" + part + "<!-- /site:" + g[1] + " -->"
		})
		if bad != nil {
			return nil, bad
		}
		pages[name] = out
	}
	return pages, nil
}

// SignUp is one form of the sign-up page for a browser without JavaScript:
// one purpose, under the catalogue's disclosure for it, whose words the form
// shows as the service records them (the page's script shows the same words
// from GET /v1/disclosures; one post carries one disclosure).
type SignUp struct {
	Purpose, ID, Version, Text                        string
	Heading, Field, Type, Label, Autocomplete, Button string
}

// SignUps are the sign-up page's forms without JavaScript: marketing emails
// and marketing texts, each under the disclosure that asks for it.
func SignUps() ([]SignUp, error) {
	forms := []SignUp{
		{Purpose: string(consent.EmailMarketing), ID: "email-optin", Heading: "Marketing emails",
			Field: "email", Type: "email", Label: "Email", Autocomplete: "email", Button: "Sign up for marketing emails"},
		{Purpose: string(consent.SMSMarketing), ID: "sms-optin", Heading: "Marketing text messages",
			Field: "phone", Type: "tel", Label: "Mobile phone (outside the US, start with your country code)", Autocomplete: "tel", Button: "Sign up for marketing texts"},
	}
	for i, f := range forms {
		d, ok := latest(f.ID)
		if !ok || !d.Covers(consent.Purpose(f.Purpose)) {
			return nil, fmt.Errorf("the catalogue has no disclosure %q for %s", f.ID, f.Purpose)
		}
		forms[i].Version, forms[i].Text = d.Version, d.Text
	}
	return forms, nil
}

// latest is the catalogue's disclosure with id (one version per id).
func latest(id string) (consent.Disclosure, bool) {
	for _, d := range consent.Disclosures().All() {
		if d.ID == id {
			return d, true
		}
	}
	return consent.Disclosure{}, false
}

// Option is one entry of a select list.
type Option struct{ Value, Label string }

// Parts renders each marked part for the site.
func Parts(site Site) (map[string]string, error) {
	signUps, err := SignUps()
	if err != nil {
		return nil, err
	}
	data := map[string]any{"Site": site, "Countries": Countries(), "States": States(), "SignUps": signUps}
	parts := map[string]string{}
	for _, t := range frame.Templates() {
		if t.Name() == "" || t.Name() == "frame" {
			continue
		}
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			return nil, err
		}
		parts[t.Name()] = b.String()
	}
	return parts, nil
}

// Countries lists the codes shared/subject accepts with their English
// names, ordered by name; the United States first, as most people using
// the form live there.
func Countries() []Option {
	names := display.English.Regions()
	var out []Option
	for _, c := range subject.Countries() {
		label := c
		if r, err := language.ParseRegion(c); err == nil {
			if n := names.Name(r); n != "" {
				label = n
			}
		}
		out = append(out, Option{c, label})
	}
	sortOptions(out, "US")
	return out
}

// States lists the state codes shared/request accepts with their names.
func States() []Option {
	var out []Option
	for _, s := range request.USStates() {
		label := stateNames[s]
		if label == "" {
			label = s
		}
		out = append(out, Option{s, label})
	}
	sortOptions(out, "")
	return out
}
