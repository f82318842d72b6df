package request

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ids"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/token"
)

// TokenLifetime is how long a verification link works.
const TokenLifetime = token.Lifetime

// Store is what the request service needs from storage. shared/ddb implements
// it; every method that writes is all-or-nothing.
type Store interface {
	// Create writes the request, its first audit event, its verification
	// token (when TokenHash is set), its mail and its idempotency record in
	// one transaction. If the idempotency key is taken it returns an
	// *IdempotencyHit and writes nothing.
	Create(ctx context.Context, c Creation) error
	// Get returns a request; fault.NotFound when there is none.
	Get(ctx context.Context, id string) (Request, error)
	// Token returns what a verification token hash refers to;
	// fault.Gone when there is none.
	Token(ctx context.Context, tokenHash string) (Token, error)
	// Verify consumes the token and moves the request to Verified in one
	// transaction. It returns fault.Gone if the token was used or expired
	// meanwhile, fault.Conflict if the request changed.
	Verify(ctx context.Context, v Verification) error
	// IdempotentRequest returns the request earlier stored under an
	// idempotency key hash, with the hash of the body that made it;
	// fault.NotFound when there is none.
	IdempotentRequest(ctx context.Context, keyHash string) (id, bodyHash string, err error)
	// Update writes a changed request, its audit event and its mail in one
	// transaction, on the condition that the stored version is still
	// FromVersion; fault.Conflict when it is not.
	Update(ctx context.Context, c Change) error
	// Events returns a request's audit history, oldest first.
	Events(ctx context.Context, id string) ([]Event, error)
	// MailLog returns the mail queued for a request, oldest first: what and
	// where it stands (a mail held over its recipient's cap with the
	// reason), never its address or content.
	MailLog(ctx context.Context, id string) ([]mail.Record, error)
	// Queue returns requests of one status ordered by due date, due before
	// dueBefore when it is set, limit at most, from cursor on; the next
	// cursor is empty on the last page. A malformed cursor is
	// fault.Invalid.
	Queue(ctx context.Context, status Status, dueBefore time.Time, cursor string, limit int) ([]Request, string, error)
}

// Change is one staff or system change of a request.
type Change struct {
	Request     Request // the new state, Version already increased
	FromVersion int
	Event       Event
	Mail        *mail.Intent
	// TokenHash and TokenExpiresAt, when set, store a new verification
	// token (Resend).
	TokenHash      string
	TokenExpiresAt time.Time
	// VoidTokenHash, when set, is the link the new one replaces: it is
	// marked used in the same transaction, so only the newest link works.
	VoidTokenHash string
}

// Creation is everything written when a request is taken.
type Creation struct {
	Request        Request
	Event          Event
	TokenHash      string
	TokenExpiresAt time.Time
	// Mail is the receipt; none (no ID) when the person gave no email
	// address. Extra are further mails of the creation (the agent's
	// receipt).
	Mail  mail.Intent
	Extra []mail.Intent
	// IdempotencyKeyHash and BodyHash are set when the client sent an
	// Idempotency-Key.
	IdempotencyKeyHash string
	BodyHash           string
	IdempotencyExpires time.Time
	// DuplicateKey, set when the client sent no Idempotency-Key, names the
	// person and the types asked for (DuplicateKey): the store writes it
	// with the request on the condition that no request made under it is
	// younger than DuplicateWindow, and otherwise answers with that
	// request (*Duplicate) and writes nothing.
	DuplicateKey string
}

// IdempotencyHit means the idempotency key was already used.
type IdempotencyHit struct{}

func (IdempotencyHit) Error() string { return "idempotency key already used" }

// Duplicate means the same person asked for the same types within
// DuplicateWindow: RequestID is the request they made then.
type Duplicate struct{ RequestID string }

func (*Duplicate) Error() string { return "the same request was made moments ago" }

// DuplicateWindow is how long a submission of the same types by the same
// person is the first request again: a double click, a reload that posts the
// form again, or a client retrying without an Idempotency-Key gets the
// request it already made, and no second receipt. Ten minutes covers such
// retries; a person who means to ask again later is not held up long. The
// store keeps the record that long (retention.DuplicateGuard).
const DuplicateWindow = 10 * time.Minute

