package consent_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/consent/consenttest"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
)

const baseURL = "https://api.claritru.example"

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newKeyer(t *testing.T) *subject.Keyer {
	t.Helper()
	k, err := subject.NewKeyer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newService(t *testing.T) (*consent.Service, *consenttest.Memory, *clock) {
	t.Helper()
	st := consenttest.New()
	c := &clock{t: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
	svc := consent.NewService(st, consent.Config{
		Keyer: newKeyer(t), Phone: phone.E164, PublicBaseURL: baseURL + "/", PolicyURL: "https://claritru.example/privacy", Now: c.Now,
		Disclosures: testCatalogue(t),
	})
	return svc, st, c
}

// testCatalogue holds the disclosure validInput names, which covers every
// purpose so one call can carry several, and a second one for email alone.
func testCatalogue(t *testing.T) *consent.Catalogue {
	t.Helper()
	c, err := consent.NewCatalogue(
		consent.Disclosure{ID: "signup-footer", Version: "2026-01", Purposes: consent.Purposes, Text: disclosureText},
		consent.Disclosure{ID: "email-only", Version: "1", Purposes: []consent.Purpose{consent.EmailMarketing}, Text: "Email me offers."},
	)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

const disclosureText = "Yes, send me ClariTru offers by email and text message. Consent is not a condition of purchase. Msg & data rates may apply; reply STOP to cancel."

// validInput is a call that every rule accepts.
func validInput() consent.Input {
	return consent.Input{
		Email:     "Ada.Lovelace@Example.com",
		Phone:     "+1 415 555 0100",
		BrowserID: "b-0123456789abcdef",
		Choices: []consent.Choice{
			{Purpose: consent.EmailMarketing, Granted: yes()},
			{Purpose: consent.SMSMarketing, Granted: yes()},
			{Purpose: consent.CookiesAnalytics, Granted: yes()},
		},
		Disclosure:   &consent.Disclosure{ID: "signup-footer", Version: "2026-01", Text: disclosureText},
		SourceURL:    "https://claritru.example/signup?x=1",
		Locale:       "en-US",
		Country:      "US",
		AgeConfirmed: true,
		IP:           "203.0.113.9",
		UserAgent:    "Mozilla/5.0 (test)",
	}
}

// wantFault asserts err has the kind and names exactly field among its
// field errors.
func wantFault(t *testing.T, err error, kind fault.Kind, field string) {
	t.Helper()
	var fe *fault.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v, want a *fault.Error of kind %d naming %q", err, kind, field)
	}
	if fe.Kind != kind {
		t.Errorf("kind %d, want %d (%v)", fe.Kind, kind, fe.Fields)
	}
	for _, f := range fe.Fields {
		if f.Field == field {
			if f.Message == "" {
				t.Errorf("field %q has no message", field)
			}
			return
		}
	}
	t.Errorf("fields %+v do not name %q", fe.Fields, field)
}

func TestGiveInvalid(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name  string
		edit  func(*consent.Input)
		field string
	}{
		{"unknown purpose", func(in *consent.Input) { in.Choices[1].Purpose = "sms_marketting" }, "events[1].purpose"},
		{"empty purpose", func(in *consent.Input) { in.Choices[0].Purpose = "" }, "events[0].purpose"},
		{"duplicate purpose", func(in *consent.Input) { in.Choices[2].Purpose = consent.EmailMarketing }, "events[2].purpose"},
		{"missing granted", func(in *consent.Input) { in.Choices[0].Granted = nil }, "events[0].granted"},
		{"no events", func(in *consent.Input) { in.Choices = nil }, "events"},
		{"more events than purposes", func(in *consent.Input) {
			in.Choices = nil
			for range 7 {
				in.Choices = append(in.Choices, consent.Choice{Purpose: consent.CookiesFunctional, Granted: yes()})
			}
		}, "events"},
		{"no subject", func(in *consent.Input) { in.Email, in.Phone, in.BrowserID = "", "", "" }, "subject"},
		{"malformed email", func(in *consent.Input) { in.Email = "ada@" }, "subject.email"},
		{"email with display name", func(in *consent.Input) { in.Email = "Ada <ada@example.com>" }, "subject.email"},
		{"malformed phone", func(in *consent.Input) { in.Phone = "+1 415 555 01" }, "subject.phone"},
		{"malformed browser id", func(in *consent.Input) { in.BrowserID = "short" }, "subject.browser_id"},
		{"browser id with bad characters", func(in *consent.Input) { in.BrowserID = "abcdefgh<script>" }, "subject.browser_id"},
		{"missing disclosure", func(in *consent.Input) { in.Disclosure = nil }, "disclosure"},
		{"oversize disclosure text", func(in *consent.Input) { in.Disclosure.Text = long(consent.MaxDisclosure + 1) }, "disclosure.text"},
		{"oversize multibyte disclosure text", func(in *consent.Input) {
			in.Disclosure.Text = strings.Repeat("字", consent.MaxDisclosure+1)
		}, "disclosure.text"},
		{"disclosure text not UTF-8", func(in *consent.Input) { in.Disclosure.Text = "ok \xff" }, "disclosure.text"},
		{"missing disclosure id", func(in *consent.Input) { in.Disclosure.ID = "" }, "disclosure.id"},
		{"multi-line disclosure id", func(in *consent.Input) { in.Disclosure.ID = "a\nb" }, "disclosure.id"},
		{"long disclosure id", func(in *consent.Input) { in.Disclosure.ID = long(101) }, "disclosure.id"},
		{"missing disclosure version", func(in *consent.Input) { in.Disclosure.Version = " " }, "disclosure.version"},
		{"ftp source url", func(in *consent.Input) { in.SourceURL = "ftp://claritru.example/form" }, "source_url"},
		{"relative source url", func(in *consent.Input) { in.SourceURL = "/signup" }, "source_url"},
		{"javascript source url", func(in *consent.Input) { in.SourceURL = "javascript:alert(1)" }, "source_url"},
		{"oversize source url", func(in *consent.Input) {
			in.SourceURL = "https://claritru.example/" + long(2049-len("https://claritru.example/"))
		}, "source_url"},
		{"bad legal basis", func(in *consent.Input) { in.LegalBasis = "vital_interests" }, "legal_basis"},
		{"bad country (three letters)", func(in *consent.Input) { in.Country = "USA" }, "country"},
		{"bad country (digits)", func(in *consent.Input) { in.Country = "1A" }, "country"},
		// The one ISO 3166-1 list, as for Data Rights Requests: two letters
		// are not enough.
		{"country UK is not ISO 3166-1 (GB is)", func(in *consent.Input) { in.Country = "UK" }, "country"},
		{"country XX is not assigned", func(in *consent.Input) { in.Country = "XX" }, "country"},
		{"bad locale", func(in *consent.Input) { in.Locale = "en\r\nX" }, "locale"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc, st, _ := newService(t)
			in := validInput()
			tc.edit(&in)
			_, err := svc.Give(context.Background(), in)
			wantFault(t, err, fault.Invalid, tc.field)
			if n := st.Calls(); n != 0 {
				t.Errorf("a refused call made %d store calls, want none", n)
			}
		})
	}
}

