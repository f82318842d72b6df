// Package apipage renders the small HTML pages the API itself serves to
// browsers (confirmation pages, results and errors of a browser form post).
// It is apart from shared/apigw so that an adapter that answers JSON only
// does not carry the template engine.
package apipage

import (
	"bytes"
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/claritru/privacy/shared/apigw"
)

// Site is what the frame of every page shows: the company's name and how to
// reach it, as the static pages show them (web/site.json).
type Site struct {
	Name, Tagline string
	Email         string
	// Phone is shown as written; PhoneE164 is the number a tel: link
	// dials.
	Phone, PhoneE164 string
	// PostalAddress is POSTAL_ADDRESS where the function reads it.
	PostalAddress string
}

// Company is the company's name and contact details, the values of
// web/site.json, from which cmd/webframe writes the static pages' frame
// (a test holds the two equal). A function that reads POSTAL_ADDRESS adds
// it (Site.With).
var Company = Site{
	Name: "ClariTru", Tagline: "Privacy Center", Email: "privacy@claritru.example",
	Phone: "+1 (251) 428-3182", PhoneE164: "+12514283182",
}

// With returns the company's details with the configured postal address.
func (s Site) With(postalAddress string) Site {
	s.PostalAddress = postalAddress
	return s
}

// orCompany fills what a handler built without configuration left empty.
func (s Site) orCompany() Site {
	if s.Name == "" {
		return Company.With(s.PostalAddress)
	}
	return s
}

// Page is what a page template is executed with: the frame's data and the
// page's own.
type Page struct {
	Site  Site
	Title string
	Data  any
}

// Layout holds the frame of the pages (inline style, no script, since they
// are served under a strict Content-Security-Policy): "head" opens a page
// (header, the start of main) and "foot" closes it (footer), both executed
// with a Page; "error" is the error page. Handlers add their own pages
// with Pages and render them with Render. It is parsed on first use,
// not at start: most calls answer JSON and render no page.
var Layout = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Parse(frame + errorPage))
})

// Pages returns a function that parses the frame and the page templates
// src on its first call and returns them from then on. It parses the frame
// again rather than cloning Layout: a template that has executed (the
// error page, rendered before the first of these pages) cannot be cloned.
func Pages(src string) func() *template.Template {
	return sync.OnceValue(func() *template.Template {
		return template.Must(template.New("").Parse(frame + errorPage + src))
	})
}

