// Package notifier wires the notifier function: it sends the outbox from the
// table's stream.
package notifier

import (
	"context"

	"github.com/claritru/privacy/shared/ddb"
	sender "github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/notifierstream"
	"github.com/claritru/privacy/shared/sesmail"
	"github.com/claritru/privacy/shared/smssend"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration once, at cold start; the
// function keys no subject.
func Load(ctx context.Context) (wiring.Deps, error) { return wiring.Load(ctx, nil) }

// Handler builds the function's handler.
func Handler(d wiring.Deps) *notifierstream.Handler {
	outbox := ddb.NewOutbox(d.DB, d.Env.Table)
	return &notifierstream.Handler{
		Outbox: outbox,
		Sender: &sender.Notifier{
			Outbox: outbox, Sender: sesmail.NewSender(sesmail.Client(d.Env.AWS, d.Env.SESEndpoint), d.Env.MailFrom),
			Texts: smssend.NewSender(smssend.Client(d.Env.AWS, d.Env.SMSEndpoint), d.Env.SMSOrigin, ""),
			Log:   d.Log,
		},
		Log: d.Log,
	}
}
