// Package mail is the outbox's content: a mail intent names a template and the
// facts to fill it with; Render turns it into a message with a plain-text and
// an HTML part. Intents are written in the same transaction as the record they
// belong to and sent later by the notifier (design §3).
package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// Intent is one mail to send.
type Intent struct {
	// ID makes sending idempotent: one intent, at most one mail.
	ID       string
	Template Template
	To       string
	Data     map[string]string
}

// Template names a mail.
type Template string

// The mails the service sends.
const (
	RequestReceived  Template = "request_received"
	RequestVerified  Template = "request_verified"
	OptOutConfirmed  Template = "optout_confirmed"
	ConsentReceipt   Template = "consent_receipt"
	RequestExtended  Template = "request_extended"
	RequestCompleted Template = "request_completed"
	RequestDenied    Template = "request_denied"
	RequestCancelled Template = "request_cancelled"
	RequestExpired   Template = "request_expired"
	DeadlineDigest   Template = "deadline_digest"
)

// Message is a rendered mail.
type Message struct {
	Subject string
	Text    string
	HTML    string
}

// subjects are fixed per template: no user-supplied text ever reaches a
// header.
var subjects = map[Template]string{
	RequestReceived:  "We received your privacy request",
	RequestVerified:  "Your privacy request is verified",
	OptOutConfirmed:  "You have opted out of the sale and sharing of your personal information",
	ConsentReceipt:   "Your consent receipt",
	RequestExtended:  "We need more time for your privacy request",
	RequestCompleted: "Your privacy request is complete",
	RequestDenied:    "About your privacy request",
	RequestCancelled: "Your privacy request is cancelled",
	RequestExpired:   "Your privacy request has expired",
	DeadlineDigest:   "Privacy requests due soon",
}

//go:embed templates
var files embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.New("").Funcs(texttemplate.FuncMap{"lines": lines}).ParseFS(files, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Funcs(htmltemplate.FuncMap{"lines": lines}).ParseFS(files, "templates/*.html"))
)

func lines(s string) []string { return strings.Split(s, "\n") }

// Render renders an intent.
func Render(in Intent) (Message, error) {
	subject, ok := subjects[in.Template]
	if !ok {
		return Message{}, fmt.Errorf("unknown mail template %q", in.Template)
	}
	var text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, string(in.Template)+".txt", in.Data); err != nil {
		return Message{}, fmt.Errorf("render %s text: %w", in.Template, err)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, string(in.Template)+".html", in.Data); err != nil {
		return Message{}, fmt.Errorf("render %s html: %w", in.Template, err)
	}
	return Message{Subject: subject, Text: text.String(), HTML: html.String()}, nil
}
