package consent

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/subject"
)

// A grant of SMS marketing is confirmed by its number: the service texts a
// one-time code to it, and only someone who holds the phone can type it
// back. That is the subscriber's own agreement the TCPA asks for (47 CFR
// 64.1200(a)(2), (f)(9)); a number typed by a stranger stays pending.

// Limits of a one-time code.
const (
	// CodeLifetime is how long a code works.
	CodeLifetime = 10 * time.Minute
	// CodeAttempts is how many tries one code takes, the right one
	// included; then it is dead.
	CodeAttempts = 5
	// CodeFailuresPerDay caps the tries on one number in a UTC day, across
	// the codes it was sent: a stranger who asks for new codes again and
	// again gets no more than this many guesses at them.
	CodeFailuresPerDay = 10
	codeDigits         = 6
)

// CodeMethod is how an SMS grant was confirmed, as its ledger event says.
const CodeMethod = "sms one-time code"

// SMSCode is a one-time code as stored: only its keyed hash, never the code.
type SMSCode struct {
	SubjectKey string // the number's
	ReceiptID  string // of the pending grant it confirms
	CodeHash   string
	ExpiresAt  time.Time
	Attempts   int
	// Failures counts the tries on the number today (UTC).
	Failures int
	Used     bool
	// DisclosureSHA256 is the text shown when the grant was given.
	DisclosureSHA256 string
	// TextID is the intent of the text that carried the code; TextSHA256
	// the hash of that text as sent (empty until the notifier has it).
	TextID     string
	TextSHA256 string
}

// Usable says whether the code may still be tried at now.
func (c SMSCode) Usable(now time.Time) bool {
	return !c.Used && now.Before(c.ExpiresAt) && c.Attempts < CodeAttempts && c.Failures < CodeFailuresPerDay
}

// CodeStore is what confirming by code needs from storage (shared/ddb).
type CodeStore interface {
	// SMSCode returns the number's current code; false when it has none.
	SMSCode(ctx context.Context, subjectKey string, now time.Time) (SMSCode, bool, error)
	// TryCode counts one try of the code c names, on the condition that it
	// is still that code and usable at now; fault.Gone when it is not.
	TryCode(ctx context.Context, c SMSCode, now time.Time) error
	// ConfirmCode uses the code and grants its purpose with a ledger event
	// of fields, in one transaction; fault.Gone or fault.Conflict when the
	// code was used or the grant is no longer pending.
	ConfirmCode(ctx context.Context, c SMSCode, fields map[string]string, at time.Time, eventID string) error
}

// newCode draws a code of six decimal digits from crypto/rand.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64()), nil
}

// codeHash is the keyed hash a code is stored as, bound to its number.
func codeHash(k *subject.Keyer, subjectKey, code string) string {
	return k.Digest("sms_code", subjectKey, code)
}

// smsCodeFor builds the code of a pending SMS grant of rec and the text that
// carries it to e164.
func (s *Service) smsCodeFor(r *Recording, rec Record, e164 string) error {
	code, err := newCode()
	if err != nil {
		return err
	}
	text := mail.Intent{
		ID: s.newID(), Template: mail.SMSCode, Channel: mail.ChannelSMS, To: e164,
		// Counted against the number's cap: anyone can type a number.
		RecipientKey: rec.Subject.Key, Data: map[string]string{mail.CodeField: code},
	}
	r.Text = &text
	r.SMSCode = &SMSCode{
		SubjectKey: rec.Subject.Key, ReceiptID: r.ReceiptID, CodeHash: codeHash(s.cfg.Keyer, rec.Subject.Key, code),
		ExpiresAt: r.At.Add(CodeLifetime), DisclosureSHA256: r.Disclosure.SHA256(), TextID: text.ID,
	}
	return nil
}

// ErrCodeWrong answers a code that does not confirm anything: wrong,
// expired, used, tried too often, or for a number with no pending grant,
// alike, so the answer tells no one whether a number subscribed.
var ErrCodeWrong = func() error {
	var f fault.Fields
	f.Add("code", "this code is not valid: it may be wrong, used or expired; subscribe again for a new one")
	return f.Refuse("The code does not confirm a subscription.")
}()

// ConfirmCode confirms the pending SMS marketing grant of a number with the
// code texted to it.
func (s *Service) ConfirmCode(ctx context.Context, phoneNumber, code string) (SMSCode, error) {
	var errs fault.Fields
	ids, err := s.subjects.Identify(subject.Given{Phone: phoneNumber}, subject.Form{Count: subject.ExactlyOne}, &errs)
	code = strings.TrimSpace(code)
	if code == "" {
		errs.Add("code", "this field is required")
	} else if len(code) != codeDigits || strings.Trim(code, "0123456789") != "" {
		errs.Add("code", "give the six digits of the code")
	}
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return SMSCode{}, err
	}
	if s.codes == nil {
		return SMSCode{}, fault.New(fault.Internal, "this store keeps no one-time codes")
	}
	key := ids[0].Key
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	c, found, err := s.codes.SMSCode(ctx, key, now)
	if err != nil {
		return SMSCode{}, err
	}
	if !found || !c.Usable(now) {
		return SMSCode{}, ErrCodeWrong
	}
	if err := s.codes.TryCode(ctx, c, now); err != nil {
		if fault.KindOf(err) == fault.Gone {
			return SMSCode{}, ErrCodeWrong
		}
		return SMSCode{}, err
	}
	if !hmac.Equal([]byte(codeHash(s.cfg.Keyer, key, code)), []byte(c.CodeHash)) {
		return SMSCode{}, ErrCodeWrong
	}
	if err := s.codes.ConfirmCode(ctx, c, c.EventFields(now), now, s.newID()); err != nil {
		if k := fault.KindOf(err); k == fault.Gone || k == fault.Conflict {
			return SMSCode{}, ErrCodeWrong
		}
		return SMSCode{}, err
	}
	return c, nil
}

// EventFields are the ledger fields of a grant confirmed by code, the TCPA
// evidence of the subscriber's agreement: the number (its subject key),
// when, the disclosure shown, the text sent (template and hash of its exact
// words) and how it was confirmed.
func (c SMSCode) EventFields(at time.Time) map[string]string {
	f := map[string]string{
		"purpose": string(SMSMarketing), "receipt_id": c.ReceiptID, "status": string(Granted),
		"method": CodeMethod, "phone_key": c.SubjectKey, "confirmed_at": at.Format(time.RFC3339Nano),
		"disclosure_sha256": c.DisclosureSHA256, "sms_template": string(mail.SMSCode), "sms_intent": c.TextID,
	}
	if c.TextSHA256 != "" {
		f["sms_sha256"] = c.TextSHA256
	}
	return f
}
