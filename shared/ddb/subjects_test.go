package ddb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subjectdata"
)

// items returns a partition's items by sort key.
func items(t *testing.T, db *dynamodb.Client, table, pk string) map[string]map[string]types.AttributeValue {
	t.Helper()
	out, err := db.Query(context.Background(), &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]map[string]types.AttributeValue{}
	for _, it := range out.Items {
		m[it["sk"].(*types.AttributeValueMemberS).Value] = it
	}
	return m
}

func withPrefix(m map[string]map[string]types.AttributeValue, prefix string) int {
	n := 0
	for sk := range m {
		if strings.HasPrefix(sk, prefix) {
			n++
		}
	}
	return n
}

func TestSubjectExportAndErasure(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	clock := t0
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Second); return clock }
	email, browser := keyer.Email("ada@example.com"), keyer.Browser("browser-ada-1")

	// A request (its details holding an SSN), verified: two events, two
	// mails, one carrying a verification link.
	requests := ddb.NewStore(db, table)
	c := sampleCreation("S1")
	c.Request.SubjectKey = email
	c.Request.Details = "My SSN is 123-45-6789; please delete everything."
	if err := requests.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := requests.Verify(ctx, verification(requests, t, "S1", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	// An opt-out of the email and a browser given together (linked both
	// ways), with its confirmation mail.
	optOuts := optout.NewService(ddb.NewOptOuts(db, table), keyer, now)
	if _, err := optOuts.OptOut(ctx, optout.Input{Email: "ada@example.com", BrowserID: "browser-ada-1", Source: optout.Form}); err != nil {
		t.Fatal(err)
	}
	// A consent to email marketing, pending double opt-in, with its receipt
	// mail quoting the disclosure and the confirmation link.
	granted := true
	consents := consent.NewService(ddb.NewConsents(db, table), consent.Config{Keyer: keyer, PublicBaseURL: "https://api.example", Now: now})
	if _, err := consents.Give(ctx, consent.Input{
		Email: "ada@example.com", Choices: []consent.Choice{{Purpose: consent.EmailMarketing, Granted: &granted}},
		Disclosure:   &consent.Disclosure{ID: "newsletter", Version: "3", Text: "Send me the ClariTru newsletter."},
		AgeConfirmed: true, IP: "203.0.113.5", UserAgent: "test",
	}); err != nil {
		t.Fatal(err)
	}

	svc := subjectdata.NewService(ddb.NewSubjects(db, table), keyer, now)
	doc, err := svc.Export(ctx, "Ada@Example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Requests) != 1 {
		t.Fatalf("%d requests exported", len(doc.Requests))
	}
	r := doc.Requests[0]
	if r.ID != "S1" || r.Email != "ada@example.com" || r.FirstName != "Ada" || r.Status != "verified" || len(r.History) != 2 ||
		r.Details != "My SSN is [redacted]; please delete everything." || doc.Redactions != 1 {
		t.Fatalf("request %+v, %d redactions", r, doc.Redactions)
	}
	if len(doc.Consents.Events) != 2 || doc.Consents.Events[0].Kind != "opt_out" || doc.Consents.Events[1].Kind != "consent" ||
		len(doc.Consents.Current) != 1 || doc.Consents.Current[0].Status != "pending" {
		t.Fatalf("consents %+v", doc.Consents)
	}
	if len(doc.OptOuts) != 1 || doc.OptOuts[0].Right != "opt_out" || doc.OptOuts[0].Identifier != "email" {
		t.Fatalf("opt-outs %+v", doc.OptOuts)
	}
	if len(doc.MailLog) != 4 {
		t.Fatalf("mail log %+v, want 2 request mails, the opt-out and the consent receipt", doc.MailLog)
	}
	b, _ := json.Marshal(doc)
	for _, secret := range []string{"123-45-6789", "verify_url", "token=", "newsletter.", "confirm_url"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("export discloses %q: %s", secret, b)
		}
	}

	rep, err := svc.Erase(ctx, "ada@example.com", "", "Verified request to delete S1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"mail": 4, "ledger_event": 2, "ledger_head": 1, "consent_state": 1, "link": 2}
	for kind, n := range want {
		if rep.Deleted[kind] != n {
			t.Errorf("deleted[%s] = %d, want %d (report %+v)", kind, rep.Deleted[kind], n, rep.Deleted)
		}
	}
	if rep.Minimised["request"] != 1 || len(rep.Kept) != 2 || rep.Subject.Reference != email {
		t.Fatalf("report %+v", rep)
	}

	// The request stays as the 11 CCR §7101 log, minimised, with its
	// history; its mails are gone.
	part := items(t, db, table, "REQ#S1")
	req := part["REQ"]
	for _, gone := range []string{"email", "first_name", "last_name", "phone", "details", "country", "state"} {
		if _, ok := req[gone]; ok {
			t.Errorf("minimised request still has %s", gone)
		}
	}
	for _, kept := range []string{"id", "types", "status", "channel", "regime", "received_at", "due_at", "version"} {
		if _, ok := req[kept]; !ok {
			t.Errorf("minimised request lost %s", kept)
		}
	}
	if withPrefix(part, "EVENT#") != 2 || withPrefix(part, "MAIL#") != 0 {
		t.Fatalf("request partition after erasure: %v", part)
	}
	// The person's partition holds the opt-out and the erasure record only.
	subj := items(t, db, table, "SUBJ#"+email)
	if len(subj) != 2 || withPrefix(subj, "OPTOUT#opt_out") != 1 || withPrefix(subj, "ERASURE#") != 1 {
		t.Fatalf("subject partition after erasure: %v", subj)
	}
	reason := ""
	for sk, it := range subj {
		if strings.HasPrefix(sk, "ERASURE#") {
			reason = it["reason"].(*types.AttributeValueMemberS).Value
			if n := it["deleted"].(*types.AttributeValueMemberM).Value["mail"].(*types.AttributeValueMemberN).Value; n != "4" {
				t.Errorf("erasure record counts %s mails", n)
			}
		}
	}
	if reason != "Verified request to delete S1" {
		t.Errorf("erasure record reason %q", reason)
	}
	// The browser keeps its own opt-out, but not its link to the email.
	if br := items(t, db, table, "SUBJ#"+browser); withPrefix(br, "LINK#") != 0 || withPrefix(br, "OPTOUT#") != 1 {
		t.Fatalf("browser partition after erasure: %v", br)
	}
	// The person stays opted out: the suppression list still has the hash.
	list, err := optOuts.Suppression(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range list {
		found = found || (e.Kind == optout.Email && e.Match == sha("ada@example.com"))
	}
	if !found {
		t.Fatalf("suppression list lost the email: %+v", list)
	}
	// Mails queued before the erasure are not sent: their intents are gone.
	recs, err := localcloud.StreamRecords(ctx, db, localcloud.StreamsClient(localtest.DynamoDBEndpoint()), table)
	if err != nil {
		t.Fatal(err)
	}
	outbox := ddb.NewOutbox(db, table)
	claims := 0
	for _, rec := range recs {
		_, ref, ok, err := outbox.Decode(rec)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			claims++
			if got, err := outbox.Claim(ctx, ref, t0); err != nil || got != notifier.AlreadySent {
				t.Errorf("claim of an erased intent = %v, %v; want AlreadySent", got, err)
			}
		}
	}
	if claims != 4 {
		t.Errorf("%d mail intents on the stream, want 4", claims)
	}

	// A second export shows the minimised request log and the opt-out
	// still in force, and nothing else.
	after, err := svc.Export(ctx, "ada@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Requests) != 1 {
		t.Fatalf("export after erasure: %+v", after)
	}
	r = after.Requests[0]
	if r.ID != "S1" || r.Email != "" || r.FirstName != "" || r.Details != "" || r.Status != "verified" || len(r.Types) != 2 ||
		r.Channel != "web" || r.ReceivedAt.IsZero() || len(r.History) != 2 {
		t.Fatalf("minimised request %+v", r)
	}
	if len(after.Consents.Events) != 0 || len(after.Consents.Current) != 0 || len(after.MailLog) != 0 || len(after.OptOuts) != 1 || after.Redactions != 0 {
		t.Fatalf("export after erasure: %+v", after)
	}

	// Erasing again is harmless: nothing more to delete or minimise, and
	// the erasure is recorded again.
	again, err := svc.Erase(ctx, "ada@example.com", "", "Repeated by mistake")
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Deleted) != 0 || len(again.Minimised) != 0 {
		t.Fatalf("second erasure report %+v", again)
	}
	subj = items(t, db, table, "SUBJ#"+email)
	if len(subj) != 3 || withPrefix(subj, "OPTOUT#") != 1 || withPrefix(subj, "ERASURE#") != 2 {
		t.Fatalf("subject partition after the second erasure: %v", subj)
	}
	if part := items(t, db, table, "REQ#S1"); len(part) != 3 {
		t.Fatalf("request partition after the second erasure: %v", part)
	}
}

