package request_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/request/requesttest"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
)

// clock is a settable Now.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func newService(t *testing.T, now time.Time) (*request.Service, *requesttest.Memory, *clock) {
	t.Helper()
	k, err := subject.NewKeyer(bytes.Repeat([]byte("pepper-"), 5))
	if err != nil {
		t.Fatal(err)
	}
	st := requesttest.New()
	clk := &clock{t: now}
	return request.NewService(st, request.Config{PublicBaseURL: "https://api.claritru.example", Keyer: k, Phone: phone.E164, Now: clk.Now}), st, clk
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, time.UTC) }

// endUTC is hour:59:59.999 UTC on a day: the end of the day before in Los
// Angeles when hour is 7 (PST) or 6 (PDT).
func endUTC(y int, m time.Month, d, hour int) time.Time {
	return time.Date(y, m, d, hour, 59, 59, 999_000_000, time.UTC)
}

// seed stores a request as it stands, as if it had got there through intake
// and earlier actions. Zero fields get the values of a verified CCPA request
// to access, received at the service's clock.
func seed(t *testing.T, svc *request.Service, st *requesttest.Memory, now time.Time, r request.Request) request.Request {
	t.Helper()
	if r.ID == "" {
		r.ID = svc.NewID(now)
	}
	if r.Types == nil {
		r.Types = []request.Type{request.Access}
	}
	if r.Status == "" {
		r.Status = request.Verified
	}
	if r.Email == "" {
		r.Email, r.FirstName, r.LastName = "ada@example.com", "Ada", "Lovelace"
	}
	if r.Regime == "" {
		r.Regime = deadline.CCPA
	}
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = now
	}
	if r.DueAt.IsZero() {
		r.DueAt = deadline.Due(r.Regime, r.ReceivedAt)
	}
	if r.Version == 0 {
		r.Version = 1
	}
	r.Channel = request.Web
	err := st.Create(context.Background(), request.Creation{
		Request: r,
		Event:   request.Event{ID: svc.NewID(now), At: r.ReceivedAt, Action: "received", To: r.Status, Actor: "requester"},
		Mail:    mail.Intent{ID: svc.NewID(now), Template: mail.RequestReceived, To: r.Email},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var allStatuses = []request.Status{
	request.PendingVerification, request.Received, request.Verified, request.InProgress, request.Extended,
	request.Completed, request.Denied, request.Cancelled, request.ExpiredUnverified,
}

// TestTransitions tries every action from every status. The table is the
// staff workflow the README describes, written out: nothing moves a closed
// request, a request waiting for verification can only be denied or
// cancelled, and an extended one can no longer be started or extended.
func TestTransitions(t *testing.T) {
	open := []request.Status{request.PendingVerification, request.Received, request.Verified, request.InProgress, request.Extended}
	allowed := map[request.Action][]request.Status{
		request.Start:    {request.Received, request.Verified},
		request.Extend:   {request.Received, request.Verified, request.InProgress},
		request.Complete: {request.Received, request.Verified, request.InProgress, request.Extended},
		request.Deny:     open,
		request.Cancel:   open,
		request.Resend:   {request.PendingVerification},
	}
	to := map[request.Action]request.Status{
		request.Start: request.InProgress, request.Extend: request.Extended, request.Complete: request.Completed,
		request.Deny: request.Denied, request.Cancel: request.Cancelled, request.Resend: request.PendingVerification,
	}
	template := map[request.Action]mail.Template{
		request.Extend: mail.RequestExtended, request.Complete: mail.RequestCompleted,
		request.Deny: mail.RequestDenied, request.Cancel: mail.RequestCancelled, request.Resend: mail.RequestReceived,
	}
	received := day(2026, 1, 5)
	now := day(2026, 1, 20)
	for _, action := range []request.Action{request.Start, request.Extend, request.Complete, request.Deny, request.Cancel, request.Resend} {
		for _, from := range allStatuses {
			name := fmt.Sprintf("%s from %s", action, from)
			r := request.Request{
				ID: "01JZ8X6Q3V4N5T7W9Y0A2B4C6D", Types: []request.Type{request.Delete}, Status: from,
				Email: "ada@example.com", FirstName: "Ada", Regime: deadline.CCPA,
				ReceivedAt: received, DueAt: deadline.Due(deadline.CCPA, received), Version: 3,
				Extended: from == request.Extended,
			}
			next, ev, m, err := request.Transition(r, request.ActionInput{Action: action, Reason: "a reason", Actor: "staff-1"}, now)
			if !slices.Contains(allowed[action], from) {
				if fault.KindOf(err) != fault.Conflict {
					t.Errorf("%s: err = %v, want a conflict", name, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if next.Status != to[action] || next.Version != 4 || next.ID != r.ID {
				t.Errorf("%s: now %s version %d, want %s version 4", name, next.Status, next.Version, to[action])
			}
			if ev.Action != string(action) || ev.From != from || ev.To != to[action] || ev.Actor != "staff-1" || !ev.At.Equal(now) {
				t.Errorf("%s: event %+v", name, ev)
			}
			switch {
			case template[action] == "" && m != nil:
				t.Errorf("%s: mails %s, want no mail", name, m.Template)
			case template[action] != "" && (m == nil || m.Template != template[action] || m.To != r.Email || m.Data["request_id"] != r.ID):
				t.Errorf("%s: mail %+v, want %s to the requester", name, m, template[action])
			}
			if closed := !to[action].Open(); closed != next.ClosedAt.Equal(now) {
				t.Errorf("%s: closed_at %s", name, next.ClosedAt)
			}
		}
	}

	_, _, _, err := request.Transition(request.Request{Status: request.Verified}, request.ActionInput{Action: "archive"}, now)
	if !hasField(err, "action") {
		t.Errorf("unknown action: %v, want a field error on action", err)
	}
}

// hasField reports whether err is a validation error naming field.
func hasField(err error, field string) bool {
	var fe *fault.Error
	return errors.As(err, &fe) && fe.Kind == fault.Invalid && fault.Fields(fe.Fields).Has(field)
}

// TestWorkflowExtendedDueDates follows a request from the form through
// verification to its one extension, under each clock.
func TestWorkflowExtendedDueDates(t *testing.T) {
	tests := []struct {
		name, country, state string
		received             time.Time
		due, extended        time.Time
		dueText              string
	}{
		// Received 09:00 UTC, 01:00 PST on the same day in the company's
		// zone; each deadline is the end of its day there.
		// 11 CCR §7021(b): day 45 is receipt + 44. 5 January + 26 days is
		// 31 January, + 18 more is 18 February (PST: 19 February 07:59:59.999
		// UTC). The extension: day 90 is receipt + 89: 18 February + 10 is
		// 28 February (54), + 31 is 31 March (85), + 4 is 4 April (89), in
		// PDT: 5 April 06:59:59.999 UTC.
		{"CCPA", "US", "CA", day(2026, 1, 5), endUTC(2026, 2, 19, 7), endUTC(2026, 4, 5, 6), "4 April 2026, 23:59 PDT"},
		// GDPR Art. 12(3): one month from receipt; 31 February does not
		// exist, so 28 February. Two further months from 28 February: 28
		// April, earlier than three months from receipt (30 April), and
		// the earlier is taken.
		{"GDPR", "DE", "", day(2026, 1, 31), endUTC(2026, 3, 1, 7), endUTC(2026, 4, 29, 6), "28 April 2026, 23:59 PDT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			svc, st, clk := newService(t, tt.received)
			rc, err := svc.Submit(ctx, request.Submission{Input: request.Input{
				Types: []string{"delete"}, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
				Country: tt.country, State: tt.state, Declaration: true,
			}})
			if err != nil {
				t.Fatal(err)
			}
			if !rc.DueAt.Equal(tt.due) {
				t.Fatalf("due %s, want %s", rc.DueAt, tt.due)
			}
			clk.t = tt.received.Add(2 * time.Hour)
			if _, err := svc.Confirm(ctx, st.LastToken(t)); err != nil {
				t.Fatal(err)
			}
			clk.t = tt.received.AddDate(0, 0, 10)
			r, err := svc.Act(ctx, rc.ID, request.ActionInput{Action: request.Extend, Reason: "  Archived records  ", Actor: "staff-1"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != request.Extended || !r.Extended || !r.DueAt.Equal(tt.extended) || r.ExtensionReason != "Archived records" {
				t.Fatalf("after extend: %s extended=%v due %s reason %q; want due %s", r.Status, r.Extended, r.DueAt, r.ExtensionReason, tt.extended)
			}
			stored, _ := st.Get(ctx, rc.ID)
			if !stored.DueAt.Equal(tt.extended) {
				t.Errorf("stored due %s", stored.DueAt)
			}
			last := st.Mails()[len(st.Mails())-1]
			if last.Template != mail.RequestExtended || last.Data["due_at"] != tt.dueText || last.Data["reason"] != "Archived records" {
				t.Errorf("notice %s %v", last.Template, last.Data)
			}
		})
	}
}

// TestWorkflowExtendOnce: one extension (11 CCR §7021(b); GDPR Art. 12(3)),
// and only while the original period runs, since its notice must reach the
// requester within it.
func TestWorkflowExtendOnce(t *testing.T) {
	ctx := context.Background()
	received := day(2026, 1, 5)
	svc, st, clk := newService(t, received.AddDate(0, 0, 3))
	r := seed(t, svc, st, received, request.Request{Status: request.InProgress, ReceivedAt: received})
	ext := request.ActionInput{Action: request.Extend, Reason: "The practice's records are archived.", Actor: "staff-1"}
	if _, err := svc.Act(ctx, r.ID, ext); err != nil {
		t.Fatal(err)
	}
	before := len(st.Mails())
	if _, err := svc.Act(ctx, r.ID, ext); fault.KindOf(err) != fault.Conflict {
		t.Fatalf("second extension: %v, want a conflict", err)
	}
	if len(st.Mails()) != before {
		t.Error("a refused extension queued a mail")
	}
	// Even where the status would allow it, the flag holds.
	r.Extended = true
	if _, _, _, err := request.Transition(r, ext, clk.t); fault.KindOf(err) != fault.Conflict {
		t.Errorf("extension with the flag set: %v, want a conflict", err)
	}

	due := deadline.Due(deadline.CCPA, received) // the end of 18 February 2026 (day 45), UTC
	fresh := request.Request{ID: "01JZ8X6Q3V4N5T7W9Y0A2B4C6D", Status: request.Verified, Email: "ada@example.com",
		Types: []request.Type{request.Access}, Regime: deadline.CCPA, ReceivedAt: received, DueAt: due, Version: 1}
	for _, tt := range []struct {
		at time.Time
		ok bool
	}{
		{due.Add(-time.Millisecond), true},
		{due, false},
		{due.AddDate(0, 0, 1), false},
	} {
		_, _, _, err := request.Transition(fresh, ext, tt.at)
		if tt.ok != (err == nil) || (!tt.ok && fault.KindOf(err) != fault.Conflict) {
			t.Errorf("extend at %s (due %s): %v", tt.at, due, err)
		}
	}
}

func TestWorkflowReasonsRequired(t *testing.T) {
	ctx := context.Background()
	now := day(2026, 1, 5)
	svc, st, _ := newService(t, now)
	r := seed(t, svc, st, now, request.Request{})
	before := len(st.Mails())
	for _, action := range []request.Action{request.Extend, request.Deny} {
		for _, reason := range []string{"", "  \n "} {
			_, err := svc.Act(ctx, r.ID, request.ActionInput{Action: action, Reason: reason, Actor: "staff-1"})
			if !hasField(err, "reason") {
				t.Errorf("%s with reason %q: %v, want a field error on reason", action, reason, err)
			}
		}
	}
	if got, _ := st.Get(ctx, r.ID); got.Version != r.Version || got.Status != r.Status || len(st.Mails()) != before {
		t.Errorf("a refused action changed the request: %+v", got)
	}
	// The others need none.
	for _, action := range []request.Action{request.Start, request.Complete} {
		if _, err := svc.Act(ctx, r.ID, request.ActionInput{Action: action, Actor: "staff-1"}); err != nil {
			t.Errorf("%s without a reason: %v", action, err)
		}
	}
	r2 := seed(t, svc, st, now, request.Request{})
	if _, err := svc.Act(ctx, r2.ID, request.ActionInput{Action: request.Cancel, Actor: "staff-1"}); err != nil {
		t.Errorf("cancel without a reason: %v", err)
	}
}

func TestWorkflowVersionConflict(t *testing.T) {
	ctx := context.Background()
	now := day(2026, 1, 5)
	svc, st, _ := newService(t, now)
	r := seed(t, svc, st, now, request.Request{Version: 2})
	if _, err := svc.Act(ctx, r.ID, request.ActionInput{Action: request.Start, Version: 1, Actor: "staff-1"}); fault.KindOf(err) != fault.Conflict {
		t.Fatalf("stale version: %v, want a conflict", err)
	}
	if got, _ := st.Get(ctx, r.ID); got.Status != request.Verified || got.Version != 2 {
		t.Fatalf("a stale action changed the request: %+v", got)
	}
	next, err := svc.Act(ctx, r.ID, request.ActionInput{Action: request.Start, Version: 2, Actor: "staff-1"})
	if err != nil || next.Version != 3 || next.Status != request.InProgress {
		t.Fatalf("current version: %+v, %v", next, err)
	}
	// A second member of staff who read version 2 cannot overwrite it.
	if _, err := svc.Act(ctx, r.ID, request.ActionInput{Action: request.Cancel, Version: 2, Actor: "staff-2"}); fault.KindOf(err) != fault.Conflict {
		t.Fatalf("second writer: %v, want a conflict", err)
	}
	if _, err := svc.Act(ctx, "01JZ8X6Q3V4N5T7W9Y0A2B4C6D", request.ActionInput{Action: request.Start}); fault.KindOf(err) != fault.NotFound {
		t.Errorf("unknown request: %v, want not found", err)
	}
}

// TestWorkflowActionMails: the requester hears of every decision, with the reason.
func TestWorkflowActionMails(t *testing.T) {
	ctx := context.Background()
	now := day(2026, 1, 5)
	tests := []struct {
		in       request.ActionInput
		template mail.Template
		says     string
	}{
		{request.ActionInput{Action: request.Extend, Reason: "Your records are in our archive."}, mail.RequestExtended, "Why: Your records are in our archive."},
		{request.ActionInput{Action: request.Complete, Outcome: "We deleted your account data."}, mail.RequestCompleted, "We deleted your account data."},
		{request.ActionInput{Action: request.Deny, Reason: "We could not verify your identity (11 CCR §7060)."}, mail.RequestDenied, "Why: We could not verify your identity (11 CCR §7060)."},
		{request.ActionInput{Action: request.Cancel, Reason: "Withdrawn by the requester on the phone."}, mail.RequestCancelled, "is cancelled"},
	}
	for _, tt := range tests {
		t.Run(string(tt.in.Action), func(t *testing.T) {
			svc, st, clk := newService(t, now)
			r := seed(t, svc, st, now, request.Request{})
			clk.t = now.AddDate(0, 0, 2)
			tt.in.Actor = "arn:aws:iam::111122223333:user/privacy-lead"
			before := len(st.Mails())
			if _, err := svc.Act(ctx, r.ID, tt.in); err != nil {
				t.Fatal(err)
			}
			mails := st.Mails()[before:]
			if len(mails) != 1 || mails[0].Template != tt.template || mails[0].To != r.Email || mails[0].ID == "" {
				t.Fatalf("mails %+v, want one %s to %s", mails, tt.template, r.Email)
			}
			msg, err := mailrender.Render(mails[0], mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(msg.Text, tt.says) || !strings.Contains(msg.Text, r.ID) || !strings.Contains(msg.Text, "Hello Ada") {
				t.Errorf("%s mail does not say %q:\n%s", tt.template, tt.says, msg.Text)
			}
			evs, _ := st.Events(ctx, r.ID)
			last := evs[len(evs)-1]
			if len(evs) != 2 || last.Actor != tt.in.Actor || last.Action != string(tt.in.Action) || !last.At.Equal(clk.t) {
				t.Errorf("history %+v", evs)
			}
		})
	}
	svc, st, _ := newService(t, now)
	r := seed(t, svc, st, now, request.Request{})
	before := len(st.Mails())
	if _, err := svc.Act(ctx, r.ID, request.ActionInput{Action: request.Start}); err != nil {
		t.Fatal(err)
	}
	if len(st.Mails()) != before {
		t.Error("start mailed the requester")
	}
}

func TestExpireUnverified(t *testing.T) {
	ctx := context.Background()
	received := day(2026, 3, 1)
	svc, st, clk := newService(t, received)
	rc, err := svc.Submit(ctx, request.Submission{Input: request.Input{
		Types: []string{"access"}, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Declaration: true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	verified := seed(t, svc, st, received.AddDate(0, 0, -40), request.Request{Email: "bob@example.com", FirstName: "Bob"})
	before := len(st.Mails())

	clk.t = received.Add(request.UnverifiedFor - time.Millisecond)
	if n, err := svc.ExpireUnverified(ctx); n != 0 || err != nil {
		t.Fatalf("before 30 days: %d closed, %v", n, err)
	}
	if r, _ := st.Get(ctx, rc.ID); r.Status != request.PendingVerification || len(st.Mails()) != before {
		t.Fatalf("before 30 days the request is %s", r.Status)
	}

	clk.t = received.Add(request.UnverifiedFor)
	if n, err := svc.ExpireUnverified(ctx); n != 1 || err != nil {
		t.Fatalf("after 30 days: %d closed, %v", n, err)
	}
	r, _ := st.Get(ctx, rc.ID)
	if r.Status != request.ExpiredUnverified || !r.ClosedAt.Equal(clk.t) || r.Version != 2 {
		t.Fatalf("after 30 days: %+v", r)
	}
	// Kept as the §7101 log, minimised: no name or address, but the
	// types, dates and the subject key.
	if r.Email != "" || r.FirstName != "" || r.LastName != "" || r.SubjectKey == "" || len(r.Types) != 1 || !r.ReceivedAt.Equal(received) {
		t.Errorf("expired request keeps %+v, want it minimised", r)
	}
	mails := st.Mails()[before:]
	if len(mails) != 1 || mails[0].Template != mail.RequestExpired || mails[0].To != "ada@example.com" || mails[0].Data["received_at"] != "1 March 2026, 01:00 PST" {
		t.Fatalf("mails %+v, want the expiry notice", mails)
	}
	evs, _ := st.Events(ctx, rc.ID)
	if len(evs) != 2 || evs[1].Action != "expire" || evs[1].Actor != "system" || evs[1].From != request.PendingVerification {
		t.Errorf("history %+v", evs)
	}
	if v, _ := st.Get(ctx, verified.ID); v.Status != request.Verified {
		t.Errorf("a verified request was expired: %s", v.Status)
	}
	if n, err := svc.ExpireUnverified(ctx); n != 0 || err != nil {
		t.Errorf("second sweep: %d closed, %v", n, err)
	}
}

func TestWatch(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	svc, st, _ := newService(t, now)
	var queued []mail.Intent
	queue := func(_ context.Context, m mail.Intent) error { queued = append(queued, m); return nil }

	// Nothing due within a week: no mail.
	seed(t, svc, st, now, request.Request{DueAt: now.AddDate(0, 0, 30)})
	// Waiting for verification: the clock runs, but staff cannot act yet.
	seed(t, svc, st, now, request.Request{Status: request.PendingVerification, DueAt: now.AddDate(0, 0, -1)})
	// Closed, however late it was.
	seed(t, svc, st, now, request.Request{Status: request.Completed, DueAt: now.AddDate(0, 0, -3)})
	d, sent, err := svc.Watch(ctx, "privacy@claritru.example", queue)
	if err != nil || sent || len(d.Overdue)+len(d.DueSoon) != 0 || len(queued) != 0 {
		t.Fatalf("nothing due: %+v sent=%v queued=%d %v", d, sent, len(queued), err)
	}

	overdue := seed(t, svc, st, now, request.Request{Status: request.InProgress, DueAt: now.Add(-2 * time.Hour), Types: []request.Type{request.Delete}})
	soon3 := seed(t, svc, st, now, request.Request{Status: request.Extended, Extended: true, DueAt: now.AddDate(0, 0, 7).Add(-time.Minute)})
	soon1 := seed(t, svc, st, now, request.Request{Status: request.Received, DueAt: now.AddDate(0, 0, 1), Types: []request.Type{request.OptOut}})
	soon2 := seed(t, svc, st, now, request.Request{Status: request.Verified, DueAt: now.AddDate(0, 0, 2)})
	seed(t, svc, st, now, request.Request{Status: request.Extended, Extended: true, DueAt: now.AddDate(0, 0, 7).Add(time.Minute)})

	// No team address: the digest, but no mail.
	d, sent, err = svc.Watch(ctx, "", queue)
	if err != nil || sent || len(queued) != 0 || len(d.Overdue) != 1 {
		t.Fatalf("no team address: %+v sent=%v %v", d, sent, err)
	}

	d, sent, err = svc.Watch(ctx, "privacy@claritru.example", queue)
	if err != nil || !sent || len(queued) != 1 {
		t.Fatalf("watch: sent=%v queued=%d %v", sent, len(queued), err)
	}
	ids := func(rs []request.Request) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got, want := ids(d.Overdue), []string{overdue.ID}; !slices.Equal(got, want) {
		t.Errorf("overdue %v, want %v", got, want)
	}
	if got, want := ids(d.DueSoon), []string{soon1.ID, soon2.ID, soon3.ID}; !slices.Equal(got, want) {
		t.Errorf("due soon %v, want %v (by due date)", got, want)
	}
	m := queued[0]
	if m.Template != mail.DeadlineDigest || m.To != "privacy@claritru.example" || m.Data["overdue_count"] != "1" || m.Data["due_soon_count"] != "3" || m.ID == "" {
		t.Fatalf("digest %+v", m)
	}
	msg, err := mailrender.Render(m, mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"})
	if err != nil {
		t.Fatal(err)
	}
	// 10 March 2026 08:00 UTC is 01:00 PDT (DST began on 8 March): the
	// overdue request was due two hours before, 23:00 PDT on 9 March.
	wantLine := overdue.ID + "  due 2026-03-09 PDT  in_progress  delete"
	if !strings.Contains(msg.Text, wantLine) || !strings.Contains(msg.Text, soon1.ID+"  due 2026-03-11 PDT  received  opt_out") ||
		!strings.Contains(msg.Text, "Privacy requests on 10 March 2026 (PDT)") {
		t.Errorf("digest text:\n%s", msg.Text)
	}
	// The digest names requests, never people.
	if strings.Contains(msg.Text, "ada@example.com") || strings.Contains(msg.Text, "Lovelace") {
		t.Errorf("digest carries personal data:\n%s", msg.Text)
	}
}

// TestMetrics works the 11 CCR §7102 figures out by hand.
func TestMetrics(t *testing.T) {
	ctx := context.Background()
	now := day(2026, 7, 1)
	svc, st, _ := newService(t, now)
	add := func(types []request.Type, status request.Status, received time.Time, days int) {
		r := request.Request{Types: types, Status: status, ReceivedAt: received}
		if days >= 0 {
			r.ClosedAt = received.AddDate(0, 0, days)
		}
		seed(t, svc, st, now, r)
	}
	access, del := request.Access, request.Delete
	add([]request.Type{access, del}, request.Completed, day(2026, 1, 5), 10)
	add([]request.Type{access}, request.Completed, day(2026, 2, 1), 20)
	add([]request.Type{access, del}, request.Denied, day(2026, 3, 1), 45)
	add([]request.Type{del}, request.InProgress, day(2026, 5, 1), -1)
	add([]request.Type{request.OptOut}, request.Cancelled, day(2026, 6, 1), 1)
	// Never verified: closed 30 days after receipt, a denial as
	// unverifiable.
	add([]request.Type{del}, request.ExpiredUnverified, day(2026, 4, 1), 30)
	// 1 Jan 2027 03:00 UTC is 31 Dec 2026 19:00 PST: received in 2026 in
	// the company's zone, though 2027 in UTC.
	seed(t, svc, st, now, request.Request{Types: []request.Type{request.Correct}, Status: request.Received,
		ReceivedAt: time.Date(2027, 1, 1, 3, 0, 0, 0, time.UTC)})
	// Received the year before, answered this year: last year's figures.
	add([]request.Type{access}, request.Completed, day(2025, 12, 30), 5)

	m, err := svc.Metrics(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	eq := func(name string, got, want map[string]int) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
	}
	eq("received", m.Received, map[string]int{"access": 3, "delete": 4, "opt_out": 1, "correct": 1})
	eq("completed", m.Completed, map[string]int{"access": 2, "delete": 1})
	eq("denied", m.Denied, map[string]int{"access": 1, "delete": 2})
	eq("denied as unverifiable", m.DeniedByReason["unverifiable"], map[string]int{"delete": 1})
	if len(m.DeniedByReason) != 1 {
		t.Errorf("denial reasons %v, want unverifiable only", m.DeniedByReason)
	}
	// access answered after 10, 20 and 45 days: the middle one, 20.
	// delete after 10, 30 (the expiry notice) and 45: the middle one, 30.
	// Open and cancelled requests were not responded to.
	if len(m.MedianDaysToRespond) != 2 || m.MedianDaysToRespond["access"] != 20 || m.MedianDaysToRespond["delete"] != 30 {
		t.Errorf("median days = %v, want access 20, delete 30", m.MedianDaysToRespond)
	}
	if m.Year != 2026 {
		t.Errorf("year %d", m.Year)
	}

	last, err := svc.Metrics(ctx, 2025)
	if err != nil || last.Received["access"] != 1 || last.MedianDaysToRespond["access"] != 5 {
		t.Errorf("2025: %+v, %v", last, err)
	}
	for _, y := range []int{0, 1999, 10000} {
		if _, err := svc.Metrics(ctx, y); !hasField(err, "year") {
			t.Errorf("year %d: %v, want a field error on year", y, err)
		}
	}
}

// Opt-out and limit-sensitive requests are due in 15 business days and allow
// no extension (11 CCR §7026(f), §7027(g)).
func TestWorkflowOptOutRequestsCannotBeExtended(t *testing.T) {
	now := day(2026, 3, 2)
	svc, st, _ := newService(t, now)
	r := seed(t, svc, st, now, request.Request{Types: []request.Type{request.OptOut}, Status: request.Received})
	_, err := svc.Act(context.Background(), r.ID, request.ActionInput{Action: request.Extend, Reason: "busy"})
	if fault.KindOf(err) != fault.Conflict {
		t.Fatalf("extending an opt-out request = %v, want Conflict", err)
	}
}

// A request whose person was erased has no address: actions on it queue no
// mail, and a cancellation keeps its reason in the history.
func TestWorkflowErasedRequestGetsNoMailAndCancelKeepsReason(t *testing.T) {
	now := day(2026, 3, 2)
	svc, st, _ := newService(t, now)
	r := seed(t, svc, st, now, request.Request{})
	stripped := r
	stripped.Email, stripped.FirstName, stripped.LastName, stripped.Version = "", "", "", 2
	if err := st.Update(context.Background(), request.Change{Request: stripped, FromVersion: 1,
		Event: request.Event{ID: svc.NewID(now), At: now, Action: "erase"}}); err != nil {
		t.Fatal(err)
	}
	before := len(st.Mails())
	if _, err := svc.Act(context.Background(), r.ID, request.ActionInput{Action: request.Cancel, Reason: "duplicate of an earlier request"}); err != nil {
		t.Fatal(err)
	}
	if len(st.Mails()) != before {
		t.Fatal("a mail was queued for a request with no address")
	}
	evs, _ := st.Events(context.Background(), r.ID)
	if last := evs[len(evs)-1]; last.Action != "cancel" || last.Note != "duplicate of an earlier request" {
		t.Fatalf("last event %+v", last)
	}
	if _, err := svc.Act(context.Background(), seed(t, svc, st, now, request.Request{}).ID,
		request.ActionInput{Action: request.Complete, Outcome: strings.Repeat("x", 5001)}); !hasField(err, "outcome") {
		t.Fatalf("oversize outcome = %v, want a field error on outcome", err)
	}
}

// After an erasure the request has nobody to verify: its link is gone.
func TestConfirmOfAnErasedRequestIsGone(t *testing.T) {
	now := day(2026, 3, 2)
	svc, st, _ := newService(t, now)
	ctx := context.Background()
	rc, err := svc.Submit(ctx, request.Submission{Input: request.Input{
		Types: []string{"access"}, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Declaration: true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	token := st.LastToken(t)
	r, _ := st.Get(ctx, rc.ID)
	stripped := r
	stripped.Email, stripped.FirstName, stripped.LastName, stripped.Version = "", "", "", r.Version+1
	if err := st.Update(ctx, request.Change{Request: stripped, FromVersion: r.Version, Event: request.Event{ID: svc.NewID(now), At: now, Action: "erase"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Confirm(ctx, token); fault.KindOf(err) != fault.Gone {
		t.Fatalf("confirm of an erased request = %v, want Gone", err)
	}
}

// Resend mails the receipt again with a new link that verifies the request,
// not capped (staff send it), and records who sent it.
func TestResendGivesANewVerificationLink(t *testing.T) {
	svc, st, _ := newTestService(t, day(2026, 1, 5))
	ctx := context.Background()
	rc, err := svc.Submit(ctx, submission("delete"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Act(ctx, rc.ID, request.ActionInput{Action: request.Resend, Actor: "staff-1"}); err != nil {
		t.Fatal(err)
	}
	mails := st.Mails()
	if len(mails) != 2 || mails[1].Template != mail.RequestReceived || mails[1].RecipientKey != "" {
		t.Fatalf("mails %+v, want the receipt again, not counted against a cap", mails)
	}
	first, again := mails[0].Data["verify_url"], mails[1].Data["verify_url"]
	if again == "" || again == first || !strings.HasPrefix(again, "https://") {
		t.Fatalf("links %q then %q, want a new one", first, again)
	}
	u, err := url.Parse(again)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Confirm(ctx, u.Query().Get("token")); err != nil {
		t.Fatalf("the new link does not verify: %v", err)
	}
	evs, _ := st.Events(ctx, rc.ID)
	if !slices.ContainsFunc(evs, func(e request.Event) bool { return e.Action == "resend" && e.Actor == "staff-1" }) {
		t.Errorf("history %+v, want the resend by staff-1", evs)
	}
	if _, err := svc.Act(ctx, rc.ID, request.ActionInput{Action: request.Resend, Actor: "staff-1"}); fault.KindOf(err) != fault.Conflict {
		t.Errorf("resend of a verified request: %v, want a conflict", err)
	}
}
