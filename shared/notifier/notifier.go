// Package notifier sends the outbox: it claims a mail intent, renders it,
// sends it and marks it sent. A mail is sent at most once per intent; when
// sending fails the intent is released, so it can be sent again later,
// unless the provider rejected it for good, which marks it failed. Mail a
// stranger can cause by naming an address counts against that recipient's
// daily cap (mail.LimitFor) when it is claimed; beyond the cap it is held,
// for staff to see, and never sent. The cap is kept here rather than where
// the intent is written, so that the action that queued it (a request, a
// consent, an opt-out) is recorded and answered whatever the cap says. It
// knows nothing of how intents reach it: the notifier function's stream
// adapter (shared/notifierstream) reads them from the table's stream.
package notifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
)

// Outbox is the notifier's view of stored intents; ref names one stored
// intent.
type Outbox interface {
	Claim(ctx context.Context, ref string, now time.Time) (mail.Claim, error)
	MarkSent(ctx context.Context, ref, messageID string, now time.Time) error
	Release(ctx context.Context, ref, reason string) error
	// Admit counts a claimed intent against its recipient's cap for the
	// day of now, once per intent id however often it is retried; false
	// when the cap is reached.
	Admit(ctx context.Context, recipientKey string, lim mail.Limit, intentID string, now time.Time) (bool, error)
	// Hold marks a claimed intent held back, with the reason staff read;
	// it is never sent.
	Hold(ctx context.Context, ref, reason string, now time.Time) error
	// MarkFailed ends a claimed intent that can never be sent, with the
	// provider's error code: it is not retried or re-driven again, and
	// staff see the code.
	MarkFailed(ctx context.Context, ref, code string, now time.Time) error
	// NoteText records on a claimed text intent the SHA-256 of the exact
	// text about to be sent, before it is sent: the evidence of what a
	// number was told (a confirmed SMS opt-in names it; the TCPA asks for
	// the exact words).
	NoteText(ctx context.Context, ref, textSHA256 string) error
}

// Undeliverable ends, in one conditional write, an intent whose address is
// marked undeliverable (a permanent bounce or a complaint,
// shared/deliverability): it is not sent, not retried and not counted
// against a cap. False when the address is not marked (or the intent is
// no longer unclaimed): the claim goes on as usual.
type Undeliverable interface {
	SkipUndeliverable(ctx context.Context, ref, addressKey string, now time.Time) (bool, error)
}

// TextSender delivers a text message to an E.164 number; errors as Sender.
type TextSender interface {
	SendText(ctx context.Context, to, body string) (messageID string, err error)
}

// Sender delivers a rendered mail. An error that is, or wraps, a *Rejected
// says the mail can never be delivered as it is; any other error may pass.
type Sender interface {
	Send(ctx context.Context, to string, m mail.Message) (messageID string, err error)
}

// Rejected is a send the provider refused for this mail for good (the
// address is rejected or malformed): trying it again would fail the same
// way, for a month of retries. Code is the provider's error code, which
// names no person; what is wrong with the account rather than with the
// mail (sending paused, sender not verified) is not Rejected, since it
// passes once it is fixed.
type Rejected struct{ Code string }

func (r *Rejected) Error() string { return "mail rejected: " + r.Code }

// Notifier sends queued intents.
type Notifier struct {
	Outbox Outbox
	Sender Sender
	// Footer is the postal address and contact every mail ends with.
	Footer mailrender.Footer
	// Texts sends the intents of the SMS channel; nil where no texts are
	// sent, and then such an intent fails (and is retried) rather than
	// going out as mail.
	Texts TextSender
	// Marks and AddressKey (the subject key of an address) keep mail from
	// addresses marked undeliverable; nil sends to every address. Texts
	// are not affected: a mark is about a mailbox.
	Marks      Undeliverable
	AddressKey func(address string) string
	Log        *slog.Logger
	Now        func() time.Time
}

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now()
	}
	return time.Now()
}

