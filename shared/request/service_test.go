package request_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"reflect"
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

// fixedClock is a settable Now.
type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

const testBaseURL = "https://api.claritru.example"

func newTestService(t *testing.T, now time.Time) (*request.Service, *requesttest.Memory, *fixedClock) {
	t.Helper()
	k, err := subject.NewKeyer(bytes.Repeat([]byte("pepper-"), 5))
	if err != nil {
		t.Fatal(err)
	}
	st := requesttest.New()
	clk := &fixedClock{t: now}
	return request.NewService(st, request.Config{PublicBaseURL: testBaseURL + "/", Keyer: k, Phone: phone.E164, Now: clk.Now}), st, clk
}

var t0 = time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)

func submission(types ...string) request.Submission {
	in := validInput()
	in.Types = types
	for _, ty := range types {
		if ty == "correct" {
			in.Correction = "My last name is Byron."
		}
	}
	return request.Submission{Input: in}
}

// verifyToken returns the raw token of the verify link in a creation's mail,
// checking that the link is built from the public base URL.
func verifyToken(t *testing.T, c request.Creation) string {
	t.Helper()
	link := c.Mail.Data["verify_url"]
	prefix := testBaseURL + "/v1/verify?token="
	if !strings.HasPrefix(link, prefix) {
		t.Fatalf("verify_url = %q, want it to start with %q", link, prefix)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); len(q) != 1 || len(q["token"]) != 1 {
		t.Fatalf("verify_url query = %v, want only token", q)
	}
	return u.Query().Get("token")
}

func TestSubmitStatusByType(t *testing.T) {
	tests := []struct {
		types      []string
		wantStatus request.Status
	}{
		{[]string{"know"}, request.PendingVerification},
		{[]string{"access"}, request.PendingVerification},
		{[]string{"correct"}, request.PendingVerification},
		{[]string{"delete"}, request.PendingVerification},
		{[]string{"opt_out", "delete"}, request.PendingVerification},
		{[]string{"opt_out"}, request.Received},
		{[]string{"limit_sensitive"}, request.Received},
		{[]string{"opt_out", "limit_sensitive"}, request.Received},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.types, "+"), func(t *testing.T) {
			svc, st, _ := newTestService(t, t0)
			rc, err := svc.Submit(context.Background(), submission(tt.types...))
			if err != nil {
				t.Fatal(err)
			}
			pending := tt.wantStatus == request.PendingVerification
			if rc.Status != tt.wantStatus || rc.VerificationRequired != pending {
				t.Errorf("receipt status %q, verification_required %v; want %q, %v", rc.Status, rc.VerificationRequired, tt.wantStatus, pending)
			}
			if len(st.Creations()) != 1 {
				t.Fatalf("%d creations, want 1", len(st.Creations()))
			}
			c := st.Creations()[0]
			if c.Request.Status != tt.wantStatus || c.Event.To != tt.wantStatus || c.Event.From != "" {
				t.Errorf("stored status %q, event %q -> %q; want %q", c.Request.Status, c.Event.From, c.Event.To, tt.wantStatus)
			}
			if c.Request.ID != rc.ID || c.Request.ID == "" {
				t.Errorf("stored id %q, receipt id %q", c.Request.ID, rc.ID)
			}
			if c.Request.Channel != request.Web {
				t.Errorf("channel = %q, want web by default", c.Request.Channel)
			}
			if c.Request.Version != 1 {
				t.Errorf("version = %d, want 1", c.Request.Version)
			}
			if c.Mail.Template != mail.RequestReceived || c.Mail.To != "ada@example.com" || c.Mail.ID == "" {
				t.Errorf("mail intent = %+v", c.Mail)
			}
			if c.Mail.ID == c.Request.ID || c.Mail.ID == c.Event.ID || c.Event.ID == c.Request.ID {
				t.Errorf("ids are not distinct: request %s, event %s, mail %s", c.Request.ID, c.Event.ID, c.Mail.ID)
			}
			_, hasLink := c.Mail.Data["verify_url"]
			if pending {
				if c.TokenHash == "" || !c.TokenExpiresAt.Equal(t0.Add(72*time.Hour)) || !hasLink {
					t.Errorf("token hash %q, expires %s, link %v; want a token expiring 72h after receipt with a link", c.TokenHash, c.TokenExpiresAt, hasLink)
				}
			} else if c.TokenHash != "" || hasLink {
				t.Errorf("no verification needed, but token hash %q and link %v", c.TokenHash, hasLink)
			}
		})
	}
}

