package intake

import (
	"bytes"
	"html/template"

	"github.com/claritru/privacy/shared/apigw"
)

// Pages are small and self-contained (inline style, no script), since the API
// serves them from its own origin under a strict Content-Security-Policy.
var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.}} – ClariTru</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
button{font-size:1rem;padding:.6rem 1.2rem;background:#0b5cad;color:#fff;border:0;border-radius:4px;cursor:pointer}</style>
</head><body>{{end}}
{{define "confirm"}}{{template "head" "Confirm your privacy request"}}
<h1>Confirm your privacy request</h1>
<p>Press the button to confirm that you sent this Data Rights Request. We verify identity before we act on
requests to know, access, correct or delete personal information.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="token" value="{{.Token}}">
<button type="submit">Confirm my request</button>
</form>
<p>If you did not send this request, close this page; nothing will happen.</p>
</body></html>{{end}}
{{define "error"}}{{template "head" .Title}}
<h1>{{.Title}}</h1>
<p>{{.Detail}}</p>
{{with .Errors}}<ul>{{range .}}<li><strong>{{.Field}}</strong>: {{.Message}}</li>{{end}}</ul>{{end}}
<p>Go back, correct the form and send it again, or contact us at +1 (251) 428-3182.</p>
</body></html>{{end}}
`))

func confirmPage(action, token string) string {
	var b bytes.Buffer
	_ = pages.ExecuteTemplate(&b, "confirm", struct{ Action, Token string }{action, token})
	return b.String()
}

func errorPage(p apigw.ProblemDoc) string {
	var b bytes.Buffer
	if p.Status == 410 {
		p.Title = "This link is no longer valid"
	}
	_ = pages.ExecuteTemplate(&b, "error", p)
	return b.String()
}
