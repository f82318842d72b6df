package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
)

// TestEveryTemplateHasAPreview: each mail and text mailrender knows has at
// least one sample, so a kind of mail added without one fails here; names
// are unique, as they name files.
func TestEveryTemplateHasAPreview(t *testing.T) {
	covered, names := map[mail.Template]bool{}, map[string]bool{}
	for _, s := range samples() {
		covered[s.Template] = true
		if names[s.Name] || s.Name == "index" || !regexp.MustCompile(`^[a-z0-9-]+$`).MatchString(s.Name) {
			t.Errorf("sample name %q is repeated or not a plain file name", s.Name)
		}
		names[s.Name] = true
	}
	all := append(mailrender.Templates(), mailrender.SMSTemplates()...)
	if len(all) < 19 {
		t.Fatalf("mailrender lists %d templates: %v", len(all), all)
	}
	for _, tmpl := range all {
		if !covered[tmpl] {
			t.Errorf("template %s has no preview", tmpl)
		}
	}
}

// rawValue is a value of the service's own vocabulary shown as is: a
// snake_case name followed by a colon ("email_marketing: pending"), or a
// consent purpose or status by its name.
var rawValue = regexp.MustCompile(`\b[a-z]+_[a-z_]+:|\b(email_marketing|sms_marketing|sms_transactional|cookies_[a-z]+|not_granted|pending_verification)\b`)

// TestPreviewsRender renders every sample: no missing value, no raw value
// of the service's vocabulary in a mail to a person, every link of an HTML
// part opening in a new window without handing over the opener, and every
// HTML part with its language and a title.
func TestPreviewsRender(t *testing.T) {
	ps, err := render(samples())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		for part, s := range map[string]string{"text": p.Text, "HTML": p.HTML} {
			if strings.Contains(s, "<no value>") {
				t.Errorf("%s %s part misses a value:\n%s", p.Name, part, s)
			}
			// The privacy team's digest lists requests by their status
			// and types for the staff API; mails to people speak words.
			if p.Template != mail.DeadlineDigest && rawValue.MatchString(s) {
				t.Errorf("%s %s part shows %q", p.Name, part, rawValue.FindString(s))
			}
		}
		if strings.TrimSpace(p.Text) == "" {
			t.Errorf("%s has no text", p.Name)
		}
		if p.SMS {
			continue
		}
		checkHTML(t, p.Name, p.HTML, p.Subject, true)
	}
}

// checkHTML parses a page and checks its language and title and, for a
// mail, its links.
func checkHTML(t *testing.T, name, page, subject string, mailLinks bool) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var lang, title string
	links := 0
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "html":
			lang = attr(n, "lang")
		case "title":
			if n.FirstChild != nil {
				title = n.FirstChild.Data
			}
		case "a":
			if !mailLinks {
				continue
			}
			links++
			if attr(n, "target") != "_blank" || !strings.Contains(attr(n, "rel"), "noopener") || attr(n, "href") == "" {
				var b bytes.Buffer
				_ = html.Render(&b, n)
				t.Errorf("%s: link %s does not open in a new window with rel=noopener", name, b.String())
			}
		}
	}
	if lang != "en" || title != subject || title == "" {
		t.Errorf("%s: lang %q, title %q; want lang en and the subject %q as title", name, lang, title, subject)
	}
	if mailLinks && links == 0 {
		t.Errorf("%s: no links (the footer's contact address is one)", name)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// TestRunWritesTheGallery runs the command into a temporary directory, with
// screenshots from Chromium, and checks the files: a .txt for each sample,
// an .html and a PNG for each mail, and the gallery linking them all.
func TestRunWritesTheGallery(t *testing.T) {
	dir := t.TempDir()
	written, err := run(dir, defaultChromium(), true)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(written) {
		t.Errorf("%d files in the directory, %d reported written", len(entries), len(written))
	}
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	checkHTML(t, "index.html", string(index), "ClariTru mail previews", false)
	for _, s := range samples() {
		want := []string{s.Name + ".txt"}
		if !s.SMS {
			want = append(want, s.Name+".html", s.Name+".png")
		}
		for _, f := range want {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil || len(b) == 0 {
				t.Errorf("%s: %v (%d bytes)", f, err, len(b))
				continue
			}
			if strings.HasSuffix(f, ".png") && (!bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 10<<10) {
				t.Errorf("%s is %d bytes, not a PNG of a rendered mail", f, len(b))
			}
			if !bytes.Contains(index, []byte(`"`+f+`"`)) {
				t.Errorf("index.html does not show or link %s", f)
			}
		}
	}
}
