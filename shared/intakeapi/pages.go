package intakeapi

import (
	"bytes"
	"html/template"

	"github.com/claritru/privacy/shared/apipage"
)

var pages = template.Must(template.Must(apipage.Layout.Clone()).Parse(`
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
`))

func confirmPage(action, token string) string {
	var b bytes.Buffer
	_ = pages.ExecuteTemplate(&b, "confirm", struct{ Action, Token string }{action, token})
	return b.String()
}
