// Command previews is `make previews`: it renders every kind of mail and
// text the service sends, with sample data, into build/previews: each mail
// as <name>.html and <name>.txt with a PNG screenshot of its HTML part taken
// in headless Chromium (<name>.png), each text as <name>.txt, and an
// index.html gallery of them all, which `make dev` serves at /previews/.
//
// Flags: -out the directory (build/previews), -chromium the browser
// (/usr/bin/chromium, or the first chromium on PATH), -shots=false to skip
// the screenshots.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
)

func main() {
	out := flag.String("out", filepath.Join("build", "previews"), "directory to write the previews to")
	browser := flag.String("chromium", defaultChromium(), "the Chromium to take the screenshots with")
	shots := flag.Bool("shots", true, "take PNG screenshots of the HTML parts")
	flag.Parse()
	files, err := run(*out, *browser, *shots)
	if err != nil {
		fmt.Fprintln(os.Stderr, "previews:", err)
		os.Exit(1)
	}
	fmt.Printf("%d files in %s/ (open index.html, or /previews/ under make dev)\n", len(files), *out)
}

func defaultChromium() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return "chromium"
}

// preview is a sample rendered.
type preview struct {
	sample
	Subject string
	Text    string
	HTML    string
	// Shot is the screenshot's file name, empty without one.
	Shot string
}

// run writes every preview into dir and returns the names of the files it
// wrote, in order.
func run(dir, browser string, shots bool) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ps, err := render(samples())
	if err != nil {
		return nil, err
	}
	var written []string
	write := func(name, content string) error {
		written = append(written, name)
		return os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	for _, p := range ps {
		if err := write(p.Name+".txt", p.Text); err != nil {
			return nil, err
		}
		if !p.SMS {
			if err := write(p.Name+".html", p.HTML); err != nil {
				return nil, err
			}
		}
	}
	if shots {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		names, err := screenshots(ctx, browser, dir, ps)
		if err != nil {
			return nil, err
		}
		written = append(written, names...)
	}
	page, err := gallery(ps)
	if err != nil {
		return nil, err
	}
	if err := write("index.html", page); err != nil {
		return nil, err
	}
	return written, nil
}

// render renders each sample as the notifier would.
func render(ss []sample) ([]preview, error) {
	out := make([]preview, 0, len(ss))
	for _, s := range ss {
		p := preview{sample: s}
		in := mail.Intent{ID: "preview-" + s.Name, Template: s.Template, Data: s.Data}
		if s.SMS {
			in.Channel = mail.ChannelSMS
			text, err := mailrender.RenderSMS(in)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Name, err)
			}
			p.Text = text + "\n"
		} else {
			m, err := mailrender.Render(in, footer)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Name, err)
			}
			p.Subject, p.Text, p.HTML = m.Subject, m.Text, m.HTML
		}
		out = append(out, p)
	}
	return out, nil
}