// DuplicateKey is what makes two submissions the same request: the person
// (the subject key of the address), the set of types asked for, in a fixed
// order, and a digest of everything else the form said. A double submit
// repeats the whole form; a stranger who types only someone's address and
// the same types makes a request of their own and learns nothing of the
// one made moments before (its id, time or status). The digest is keyed
// with the pepper (subject.Keyer.Digest), so the stored key cannot be
// checked against guessed names or details.
func DuplicateKey(keyer *subject.Keyer, r Request) string {
	types := make([]string, 0, len(r.Types))
	for _, t := range r.Types {
		if !slices.Contains(types, string(t)) {
			types = append(types, string(t))
		}
	}
	slices.Sort(types)
	content := []string{
		r.SubjectKey, string(r.Channel), r.FirstName, r.LastName, r.Email, r.Phone, r.PracticeName,
		r.Country, r.State, r.Details, r.Correction, strconv.FormatBool(r.OnBehalf), r.AgentName, r.AgentEmail,
	}
	for _, c := range r.Corrections {
		content = append(content, c.Item, c.CurrentValue, c.CorrectedValue, c.Documentation)
	}
	return r.SubjectKey + "#" + strings.Join(types, ",") + "#" + keyer.Digest("request-form", content...)[:32]
}

// Token is a stored verification token.
type Token struct {
	RequestID string
	ExpiresAt time.Time
	Used      bool
}

// Verification is the change made when a token is confirmed.
type Verification struct {
	TokenHash string
	Request   Request // the request as read, Version included
	At        time.Time
	Event     Event
	Mail      mail.Intent
	// Jobs tell the company's other systems to act on the rights the
	// request asks for, now that the requester is verified; written in the
	// same transaction.
	Jobs []reach.Job
	// Method and Note say how staff verified the person (empty when the
	// link was followed, with TokenHash set); Vouch lists identifiers
	// staff vouch are this person's: each pair is linked as vouched.
	Method string
	Note   string
	Vouch  []subject.Identity
	// VoidTokenHash is the mailed link a staff verification leaves unused:
	// it is marked used in the same transaction.
	VoidTokenHash string
}

// OptOuts applies, at once and without verification, the rights that need
// none (11 CCR §7060(b)): opt-out of sale/sharing and limiting the use of
// sensitive data. shared/optout implements it.
type OptOuts interface {
	ApplyRequest(ctx context.Context, r Request) (effectiveAt time.Time, err error)
}

// Config holds what the service needs besides its store.
type Config struct {
	// OptOuts applies opt_out and limit_sensitive; nil leaves them to staff.
	OptOuts OptOuts
	// Marketing applies an objection to direct marketing at once; nil
	// leaves it to staff.
	Marketing Marketing
	// PublicBaseURL is the API's public address; links in mail are built
	// from it, never from a Host header.
	PublicBaseURL string
	Keyer         *subject.Keyer
	// Phone reads phone numbers (shared/subject/phone); nil for a service
	// that takes no request, like the watch's.
	Phone subject.PhoneNormaliser
	// Systems is the register of the company's systems: a verified
	// request writes a job for each that must act on it (shared/reach).
	// nil writes none.
	Systems *reach.Register
	// Jobs reads a request's jobs, so that a request is not completed
	// while a system has not answered its deletion; nil checks none.
	Jobs Jobs
	// Zone is the company's time zone: the clocks count its days and the
	// mail shows dates in it. The zero Zone is deadline.DefaultZone.
	Zone deadline.Zone
	Now  func() time.Time
}

// Jobs reads the jobs a request wrote (shared/ddb.Jobs).
type Jobs interface {
	OfRequest(ctx context.Context, subjectKey, requestID string) ([]reach.Job, error)
}

// Service takes and verifies requests.
type Service struct {
	store    Store
	cfg      Config
	ids      *ids.Source
	subjects *subject.Identifier
}

// NewService returns a Service.
func NewService(store Store, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: store, cfg: cfg, ids: ids.NewSource(), subjects: subject.NewIdentifier(cfg.Keyer, cfg.Phone)}
}

// NewID returns an id that sorts by time.
func (s *Service) NewID(t time.Time) string {
	return s.ids.At(t)
}

