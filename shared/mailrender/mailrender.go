// Package mailrender renders a mail intent (shared/mail) into a message with a
// plain-text and an HTML part, from the templates in templates/. The mails
// say only what the company wrote: the one value typed by the person they
// show is the first name, as mail.FirstName allows it (a test keeps the
// templates to that).
package mailrender

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"maps"
	"slices"
	"strings"
	"sync"
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
	mail.AppealReceived:   "We received your appeal",
	mail.AppealDecided:    "The decision on your appeal",
	mail.DeadlineDigest:   "Privacy requests due soon",
	mail.VendorNotice:     "Privacy request from ClariTru: action needed",
	mail.PolicyNotice:     "We are changing our privacy policy",
	mail.AgentReceipt:     "We received the privacy request you made as an authorized agent",
	mail.RequestLink:      "Your new link to confirm your privacy request",
}

//go:embed templates
var files embed.FS

// The templates are parsed on first use, not at start: a function starts
// before it renders (and a start is paid on every cold start).
var (
	textTemplates = sync.OnceValue(func() *texttemplate.Template {
		return texttemplate.Must(texttemplate.New("").Funcs(texttemplate.FuncMap{"lines": lines}).ParseFS(files, "templates/*.txt"))
	})
	htmlTemplates = sync.OnceValue(func() *htmltemplate.Template {
		return htmltemplate.Must(htmltemplate.New("").Funcs(htmltemplate.FuncMap{"lines": lines}).ParseFS(files, "templates/*.html"))
	})
)

func lines(s string) []string { return strings.Split(s, "\n") }

// Footer is what every mail ends with: the company's valid physical postal
// address, which commercial mail must carry (CAN-SPAM, 15 U.S.C.
// §7704(a)(5)(A)(iii); 16 CFR 316.5), and its contact details (the
// templates add the privacy policy's phone number). Transactional
// mail carries them too: one footer for all, so no kind of mail goes out
// without them.
type Footer struct {
	// PostalAddress follows the company's name: street, city, state,
	// postcode, country.
	PostalAddress string
	// Email is the address people write to (and replies reach).
	Email string
}

// MaxPostalAddress bounds the configured address: a footer line.
const MaxPostalAddress = 200

// Check reports what is missing from a footer; mail is not rendered
// without it.
func (f Footer) Check() error {
	switch {
	case strings.TrimSpace(f.PostalAddress) == "":
		return errors.New("the company's postal address is not configured")
	case len(f.PostalAddress) > MaxPostalAddress || strings.ContainsAny(f.PostalAddress, "\r\n"):
		return fmt.Errorf("the postal address must be one line of at most %d characters", MaxPostalAddress)
	case strings.TrimSpace(f.Email) == "":
		return errors.New("the contact email address is not configured")
	}
	return nil
}

// Render renders an intent, ending with the footer. A mail about marketing
// consent (its data holds mail.UnsubscribeKey) shows its one-click
// unsubscribe link, and the message carries it for the List-Unsubscribe
// header.
func Render(in mail.Intent, f Footer) (mail.Message, error) {
	subject, ok := subjects[in.Template]
	if !ok {
		return mail.Message{}, fmt.Errorf("unknown mail template %q", in.Template)
	}
	if err := f.Check(); err != nil {
		return mail.Message{}, err
	}
	data := maps.Clone(in.Data)
	if data == nil {
		data = map[string]string{}
	}
	if name, ok := data[mail.FirstNameKey]; ok {
		// Applied here, to every template and to intents queued before
		// the rule, whoever built the intent (see mail.FirstName).
		data[mail.FirstNameKey] = mail.FirstName(name)
	}
	data["postal_address"], data["contact_email"] = f.PostalAddress, f.Email
	var text, html bytes.Buffer
	if err := textTemplates().ExecuteTemplate(&text, string(in.Template)+".txt", data); err != nil {
		return mail.Message{}, fmt.Errorf("render %s text: %w", in.Template, err)
	}
	if err := renderHTML(&html, in.Template, subject, data); err != nil {
		return mail.Message{}, err
	}
	return mail.Message{Subject: subject, Text: text.String(), HTML: html.String(), Unsubscribe: data[mail.UnsubscribeKey]}, nil
}

// renderHTML renders a template's content into the one layout every mail
// shares: the company's wordmark, the subject as its heading, a readable
// width, and the footer.
func renderHTML(w *bytes.Buffer, tmpl mail.Template, subject string, data map[string]string) error {
	var body bytes.Buffer
	if err := htmlTemplates().ExecuteTemplate(&body, string(tmpl)+".html", data); err != nil {
		return fmt.Errorf("render %s html: %w", tmpl, err)
	}
	page := map[string]any{
		"title": subject,
		// Safe: html/template escaped every value of the content above.
		"body":   htmltemplate.HTML(body.String()),
		"footer": data,
	}
	if err := htmlTemplates().ExecuteTemplate(w, "layout.html", page); err != nil {
		return fmt.Errorf("render %s layout: %w", tmpl, err)
	}
	return nil
}

// Templates lists the mails Render knows, in name order.
func Templates() []mail.Template {
	return slices.Sorted(maps.Keys(subjects))
}

// SMSTemplates lists the texts RenderSMS knows, in name order.
func SMSTemplates() []mail.Template {
	return slices.Sorted(maps.Keys(smsNames))
}
