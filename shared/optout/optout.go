// Package optout is "Do Not Sell or Share My Personal Information": an opt-out
// of sale/sharing (and the limit on using sensitive data) takes effect at
// once, without identity verification (11 CCR §7060(b), §7026, §7027), from
// the web form, from the Global Privacy Control signal (§7025), or from a Data
// Rights Request. Identifiers given together are linked, so a later opt-out by
// any of them covers the whole profile. A link records its evidence: links
// from public input are only claimed, and widen opt-outs (which harm no one)
// but nothing that discloses or destroys data. Every change is an event in the
// person's hash-chained ledger (shared/ledger), and current opt-outs form the
// suppression list that is exported to advertising platforms as hashes.
package optout

import (
	"context"
	"time"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ids"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
)

// Right is what the person opts out of.
type Right string

// The rights handled here, named as the request types that invoke them.
const (
	SaleSharing    Right = "opt_out"
	LimitSensitive Right = "limit_sensitive"
)

// Source is how the opt-out reached us.
type Source string

// Sources.
const (
	Form    Source = "form"    // the Do Not Sell or Share page
	Signal  Source = "gpc"     // the Global Privacy Control signal alone
	Request Source = "request" // a Data Rights Request
	Staff   Source = "staff"   // entered by the privacy team
)

// Kind is the kind of an identifier.
type Kind = subject.Kind

// Identifier kinds.
const (
	Email     = subject.Email
	Phone     = subject.Phone
	BrowserID = subject.BrowserID
)

// MaxSpread is how many identifiers one opt-out covers at most: those given
// and those linked to them, nearest first. A person has a handful (an email,
// a phone, a few browsers); the bound is far above any real profile and is
// there for a flood of links made on purpose, whose opt-out must still end
// in a bounded number of reads and writes (each identifier costs a query and
// a few items written). Beyond it the identifiers given are still opted out.
const MaxSpread = 1000

// Evidence is where a link between two identifiers came from, and so what it
// may be used for.
type Evidence string

// Evidence, weakest first.
const (
	// Claimed: given together in a public form (the opt-out page, the GPC
	// signal, the opt-out part of a Data Rights Request). Anyone can type
	// anyone's address next to their own phone, so a claimed link widens
	// opt-outs only; export and erasure never follow it.
	Claimed Evidence = "claimed"
	// Proven: the requester proved control of both identifiers (e.g. the
	// verified address of a request).
	Proven Evidence = "proven"
	// Vouched: staff vouch that both identifiers belong to one person.
	Vouched Evidence = "vouched"
)

// Trusted tells whether a link with this evidence may lead from one
// identifier to another's data: proven or vouched, never claimed.
func (e Evidence) Trusted() bool { return e == Proven || e == Vouched }

// Rank orders evidence, weakest first; unknown (an old link without the
// attribute) ranks as claimed.
func (e Evidence) Rank() int {
	switch e {
	case Proven:
		return 1
	case Vouched:
		return 2
	}
	return 0
}

// Identifier is one way of recognising a person: its Key files the records,
// its Match is what the suppression export shows.
type Identifier = subject.Identity

// Input is an opt-out as a caller gives it.
type Input struct {
	Email     string
	Phone     string
	BrowserID string
	// Country is the region for phones written without a country code.
	Country string
	// GPC is true when the request carried Sec-GPC: 1.
	GPC       bool
	Source    Source
	Rights    []Right // SaleSharing when empty
	RequestID string  // the Data Rights Request it came from, if any
	// FirstName, when known, personalises the confirmation mail.
	FirstName string
}

// Application is what the store records for one opt-out.
type Application struct {
	ID          string
	At          time.Time
	Rights      []Right
	Source      Source
	GPC         bool
	RequestID   string
	Identifiers []Identifier
	// Evidence is what links the identifiers given together.
	Evidence Evidence
	// Mail is the confirmation, queued only when the opt-out is new for at
	// least one identifier.
	Mail *mail.Intent
	// NewID makes ids for ledger events.
	NewID func() string
	// Jobs tell the company's systems that must act on the opt-out
	// (shared/reach); written with the opt-out when it is new for an
	// identifier given, like the mail.
	Jobs []reach.Job
}