func TestSubmitDueDate(t *testing.T) {
	// Received 31 Jan 2026 12:00 UTC, 04:00 PST on Saturday 31 Jan in the
	// company's zone (Los Angeles); each deadline is the end of its day
	// there.
	// CCPA, day 45 is receipt + 44: 28 days reach 28 Feb, 16 more reach
	// 16 Mar, in PDT (DST began 8 Mar): 17 Mar 06:59:59.999 UTC.
	// GDPR, one calendar month: 31 Feb does not exist, so 28 Feb, PST:
	// 1 Mar 07:59:59.999 UTC.
	// FADP, day 30 is receipt + 29: 28 Feb + 1 = 1 Mar, PST.
	ccpaDue := time.Date(2026, 3, 17, 6, 59, 59, 999_000_000, time.UTC)
	gdprDue := time.Date(2026, 3, 1, 7, 59, 59, 999_000_000, time.UTC)
	fadpDue := time.Date(2026, 3, 2, 7, 59, 59, 999_000_000, time.UTC)
	tests := []struct {
		name, country, state string
		regime               deadline.Regime
		due                  time.Time
		dueText              string
	}{
		{"California", "US", "CA", deadline.CCPA, ccpaDue, "16 March 2026, 23:59 PDT"},
		{"Germany", "de", "", deadline.GDPR, gdprDue, "28 February 2026, 23:59 PST"},
		{"Norway (EEA)", "NO", "", deadline.GDPR, gdprDue, "28 February 2026, 23:59 PST"},
		{"no country: one month", "", "", deadline.GDPR, gdprDue, "28 February 2026, 23:59 PST"},
		{"United Kingdom: UK GDPR", "GB", "", deadline.UKGDPR, gdprDue, "28 February 2026, 23:59 PST"},
		{"Switzerland: FADP", "CH", "", deadline.FADP, fadpDue, "1 March 2026, 23:59 PST"},
		{"Brazil: company default", "BR", "", deadline.CCPA, ccpaDue, "16 March 2026, 23:59 PDT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The clock may run in any zone; the receipt is in UTC.
			svc, st, _ := newTestService(t, t0.In(time.FixedZone("UTC-8", -8*3600)))
			sub := submission("delete")
			sub.Input.Country, sub.Input.State = tt.country, tt.state
			rc, err := svc.Submit(context.Background(), sub)
			if err != nil {
				t.Fatal(err)
			}
			if !rc.ReceivedAt.Equal(t0) || rc.ReceivedAt.Location() != time.UTC {
				t.Errorf("received_at = %s, want %s in UTC", rc.ReceivedAt, t0)
			}
			if !rc.DueAt.Equal(tt.due) {
				t.Errorf("due_at = %s, want %s", rc.DueAt, tt.due)
			}
			if got := st.Creations()[0].Request.Regime; got != tt.regime {
				t.Errorf("regime = %q, want %q", got, tt.regime)
			}
			if got := st.Creations()[0].Mail.Data["due_at"]; got != tt.dueText {
				t.Errorf("mail due_at = %q, want %q", got, tt.dueText)
			}
			if got, want := st.Creations()[0].Mail.Data["received_at"], "31 January 2026, 04:00 PST"; got != want {
				t.Errorf("mail received_at = %q, want %q", got, want)
			}
		})
	}
}

