package reach

import (
	"slices"
	"time"

	"github.com/claritru/privacy/shared/mail"
)

// Status is where a job stands.
type Status string

// Statuses.
const (
	// Queued: not yet told (a webhook waiting for its first or next
	// attempt).
	Queued Status = "queued"
	// Told: the system was told (the webhook answered 2xx, the vendor
	// mail was queued, the task was put before staff); its answer is
	// awaited.
	Told Status = "told"
	// Answered: the system (by signed callback) or staff recorded the
	// outcome.
	Answered Status = "answered"
)

// Outcome is what the system answered.
type Outcome string

// Outcomes.
const (
	Done     Outcome = "done"      // acted as asked
	NotFound Outcome = "not_found" // held no data of the person
	Refused  Outcome = "refused"   // could not act, with the reason in the note (e.g. a legal hold)
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{Done, NotFound, Refused}

// Identifier is what the system is told to find the person by. It is
// personal data: kept on the job until it is answered, then removed.
type Identifier struct {
	Kind  string `json:"kind"` // email or phone
	Value string `json:"value"`
}

// Job is one system's part in carrying out one right.
type Job struct {
	ID     string
	System string
	Action Action
	Reach  Channel
	// RequestID is the Data Rights Request the job carries out; empty for
	// an opt-out or limit made on the page or by the signal.
	RequestID string
	// SubjectKey is the keyed hash of the identifier the job concerns, so
	// the person's export can list it.
	SubjectKey  string
	Identifiers []Identifier
	Status      Status
	CreatedAt   time.Time
	DueAt       time.Time
	// Attempts counts webhook deliveries tried; NextAttemptAt is when the
	// next one is due while Queued; LastError says why the last failed
	// (a status code or "timeout", never a body).
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	// CallbackHashes are the SHA-256 of the callback token sent with each
	// delivery attempt, oldest first. Any of them answers the job, once: a
	// system that took an attempt, was slow to say so and dropped the
	// retries as repeats (the webhook-id is the same) answers with the
	// token of the attempt it took.
	CallbackHashes []string
	ToldAt         time.Time
	AnsweredAt     time.Time
	Outcome        Outcome
	// AnsweredBy is "system" for a signed callback, else the staff
	// principal.
	AnsweredBy string
	Note       string
	// Mail, on a new job of a system reached by mail, is the notice to
	// the vendor's privacy contact, queued with the job.
	Mail *mail.Intent
}

// Open tells whether the job awaits its answer.
func (j Job) Open() bool { return j.Status != Answered }

// Overdue tells whether the job was due before at and is still open.
func (j Job) Overdue(at time.Time) bool { return j.Open() && at.After(j.DueAt) }

// Plan returns one job per system of reg that must act on a, created at and
// due by the system's answer window or by due (the request's own deadline),
// whichever is earlier; newID makes each job's id. Jobs by webhook start
// Queued, due for their first attempt at once; a vendor mail or a staff
// task is Told when written, with the record that invoked it. at's location
// is the company's zone: the systems' business days are its days, and the
// vendor's mail shows its date there; the jobs keep their times in UTC.
func Plan(reg *Register, a Action, at, due time.Time, subjectKey, requestID string, ids []Identifier, newID func() string) []Job {
	zone := at.Location()
	at, due = at.UTC(), due.UTC()
	var jobs []Job
	for _, s := range reg.Acting(a) {
		j := Job{
			ID: newID(), System: s.ID, Action: a, Reach: s.Reach,
			RequestID: requestID, SubjectKey: subjectKey, Identifiers: slices.Clone(ids),
			Status: Queued, CreatedAt: at, NextAttemptAt: at,
			DueAt: s.answerBy(at.In(zone)).UTC(),
		}
		if !due.IsZero() && due.Before(j.DueAt) {
			j.DueAt = due
		}
		if s.Reach != Webhook {
			j.Status, j.ToldAt, j.NextAttemptAt = Told, at, time.Time{}
		}
		if s.Reach == VendorMail {
			j.Mail = vendorNotice(s, j, zone, newID())
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// vendorNotice is the mail that tells a vendor what to do for whom and by
// when. It names the job, so the vendor's answer can be recorded against
// it. Its words are the company's template; the one value of the person's
// it carries is the identifier the system must find them by.
func vendorNotice(s System, j Job, zone *time.Location, id string) *mail.Intent {
	data := map[string]string{
		"system": s.Name, "action": string(j.Action), "job_id": j.ID,
		"request_id": j.RequestID, "due_date": j.DueAt.In(zone).Format("2 January 2006, 15:04 MST"),
	}
	for _, i := range j.Identifiers {
		data[i.Kind] = i.Value
	}
	return &mail.Intent{ID: id, Template: mail.VendorNotice, To: s.Contact, Data: data}
}

// backoff is the wait before each further webhook attempt: quick at first
// for a blip, then hours for an outage; after the last the job keeps
// trying daily until it is told or staff answer it.
var backoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour}

// MaxAttempts bounds the deliveries of one webhook: after the backoff's
// steps it is tried daily, for about three weeks in all. A job that has
// not reached its system by then stays open (and overdue, in the digest)
// for staff to answer.
const MaxAttempts = 30

// Parked is the next attempt of a webhook that will not be tried again
// (MaxAttempts): it stays among the undelivered jobs, never due.
var Parked = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// NextAttempt is when a webhook is tried again after its attempts-th
// failed attempt at at.
func NextAttempt(attempts int, at time.Time) time.Time {
	if attempts < 1 {
		return at
	}
	if attempts >= MaxAttempts {
		return Parked
	}
	if attempts > len(backoff) {
		return at.Add(24 * time.Hour)
	}
	return at.Add(backoff[attempts-1])
}

// OpenDeletions returns the deletion jobs of jobs still awaiting an answer:
// a request is not completed while one is open unless staff give a reason
// (11 CCR §7022(b)(3): the business must have told its service providers
// and contractors, and their deletion is part of complying).
func OpenDeletions(jobs []Job) []Job {
	var out []Job
	for _, j := range jobs {
		if j.Action == Delete && j.Open() {
			out = append(out, j)
		}
	}
	return out
}

// ActionsFor maps a request's types to the actions systems must take once
// it is verified: the right to know, to access and to portability all need
// each system's data about the person.
func ActionsFor(types []string) []Action {
	var out []Action
	add := func(a Action) {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, t := range types {
		switch t {
		case "know", "access":
			add(Access)
		case "delete":
			add(Delete)
		case "correct":
			add(Correct)
		case "portability":
			// The portable copy is made of what each system holds of
			// the person, gathered as for access (GDPR Art. 20).
			add(Access)
		case "restrict":
			add(Restrict)
		case "object":
			add(Object)
		}
	}
	return out
}
