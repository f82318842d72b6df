package watch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/topology"
)

// verifiedDeletion stores a deletion request for email received at at and
// verifies it then through the request service, which writes one job per
// system of the register that must delete; it returns the request and its
// jobs by system.
func (f *fixture) verifiedDeletion(t *testing.T, id, email string, at time.Time) (request.Request, map[string]reach.Job) {
	t.Helper()
	ctx := context.Background()
	at = at.Truncate(time.Millisecond)
	raw, hash, err := request.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	r := request.Request{
		ID: id, Types: []request.Type{request.Delete}, Status: request.PendingVerification, Channel: request.Web,
		FirstName: "Ada", Email: email, Country: "US", State: "CA", Regime: deadline.CCPA,
		ReceivedAt: at, DueAt: deadline.Due(deadline.CCPA, at), SubjectKey: "k-" + id, Version: 1,
	}
	err = f.store.Create(ctx, request.Creation{
		Request: r, TokenHash: hash, TokenExpiresAt: at.Add(request.TokenLifetime),
		Event: request.Event{ID: id + "-e1", At: at, Action: "received", To: r.Status, Actor: "requester"},
		Mail:  mail.Intent{ID: id + "-m1", Template: mail.RequestReceived, To: email, Data: map[string]string{"request_id": id}},
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := request.NewService(f.store, request.Config{Systems: reach.Systems(), Now: func() time.Time { return at }})
	if _, err := svc.Confirm(ctx, raw); err != nil {
		t.Fatal(err)
	}
	jobs, err := ddb.NewJobs(f.db, f.table).OfRequest(ctx, r.SubjectKey, id)
	if err != nil {
		t.Fatal(err)
	}
	bySystem := map[string]reach.Job{}
	for _, j := range jobs {
		bySystem[j.System] = j
	}
	if len(bySystem) != 3 {
		t.Fatalf("jobs %+v, want crm, billing and hosting", jobs)
	}
	return r, bySystem
}

// withJobs gives the fixture's watch the jobs, with the watch function's
// table access.
func (f *fixture) withJobs() {
	def, _ := topology.ClariTru.Function("watch")
	f.h.Jobs = ddb.NewJobs(ddb.Guard(f.db, def), f.table)
}

// Jobs past their due date are listed in the digest by id, system, action,
// request and due date, even when no request is due; a job still within
// its system's window is not, nor is one answered. Nothing in the digest
// or the logs names the person.
func TestDigestListsJobsOverdue(t *testing.T) {
	f := newFixture(t)
	f.withJobs()
	// Twelve business days ago: past the ten of the CRM and hosting, within
	// the fifteen of the payment processor; the request itself is due in
	// weeks.
	r, jobs := f.verifiedDeletion(t, "01JREQDEL00000000000000000", "ada@example.com", deadline.AddBusinessDays(now, -12))
	_, answered := f.verifiedDeletion(t, "01JREQDEL00000000000000001", "grace@example.com", deadline.AddBusinessDays(now, -12))
	err := ddb.NewJobs(f.db, f.table).Answer(context.Background(), answered["crm"], reach.Resolution{
		Outcome: reach.Done, By: "system", At: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	rep, err := f.h.Handle(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.JobsOverdue != 3 || rep.Overdue != 0 || rep.DueSoon != 0 || !rep.DigestQueued {
		t.Fatalf("report = %+v, want 3 jobs overdue and a digest for them alone", rep)
	}
	digests := f.mails(t, "TEAM#digest")
	if len(digests) != 1 {
		t.Fatalf("digests = %+v, want one", digests)
	}
	d := digests[0]
	lines := strings.Split(d.Data["jobs_overdue"], "\n")
	if d.Data["jobs_overdue_count"] != "3" || len(lines) != 3 {
		t.Fatalf("jobs overdue = %q (%s), want three lines", d.Data["jobs_overdue"], d.Data["jobs_overdue_count"])
	}
	for _, sys := range []string{"crm", "hosting"} {
		j := jobs[sys]
		// Due at 15:00 UTC before 2 March 2026: 07:00 PST the same day in
		// the company's zone, which the digest shows with its abbreviation.
		want := j.ID + "  " + sys + "  delete  request " + r.ID + "  due " + j.DueAt.UTC().Format("2006-01-02") + " PST"
		if !strings.Contains(d.Data["jobs_overdue"], want) {
			t.Errorf("digest lacks %q:\n%s", want, d.Data["jobs_overdue"])
		}
	}
	if strings.Contains(d.Data["jobs_overdue"], jobs["billing"].ID) || strings.Contains(d.Data["jobs_overdue"], answered["crm"].ID) {
		t.Errorf("a job within its window or answered is listed:\n%s", d.Data["jobs_overdue"])
	}
	msg, err := mailrender.Render(mail.Intent{ID: d.ID, Template: mail.Template(d.Template), To: d.To, Data: d.Data},
		mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Text, "Systems that have not answered in time (3)") || !strings.Contains(msg.HTML, jobs["crm"].ID) {
		t.Errorf("rendered digest lacks the section:\n%s", msg.Text)
	}
	for _, personal := range []string{"ada@", "grace@", "Ada"} {
		if strings.Contains(msg.Text+msg.HTML, personal) || strings.Contains(f.logs.String(), personal) {
			t.Errorf("the digest or the logs show %q", personal)
		}
	}
}

// Jobs within their windows make no digest of their own.
func TestDigestLeavesOutJobsWithinTheirWindow(t *testing.T) {
	f := newFixture(t)
	f.withJobs()
	f.verifiedDeletion(t, "01JREQDEL00000000000000002", "ada@example.com", deadline.AddBusinessDays(now, -9))
	rep, err := f.h.Handle(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.JobsOverdue != 0 || rep.DigestQueued {
		t.Errorf("report = %+v, want nothing overdue and no digest", rep)
	}
	if got := f.mails(t, "TEAM#digest"); len(got) != 0 {
		t.Errorf("digest queued: %+v", got)
	}
}
