package optout_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/optout/optouttest"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
)

// clock is a settable Now.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// t0 is in another zone and carries nanoseconds: the service answers in UTC
// to the millisecond, as stored.
var (
	t0     = time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)
	t0Want = time.Date(2026, 3, 2, 9, 30, 0, 123000000, time.UTC)
)

func newKeyer(t *testing.T) *subject.Keyer {
	t.Helper()
	k, err := subject.NewKeyer(bytes.Repeat([]byte("pepper-"), 5))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newService(t *testing.T) (*optout.Service, *optouttest.Memory, *clock) {
	t.Helper()
	st := optouttest.New()
	clk := &clock{t: t0.In(time.FixedZone("UTC-8", -8*3600))}
	return optout.NewService(st, newKeyer(t), phone.E164, clk.Now), st, clk
}

// fieldsOf returns the fields an Invalid error names, sorted, failing the
// test if err is anything else.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Kind != fault.Invalid {
		t.Fatalf("error = %v, want a fault.Invalid error", err)
	}
	var names []string
	for _, f := range fe.Fields {
		names = append(names, f.Field)
	}
	slices.Sort(names)
	return names
}

func TestIdentify(t *testing.T) {
	k := newKeyer(t)
	email := optout.Identifier{Kind: optout.Email, Key: k.Email("ada@example.com"), Value: "ada@example.com", Match: subject.MatchHash("ada@example.com")}
	usPhone := optout.Identifier{Kind: optout.Phone, Key: k.Phone("+14155550100"), Value: "+14155550100", Match: subject.MatchHash("+14155550100")}
	browser := optout.Identifier{Kind: optout.BrowserID, Key: k.Browser("browser-0001"), Value: "browser-0001", Match: "browser-0001"}
	tests := []struct {
		name      string
		in        optout.Input
		want      []optout.Identifier
		wantEmail string
	}{
		{"email, normalised", optout.Input{Email: "  Ada@Example.COM "}, []optout.Identifier{email}, "ada@example.com"},
		{"phone without country code, read in the US", optout.Input{Phone: "(415) 555-0100"}, []optout.Identifier{usPhone}, ""},
		{"phone without country code, read in the country given", optout.Input{Phone: "030 1234567", Country: "de"},
			[]optout.Identifier{{Kind: optout.Phone, Key: k.Phone("+49301234567"), Value: "+49301234567", Match: subject.MatchHash("+49301234567")}}, ""},
		{"browser id, kept as given", optout.Input{BrowserID: " browser-0001 "}, []optout.Identifier{browser}, ""},
		{"a GPC signal with only a browser id", optout.Input{BrowserID: "browser-0001", GPC: true, Source: optout.Signal}, []optout.Identifier{browser}, ""},
		{"all three, email first", optout.Input{BrowserID: "browser-0001", Phone: "+1 415 555 0100", Email: "ada@example.com"},
			[]optout.Identifier{email, usPhone, browser}, "ada@example.com"},
	}
	svc, _, _ := newService(t)
	for _, tt := range tests {
		ids, gotEmail, err := svc.Identify(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(ids, tt.want) || gotEmail != tt.wantEmail {
			t.Errorf("%s: got %+v, email %q; want %+v, email %q", tt.name, ids, gotEmail, tt.want, tt.wantEmail)
		}
	}
}

func TestOptOutRefusedWritesNothing(t *testing.T) {
	tests := []struct {
		name string
		in   optout.Input
		want []string
	}{
		// The signal alone names nobody: there is nothing to opt out.
		{"a GPC signal with no identifier", optout.Input{GPC: true, Source: optout.Signal}, []string{"browser_id", "email", "phone"}},
		{"blank identifiers", optout.Input{Email: " ", Phone: "\t", BrowserID: ""}, []string{"browser_id", "email", "phone"}},
		{"bad email", optout.Input{Email: "ada at example.com", BrowserID: "browser-0001"}, []string{"email"}},
		{"bad phone", optout.Input{Phone: "12"}, []string{"phone"}},
		{"bad browser id", optout.Input{BrowserID: "short"}, []string{"browser_id"}},
	}
	for _, tt := range tests {
		svc, st, _ := newService(t)
		_, err := svc.OptOut(context.Background(), tt.in)
		if got := fieldsOf(t, err); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: fields %v, want %v", tt.name, got, tt.want)
		}
		if n := len(st.Applications()); n != 0 {
			t.Errorf("%s: %d opt-outs stored, want none", tt.name, n)
		}
	}
}

