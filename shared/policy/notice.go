package policy

import (
	"context"
	"time"

	"github.com/claritru/privacy/shared/ids"
	"github.com/claritru/privacy/shared/mail"
)

// Recipient is one entry a notice run reads: a person's keyed hash and the
// address on record. Email is empty when the entry has none (a request
// entered by staff with a phone or postal address only); such an entry is
// passed over.
type Recipient struct {
	SubjectKey string
	Email      string
}

// Run is the notice of one material version, going out in paced batches.
// Cursor is the store's place in the recipients; opaque here.
type Run struct {
	Version Version
	Cursor  string
}

// NoticeStore is what sending notices needs (shared/ddb).
type NoticeStore interface {
	// OpenRuns lists the runs not finished, earliest published first.
	OpenRuns(ctx context.Context) ([]Run, error)
	// Recipients reads at most limit entries after the run's cursor: the
	// entries, the cursor after them, and whether the run has read all.
	Recipients(ctx context.Context, run Run, limit int) ([]Recipient, string, bool, error)
	// Notify queues the notice to one person with the record that it was
	// sent, in one transaction, once per person and version: false (and
	// nothing written) when the person has had this version's notice.
	Notify(ctx context.Context, v Version, r Recipient, in mail.Intent, at time.Time) (bool, error)
	// Advance moves the run's cursor from run.Cursor to next and adds the
	// counts, finishing it when done; false when another run moved it
	// first.
	Advance(ctx context.Context, run Run, next string, done bool, queued, skipped int) (bool, error)
}

// NoticeReport is what one batch did: counts only.
type NoticeReport struct {
	Runs    int `json:"runs"`
	Read    int `json:"read"`
	Queued  int `json:"queued"`
	Skipped int `json:"skipped"`
	Done    int `json:"done"`
}

// Notifier sends the notices of material versions, paced.
type Notifier struct {
	Store NoticeStore
	// PolicyURL is where the policy is published; the notice links it.
	PolicyURL string
	// PerRun caps the notices one batch queues (the pace: see
	// topology.PolicyNoticesPerRun).
	PerRun int
	Now    func() time.Time
	ids    *ids.Source
}

// readsPerNotice bounds the entries one batch reads for each notice it may
// queue: entries of people already told (a person with several consents, or
// a repeated run) cost a read and no mail, and a batch must still end.
const readsPerNotice = 4

// Batch queues at most PerRun notices, in the order the runs were
// published. A batch cut short anywhere is continued by the next: each
// notice and its record are one transaction, and the cursor moves only
// after the entries before it were handled, so an entry read twice finds
// its record and queues nothing.
func (n *Notifier) Batch(ctx context.Context) (NoticeReport, error) {
	var rep NoticeReport
	if n.ids == nil {
		n.ids = ids.NewSource()
	}
	runs, err := n.Store.OpenRuns(ctx)
	if err != nil {
		return rep, err
	}
	budget, reads := n.PerRun, n.PerRun*readsPerNotice
	for _, run := range runs {
		if budget <= 0 || reads <= 0 {
			break
		}
		rep.Runs++
		done, err := n.run(ctx, run, &budget, &reads, &rep)
		if err != nil {
			return rep, err
		}
		if done {
			rep.Done++
		}
	}
	return rep, nil
}

// run continues one run within the batch's budget; true when it finished.
func (n *Notifier) run(ctx context.Context, run Run, budget, reads *int, rep *NoticeReport) (bool, error) {
	for *budget > 0 && *reads > 0 {
		// At most budget entries, so at most budget notices, per page.
		page, next, done, err := n.Store.Recipients(ctx, run, min(*budget, *reads))
		if err != nil {
			return false, err
		}
		*reads -= max(len(page), 1)
		queued, skipped := 0, 0
		for _, r := range page {
			if r.Email == "" {
				skipped++
				continue
			}
			ok, err := n.Store.Notify(ctx, run.Version, r, n.intent(run.Version, r), n.now())
			if err != nil {
				return false, err
			}
			if ok {
				queued++
			} else {
				skipped++
			}
		}
		*budget -= queued
		rep.Read += len(page)
		rep.Queued += queued
		rep.Skipped += skipped
		moved, err := n.Store.Advance(ctx, run, next, done, queued, skipped)
		if err != nil || !moved || done {
			// Not moved: a concurrent batch holds this run; it goes on.
			return done && moved, err
		}
		run.Cursor = next
	}
	return false, nil
}

// intent is the notice mail of v to r. It names the version, when it takes
// effect and what changed, in the company's words; it is not capped (staff
// cause it, once per person and version).
func (n *Notifier) intent(v Version, r Recipient) mail.Intent {
	return mail.Intent{ID: n.ids.At(n.now()), Template: mail.PolicyNotice, To: r.Email, Data: map[string]string{
		"version": v.ID, "effective_at": v.EffectiveAt.UTC().Format("2 January 2006"),
		"summary": v.Summary, "policy_url": n.PolicyURL, "text_sha256": v.TextSHA256,
	}}
}

func (n *Notifier) now() time.Time {
	if n.Now == nil {
		return time.Now().UTC()
	}
	return n.Now().UTC()
}