// Outcome is the result of applying an opt-out.
type Outcome struct {
	ID          string
	EffectiveAt time.Time
	// New is false when every identifier given was already opted out: a
	// repeat, which records nothing of its own (it may still cover
	// linked identifiers not covered yet).
	New bool
	// Incomplete says the identifiers given are opted out but not every
	// identifier linked to them could be reached in time; a repeat, or
	// the next opt-out of the profile, covers the rest.
	Incomplete bool
}

// State is the current opt-out of one identifier and right.
type State struct {
	OptOutID string
	Since    time.Time
	Source   Source
}

// Entry is one row of the suppression list.
type Entry struct {
	Kind  Kind
	Match string
	Since time.Time
}

// Store is what the opt-out service needs from storage (shared/ddb).
type Store interface {
	// Apply links the identifiers to each other with the application's
	// evidence (never weakening a link already there), expands them to
	// every identifier linked to them whatever the evidence, and records
	// the rights for each that does not have them yet: a ledger event and
	// the current state per identifier. The identifiers given, their links
	// and the mail are written together; the rest of a large profile may
	// follow in further writes.
	Apply(ctx context.Context, a Application) (Outcome, error)
	// State returns the opt-out of one identifier, and false when none.
	State(ctx context.Context, key string, right Right) (State, bool, error)
	// Suppression lists every identifier currently opted out of sale and
	// sharing.
	Suppression(ctx context.Context) ([]Entry, error)
}

var _ request.OptOuts = (*Service)(nil)

// Service applies opt-outs.
type Service struct {
	store    Store
	subjects *subject.Identifier
	now      func() time.Time
	ids      *ids.Source
	// Systems is the register of the company's systems: a new opt-out
	// writes a job for each that must act on it. nil writes none.
	Systems *reach.Register
	// Zone is the company's time zone: the 15 business days of the jobs
	// are its days, and the confirmation shows the time in it. The zero
	// Zone is deadline.DefaultZone.
	Zone deadline.Zone
}

// NewService returns a Service; phone reads phone numbers
// (shared/subject/phone); now may be nil.
func NewService(store Store, keyer *subject.Keyer, phone subject.PhoneNormaliser, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, subjects: subject.NewIdentifier(keyer, phone), now: now, ids: ids.NewSource()}
}

func (s *Service) newID() string {
	return s.ids.At(s.now())
}

// Identify validates and normalises the identifiers of an input; at least one
// is required. It returns them and the normalised email, if any.
func (s *Service) Identify(in Input) ([]Identifier, string, error) {
	var errs fault.Fields
	ids, err := s.subjects.Identify(subject.Given{Email: in.Email, Phone: in.Phone, BrowserID: in.BrowserID, Country: in.Country},
		subject.Form{Count: subject.AtLeastOne}, &errs)
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return nil, "", err
	}
	email, _ := subject.Find(ids, Email)
	return ids, email.Value, nil
}

