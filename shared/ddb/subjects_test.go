package ddb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
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
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/subject"
	subjectphone "github.com/claritru/privacy/shared/subject/phone"
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
	requests := ddb.NewRequests(db, table)
	c := sampleCreation("S1")
	c.Request.SubjectKey = email
	c.Request.Details = "My SSN is 123-45-6789; please delete everything."
	if err := requests.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := requests.Verify(ctx, verification(requests, t, "S1", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	// An opt-out of the email and a browser given together in the public
	// form (linked both ways, but only claimed), with its confirmation mail.
	optOuts := optout.NewService(ddb.NewOptOuts(db, table), keyer, subjectphone.E164, now)
	if _, err := optOuts.OptOut(ctx, optout.Input{Email: "ada@example.com", BrowserID: "browser-ada-1", Source: optout.Form}); err != nil {
		t.Fatal(err)
	}
	// A consent to email marketing, pending double opt-in, with its receipt
	// mail quoting the disclosure and the confirmation link.
	granted := true
	consents := consent.NewService(ddb.NewConsents(db, table), consent.Config{Keyer: keyer, PublicBaseURL: "https://api.example", Now: now})
	if _, err := consents.Give(ctx, consent.Input{
		Email: "ada@example.com", Choices: []consent.Choice{{Purpose: consent.EmailMarketing, Granted: &granted}},
		Disclosure:   &consent.Disclosure{ID: "email-optin", Version: "2026-11"},
		AgeConfirmed: true, IP: "203.0.113.5", UserAgent: "test",
	}); err != nil {
		t.Fatal(err)
	}

	svc := subjectdata.NewService(ddb.NewSubjects(db, table), keyer, subjectphone.E164, now)
	doc, err := svc.Export(ctx, "Ada@Example.com", "", "staff")
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
	// The email's ledger (its opt-out, then the consent); the browser is
	// linked only by a claim, so its records stay out and it is listed.
	if len(doc.Consents.Events) != 2 || doc.Consents.Events[0].Kind != "opt_out" || doc.Consents.Events[1].Kind != "consent" ||
		len(doc.Consents.Current) != 1 || doc.Consents.Current[0].Status != "pending" {
		t.Fatalf("consents %+v", doc.Consents)
	}
	if len(doc.OptOuts) != 1 || doc.OptOuts[0].Right != "opt_out" || doc.OptOuts[0].Identifier != "email" || doc.Subject.Reference != email {
		t.Fatalf("opt-outs %+v of %+v", doc.OptOuts, doc.Subject)
	}
	if len(doc.Linked) != 1 || doc.Linked[0] != (subjectdata.Linked{Kind: "browser_id", Reference: browser, Evidence: "claimed"}) {
		t.Fatalf("linked identifiers %+v", doc.Linked)
	}
	if len(doc.MailLog) != 4 {
		t.Fatalf("mail log %+v, want 2 request mails, the opt-out and the consent receipt", doc.MailLog)
	}
	b, _ := json.Marshal(doc)
	for _, secret := range []string{"123-45-6789", "verify_url", "token=", "product updates from ClariTru", "confirm_url"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("export discloses %q: %s", secret, b)
		}
	}

	rep, err := svc.Erase(ctx, "ada@example.com", "", "Verified request to delete S1", "local-staff")
	if err != nil {
		t.Fatal(err)
	}
	// The email's alone: its two ledger events and head, its consent, and
	// the claimed link to the browser in both directions (the browser's
	// names the email).
	want := map[string]int{"mail": 4, "ledger_event": 2, "ledger_head": 1, "consent_state": 1, "link": 2}
	for kind, n := range want {
		if rep.Deleted[kind] != n {
			t.Errorf("deleted[%s] = %d, want %d (report %+v)", kind, rep.Deleted[kind], n, rep.Deleted)
		}
	}
	if rep.Minimised["request"] != 1 || len(rep.Kept) != 2 || rep.Subject.Reference != email || rep.Actor != "local-staff" {
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
	// The person's partition holds the opt-out, the record of the export
	// above and the erasure record only.
	subj := items(t, db, table, "SUBJ#"+email)
	if len(subj) != 3 || withPrefix(subj, "OPTOUT#opt_out") != 1 || withPrefix(subj, "ERASURE#") != 1 || withPrefix(subj, "EXPORT#") != 1 {
		t.Fatalf("subject partition after erasure: %v", subj)
	}
	reason, actor := "", ""
	for sk, it := range subj {
		if strings.HasPrefix(sk, "ERASURE#") {
			reason, actor = it["reason"].(*types.AttributeValueMemberS).Value, it["actor"].(*types.AttributeValueMemberS).Value
			if n := it["deleted"].(*types.AttributeValueMemberM).Value["mail"].(*types.AttributeValueMemberN).Value; n != "4" {
				t.Errorf("erasure record counts %s mails", n)
			}
		}
	}
	if reason != "Verified request to delete S1" || actor != "local-staff" {
		t.Errorf("erasure record reason %q, actor %q", reason, actor)
	}
	// The browser, linked only by a claim, is not erased: it keeps its
	// opt-out and its ledger, and loses only its link to the email.
	if br := items(t, db, table, "SUBJ#"+browser); len(br) != 3 || withPrefix(br, "OPTOUT#") != 1 || withPrefix(br, "LEDGER") != 2 {
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
		_, ref, ok, err := outbox.Decode(ctx, change(t, rec))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			claims++
			if got, err := outbox.Claim(ctx, ref, t0); err != nil || got != mail.AlreadySent {
				t.Errorf("claim of an erased intent = %v, %v; want AlreadySent", got, err)
			}
		}
	}
	if claims != 4 {
		t.Errorf("%d mail intents on the stream, want 4", claims)
	}

	// A second export shows the minimised request log and the opt-out
	// still in force, and nothing else.
	after, err := svc.Export(ctx, "ada@example.com", "", "staff")
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
	// The link is gone, so only the email's own opt-out is reached.
	if len(after.Consents.Events) != 0 || len(after.Consents.Current) != 0 || len(after.MailLog) != 0 || len(after.OptOuts) != 1 || after.Redactions != 0 {
		t.Fatalf("export after erasure: %+v", after)
	}

	// Erasing again is harmless: nothing more to delete or minimise, and
	// the erasure is recorded again.
	again, err := svc.Erase(ctx, "ada@example.com", "", "Repeated by mistake", "local-staff")
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Deleted) != 0 || len(again.Minimised) != 0 {
		t.Fatalf("second erasure report %+v", again)
	}
	subj = items(t, db, table, "SUBJ#"+email)
	if len(subj) != 5 || withPrefix(subj, "OPTOUT#") != 1 || withPrefix(subj, "ERASURE#") != 2 || withPrefix(subj, "EXPORT#") != 2 {
		t.Fatalf("subject partition after the second erasure: %v", subj)
	}
	if part := items(t, db, table, "REQ#S1"); len(part) != 3 {
		t.Fatalf("request partition after the second erasure: %v", part)
	}
}

