package ddb_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ledger"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/subject"
	subjectphone "github.com/claritru/privacy/shared/subject/phone"
)

type consentFixture struct {
	svc   *consent.Service
	store *ddb.Consents
	l     *ddb.Ledger
	keyer *subject.Keyer
	db    *dynamodb.Client
	table string
	mu    sync.Mutex
	now   time.Time
}

func newConsentFixture(t *testing.T) *consentFixture {
	t.Helper()
	db, table := localtest.NewTable(t)
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("c"), 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &consentFixture{store: ddb.NewConsents(db, table), l: ddb.NewLedger(db, table), keyer: keyer, db: db, table: table, now: t0}
	f.svc = consent.NewService(f.store, consent.Config{Keyer: keyer, PublicBaseURL: "https://api.example", Now: f.clock})
	return f
}

func (f *consentFixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(time.Millisecond)
	return f.now
}

func (f *consentFixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

var yes, no = func() *bool { b := true; return &b }(), func() *bool { b := false; return &b }()

func emailOptIn(granted *bool) consent.Input {
	return consent.Input{
		Email:      "Sub@Example.com",
		Choices:    []consent.Choice{{Purpose: consent.EmailMarketing, Granted: granted}},
		Disclosure: &consent.Disclosure{ID: "email-optin", Version: "2026-11"},
		SourceURL:  "https://www.example.com/subscribe", AgeConfirmed: true,
		IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (test)",
	}
}

func (f *consentFixture) state(t *testing.T, key string, p consent.Purpose) consent.State {
	t.Helper()
	states, err := f.store.States(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.Purpose == p {
			return s
		}
	}
	return consent.State{Status: consent.None}
}

func TestDoubleOptInGrantConfirmWithdraw(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	key := f.keyer.Email("sub@example.com")

	res, err := f.svc.Give(ctx, emailOptIn(yes))
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Recording.Records[0]
	if rec.Status != consent.Pending || rec.Sequence != 1 || rec.Hash == "" || !res.ConfirmationRequired {
		t.Fatalf("grant recorded as %+v", rec)
	}
	if st := f.state(t, key, consent.EmailMarketing); st.Status != consent.Pending {
		t.Fatalf("state after grant: %+v", st)
	}
	link, err := url.Parse(res.Recording.Mail.Data["confirm_url"])
	if err != nil {
		t.Fatal(err)
	}
	token := link.Query().Get("token")
	if err := f.svc.CheckConfirmation(ctx, token); err != nil {
		t.Fatalf("fresh link refused: %v", err)
	}
	if _, err := f.svc.Confirm(ctx, token); err != nil {
		t.Fatal(err)
	}
	if st := f.state(t, key, consent.EmailMarketing); st.Status != consent.Granted || st.ReceiptID != res.Recording.ReceiptID {
		t.Fatalf("state after confirm: %+v", st)
	}
	if _, err := f.svc.Confirm(ctx, token); fault.KindOf(err) != fault.Gone {
		t.Fatalf("second confirm = %v, want Gone", err)
	}

	if _, err := f.svc.Give(ctx, emailOptIn(no)); err != nil {
		t.Fatal(err)
	}
	if st := f.state(t, key, consent.EmailMarketing); st.Status != consent.Withdrawn {
		t.Fatalf("state after withdrawal: %+v", st)
	}
	events := chain(t, f.l, key)
	kinds := []string{}
	for _, e := range events {
		kinds = append(kinds, e.Kind+":"+e.Fields["status"])
	}
	want := []string{"consent:pending", "consent_confirmed:granted", "consent:withdrawn"}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("ledger %v, want %v", kinds, want)
	}
	// The proof the TCPA and GDPR Art. 7(1) ask for is in the event.
	first := events[0].Fields
	if first["ip"] != "203.0.113.7" || first["user_agent"] != "Mozilla/5.0 (test)" || first["source_url"] != "https://www.example.com/subscribe" ||
		first["disclosure_sha256"] != sha(optInText(t)) {
		t.Fatalf("proof fields %v", first)
	}
	d, found, err := f.store.Disclosure(ctx, first["disclosure_sha256"])
	if err != nil || !found || d.Text != optInText(t) || d.ID != "email-optin" {
		t.Fatalf("disclosure catalogue: %+v %v %v", d, found, err)
	}
}

