// Package apipage renders the small HTML pages the API itself serves to
// browsers (confirmation pages, and errors of a browser form post). It is
// apart from shared/apigw so that an adapter that answers JSON only does not
// carry the template engine.
package apipage

import (
	"bytes"
	"context"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/claritru/privacy/shared/apigw"
)

// Layout holds the layout of the pages (inline style, no script, since they
// are served under a strict Content-Security-Policy): "head" opens a page
// titled by its argument, and "error" shows an apigw.ProblemDoc. Handlers
// clone it to add their own pages.
var Layout = template.Must(template.New("").Parse(`
{{define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.}} – ClariTru</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
button{font-size:1rem;padding:.6rem 1.2rem;background:#0b5cad;color:#fff;border:0;border-radius:4px;cursor:pointer}</style>
</head><body>{{end}}
{{define "error"}}{{template "head" .Title}}
<h1>{{.Title}}</h1>
<p>{{.Detail}}</p>
{{with .Errors}}<ul>{{range .}}<li><strong>{{.Field}}</strong>: {{.Message}}</li>{{end}}</ul>{{end}}
<p>Go back, correct the form and send it again, or contact us at +1 (251) 428-3182.</p>
</body></html>{{end}}
`))

// Error renders a problem as a page for a browser.
func Error(p apigw.ProblemDoc) string {
	var b bytes.Buffer
	if p.Status == http.StatusGone {
		p.Title = "This link is no longer valid"
	}
	_ = Layout.ExecuteTemplate(&b, "error", p)
	return b.String()
}

// Fail answers an error: a page for a browser form post (html), else
// problem+json as apigw.Fail does.
func Fail(ctx context.Context, log *slog.Logger, err error, html bool, headers map[string]string) apigw.Response {
	if !html {
		return apigw.Fail(ctx, log, err, headers)
	}
	apigw.LogInternal(ctx, log, err)
	p := apigw.ProblemOf(err)
	resp := apigw.HTMLResponse(p.Status, Error(p), headers)
	if after := apigw.RetryAfter(p.Status); after != "" {
		resp.Headers["Retry-After"] = after
	}
	return resp
}