// Submission is a validated input with the facts around it.
type Submission struct {
	Input Input
	// DecodeErrors are the fields the body decoder could not read.
	DecodeErrors fault.Fields
	Channel      Channel
	// IdempotencyKey is the client's Idempotency-Key header, if any; Body
	// is the raw body, used to tell a retry from a different request under
	// the same key.
	IdempotencyKey string
	Body           []byte
	// EnteredBy is the staff member who entered a request received by
	// email, phone or letter (the audit history's actor); empty for the
	// public form, whose actor is the requester.
	EnteredBy string
	// ReceivedAt is when a request staff enter reached the company (its
	// clock runs from then); zero means now. Only staff channels set it.
	ReceivedAt time.Time
	// Protocol is the authorized agent of a request sent by the Data
	// Rights Protocol (channel Agent); nil otherwise. AgentPermission is
	// then what stands for the consumer's signed permission (11 CCR
	// §7063(a)): the agent's signed request under the protocol's system
	// rules, and the power of attorney it references, if any; it is
	// recorded at receipt.
	Protocol        *ProtocolAgent
	AgentPermission string
}

// Submit validates and stores a new request with its receipt mail.
func (s *Service) Submit(ctx context.Context, sub Submission) (Receipt, error) {
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	in, prior := sub.Input, sub.DecodeErrors
	in.Offline = sub.Channel.Offline()
	in.Protocol = sub.Channel == Agent
	receivedAt := receiptTime(&prior, sub, now)
	r, err := Validate(s.subjects, in, prior)
	if err != nil {
		return Receipt{}, err
	}
	s.postalKey(&r)
	if sub.Protocol != nil {
		r.Protocol = sub.Protocol
		r.AgentPermission, r.AgentPermissionAt = sub.AgentPermission, now
	}
	keyHash, bodyHash, err := idempotencyHashes(r.SubjectKey, sub.IdempotencyKey, sub.Body)
	if err != nil {
		return Receipt{}, err
	}
	if keyHash != "" {
		if rc, ok, err := s.replay(ctx, keyHash, bodyHash); ok || err != nil {
			return rc, err
		}
	}

	c, verifyURL, err := s.received(r, sub.Channel, receivedAt, now)
	if err != nil {
		return Receipt{}, err
	}
	if sub.EnteredBy != "" {
		c.Event.Actor = sub.EnteredBy
	}
	optOutAt, err := s.applyOptOuts(ctx, &c, now)
	if err != nil {
		return Receipt{}, err
	}
	s.receipts(&c, verifyURL, now)
	if optOutAt != "" && c.Mail.ID != "" {
		c.Mail.Data["optout_effective"] = optOutAt
		// The receipt names only the rights this request used.
		for _, t := range c.Request.Immediate() {
			switch t {
			case OptOut:
				c.Mail.Data["sale_stopped"] = "yes"
			case LimitSensitive:
				c.Mail.Data["limit_applied"] = "yes"
			}
		}
	}
	if objectedAt, err := s.applyObjection(ctx, &c); err != nil {
		return Receipt{}, err
	} else if objectedAt != "" {
		c.Mail.Data["marketing_stopped"] = objectedAt
	}
	if keyHash != "" {
		c.IdempotencyKeyHash, c.BodyHash = keyHash, bodyHash
		c.IdempotencyExpires = now.Add(24 * time.Hour)
	}
	if keyHash == "" {
		// Without a key, a repeat of the same types by the same person
		// within the window is the first request. A client that sends keys
		// has said itself which posts are retries.
		c.DuplicateKey = DuplicateKey(s.cfg.Keyer, c.Request)
	}
	if err := s.store.Create(ctx, c); err != nil {
		var hit IdempotencyHit
		if errors.As(err, &hit) {
			// Another attempt with the same key won the race.
			if rc, ok, err := s.replay(ctx, keyHash, bodyHash); ok || err != nil {
				return rc, err
			}
		}
		var dup *Duplicate
		if errors.As(err, &dup) {
			// The same person asked for the same types moments ago:
			// that request is the answer, and no second receipt goes out.
			first, err := s.store.Get(ctx, dup.RequestID)
			if err != nil {
				return Receipt{}, err
			}
			return ReceiptOf(first), nil
		}
		return Receipt{}, err
	}
	return ReceiptOf(c.Request), nil
}

// idempotencyHashes checks the client's Idempotency-Key and returns its
// hash and the body's, or nothing when there is no key. The key's hash is
// scoped by the submitter (the subject key of the address the request is
// for): keys are chosen by clients, so another person sending the same key
// gets a request of their own, never someone else's request back.
func idempotencyHashes(subjectKey, key string, body []byte) (keyHash, bodyHash string, err error) {
	k := strings.TrimSpace(key)
	if k == "" {
		return "", "", nil
	}
	if len(k) > 255 || strings.IndexFunc(k, notKeyChar) >= 0 {
		var f fault.Fields
		f.Add("Idempotency-Key", "must be at most 255 printable ASCII characters")
		return "", "", f.Err()
	}
	return hashHex([]byte(subjectKey + "\x00" + k)), hashHex(body), nil
}

