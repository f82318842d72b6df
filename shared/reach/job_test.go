package reach_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
	"github.com/claritru/privacy/shared/reach"
)

// Monday 2 March 2026, a week without federal holidays before the 23rd.
var monday = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func counter() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("id-%02d", n) }
}

func testRegister(t *testing.T) *reach.Register {
	t.Helper()
	reg, err := reach.NewRegister(
		reach.System{ID: "crm", Name: "CRM", Role: reach.ServiceProvider, ActsOn: []reach.Action{reach.Delete, reach.OptOut},
			Reach: reach.Webhook, URL: "https://crm.example/hook", Secret: "hooks/crm", AnswerWithinDays: 10},
		reach.System{ID: "billing", Name: "Billing", Role: reach.ServiceProvider, ActsOn: []reach.Action{reach.Delete},
			Reach: reach.VendorMail, Contact: "privacy@billing.example", AnswerWithinDays: 15},
		reach.System{ID: "hosting", Name: "Hosting", Role: reach.Contractor, ActsOn: []reach.Action{reach.Delete, reach.Access},
			Reach: reach.StaffTask, AnswerWithinDays: 3},
		reach.System{ID: "ads", Name: "Ads", Role: reach.AdPlatform, ActsOn: []reach.Action{reach.OptOut}, Reach: reach.Feed},
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestPlanGivesEachActingSystemOneJob(t *testing.T) {
	reg := testRegister(t)
	ids := []reach.Identifier{{Kind: "email", Value: "ada@example.com"}}
	requestDue := time.Date(2026, 3, 20, 9, 30, 0, 0, time.UTC) // before billing's 15 business days
	jobs := reach.Plan(reg, reach.Delete, monday, requestDue, "subject-key", "REQ1", ids, counter())
	if len(jobs) != 3 {
		t.Fatalf("%d jobs, want crm, billing and hosting: %+v", len(jobs), jobs)
	}
	ids[0].Value = "changed@example.com" // the jobs keep their own copy
	want := []struct {
		system string
		reach  reach.Channel
		status reach.Status
		due    time.Time
	}{
		// 10 business days from Monday 2 March: Monday 16 March.
		{"crm", reach.Webhook, reach.Queued, time.Date(2026, 3, 16, 9, 30, 0, 0, time.UTC)},
		// 15 business days would be Monday 23 March; the request is due on the 20th.
		{"billing", reach.VendorMail, reach.Told, requestDue},
		// 3 business days: Thursday 5 March.
		{"hosting", reach.StaffTask, reach.Told, time.Date(2026, 3, 5, 9, 30, 0, 0, time.UTC)},
	}
	seen := map[string]bool{}
	for i, j := range jobs {
		w := want[i]
		if j.System != w.system || j.Reach != w.reach || j.Status != w.status || !j.DueAt.Equal(w.due) {
			t.Errorf("job %d = %s %s %s due %s, want %s %s %s due %s", i, j.System, j.Reach, j.Status, j.DueAt, w.system, w.reach, w.status, w.due)
		}
		if j.Action != reach.Delete || j.RequestID != "REQ1" || j.SubjectKey != "subject-key" || !j.CreatedAt.Equal(monday) ||
			len(j.Identifiers) != 1 || j.Identifiers[0] != (reach.Identifier{Kind: "email", Value: "ada@example.com"}) {
			t.Errorf("job %d carries %+v", i, j)
		}
		if seen[j.ID] {
			t.Errorf("job id %s used twice", j.ID)
		}
		seen[j.ID] = true
		switch j.Reach {
		case reach.Webhook:
			if !j.NextAttemptAt.Equal(monday) || !j.ToldAt.IsZero() || j.Mail != nil {
				t.Errorf("webhook job: next attempt %s, told %s, mail %v; want due at once, not told, no mail", j.NextAttemptAt, j.ToldAt, j.Mail)
			}
		case reach.VendorMail:
			m := j.Mail
			if m == nil || m.To != "privacy@billing.example" || m.Template != mail.VendorNotice || seen[m.ID] || m.ID == "" ||
				m.Data["job_id"] != j.ID || m.Data["email"] != "ada@example.com" || m.Data["due_date"] != "20 March 2026, 09:30 UTC" || !j.ToldAt.Equal(monday) {
				t.Errorf("vendor mail job told %s with mail %+v", j.ToldAt, m)
			}
		default:
			if j.Mail != nil || !j.ToldAt.Equal(monday) || !j.NextAttemptAt.IsZero() {
				t.Errorf("task job: %+v", j)
			}
		}
	}

	// The feed is not given jobs; a system that does not act on the right
	// neither.
	optOuts := reach.Plan(reg, reach.OptOut, monday, time.Time{}, "k", "", ids, counter())
	if len(optOuts) != 1 || optOuts[0].System != "crm" || !optOuts[0].DueAt.Equal(time.Date(2026, 3, 16, 9, 30, 0, 0, time.UTC)) {
		t.Fatalf("opt-out jobs = %+v, want crm's alone, due by its own window", optOuts)
	}
	if got := reach.Plan(reg, reach.Correct, monday, requestDue, "k", "R", ids, counter()); len(got) != 0 {
		t.Fatalf("correction jobs = %+v, want none", got)
	}
}

func TestPlanWithAnswerWindow(t *testing.T) {
	reg := testRegister(t).WithAnswerWindow(10 * time.Minute)
	jobs := reach.Plan(reg, reach.Delete, monday, monday.Add(time.Hour), "k", "R", nil, counter())
	for _, j := range jobs {
		if !j.DueAt.Equal(monday.Add(10 * time.Minute)) {
			t.Errorf("%s due %s, want ten minutes after %s", j.System, j.DueAt, monday)
		}
	}
	// A URL changed later keeps the window.
	moved, err := reg.WithURL("crm", "https://elsewhere.example/hook")
	if err != nil {
		t.Fatal(err)
	}
	if j := reach.Plan(moved, reach.OptOut, monday, time.Time{}, "k", "", nil, counter()); len(j) != 1 || !j[0].DueAt.Equal(monday.Add(10*time.Minute)) {
		t.Fatalf("after WithURL: %+v", j)
	}
}

func TestNextAttemptBacksOff(t *testing.T) {
	want := []time.Duration{0, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 24 * time.Hour}
	for attempts, d := range want {
		if got := reach.NextAttempt(attempts, monday); !got.Equal(monday.Add(d)) {
			t.Errorf("after attempt %d: next at +%s, want +%s", attempts, got.Sub(monday), d)
		}
	}
	if got := reach.NextAttempt(reach.MaxAttempts-1, monday); !got.Equal(monday.Add(24 * time.Hour)) {
		t.Errorf("after attempt %d: +%s, want a day", reach.MaxAttempts-1, got.Sub(monday))
	}
	// After the last attempt, none is ever due.
	for _, n := range []int{reach.MaxAttempts, 100} {
		if got := reach.NextAttempt(n, monday); !got.Equal(reach.Parked) {
			t.Errorf("after attempt %d: %s, want parked", n, got)
		}
	}
}

func TestOpenDeletions(t *testing.T) {
	jobs := []reach.Job{
		{ID: "a", Action: reach.Delete, Status: reach.Queued},
		{ID: "b", Action: reach.Delete, Status: reach.Told},
		{ID: "c", Action: reach.Delete, Status: reach.Answered},
		{ID: "d", Action: reach.Access, Status: reach.Told},
		{ID: "e", Action: reach.OptOut, Status: reach.Queued},
	}
	var got []string
	for _, j := range reach.OpenDeletions(jobs) {
		got = append(got, j.ID)
	}
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("open deletions = %v, want a and b", got)
	}
	if reach.OpenDeletions(nil) != nil {
		t.Fatal("open deletions of no jobs")
	}
}

func TestActionsFor(t *testing.T) {
	cases := []struct {
		types []string
		want  []reach.Action
	}{
		{[]string{"know"}, []reach.Action{reach.Access}},
		{[]string{"know", "access"}, []reach.Action{reach.Access}},
		{[]string{"access", "delete", "correct"}, []reach.Action{reach.Access, reach.Delete, reach.Correct}},
		{[]string{"delete", "delete"}, []reach.Action{reach.Delete}},
		// A portable copy gathers what each system holds, as access does.
		{[]string{"portability", "access"}, []reach.Action{reach.Access}},
		{[]string{"restrict", "object"}, []reach.Action{reach.Restrict, reach.Object}},
		// Opt-out and limit are applied at once, not by a request's
		// verification.
		{[]string{"opt_out", "limit_sensitive"}, nil},
		{nil, nil},
	}
	for _, c := range cases {
		if got := reach.ActionsFor(c.types); !slices.Equal(got, c.want) {
			t.Errorf("ActionsFor(%v) = %v, want %v", c.types, got, c.want)
		}
	}
}

func TestJobOverdue(t *testing.T) {
	j := reach.Job{Status: reach.Told, DueAt: monday}
	if j.Overdue(monday) || !j.Overdue(monday.Add(time.Millisecond)) {
		t.Fatal("a told job is overdue only after its due time")
	}
	j.Status = reach.Answered
	if j.Overdue(monday.Add(time.Hour)) {
		t.Fatal("an answered job is never overdue")
	}
}

// The notice a vendor mail job queues can be sent: it renders, and tells
// the vendor what to do, for whom, by when and under which reference.
func TestVendorNoticeRenders(t *testing.T) {
	for _, a := range []reach.Action{reach.Delete, reach.OptOut, reach.Restrict, reach.Object} {
		reg, err := reach.NewRegister(reach.System{ID: "billing", Name: "Billing", Role: reach.ServiceProvider,
			ActsOn: []reach.Action{a}, Reach: reach.VendorMail, Contact: "privacy@billing.example"})
		if err != nil {
			t.Fatal(err)
		}
		ids := []reach.Identifier{{Kind: "email", Value: "ada@example.com"}, {Kind: "phone", Value: "+14155550100"}}
		jobs := reach.Plan(reg, a, monday, time.Time{}, "k", "REQ1", ids, counter())
		if len(jobs) != 1 || jobs[0].Mail == nil {
			t.Fatalf("jobs %+v", jobs)
		}
		m, err := mailrender.Render(*jobs[0].Mail, mailrender.Footer{PostalAddress: "1 Main St, Mobile, AL 36602, USA", Email: "privacy@claritru.example"})
		if err != nil {
			t.Fatalf("%s notice: %v", a, err)
		}
		want := map[reach.Action]string{reach.Delete: "Delete the personal information", reach.OptOut: "Stop selling or sharing",
			reach.Restrict: "Restrict the processing", reach.Object: "Stop using this person's personal information for direct marketing"}[a]
		for part, s := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			for _, w := range []string{jobs[0].ID, "ada@example.com", "14155550100", "16 March 2026", "REQ1", "Billing", want} {
				if !strings.Contains(s, w) {
					t.Errorf("%s notice, %s part lacks %q:\n%s", a, part, w, s)
				}
			}
		}
	}
}

