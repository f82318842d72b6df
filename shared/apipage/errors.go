package apipage

import (
	"net/http"
	"slices"
	"strings"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/fault"
)

// Form is a form of the site as a person sees it: its page, its name and
// the label of each field the service may name. An error page speaks these
// labels, never the service's field names, and links back to the form.
type Form struct {
	// URL is the form's page, a path on the site: a link back leads there
	// and nowhere a request could choose.
	URL string
	// Name is how the link back names the form ("the Data Rights Request
	// form").
	Name   string
	Fields map[string]Field
	// Gone says what to do next when the link was used or has expired
	// (410).
	Gone string
	// ResendAction, when set, is where the 410 page's "send me a new
	// link" form posts.
	ResendAction string
}

// Field is one field of a form.
type Field struct {
	// Label is the form's own label.
	Label string
	// ID is the input's id on the form's page, for the summary's link.
	ID string
	// Link marks the token of a mailed link: an error on it alone is
	// about the link, not about answers to correct.
	Link bool
	// Words replace the service's messages (keyed by the message) where
	// those are written for an API client: "the person is 18 or older",
	// "give at least one of email, phone or browser_id".
	Words map[string]string
}

// errorItem is one line of the error summary.
type errorItem struct{ Label, Message, Href string }

// errorView is what the error page shows.
type errorView struct {
	Status                 int
	Heading, Intro, Detail string
	Items                  []errorItem
	Back, BackName         string
	Gone                   string
	ResendAction           string
}

const errorPage = `
{{define "error"}}{{template "head" .}}{{with .Data}}
<h1>{{.Heading}}</h1>
{{if .Items}}<div class="error-summary" role="alert" aria-labelledby="error-summary-title">
<h2 id="error-summary-title">{{.Intro}}</h2>
<ul>{{range .Items}}<li>{{if .Href}}<a href="{{.Href}}">{{.Label}}</a>{{else}}<strong>{{.Label}}</strong>{{end}}: {{.Message}}</li>{{end}}</ul>
</div>{{else}}<p>{{.Intro}}</p>{{end}}
{{with .Detail}}<p>{{.}}</p>{{end}}
{{with .Gone}}<p>{{.}}</p>{{end}}
{{with .ResendAction}}<form method="post" action="{{.}}">
<h2>Ask for a new link</h2>
<p><label for="resend-email">Email</label><br>
<input type="email" id="resend-email" name="email" autocomplete="email" required maxlength="254" aria-describedby="resend-email-hint"></p>
<p id="resend-email-hint">The address you gave on the form. If a request for it is waiting for confirmation, we email a new link to it; earlier links stop working.</p>
<p><button type="submit">Send me a new link</button></p>
</form>{{end}}
<p><a href="{{.Back}}">Back to {{.BackName}}</a></p>
{{end}}{{template "foot" .}}{{end}}
`

// defaultForm is the form named when a handler gives none.
var defaultForm = Form{URL: "/", Name: "the Data Rights Request form"}

// Error renders a problem as a page for a browser: a heading that says what
// to do, the fields by the form's labels, each linked to its input, and a
// link back to the form.
func Error(p apigw.ProblemDoc, form Form, site Site) string {
	if form.URL == "" || !strings.HasPrefix(form.URL, "/") || strings.HasPrefix(form.URL, "//") {
		form.URL, form.Name = defaultForm.URL, defaultForm.Name
	}
	v := errorView{Status: p.Status, Back: form.URL, BackName: form.Name}
	for _, fe := range p.Errors {
		if it, ok := form.item(fe.Field, fe.Message); ok && !slices.Contains(v.Items, it) {
			v.Items = append(v.Items, it)
		}
	}
	switch {
	case p.Status == http.StatusGone:
		v.Heading = "This link has already been used or has expired"
		v.Intro = "Each link we email works once and only for a limited time. If you already used it, there is nothing more to do: we emailed you when it worked."
		v.Gone = form.Gone
		v.ResendAction = form.ResendAction
	case len(p.Errors) > 0 && form.onlyLinks(p.Errors):
		v.Heading = "This link does not work"
		v.Intro = "Open the link from our email again, in full: some mail programs break long links. If it still does not work:"
		v.Detail = p.Detail
	case len(p.Errors) > 0:
		v.Heading = "Please check your answers"
		v.Intro = "There is a problem with these answers. Go back to the form, correct them and send it again:"
	case p.Status == http.StatusTooManyRequests:
		v.Heading = "Please wait a moment and try again"
		v.Intro = "We received many requests in a short time."
	case p.Status >= 500:
		v.Heading = "Please try again later"
		v.Intro = "Something went wrong on our side; nothing was recorded."
	case p.Status == http.StatusNotFound:
		v.Heading = "We could not find this page"
		v.Intro = "Check the address, or start again from the form."
	default:
		v.Heading = "Please go back and send the form again"
		v.Intro = "We could not read what your browser sent."
		v.Detail = p.Detail
	}
	return Render(Layout, "error", site, v.Heading, v)
}

// item is the summary line of a field: its label and plain message, linked
// to the input when the form has one for it. A field the page fills itself
// (a Field with no label) has no line: its error is another field's too.
func (f Form) item(name, message string) (errorItem, bool) {
	fd, ok := f.Fields[name]
	if !ok {
		// A field the form does not show (an item of a list): said in
		// words, never by its name in the API.
		return errorItem{Label: "Your answers", Message: message}, true
	}
	if fd.Label == "" {
		return errorItem{}, false
	}
	it := errorItem{Label: fd.Label, Message: message}
	if w, ok := fd.Words[message]; ok {
		it.Message = w
	} else if message == "this field is required" {
		it.Message = "Please fill this in."
	}
	if fd.ID != "" {
		it.Href = f.URL + "#" + fd.ID
	}
	return it, true
}

// onlyLinks reports whether every field named is a mailed link's.
func (f Form) onlyLinks(errs []fault.FieldError) bool {
	for _, e := range errs {
		if !f.Fields[e.Field].Link {
			return false
		}
	}
	return true
}
