package consent

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/fault"
)

// One-click unsubscribe (RFC 8058, RFC 2369): every mail about marketing
// consent carries a link that withdraws consent to email marketing for the
// address it was sent to, with no login and no form.
//
// The link's token is signed, not stored: "1.<subject key>.<issued
// day>.<tag>", the tag a keyed hash (subject.Keyer.Sign, with the pepper)
// of the subject key, the purpose and the day. It cannot be forged or
// guessed without the pepper, names the person only by their keyed hash
// (never the address), needs no table item that could be lost or expire
// before the mail does, and is made where the intent is queued (the
// notifier holds no pepper).
//
// It works for UnsubscribeLifetime after the day it was issued: CAN-SPAM
// asks that the mechanism work for at least 30 days after sending (15
// U.S.C. §7704(a)(3)(A)(ii)) and mailbox providers expect it to work as
// long as the mail sits in the inbox. A token can only ever withdraw, and
// only for the one address it was sent to, so a long life costs little.

// UnsubscribeLifetime is how long a one-click unsubscribe link works.
const UnsubscribeLifetime = 2 * 365 * 24 * time.Hour

// ChannelOneClick is the channel of a withdrawal made with the one-click
// link of a mail.
const ChannelOneClick = "one_click"

const (
	unsubscribeVersion = "1"
	unsubscribeTag     = "unsubscribe"
	unsubscribeDay     = "20060102"
)

// ErrUnsubscribeInvalid is returned for a token that is malformed, forged
// or too old, alike: the answer says nothing of whose it might be.
var ErrUnsubscribeInvalid = &fault.Error{
	Kind:   fault.Invalid,
	Detail: "This unsubscribe link is not valid. To stop our marketing emails, call us at +1 (251) 428-3182 or reply to any of our mails.",
	Fields: []fault.FieldError{{Field: "token", Message: "is not a valid unsubscribe link"}},
}

// unsubscribeToken makes the token of subjectKey's email marketing link,
// issued on the day of at.
func (s *Service) unsubscribeToken(subjectKey string, at time.Time) string {
	raw, err := hex.DecodeString(subjectKey)
	if err != nil {
		// Subject keys are hex; a key that is not gets no link.
		return ""
	}
	day := at.UTC().Format(unsubscribeDay)
	return strings.Join([]string{
		unsubscribeVersion, base64.RawURLEncoding.EncodeToString(raw), day,
		s.cfg.Keyer.Sign(unsubscribeTag, subjectKey, string(EmailMarketing), day),
	}, ".")
}

// UnsubscribeURL is the one-click link of subjectKey's email marketing,
// issued at at, on the public base URL; empty when none can be made.
func (s *Service) UnsubscribeURL(subjectKey string, at time.Time) string {
	tok := s.unsubscribeToken(subjectKey, at)
	if tok == "" {
		return ""
	}
	return strings.TrimRight(s.cfg.PublicBaseURL, "/") + "/v1/unsubscribe?token=" + url.QueryEscape(tok)
}

// unsubscriber checks a token and returns the subject key it names and the
// day it was issued.
func (s *Service) unsubscriber(token string) (subjectKey, day string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[0] != unsubscribeVersion || len(token) > 200 {
		return "", "", ErrUnsubscribeInvalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(raw) == 0 {
		return "", "", ErrUnsubscribeInvalid
	}
	subjectKey, day = hex.EncodeToString(raw), parts[2]
	issued, err := time.Parse(unsubscribeDay, day)
	now := s.cfg.Now().UTC()
	switch {
	case err != nil, !s.cfg.Keyer.Verify(parts[3], unsubscribeTag, subjectKey, string(EmailMarketing), day):
		return "", "", ErrUnsubscribeInvalid
	case issued.After(now), now.Sub(issued) > UnsubscribeLifetime:
		return "", "", ErrUnsubscribeInvalid
	}
	return subjectKey, day, nil
}

// CheckUnsubscribe tells whether a one-click link is valid, changing
// nothing: link scanners fetch the GET of every link in a mail.
func (s *Service) CheckUnsubscribe(token string) error {
	_, _, err := s.unsubscriber(token)
	return err
}

// Unsubscribe withdraws consent to email marketing for the address a
// one-click link was sent to, at once (RFC 8058; GDPR Art. 7(3); CAN-SPAM,
// 15 U.S.C. §7704(a)(4)): a ledger event with the channel, and the state,
// in one transaction. A withdrawal replaces any state (Replaces), so the
// check answers not allowed from then on. A repeat, when consent is
// withdrawn already, records nothing more. ip and userAgent are kept as
// evidence of the request, as for any choice.
func (s *Service) Unsubscribe(ctx context.Context, token, ip, userAgent string) error {
	subjectKey, day, err := s.unsubscriber(token)
	if err != nil {
		return err
	}
	states, err := s.store.States(ctx, subjectKey)
	if err != nil {
		return err
	}
	for _, st := range states {
		if st.Purpose == EmailMarketing && st.Status == Withdrawn {
			return nil
		}
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	rec := Recording{ReceiptID: s.newID(), At: now}
	rec.Fields = map[string]string{
		"receipt_id": rec.ReceiptID, "channel": ChannelOneClick, "method": "one-click unsubscribe link (RFC 8058)",
		"link_issued": day, "legal_basis": "consent", "ip": ip, "user_agent": userAgent,
	}
	rec.Records = []Record{{
		Purpose: EmailMarketing, Granted: false, Status: Withdrawn, EventID: s.newID(),
		Subject: Identity{Kind: Email, Key: subjectKey},
	}}
	return s.store.Record(ctx, &rec)
}