func TestSubmitOptOutDueDate(t *testing.T) {
	// Opt-out and limit-sensitive are complied with within 15 business days
	// (11 CCR §7026(f), §7027(e)). Received Saturday 31 Jan 2026 (04:00
	// PST), not a business day; counting from Monday: 2-6 Feb (5), 9-13 Feb
	// (10), Monday 16 Feb is Washington's Birthday, 17-20 Feb (14), Monday
	// 23 Feb (15); its end in PST is 24 Feb 07:59:59.999 UTC.
	optOutDue := time.Date(2026, 2, 24, 7, 59, 59, 999_000_000, time.UTC)
	// With a right that needs verification the 45-day clock governs (see
	// TestSubmitDueDate).
	ccpaDue := time.Date(2026, 3, 17, 6, 59, 59, 999_000_000, time.UTC)
	tests := []struct {
		types []string
		due   time.Time
	}{
		{[]string{"opt_out"}, optOutDue},
		{[]string{"limit_sensitive"}, optOutDue},
		{[]string{"opt_out", "limit_sensitive"}, optOutDue},
		{[]string{"opt_out", "delete"}, ccpaDue},
	}
	for _, tt := range tests {
		svc, _, _ := newTestService(t, t0)
		sub := submission(tt.types...)
		sub.Input.Country, sub.Input.State = "US", "CA"
		rc, err := svc.Submit(context.Background(), sub)
		if err != nil {
			t.Fatal(err)
		}
		if !rc.DueAt.Equal(tt.due) {
			t.Errorf("%v: due_at = %s, want %s", tt.types, rc.DueAt, tt.due)
		}
	}
}