// vouch opts the identifiers out together as staff would who vouch that they
// are one person's: their links carry the evidence vouched.
func vouch(t *testing.T, svc *optout.Service, store *ddb.OptOuts, at time.Time, in optout.Input) {
	t.Helper()
	idents, _, err := svc.Identify(in)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	newID := func() string { n++; return fmt.Sprintf("vouched-%s-%d", at.Format("150405"), n) }
	if _, err := store.Apply(context.Background(), optout.Application{
		ID: newID(), At: at, Rights: []optout.Right{optout.SaleSharing}, Source: optout.Staff,
		Identifiers: idents, Evidence: optout.Vouched, NewID: newID,
	}); err != nil {
		t.Fatal(err)
	}
}

// Staff vouch that an email, a phone and a browser id are one person's, who
// consents to SMS marketing on the phone and to cookies on the browser.
// Export and erasure by the email alone follow the vouched links to the
// phone and the browser: their consent ledgers (which hold the IP and user
// agent) are exported and erased with the email's, while every identifier
// stays opted out and on the suppression list. A stranger who typed the
// phone next to her own address in the public form is linked to it only by
// a claim: listed, never exported, never erased.
func TestSubjectErasureFollowsVouchedLinksOnly(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	clock := t0
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Second); return clock }
	const address, number, browserID = "grace@example.com", "+14155550123", "browser-grace-1"
	email, phone, browser := keyer.Email(address), keyer.Phone(number), keyer.Browser(browserID)

	store := ddb.NewOptOuts(db, table)
	optOuts := optout.NewService(store, keyer, subjectphone.E164, now)
	vouch(t, optOuts, store, now(), optout.Input{Email: address, Phone: number, BrowserID: browserID})
	const stranger = "mallory@example.com"
	if _, err := optOuts.OptOut(ctx, optout.Input{Email: stranger, Phone: number, Source: optout.Form}); err != nil {
		t.Fatal(err)
	}
	granted := true
	consents := consent.NewService(ddb.NewConsents(db, table), consent.Config{Keyer: keyer, Phone: subjectphone.E164, PublicBaseURL: "https://api.example", Now: now})
	for _, in := range []consent.Input{
		{Phone: number, Choices: []consent.Choice{{Purpose: consent.SMSMarketing, Granted: &granted}},
			Disclosure: &consent.Disclosure{ID: "sms-optin", Version: "2026-11"}},
		{BrowserID: browserID, Choices: []consent.Choice{{Purpose: consent.CookiesAnalytics, Granted: &granted}},
			Disclosure: &consent.Disclosure{ID: "cookie-banner", Version: "2026-11"}},
	} {
		in.AgeConfirmed, in.IP, in.UserAgent, in.SourceURL = true, "198.51.100.7", "Mozilla/5.0 (grace)", "https://claritru.example/"
		if _, err := consents.Give(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	for k, want := range map[string]int{email: 2, phone: 3, browser: 2, keyer.Email(stranger): 1} {
		if n := withPrefix(items(t, db, table, "SUBJ#"+k), "LINK#"); n != want {
			t.Fatalf("%d links before erasure, want %d", n, want)
		}
	}
	strangerBefore := items(t, db, table, "SUBJ#"+keyer.Email(stranger))

	svc := subjectdata.NewService(ddb.NewSubjects(db, table), keyer, subjectphone.E164, now)
	doc, err := svc.Export(ctx, address, "", "staff")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Subject.Kind != "email" || doc.Subject.Reference != email {
		t.Fatalf("export subject %+v, want the email given", doc.Subject)
	}
	// Three opt-out events (one per identifier) and the two consents, whose
	// events hold the IP and the user agent.
	kinds := map[string]int{}
	for _, e := range doc.Consents.Events {
		kinds[e.Kind]++
		if e.Kind == "consent" && (e.Fields["ip"] != "198.51.100.7" || e.Fields["user_agent"] != "Mozilla/5.0 (grace)") {
			t.Errorf("consent event %+v", e)
		}
	}
	if kinds["opt_out"] != 3 || kinds["consent"] != 2 {
		t.Fatalf("ledger events %+v", doc.Consents.Events)
	}
	purposes := map[string]string{}
	for _, c := range doc.Consents.Current {
		purposes[c.Purpose] = c.Status
	}
	// SMS marketing waits for the number to confirm.
	if len(purposes) != 2 || purposes["sms_marketing"] != "pending" || purposes["cookies_analytics"] != "granted" {
		t.Fatalf("current consents %+v", doc.Consents.Current)
	}
	ids := map[string]bool{}
	for _, o := range doc.OptOuts {
		ids[o.Identifier] = true
	}
	if len(doc.OptOuts) != 3 || !ids["email"] || !ids["phone"] || !ids["browser_id"] {
		t.Fatalf("opt-outs %+v", doc.OptOuts)
	}
	wantLinked := []subjectdata.Linked{
		{Kind: "phone", Reference: phone, Evidence: "vouched"}, {Kind: "browser_id", Reference: browser, Evidence: "vouched"},
		{Kind: "email", Reference: keyer.Email(stranger), Evidence: "claimed"},
	}
	if len(doc.Linked) != 3 {
		t.Fatalf("linked identifiers %+v", doc.Linked)
	}
	for _, w := range wantLinked {
		if !slices.Contains(doc.Linked, w) {
			t.Errorf("linked identifiers %+v lack %+v", doc.Linked, w)
		}
	}
	if doc.Linked[2].Evidence != "claimed" {
		t.Errorf("linked identifiers not strongest first: %+v", doc.Linked)
	}
	for _, m := range doc.MailLog {
		if m.Template == string(mail.OptOutConfirmed) {
			t.Errorf("the stranger's opt-out confirmation is in the export: %+v", doc.MailLog)
		}
	}

	rep, err := svc.Erase(ctx, address, "", "Verified request to delete G1", "local-staff")
	if err != nil {
		t.Fatal(err)
	}
	// Ledgers: email 1 event, phone 2, browser 2; three heads; two consent
	// states; eight links (three pairs and the stranger's claim, both
	// directions). One mail, the text of the code that confirms the SMS
	// grant, and the code itself: staff's opt-out sent none, and the
	// stranger's confirmation is hers.
	want := map[string]int{"ledger_event": 5, "ledger_head": 3, "consent_state": 2, "link": 8, "mail": 1, "sms_code": 1}
	for kind, n := range want {
		if rep.Deleted[kind] != n {
			t.Errorf("deleted[%s] = %d, want %d (report %+v)", kind, rep.Deleted[kind], n, rep.Deleted)
		}
	}
	if len(rep.Deleted) != len(want) || rep.Subject.Reference != email {
		t.Fatalf("report %+v", rep)
	}
	// Each partition keeps its opt-out and gets an erasure record; its
	// ledger, consents and links are gone.
	for name, k := range map[string]string{"email": email, "phone": phone, "browser": browser} {
		part := items(t, db, table, "SUBJ#"+k)
		// The export above is recorded under the key staff named.
		exports := 0
		if name == "email" {
			exports = 1
		}
		if len(part) != 2+exports || withPrefix(part, "OPTOUT#opt_out") != 1 || withPrefix(part, "ERASURE#") != 1 || withPrefix(part, "EXPORT#") != exports {
			t.Fatalf("%s partition after erasure: %v", name, part)
		}
		for sk, it := range part {
			if strings.HasPrefix(sk, "ERASURE#") && it["reason"].(*types.AttributeValueMemberS).Value != "Verified request to delete G1" {
				t.Errorf("%s erasure record %v", name, it)
			}
		}
	}
	// The stranger keeps everything but her link to the phone.
	strangerAfter := items(t, db, table, "SUBJ#"+keyer.Email(stranger))
	if len(strangerAfter) != len(strangerBefore)-1 || withPrefix(strangerAfter, "LINK#") != 0 || withPrefix(strangerAfter, "ERASURE#") != 0 ||
		withPrefix(strangerAfter, "MAIL#") != 1 || withPrefix(strangerAfter, "LEDGER#") != 1 {
		t.Fatalf("stranger's partition after erasure: %v", strangerAfter)
	}
	// Each erasure record counts its own partition's deletions.
	for k, events := range map[string]string{email: "1", phone: "2", browser: "2"} {
		for sk, it := range items(t, db, table, "SUBJ#"+k) {
			if !strings.HasPrefix(sk, "ERASURE#") {
				continue
			}
			d := it["deleted"].(*types.AttributeValueMemberM).Value
			if n := d["ledger_event"].(*types.AttributeValueMemberN).Value; n != events {
				t.Errorf("erasure record counts %s ledger events, want %s", n, events)
			}
			// The phone's own three, and the stranger's link back to it.
			links := map[string]string{email: "2", phone: "4", browser: "2"}[k]
			if n := d["link"].(*types.AttributeValueMemberN).Value; n != links {
				t.Errorf("erasure record counts %s links, want %s", n, links)
			}
			if it["actor"].(*types.AttributeValueMemberS).Value != "local-staff" {
				t.Errorf("erasure record %v lacks the actor", it)
			}
		}
	}
	// Everyone stays opted out: the suppression list still has the email's
	// and the phone's hashes and the browser id.
	list, err := optOuts.Suppression(ctx)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, e := range list {
		listed[string(e.Kind)+":"+e.Match] = true
	}
	for _, w := range []string{"email:" + sha(address), "phone:" + sha(number), "browser_id:" + browserID} {
		if !listed[w] {
			t.Errorf("suppression list lost %s: %+v", w, list)
		}
	}
	for _, k := range []string{email, phone, browser} {
		for _, r := range []optout.Right{optout.SaleSharing} {
			if _, ok, err := ddb.NewOptOuts(db, table).State(ctx, k, r); err != nil || !ok {
				t.Errorf("opt-out state after erasure: %v, %v", ok, err)
			}
		}
	}

	// Nothing is left to export but the opt-outs reached from the email,
	// whose links are gone, and erasing again deletes nothing.
	after, err := svc.Export(ctx, address, "", "staff")
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Consents.Events)+len(after.Consents.Current)+len(after.MailLog)+len(after.Requests) != 0 || len(after.OptOuts) != 1 {
		t.Fatalf("export after erasure %+v", after)
	}
	if again, err := svc.Erase(ctx, address, "", "Repeated", "local-staff"); err != nil || len(again.Deleted)+len(again.Minimised) != 0 {
		t.Fatalf("second erasure %+v, %v", again, err)
	}
}

