package ddb_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/topology"
)

// jobRegister is a register with one system of each reach.
func jobRegister(t *testing.T) *reach.Register {
	t.Helper()
	reg, err := reach.NewRegister(
		reach.System{ID: "crm", Name: "CRM", Role: reach.ServiceProvider, Reach: reach.Webhook,
			ActsOn: []reach.Action{reach.Delete, reach.Access, reach.OptOut, reach.Limit},
			URL:    "https://crm.example/hook", Secret: "hooks/crm"},
		reach.System{ID: "billing", Name: "Billing", Role: reach.ServiceProvider, Reach: reach.VendorMail,
			ActsOn: []reach.Action{reach.Delete}, Contact: "privacy@billing.example"},
		reach.System{ID: "hosting", Name: "Hosting", Role: reach.Contractor, Reach: reach.StaffTask,
			ActsOn: []reach.Action{reach.Delete, reach.Access}},
		reach.System{ID: "ads", Name: "Ads", Role: reach.AdPlatform, Reach: reach.Feed, ActsOn: []reach.Action{reach.OptOut}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// allJobs scans the table for every job item.
func allJobs(t *testing.T, db *dynamodb.Client, table string) []map[string]types.AttributeValue {
	t.Helper()
	var out []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("begins_with(pk, :p) AND sk = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "JOB#"}, ":sk": &types.AttributeValueMemberS{Value: "JOB"}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
	}
	return out
}

func systemsOf(jobs []reach.Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, string(j.Action)+":"+j.System)
	}
	return out
}

// A verified request writes its jobs with the verification; the requester's
// address is what the systems are told, never the phone they only typed.
func TestVerifyWritesTheRequestsJobs(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	clock := t0
	var raw string
	newToken := request.NewToken
	t.Cleanup(func() { request.NewToken = newToken })
	request.NewToken = func() (string, string, error) {
		r, h, err := newToken()
		raw = r
		return r, h, err
	}
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	intake, _ := topology.ClariTru.Function("intake")
	// Verified as the intake function may reach the table, no further.
	svc := request.NewService(ddb.NewRequests(ddb.Guard(db, intake), table), request.Config{
		Keyer: keyer, Phone: phone.E164, PublicBaseURL: "https://api.example", Systems: jobRegister(t), Now: func() time.Time { return clock },
	})
	rec, err := svc.Submit(ctx, request.Submission{Input: request.Input{
		Types: []string{"delete", "know"}, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		Phone: "+1 415 555 0100", Country: "US", State: "CA", Declaration: true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(allJobs(t, db, table)); n != 0 {
		t.Fatalf("%d jobs before verification", n)
	}
	clock = t0.Add(time.Hour)
	r, err := svc.Confirm(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := ddb.NewJobs(db, table).OfRequest(ctx, r.SubjectKey, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := systemsOf(jobs)
	slices.Sort(got)
	want := []string{"access:crm", "access:hosting", "delete:billing", "delete:crm", "delete:hosting"}
	if !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
	for _, j := range jobs {
		if len(j.Identifiers) != 1 || j.Identifiers[0] != (reach.Identifier{Kind: "email", Value: "ada@example.com"}) ||
			j.RequestID != rec.ID || !j.CreatedAt.Equal(clock) || j.DueAt.After(r.DueAt) {
			t.Errorf("job %+v", j)
		}
		// The vendor's notice is queued in the job's partition with it.
		wantItems := 1
		if j.Reach == reach.VendorMail {
			wantItems = 2
		}
		if n := count(t, db, table, "JOB#"+j.ID); n != wantItems {
			t.Errorf("%s job's partition holds %d items, want %d", j.System, n, wantItems)
		}
	}
	// A second use of the link writes nothing more.
	if _, err := svc.Confirm(ctx, raw); err == nil {
		t.Fatal("the link verified twice")
	}
	if n := len(allJobs(t, db, table)); n != len(want) {
		t.Fatalf("%d jobs after a second verification, want %d", n, len(want))
	}
}

// The jobs are written in the verification's transaction: a verification
// that fails (the token is used) leaves none behind.
func TestFailedVerificationWritesNoJob(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	jobs := ddb.NewJobs(db, table)
	ctx := context.Background()
	if err := s.Create(ctx, sampleCreation("J1")); err != nil {
		t.Fatal(err)
	}
	plan := func(at time.Time) []reach.Job {
		n := 0
		return reach.Plan(jobRegister(t), reach.Delete, at, at.AddDate(0, 0, 45), "k-J1", "J1",
			[]reach.Identifier{{Kind: "email", Value: "ada@example.com"}}, func() string { n++; return fmt.Sprintf("J1-%s-%d", at.Format("150405"), n) })
	}
	v := verification(s, t, "J1", t0.Add(time.Hour))
	v.Jobs = plan(t0.Add(time.Hour))
	if err := s.Verify(ctx, v); err != nil {
		t.Fatal(err)
	}
	late := verification(s, t, "J1", t0.Add(2*time.Hour))
	late.Jobs = plan(t0.Add(2 * time.Hour))
	if err := s.Verify(ctx, late); fault.KindOf(err) != fault.Gone {
		t.Fatalf("verify with a used token: %v, want Gone", err)
	}
	for _, j := range late.Jobs {
		if _, err := jobs.Job(ctx, j.ID); fault.KindOf(err) != fault.NotFound {
			t.Errorf("job %s of the failed verification: %v, want NotFound", j.ID, err)
		}
	}
	if n := len(allJobs(t, db, table)); n != len(v.Jobs) {
		t.Fatalf("%d jobs, want the first verification's %d", n, len(v.Jobs))
	}
}

// A new opt-out writes the jobs of the systems that must act; a repeat
// writes none; an opt-out by a browser alone tells no system (they know
// nobody by a browser id).
func TestOptOutWritesJobsOnlyWhenNew(t *testing.T) {
	svc, _, keyer, db, table := optOutService(t)
	svc.Systems = jobRegister(t)
	ctx := context.Background()
	jobs := ddb.NewJobs(db, table)
	out, err := svc.OptOut(ctx, optout.Input{Email: "Ada@Example.com", Phone: "+1 415 555 0100", Source: optout.Form})
	if err != nil || !out.New {
		t.Fatalf("opt-out %+v %v", out, err)
	}
	mine, err := jobs.OfSubject(ctx, keyer.Email("ada@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if got := systemsOf(mine); !slices.Equal(got, []string{"opt_out:crm"}) {
		t.Fatalf("jobs %v, want the CRM's opt-out alone (the feed takes the ad platform's)", got)
	}
	j := mine[0]
	if j.Status != reach.Queued || j.RequestID != "" || len(j.Identifiers) != 2 ||
		j.Identifiers[0] != (reach.Identifier{Kind: "email", Value: "ada@example.com"}) || j.Identifiers[1].Kind != "phone" {
		t.Fatalf("opt-out job %+v", j)
	}
	if again, err := svc.OptOut(ctx, optout.Input{Email: "ada@example.com", Source: optout.Form}); err != nil || again.New {
		t.Fatalf("repeat %+v %v", again, err)
	}
	if _, err := svc.OptOut(ctx, optout.Input{BrowserID: "browser-0001", GPC: true, Source: optout.Signal}); err != nil {
		t.Fatal(err)
	}
	if n := len(allJobs(t, db, table)); n != 1 {
		t.Fatalf("%d jobs after a repeat and a browser's opt-out, want 1", n)
	}
	// Limiting sensitive data is a right of its own: new, so told.
	if _, err := svc.OptOut(ctx, optout.Input{Email: "ada@example.com", Source: optout.Form, Rights: []optout.Right{optout.LimitSensitive}}); err != nil {
		t.Fatal(err)
	}
	mine, _ = jobs.OfSubject(ctx, keyer.Email("ada@example.com"))
	if got := systemsOf(mine); !slices.Equal(got, []string{"opt_out:crm", "limit_sensitive:crm"}) {
		t.Fatalf("jobs after a limit %v", got)
	}
	// Asking for both rights when one is in force already tells the
	// systems of the new one only.
	if _, err := svc.OptOut(ctx, optout.Input{Email: "grace@example.com", Source: optout.Form}); err != nil {
		t.Fatal(err)
	}
	both := []optout.Right{optout.SaleSharing, optout.LimitSensitive}
	if out, err := svc.OptOut(ctx, optout.Input{Email: "grace@example.com", Source: optout.Request, Rights: both}); err != nil || !out.New {
		t.Fatalf("both rights: %+v %v", out, err)
	}
	graces, _ := jobs.OfSubject(ctx, keyer.Email("grace@example.com"))
	if got := systemsOf(graces); !slices.Equal(got, []string{"opt_out:crm", "limit_sensitive:crm"}) {
		t.Fatalf("jobs after both rights with one in force %v, want the limit's added only", got)
	}
}

// putJobs writes jobs with a verification of a new request (the only way
// jobs are written) and returns them.
func putJobs(t *testing.T, s *ddb.Requests, reqID string, at time.Time, jobs ...reach.Job) {
	t.Helper()
	if err := s.Create(context.Background(), sampleCreation(reqID)); err != nil {
		t.Fatal(err)
	}
	v := verification(s, t, reqID, at)
	v.Jobs = jobs
	if err := s.Verify(context.Background(), v); err != nil {
		t.Fatal(err)
	}
}

func TestOverdueAndOfRequest(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	jobs := ddb.NewJobs(db, table)
	ctx := context.Background()
	at := t0.Add(time.Hour)
	job := func(id, req string, st reach.Status, due time.Time) reach.Job {
		j := reach.Job{ID: id, System: "crm", Action: reach.Delete, Reach: reach.Webhook, RequestID: req, SubjectKey: "k-same",
			Identifiers: []reach.Identifier{{Kind: "email", Value: "ada@example.com"}}, Status: st, CreatedAt: at, DueAt: due}
		if st == reach.Queued {
			j.NextAttemptAt = at
		} else {
			j.ToldAt, j.Reach = at, reach.StaffTask
		}
		return j
	}
	day := 24 * time.Hour
	putJobs(t, s, "O1", at,
		job("told-late", "O1", reach.Told, at.Add(day)),
		job("told-in-time", "O1", reach.Told, at.Add(10*day)),
		job("queued-late", "O1", reach.Queued, at.Add(2*day)),
		job("queued-in-time", "O1", reach.Queued, at.Add(10*day)),
	)
	putJobs(t, s, "O2", at, job("answered-late", "O2", reach.Told, at.Add(day)), job("other-request", "O2", reach.Queued, at.Add(day)))
	if err := jobs.Answer(ctx, reach.Job{ID: "answered-late"}, reach.Resolution{Outcome: reach.Done, By: "staff:ada", At: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ids := func(js []reach.Job) []string {
		var out []string
		for _, j := range js {
			out = append(out, j.ID)
		}
		slices.Sort(out)
		return out
	}
	over, err := jobs.Overdue(ctx, at.Add(3*day), 50)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(over); !slices.Equal(got, []string{"other-request", "queued-late", "told-late"}) {
		t.Fatalf("overdue %v", got)
	}
	// Exactly at its due time a job is not late yet.
	over, _ = jobs.Overdue(ctx, at.Add(day), 50)
	if got := ids(over); len(got) != 0 {
		t.Fatalf("overdue at the due time %v", got)
	}
	if over, _ := jobs.Overdue(ctx, at.Add(3*day), 2); len(over) != 2 {
		t.Fatalf("overdue with limit 2: %d", len(over))
	}
	of, err := jobs.OfRequest(ctx, "k-same", "O1")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(of); !slices.Equal(got, []string{"queued-in-time", "queued-late", "told-in-time", "told-late"}) {
		t.Fatalf("of request O1 %v", got)
	}
	if all, _ := jobs.OfSubject(ctx, "k-same"); len(all) != 6 {
		t.Fatalf("of subject: %d jobs, want 6", len(all))
	}
	// Due lists the queued webhooks whose attempt is due, not told ones.
	due, err := jobs.Due(ctx, at, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(due); !slices.Equal(got, []string{"other-request", "queued-in-time", "queued-late"}) {
		t.Fatalf("due %v", got)
	}
	if due, _ := jobs.Due(ctx, at.Add(-time.Millisecond), 10); len(due) != 0 {
		t.Fatalf("due before the first attempt: %v", ids(due))
	}
}

// Decode finds a new queued job in the stream and nothing else.
func TestDecodeFindsNewQueuedJobs(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	jobs := ddb.NewJobs(db, table)
	at := t0.Add(time.Hour)
	planned := reach.Plan(jobRegister(t), reach.Delete, at, at.AddDate(0, 0, 45), "k-D1", "D1",
		[]reach.Identifier{{Kind: "email", Value: "ada@example.com"}}, func() string { return fmt.Sprint("D1-", time.Now().UnixNano()) })
	putJobs(t, s, "D1", at, planned...)
	item := func(id string) map[string]types.AttributeValue {
		out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "JOB#" + id}, "sk": &types.AttributeValueMemberS{Value: "JOB"}}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	for _, p := range planned {
		j, ok, err := jobs.Decode(ddb.Change{Event: ddb.ChangeInsert, New: item(p.ID)})
		if err != nil || ok != (p.Reach == reach.Webhook) {
			t.Errorf("%s job: decoded %v, %v", p.System, ok, err)
		}
		if ok && (j.ID != p.ID || j.Status != reach.Queued || len(j.Identifiers) != 1) {
			t.Errorf("decoded %+v", j)
		}
		if _, ok, _ := jobs.Decode(ddb.Change{Event: ddb.ChangeModify, New: item(p.ID)}); ok {
			t.Errorf("%s job: a modification decoded as new", p.System)
		}
	}
	if _, ok, err := jobs.Decode(ddb.Change{Event: ddb.ChangeInsert, New: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "REQ#D1"}, "sk": &types.AttributeValueMemberS{Value: "REQ"}, "kind": &types.AttributeValueMemberS{Value: "request"}}}); ok || err != nil {
		t.Errorf("a request decoded as a job: %v %v", ok, err)
	}
}
