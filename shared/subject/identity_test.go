package subject_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
)

func keyer(t *testing.T) *subject.Keyer {
	t.Helper()
	k, err := subject.NewKeyer(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func fieldNames(errs fault.Fields) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return out
}

func kinds(ids []subject.Identity) []subject.Kind {
	var out []subject.Kind
	for _, id := range ids {
		out = append(out, id.Kind)
	}
	return out
}

const (
	email   = " Ada.Lovelace@Example.com "
	tel     = "(415) 555-0100"
	browser = "b-0123456789abcdef"
)

func TestIdentifyFieldsAndCounts(t *testing.T) {
	x := subject.NewIdentifier(keyer(t), phone.E164)
	emailPhone := []subject.Kind{subject.Email, subject.Phone}
	cases := []struct {
		name      string
		in        subject.Given
		form      subject.Form
		wantKinds []subject.Kind
		// wantFields are the fields named, in order; wantMsg, when set, is
		// the message of the first.
		wantFields []string
		wantMsg    string
	}{
		{name: "all three, flat", in: subject.Given{Email: email, Phone: tel, BrowserID: browser}, form: subject.Form{Count: subject.AtLeastOne},
			wantKinds: []subject.Kind{subject.Email, subject.Phone, subject.BrowserID}},
		{name: "order is email, phone, browser id whatever the form lists", in: subject.Given{Email: email, BrowserID: browser},
			form:      subject.Form{Kinds: []subject.Kind{subject.BrowserID, subject.Email}, Count: subject.AtLeastOne},
			wantKinds: []subject.Kind{subject.Email, subject.BrowserID}},
		{name: "kinds the form does not take are not read", in: subject.Given{Email: email, BrowserID: "bad"},
			form: subject.Form{Kinds: emailPhone, Count: subject.ExactlyOne}, wantKinds: []subject.Kind{subject.Email}},

		// Field names: the prefix names nested fields; one rule for every route.
		{name: "bad email, flat", in: subject.Given{Email: "ada@"}, form: subject.Form{Count: subject.AtLeastOne},
			wantFields: []string{"email"}, wantMsg: subject.ErrEmail.Error()},
		{name: "bad email, nested", in: subject.Given{Email: "ada@"}, form: subject.Form{Count: subject.AtLeastOne, Prefix: "subject."},
			wantFields: []string{"subject.email"}},
		{name: "bad phone, nested", in: subject.Given{Phone: "+1 415 555 01"}, form: subject.Form{Prefix: "subject."},
			wantFields: []string{"subject.phone"}, wantMsg: subject.ErrPhone.Error()},
		{name: "bad browser id, nested", in: subject.Given{BrowserID: "short"}, form: subject.Form{Prefix: "subject."},
			wantFields: []string{"subject.browser_id"}, wantMsg: subject.ErrBrowserID.Error()},
		{name: "every bad value is named", in: subject.Given{Email: "x", Phone: "y", BrowserID: "z"}, form: subject.Form{Count: subject.AtLeastOne},
			wantFields: []string{"email", "phone", "browser_id"}},

		// An invalid value is never keyed; the valid ones still are.
		{name: "invalid email beside a valid browser id", in: subject.Given{Email: "Ada <ada@example.com>", BrowserID: browser},
			form: subject.Form{Count: subject.AtLeastOne}, wantKinds: []subject.Kind{subject.BrowserID}, wantFields: []string{"email"}},
		{name: "invalid phone beside a valid email", in: subject.Given{Email: email, Phone: "call me"},
			form: subject.Form{Count: subject.AtLeastOne}, wantKinds: []subject.Kind{subject.Email}, wantFields: []string{"phone"}},

		// Counts.
		{name: "none, at least one, flat: every field", in: subject.Given{}, form: subject.Form{Count: subject.AtLeastOne},
			wantFields: []string{"email", "phone", "browser_id"}, wantMsg: "give at least one of email, phone or browser_id"},
		{name: "none, at least one, nested: the object", in: subject.Given{}, form: subject.Form{Count: subject.AtLeastOne, Prefix: "subject."},
			wantFields: []string{"subject"}, wantMsg: "give at least one of email, phone or browser_id"},
		{name: "blank values are not given", in: subject.Given{Email: "  ", Phone: "\t", BrowserID: "\n"}, form: subject.Form{Count: subject.AtLeastOne},
			wantFields: []string{"email", "phone", "browser_id"}},
		{name: "a blank value beside a valid one is ignored", in: subject.Given{Email: " ", BrowserID: browser}, form: subject.Form{Count: subject.AtLeastOne},
			wantKinds: []subject.Kind{subject.BrowserID}},
		{name: "none, exactly one: the first field", in: subject.Given{}, form: subject.Form{Count: subject.ExactlyOne},
			wantFields: []string{"email"}, wantMsg: "give exactly one of email, phone or browser_id"},
		{name: "two, exactly one: the first field, values not read", in: subject.Given{Email: "bad", Phone: "bad"}, form: subject.Form{Count: subject.ExactlyOne},
			wantFields: []string{"email"}},
		{name: "exactly one of two kinds", in: subject.Given{}, form: subject.Form{Kinds: emailPhone, Count: subject.ExactlyOne},
			wantFields: []string{"email"}, wantMsg: "give exactly one of email or phone"},
		{name: "the one kind a route takes is required", in: subject.Given{BrowserID: " "}, form: subject.Form{Kinds: []subject.Kind{subject.BrowserID}, Count: subject.ExactlyOne},
			wantFields: []string{"browser_id"}, wantMsg: "this field is required"},
		{name: "optional: none is fine", in: subject.Given{}, form: subject.Form{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var errs fault.Fields
			ids, err := x.Identify(tc.in, tc.form, &errs)
			if err != nil {
				t.Fatalf("Identify: %v", err)
			}
			if got := kinds(ids); !slices.Equal(got, tc.wantKinds) {
				t.Errorf("kinds %v, want %v", got, tc.wantKinds)
			}
			if got := fieldNames(errs); !slices.Equal(got, tc.wantFields) {
				t.Errorf("fields %v, want %v", got, tc.wantFields)
			}
			if tc.wantMsg != "" && len(errs) > 0 && errs[0].Message != tc.wantMsg {
				t.Errorf("message %q, want %q", errs[0].Message, tc.wantMsg)
			}
			for _, id := range ids {
				if id.Key == "" || id.Value == "" || id.Match == "" {
					t.Errorf("identity %+v is not complete", id)
				}
			}
		})
	}
}

func TestIdentifyKeysAndMatches(t *testing.T) {
	k := keyer(t)
	var errs fault.Fields
	ids, err := subject.NewIdentifier(k, phone.E164).Identify(subject.Given{Email: email, Phone: tel, BrowserID: " " + browser + " "}, subject.Form{}, &errs)
	if err != nil || len(errs) > 0 {
		t.Fatalf("Identify: %v %v", err, errs)
	}
	want := []subject.Identity{
		{Kind: subject.Email, Key: k.Email("ada.lovelace@example.com"), Value: "ada.lovelace@example.com", Match: subject.MatchHash("ada.lovelace@example.com")},
		{Kind: subject.Phone, Key: k.Phone("+14155550100"), Value: "+14155550100", Match: subject.MatchHash("+14155550100")},
		{Kind: subject.BrowserID, Key: k.Browser(browser), Value: browser, Match: browser},
	}
	if !slices.Equal(ids, want) {
		t.Errorf("identities\n%+v\nwant\n%+v", ids, want)
	}
	if got := ids[0].KeyOnly(); got != (subject.Identity{Kind: subject.Email, Key: want[0].Key}) {
		t.Errorf("KeyOnly = %+v", got)
	}
	if id, ok := subject.Find(ids, subject.Phone); !ok || id != want[1] {
		t.Errorf("Find(phone) = %+v, %v", id, ok)
	}
	if _, ok := subject.Find(ids[:1], subject.Phone); ok {
		t.Error("Find found a phone that is not there")
	}
}

// TestIdentifyPhoneRegion: a phone without a country code is read in the
// given country when it is an ISO 3166-1 code, else in the US.
func TestIdentifyPhoneRegion(t *testing.T) {
	var region string
	spy := func(raw, r string) (string, error) { region = r; return "+10000000000", nil }
	x := subject.NewIdentifier(keyer(t), spy)
	for _, tc := range []struct{ country, want string }{
		{"", "US"},
		{"DE", "DE"},
		{" de ", "DE"},
		{"GB", "GB"},
		{"UK", "US"},  // not ISO 3166-1
		{"XX", "US"},  // not assigned
		{"AC", "US"},  // the phone plan's Ascension Island, filed under SH in ISO
		{"DEU", "US"}, // alpha-3
	} {
		region = ""
		var errs fault.Fields
		if _, err := x.Identify(subject.Given{Phone: "030 901820", Country: tc.country}, subject.Form{}, &errs); err != nil || len(errs) > 0 {
			t.Fatalf("country %q: %v %v", tc.country, err, errs)
		}
		if region != tc.want {
			t.Errorf("country %q: phone read in %q, want %q", tc.country, region, tc.want)
		}
	}

	// With the real normaliser.
	x = subject.NewIdentifier(keyer(t), phone.E164)
	for _, tc := range []struct{ phone, country, want string }{
		{"(415) 555-0100", "", "+14155550100"},
		{"030 901820", "DE", "+4930901820"},
		{"+49 30 901820", "US", "+4930901820"},
		{"(415) 555-0100", "XX", "+14155550100"},
	} {
		var errs fault.Fields
		ids, err := x.Identify(subject.Given{Phone: tc.phone, Country: tc.country}, subject.Form{}, &errs)
		if err != nil || len(errs) > 0 || len(ids) != 1 || ids[0].Value != tc.want {
			t.Errorf("phone %q in %q: %+v %v %v, want %s", tc.phone, tc.country, ids, err, errs, tc.want)
		}
	}
	var errs fault.Fields
	if ids, _ := x.Identify(subject.Given{Phone: "030 901820"}, subject.Form{}, &errs); len(ids) != 0 || !slices.Equal(fieldNames(errs), []string{"phone"}) {
		t.Errorf("a German national number without a country: %+v %v, want refused", ids, errs)
	}
}

// TestIdentifyWithoutParts: a service built without a phone normaliser or
// keyer fails clearly when a call needs it and works when none does.
func TestIdentifyWithoutParts(t *testing.T) {
	noPhone := subject.NewIdentifier(keyer(t), nil)
	var errs fault.Fields
	if ids, err := noPhone.Identify(subject.Given{Email: email}, subject.Form{Count: subject.AtLeastOne}, &errs); err != nil || len(ids) != 1 {
		t.Errorf("email without a phone normaliser: %+v, %v", ids, err)
	}
	if _, err := noPhone.Identify(subject.Given{Email: email, Phone: tel}, subject.Form{}, &errs); !errors.Is(err, subject.ErrNoPhoneNormaliser) {
		t.Errorf("phone without a phone normaliser: %v, want ErrNoPhoneNormaliser", err)
	}
	noKeyer := subject.NewIdentifier(nil, phone.E164)
	if _, err := noKeyer.Identify(subject.Given{Email: email}, subject.Form{}, &errs); !errors.Is(err, subject.ErrNoKeyer) {
		t.Errorf("no keyer: %v, want ErrNoKeyer", err)
	}
	var none *subject.Identifier
	errs = nil
	if ids, err := none.Identify(subject.Given{}, subject.Form{Count: subject.AtLeastOne}, &errs); err != nil || ids != nil || len(errs) != 3 {
		t.Errorf("nil Identifier, nothing given: %+v, %v, %v", ids, err, errs)
	}
	if _, err := none.Identify(subject.Given{Phone: tel}, subject.Form{}, &errs); !errors.Is(err, subject.ErrNoPhoneNormaliser) {
		t.Errorf("nil Identifier, phone: %v", err)
	}
	if _, err := none.Identify(subject.Given{BrowserID: browser}, subject.Form{}, &errs); !errors.Is(err, subject.ErrNoKeyer) {
		t.Errorf("nil Identifier, browser id: %v", err)
	}
}

func TestNormaliseCountry(t *testing.T) {
	accept := map[string]string{"US": "US", "de": "DE", " gb ": "GB", "AQ": "AQ", "XK": "XK", "SH": "SH", "um": "UM"}
	for in, want := range accept {
		if got, err := subject.NormaliseCountry(in); err != nil || got != want {
			t.Errorf("NormaliseCountry(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	// Two letters are not enough: the list is ISO 3166-1's.
	for _, in := range []string{"", "UK", "EU", "XX", "ZZ", "AC", "TA", "1A", "DEU", "D", "U S", "US\x00"} {
		if got, err := subject.NormaliseCountry(in); !errors.Is(err, subject.ErrCountry) {
			t.Errorf("NormaliseCountry(%q) = %q, %v; want ErrCountry", in, got, err)
		}
	}
}
