package notifier_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/notifier/notifiertest"
)

// codeText is the intent of a code text to a number.
func codeText(id, to string) mail.Intent {
	return mail.Intent{ID: id, Template: mail.SMSCode, Channel: mail.ChannelSMS, To: to, RecipientKey: "K-" + to,
		Data: map[string]string{mail.CodeField: "482913"}}
}

// smsUnit is a notifier whose mail sender and text sender are apart.
func smsUnit(refs ...string) (*unit, *notifiertest.Sender) {
	u := newUnit(refs...)
	texts := &notifiertest.Sender{}
	u.n.Texts = texts
	return u, texts
}

// A text intent goes to the text sender, never to the mail sender; the hash
// of the exact text is noted before it is sent.
func TestUnitSendsTextsByChannel(t *testing.T) {
	u, texts := smsUnit("ref-1")
	if err := u.n.Send(context.Background(), codeText("T1", "+14155550123"), "ref-1"); err != nil {
		t.Fatal(err)
	}
	got := texts.Delivered()
	if len(got) != 1 || got[0].To != "+14155550123" || !strings.Contains(got[0].Message.Text, "482913") {
		t.Fatalf("texts %+v", got)
	}
	if n := len(u.sender.Delivered()); n != 0 {
		t.Errorf("%d mails sent for a text", n)
	}
	sum := sha256.Sum256([]byte(got[0].Message.Text))
	e := u.state(t, "ref-1")
	if e.State != notifiertest.Sent || e.TextSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("entry %+v, want sent with the text's hash", e)
	}
	if strings.Contains(u.logs.String(), "482913") || strings.Contains(u.logs.String(), "5550123") {
		t.Errorf("the log carries the code or the number:\n%s", u.logs)
	}
}

// A number refused for good fails the intent; a cap holds code texts back.
func TestUnitTextsRejectedAndCapped(t *testing.T) {
	u, texts := smsUnit("ref-1")
	texts.FailNext(&notifier.Rejected{Code: "ConflictException:DESTINATION_PHONE_NUMBER_OPTED_OUT"})
	if err := u.n.Send(context.Background(), codeText("T1", "+14155550123"), "ref-1"); err != nil {
		t.Fatal(err)
	}
	if e := u.state(t, "ref-1"); e.State != notifiertest.Failed {
		t.Errorf("an opted-out number: %+v, want failed", e)
	}

	refs := []string{"a", "b", "c", "d"}
	u, texts = smsUnit(refs...)
	for i, ref := range refs {
		if err := u.n.Send(context.Background(), codeText("C"+ref, "+14155550199"), ref); err != nil {
			t.Fatal(err)
		}
		want := notifiertest.Sent
		if i >= mail.MaxConfirmationsPerDay {
			want = notifiertest.Held
		}
		if e := u.state(t, ref); e.State != want {
			t.Errorf("code text %d: %s, want %s", i+1, e.State, want)
		}
	}
	if n := len(texts.Delivered()); n != mail.MaxConfirmationsPerDay {
		t.Errorf("%d code texts sent, want %d", n, mail.MaxConfirmationsPerDay)
	}
}

// Without a text sender a text intent is not sent as mail: it stays queued
// to be retried.
func TestUnitTextWithoutTextSender(t *testing.T) {
	u := newUnit("ref-1")
	u.n.Log = slog.New(slog.DiscardHandler)
	if err := u.n.Send(context.Background(), codeText("T1", "+14155550123"), "ref-1"); err == nil {
		t.Fatal("a text was handled without a text sender")
	}
	if n := len(u.sender.Delivered()); n != 0 {
		t.Errorf("%d mails sent", n)
	}
}