// optInText is the catalogued text of the email opt-in, which the store
// keeps under its hash.
func optInText(t *testing.T) string {
	t.Helper()
	d, ok := consent.Disclosures().Find("email-optin", "2026-11")
	if !ok {
		t.Fatal("email-optin 2026-11 is not in the catalogue")
	}
	return d.Text
}

func TestWithdrawalBeforeConfirmationWins(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	res, err := f.svc.Give(ctx, emailOptIn(yes))
	if err != nil {
		t.Fatal(err)
	}
	link, _ := url.Parse(res.Recording.Mail.Data["confirm_url"])
	if _, err := f.svc.Give(ctx, emailOptIn(no)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Confirm(ctx, link.Query().Get("token")); fault.KindOf(err) != fault.Gone {
		t.Fatalf("confirming a withdrawn consent = %v, want Gone", err)
	}
	if st := f.state(t, f.keyer.Email("sub@example.com"), consent.EmailMarketing); st.Status != consent.Withdrawn {
		t.Fatalf("state %+v, want withdrawn", st)
	}
}

func TestConfirmationExpires(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	res, err := f.svc.Give(ctx, emailOptIn(yes))
	if err != nil {
		t.Fatal(err)
	}
	link, _ := url.Parse(res.Recording.Mail.Data["confirm_url"])
	f.advance(consent.ConfirmLifetime + time.Second)
	if _, err := f.svc.Confirm(ctx, link.Query().Get("token")); fault.KindOf(err) != fault.Gone {
		t.Fatalf("expired confirm = %v, want Gone", err)
	}
}

func TestRefusedConsentRecordsNothing(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	in := emailOptIn(yes)
	in.AgeConfirmed = false
	if _, err := f.svc.Give(ctx, in); fault.KindOf(err) != fault.Unprocessable {
		t.Fatalf("marketing without age confirmation = %v, want Unprocessable", err)
	}
	out, err := f.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(f.table)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 0 {
		t.Fatalf("a refused consent left %d items", len(out.Items))
	}
}

func TestCookieChoicesUnderGPCAndConcurrency(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	key := f.keyer.Browser("browser-cookie-1")
	banner := func(gpc bool) consent.Input {
		return consent.Input{
			BrowserID: "browser-cookie-1",
			Choices: []consent.Choice{
				{Purpose: consent.CookiesFunctional, Granted: yes},
				{Purpose: consent.CookiesAnalytics, Granted: yes},
				{Purpose: consent.CookiesAdvertising, Granted: yes},
			},
			Disclosure: &consent.Disclosure{ID: "cookie-banner", Version: "2026-11"},
			GPC:        gpc,
		}
	}
	res, err := f.svc.Give(ctx, banner(true))
	if err != nil {
		t.Fatal(err)
	}
	got := map[consent.Purpose]consent.Status{}
	for _, r := range res.Recording.Records {
		got[r.Purpose] = r.Status
	}
	if got[consent.CookiesAdvertising] != consent.NotGranted || got[consent.CookiesAnalytics] != consent.Granted {
		t.Fatalf("under GPC: %v", got)
	}
	// Many banner saves at once for one browser: one unbroken chain.
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = f.svc.Give(ctx, banner(i%2 == 0)) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
	}
	events := chain(t, f.l, key)
	if len(events) != 3*(n+1) {
		t.Fatalf("%d events, want %d", len(events), 3*(n+1))
	}
	// Editing a stored event is detected at its sequence number.
	_, err = f.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(f.table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "SUBJ#" + key},
			"sk": &types.AttributeValueMemberS{Value: "LEDGER#000000000007"},
		},
		UpdateExpression:          aws.String("SET #f.#s = :v"),
		ExpressionAttributeNames:  map[string]string{"#f": "fields", "#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: "granted-by-forgery"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	evs, head, err := f.l.Chain(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if c := ledger.VerifyHead(evs, head); c.Valid || c.BrokenAt != 7 {
		t.Fatalf("tamper check = %+v, want broken at 7", c)
	}
}