// notKeyChar reports a character an Idempotency-Key may not hold: the key
// is a structured-field string (RFC 8941 §3.3.3), printable ASCII only.
func notKeyChar(r rune) bool { return r < 0x20 || r > 0x7e }

// received makes the new request's record as received at now: its id,
// channel, regime and due date, the "received" event, and, when the request
// must be verified, the verification token, whose link it returns.
func (s *Service) received(r Request, channel Channel, at, now time.Time) (Creation, string, error) {
	r.ID = s.NewID(now)
	r.Channel = channel
	if r.Channel == "" {
		r.Channel = Web
	}
	// The clock runs from the day the request reached the company, by
	// whatever channel, not from the day staff typed it in (11 CCR
	// §7021(b); GDPR Art. 12(3)).
	r.ReceivedAt = at
	if !at.Equal(now) {
		r.EnteredAt = now
	}
	r.Regime = deadline.RegimeFor(r.Country, r.State)
	r.DueAt = s.cfg.Zone.Due(r.Regime, at)
	if !r.VerificationRequired() {
		// Opt-out of sale/sharing and limiting sensitive data are acted on
		// within 15 business days (11 CCR §7026(f), §7027(g)).
		r.DueAt = s.cfg.Zone.OptOutBy(at)
	}
	r.Version = 1
	r.Status = Received
	c := Creation{
		Request: r,
		Event:   Event{ID: s.NewID(now), At: now, Action: "received", To: Received, Actor: "requester"},
	}
	var verifyURL string
	if r.VerificationRequired() {
		c.Request.Status = PendingVerification
		c.Event.To = PendingVerification
		if r.Email == "" {
			// No address to mail a link to: staff verify the person
			// by the channel they came by (the verify action).
			return c, "", nil
		}
		raw, hash, err := NewToken()
		if err != nil {
			return Creation{}, "", err
		}
		c.TokenHash, c.TokenExpiresAt = hash, now.Add(TokenLifetime)
		c.Request.TokenHash = hash
		verifyURL = s.verifyURL(raw)
	}
	return c, verifyURL, nil
}

// verifyURL is the link a raw verification token is confirmed at, on the
// service's public address (never the caller's Host header).
func (s *Service) verifyURL(raw string) string {
	return strings.TrimRight(s.cfg.PublicBaseURL, "/") + "/v1/verify?token=" + url.QueryEscape(raw)
}

// applyOptOuts applies at once the rights the request asks for that need no
// verification, notes them on the received event, and completes a request
// that asks for nothing else. It returns when they took effect, for the
// receipt, or "" when there were none.
func (s *Service) applyOptOuts(ctx context.Context, c *Creation, now time.Time) (string, error) {
	applies := c.Request.Immediate()
	if len(applies) == 0 || s.cfg.OptOuts == nil {
		return "", nil
	}
	// Applied before the request is stored: if storing fails, the opt-out
	// stands, which is what the person asked for, and a retry finds it in
	// force.
	at, err := s.cfg.OptOuts.ApplyRequest(ctx, c.Request)
	if err != nil {
		return "", err
	}
	c.Event.Note = "opt-out applied: " + joinTypes(applies)
	if !c.Request.VerificationRequired() {
		c.Request.Status, c.Event.To = Completed, Completed
		c.Request.ClosedAt = now
	}
	return s.cfg.Zone.Time(at), nil
}

// replay answers a retried submission with the receipt of the request the
// key first made; the same key with another body is a conflict.
func (s *Service) replay(ctx context.Context, keyHash, bodyHash string) (Receipt, bool, error) {
	id, prevBody, err := s.store.IdempotentRequest(ctx, keyHash)
	if fault.KindOf(err) == fault.NotFound {
		return Receipt{}, false, nil
	}
	if err != nil {
		return Receipt{}, false, err
	}
	if prevBody != bodyHash {
		return Receipt{}, true, fault.New(fault.Conflict, "This Idempotency-Key was already used for a different request.")
	}
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return Receipt{}, true, err
	}
	return ReceiptOf(r), true, nil
}

// ErrTokenGone is returned for unknown, used and expired tokens alike, so a
// caller learns nothing about which tokens exist.
var ErrTokenGone = fault.New(fault.Gone, "This verification link is no longer valid. It may have been used already or have expired.")