// TestPlanCountsInTheZoneOfAt: a job planned on Friday 6 March 2026 at
// 20:00 in Los Angeles (Saturday 04:00 UTC) counts its business days from
// the Friday there, and the vendor's mail shows the date there.
func TestPlanCountsInTheZoneOfAt(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	friday := time.Date(2026, 3, 6, 20, 0, 0, 0, la)
	jobs := reach.Plan(testRegister(t), reach.Delete, friday, time.Time{}, "subject-key", "REQ1", []reach.Identifier{{Kind: "email", Value: "ada@example.com"}}, counter())
	byID := map[string]reach.Job{}
	for _, j := range jobs {
		byID[j.System] = j
	}
	// Hosting, 3 business days: Mon 9 (1), Tue 10 (2), Wed 11 (3), at 20:00
	// PDT (DST began on the 8th), 03:00 UTC on Thursday 12 March. Counted
	// in UTC it would have started on the Saturday and ended Wednesday
	// 04:00 UTC.
	if got, want := byID["hosting"].DueAt, time.Date(2026, 3, 12, 3, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("hosting due %s, want %s in UTC", got, want)
	}
	if !byID["hosting"].CreatedAt.Equal(friday) || byID["hosting"].CreatedAt.Location() != time.UTC {
		t.Errorf("created %s, want %s in UTC", byID["hosting"].CreatedAt, friday)
	}
	// Billing, 15 business days: 9-13 March (5), 16-20 (10), 23-27 (15).
	if got := byID["billing"].Mail.Data["due_date"]; got != "27 March 2026, 20:00 PDT" {
		t.Errorf("vendor mail due_date %q, want 27 March 2026, 20:00 PDT", got)
	}
}