// TestGiveLimitsAccepted pins the inclusive edges of the limits refused above.
func TestGiveLimitsAccepted(t *testing.T) {
	svc, st, _ := newService(t)
	in := validInput()
	in.Disclosure.Text = ""
	in.SourceURL = "https://claritru.example/" + strings.Repeat("a", 2048-len("https://claritru.example/"))
	in.LegalBasis = "contract"
	in.Country = "de"
	if _, err := svc.Give(context.Background(), in); err != nil {
		t.Fatalf("Give at the limits: %v", err)
	}
	if len(st.Recordings()) != 1 {
		t.Fatalf("%d recordings, want 1", len(st.Recordings()))
	}
}

func TestGiveRefused(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*consent.Input)
		field string
	}{
		{"email marketing without age confirmation", func(in *consent.Input) {
			in.AgeConfirmed = false
			in.Choices = []consent.Choice{{Purpose: consent.EmailMarketing, Granted: yes()}}
		}, "age_confirmed"},
		{"sms marketing without age confirmation", func(in *consent.Input) {
			in.AgeConfirmed = false
			in.Choices = []consent.Choice{{Purpose: consent.SMSMarketing, Granted: yes()}}
		}, "age_confirmed"},
		{"sms marketing without phone", func(in *consent.Input) {
			in.Phone = ""
			in.Choices = []consent.Choice{{Purpose: consent.SMSMarketing, Granted: yes()}}
		}, "subject.phone"},
		{"sms transactional without phone", func(in *consent.Input) {
			in.Phone = ""
			in.AgeConfirmed = false
			in.Choices = []consent.Choice{{Purpose: consent.SMSTransactional, Granted: yes()}}
		}, "subject.phone"},
		{"email marketing without email", func(in *consent.Input) {
			in.Email = ""
			in.Choices = []consent.Choice{{Purpose: consent.EmailMarketing, Granted: yes()}}
		}, "subject.email"},
		{"unknown disclosure id", func(in *consent.Input) { in.Disclosure.ID = "signup-header" }, "disclosure"},
		{"unknown disclosure version", func(in *consent.Input) { in.Disclosure.Version = "2025-01" }, "disclosure"},
		{"disclosure text not the stored one", func(in *consent.Input) {
			in.Disclosure.Text = "Send me a mail that says whatever I typed."
		}, "disclosure.text"},
		{"blank disclosure text", func(in *consent.Input) { in.Disclosure.Text = " \n\t " }, "disclosure.text"},
		{"stored text with other white space", func(in *consent.Input) { in.Disclosure.Text = disclosureText + " " }, "disclosure.text"},
		{"purpose the disclosure does not cover", func(in *consent.Input) {
			in.Disclosure = &consent.Disclosure{ID: "email-only", Version: "1"}
			in.Choices = []consent.Choice{{Purpose: consent.EmailMarketing, Granted: yes()}, {Purpose: consent.SMSMarketing, Granted: no()}}
		}, "events[1].purpose"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc, st, _ := newService(t)
			in := validInput()
			tc.edit(&in)
			_, err := svc.Give(context.Background(), in)
			wantFault(t, err, fault.Unprocessable, tc.field)
			if n := st.Calls(); n != 0 {
				t.Errorf("a refused call made %d store calls, want none", n)
			}
		})
	}
}