func TestOptOutWithEmailQueuesConfirmation(t *testing.T) {
	tests := []struct {
		rights     []optout.Right
		wantRights []optout.Right
		wantText   string
	}{
		{nil, []optout.Right{optout.SaleSharing}, "Do not sell or share my personal information"},
		{[]optout.Right{optout.LimitSensitive}, []optout.Right{optout.LimitSensitive}, "Limit the use of my sensitive personal information"},
		{[]optout.Right{optout.SaleSharing, optout.LimitSensitive}, []optout.Right{optout.SaleSharing, optout.LimitSensitive},
			"Do not sell or share my personal information\nLimit the use of my sensitive personal information"},
	}
	for _, tt := range tests {
		ctx := context.Background()
		svc, st, _ := newService(t)
		out, err := svc.OptOut(ctx, optout.Input{Email: "Ada@Example.com", BrowserID: "browser-0001", FirstName: "Ada", Rights: tt.rights})
		if err != nil {
			t.Fatal(err)
		}
		if !out.New || out.ID == "" || !out.EffectiveAt.Equal(t0Want) || out.EffectiveAt.Location() != time.UTC {
			t.Errorf("%v: outcome %+v, want a new opt-out effective at %s UTC", tt.rights, out, t0Want)
		}
		apps := st.Applications()
		if len(apps) != 1 {
			t.Fatalf("%v: %d opt-outs stored, want 1", tt.rights, len(apps))
		}
		a := apps[0]
		if a.ID != out.ID || !a.At.Equal(t0Want) || a.Source != optout.Form || a.GPC || a.RequestID != "" || !reflect.DeepEqual(a.Rights, tt.wantRights) {
			t.Errorf("%v: stored %+v; want id %s, the form as source, rights %v", tt.rights, a, out.ID, tt.wantRights)
		}
		if len(a.Identifiers) != 2 || a.Identifiers[0].Kind != optout.Email || a.Identifiers[1].Kind != optout.BrowserID {
			t.Errorf("%v: identifiers %+v, want the email and the browser id", tt.rights, a.Identifiers)
		}

		mails := st.Mails()
		if len(mails) != 1 {
			t.Fatalf("%v: %d mails, want 1", tt.rights, len(mails))
		}
		m := mails[0]
		if m.Template != mail.OptOutConfirmed || m.To != "ada@example.com" || m.ID == "" || m.ID == out.ID {
			t.Errorf("%v: mail %+v, want an opt-out confirmation to the normalised address with its own id", tt.rights, m)
		}
		if m.RecipientKey != newKeyer(t).Email("ada@example.com") {
			t.Errorf("%v: mail recipient key %q, want the keyed hash of the given address", tt.rights, m.RecipientKey)
		}
		if l, ok := mail.LimitFor(m); !ok || l.PerDay != 1 {
			t.Errorf("%v: the confirmation's cap is %+v (%v), want one a day", tt.rights, l, ok)
		}
		want := map[string]string{
			"first_name": "Ada",
			"optout_id":  out.ID,
			// 09:30 UTC is 01:30 PST in the company's default zone (DST
			// begins on 8 March).
			"effective_at": "2 March 2026, 01:30 PST",
			"rights":       tt.wantText,
			// Given with the email: the browser, not a phone number.
			"browser_given": "yes",
		}
		if !reflect.DeepEqual(m.Data, want) {
			t.Errorf("%v: mail data %q, want %q", tt.rights, m.Data, want)
		}
		if _, err := mailrender.Render(m, mailrender.Footer{PostalAddress: "100 Sample Street, Mobile, AL 36602, USA", Email: "privacy@claritru.example"}); err != nil {
			t.Errorf("%v: the confirmation does not render: %v", tt.rights, err)
		}
	}
}

