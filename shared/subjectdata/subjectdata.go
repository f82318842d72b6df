// Package subjectdata answers for everything the service holds about one
// person: the export staff hand over for a request to know or access
// (11 CCR §7024; GDPR Art. 15), and the erasure that carries out a request to
// delete (§7022; GDPR Art. 17) while keeping what the law requires to be kept.
// It imports no AWS package; the store it needs is the Store interface below,
// implemented in shared/ddb.
package subjectdata

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
)

// Identifier kinds, named as the consent and opt-out records name them.
const (
	Email = subject.Email
	Phone = subject.Phone
)

// Identity is the one identifier staff named: its kind and keyed hash, no
// value.
type Identity = subject.Identity

// Store is what export and erasure need from storage (shared/ddb).
type Store interface {
	// Export returns every record filed under the subject keys and the
	// identifiers proven to be the same person's (linked to them on proven
	// or vouched evidence): requests with their audit history, ledger
	// events, consent and opt-out states, the jobs that told other systems
	// to act (without the identifiers), and the mail log without bodies,
	// all in the document's lists. Identifiers linked only by a claim
	// (given together in a public form) are listed in Linked, by kind and
	// keyed hash, without any of their records. Once the document is read
	// it records the handover under each key (when, and h's actor), and
	// fails rather than hand over a document whose handover it could not
	// record. It leaves GeneratedAt, Subject, Redactions and Withheld to
	// the service.
	Export(ctx context.Context, keys []string, h Handover) (Document, error)
	// Erase removes the personal data filed under the subject keys and the
	// identifiers proven to be the same person's, found before anything is
	// deleted, never those linked only by a claim; keeps the request log
	// minimised (11 CCR §7101) and every identifier's opt-out suppression
	// entries; deletes the links of the identifiers erased, both
	// directions; records the erasure (with e's reason and actor) under
	// each key; and reports counts by record kind across them. Erasing again
	// changes nothing more. It leaves ErasedAt, Subject, Actor and Kept to
	// the service.
	Erase(ctx context.Context, keys []string, e Erasure) (Report, error)
}

// Handover is one export as the store records it: staff handed a person's
// data over (11 CCR §7024; GDPR Art. 15), and who did.
type Handover struct {
	At time.Time
	// Actor is the staff principal, as for an erasure.
	Actor string
}

// Erasure is what the record of an erasure says besides its counts: when,
// why, and which member of staff carried it out.
type Erasure struct {
	At     time.Time
	Reason string
	// Actor is the staff principal: the IAM ARN API Gateway verified in
	// AWS, "local-staff" locally.
	Actor string
}

// Evidence of a link, as optout.Evidence names it.
const (
	Claimed = "claimed"
	Proven  = "proven"
	Vouched = "vouched"
)

// Linked is an identifier linked to the person, by its kind and keyed hash,
// and the evidence of the link. A claimed link is listed so staff know of
// it, but nothing filed under it is in the document: anyone can type anyone
// else's address next to their own phone.
type Linked struct {
	Kind      string `json:"kind"`
	Reference string `json:"reference"`
	Evidence  string `json:"evidence"`
}

// Reference names a subject by its keyed hash, never by its value.
type Reference struct {
	Kind      string `json:"kind"`
	Reference string `json:"reference"`
}

// Document is everything held about one person, as staff hand it over.
type Document struct {
	GeneratedAt time.Time `json:"generated_at"`
	Subject     Reference `json:"subject"`
	Requests    []Request `json:"requests"`
	Consents    Consents  `json:"consents"`
	OptOuts     []OptOut  `json:"opt_outs"`
	MailLog     []Mail    `json:"mail_log"`
	// Undeliverable lists the person's addresses the service stopped
	// mailing after a permanent bounce or a complaint, and staff's
	// clearings of such marks.
	Undeliverable []Undeliverable `json:"undeliverable"`
	// Jobs are the company's other systems told to act for the person:
	// when each was told and how it answered, never what it was told to
	// find them by.
	Jobs []Job `json:"jobs"`
	// Linked lists the identifiers linked to the person's; only the records
	// of proven and vouched ones are in the lists above.
	Linked []Linked `json:"linked_identifiers"`
	// Redactions counts the values withheld under 11 CCR §7024(d).
	Redactions int `json:"redactions"`
	// Withheld names each kind of value withheld, with its count: the
	// business must tell the person, with sufficient particularity, that
	// it holds that type of information without disclosing it (11 CCR
	// §7024(d)). Staff pass the types to the completion mail (the
	// complete action's withheld field).
	Withheld []WithheldType `json:"withheld"`
}

