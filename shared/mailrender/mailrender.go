// Package mailrender renders a mail intent (shared/mail) into a message with a
// plain-text and an HTML part, from the templates in templates/. The mails
// say only what the company wrote: the one value typed by the person they
// show is the first name, as mail.FirstName allows it (a test keeps the
// templates to that).
package mailrender

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"maps"
	"strings"
	texttemplate "text/template"

	"github.com/claritru/privacy/shared/mail"
)

// subjects are fixed per template: no user-supplied text ever reaches a
// header.
var subjects = map[mail.Template]string{
	mail.RequestReceived:  "We received your privacy request",
	mail.RequestVerified:  "Your privacy request is verified",
	mail.OptOutConfirmed:  "You have opted out of the sale and sharing of your personal information",
	mail.ConsentReceipt:   "Your consent receipt",
	mail.RequestExtended:  "We need more time for your privacy request",
	mail.RequestCompleted: "Your privacy request is complete",
	mail.RequestDenied:    "About your privacy request",
	mail.RequestCancelled: "Your privacy request is cancelled",
	mail.RequestExpired:   "Your privacy request has expired",
	mail.DeadlineDigest:   "Privacy requests due soon",
}

//go:embed templates
var files embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.New("").Funcs(texttemplate.FuncMap{"lines": lines}).ParseFS(files, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Funcs(htmltemplate.FuncMap{"lines": lines}).ParseFS(files, "templates/*.html"))
)

func lines(s string) []string { return strings.Split(s, "\n") }

// Render renders an intent.
func Render(in mail.Intent) (mail.Message, error) {
	subject, ok := subjects[in.Template]
	if !ok {
		return mail.Message{}, fmt.Errorf("unknown mail template %q", in.Template)
	}
	data := in.Data
	if name, ok := data[mail.FirstNameKey]; ok {
		// Applied here, to every template and to intents queued before
		// the rule, whoever built the intent (see mail.FirstName).
		data = maps.Clone(data)
		data[mail.FirstNameKey] = mail.FirstName(name)
	}
	var text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, string(in.Template)+".txt", data); err != nil {
		return mail.Message{}, fmt.Errorf("render %s text: %w", in.Template, err)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, string(in.Template)+".html", data); err != nil {
		return mail.Message{}, fmt.Errorf("render %s html: %w", in.Template, err)
	}
	return mail.Message{Subject: subject, Text: text.String(), HTML: html.String()}, nil
}