// TestGiveRulesNeedWellFormedInput: a malformed call is Invalid even when it
// also breaks a rule; rules are judged on well-formed input only.
func TestGiveRulesNeedWellFormedInput(t *testing.T) {
	svc, _, _ := newService(t)
	in := validInput()
	in.AgeConfirmed = false
	in.Country = "USA"
	_, err := svc.Give(context.Background(), in)
	wantFault(t, err, fault.Invalid, "country")
}

// TestWithdrawNeedsNoAgeConfirmation: withdrawing must be as easy as giving
// (GDPR Art. 7(3)).
func TestWithdrawNeedsNoAgeConfirmation(t *testing.T) {
	svc, st, _ := newService(t)
	in := validInput()
	in.AgeConfirmed = false
	in.Choices = []consent.Choice{
		{Purpose: consent.EmailMarketing, Granted: no()},
		{Purpose: consent.SMSMarketing, Granted: no()},
	}
	res, err := svc.Give(context.Background(), in)
	if err != nil {
		t.Fatalf("withdrawal refused: %v", err)
	}
	for _, r := range res.Recording.Records {
		if r.Status != consent.Withdrawn || r.Granted {
			t.Errorf("%s: status %s granted %v, want withdrawn", r.Purpose, r.Status, r.Granted)
		}
	}
	if res.ConfirmationRequired || res.Recording.ConfirmTokenHash != "" {
		t.Error("a withdrawal asks for confirmation")
	}
	if len(st.Recordings()) != 1 {
		t.Errorf("%d recordings, want 1", len(st.Recordings()))
	}
}

func recordOf(t *testing.T, rec consent.Recording, p consent.Purpose) consent.Record {
	t.Helper()
	for _, r := range rec.Records {
		if r.Purpose == p {
			return r
		}
	}
	t.Fatalf("no record for %s in %+v", p, rec.Records)
	return consent.Record{}
}