// frame is the static pages' frame (cmd/webframe), with their style
// inline: the API's origin serves no style sheet.
const frame = `
{{define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}} – {{.Site.Name}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
a{color:#0b5cad;overflow-wrap:anywhere}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
input[type=text],input[type=email]{width:100%;padding:.45rem;font:inherit;box-sizing:border-box}
button{font-size:1rem;padding:.6rem 1.2rem;background:#0b5cad;color:#fff;border:0;border-radius:4px;cursor:pointer}
.hint{color:#555;font-size:.9rem;margin:.2rem 0}
.notice{background:#eef6ee;border:1px solid #9c9;padding:1rem;border-radius:6px}
.error-summary{background:#fdeeee;border:2px solid #a51d1d;padding:.5rem 1rem;border-radius:6px;margin:1rem 0}
.error-summary h2{font-size:1.1rem;margin:.3rem 0}.error-summary ul{margin:.3rem 0;padding-left:1.2rem}.error-summary a{color:#8a1010;font-weight:600}
.ref{font-family:ui-monospace,monospace;font-weight:700;overflow-wrap:anywhere}
:focus-visible{outline:3px solid #0b5cad;outline-offset:2px;box-shadow:0 0 0 5px #fff}
.skip-link{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:1001}
.skip-link:focus{left:1rem}
.site-header{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem;padding:.75rem 0;border-bottom:3px solid #0b5cad;margin-bottom:1rem}
.wordmark{display:inline-flex;align-items:center;gap:.45rem;font-weight:700;font-size:1.35rem;letter-spacing:.02em;color:#0b3d73;text-decoration:none}
.wordmark-mark{display:inline-grid;place-items:center;width:1.8rem;height:1.8rem;border-radius:50%;background:#0b5cad;color:#fff;font-size:1.05rem}
.site-tagline{color:#555}
main:focus{outline:none}
.site-footer{margin-top:3rem;padding-top:1rem;border-top:1px solid #ccc;font-size:.9rem}
.site-footer ul{list-style:none;padding:0;margin:0 0 .75rem;display:flex;flex-wrap:wrap;gap:.35rem 1.25rem}
.site-footer address{font-style:normal;color:#333}</style>
</head><body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
  <a class="wordmark" href="/"><span class="wordmark-mark" aria-hidden="true">{{printf "%.1s" .Site.Name}}</span>{{.Site.Name}}</a>
  <span class="site-tagline">{{.Site.Tagline}}</span>
</header>
<main id="main" tabindex="-1">
{{end}}
{{define "foot"}}</main>
<footer class="site-footer">
  <nav aria-label="Privacy choices">
    <ul>
      <li><a href="/privacy-policy.html">Privacy Policy</a></li>
      <li><a href="/do-not-sell.html">Do Not Sell or Share My Personal Information</a></li>
      <li><a href="/limit-sensitive.html">Limit the Use of My Sensitive Personal Information</a></li>
      <li><a href="/">Data Rights Request</a></li>
      <li><a href="/subscribe.html">Email and text sign-up</a></li>
      <li><a href="/cookies-demo.html#cookie-settings">Cookie settings</a></li>
    </ul>
  </nav>
  <address>
    {{.Site.Name}}{{with .Site.PostalAddress}} · {{.}}{{end}}<br>
    Email: <a href="mailto:{{.Site.Email}}">{{.Site.Email}}</a> · Phone: <a href="tel:{{.Site.PhoneE164}}">{{.Site.Phone}}</a>
  </address>
</footer>
</body></html>{{end}}
`

// Render executes the page name of t (Pages, or Layout) in the frame.
func Render(t func() *template.Template, name string, site Site, title string, data any) string {
	var b bytes.Buffer
	if err := t().ExecuteTemplate(&b, name, Page{Site: site.orCompany(), Title: title, Data: data}); err != nil {
		// The templates are fixed and their data plain strings: an error
		// is a programming error, and the page says only that.
		return "<!DOCTYPE html><title>Error</title><p>Something went wrong on our side. Please try again later.</p>"
	}
	return b.String()
}

// Fail answers an error: a page for a browser form post (html), else
// problem+json as apigw.Fail does. The page links back to the request form
// and shows the company's details; FailForm names the form and the site.
func Fail(ctx context.Context, log *slog.Logger, err error, html bool, headers map[string]string) apigw.Response {
	return FailForm(ctx, log, err, html, Form{}, Site{}, headers)
}

// FailForm is Fail with the form the post came from, whose labels the page
// speaks and to which it links back, and the site's details.
func FailForm(ctx context.Context, log *slog.Logger, err error, html bool, form Form, site Site, headers map[string]string) apigw.Response {
	if !html {
		return apigw.Fail(ctx, log, err, headers)
	}
	apigw.LogInternal(ctx, log, err)
	p := apigw.ProblemOf(err)
	resp := apigw.HTMLResponse(p.Status, Error(p, form, site), headers)
	if after := apigw.RetryAfter(p.Status); after != "" {
		resp.Headers["Retry-After"] = after
	}
	return resp
}

// HTML answers a page rendered with Render.
func HTML(page string, headers map[string]string) apigw.Response {
	return apigw.HTMLResponse(http.StatusOK, page, headers)
}

// OwnPage reports whether a browser's form post is answered with the API's
// own page rather than 303 to a return page: when the form names no return
// page, or names it by its path, as a page without its script does (it
// cannot know its own origin; the page's script names it by its address
// and shows the result itself). A static page without a script cannot
// read the reference from its address; this page shows it.
func OwnPage(returnTo string) bool {
	return returnTo == "" || strings.HasPrefix(returnTo, "/")
}
