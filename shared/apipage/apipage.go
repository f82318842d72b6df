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

	"github.com/claritru/privacy/shared/apigw"
)

// Site is what the frame of every page shows: the company's name and how to
// reach it. The static pages show the same values.
type Site struct {
	Name  string
	Email string
	// Phone is shown as written; PhoneE164 is the number a tel: link
	// dials.
	Phone, PhoneE164 string
	// PostalAddress is POSTAL_ADDRESS where the function reads it.
	PostalAddress string
}

// Company is the company's name and contact details: the one place the
// pages the API renders take them from. A function that reads
// POSTAL_ADDRESS adds it (Site.With).
var Company = Site{
	Name: "ClariTru", Email: "privacy@claritru.com",
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
// with a Page; "error" is the error page. Handlers clone it to add their
// own pages and render them with Render.
var Layout = template.Must(template.New("").Parse(frame + errorPage))

const frame = `
{{define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}} – {{.Site.Name}}</title>
<style>body{font-family:system-ui,sans-serif;margin:0;line-height:1.5;color:#1a1a1a;background:#fff}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}.skip:focus{left:.5rem}
.site-header,.site-footer{background:#f3f6fa;border-color:#d5dde8;border-style:solid;border-width:0}
.site-header{border-bottom-width:1px}.site-footer{border-top-width:1px;margin-top:3rem;font-size:.9rem}
.wrap{max-width:40rem;margin:0 auto;padding:.75rem 1rem}
main{max-width:40rem;margin:2rem auto;padding:0 1rem;overflow-wrap:anywhere}
.brand{font-weight:700;font-size:1.2rem;color:#0b3d73;text-decoration:none;display:inline-flex;align-items:center;gap:.5rem}
.mark{display:inline-block;width:1.6rem;height:1.6rem;border-radius:50%;background:#0b5cad;color:#fff;text-align:center;line-height:1.6rem;font-size:1rem}
a{color:#0b5cad}.site-footer a{color:#0b3d73}.site-footer ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
:focus-visible{outline:3px solid #b35900;outline-offset:2px}
button{font-size:1rem;padding:.6rem 1.2rem;background:#0b5cad;color:#fff;border:0;border-radius:4px;cursor:pointer}
.notice{background:#eef6ee;border:1px solid #9c9;padding:1rem;border-radius:6px}
.error-summary{background:#fdeeee;border:2px solid #a51d1d;padding:.5rem 1rem;border-radius:6px;margin:1rem 0}
.error-summary h2{font-size:1.1rem;margin:.3rem 0}.error-summary a{color:#8a1010;font-weight:600}
.ref{font-family:ui-monospace,monospace;font-size:1.1rem;font-weight:700;background:#f3f6fa;padding:.1rem .3rem}</style>
</head><body><a class="skip" href="#main">Skip to the content</a>
<header class="site-header"><div class="wrap"><a class="brand" href="/"><span class="mark" aria-hidden="true">{{printf "%.1s" .Site.Name}}</span>{{.Site.Name}}</a></div></header>
<main id="main" tabindex="-1">
{{end}}
{{define "foot"}}</main>
<footer class="site-footer"><div class="wrap">
<p>{{.Site.Name}}{{with .Site.PostalAddress}}, {{.}}{{end}}<br>
Email <a href="mailto:{{.Site.Email}}">{{.Site.Email}}</a> · Phone <a href="tel:{{.Site.PhoneE164}}">{{.Site.Phone}}</a></p>
<nav aria-label="Your privacy"><ul>
<li><a href="/privacy-policy.html">Privacy Policy</a></li>
<li><a href="/">Data Rights Request</a></li>
<li><a href="/do-not-sell.html">Do Not Sell or Share My Personal Information</a></li>
<li><a href="/subscribe.html">Marketing emails and texts</a></li>
</ul></nav>
</div></footer>
</body></html>{{end}}
`

// Render executes the page name of t (a clone of Layout) in the frame.
func Render(t *template.Template, name string, site Site, title string, data any) string {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, Page{Site: site.orCompany(), Title: title, Data: data}); err != nil {
		// The templates are fixed and their data plain strings: an error
		// is a programming error, and the page says only that.
		return "<!DOCTYPE html><title>Error</title><p>Something went wrong on our side. Please try again later.</p>"
	}
	return b.String()
}

// Fail answers an error: a page for a browser form post (html), else
// problem+json as apigw.Fail does. form is the form the person came from,
// whose labels the page speaks.
func Fail(ctx context.Context, log *slog.Logger, err error, html bool, headers map[string]string) apigw.Response {
	return FailForm(ctx, log, err, html, Form{}, Site{}, headers)
}

// FailForm is Fail with the form the post came from and the site's details.
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