// Request is one Data Rights Request with its history. After an erasure only
// the minimised log remains: the personal fields are empty.
type Request struct {
	ID              string       `json:"id"`
	Types           []string     `json:"types"`
	Status          string       `json:"status"`
	Channel         string       `json:"channel"`
	FirstName       string       `json:"first_name,omitempty"`
	LastName        string       `json:"last_name,omitempty"`
	Email           string       `json:"email,omitempty"`
	Phone           string       `json:"phone,omitempty"`
	PracticeName    string       `json:"practice_name,omitempty"`
	Country         string       `json:"country,omitempty"`
	State           string       `json:"state,omitempty"`
	Details         string       `json:"details,omitempty"`
	Correction      string       `json:"correction,omitempty"`
	Corrections     []Correction `json:"corrections,omitempty"`
	OnBehalf        bool         `json:"on_behalf"`
	AgentName       string       `json:"agent_name,omitempty"`
	AgentEmail      string       `json:"agent_email,omitempty"`
	Regime          string       `json:"regime"`
	ReceivedAt      time.Time    `json:"received_at"`
	DueAt           time.Time    `json:"due_at"`
	Extended        bool         `json:"extended"`
	ExtensionReason string       `json:"extension_reason,omitempty"`
	ClosedAt        *time.Time   `json:"closed_at,omitempty"`
	Outcome         string       `json:"outcome,omitempty"`
	DenialBasis     string       `json:"denial_basis,omitempty"`
	Appeal          *Appeal      `json:"appeal,omitempty"`
	// What the channel added: where a person without an email address is
	// answered, how they were verified, and the agent's permission.
	PostalAddress      string         `json:"postal_address,omitempty"`
	VerificationMethod string         `json:"verification_method,omitempty"`
	VerificationNote   string         `json:"verification_note,omitempty"`
	AgentPermission    string         `json:"agent_permission,omitempty"`
	History            []RequestEvent `json:"history"`
}

// Appeal is the appeal of a request's denial: when it arrived, when its
// decision was due, and the decision with its reasons once made.
type Appeal struct {
	ReceivedAt time.Time  `json:"received_at"`
	DueAt      time.Time  `json:"due_at"`
	Decision   string     `json:"decision,omitempty"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
	Reason     string     `json:"reason,omitempty"`
}

func appealOf(a request.AppealState) *Appeal {
	if a.AppealReceivedAt.IsZero() {
		return nil
	}
	out := &Appeal{ReceivedAt: a.AppealReceivedAt, DueAt: a.AppealDueAt, Decision: string(a.AppealDecision), Reason: a.AppealReason}
	if !a.AppealDecidedAt.IsZero() {
		at := a.AppealDecidedAt
		out.DecidedAt = &at
	}
	return out
}

// RequestEvent is one entry of a request's audit history.
type RequestEvent struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to"`
	Actor  string    `json:"actor"`
	Note   string    `json:"note,omitempty"`
}

// RequestOf is the export of a stored request and its history.
func RequestOf(r request.Request, events []request.Event) Request {
	out := Request{
		ID: r.ID, Status: string(r.Status), Channel: string(r.Channel),
		FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Phone: r.Phone,
		PracticeName: r.PracticeName, Country: r.Country, State: r.State,
		Details: r.Details, Correction: r.Correction, Corrections: correctionsOf(r.Corrections),
		OnBehalf: r.OnBehalf, AgentName: r.AgentName, AgentEmail: r.AgentEmail,
		Regime: string(r.Regime), ReceivedAt: r.ReceivedAt, DueAt: r.DueAt,
		Extended: r.Extended, ExtensionReason: r.ExtensionReason,
		Outcome: r.Outcome, DenialBasis: r.DenialBasis, Appeal: appealOf(r.AppealState),
		PostalAddress: r.PostalAddress, VerificationMethod: r.VerificationMethod,
		VerificationNote: r.VerificationNote, AgentPermission: r.AgentPermission,
		Types: make([]string, len(r.Types)), History: make([]RequestEvent, len(events)),
	}
	for i, t := range r.Types {
		out.Types[i] = string(t)
	}
	if !r.ClosedAt.IsZero() {
		at := r.ClosedAt
		out.ClosedAt = &at
	}
	for i, e := range events {
		out.History[i] = RequestEvent{At: e.At, Action: e.Action, From: string(e.From), To: string(e.To), Actor: e.Actor, Note: e.Note}
	}
	return out
}