func TestGiveStatusesAndConfirmToken(t *testing.T) {
	svc, st, c := newService(t)
	in := validInput()
	in.Choices = append(in.Choices, consent.Choice{Purpose: consent.SMSTransactional, Granted: yes()},
		consent.Choice{Purpose: consent.CookiesFunctional, Granted: no()})
	res, err := svc.Give(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Recording
	if len(st.Recordings()) != 1 || st.Recordings()[0].ReceiptID != rec.ReceiptID {
		t.Fatalf("store holds %d recordings, want this one", len(st.Recordings()))
	}
	want := map[consent.Purpose]consent.Status{
		consent.EmailMarketing: consent.Pending, consent.SMSMarketing: consent.Pending,
		consent.CookiesAnalytics: consent.Granted, consent.SMSTransactional: consent.Granted,
		consent.CookiesFunctional: consent.Withdrawn,
	}
	if len(rec.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(rec.Records), len(want))
	}
	for p, s := range want {
		r := recordOf(t, rec, p)
		if r.Status != s {
			t.Errorf("%s: status %s, want %s", p, r.Status, s)
		}
		if r.EventID == "" || r.Sequence == 0 || r.Hash == "" {
			t.Errorf("%s: event id %q, sequence %d, hash %q: store fields not carried back", p, r.EventID, r.Sequence, r.Hash)
		}
	}
	if !res.ConfirmationRequired {
		t.Error("ConfirmationRequired false for an email marketing grant")
	}
	// The receipt names each choice and where it stands in words, and,
	// as texts are among them, says how to stop them.
	wantChoices := "Email marketing: waiting for you to confirm\n" +
		"Marketing text messages: waiting for you to confirm with the code we texted you\n" +
		"Analytics cookies: yes, you agreed\n" +
		"Text messages about your account: yes, you agreed\n" +
		"Functional cookies: no"
	if rec.Mail == nil || rec.Mail.Data["choices"] != wantChoices || rec.Mail.Data["texts"] != "yes" {
		t.Errorf("receipt mail %+v, want choices %q and texts", rec.Mail, wantChoices)
	}
	if rec.Mail == nil {
		t.Fatal("no mail")
	}
	cu := rec.Mail.Data["confirm_url"]
	prefix := baseURL + "/v1/consents/confirm?token="
	if !strings.HasPrefix(cu, prefix) {
		t.Fatalf("confirm_url %q, want prefix %q", cu, prefix)
	}
	u, err := url.Parse(cu)
	if err != nil {
		t.Fatal(err)
	}
	raw := u.Query().Get("token")
	hash, ok := request.TokenHash(raw)
	if !ok || hash != rec.ConfirmTokenHash {
		t.Errorf("token hash %q (ok %v), Recording.ConfirmTokenHash %q", hash, ok, rec.ConfirmTokenHash)
	}
	if strings.Contains(rec.ConfirmTokenHash, raw) {
		t.Error("the raw token is stored")
	}
	if want := c.Now().Add(72 * time.Hour); !rec.ConfirmExpires.Equal(want) {
		t.Errorf("ConfirmExpires %v, want %v", rec.ConfirmExpires, want)
	}
}