func TestSubmitVerifyLinkAndToken(t *testing.T) {
	svc, st, _ := newTestService(t, t0)
	sub := submission("access")
	sub.Input.FirstName = "Ada"
	sub.Input.Email = " ADA@Example.com "
	if _, err := svc.Submit(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	c := st.Creations()[0]
	raw := verifyToken(t, c)
	if len(raw) != 43 {
		t.Errorf("token %q has %d characters, want 43", raw, len(raw))
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) != 32 {
		t.Fatalf("token decodes to %d bytes, %v; want 32", len(b), err)
	}
	sum := sha256.Sum256(b)
	if want := hex.EncodeToString(sum[:]); c.TokenHash != want {
		t.Errorf("stored TokenHash = %s, want SHA-256 of the link's token %s", c.TokenHash, want)
	}
	if c.TokenHash == raw || strings.Contains(c.Mail.Data["verify_url"], c.TokenHash) {
		t.Error("the stored hash and the mailed token must differ")
	}
	if c.Mail.To != "ada@example.com" || c.Request.Email != "ada@example.com" {
		t.Errorf("mail to %q, request email %q; want the normalised address", c.Mail.To, c.Request.Email)
	}
	if c.Mail.Data["first_name"] != "Ada" || c.Mail.Data["request_id"] != c.Request.ID {
		t.Errorf("mail data = %v", c.Mail.Data)
	}
	// The raw token is never stored beside the request: only its hash is,
	// so that whoever reads the table cannot verify a request.
	if strings.Contains(strings.ToLower(strings.Join([]string{c.Request.ID, c.Request.SubjectKey, c.Event.ID}, " ")), strings.ToLower(raw)) {
		t.Error("raw token stored beside the request")
	}
	// The subject key is the keyed hash of the normalised email, not the email.
	k, _ := subject.NewKeyer(bytes.Repeat([]byte("pepper-"), 5))
	if c.Request.SubjectKey != k.Email("ada@example.com") || strings.Contains(c.Request.SubjectKey, "ada") {
		t.Errorf("subject key = %q", c.Request.SubjectKey)
	}
	// The message renders with the link in both parts.
	msg, err := mailrender.Render(c.Mail, mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Text, c.Mail.Data["verify_url"]) || !strings.Contains(msg.HTML, c.Mail.Data["verify_url"]) {
		t.Errorf("rendered mail lacks the link %q", c.Mail.Data["verify_url"])
	}
}

func TestSubmitInvalidWritesNothing(t *testing.T) {
	svc, st, _ := newTestService(t, t0)
	sub := submission("know")
	sub.Input.Email = "not an email"
	sub.DecodeErrors = fault.Fields{{Field: "nickname", Message: "unknown field"}}
	_, err := svc.Submit(context.Background(), sub)
	if got := fieldNames(fieldErrors(t, err)); !reflect.DeepEqual(got, []string{"email", "nickname"}) {
		t.Errorf("fields = %v, want [email nickname]", got)
	}
	if len(st.Creations()) != 0 {
		t.Errorf("%d creations after invalid input, want 0", len(st.Creations()))
	}
}

// TestSubmitWithoutPhoneNormaliser: a service wired without a phone
// normaliser (as the watch's is) takes requests without a phone, and fails
// clearly, as the service's fault, on one with a phone.
func TestSubmitWithoutPhoneNormaliser(t *testing.T) {
	k, err := subject.NewKeyer(bytes.Repeat([]byte("pepper-"), 5))
	if err != nil {
		t.Fatal(err)
	}
	st := requesttest.New()
	svc := request.NewService(st, request.Config{PublicBaseURL: testBaseURL, Keyer: k, Now: (&fixedClock{t: t0}).Now})
	if _, err := svc.Submit(context.Background(), submission("know")); err != nil {
		t.Fatalf("without a phone: %v", err)
	}
	sub := submission("know")
	sub.Input.Phone = "(415) 555-0100"
	_, err = svc.Submit(context.Background(), sub)
	if !errors.Is(err, subject.ErrNoPhoneNormaliser) || fault.KindOf(err) != fault.Internal {
		t.Errorf("with a phone: %v, want subject.ErrNoPhoneNormaliser", err)
	}
	if len(st.Creations()) != 1 {
		t.Errorf("%d creations, want 1", len(st.Creations()))
	}
}

func TestSubmitIdempotency(t *testing.T) {
	ctx := context.Background()
	svc, st, clk := newTestService(t, t0)
	sub := submission("delete")
	sub.IdempotencyKey = "key-1"
	sub.Body = []byte(`{"types":["delete"]}`)
	first, err := svc.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}

	// A retry a little later with the same key and body gets the same
	// receipt and writes nothing new.
	clk.t = t0.Add(5 * time.Minute)
	again, err := svc.Submit(ctx, sub)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !reflect.DeepEqual(again, first) {
		t.Errorf("retry receipt = %+v, want %+v", again, first)
	}
	if len(st.Creations()) != 1 {
		t.Errorf("%d creations after a retry, want 1", len(st.Creations()))
	}
	if c := st.Creations()[0]; c.IdempotencyKeyHash == "" || c.IdempotencyKeyHash == "key-1" || c.BodyHash == "" {
		t.Errorf("idempotency stored as key %q, body %q; want hashes", c.IdempotencyKeyHash, c.BodyHash)
	}

	// The same key with another body is a conflict.
	other := sub
	other.Body = []byte(`{"types":["know"]}`)
	other.Input.Types = []string{"know"}
	_, err = svc.Submit(ctx, other)
	if fault.KindOf(err) != fault.Conflict {
		t.Errorf("same key, other body: %v, want fault.Conflict", err)
	}

	// Another key is another request, even within the duplicate window:
	// the key says what is a retry.
	sub.IdempotencyKey = "key-2"
	third, err := svc.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if third.ID == first.ID {
		t.Error("a new key returned the old request")
	}
	if len(st.Creations()) != 2 {
		t.Errorf("%d creations, want 2", len(st.Creations()))
	}
}