// Consents is the person's ledger (consent and opt-out events, in order)
// and their current consent by purpose.
type Consents struct {
	Events  []LedgerEvent  `json:"events"`
	Current []ConsentState `json:"current"`
}

// LedgerEvent is one event of the person's hash-chained ledger.
type LedgerEvent struct {
	Seq    int64             `json:"seq"`
	ID     string            `json:"id"`
	At     time.Time         `json:"at"`
	Kind   string            `json:"kind"`
	Fields map[string]string `json:"fields"`
}

// ConsentState is the current consent to one purpose.
type ConsentState struct {
	Purpose   string    `json:"purpose"`
	Status    string    `json:"status"`
	Since     time.Time `json:"since"`
	ReceiptID string    `json:"receipt_id"`
}

// OptOut is one opt-out in force.
type OptOut struct {
	Right      string    `json:"right"`
	Identifier string    `json:"identifier"`
	Since      time.Time `json:"since"`
	Source     string    `json:"source"`
	OptOutID   string    `json:"optout_id"`
}

// Mail is one mail sent or queued to the person: what and when, never its
// address or content.
type Mail struct {
	Template string     `json:"template"`
	SentAt   *time.Time `json:"sent_at,omitempty"`
	Status   string     `json:"status"`
	// HeldReason says why a mail held over its recipient's daily cap was
	// never sent.
	HeldReason string `json:"held_reason,omitempty"`
	// Error is the mail service's code of a mail refused for good
	// (status failed).
	Error string `json:"error,omitempty"`
	// Undeliverable is the reason (bounce, complaint) of the mark that
	// kept a mail from being sent (status undeliverable).
	Undeliverable string `json:"undeliverable_reason,omitempty"`
}

// Undeliverable is an address of the person the service stopped mailing:
// a permanent bounce or a complaint marked it (shared/deliverability).
// Reference is the address's keyed hash (the export gives it; the
// request view, which names the address, does not); InEffect is false once staff
// cleared the mark, and Clears says who cleared it, when and why.
type Undeliverable struct {
	Reference string               `json:"reference,omitempty"`
	InEffect  bool                 `json:"in_effect"`
	Reason    string               `json:"reason"`
	Subtype   string               `json:"subtype,omitempty"`
	At        time.Time            `json:"at"`
	MarkedAt  time.Time            `json:"marked_at"`
	Clears    []UndeliverableClear `json:"clears"`
}

// UndeliverableClear is staff clearing a mark.
type UndeliverableClear struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	Was    string    `json:"was"`
}

// UndeliverableOf is the mark of the address under key as exported.
func UndeliverableOf(key string, st deliverability.Status) Undeliverable {
	u := Undeliverable{
		Reference: key, InEffect: st.Undeliverable, Reason: string(st.Reason), Subtype: st.Subtype,
		At: st.At, MarkedAt: st.MarkedAt, Clears: []UndeliverableClear{},
	}
	for _, c := range st.Clears {
		u.Clears = append(u.Clears, UndeliverableClear{At: c.At, Actor: c.Actor, Reason: c.Reason, Was: string(c.Was)})
	}
	return u
}

// Job is one system told to act on one of the person's rights: what,
// for which request (none for an opt-out made on the page), when it was
// told and when it answered, with what, by whom and the note.
type Job struct {
	ID         string     `json:"id"`
	System     string     `json:"system"`
	Action     string     `json:"action"`
	RequestID  string     `json:"request_id,omitempty"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	DueAt      time.Time  `json:"due_at"`
	ToldAt     *time.Time `json:"told_at,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	Outcome    string     `json:"outcome,omitempty"`
	AnsweredBy string     `json:"answered_by,omitempty"`
	Note       string     `json:"note,omitempty"`
}