// TestGiveSMSMarketingIsPending: anyone can type a number, so an SMS
// marketing grant waits for the number to confirm; no mailed link confirms
// it, and the check does not allow a send. Texts about the account
// (sms_transactional) are not marketing and are granted at once.
func TestGiveSMSMarketingIsPending(t *testing.T) {
	svc, st, _ := newService(t)
	in := validInput()
	in.Email = ""
	in.Choices = []consent.Choice{{Purpose: consent.SMSMarketing, Granted: yes()}, {Purpose: consent.SMSTransactional, Granted: yes()}}
	res, err := svc.Give(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if r := recordOf(t, res.Recording, consent.SMSMarketing); r.Status != consent.Pending || !r.Granted {
		t.Errorf("sms_marketing: %s %v, want pending", r.Status, r.Granted)
	}
	if r := recordOf(t, res.Recording, consent.SMSTransactional); r.Status != consent.Granted {
		t.Errorf("sms_transactional: %s, want granted", r.Status)
	}
	if !res.ConfirmationRequired || res.Recording.ConfirmTokenHash != "" {
		t.Errorf("confirmation required %v, token hash %q: want required, with no mailed link", res.ConfirmationRequired, res.Recording.ConfirmTokenHash)
	}
	if res.Recording.Mail != nil {
		t.Errorf("mail %+v without an email address", res.Recording.Mail)
	}
	if n := len(st.Recordings()); n != 1 {
		t.Fatalf("%d recordings, want 1", n)
	}
	id, err := svc.Lookup("", "+1 415 555 0100", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := svc.Check(context.Background(), id, consent.SMSMarketing); err != nil || got.Status != consent.Pending {
		t.Errorf("check: %+v %v, want pending (not a send)", got, err)
	}
}

func TestGiveGPC(t *testing.T) {
	svc, _, _ := newService(t)
	in := validInput()
	in.GPC = true
	in.Choices = []consent.Choice{
		{Purpose: consent.CookiesAdvertising, Granted: yes()},
		{Purpose: consent.CookiesAnalytics, Granted: yes()},
	}
	res, err := svc.Give(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	adv := recordOf(t, res.Recording, consent.CookiesAdvertising)
	if adv.Status != consent.NotGranted || adv.Granted || adv.Reason == "" {
		t.Errorf("cookies_advertising with GPC: %+v, want not_granted with a reason", adv)
	}
	an := recordOf(t, res.Recording, consent.CookiesAnalytics)
	if an.Status != consent.Granted || !an.Granted || an.Reason != "" {
		t.Errorf("cookies_analytics with GPC: %+v, want granted", an)
	}
	if res.Recording.Fields["gpc"] != "true" {
		t.Errorf("gpc field %q, want true", res.Recording.Fields["gpc"])
	}

	// Without the signal the same grant stands.
	in.GPC = false
	res, err = svc.Give(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if adv := recordOf(t, res.Recording, consent.CookiesAdvertising); adv.Status != consent.Granted {
		t.Errorf("cookies_advertising without GPC: %s, want granted", adv.Status)
	}
}

func TestGiveTargets(t *testing.T) {
	k := newKeyer(t)
	email := k.Email("ada.lovelace@example.com")
	phone := k.Phone("+14155550100")
	browser := k.Browser("b-0123456789abcdef")

	t.Run("all identifiers", func(t *testing.T) {
		svc, _, _ := newService(t)
		in := validInput()
		in.Choices = nil
		for _, p := range consent.Purposes {
			in.Choices = append(in.Choices, consent.Choice{Purpose: p, Granted: yes()})
		}
		res, err := svc.Give(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		want := map[consent.Purpose]struct {
			kind subject.Kind
			key  string
		}{
			consent.EmailMarketing:     {consent.Email, email},
			consent.SMSMarketing:       {consent.Phone, phone},
			consent.SMSTransactional:   {consent.Phone, phone},
			consent.CookiesFunctional:  {consent.BrowserID, browser},
			consent.CookiesAnalytics:   {consent.BrowserID, browser},
			consent.CookiesAdvertising: {consent.BrowserID, browser},
		}
		for p, w := range want {
			r := recordOf(t, res.Recording, p)
			if r.Subject.Kind != w.kind || r.Subject.Key != w.key {
				t.Errorf("%s recorded on %s %s, want %s %s", p, r.Subject.Kind, r.Subject.Key, w.kind, w.key)
			}
		}
		if len(res.Subjects) != 3 {
			t.Errorf("%d subjects, want 3", len(res.Subjects))
		}
		for _, s := range res.Subjects {
			if s.Kind != consent.Email && s.Value != "" {
				t.Errorf("%s identity keeps its value %q", s.Kind, s.Value)
			}
		}
	})
	t.Run("cookies without a browser id go on the first identity", func(t *testing.T) {
		svc, _, _ := newService(t)
		in := validInput()
		in.BrowserID = ""
		in.Choices = []consent.Choice{{Purpose: consent.CookiesAnalytics, Granted: yes()}}
		res, err := svc.Give(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if r := recordOf(t, res.Recording, consent.CookiesAnalytics); r.Subject.Key != email {
			t.Errorf("cookies_analytics on %s %s, want the email", r.Subject.Kind, r.Subject.Key)
		}
		in.Email = ""
		res, err = svc.Give(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if r := recordOf(t, res.Recording, consent.CookiesAnalytics); r.Subject.Key != phone {
			t.Errorf("cookies_analytics on %s %s, want the phone", r.Subject.Kind, r.Subject.Key)
		}
	})
}

func TestGiveProofFields(t *testing.T) {
	sum := sha256.Sum256([]byte(disclosureText))
	wantSHA := hex.EncodeToString(sum[:])
	cases := []struct {
		name    string
		edit    func(*consent.Input)
		basis   string
		juris   string
		gpcText string
	}{
		{"default basis", func(in *consent.Input) {}, "consent", "US", "false"},
		{"explicit basis, EU, GPC", func(in *consent.Input) {
			in.LegalBasis, in.Country, in.GPC = "legitimate_interests", "DE", true
			in.Phone = "+49 30 901820"
		}, "legitimate_interests", "EU", "true"},
		{"no country", func(in *consent.Input) { in.Country = "" }, "consent", "unknown", "false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc, st, _ := newService(t)
			in := validInput()
			tc.edit(&in)
			res, err := svc.Give(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Recordings()) != 1 {
				t.Fatalf("%d recordings", len(st.Recordings()))
			}
			f := st.Recordings()[0].Fields
			want := map[string]string{
				"receipt_id": res.Recording.ReceiptID, "disclosure_sha256": wantSHA,
				"ip": "203.0.113.9", "user_agent": "Mozilla/5.0 (test)", "gpc": tc.gpcText,
				"source_url": "https://claritru.example/signup?x=1", "legal_basis": tc.basis,
				"jurisdiction": tc.juris, "disclosure_id": "signup-footer", "disclosure_version": "2026-01",
				"age_confirmed": "true",
			}
			for k, v := range want {
				if got, ok := f[k]; !ok || got != v {
					t.Errorf("Fields[%q] = %q (present %v), want %q", k, got, ok, v)
				}
			}
			if res.Recording.ReceiptID == "" {
				t.Error("no receipt id")
			}
			if res.Jurisdiction != tc.juris {
				t.Errorf("Result.Jurisdiction %q, want %q", res.Jurisdiction, tc.juris)
			}
			if got := st.Recordings()[0].Disclosure; got.ID != in.Disclosure.ID || got.Version != in.Disclosure.Version ||
				got.Text != disclosureText || got.SHA256() != wantSHA {
				t.Errorf("recorded disclosure %+v, want the catalogued one", got)
			}
			for k, v := range f {
				if strings.Contains(strings.ToLower(v), "ada.lovelace") || strings.Contains(v, "4155550100") {
					t.Errorf("proof field %s carries a raw identifier: %q", k, v)
				}
			}
		})
	}
}

func TestGiveMail(t *testing.T) {
	t.Run("email given", func(t *testing.T) {
		svc, _, _ := newService(t)
		in := validInput()
		// Only id and version: the mail quotes the stored words.
		in.Disclosure.Text = ""
		in.Choices = []consent.Choice{{Purpose: consent.CookiesAnalytics, Granted: yes()}}
		res, err := svc.Give(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		m := res.Recording.Mail
		if m == nil {
			t.Fatal("no receipt mail though an email was given")
		}
		if m.To != "ada.lovelace@example.com" || m.Template != mail.ConsentReceipt || m.ID == "" {
			t.Errorf("mail to %q template %q id %q", m.To, m.Template, m.ID)
		}
		if m.Data["disclosure"] != disclosureText {
			t.Errorf("mail disclosure %q, want the stored text %q", m.Data["disclosure"], disclosureText)
		}
		if m.Data["receipt_id"] != res.Recording.ReceiptID {
			t.Errorf("mail receipt_id %q, want %q", m.Data["receipt_id"], res.Recording.ReceiptID)
		}
		if _, ok := m.Data["confirm_url"]; ok {
			t.Error("confirm_url without an email marketing grant")
		}
		// In words, not the service's names.
		if m.Data["choices"] != "Analytics cookies: yes, you agreed" {
			t.Errorf("mail choices %q, want the purpose and its state in words", m.Data["choices"])
		}
		if _, ok := m.Data["texts"]; ok {
			t.Error("a receipt without texts says how to stop texts")
		}
	})
	t.Run("no email", func(t *testing.T) {
		svc, _, _ := newService(t)
		in := validInput()
		in.Email = ""
		in.Choices = []consent.Choice{{Purpose: consent.CookiesAnalytics, Granted: yes()}}
		res, err := svc.Give(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Recording.Mail != nil {
			t.Errorf("mail %+v without an email", res.Recording.Mail)
		}
	})
}

// give records an email marketing grant and returns the raw token of its
// confirmation link.
func give(t *testing.T, svc *consent.Service) (consent.Result, string) {
	t.Helper()
	in := validInput()
	in.Choices = []consent.Choice{{Purpose: consent.EmailMarketing, Granted: yes()}}
	res, err := svc.Give(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(res.Recording.Mail.Data["confirm_url"])
	if err != nil {
		t.Fatal(err)
	}
	return res, u.Query().Get("token")
}

func TestConfirm(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	res, raw := give(t, svc)
	email := recordOf(t, res.Recording, consent.EmailMarketing).Subject

	if st, err := svc.Check(ctx, email, consent.EmailMarketing); err != nil || st.Status != consent.Pending {
		t.Fatalf("before confirming: %+v %v, want pending", st, err)
	}
	if err := svc.CheckConfirmation(ctx, raw); err != nil {
		t.Fatalf("CheckConfirmation: %v", err)
	}
	if err := svc.CheckConfirmation(ctx, raw); err != nil {
		t.Fatalf("CheckConfirmation consumed the token: %v", err)
	}
	c, err := svc.Confirm(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.ReceiptID != res.Recording.ReceiptID || c.Purpose != consent.EmailMarketing || c.SubjectKey != email.Key {
		t.Errorf("confirmation %+v", c)
	}
	if len(st.Confirmed()) != 1 || st.Confirmed()[0] == "" {
		t.Errorf("store confirmed %v, want one event id", st.Confirmed())
	}
	if s, err := svc.Check(ctx, email, consent.EmailMarketing); err != nil || s.Status != consent.Granted {
		t.Errorf("after confirming: %+v %v, want granted", s, err)
	}

	// Used.
	_, err = svc.Confirm(ctx, raw)
	if fault.KindOf(err) != fault.Gone {
		t.Errorf("second Confirm: %v, want fault.Gone", err)
	}
	if err := svc.CheckConfirmation(ctx, raw); fault.KindOf(err) != fault.Gone {
		t.Errorf("CheckConfirmation of a used token: %v, want fault.Gone", err)
	}
}

func TestConfirmExpired(t *testing.T) {
	ctx := context.Background()
	svc, st, c := newService(t)
	_, raw := give(t, svc)
	c.Advance(72*time.Hour - time.Second)
	if err := svc.CheckConfirmation(ctx, raw); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	c.Advance(time.Second)
	if err := svc.CheckConfirmation(ctx, raw); fault.KindOf(err) != fault.Gone {
		t.Errorf("CheckConfirmation at expiry: %v, want fault.Gone", err)
	}
	c.Advance(time.Hour)
	_, err := svc.Confirm(ctx, raw)
	if fault.KindOf(err) != fault.Gone {
		t.Errorf("Confirm after expiry: %v, want fault.Gone", err)
	}
	if len(st.Confirmed()) != 0 {
		t.Errorf("an expired token confirmed %v", st.Confirmed())
	}
}

func TestConfirmMalformedOrUnknown(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	_, raw := give(t, svc)
	before := st.Calls()
	for _, tok := range []string{"", "abc", raw + "A", raw[:42] + "\n", strings.Repeat("%", 43), "\"><script>alert(1)</script>"} {
		if _, err := svc.Confirm(ctx, tok); fault.KindOf(err) != fault.Gone {
			t.Errorf("Confirm(%q): %v, want fault.Gone", tok, err)
		}
		if err := svc.CheckConfirmation(ctx, tok); fault.KindOf(err) != fault.Gone {
			t.Errorf("CheckConfirmation(%q): %v, want fault.Gone", tok, err)
		}
	}
	if st.Calls() != before {
		t.Errorf("malformed tokens reached the store (%d calls)", st.Calls()-before)
	}
	// Well-formed but unknown.
	other, _, err := request.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Confirm(ctx, other); fault.KindOf(err) != fault.Gone {
		t.Errorf("Confirm(unknown): %v, want fault.Gone", err)
	}
	if !errors.Is(func() error { _, err := svc.Confirm(ctx, other); return err }(), consent.ErrConfirmationGone) {
		t.Error("unknown token does not return ErrConfirmationGone")
	}
}

func TestLookup(t *testing.T) {
	svc, _, _ := newService(t)
	k := newKeyer(t)
	cases := []struct {
		email, phone, browser string
		kind                  subject.Kind
		key                   string
	}{
		{" Ada.Lovelace@Example.com ", "", "", consent.Email, k.Email("ada.lovelace@example.com")},
		{"", "(415) 555-0100", "", consent.Phone, k.Phone("+14155550100")},
		{"", "", "b-0123456789abcdef", consent.BrowserID, k.Browser("b-0123456789abcdef")},
	}
	for _, tc := range cases {
		id, err := svc.Lookup(tc.email, tc.phone, tc.browser)
		if err != nil {
			t.Errorf("Lookup(%q,%q,%q): %v", tc.email, tc.phone, tc.browser, err)
			continue
		}
		if id.Kind != tc.kind || id.Key != tc.key {
			t.Errorf("Lookup(%q,%q,%q) = %+v, want %s %s", tc.email, tc.phone, tc.browser, id, tc.kind, tc.key)
		}
		if id.Value != "" {
			t.Errorf("Lookup keeps the raw value %q", id.Value)
		}
	}
	bad := []struct{ email, phone, browser, field string }{
		{"", "", "", "email"},
		{"ada@example.com", "+14155550100", "", "email"},
		{"ada@example.com", "", "b-0123456789abcdef", "email"},
		{"ada@", "", "", "email"},
		{"", "12", "", "phone"},
		{"", "", "x", "browser_id"},
	}
	for _, tc := range bad {
		_, err := svc.Lookup(tc.email, tc.phone, tc.browser)
		wantFault(t, err, fault.Invalid, tc.field)
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	svc, st, c := newService(t)
	id, err := svc.Lookup("", "+1 415 555 0100", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Check(ctx, id, "carrier_pigeon")
	wantFault(t, err, fault.Invalid, "purpose")
	if st.Calls() != 0 {
		t.Error("an unknown purpose reached the store")
	}

	s, err := svc.Check(ctx, id, consent.SMSMarketing)
	if err != nil || s.Status != consent.None || s.Purpose != consent.SMSMarketing {
		t.Errorf("no state: %+v %v, want none", s, err)
	}

	in := validInput()
	in.Choices = []consent.Choice{{Purpose: consent.SMSMarketing, Granted: yes()}}
	res, err := svc.Give(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	s, err = svc.Check(ctx, id, consent.SMSMarketing)
	// Pending until the number confirms: not a grant in effect.
	if err != nil || s.Status != consent.Pending || s.ReceiptID != res.Recording.ReceiptID || !s.Since.Equal(c.Now()) {
		t.Errorf("after grant: %+v %v", s, err)
	}
	if s, _ := svc.Check(ctx, id, consent.SMSTransactional); s.Status != consent.None {
		t.Errorf("sms_transactional: %s, want none", s.Status)
	}

	c.Advance(time.Hour)
	in.Choices = []consent.Choice{{Purpose: consent.SMSMarketing, Granted: no()}}
	in.AgeConfirmed = false
	if _, err := svc.Give(ctx, in); err != nil {
		t.Fatal(err)
	}
	if s, _ := svc.Check(ctx, id, consent.SMSMarketing); s.Status != consent.Withdrawn {
		t.Errorf("after withdrawal: %s, want withdrawn", s.Status)
	}
	states, err := svc.States(ctx, id)
	if err != nil || len(states) != 1 || states[0].Status != consent.Withdrawn {
		t.Errorf("States = %+v %v", states, err)
	}
}

func TestJurisdiction(t *testing.T) {
	cases := []struct{ country, state, want string }{
		{"DE", "", "EU"},
		{"de", "", "EU"},
		{" FR ", "", "EU"},
		{"NO", "", "EU"},
		{"IS", "", "EU"},
		{"LI", "", "EU"},
		{"US", "CA", "US-CA"},
		{"us", "ca", "US-CA"},
		{"US", "", "US"},
		{"", "", "unknown"},
		{"", "CA", "unknown"},
		{"GB", "", "GB"},
		{"CH", "", "CH"},
	}
	for _, tc := range cases {
		if got := consent.Jurisdiction(tc.country, tc.state); got != tc.want {
			t.Errorf("Jurisdiction(%q, %q) = %q, want %q", tc.country, tc.state, got, tc.want)
		}
	}
}

func TestPurposes(t *testing.T) {
	for _, p := range consent.Purposes {
		want := p == consent.EmailMarketing || p == consent.SMSMarketing
		if p.Marketing() != want {
			t.Errorf("%s.Marketing() = %v", p, p.Marketing())
		}
	}
	if !slices.Contains(consent.Purposes, consent.CookiesAdvertising) || len(consent.Purposes) != 6 {
		t.Errorf("Purposes = %v", consent.Purposes)
	}
}

// A withdrawal of email or SMS marketing must name the address or number it
// is about, or a later check of that address would never see it.
func TestWithdrawalNeedsTheChannelIdentifier(t *testing.T) {
	svc, store, _ := newService(t)
	in := validInput()
	in.Email, in.Phone, in.BrowserID = "", "", "b-0123456789abcdef"
	in.Choices = []consent.Choice{{Purpose: consent.EmailMarketing, Granted: no()}}
	_, err := svc.Give(context.Background(), in)
	wantFault(t, err, fault.Unprocessable, "subject.email")
	in.Choices = []consent.Choice{{Purpose: consent.SMSMarketing, Granted: no()}}
	_, err = svc.Give(context.Background(), in)
	wantFault(t, err, fault.Unprocessable, "subject.phone")
	if n := store.Calls(); n != 0 {
		t.Fatalf("refused withdrawals reached the store %d times", n)
	}
}

// A banner under GPC sends advertising as not granted (its box is disabled):
// that is recorded as not granted for the signal, not as a withdrawal of
// something never given.
func TestGiveGPCAdvertisingRefusedIsNotAWithdrawal(t *testing.T) {
	svc, _, _ := newService(t)
	in := validInput()
	in.GPC = true
	in.Choices = []consent.Choice{{Purpose: consent.CookiesAdvertising, Granted: no()}}
	res, err := svc.Give(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if adv := recordOf(t, res.Recording, consent.CookiesAdvertising); adv.Status != consent.NotGranted || adv.Reason == "" {
		t.Fatalf("cookies_advertising refused under GPC: %+v, want not_granted with the reason", adv)
	}
}
