package consent_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
)

// receiptUnsubscribe gives consent and returns the token of the receipt's
// one-click link, and the address's subject key.
func receiptUnsubscribe(t *testing.T, svc *consent.Service) (token, key string) {
	t.Helper()
	res, err := svc.Give(context.Background(), validInput())
	if err != nil {
		t.Fatal(err)
	}
	raw := res.Recording.Mail.Data[mail.UnsubscribeKey]
	u, err := url.Parse(raw)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != baseURL+"/v1/unsubscribe" {
		t.Fatalf("unsubscribe URL %q", raw)
	}
	for _, id := range res.Subjects {
		if id.Kind == consent.Email {
			key = id.Key
		}
	}
	if strings.Contains(raw, key) || strings.Contains(strings.ToLower(raw), "lovelace") {
		t.Errorf("the link %q shows the subject key or the address", raw)
	}
	return u.Query().Get("token"), key
}

func emailState(t *testing.T, svc *consent.Service, key string) consent.Status {
	t.Helper()
	st, err := svc.Check(context.Background(), consent.Identity{Kind: consent.Email, Key: key}, consent.EmailMarketing)
	if err != nil {
		t.Fatal(err)
	}
	return st.Status
}

// TestUnsubscribeWithdraws: the receipt's link withdraws email marketing
// for its address at once, with the channel in the event; a repeat records
// nothing more; the other purposes are untouched.
func TestUnsubscribeWithdraws(t *testing.T) {
	svc, st, _ := newService(t)
	ctx := context.Background()
	token, key := receiptUnsubscribe(t, svc)
	if got := emailState(t, svc, key); got != consent.Pending {
		t.Fatalf("before: %s", got)
	}
	if err := svc.CheckUnsubscribe(token); err != nil {
		t.Fatalf("CheckUnsubscribe: %v", err)
	}
	if n := len(st.Recordings()); n != 1 {
		t.Fatalf("the check recorded: %d recordings", n)
	}
	if err := svc.Unsubscribe(ctx, token, "198.51.100.7", "Gmail one-click"); err != nil {
		t.Fatal(err)
	}
	if got := emailState(t, svc, key); got != consent.Withdrawn {
		t.Fatalf("after: %s, want withdrawn", got)
	}
	recs := st.Recordings()
	if len(recs) != 2 {
		t.Fatalf("%d recordings, want 2", len(recs))
	}
	w := recs[1]
	if len(w.Records) != 1 || w.Records[0].Purpose != consent.EmailMarketing || w.Records[0].Granted || w.Records[0].Subject.Key != key || w.Mail != nil {
		t.Fatalf("withdrawal %+v", w)
	}
	f := w.EventFields(w.Records[0])
	if f["channel"] != consent.ChannelOneClick || f["status"] != "withdrawn" || f["ip"] != "198.51.100.7" || f["link_issued"] != "20260302" {
		t.Errorf("event fields %v", f)
	}
	if err := svc.Unsubscribe(ctx, token, "198.51.100.7", "again"); err != nil {
		t.Fatalf("repeat: %v", err)
	}
	if n := len(st.Recordings()); n != 2 {
		t.Errorf("a repeat recorded again: %d recordings", n)
	}
}

// TestUnsubscribeAfterConfirmation: a confirmed grant is withdrawn too
// (a withdrawal replaces any state).
func TestUnsubscribeAfterConfirmation(t *testing.T) {
	svc, st, _ := newService(t)
	res, err := svc.Give(context.Background(), validInput())
	if err != nil {
		t.Fatal(err)
	}
	cu, _ := url.Parse(res.Recording.Mail.Data["confirm_url"])
	if _, err := svc.Confirm(context.Background(), cu.Query().Get("token")); err != nil {
		t.Fatal(err)
	}
	uu, _ := url.Parse(res.Recording.Mail.Data[mail.UnsubscribeKey])
	key := st.Recordings()[0].Records[0].Subject.Key
	if got := emailState(t, svc, key); got != consent.Granted {
		t.Fatalf("confirmed: %s", got)
	}
	if err := svc.Unsubscribe(context.Background(), uu.Query().Get("token"), "", ""); err != nil {
		t.Fatal(err)
	}
	if got := emailState(t, svc, key); got != consent.Withdrawn {
		t.Errorf("after the link: %s, want withdrawn", got)
	}
}

// TestUnsubscribeRefusesForgedTokens: a token altered anywhere, made with
// another pepper, from the future or older than its lifetime changes
// nothing and is refused the same way.
func TestUnsubscribeRefusesForgedTokens(t *testing.T) {
	svc, st, clk := newService(t)
	token, _ := receiptUnsubscribe(t, svc)
	parts := strings.Split(token, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}
	bad := []string{
		"", "x", token + ".x", "2." + strings.Join(parts[1:], "."),
		strings.Join([]string{parts[0], flip(parts[1]), parts[2], parts[3]}, "."),
		strings.Join([]string{parts[0], parts[1], "20260303", parts[3]}, "."),
		strings.Join([]string{parts[0], parts[1], parts[2], flip(parts[3])}, "."),
		strings.Join([]string{parts[0], "", parts[2], parts[3]}, "."),
	}
	for _, tok := range bad {
		for name, err := range map[string]error{
			"check": svc.CheckUnsubscribe(tok), "unsubscribe": svc.Unsubscribe(context.Background(), tok, "", ""),
		} {
			if err != consent.ErrUnsubscribeInvalid {
				t.Errorf("%s(%q) = %v, want ErrUnsubscribeInvalid", name, tok, err)
			}
		}
	}
	if n := len(st.Recordings()); n != 1 {
		t.Errorf("forged tokens recorded: %d recordings", n)
	}
	if fault.KindOf(consent.ErrUnsubscribeInvalid) != fault.Invalid {
		t.Error("a forged token is not answered as invalid input")
	}

	// The link works at least 60 days, and for its whole lifetime; not after.
	for _, d := range []time.Duration{60 * 24 * time.Hour, consent.UnsubscribeLifetime - 61*24*time.Hour} {
		clk.Advance(d)
		if err := svc.CheckUnsubscribe(token); err != nil {
			t.Fatalf("after %v: %v", d, err)
		}
	}
	clk.Advance(2 * 24 * time.Hour)
	if err := svc.CheckUnsubscribe(token); err != consent.ErrUnsubscribeInvalid {
		t.Errorf("past its lifetime: %v", err)
	}
}
