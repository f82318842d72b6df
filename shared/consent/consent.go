// Package consent records consent for SMS, email, marketing and cookies so
// that it can be proven (GDPR Art. 7(1); for SMS marketing the TCPA, 47 CFR
// 64.1200: time, exact disclosure, number, IP, user agent, page), withdrawn as
// easily as given (Art. 7(3)), and checked before every send. Every change is
// an event in the person's hash-chained ledger (shared/ledger), with the
// current state per person and purpose written in the same transaction.
package consent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ids"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/policy"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/token"
)

// Purpose is what consent is given for. Consent is given, withdrawn and
// proven per purpose: consent to processing for several purposes must be
// given for each of them (GDPR Art. 6(1)(a), Recital 32).
type Purpose string

// Purposes.
const (
	EmailMarketing     Purpose = "email_marketing"
	SMSMarketing       Purpose = "sms_marketing"
	SMSTransactional   Purpose = "sms_transactional"
	CookiesFunctional  Purpose = "cookies_functional"
	CookiesAnalytics   Purpose = "cookies_analytics"
	CookiesAdvertising Purpose = "cookies_advertising"
)

// Purposes lists every purpose.
var Purposes = []Purpose{EmailMarketing, SMSMarketing, SMSTransactional, CookiesFunctional, CookiesAnalytics, CookiesAdvertising}

// Marketing reports whether the purpose is marketing, which needs an age
// confirmation: the services are not for people under 18 (the policy, §8).
func (p Purpose) Marketing() bool { return p == EmailMarketing || p == SMSMarketing }

// Kind is the kind of identifier a purpose is recorded against.
func (p Purpose) Kind() subject.Kind {
	switch p {
	case EmailMarketing:
		return Email
	case SMSMarketing, SMSTransactional:
		return Phone
	}
	return BrowserID
}

// Identifier kinds.
const (
	Email     = subject.Email
	Phone     = subject.Phone
	BrowserID = subject.BrowserID
)

// Status is the current state of one person's consent to one purpose.
type Status string

// Statuses.
const (
	Granted    Status = "granted"
	Pending    Status = "pending" // marketing by email or SMS until the address or number confirms
	Withdrawn  Status = "withdrawn"
	NotGranted Status = "not_granted" // refused, or overridden by the GPC signal
	None       Status = "none"
)

// LegalBasis is the GDPR Art. 6 basis of processing.
type LegalBasis string

// Legal bases the policy names (§13).
var legalBases = map[LegalBasis]bool{"consent": true, "contract": true, "legal_obligation": true, "legitimate_interests": true}

// Limits.
const (
	MaxDisclosure = 10000
	maxShort      = 100
	maxURL        = 2048
)

// Choice is one purpose granted or not.
type Choice struct {
	Purpose Purpose
	Granted *bool // nil: missing
}

// Disclosure is the exact text shown when the choice was made, and the
// purposes consent may be given for under it (see Catalogue). In an Input,
// Text is what the caller says it showed: empty, or the stored text.
type Disclosure struct {
	ID, Version, Text string
	Purposes          []Purpose
}

// SHA256 is the key the disclosure text is kept under as evidence.
func (d Disclosure) SHA256() string {
	h := sha256.Sum256([]byte(d.Text))
	return hex.EncodeToString(h[:])
}

// Input is a consent call as the website sends it.
type Input struct {
	Email, Phone, BrowserID string
	Choices                 []Choice
	Disclosure              *Disclosure
	SourceURL               string
	LegalBasis              string
	Locale                  string
	Country                 string
	AgeConfirmed            bool
	// Set by the server, never by the body.
	IP        string
	UserAgent string
	GPC       bool
}

// Identity is one identifier of the subject. Only an email keeps its value,
// to mail the receipt.
type Identity = subject.Identity

// Record is what the store writes for one choice.
type Record struct {
	Purpose  Purpose
	Granted  bool
	Status   Status
	Reason   string
	Subject  Identity
	EventID  string
	Sequence int64  // set by the store
	Hash     string // set by the store
}