// Send sends the mail or text of one queued intent, stored under ref,
// unless it is sent already. An error means it was not sent and may be
// tried again.
func (n *Notifier) Send(ctx context.Context, in mail.Intent, ref string) error {
	var msg mail.Message
	var text string
	var err error
	if in.SMS() {
		if n.Texts == nil {
			return errNoTexts
		}
		text, err = mailrender.RenderSMS(in)
	} else {
		msg, err = mailrender.Render(in, n.Footer)
	}
	if err != nil {
		return err
	}
	if send, err := n.claim(ctx, in, ref); !send || err != nil {
		return err
	}
	var id string
	if in.SMS() {
		sum := sha256.Sum256([]byte(text))
		if err := n.Outbox.NoteText(ctx, ref, hex.EncodeToString(sum[:])); err != nil {
			n.release(ctx, in, ref, err)
			return err
		}
		id, err = n.Texts.SendText(ctx, in.To, text)
	} else {
		id, err = n.Sender.Send(ctx, in.To, msg)
	}
	var rejected *Rejected
	if errors.As(err, &rejected) {
		// Final: the intent leaves the outbox marked failed, and the
		// stream record is done (no error), so nothing retries it.
		n.Log.WarnContext(ctx, "mail rejected for good", "intent", in.ID, "template", string(in.Template), "code", rejected.Code)
		return n.Outbox.MarkFailed(ctx, ref, rejected.Code, n.now())
	}
	if err != nil {
		n.release(ctx, in, ref, err)
		return err
	}
	n.Log.InfoContext(ctx, "mail sent", "intent", in.ID, "template", string(in.Template), "message_id", id)
	return n.Outbox.MarkSent(ctx, ref, id, n.now())
}

// claim claims the intent and counts it against its recipient's cap; false
// (and no error) when there is nothing to send: sent already, held over
// the cap, or its address marked undeliverable.
func (n *Notifier) claim(ctx context.Context, in mail.Intent, ref string) (bool, error) {
	if !in.SMS() && n.Marks != nil && n.AddressKey != nil {
		skipped, err := n.Marks.SkipUndeliverable(ctx, ref, n.AddressKey(in.To), n.now())
		if err != nil {
			// Nothing claimed: the stream tries the record again.
			return false, err
		}
		if skipped {
			// Done: the record succeeds, so neither the stream nor the
			// re-drive tries it again.
			n.Log.InfoContext(ctx, "mail not sent: address undeliverable", "intent", in.ID, "template", string(in.Template))
			return false, nil
		}
	}
	claim, err := n.Outbox.Claim(ctx, ref, n.now())
	if err != nil {
		return false, err
	}
	switch claim {
	case mail.AlreadySent:
		return false, nil
	case mail.Busy:
		return false, errBusy
	}
	if lim, capped := mail.LimitFor(in); capped {
		ok, err := n.Outbox.Admit(ctx, in.RecipientKey, lim, in.ID, n.now())
		if err != nil {
			n.release(ctx, in, ref, err)
			return false, err
		}
		if !ok {
			n.Log.InfoContext(ctx, "mail held", "intent", in.ID, "template", string(in.Template), "cap", lim.Bucket)
			return false, n.Outbox.Hold(ctx, ref, lim.HeldReason(), n.now())
		}
	}
	return true, nil
}

// release queues a claimed intent again after err.
func (n *Notifier) release(ctx context.Context, in mail.Intent, ref string, err error) {
	if rerr := n.Outbox.Release(ctx, ref, err.Error()); rerr != nil {
		n.Log.ErrorContext(ctx, "release failed", "intent", in.ID, "error", rerr.Error())
	}
}

type busyError struct{}

func (busyError) Error() string { return "intent is being sent by another invocation" }

var errBusy error = busyError{}

var errNoTexts = errors.New("a text message intent, and no text sender is wired")
