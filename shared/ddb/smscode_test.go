package ddb_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ledger"
	"github.com/claritru/privacy/shared/mail"
	subjectphone "github.com/claritru/privacy/shared/subject/phone"
)

const codePhone = "+14155550199"

// smsGrant gives a pending SMS marketing grant for codePhone and returns
// the service, the code texted and the number's key.
func (f *consentFixture) smsGrant(t *testing.T) (*consent.Service, string, string) {
	t.Helper()
	in := emailOptIn(yes)
	in.Email, in.Phone = "", codePhone
	in.Choices = []consent.Choice{{Purpose: consent.SMSMarketing, Granted: yes}}
	in.Disclosure = &consent.Disclosure{ID: "sms-optin", Version: "2026-11"}
	svc := consent.NewService(f.store, consent.Config{Keyer: f.keyer, Phone: subjectphone.E164, PublicBaseURL: "https://api.example", Now: f.clock})
	res, err := svc.Give(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	text := res.Recording.Text
	if text == nil || text.Channel != mail.ChannelSMS || text.To != codePhone || text.Template != mail.SMSCode || len(text.Data[mail.CodeField]) != 6 {
		t.Fatalf("the grant queued no code text: %+v", text)
	}
	return svc, text.Data[mail.CodeField], f.keyer.Phone(codePhone)
}

// other is a six-digit code that is not code.
func other(code string) string {
	return fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func wantCodeRefused(t *testing.T, err error, what string) {
	t.Helper()
	var fe *fault.Error
	if fault.KindOf(err) != fault.Unprocessable || !errors.As(err, &fe) || len(fe.Fields) != 1 || fe.Fields[0].Field != "code" {
		t.Fatalf("%s: err = %v, want 422 naming code", what, err)
	}
}

// The right code grants, once, with the TCPA evidence in the ledger; the
// same code again is refused like a wrong one.
func TestSMSCodeConfirms(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	svc, code, key := f.smsGrant(t)
	if _, err := svc.ConfirmCode(ctx, codePhone, other(code)); err != nil {
		wantCodeRefused(t, err, "a wrong code")
	} else {
		t.Fatal("a wrong code confirmed")
	}
	if st := f.state(t, key, consent.SMSMarketing); st.Status != consent.Pending {
		t.Fatalf("after a wrong code: %+v, want pending", st)
	}
	c, err := svc.ConfirmCode(ctx, "(415) 555-0199", code)
	if err != nil {
		t.Fatalf("the right code: %v", err)
	}
	if st := f.state(t, key, consent.SMSMarketing); st.Status != consent.Granted {
		t.Fatalf("after the code: %+v, want granted", st)
	}
	events, _, err := f.l.Chain(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	disclosure, _ := consent.Disclosures().Find("sms-optin", "2026-11")
	if last.Kind != consent.ConfirmedKind || last.Fields["method"] != consent.CodeMethod || last.Fields["phone_key"] != key ||
		last.Fields["disclosure_sha256"] != disclosure.SHA256() || last.Fields["sms_template"] != "sms_code" ||
		last.Fields["receipt_id"] != c.ReceiptID || last.Fields["confirmed_at"] == "" {
		t.Errorf("confirmation event %s %v", last.Kind, last.Fields)
	}
	if check := ledger.Verify(events); !check.Valid {
		t.Errorf("chain: %+v", check)
	}
	_, err = svc.ConfirmCode(ctx, codePhone, code)
	wantCodeRefused(t, err, "the code used again")
}

// Five tries, the right one included, and the code is dead; an expired
// code and a number that never subscribed answer the same.
func TestSMSCodeLimits(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	svc, code, key := f.smsGrant(t)
	for i := range consent.CodeAttempts {
		_, err := svc.ConfirmCode(ctx, codePhone, other(code))
		wantCodeRefused(t, err, fmt.Sprintf("wrong try %d", i+1))
	}
	_, err := svc.ConfirmCode(ctx, codePhone, code)
	wantCodeRefused(t, err, "the right code after five tries")
	if st := f.state(t, key, consent.SMSMarketing); st.Status != consent.Pending {
		t.Fatalf("a dead code granted: %+v", st)
	}

	svc, code, key = f.smsGrant(t)
	f.advance(consent.CodeLifetime)
	_, err = svc.ConfirmCode(ctx, codePhone, code)
	wantCodeRefused(t, err, "an expired code")
	if st := f.state(t, key, consent.SMSMarketing); st.Status != consent.Pending {
		t.Fatalf("an expired code granted: %+v", st)
	}

	_, err = svc.ConfirmCode(ctx, "+14155550142", "123456")
	wantCodeRefused(t, err, "a number with no code")
}

// A new code does not give a guesser more tries than the number's daily
// limit.
func TestSMSCodeTriesPerDay(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	var svc *consent.Service
	var code string
	tries := 0
	for tries < consent.CodeFailuresPerDay {
		svc, code, _ = f.smsGrant(t)
		for range 2 {
			_, err := svc.ConfirmCode(ctx, codePhone, other(code))
			wantCodeRefused(t, err, "a wrong code")
			tries++
		}
	}
	svc, code, _ = f.smsGrant(t)
	_, err := svc.ConfirmCode(ctx, codePhone, code)
	wantCodeRefused(t, err, "the right code after the day's tries")
}

// The notifier's hash of the text sent is the evidence the confirmation
// names.
func TestSMSCodeNamesTheTextSent(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	svc, code, key := f.smsGrant(t)
	c, found, err := f.store.SMSCode(ctx, key, f.now)
	if err != nil || !found || c.TextSHA256 != "" {
		t.Fatalf("code %+v %v %v", c, found, err)
	}
	outbox := ddb.NewOutbox(f.db, f.table)
	ref := "SUBJ#" + key + "\x00MAIL#" + c.TextID
	if claim, err := outbox.Claim(ctx, ref, f.now); err != nil || claim != mail.Claimed {
		t.Fatalf("claim %v %v", claim, err)
	}
	sum := sha256.Sum256([]byte("the text"))
	if err := outbox.NoteText(ctx, ref, hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ConfirmCode(ctx, codePhone, code); err != nil {
		t.Fatal(err)
	}
	events, _, _ := f.l.Chain(ctx, key)
	if got := events[len(events)-1].Fields["sms_sha256"]; got != hex.EncodeToString(sum[:]) {
		t.Errorf("sms_sha256 = %q", got)
	}
}