// CheckToken tells whether a raw token can still be confirmed, changing
// nothing (mail scanners fetch links).
func (s *Service) CheckToken(ctx context.Context, raw string) error {
	_, err := s.usableToken(ctx, raw)
	return err
}

func (s *Service) usableToken(ctx context.Context, raw string) (Token, error) {
	hash, ok := TokenHash(raw)
	if !ok {
		return Token{}, ErrTokenGone
	}
	t, err := s.store.Token(ctx, hash)
	if fault.KindOf(err) == fault.Gone {
		return Token{}, ErrTokenGone
	}
	if err != nil {
		return Token{}, err
	}
	if t.Used || !s.cfg.Now().Before(t.ExpiresAt) {
		return Token{}, ErrTokenGone
	}
	return t, nil
}

// Confirm consumes a verification token and marks its request verified.
func (s *Service) Confirm(ctx context.Context, raw string) (Request, error) {
	r, err := s.TokenRequest(ctx, raw)
	if err != nil {
		return Request{}, err
	}
	// An erased request has nobody left to verify.
	if r.Status != PendingVerification || r.Email == "" {
		return Request{}, ErrTokenGone
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	hash, _ := TokenHash(raw)
	v := Verification{
		TokenHash: hash,
		Request:   r,
		At:        now,
		Event:     Event{ID: s.NewID(now), At: now, Action: "verified", From: r.Status, To: Verified, Actor: "requester"},
	}
	r.Status, r.VerifiedAt = Verified, now
	v.Mail = mail.Intent{ID: s.NewID(now), Template: mail.RequestVerified, To: r.Email, Data: mailData(s.cfg.Zone, r, "")}
	v.Jobs = s.jobs(r, now)
	if err := s.store.Verify(ctx, v); err != nil {
		if k := fault.KindOf(err); k == fault.Gone || k == fault.Conflict {
			return Request{}, ErrTokenGone
		}
		return Request{}, err
	}
	r.Version++
	return r, nil
}

// jobs plans, for a request just verified, one job per system that must act
// on a right it asks for. The system is told the address the requester
// proved by following the link, and nothing they only typed (a phone
// number, a name): a deletion or a copy must reach no one else's data.
func (s *Service) jobs(r Request, now time.Time) []reach.Job {
	return s.jobsFor(r, now, []reach.Identifier{{Kind: "email", Value: r.Email}})
}

// jobsFor plans the jobs of a verified request, telling each system the
// identifiers given.
func (s *Service) jobsFor(r Request, now time.Time, ids []reach.Identifier) []reach.Job {
	if s.cfg.Systems == nil || len(ids) == 0 {
		return nil
	}
	types := make([]string, len(r.Types))
	for i, t := range r.Types {
		types[i] = string(t)
	}
	var jobs []reach.Job
	for _, a := range reach.ActionsFor(types) {
		jobs = append(jobs, reach.Plan(s.cfg.Systems, a, s.cfg.Zone.In(now), r.DueAt, r.SubjectKey, r.ID, ids, func() string { return s.NewID(now) })...)
	}
	return jobs
}

// NewToken and TokenHash are the verification tokens of shared/token.
var (
	NewToken  = token.New
	TokenHash = token.Hash
)

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// recipientKey is the key a request's mail to the requester counts under
// against the daily cap (mail.LimitFor): the requester's subject key when
// the request came through the public form, where anyone can type any
// address, or from an authorized agent, whose requests come in bulk; none
// for a request staff entered.
func recipientKey(r Request) string {
	if r.Channel != Web && r.Channel != Agent {
		return ""
	}
	return r.SubjectKey
}

// mailData is what the request mails show. It carries the person's first name
// and the request's facts, nothing more; its dates are shown in the company's
// zone, with the zone's abbreviation.
func mailData(z deadline.Zone, r Request, verifyURL string) map[string]string {
	labels := make([]string, len(r.Types))
	for i, t := range r.Types {
		labels[i] = t.Label()
	}
	d := map[string]string{
		"first_name":  r.FirstName,
		"request_id":  r.ID,
		"types":       strings.Join(labels, "\n"),
		"received_at": z.Time(r.ReceivedAt),
		"due_at":      z.Time(r.DueAt),
		"regime":      string(r.Regime),
		"status":      string(r.Status),
	}
	if verifyURL != "" {
		d["verify_url"] = verifyURL
		d["verify_expires"] = "72 hours"
	}
	return d
}
