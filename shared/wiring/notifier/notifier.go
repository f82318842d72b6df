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
	"github.com/claritru/privacy/shared/smssend"
	"github.com/claritru/privacy/shared/topology"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration once, at cold start; the
// function keys no subject. It refuses to start without the footer every
// mail needs (the postal address, CAN-SPAM).
func Load(ctx context.Context) (wiring.Deps, error) {
	d, err := wiring.Load(ctx, nil)
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
	return &notifierstream.Handler{
		Outbox: outbox,
		Sender: &sender.Notifier{
			Outbox: outbox, Sender: sesmail.NewSender(sesmail.Client(d.Env.AWS, d.Env.SESEndpoint), d.Env.MailFrom),
			Texts:  smssend.NewSender(smssend.Client(d.Env.AWS, d.Env.SMSEndpoint), d.Env.SMSOrigin, ""),
			Footer: footer(d), Log: d.Log,
		},
		Log: d.Log,
	}
}