func TestSubjectExportOfAStrangerIsEmpty(t *testing.T) {
	db, table := localtest.NewTable(t)
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := subjectdata.NewService(ddb.NewSubjects(db, table), keyer, nil)
	doc, err := svc.Export(context.Background(), "", "+1 415 555 0199")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Requests)+len(doc.Consents.Events)+len(doc.Consents.Current)+len(doc.OptOuts)+len(doc.MailLog) != 0 || doc.Subject.Kind != "phone" {
		t.Fatalf("export of a stranger %+v", doc)
	}
	// Erasing a stranger deletes nothing and records that it ran.
	rep, err := svc.Erase(context.Background(), "", "+1 415 555 0199", "Request to delete 01JZ8X6Q3V4N5T7W9Y0A2B4C6D")
	if err != nil || len(rep.Deleted) != 0 {
		t.Fatalf("erasure of a stranger %+v, %v", rep, err)
	}
	if n := count(t, db, table, "SUBJ#"+keyer.Phone("+14155550199")); n != 1 {
		t.Fatalf("%d items after erasing a stranger, want the erasure record", n)
	}
}

// A change read before an erasure cannot write the erased fields back: the
// erasure moves the version on.
func TestErasureWinsOverAStaleChange(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewStore(db, table)
	ctx := context.Background()
	c := sampleCreation("Z1")
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	read, err := s.Get(ctx, "Z1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ddb.NewSubjects(db, table).Erase(ctx, []string{read.SubjectKey}, t0.Add(time.Hour), "verified deletion request"); err != nil {
		t.Fatal(err)
	}
	stale := read
	stale.Status, stale.Version = request.Cancelled, read.Version+1
	err = s.Update(ctx, request.Change{Request: stale, FromVersion: read.Version,
		Event: request.Event{ID: "Z1-e9", At: t0.Add(2 * time.Hour), Action: "cancel", From: read.Status, To: request.Cancelled}})
	if fault.KindOf(err) != fault.Conflict {
		t.Fatalf("stale update after erasure = %v, want Conflict", err)
	}
	after, _ := s.Get(ctx, "Z1")
	if after.Email != "" || after.FirstName != "" {
		t.Fatalf("erased fields came back: %+v", after)
	}
}