func TestOptOutWithoutEmailQueuesNoMail(t *testing.T) {
	for _, in := range []optout.Input{
		{Phone: "+1 415 555 0100"},
		{BrowserID: "browser-0001"},
		{BrowserID: "browser-0001", GPC: true, Source: optout.Signal},
	} {
		svc, st, _ := newService(t)
		out, err := svc.OptOut(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if !out.New || out.ID == "" {
			t.Errorf("%+v: outcome %+v, want a new opt-out", in, out)
		}
		apps := st.Applications()
		if len(apps) != 1 || apps[0].Mail != nil || len(st.Mails()) != 0 {
			t.Errorf("%+v: %d opt-outs, mails %+v; want one opt-out and no mail (there is no address)", in, len(apps), st.Mails())
		}
	}
}

func TestOptOutBySignalRecordsIt(t *testing.T) {
	svc, st, _ := newService(t)
	if _, err := svc.OptOut(context.Background(), optout.Input{BrowserID: "browser-0001", GPC: true, Source: optout.Signal}); err != nil {
		t.Fatal(err)
	}
	a := st.Applications()[0]
	if !a.GPC || a.Source != optout.Signal || !reflect.DeepEqual(a.Rights, []optout.Right{optout.SaleSharing}) {
		t.Errorf("stored %+v, want a GPC opt-out of sale and sharing from the signal", a)
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	svc, _, clk := newService(t)

	if _, ok, err := svc.Status(ctx, "browser-0001"); err != nil || ok {
		t.Fatalf("before any opt-out: %v, %v; want not opted out", ok, err)
	}
	for _, bad := range []string{"", "  ", "short", "browser 0001", strings.Repeat("b", 129)} {
		_, _, err := svc.Status(ctx, bad)
		if got := fieldsOf(t, err); !reflect.DeepEqual(got, []string{"browser_id"}) {
			t.Errorf("Status(%q): fields %v, want [browser_id]", bad, got)
		}
	}

	// Limiting sensitive data is not an opt-out of sale and sharing.
	if _, err := svc.OptOut(ctx, optout.Input{BrowserID: "browser-0001", Rights: []optout.Right{optout.LimitSensitive}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := svc.Status(ctx, "browser-0001"); err != nil || ok {
		t.Errorf("after limiting sensitive data only: %v, %v; want not opted out of sale", ok, err)
	}

	clk.t = t0.Add(time.Hour)
	out, err := svc.OptOut(ctx, optout.Input{BrowserID: "browser-0001", GPC: true, Source: optout.Signal})
	if err != nil {
		t.Fatal(err)
	}
	st, ok, err := svc.Status(ctx, " browser-0001 ")
	if err != nil || !ok {
		t.Fatalf("after opting out: %v, %v; want opted out", ok, err)
	}
	if st.OptOutID != out.ID || !st.Since.Equal(t0Want.Add(time.Hour)) || st.Source != optout.Signal {
		t.Errorf("state %+v, want opt-out %s since %s from the signal", st, out.ID, t0Want.Add(time.Hour))
	}
	if _, ok, _ := svc.Status(ctx, "browser-0002"); ok {
		t.Error("another browser reads as opted out")
	}
}

func TestSuppression(t *testing.T) {
	ctx := context.Background()
	svc, _, clk := newService(t)
	for i, in := range []optout.Input{
		{Email: "Ada@Example.com"},
		{Phone: "(415) 555-0100", Country: "US"},
		// Not on the list: limiting sensitive data is not an opt-out of
		// sale and sharing.
		{BrowserID: "browser-0002", Rights: []optout.Right{optout.LimitSensitive}},
		{BrowserID: "browser-0001", GPC: true, Source: optout.Signal},
	} {
		clk.t = t0.Add(time.Duration(i) * time.Minute)
		if _, err := svc.OptOut(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	got, err := svc.Suppression(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// SHA-256 of the normalised email and of the E.164 phone, the browser
	// id as is; oldest first.
	want := []optout.Entry{
		{Kind: optout.Email, Match: subject.MatchHash("ada@example.com"), Since: t0Want},
		{Kind: optout.Phone, Match: subject.MatchHash("+14155550100"), Since: t0Want.Add(time.Minute)},
		{Kind: optout.BrowserID, Match: "browser-0001", Since: t0Want.Add(3 * time.Minute)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("suppression = %+v, want %+v", got, want)
	}
	for _, e := range got {
		if strings.Contains(e.Match, "@") || strings.Contains(e.Match, "415") {
			t.Errorf("entry %+v shows a raw identifier", e)
		}
	}
}

func TestApplyRequest(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	r := request.Request{
		ID: "01JREQUEST", Types: []request.Type{request.Delete, request.OptOut, request.LimitSensitive},
		FirstName: "Ada", Email: "ada@example.com", Phone: "+14155550100", Country: "US",
	}
	at, err := svc.ApplyRequest(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !at.Equal(t0Want) {
		t.Errorf("effective at %s, want %s", at, t0Want)
	}
	apps := st.Applications()
	if len(apps) != 1 {
		t.Fatalf("%d opt-outs stored, want 1", len(apps))
	}
	a := apps[0]
	// Only the rights acted on without verification; delete waits for it.
	if !reflect.DeepEqual(a.Rights, []optout.Right{optout.SaleSharing, optout.LimitSensitive}) {
		t.Errorf("rights %v, want opt_out and limit_sensitive", a.Rights)
	}
	if a.Source != optout.Request || a.RequestID != r.ID {
		t.Errorf("source %q, request %q; want the request %s", a.Source, a.RequestID, r.ID)
	}
	k := newKeyer(t)
	if len(a.Identifiers) != 2 || a.Identifiers[0].Key != k.Email("ada@example.com") || a.Identifiers[1].Key != k.Phone("+14155550100") {
		t.Errorf("identifiers %+v, want the request's email and phone", a.Identifiers)
	}
	// The request's own receipt confirms the opt-out: no second mail.
	if a.Mail != nil || len(st.Mails()) != 0 {
		t.Errorf("mail %+v queued, want none", a.Mail)
	}
	got, err := svc.Suppression(ctx)
	if err != nil || len(got) != 2 {
		t.Errorf("suppression %+v, %v; want the email and the phone", got, err)
	}
}

func TestApplyRequestOptOutOnly(t *testing.T) {
	svc, st, _ := newService(t)
	r := request.Request{ID: "01JREQUEST", Types: []request.Type{request.LimitSensitive}, Email: "ada@example.com"}
	if _, err := svc.ApplyRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if a := st.Applications()[0]; !reflect.DeepEqual(a.Rights, []optout.Right{optout.LimitSensitive}) {
		t.Errorf("rights %v, want limit_sensitive alone", a.Rights)
	}
	if got, _ := svc.Suppression(context.Background()); len(got) != 0 {
		t.Errorf("suppression %+v: limiting sensitive data is not an opt-out of sale", got)
	}
}

// TestRepeatDoesNotDiscloseFirst: repeating an opt-out is harmless and its
// answer tells only that the opt-out is in effect. The first one's id and
// time would tell anyone who types an address whether, and since when, its
// owner opted out.
func TestRepeatDoesNotDiscloseFirst(t *testing.T) {
	ctx := context.Background()
	svc, st, clk := newService(t)
	in := optout.Input{Email: "ada@example.com", BrowserID: "browser-0001"}
	first, err := svc.OptOut(ctx, in)
	if err != nil {
		t.Fatal(err)
	}

	clk.t = t0.Add(48 * time.Hour)
	again, err := svc.OptOut(ctx, optout.Input{Email: " ADA@example.com "})
	if err != nil {
		t.Fatal(err)
	}
	if again.New {
		t.Error("a repeat reads as new")
	}
	if again.ID == "" || again.ID == first.ID || !again.EffectiveAt.Equal(t0Want.Add(48*time.Hour)) {
		t.Errorf("repeat answered %+v; want a fresh reference and the current time, not the first opt-out %+v", again, first)
	}
	if n := len(st.Mails()); n != 1 {
		t.Errorf("%d mails, want only the first opt-out's", n)
	}
	// The record keeps the first opt-out: staff see the history.
	state, ok, err := svc.Status(ctx, "browser-0001")
	if err != nil || !ok || state.OptOutID != first.ID || !state.Since.Equal(first.EffectiveAt) {
		t.Errorf("state %+v (%v, %v), want the first opt-out %+v", state, ok, err, first)
	}
}

func TestStoreFailure(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	boom := errors.New("store unavailable")
	st.FailWith(boom)
	if _, err := svc.OptOut(ctx, optout.Input{Email: "ada@example.com"}); !errors.Is(err, boom) {
		t.Errorf("OptOut: %v, want the store's error", err)
	}
	if _, err := svc.ApplyRequest(ctx, request.Request{ID: "r", Types: []request.Type{request.OptOut}, Email: "ada@example.com"}); !errors.Is(err, boom) {
		t.Errorf("ApplyRequest: %v, want the store's error", err)
	}
	if _, ok, err := svc.Status(ctx, "browser-0001"); !errors.Is(err, boom) || ok {
		t.Errorf("Status: %v, %v; want the store's error", ok, err)
	}
	if _, err := svc.Suppression(ctx); !errors.Is(err, boom) {
		t.Errorf("Suppression: %v, want the store's error", err)
	}
}

// A confirmation goes to the address given in the opt-out, never to an
// address linked to it through a phone given earlier.
func TestOptOutConfirmsOnlyToTheAddressGiven(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	if _, err := svc.OptOut(ctx, optout.Input{Email: "victim@example.com", Phone: "+1 415 555 0100"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.OptOut(ctx, optout.Input{Email: "attacker@example.com", Phone: "+1 415 555 0100", Rights: []optout.Right{optout.LimitSensitive}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.OptOut(ctx, optout.Input{Phone: "+1 415 555 0100", Rights: []optout.Right{optout.SaleSharing, optout.LimitSensitive}}); err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range st.Mails() {
		to = append(to, m.To)
	}
	if !slices.Equal(to, []string{"victim@example.com", "attacker@example.com"}) {
		t.Errorf("confirmations went to %q, want each only to the address given with it", to)
	}
}