func TestSubjectExportOfAStrangerIsEmpty(t *testing.T) {
	db, table := localtest.NewTable(t)
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := subjectdata.NewService(ddb.NewSubjects(db, table), keyer, subjectphone.E164, nil)
	doc, err := svc.Export(context.Background(), "", "+1 415 555 0199", "staff")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Requests)+len(doc.Consents.Events)+len(doc.Consents.Current)+len(doc.OptOuts)+len(doc.MailLog) != 0 || doc.Subject.Kind != "phone" {
		t.Fatalf("export of a stranger %+v", doc)
	}
	// Erasing a stranger deletes nothing and records that it ran.
	rep, err := svc.Erase(context.Background(), "", "+1 415 555 0199", "Request to delete 01JZ8X6Q3V4N5T7W9Y0A2B4C6D", "local-staff")
	if err != nil || len(rep.Deleted) != 0 {
		t.Fatalf("erasure of a stranger %+v, %v", rep, err)
	}
	if n := count(t, db, table, "SUBJ#"+keyer.Phone("+14155550199")); n != 2 {
		t.Fatalf("%d items after erasing a stranger, want the export and erasure records", n)
	}
}

// A change read before an erasure cannot write the erased fields back: the
// erasure moves the version on.
func TestErasureWinsOverAStaleChange(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	ctx := context.Background()
	c := sampleCreation("Z1")
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	read, err := s.Get(ctx, "Z1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ddb.NewSubjects(db, table).Erase(ctx, []string{read.SubjectKey}, subjectdata.Erasure{At: t0.Add(time.Hour), Reason: "verified deletion request", Actor: "local-staff"}); err != nil {
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

// Every export is recorded under the person's key with the staff member who
// handed the data over, kept 24 months; an erasure keeps the records, and
// the records are not part of what an export hands over.
func TestExportRecordsTheHandover(t *testing.T) {
	db, table := localtest.NewTable(t)
	ctx := context.Background()
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return t0 }
	svc := subjectdata.NewService(ddb.NewSubjects(db, table), keyer, subjectphone.E164, now)
	for _, who := range []string{"arn:aws:sts::111122223333:assumed-role/PrivacyStaff/ada", "arn:aws:sts::111122223333:assumed-role/PrivacyStaff/bob"} {
		doc, err := svc.Export(ctx, "grace@example.com", "", who)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(doc); strings.Contains(string(b), "PrivacyStaff") {
			t.Errorf("the export hands over its own records: %s", b)
		}
	}
	pk := "SUBJ#" + keyer.Email("grace@example.com")
	check := func(when string) {
		held := items(t, db, table, pk)
		actors := map[string]bool{}
		for sk, it := range held {
			if !strings.HasPrefix(sk, "EXPORT#") {
				continue
			}
			actors[it["actor"].(*types.AttributeValueMemberS).Value] = true
			if r, _ := it["retention"].(*types.AttributeValueMemberS); r == nil || r.Value != string(retention.ExportRecord) {
				t.Errorf("%s: record %v without its retention", when, it)
			}
			if e, _ := it["expires_at"].(*types.AttributeValueMemberS); e == nil || !strings.HasPrefix(e.Value, "2028-") {
				t.Errorf("%s: record expires %v, want 24 months on", when, it["expires_at"])
			}
		}
		if len(actors) != 2 {
			t.Errorf("%s: export records by %v, want both members of staff", when, actors)
		}
	}
	check("after the exports")
	if _, err := svc.Erase(ctx, "grace@example.com", "", "Verified request to delete", "local-staff"); err != nil {
		t.Fatal(err)
	}
	check("after an erasure")
}
