package optoutapi

import (
	"html/template"

	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/subject"
)

var pages = template.Must(template.Must(apipage.Layout.Clone()).Parse(`
{{define "opted-out"}}{{template "head" .}}{{with .Data}}
<h1>You have opted out</h1>
<div class="notice" role="status">
<p><strong>You have opted out of the sale and sharing of your personal information.</strong> It is in effect now.</p>
<p>Your reference: <span class="ref">{{.ID}}</span></p>
</div>
<h2>What happens next</h2>
<ul>
{{range .Covered}}<li>{{.}}</li>
{{end}}<li>We tell the advertising platforms we work with to leave you out.</li>
<li>You need to do nothing more. To limit the use of sensitive personal information, or for your other rights, use the <a href="/">Data Rights Request form</a>.</li>
</ul>
<p><a href="/do-not-sell.html">Back to Do Not Sell or Share My Personal Information</a></p>
{{end}}{{template "foot" .}}{{end}}
`))

// optOutForm is the Do Not Sell or Share form (web/do-not-sell.html), by
// the labels it shows. The browser's id is filled by the page's script;
// its error is the email's and phone's too.
var optOutForm = apipage.Form{
	URL: "/do-not-sell.html", Name: "the Do Not Sell or Share page",
	Fields: map[string]apipage.Field{
		"email":      {Label: "Email", ID: "email", Words: anyOf},
		"phone":      {Label: "Phone", ID: "phone", Words: anyOf},
		"country":    {Label: "Country"},
		"browser_id": {},
	},
}

// anyOf words the refusal of a post with no identifier.
var anyOf = map[string]string{
	"give at least one of email, phone or browser_id": "Give your email address or your phone number, so that your opt-out covers you.",
}

// covered says in words what the opt-out covers, by the identifiers it
// was given.
func covered(ids []subject.Identity) []string {
	words := map[subject.Kind]string{
		subject.Email:     "It covers your email address, wherever we hold your information, and we emailed you a confirmation.",
		subject.Phone:     "It covers your phone number, wherever we hold your information.",
		subject.BrowserID: "It covers this browser.",
	}
	var out []string
	for _, id := range ids {
		if w, ok := words[id.Kind]; ok {
			out = append(out, w)
		}
	}
	return out
}

func (h *Handler) optedOutPage(id string, ids []subject.Identity) string {
	return apipage.Render(pages, "opted-out", h.Site, "You have opted out", struct {
		ID      string
		Covered []string
	}{id, covered(ids)})
}
