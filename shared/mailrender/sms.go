package mailrender

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"sync"
	texttemplate "text/template"

	"github.com/claritru/privacy/shared/mail"
)

// Text messages are plain text of one or two segments, in the company's
// words only: the name, the contact phone of the privacy policy, "Msg &
// data rates may apply" and how to stop and get help (the CTIA Messaging
// Principles and Best Practices ask for these in an opt-in message and the
// HELP reply). The one value a text shows is the service's own one-time
// code.

//go:embed smstemplates
var smsFiles embed.FS

// smsTemplates are parsed on first use, as the mail templates are.
var smsTemplates = sync.OnceValue(func() *texttemplate.Template {
	return texttemplate.Must(texttemplate.New("").Option("missingkey=error").ParseFS(smsFiles, "smstemplates/*.txt"))
})

// smsNames are the text templates.
var smsNames = map[mail.Template]bool{mail.SMSCode: true, mail.SMSHelp: true, mail.SMSStop: true}

// MaxSMS is the longest text the service sends: two GSM-7 segments of 153
// characters, so a text arrives whole on any phone.
const MaxSMS = 306

// RenderSMS renders a text message intent.
func RenderSMS(in mail.Intent) (string, error) {
	if !smsNames[in.Template] {
		return "", fmt.Errorf("unknown text template %q", in.Template)
	}
	var b bytes.Buffer
	if err := smsTemplates().ExecuteTemplate(&b, string(in.Template)+".txt", in.Data); err != nil {
		return "", fmt.Errorf("render text %s: %w", in.Template, err)
	}
	s := strings.TrimSpace(b.String())
	if len(s) > MaxSMS {
		return "", fmt.Errorf("text %s is %d characters, more than %d", in.Template, len(s), MaxSMS)
	}
	return s, nil
}
