// Package notifier wires the notifier function: it sends the outbox from the
// table's stream.
package notifier

import (
	"context"
	"fmt"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/mailrender"
	sender "github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/notifierstream"
	"github.com/claritru/privacy/shared/sesmail"
	"github.com/claritru/privacy/shared/settings/pepper"
	"github.com/claritru/privacy/shared/smssend"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/topology"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration and the subject pepper once, at
// cold start: it keys each address to find whether it is marked
// undeliverable. It refuses to start without the footer every mail needs
// (the postal address, CAN-SPAM).
func Load(ctx context.Context) (wiring.Deps, error) {
	d, err := wiring.Load(ctx, pepper.Keyer)
	if err != nil {
		return d, err
	}
	if err := footer(d).Check(); err != nil {
		return wiring.Deps{}, fmt.Errorf("%s / %s: %w", topology.EnvPostalAddress, topology.EnvMailFrom, err)
	}
	return d, nil
}

// footer is what every mail ends with: the postal address, and the sender's
// address, where replies reach the privacy team, as the contact email.
func footer(d wiring.Deps) mailrender.Footer {
	return mailrender.Footer{PostalAddress: d.Env.PostalAddress, Email: d.Env.MailFrom}
}

// Handler builds the function's handler.
func Handler(d wiring.Deps) *notifierstream.Handler {
	outbox := ddb.NewOutbox(d.DB, d.Env.Table)
	mailer := sesmail.NewSender(sesmail.Client(d.Env.AWS, d.Env.SESEndpoint), d.Env.MailFrom)
	mailer.ConfigurationSet = d.Env.MailConfigSet
	n := &sender.Notifier{
		Outbox: outbox, Sender: mailer,
		Texts:  smssend.NewSender(smssend.Client(d.Env.AWS, d.Env.SMSEndpoint), d.Env.SMSOrigin, ""),
		Footer: footer(d), Log: d.Log,
	}
	if d.Keyer != nil {
		n.Marks, n.AddressKey = outbox, addressKey(d.Keyer)
	}
	return &notifierstream.Handler{Outbox: outbox, Sender: n, Log: d.Log}
}

// addressKey is the subject key of a mail's address, in the one form the
// service keys addresses by (the form the marks are keyed in).
func addressKey(k *subject.Keyer) func(string) string {
	return func(addr string) string {
		if n, err := subject.NormaliseEmail(addr); err == nil {
			addr = n
		}
		return k.Email(addr)
	}
}
