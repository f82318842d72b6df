// Package inbound wires the inbound function: replies to the service's
// texts (STOP, HELP, START), from the two-way SMS topic, and the bounces
// and complaints of its mail, from the mail events topic.
package inbound

import (
	"context"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/settings/pepper"
	"github.com/claritru/privacy/shared/smsinbound"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration and the subject pepper once, at
// cold start.
func Load(ctx context.Context) (wiring.Deps, error) { return wiring.Load(ctx, pepper.Keyer) }

// Handler builds the function's handler; it reads phone numbers. It sends
// nothing itself: its answers are texts in the outbox, which the notifier
// sends.
func Handler(d wiring.Deps) *smsinbound.Handler {
	d.Phone = phone.E164
	return &smsinbound.Handler{
		Service: d.Consents(),
		Mail:    deliverability.NewService(ddb.NewMarks(d.DB, d.Env.Table), d.Keyer, nil),
		Log:     d.Log,
	}
}