// TestPendingSMSGrantIsEvidenceFromTheGrant: an SMS marketing grant waits
// for its number, which no mailed link confirms: it is stored pending and
// kept as evidence four years from the grant (a number that never confirms
// is not kept longer).
func TestPendingSMSGrantIsEvidenceFromTheGrant(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	in := emailOptIn(yes)
	in.Email, in.Phone = "", "+14155550123"
	in.Choices = []consent.Choice{{Purpose: consent.SMSMarketing, Granted: yes}}
	in.Disclosure = &consent.Disclosure{ID: "sms-optin", Version: "2026-11"}
	svc := consent.NewService(f.store, consent.Config{Keyer: f.keyer, Phone: subjectphone.E164, PublicBaseURL: "https://api.example", Now: f.clock})
	res, err := svc.Give(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	key := f.keyer.Phone("+14155550123")
	if st := f.state(t, key, consent.SMSMarketing); st.Status != consent.Pending {
		t.Fatalf("sms_marketing state %+v, want pending", st)
	}
	rule, err := retention.RuleFor(retention.ConsentEvidence)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := rule.Expiry(res.Recording.At)
	for _, sk := range []string{"CONSENT#sms_marketing", "LEDGER#000000000001"} {
		out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "SUBJ#" + key}, "sk": &types.AttributeValueMemberS{Value: sk},
		}})
		if err != nil || out.Item == nil {
			t.Fatalf("%s: %v", sk, err)
		}
		var exp, kind string
		if v, ok := out.Item["expires_at"].(*types.AttributeValueMemberS); ok {
			exp = v.Value
		}
		if v, ok := out.Item["retention"].(*types.AttributeValueMemberS); ok {
			kind = v.Value
		}
		if at, err := time.Parse(time.RFC3339Nano, exp); err != nil || !at.Equal(want) || kind != string(retention.ConsentEvidence) {
			t.Errorf("%s expires %q (%s), want %s as consent evidence", sk, exp, kind, want.Format(time.RFC3339Nano))
		}
	}
	// No confirmation link was made for it.
	if res.Recording.ConfirmTokenHash != "" || res.Recording.Mail != nil {
		t.Errorf("an SMS grant got a token %q or a mail %+v", res.Recording.ConfirmTokenHash, res.Recording.Mail)
	}
}

// A grant typed in someone's name after they confirmed does not turn their
// consent back into "pending": the state stays granted, the new grant is
// still in the ledger, and a withdrawal still replaces the state at once.
func TestUnconfirmedGrantKeepsAConfirmedOne(t *testing.T) {
	f := newConsentFixture(t)
	ctx := context.Background()
	key := f.keyer.Email("sub@example.com")
	res, err := f.svc.Give(ctx, emailOptIn(yes))
	if err != nil {
		t.Fatal(err)
	}
	link, err := url.Parse(res.Recording.Mail.Data["confirm_url"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Confirm(ctx, link.Query().Get("token")); err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.Give(ctx, emailOptIn(yes))
	if err != nil {
		t.Fatal(err)
	}
	if again.Recording.Records[0].Status != consent.Pending {
		t.Fatalf("the second grant is recorded as %+v, want pending like any unconfirmed grant", again.Recording.Records[0])
	}
	if st := f.state(t, key, consent.EmailMarketing); st.Status != consent.Granted || st.ReceiptID != res.Recording.ReceiptID {
		t.Fatalf("state after an unconfirmed grant: %+v, want the confirmed grant", st)
	}
	id, err := f.svc.Lookup("sub@example.com", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := f.svc.Check(ctx, id, consent.EmailMarketing); err != nil || st.Status != consent.Granted {
		t.Fatalf("check = %+v, %v; want granted", st, err)
	}
	kinds := []string{}
	for _, e := range chain(t, f.l, key) {
		kinds = append(kinds, e.Kind+":"+e.Fields["status"])
	}
	if want := []string{"consent:pending", "consent_confirmed:granted", "consent:pending"}; fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("ledger %v, want %v", kinds, want)
	}
	if _, err := f.svc.Give(ctx, emailOptIn(no)); err != nil {
		t.Fatal(err)
	}
	if st := f.state(t, key, consent.EmailMarketing); st.Status != consent.Withdrawn {
		t.Fatalf("state after withdrawal: %+v", st)
	}
}
