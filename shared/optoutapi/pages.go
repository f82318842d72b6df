package optoutapi

import (
	"slices"
	"strings"

	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/subject"
)

var pages = apipage.Pages(`
{{define "opted-out"}}{{template "head" .}}{{with .Data}}
<h1>{{$.Title}}</h1>
<div class="notice" role="status">
{{if .Sale}}<p><strong>You have opted out of the sale and sharing of your personal information.</strong> It is in effect now.</p>
{{end}}{{if .Limit}}<p><strong>We will use your sensitive personal information only as needed to provide what you ask of us.</strong> It is in effect now.</p>
{{end}}<p>Your reference: <span class="ref">{{.ID}}</span></p>
</div>
<h2>What happens next</h2>
<ul>
{{range .Covered}}<li>{{.}}</li>
{{end}}{{if .Sale}}<li>We tell the advertising platforms we work with to leave you out.</li>
{{end}}<li>You need to do nothing more. For your other rights, use the <a href="/">Data Rights Request form</a>.</li>
</ul>
<p><a href="{{.Back}}">Back to {{.BackName}}</a></p>
{{end}}{{template "foot" .}}{{end}}
`)

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
		"rights":     {Label: "What you ask us to do"},
	},
}

// limitForm is the Limit the Use of My Sensitive Personal Information page
// (web/limit-sensitive.html), which posts the same fields.
var limitForm = apipage.Form{
	URL: "/limit-sensitive.html", Name: "the Limit the Use of My Sensitive Personal Information page",
	Fields: optOutForm.Fields,
}

// formFor is the form a post came from, by the rights it asked for.
func formFor(rights []string) apipage.Form {
	if len(rights) == 1 && strings.TrimSpace(rights[0]) == string(optout.LimitSensitive) {
		return limitForm
	}
	return optOutForm
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

// optedOutPage says what an opt-out did: the sale and sharing, the use of
// sensitive information (11 CCR §7027), or both.
func (h *Handler) optedOutPage(id string, ids []subject.Identity, rights []optout.Right) string {
	v := struct {
		ID             string
		Covered        []string
		Sale, Limit    bool
		Back, BackName string
	}{ID: id, Covered: covered(ids), Sale: len(rights) == 0 || slices.Contains(rights, optout.SaleSharing),
		Limit: slices.Contains(rights, optout.LimitSensitive),
		Back:  "/do-not-sell.html", BackName: "Do Not Sell or Share My Personal Information"}
	title := "You have opted out"
	if !v.Sale {
		title = "We will limit the use of your sensitive personal information"
		v.Back, v.BackName = "/limit-sensitive.html", "Limit the Use of My Sensitive Personal Information"
	}
	return apipage.Render(pages, "opted-out", h.Site, title, v)
}
