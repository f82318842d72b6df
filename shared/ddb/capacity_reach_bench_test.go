package ddb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/claritru/privacy/shared/choices"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
)

// pendingRequests stores n delete requests awaiting verification through an
// unmetered client, and returns the verifications that would confirm them.
func pendingRequests(b *testing.B, table string, n int) []request.Verification {
	b.Helper()
	db := dynamodb.NewFromConfig(localcloud.LocalAWS(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(localtest.DynamoDBEndpoint())
	})
	store := ddb.NewRequests(db, table)
	now := time.Now().UTC().Truncate(time.Millisecond)
	out := make([]request.Verification, n)
	for i := range out {
		id := fmt.Sprintf("01JBENCH%018d", i)
		r := request.Request{
			ID: id, Types: []request.Type{request.Delete}, Status: request.PendingVerification, Channel: request.Web,
			FirstName: "Ada", LastName: "Lovelace", Email: fmt.Sprintf("v%d@example.com", i), Regime: "ccpa",
			ReceivedAt: now, DueAt: now.Add(45 * 24 * time.Hour), SubjectKey: fmt.Sprintf("%064x", i), Version: 1,
		}
		hash := fmt.Sprintf("%064x", 1<<40+i)
		c := request.Creation{
			Request: r, TokenHash: hash, TokenExpiresAt: now.Add(time.Hour),
			Event: request.Event{ID: id + "E", At: now, Action: "received", To: r.Status, Actor: "requester"},
			Mail:  mail.Intent{ID: id + "M", Template: mail.RequestReceived, To: r.Email},
		}
		if err := store.Create(context.Background(), c); err != nil {
			b.Fatal(err)
		}
		out[i] = request.Verification{
			TokenHash: hash, Request: r, At: now,
			Event: request.Event{ID: id + "V", At: now, Action: "verified", From: r.Status, To: request.Verified, Actor: "requester"},
			Mail:  mail.Intent{ID: id + "N", Template: mail.RequestVerified, To: r.Email},
		}
	}
	return out
}

// BenchmarkVerifyNoJobs and BenchmarkVerifyWithJobs: the verification
// transaction of a delete request (token used, request verified, audit
// event, mail) alone, the baseline, and with one job per system of the
// repository's register that must act on a deletion.
func BenchmarkVerifyNoJobs(b *testing.B) { benchVerify(b, nil) }

func BenchmarkVerifyWithJobs(b *testing.B) { benchVerify(b, reach.Systems()) }

func benchVerify(b *testing.B, reg *reach.Register) {
	db, table, m := meteredTable(b)
	vs := pendingRequests(b, table, b.N)
	store := ddb.NewRequests(db, table)
	n := 0
	for i := range vs {
		if reg != nil {
			v := &vs[i]
			v.Jobs = reach.Plan(reg, reach.Delete, v.At, v.Request.DueAt, v.Request.SubjectKey, v.Request.ID,
				[]reach.Identifier{{Kind: "email", Value: v.Request.Email}}, func() string { n++; return fmt.Sprintf("01JBENCHJOB%015d", n) })
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if err := store.Verify(context.Background(), vs[i]); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b)
	b.ReportMetric(float64(len(vs[0].Jobs)), "jobs/op")
}

// BenchmarkOptOutNewWithJobs: BenchmarkOptOutNew with the register, so a
// new opt-out also writes a job per system that must act on it.
func BenchmarkOptOutNewWithJobs(b *testing.B) {
	db, table, m := meteredTable(b)
	svc := optout.NewService(ddb.NewOptOuts(db, table), benchKeyer(b), nil, nil)
	svc.Systems = reach.Systems()
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := svc.OptOut(ctx, optout.Input{Email: fmt.Sprintf("o%d@example.com", i), BrowserID: fmt.Sprintf("browser-%08d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b)
}

// BenchmarkOptOutStatus and BenchmarkChoices: what a page load costs. The
// Do Not Sell page's status read (one opt-out state) is the baseline; the
// banner's GET /v1/choices reads the browser's consent states and both
// opt-out states.
func BenchmarkOptOutStatus(b *testing.B) {
	db, table, m := meteredTable(b)
	opts := ddb.NewOptOuts(db, table)
	key := choicesSubject(b, db, table)
	m.reset()
	b.ResetTimer()
	for range b.N {
		if _, _, err := opts.State(context.Background(), key, optout.SaleSharing); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b)
}

func BenchmarkChoices(b *testing.B) {
	db, table, m := meteredTable(b)
	r := choices.Reader{Consents: ddb.NewConsents(db, table), OptOuts: ddb.NewOptOuts(db, table)}
	key := choicesSubject(b, db, table)
	m.reset()
	b.ResetTimer()
	for range b.N {
		f, err := r.Facts(context.Background(), key, false)
		if err != nil {
			b.Fatal(err)
		}
		if f.SaleSharing == nil {
			b.Fatal("the browser's opt-out was not read")
		}
	}
	m.report(b)
}

// choicesSubject records a browser's cookie choices and its opt-out, and
// returns its subject key.
func choicesSubject(b *testing.B, db *dynamodb.Client, table string) string {
	b.Helper()
	svc := optout.NewService(ddb.NewOptOuts(db, table), benchKeyer(b), nil, nil)
	if _, err := svc.OptOut(context.Background(), optout.Input{BrowserID: "browser-choices-1"}); err != nil {
		b.Fatal(err)
	}
	ids, _, err := svc.Identify(optout.Input{BrowserID: "browser-choices-1"})
	if err != nil {
		b.Fatal(err)
	}
	return ids[0].Key
}