// OptOut applies an opt-out. Repeating one is harmless: it records nothing
// and answers with an unrecorded reference and the current time.
func (s *Service) OptOut(ctx context.Context, in Input) (Outcome, error) {
	ids, _, err := s.Identify(in)
	if err != nil {
		return Outcome{}, err
	}
	rights := in.Rights
	if len(rights) == 0 {
		rights = []Right{SaleSharing}
	}
	if in.Source == "" {
		in.Source = Form
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	// Every opt-out taken here comes from public input (the page, the
	// signal, or a request at intake, before any verification): the
	// identifiers given together are only claimed to be one person's.
	a := Application{
		ID: s.newID(), At: now, Rights: rights, Source: in.Source, GPC: in.GPC,
		RequestID: in.RequestID, Identifiers: ids, Evidence: Claimed, NewID: s.newID,
	}
	if given, ok := subject.Find(ids, Email); ok && in.Source != Request {
		// A Data Rights Request confirms its opt-out in its own receipt.
		// The confirmation goes only to the address given in this opt-out,
		// never to one linked to it, and at most once a day to an address
		// (its cap, mail.LimitFor): a repeat with a fresh browser id is new
		// to the store but says nothing new to the person.
		a.Mail = &mail.Intent{ID: s.newID(), Template: mail.OptOutConfirmed, To: given.Value, RecipientKey: given.Key, Data: map[string]string{
			"first_name":   in.FirstName,
			"optout_id":    a.ID,
			"effective_at": s.Zone.Time(now),
			"rights":       rightsText(rights),
		}}
		// The mail names only the identifiers given with this opt-out.
		if _, ok := subject.Find(ids, Phone); ok {
			a.Mail.Data["phone_given"] = "yes"
		}
		if _, ok := subject.Find(ids, BrowserID); ok {
			a.Mail.Data["browser_given"] = "yes"
		}
	}
	a.Jobs = s.jobs(a)
	out, err := s.store.Apply(ctx, a)
	if err == nil && !out.New {
		// A repeat records nothing, and its answer says only that the
		// opt-out is in effect: the original id and time would tell anyone
		// who types an address whether, and since when, its owner opted
		// out. Staff see the history.
		out = Outcome{ID: a.ID, EffectiveAt: now, Incomplete: out.Incomplete}
	}
	return out, err
}

// jobs plans the jobs that tell the company's systems of an opt-out
// (11 CCR §7026(f): the business must notify the third parties it sold or
// shared the data with, and direct them to comply, within the same 15
// business days). Systems know a person by email or phone, never by a
// browser id, so an opt-out given by a browser alone (the GPC signal) tells
// none; passing on an identifier only claimed is harmless here, as an
// opt-out only ever stops processing.
func (s *Service) jobs(a Application) []reach.Job {
	if s.Systems == nil {
		return nil
	}
	var ids []reach.Identifier
	subjectKey := ""
	for _, k := range []Kind{Email, Phone} {
		if id, ok := subject.Find(a.Identifiers, k); ok && id.Value != "" {
			ids = append(ids, reach.Identifier{Kind: string(k), Value: id.Value})
			if subjectKey == "" {
				subjectKey = id.Key
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var jobs []reach.Job
	for _, r := range a.Rights {
		act := reach.OptOut
		if r == LimitSensitive {
			act = reach.Limit
		}
		jobs = append(jobs, reach.Plan(s.Systems, act, s.Zone.In(a.At), s.Zone.OptOutBy(a.At), subjectKey, a.RequestID, ids, s.newID)...)
	}
	return jobs
}

// Status tells whether a browser is opted out of sale and sharing.
func (s *Service) Status(ctx context.Context, browserID string) (State, bool, error) {
	var errs fault.Fields
	ids, err := s.subjects.Identify(subject.Given{BrowserID: browserID},
		subject.Form{Kinds: []subject.Kind{BrowserID}, Count: subject.ExactlyOne}, &errs)
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return State{}, false, err
	}
	return s.store.State(ctx, ids[0].Key, SaleSharing)
}

// Suppression returns the current suppression list.
func (s *Service) Suppression(ctx context.Context) ([]Entry, error) {
	return s.store.Suppression(ctx)
}

func rightsText(rs []Right) string {
	out := ""
	for i, r := range rs {
		if i > 0 {
			out += "\n"
		}
		switch r {
		case SaleSharing:
			out += "Do not sell or share my personal information"
		case LimitSensitive:
			out += "Limit the use of my sensitive personal information"
		}
	}
	return out
}

// ApplyRequest applies the opt_out and limit_sensitive parts of a Data Rights
// Request at once (request.OptOuts). The request's receipt mail confirms it.
func (s *Service) ApplyRequest(ctx context.Context, r request.Request) (time.Time, error) {
	var rights []Right
	for _, t := range r.Immediate() {
		rights = append(rights, Right(t))
	}
	out, err := s.OptOut(ctx, Input{
		Email: r.Email, Phone: r.Phone, Country: r.Country, Source: Request,
		Rights: rights, RequestID: r.ID, FirstName: r.FirstName,
	})
	return out.EffectiveAt, err
}