// Report says what an erasure removed and what it kept. It names the subject
// by its keyed hash and counts records by kind: no personal data.
type Report struct {
	ErasedAt time.Time `json:"erased_at"`
	Subject  Reference `json:"subject"`
	// Actor is who carried the erasure out, as recorded.
	Actor     string         `json:"actor"`
	Deleted   map[string]int `json:"deleted"`
	Minimised map[string]int `json:"minimised"`
	Kept      []string       `json:"kept"`
	// ClosedRequests counts the open requests the erasure closed first,
	// each with its outcome mail.
	ClosedRequests int `json:"closed_requests"`
}

// What an erasure keeps, by rule.
const (
	// KeptRequestLog: the log of requests is kept for at least 24 months:
	// date, type, channel, response date, outcome and basis for denial
	// (11 CCR §7101(b)); the rest of each request is removed.
	KeptRequestLog = "request log (11 CCR §7101), minimised"
	// KeptSuppression: the opt-out of sale and sharing must keep being
	// honoured, so its entry (filed under the keyed hash, exported as an
	// unkeyed hash) stays.
	KeptSuppression = "opt-out suppression entry (hashed)"
)

// MaxReason is the longest erasure reason accepted.
const MaxReason = 500

// Service exports and erases subjects' data.
type Service struct {
	store    Store
	subjects *subject.Identifier
	now      func() time.Time
	open     OpenRequests
	closer   Closer
}

// NewService returns a Service; phone reads phone numbers
// (shared/subject/phone); now defaults to time.Now.
func NewService(store Store, keyer *subject.Keyer, phone subject.PhoneNormaliser, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, subjects: subject.NewIdentifier(keyer, phone), now: now}
}

// Identify normalises the one identifier staff gave, email or phone, and
// derives its key.
func (s *Service) Identify(email, phone string) (Identity, error) {
	var errs fault.Fields
	id, err := s.identify(email, phone, &errs)
	if err == nil {
		err = errs.Err()
	}
	return id, err
}

// identify adds what is wrong to errs; the error is the service's own.
func (s *Service) identify(email, phone string, errs *fault.Fields) (Identity, error) {
	ids, err := s.subjects.Identify(subject.Given{Email: email, Phone: phone},
		subject.Form{Kinds: []subject.Kind{Email, Phone}, Count: subject.ExactlyOne}, errs)
	if err != nil || len(ids) != 1 {
		return Identity{}, err
	}
	return ids[0].KeyOnly(), nil
}

// Export gathers everything held about the person, under the identifier
// given and those proven to be the same person's, with the values 11 CCR §7024(d) forbids
// disclosing redacted, and records that actor handed it over. The document names the person by the identifier
// given. A person nothing is held about gets an empty document.
func (s *Service) Export(ctx context.Context, email, phone, actor string) (Document, error) {
	if strings.TrimSpace(actor) == "" {
		return Document{}, fault.New(fault.Internal, "An export must name who hands the data over.")
	}
	id, err := s.Identify(email, phone)
	if err != nil {
		return Document{}, err
	}
	at := s.now().UTC().Truncate(time.Millisecond)
	doc, err := s.store.Export(ctx, []string{id.Key}, Handover{At: at, Actor: actor})
	if err != nil {
		return Document{}, err
	}
	doc.GeneratedAt = at
	doc.Subject = Reference{Kind: string(id.Kind), Reference: id.Key}
	withheld := redactDocument(&doc)
	doc.Redactions, doc.Withheld = withheld.Total(), withheld.List()
	fillEmpty(&doc)
	return doc, nil
}