// Recording is one consent call, written in one transaction.
type Recording struct {
	ReceiptID  string
	At         time.Time
	Records    []Record
	Disclosure Disclosure
	Fields     map[string]string // proof common to every event
	// Confirmation, when an email marketing grant waits for double
	// opt-in: its token hash and expiry.
	ConfirmTokenHash string
	ConfirmExpires   time.Time
	Mail             *mail.Intent
	// SMSCode, when an SMS marketing grant waits for its number, is the
	// one-time code's stored form, and Text the text that carries it.
	SMSCode *SMSCode
	Text    *mail.Intent
	// Policy is the privacy policy version in force when the choice was
	// made, nil when the register has none.
	Policy *policy.Version
}

// State is the current consent of one subject to one purpose.
type State struct {
	Purpose   Purpose
	Status    Status
	Since     time.Time
	ReceiptID string
}

// Confirmation is a pending double opt-in as stored.
type Confirmation struct {
	ReceiptID  string
	SubjectKey string
	Purpose    Purpose
	ExpiresAt  time.Time
	Used       bool
	// Address is the email address the link was mailed to; once the
	// grant is confirmed, the service keeps it to send the notices the
	// privacy policy promises (shared/policy).
	Address string
}

// Store is what the consent service needs from storage (shared/ddb).
type Store interface {
	// Record appends one ledger event per record and sets the state of
	// each, stores the disclosure text once per hash, and queues the
	// confirmation token and the mail, in one transaction. It fills each
	// record's Sequence and Hash.
	Record(ctx context.Context, r *Recording) error
	// States returns the current consent of a subject, by purpose.
	States(ctx context.Context, subjectKey string) ([]State, error)
	// Confirmation returns a pending confirmation; fault.Gone when none.
	Confirmation(ctx context.Context, tokenHash string) (Confirmation, error)
	// Confirm consumes the token and grants the purpose: a ledger event and
	// the state, in one transaction; fault.Gone if used or expired
	// meanwhile.
	Confirm(ctx context.Context, tokenHash string, c Confirmation, at time.Time, eventID string) error
}

// Config is what the service needs besides its store.
type Config struct {
	Keyer *subject.Keyer
	// Phone reads phone numbers (shared/subject/phone).
	Phone subject.PhoneNormaliser
	// TextsTo says whether the service may text a code to a number
	// (shared/subject/phone.TextsTo); nil texts every number (tests).
	TextsTo       func(e164 string) bool
	PublicBaseURL string
	PolicyURL     string
	// Disclosures is the catalogue of texts consent may be given under;
	// nil is the one kept in the repository (Disclosures()).
	Disclosures *Catalogue
	// Policy finds the privacy policy version in force (shared/policy);
	// nil cites none.
	Policy PolicyInForce
	// Zone is the company's time zone; receipts show the time in it. The
	// zero Zone is deadline.DefaultZone.
	Zone deadline.Zone
	Now  func() time.Time
}

// PolicyInForce finds the version of the privacy policy in force at a
// time: what the person was told when they chose, which the receipt and
// the evidence cite (GDPR Art. 7(1), Art. 13).
type PolicyInForce interface {
	InForce(ctx context.Context, at time.Time) (policy.Version, bool, error)
}

// Service records and confirms consent.
type Service struct {
	store    Store
	codes    CodeStore // the store, when it keeps one-time codes
	cfg      Config
	ids      *ids.Source
	subjects *subject.Identifier
}

// NewService returns a Service.
func NewService(store Store, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Disclosures == nil {
		cfg.Disclosures = Disclosures()
	}
	codes, _ := store.(CodeStore)
	return &Service{store: store, codes: codes, cfg: cfg, ids: ids.NewSource(), subjects: subject.NewIdentifier(cfg.Keyer, cfg.Phone)}
}

func (s *Service) newID() string {
	return s.ids.At(s.cfg.Now())
}

// Disclosures returns the catalogue the service records consent under.
func (s *Service) Disclosures() *Catalogue { return s.cfg.Disclosures }

// ConfirmLifetime is how long a double opt-in link works.
const ConfirmLifetime = token.Lifetime

// Result is what a consent call returns.
type Result struct {
	Recording            Recording
	Subjects             []Identity
	Jurisdiction         string
	ConfirmationRequired bool
}

