package main

import (
	"bytes"
	"html/template"
)

var galleryPage = template.Must(template.New("gallery").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ClariTru mail previews</title>
<style>
body { margin: 0; font-family: Arial, Helvetica, sans-serif; line-height: 1.5; color: #1a1a1a; background: #f2f4f7; }
header { background: #0b3d6e; color: #fff; padding: 16px 24px; }
header p { margin: 0; font-size: 22px; font-weight: bold; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
nav ul { columns: 2 16em; padding-left: 1.2em; }
section { background: #fff; border: 1px solid #d0d5dd; border-radius: 6px; padding: 16px 20px; margin: 24px 0; }
h2 { font-size: 20px; margin: 0 0 4px; }
.meta { color: #4a4a4a; margin: 0 0 12px; }
a { color: #0b3d6e; }
a:focus-visible { outline: 3px solid #0b5cad; outline-offset: 2px; }
img { max-width: 100%; height: auto; border: 1px solid #d0d5dd; }
summary { cursor: pointer; margin-top: 12px; }
pre { white-space: pre-wrap; background: #f7f8fa; border: 1px solid #d0d5dd; padding: 12px; overflow-wrap: anywhere; }
</style>
</head>
<body>
<header><p>ClariTru</p></header>
<main>
<h1>Mail previews</h1>
<p>Every mail and text the privacy service sends, rendered with sample data by <code>make previews</code>. Each mail has an HTML part, shown here as a screenshot from headless Chromium, and a plain-text part.</p>
<nav aria-label="Previews"><ul>{{range .}}<li><a href="#{{.Name}}">{{.Title}}</a></li>{{end}}</ul></nav>
{{range .}}<section id="{{.Name}}" aria-labelledby="{{.Name}}-h">
<h2 id="{{.Name}}-h">{{.Title}}</h2>
<p class="meta">{{if .SMS}}Text message{{else}}Subject: {{.Subject}}{{end}} · template <code>{{.Template}}</code> ·
{{if not .SMS}}<a href="{{.Name}}.html" target="_blank" rel="noopener">HTML part</a> · {{end}}<a href="{{.Name}}.txt" target="_blank" rel="noopener">plain text</a></p>
{{if .Shot}}<a href="{{.Name}}.html" target="_blank" rel="noopener"><img src="{{.Shot}}" alt="Screenshot of the mail: {{.Title}}" loading="lazy"></a>
{{end}}{{if .SMS}}<pre>{{.Text}}</pre>
{{else}}<details><summary>Plain-text part</summary><pre>{{.Text}}</pre></details>
{{end}}</section>
{{end}}</main>
</body>
</html>
`))

// gallery is the index page of the previews.
func gallery(ps []preview) (string, error) {
	var b bytes.Buffer
	err := galleryPage.Execute(&b, ps)
	return b.String(), err
}