// redactDocument redacts every free-text value of the document in place and
// returns what it withheld, by kind.
func redactDocument(doc *Document) Withheld {
	n := Withheld{}
	text := func(s *string) {
		var k Withheld
		*s, k = RedactKinds(*s)
		n.Add(k)
	}
	for i := range doc.Requests {
		r := &doc.Requests[i]
		text(&r.Details)
		text(&r.Correction)
		redactCorrections(r.Corrections, text)
		text(&r.Outcome)
		text(&r.DenialBasis)
		text(&r.ExtensionReason)
		if r.Appeal != nil {
			text(&r.Appeal.Reason)
		}
		text(&r.VerificationNote)
		text(&r.AgentPermission)
		for j := range r.History {
			text(&r.History[j].Note)
		}
	}
	for i := range doc.Jobs {
		text(&doc.Jobs[i].Note)
	}
	for i := range doc.Undeliverable {
		for j := range doc.Undeliverable[i].Clears {
			text(&doc.Undeliverable[i].Clears[j].Reason)
		}
	}
	for i := range doc.Consents.Events {
		fields := doc.Consents.Events[i].Fields
		for k, v := range fields {
			text(&v)
			fields[k] = v
		}
	}
	return n
}

// fillEmpty makes empty lists [] rather than null in JSON.
func fillEmpty(doc *Document) {
	if doc.Requests == nil {
		doc.Requests = []Request{}
	}
	for i := range doc.Requests {
		if doc.Requests[i].History == nil {
			doc.Requests[i].History = []RequestEvent{}
		}
		if doc.Requests[i].Types == nil {
			doc.Requests[i].Types = []string{}
		}
	}
	if doc.Consents.Events == nil {
		doc.Consents.Events = []LedgerEvent{}
	}
	for i := range doc.Consents.Events {
		if doc.Consents.Events[i].Fields == nil {
			doc.Consents.Events[i].Fields = map[string]string{}
		}
	}
	if doc.Consents.Current == nil {
		doc.Consents.Current = []ConsentState{}
	}
	if doc.OptOuts == nil {
		doc.OptOuts = []OptOut{}
	}
	if doc.MailLog == nil {
		doc.MailLog = []Mail{}
	}
	if doc.Jobs == nil {
		doc.Jobs = []Job{}
	}
	if doc.Undeliverable == nil {
		doc.Undeliverable = []Undeliverable{}
	}
	if doc.Linked == nil {
		doc.Linked = []Linked{}
	}
}

// Erase removes the personal data held about the person, under the
// identifier given and those proven to be the same person's, and records
// that it did, and who did it (actor, the staff principal), under each of
// them; the report names the identifier given and the actor. The reason is
// stored in the erasure record, which must hold no personal data: a reason
// naming an email address is refused, and values 11 CCR §7024(d) covers are
// redacted from it.
func (s *Service) Erase(ctx context.Context, email, phone, reason, actor string) (Report, error) {
	if strings.TrimSpace(actor) == "" {
		return Report{}, fault.New(fault.Internal, "An erasure must name who carries it out.")
	}
	var errs fault.Fields
	id, err := s.identify(email, phone, &errs)
	if err != nil {
		return Report{}, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		errs.Add("reason", "this field is required: say why the data is erased, e.g. the request id")
	case !utf8.ValidString(reason):
		errs.Add("reason", "must be valid UTF-8 text")
	case utf8.RuneCountInString(reason) > MaxReason:
		errs.Add("reason", "must be at most 500 characters")
	case strings.IndexFunc(reason, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0:
		errs.Add("reason", "must be plain text")
	case strings.Contains(reason, "@"):
		errs.Add("reason", "must not contain an email address: the erasure record holds no personal data")
	}
	if err := errs.Err(); err != nil {
		return Report{}, err
	}
	reason, _ = Redact(reason)
	// Open requests are closed first, each with its outcome mail, so the
	// erasure neither swallows the answer nor leaves a request waiting
	// with nobody left to answer.
	closed, err := s.closeOpen(ctx, []string{id.Key}, actor)
	if err != nil {
		return Report{}, err
	}
	at := s.now().UTC().Truncate(time.Millisecond)
	rep, err := s.store.Erase(ctx, []string{id.Key}, Erasure{At: at, Reason: reason, Actor: actor})
	if err != nil {
		return Report{}, err
	}
	rep.ClosedRequests = closed
	rep.ErasedAt, rep.Actor = at, actor
	rep.Subject = Reference{Kind: string(id.Kind), Reference: id.Key}
	rep.Kept = []string{KeptRequestLog, KeptSuppression}
	if rep.Deleted == nil {
		rep.Deleted = map[string]int{}
	}
	if rep.Minimised == nil {
		rep.Minimised = map[string]int{}
	}
	return rep, nil
}