// Without a key, the same person asking for the same types within the
// window gets the first request back, with no second receipt; other types,
// another person or a later submission are requests of their own.
func TestSubmitWithoutKeyWithinTheWindowIsTheFirstRequest(t *testing.T) {
	ctx := context.Background()
	svc, st, clk := newTestService(t, t0)
	first, err := svc.Submit(ctx, submission("know", "delete"))
	if err != nil {
		t.Fatal(err)
	}
	clk.t = t0.Add(request.DuplicateWindow - time.Second)
	again, err := svc.Submit(ctx, submission("delete", "know", "delete"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, first) || len(st.Creations()) != 1 || len(st.Mails()) != 1 {
		t.Fatalf("repeat: %+v (first %+v), %d creations, %d mails; want the first request, one of each",
			again, first, len(st.Creations()), len(st.Mails()))
	}
	other := submission("know", "delete")
	other.Input.Email = "someone.else@example.com"
	distinct := []request.Submission{submission("know"), other}
	for _, sub := range distinct {
		rc, err := svc.Submit(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		if rc.ID == first.ID {
			t.Errorf("%v for %s answered with the first request", sub.Input.Types, sub.Input.Email)
		}
	}
	clk.t = t0.Add(request.DuplicateWindow)
	later, err := svc.Submit(ctx, submission("know", "delete"))
	if err != nil {
		t.Fatal(err)
	}
	if later.ID == first.ID || len(st.Creations()) != 4 {
		t.Errorf("after the window: %s (first %s), %d creations; want a new request, 4 in all", later.ID, first.ID, len(st.Creations()))
	}
}

// An idempotency key is scoped by the submitter: another person sending the
// same key and body gets a request of their own.
func TestSubmitIdempotencyKeyIsScopedBySubmitter(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newTestService(t, t0)
	a := submission("know")
	a.IdempotencyKey, a.Body = "shared-key", []byte(`{"types":["know"]}`)
	b := a
	b.Input.Email = "mallory@example.com"
	ra, err := svc.Submit(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := svc.Submit(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	cs := st.Creations()
	if ra.ID == rb.ID || len(cs) != 2 || cs[0].IdempotencyKeyHash == cs[1].IdempotencyKeyHash {
		t.Errorf("same key, two people: ids %s %s, %d creations; want two requests under different key hashes", ra.ID, rb.ID, len(cs))
	}
}

// A submission with an Idempotency-Key writes no duplicate guard.
func TestSubmitWithKeyWritesNoDuplicateGuard(t *testing.T) {
	svc, st, _ := newTestService(t, t0)
	sub := submission("know")
	sub.IdempotencyKey, sub.Body = "k", []byte("b")
	if _, err := svc.Submit(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(context.Background(), submission("know")); err != nil {
		t.Fatal(err)
	}
	cs := st.Creations()
	if len(cs) != 2 || cs[0].DuplicateKey != "" || cs[1].DuplicateKey == "" {
		t.Errorf("%d creations %+v; want one without a duplicate key (sent with a key), one with", len(cs), cs)
	}
}

// Two submissions are one request when the same person sends the same
// types and the same form; anything else that differs makes another.
func TestDuplicateKey(t *testing.T) {
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("d"), 32))
	if err != nil {
		t.Fatal(err)
	}
	r := request.Request{SubjectKey: "abc", FirstName: "Ada", Details: "my records", Types: []request.Type{"opt_out", "access", "opt_out"}}
	key := request.DuplicateKey(keyer, r)
	if !strings.HasPrefix(key, "abc#access,opt_out#") {
		t.Errorf("DuplicateKey = %q, want the subject key and the sorted set of types first", key)
	}
	same := r
	same.Types = []request.Type{"access", "opt_out"}
	if request.DuplicateKey(keyer, same) != key {
		t.Error("the same types in another order made another key")
	}
	for name, change := range map[string]func(*request.Request){
		"another name":     func(x *request.Request) { x.FirstName = "Eve" },
		"other details":    func(x *request.Request) { x.Details = "" },
		"another phone":    func(x *request.Request) { x.Phone = "+15555550100" },
		"another person":   func(x *request.Request) { x.SubjectKey = "abd" },
		"other types":      func(x *request.Request) { x.Types = []request.Type{"access"} },
		"through an agent": func(x *request.Request) { x.OnBehalf = true },
	} {
		other := r
		change(&other)
		if request.DuplicateKey(keyer, other) == key {
			t.Errorf("%s: same key %q", name, key)
		}
	}
	if strings.Contains(key, "Ada") || strings.Contains(key, "records") {
		t.Errorf("key %q carries what the person typed", key)
	}
	// Another pepper, another key: the digest cannot be checked without it.
	other, err := subject.NewKeyer(bytes.Repeat([]byte("e"), 32))
	if err != nil {
		t.Fatal(err)
	}
	if request.DuplicateKey(other, r) == key {
		t.Error("the digest does not depend on the pepper")
	}
}

// A receipt from the public form counts against the address's cap; one for
// a request staff entered does not.
func TestReceiptRecipientKey(t *testing.T) {
	svc, st, _ := newTestService(t, t0)
	if _, err := svc.Submit(context.Background(), submission("know")); err != nil {
		t.Fatal(err)
	}
	staff := submission("access")
	staff.Channel = request.Letter
	if _, err := svc.Submit(context.Background(), staff); err != nil {
		t.Fatal(err)
	}
	cs := st.Creations()
	if len(cs) != 2 || cs[0].Mail.RecipientKey == "" || cs[0].Mail.RecipientKey != cs[0].Request.SubjectKey || cs[1].Mail.RecipientKey != "" {
		t.Errorf("recipient keys %q, %q; want the subject key for the web form, none for staff", cs[0].Mail.RecipientKey, cs[1].Mail.RecipientKey)
	}
}

func TestSubmitIdempotencyRace(t *testing.T) {
	// Two attempts with one key: the lookup misses, Create finds the key
	// taken, and the winner's receipt is returned.
	ctx := context.Background()
	svc, st, _ := newTestService(t, t0)
	sub := submission("know")
	sub.IdempotencyKey, sub.Body = "race", []byte("body")
	first, err := svc.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	st.MissNextIdempotencyLookup()
	again, err := svc.Submit(ctx, sub)
	if err != nil {
		t.Fatalf("losing attempt: %v", err)
	}
	if again.ID != first.ID || len(st.Creations()) != 1 {
		t.Errorf("losing attempt got %s (first %s), %d creations", again.ID, first.ID, len(st.Creations()))
	}
}

func TestSubmitIdempotencyKeyLimits(t *testing.T) {
	svc, st, _ := newTestService(t, t0)
	sub := submission("know")
	sub.IdempotencyKey = strings.Repeat("k", 256)
	_, err := svc.Submit(context.Background(), sub)
	if got := fieldNames(fieldErrors(t, err)); !reflect.DeepEqual(got, []string{"Idempotency-Key"}) {
		t.Errorf("fields = %v", got)
	}
	// Printable ASCII only: no control characters, no bytes that are not
	// ASCII (a header carries bytes, not text).
	for _, k := range []string{"key\x00", "key\r\nX-Evil: 1", "clé-1", "key\x7f", "\xff\xfe", "a\tb"} {
		sub.IdempotencyKey = k
		_, err := svc.Submit(context.Background(), sub)
		if got := fieldNames(fieldErrors(t, err)); !reflect.DeepEqual(got, []string{"Idempotency-Key"}) {
			t.Errorf("key %q: fields = %v", k, got)
		}
	}
	sub.IdempotencyKey = strings.Repeat("k", 255)
	if _, err := svc.Submit(context.Background(), sub); err != nil {
		t.Errorf("255-character key: %v", err)
	}
	if len(st.Creations()) != 1 {
		t.Errorf("%d creations, want 1", len(st.Creations()))
	}
}

func submitForToken(t *testing.T, svc *request.Service, st *requesttest.Memory) (request.Receipt, string) {
	t.Helper()
	rc, err := svc.Submit(context.Background(), submission("delete"))
	if err != nil {
		t.Fatal(err)
	}
	cs := st.Creations()
	return rc, verifyToken(t, cs[len(cs)-1])
}

func TestConfirm(t *testing.T) {
	ctx := context.Background()
	svc, st, clk := newTestService(t, t0)
	rc, raw := submitForToken(t, svc, st)

	// Looking at the link changes nothing.
	if err := svc.CheckToken(ctx, raw); err != nil {
		t.Fatalf("CheckToken: %v", err)
	}
	if err := svc.CheckToken(ctx, raw); err != nil {
		t.Fatalf("CheckToken twice: %v", err)
	}

	clk.t = t0.Add(71 * time.Hour)
	r, err := svc.Confirm(ctx, raw)
	if err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if r.ID != rc.ID || r.Status != request.Verified || r.Version != 2 {
		t.Errorf("confirmed request %s status %q version %d; want %s verified 2", r.ID, r.Status, r.Version, rc.ID)
	}
	// The deadline still runs from receipt, not from verification.
	if !r.DueAt.Equal(rc.DueAt) || !r.ReceivedAt.Equal(t0) {
		t.Errorf("due %s received %s; want %s %s", r.DueAt, r.ReceivedAt, rc.DueAt, t0)
	}
	if len(st.Verifications()) != 1 {
		t.Fatalf("%d verifications, want 1", len(st.Verifications()))
	}
	v := st.Verifications()[0]
	if want := st.Creations()[0].TokenHash; v.TokenHash != want {
		t.Errorf("verification token hash %s, want %s", v.TokenHash, want)
	}
	if v.Event.From != request.PendingVerification || v.Event.To != request.Verified || v.Event.Action != "verified" || !v.At.Equal(t0.Add(71*time.Hour)) {
		t.Errorf("event = %+v at %s", v.Event, v.At)
	}
	if v.Request.Version != 1 {
		t.Errorf("verification carries version %d, want the version read (1)", v.Request.Version)
	}
	if v.Mail.Template != mail.RequestVerified || v.Mail.To != "ada@example.com" || v.Mail.ID == "" || v.Mail.ID == st.Creations()[0].Mail.ID {
		t.Errorf("mail intent = %+v", v.Mail)
	}
	if _, ok := v.Mail.Data["verify_url"]; ok {
		t.Error("the verified mail carries a verify link")
	}
	if got, _ := st.Get(ctx, rc.ID); got.Status != request.Verified {
		t.Errorf("stored status %q, want verified", got.Status)
	}

	// The token is single use.
	if _, err := svc.Confirm(ctx, raw); fault.KindOf(err) != fault.Gone {
		t.Errorf("second Confirm = %v, want fault.Gone", err)
	}
	if err := svc.CheckToken(ctx, raw); fault.KindOf(err) != fault.Gone {
		t.Errorf("CheckToken after use = %v, want fault.Gone", err)
	}
	if len(st.Verifications()) != 1 {
		t.Errorf("%d verifications after a second Confirm, want 1", len(st.Verifications()))
	}
}

func TestConfirmExpired(t *testing.T) {
	ctx := context.Background()
	for _, after := range []time.Duration{72 * time.Hour, 72*time.Hour + time.Second, 30 * 24 * time.Hour} {
		svc, st, clk := newTestService(t, t0)
		_, raw := submitForToken(t, svc, st)
		clk.t = t0.Add(after)
		if err := svc.CheckToken(ctx, raw); fault.KindOf(err) != fault.Gone {
			t.Errorf("CheckToken %s after receipt = %v, want fault.Gone", after, err)
		}
		if _, err := svc.Confirm(ctx, raw); fault.KindOf(err) != fault.Gone {
			t.Errorf("Confirm %s after receipt = %v, want fault.Gone", after, err)
		}
		if len(st.Verifications()) != 0 {
			t.Errorf("expired token verified a request")
		}
	}
}

func TestConfirmMalformedOrUnknownToken(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newTestService(t, t0)
	_, raw := submitForToken(t, svc, st)
	unknown := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	for _, tok := range []string{"", "abc", raw + "A", raw[:42], st.Creations()[0].TokenHash, unknown, "<script>", raw + "\x00"} {
		if _, err := svc.Confirm(ctx, tok); fault.KindOf(err) != fault.Gone {
			t.Errorf("Confirm(%q) = %v, want fault.Gone", tok, err)
		}
		if err := svc.CheckToken(ctx, tok); fault.KindOf(err) != fault.Gone {
			t.Errorf("CheckToken(%q) = %v, want fault.Gone", tok, err)
		}
	}
	// All refusals read alike, so a caller learns nothing about which
	// tokens exist.
	_, e1 := svc.Confirm(ctx, "abc")
	_, e2 := svc.Confirm(ctx, unknown)
	if e1.Error() != e2.Error() {
		t.Errorf("malformed and unknown tokens differ: %q vs %q", e1, e2)
	}
	if len(st.Verifications()) != 0 {
		t.Error("a bad token verified a request")
	}
}

func TestConfirmRequestNoLongerPending(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newTestService(t, t0)
	rc, raw := submitForToken(t, svc, st)
	if _, err := svc.Act(ctx, rc.ID, request.ActionInput{Action: request.Cancel, Actor: "staff-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Confirm(ctx, raw); fault.KindOf(err) != fault.Gone {
		t.Errorf("Confirm of a cancelled request = %v, want fault.Gone", err)
	}
	if r, err := st.Get(ctx, rc.ID); err != nil || r.Status != request.Cancelled {
		t.Errorf("stored status %q (%v), want cancelled unchanged", r.Status, err)
	}
	if n := len(st.Verifications()); n != 0 {
		t.Errorf("%d verifications of a cancelled request, want 0", n)
	}
}

// A request received on Thursday 10 December 2026 at 20:00 in Los Angeles
// (Friday 04:00 UTC) was received on the Thursday: its clock counts the
// company's days, and its mail shows them with the zone's abbreviation. In
// another zone (Zurich, where it is already Friday 05:00 CET) the same
// instant is a Friday receipt.
func TestSubmitCountsTheCompanysDays(t *testing.T) {
	at := time.Date(2026, 12, 11, 4, 0, 0, 0, time.UTC)
	zurich, err := deadline.LoadZone("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		zone           deadline.Zone
		due            time.Time
		received, text string
	}{
		// 10 Dec + 44 days: 21 days to 31 Dec, 23 more to 23 Jan 2027;
		// its end in PST is 24 Jan 07:59:59.999 UTC.
		{"Los Angeles", deadline.Zone{}, time.Date(2027, 1, 24, 7, 59, 59, 999_000_000, time.UTC),
			"10 December 2026, 20:00 PST", "23 January 2027, 23:59 PST"},
		// 11 Dec + 44 days: 24 Jan 2027; its end in CET (UTC+1) is 24 Jan
		// 22:59:59.999 UTC.
		{"Zurich", zurich, time.Date(2027, 1, 24, 22, 59, 59, 999_000_000, time.UTC),
			"11 December 2026, 05:00 CET", "24 January 2027, 23:59 CET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := subject.NewKeyer(bytes.Repeat([]byte("pepper-"), 5))
			if err != nil {
				t.Fatal(err)
			}
			st := requesttest.New()
			clk := &fixedClock{t: at}
			svc := request.NewService(st, request.Config{PublicBaseURL: testBaseURL, Keyer: k, Phone: phone.E164, Now: clk.Now, Zone: tt.zone})
			sub := submission("access")
			sub.Input.Country, sub.Input.State = "US", "CA"
			rc, err := svc.Submit(context.Background(), sub)
			if err != nil {
				t.Fatal(err)
			}
			if !rc.DueAt.Equal(tt.due) || rc.DueAt.Location() != time.UTC {
				t.Errorf("due %s, want %s in UTC", rc.DueAt, tt.due)
			}
			data := st.Creations()[0].Mail.Data
			if data["received_at"] != tt.received || data["due_at"] != tt.text {
				t.Errorf("mail received_at %q due_at %q, want %q and %q", data["received_at"], data["due_at"], tt.received, tt.text)
			}
		})
	}
}