// Give records the choices of one call. A refused call records nothing.
func (s *Service) Give(ctx context.Context, in Input) (Result, error) {
	ids, phoneE164, shown, err := s.validate(in)
	if err != nil {
		return Result{}, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	rec := Recording{ReceiptID: s.newID(), At: now, Disclosure: shown}
	basis := in.LegalBasis
	if basis == "" {
		basis = "consent"
	}
	jur := Jurisdiction(in.Country, "")
	rec.Fields = map[string]string{
		"receipt_id": rec.ReceiptID, "disclosure_sha256": shown.SHA256(),
		"disclosure_id": shown.ID, "disclosure_version": shown.Version,
		"source_url": in.SourceURL, "legal_basis": basis, "locale": in.Locale,
		"age_confirmed": boolText(in.AgeConfirmed), "ip": in.IP, "user_agent": in.UserAgent,
		"gpc": boolText(in.GPC), "jurisdiction": jur,
	}
	if err := s.citePolicy(ctx, &rec); err != nil {
		return Result{}, err
	}
	var email *Identity
	for i := range ids {
		if ids[i].Kind == Email {
			email = &ids[i]
		}
	}
	res := Result{Subjects: ids, Jurisdiction: jur}
	var confirmURL string
	for _, c := range in.Choices {
		r := Record{Purpose: c.Purpose, Granted: *c.Granted, Subject: target(ids, c.Purpose), EventID: s.newID()}
		switch {
		case c.Purpose == CookiesAdvertising && in.GPC:
			// The browser's Global Privacy Control signal is an opt-out of
			// sharing for advertising (11 CCR §7025): recorded, not granted.
			r.Granted, r.Status = false, NotGranted
			r.Reason = "The browser sent the Global Privacy Control signal, which we honour as an opt-out of sharing for advertising."
		case !r.Granted:
			r.Status = Withdrawn
		case c.Purpose == EmailMarketing:
			// Double opt-in: granted once the person confirms from the mail.
			r.Status = Pending
			raw, hash, err := token.New()
			if err != nil {
				return Result{}, err
			}
			rec.ConfirmTokenHash, rec.ConfirmExpires = hash, now.Add(ConfirmLifetime)
			confirmURL = strings.TrimRight(s.cfg.PublicBaseURL, "/") + "/v1/consents/confirm?token=" + url.QueryEscape(raw)
			res.ConfirmationRequired = true
		case c.Purpose == SMSMarketing:
			// Prior express written consent must come from the number's
			// subscriber (47 CFR 64.1200(a)(2), (f)(9)), and anyone can
			// type a number: the grant waits until the number itself
			// confirms it with the code texted to it (ConfirmCode). Until
			// then the check answers not allowed.
			r.Status = Pending
			res.ConfirmationRequired = true
			if s.cfg.TextsTo != nil && !s.cfg.TextsTo(phoneE164) {
				var refuse fault.Fields
				refuse.Add("subject.phone", "marketing texts go to US mobile numbers only")
				return Result{}, refuse.Refuse("The consent cannot be recorded as given.")
			}
			if err := s.smsCodeFor(&rec, r, phoneE164); err != nil {
				return Result{}, err
			}
		default:
			r.Status = Granted
		}
		rec.Records = append(rec.Records, r)
	}
	if email != nil {
		// The receipt counts against the address's daily cap: anyone can
		// type any address into the consent form.
		rec.Mail = &mail.Intent{ID: s.newID(), Template: mail.ConsentReceipt, To: email.Value, RecipientKey: email.Key, Data: map[string]string{
			"receipt_id": rec.ReceiptID, "at": s.cfg.Zone.Time(now),
			"choices": choicesText(rec.Records), "disclosure": shown.Text,
		}}
		if confirmURL != "" {
			rec.Mail.Data["confirm_url"] = confirmURL
		}
		if textsWanted(rec.Records) {
			rec.Mail.Data["texts"] = "yes"
		}
		if rec.Policy != nil {
			rec.Mail.Data["policy_version"] = rec.Policy.ID
			rec.Mail.Data["policy_effective_at"] = rec.Policy.EffectiveAt.UTC().Format("2 January 2006")
		}
		// Every consent receipt concerns marketing consent by mail, so it
		// carries the one-click link that withdraws it (RFC 8058).
		if u := s.UnsubscribeURL(email.Key, now); u != "" {
			rec.Mail.Data[mail.UnsubscribeKey] = u
		}
	}
	if err := s.store.Record(ctx, &rec); err != nil {
		return Result{}, err
	}
	res.Recording = rec
	return res, nil
}

// citePolicy notes on the recording, and in the proof each event keeps,
// the privacy policy version in force at the recording's time.
func (s *Service) citePolicy(ctx context.Context, rec *Recording) error {
	if s.cfg.Policy == nil {
		return nil
	}
	v, ok, err := s.cfg.Policy.InForce(ctx, rec.At)
	if err != nil || !ok {
		return err
	}
	rec.Policy = &v
	rec.Fields["policy_version"], rec.Fields["policy_sha256"] = v.ID, v.TextSHA256
	return nil
}

// target is the identifier a purpose is recorded against: email marketing on
// the email, SMS on the phone, cookies on the browser id (else the email or
// phone).
func target(ids []Identity, p Purpose) Identity {
	for _, id := range ids {
		if id.Kind == p.Kind() {
			return id
		}
	}
	return ids[0]
}

// validate checks a call: malformed input is Invalid (400); well-formed input
// a rule forbids is Unprocessable (422), judged only once the input is
// well-formed. It returns the identities (only the email keeps its value),
// the phone number in E.164 (to text a code to; empty when none was given)
// and the catalogued disclosure the consent was given under.
func (s *Service) validate(in Input) ([]Identity, string, Disclosure, error) {
	var errs fault.Fields
	// The body nests the identifiers under "subject".
	ids, err := s.subjects.Identify(subject.Given{Email: in.Email, Phone: in.Phone, BrowserID: in.BrowserID, Country: in.Country},
		subject.Form{Count: subject.AtLeastOne, Prefix: "subject."}, &errs)
	if err != nil {
		return nil, "", Disclosure{}, err
	}
	var e164 string
	for i, id := range ids {
		if id.Kind == Phone {
			e164 = id.Value
		}
		// Only the email's value is kept, to mail the receipt (and the
		// number's, apart, to text a code).
		if id.Kind != Email {
			ids[i] = id.KeyOnly()
		}
	}
	if !checkChoices(&errs, in.Choices) {
		return nil, "", Disclosure{}, errs.Err()
	}
	checkDisclosure(&errs, in.Disclosure)
	checkProof(&errs, in)
	if err := errs.Err(); err != nil {
		return nil, "", Disclosure{}, err
	}
	var refuse fault.Fields
	shown := s.catalogued(&refuse, in)
	refusal(&refuse, in, ids)
	if err := refuse.Refuse("The consent cannot be recorded as given."); err != nil {
		return nil, "", Disclosure{}, err
	}
	return ids, e164, shown, nil
}

// catalogued finds the disclosure a call names in the catalogue (422 when
// it is not there): a text sent along must be the stored one, and each
// purpose must be one the disclosure asks consent for.
func (s *Service) catalogued(refuse *fault.Fields, in Input) Disclosure {
	d, ok := s.cfg.Disclosures.Find(in.Disclosure.ID, in.Disclosure.Version)
	if !ok {
		refuse.Add("disclosure", "unknown disclosure id and version; use one GET /v1/disclosures lists")
		return Disclosure{}
	}
	if in.Disclosure.Text != "" && in.Disclosure.Text != d.Text {
		refuse.Add("disclosure.text", "is not the text of this disclosure version; show the words GET /v1/disclosures gives, or send only id and version")
	}
	for i, c := range in.Choices {
		if !d.Covers(c.Purpose) {
			refuse.Add("events["+strconv.Itoa(i)+"].purpose", "the disclosure "+d.ID+" does not ask consent for this purpose")
		}
	}
	return d
}

// checkChoices checks the events: at least one, each a known purpose at most
// once, granted or not. It returns false when there are more events than
// purposes, which is not read further.
func checkChoices(errs *fault.Fields, choices []Choice) bool {
	if len(choices) == 0 {
		errs.Add("events", "give at least one consent event")
	}
	if len(choices) > len(Purposes) {
		errs.Add("events", "at most one event per purpose")
		return false
	}
	seen := map[Purpose]bool{}
	for i, c := range choices {
		f := "events[" + strconv.Itoa(i) + "]"
		if !known(c.Purpose) {
			errs.Add(f+".purpose", "unknown purpose; use one of email_marketing, sms_marketing, sms_transactional, cookies_functional, cookies_analytics, cookies_advertising")
		} else if seen[c.Purpose] {
			errs.Add(f+".purpose", "each purpose at most once per call")
		}
		seen[c.Purpose] = true
		if c.Granted == nil {
			errs.Add(f+".granted", "must be true or false")
		}
	}
	return true
}

// checkDisclosure checks the disclosure shown, whose exact text is the proof
// of what was agreed to (GDPR Art. 7(1)).
func checkDisclosure(errs *fault.Fields, d *Disclosure) {
	if d == nil {
		errs.Add("disclosure", "give the disclosure shown: its id and version")
		return
	}
	short(errs, "disclosure.id", d.ID, true)
	short(errs, "disclosure.version", d.Version, true)
	// The text is optional: the stored one is recorded. One sent along is
	// checked against it (422) once it is well-formed.
	switch {
	case d.Text == "":
	case !utf8.ValidString(d.Text):
		errs.Add("disclosure.text", "must be valid UTF-8 text")
	case utf8.RuneCountInString(d.Text) > MaxDisclosure:
		errs.Add("disclosure.text", "is too long")
	}
}

// checkProof checks the rest of what each event records: the page, the legal
// basis, the locale and the country.
func checkProof(errs *fault.Fields, in Input) {
	if in.SourceURL != "" {
		u, err := url.Parse(in.SourceURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(in.SourceURL) > maxURL {
			errs.Add("source_url", "must be the http(s) address of the page")
		}
	}
	if in.LegalBasis != "" && !legalBases[LegalBasis(in.LegalBasis)] {
		errs.Add("legal_basis", "use one of consent, contract, legal_obligation, legitimate_interests")
	}
	short(errs, "locale", in.Locale, false)
	if in.Country != "" {
		if _, err := subject.NormaliseCountry(in.Country); err != nil {
			errs.Add("country", err.Error())
		}
	}
}

// refusal applies the consent rules to a well-formed call (422).
func refusal(refuse *fault.Fields, in Input, ids []Identity) {
	for _, c := range in.Choices {
		if *c.Granted && c.Purpose.Marketing() && !in.AgeConfirmed {
			refuse.Add("age_confirmed", "marketing consent needs confirmation that the person is 18 or older")
		}
		// Email and SMS choices, given or withdrawn, are about one address
		// or number, which must be named so that later checks find them.
		switch c.Purpose.Kind() {
		case Email:
			if _, ok := subject.Find(ids, Email); !ok {
				refuse.Add("subject.email", "email marketing choices need the email address they are for")
			}
		case Phone:
			if _, ok := subject.Find(ids, Phone); !ok {
				// SMS marketing needs prior express written consent for
				// the number (47 CFR 64.1200(a)(2)).
				refuse.Add("subject.phone", "SMS choices need the phone number they are for")
			}
		}
	}
}

// Jurisdiction names the law that applies: the EU/EEA, a US state, or the
// country.
func Jurisdiction(country, state string) string {
	c := strings.ToUpper(strings.TrimSpace(country))
	switch {
	case c == "":
		return "unknown"
	case deadline.RegimeFor(c, "") == deadline.GDPR:
		return "EU"
	case c == "US" && state != "":
		return "US-" + strings.ToUpper(state)
	}
	return c
}

func known(p Purpose) bool {
	for _, k := range Purposes {
		if p == k {
			return true
		}
	}
	return false
}

func short(errs *fault.Fields, field, s string, required bool) {
	switch {
	case strings.TrimSpace(s) == "":
		if required {
			errs.Add(field, "this field is required")
		}
	case len(s) > maxShort || strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		errs.Add(field, "must be a short single line")
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// choicesText is a receipt's list of choices, one a line, in words: the
// person reads what they chose, not the service's names for it.
func choicesText(rs []Record) string {
	lines := make([]string, len(rs))
	for i, r := range rs {
		lines[i] = r.Purpose.Label() + ": " + r.choiceText()
	}
	return strings.Join(lines, "\n")
}

// Label is how receipts name a purpose.
func (p Purpose) Label() string {
	switch p {
	case EmailMarketing:
		return "Email marketing"
	case SMSMarketing:
		return "Marketing text messages"
	case SMSTransactional:
		return "Text messages about your account"
	case CookiesFunctional:
		return "Functional cookies"
	case CookiesAnalytics:
		return "Analytics cookies"
	case CookiesAdvertising:
		return "Advertising cookies"
	}
	return string(p)
}

// choiceText says where one choice stands, in words.
func (r Record) choiceText() string {
	switch r.Status {
	case Granted:
		return "yes, you agreed"
	case Pending:
		if r.Purpose.Kind() == Phone {
			return "waiting for you to confirm with the code we texted you"
		}
		return "waiting for you to confirm"
	case NotGranted:
		if r.Reason != "" {
			return "no: your browser sent the Global Privacy Control signal, which we honour"
		}
		return "no"
	case Withdrawn:
		return "no"
	}
	return "no choice recorded"
}

// textsWanted reports whether a recording touches texts, so that its
// receipt says how to stop them (reply STOP).
func textsWanted(rs []Record) bool {
	for _, r := range rs {
		if r.Purpose.Kind() == Phone {
			return true
		}
	}
	return false
}

// ErrConfirmationGone is returned for unknown, used and expired confirmation
// links alike.
var ErrConfirmationGone = fault.New(fault.Gone, "This confirmation link is no longer valid. It may have been used already or have expired.")

func (s *Service) usable(ctx context.Context, raw string) (string, Confirmation, error) {
	hash, ok := token.Hash(raw)
	if !ok {
		return "", Confirmation{}, ErrConfirmationGone
	}
	c, err := s.store.Confirmation(ctx, hash)
	if fault.KindOf(err) == fault.Gone {
		return "", Confirmation{}, ErrConfirmationGone
	}
	if err != nil {
		return "", Confirmation{}, err
	}
	if c.Used || !s.cfg.Now().Before(c.ExpiresAt) {
		return "", Confirmation{}, ErrConfirmationGone
	}
	return hash, c, nil
}

// CheckConfirmation tells whether a double opt-in link can still be used,
// changing nothing (mail scanners fetch links).
func (s *Service) CheckConfirmation(ctx context.Context, raw string) error {
	_, _, err := s.usable(ctx, raw)
	return err
}

// Confirm consumes a double opt-in link and grants its purpose.
func (s *Service) Confirm(ctx context.Context, raw string) (Confirmation, error) {
	hash, c, err := s.usable(ctx, raw)
	if err != nil {
		return Confirmation{}, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	if err := s.store.Confirm(ctx, hash, c, now, s.newID()); err != nil {
		if fault.KindOf(err) == fault.Gone || fault.KindOf(err) == fault.Conflict {
			return Confirmation{}, ErrConfirmationGone
		}
		return Confirmation{}, err
	}
	return c, nil
}

// Lookup identifies the one subject a staff query names. The identity holds
// only the key: a lookup needs no more of the person's data.
func (s *Service) Lookup(email, phone, browserID string) (Identity, error) {
	var errs fault.Fields
	ids, err := s.subjects.Identify(subject.Given{Email: email, Phone: phone, BrowserID: browserID},
		subject.Form{Count: subject.ExactlyOne}, &errs)
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return Identity{}, err
	}
	return ids[0].KeyOnly(), nil
}

// LookupBrowser identifies a browser by its id alone, for a question the
// browser asks about itself; the identity holds only the key.
func (s *Service) LookupBrowser(browserID string) (Identity, error) {
	var errs fault.Fields
	ids, err := s.subjects.Identify(subject.Given{BrowserID: browserID},
		subject.Form{Kinds: []subject.Kind{BrowserID}, Count: subject.ExactlyOne}, &errs)
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return Identity{}, err
	}
	return ids[0].KeyOnly(), nil
}

// States returns a subject's current consent by purpose.
func (s *Service) States(ctx context.Context, id Identity) ([]State, error) {
	return s.store.States(ctx, id.Key)
}

// Check answers whether a send for a purpose is allowed now: only a granted
// consent allows it.
func (s *Service) Check(ctx context.Context, id Identity, p Purpose) (State, error) {
	if !known(p) {
		var f fault.Fields
		f.Add("purpose", "unknown purpose")
		return State{}, f.Err()
	}
	states, err := s.store.States(ctx, id.Key)
	if err != nil {
		return State{}, err
	}
	for _, st := range states {
		if st.Purpose == p {
			return st, nil
		}
	}
	return State{Purpose: p, Status: None}, nil
}
