package request_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
)

// testSubjects identifies the subject of a validated input as the wiring
// does.
var testSubjects = func() *subject.Identifier {
	k, err := subject.NewKeyer(bytes.Repeat([]byte("pepper-"), 5))
	if err != nil {
		panic(err)
	}
	return subject.NewIdentifier(k, phone.E164)
}()

// validInput is the smallest input Validate accepts.
func validInput() request.Input {
	return request.Input{
		Types:       []string{"know"},
		FirstName:   "Ada",
		LastName:    "Lovelace",
		Email:       "ada@example.com",
		Declaration: true,
	}
}

// fieldErrors returns the field errors of an Invalid error, failing the test
// if err is anything else.
func fieldErrors(t *testing.T, err error) []fault.FieldError {
	t.Helper()
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Kind != fault.Invalid {
		t.Fatalf("error = %v, want a fault.Invalid error", err)
	}
	return fe.Fields
}

// fieldNames lists the fields of an error, sorted, duplicates kept.
func fieldNames(fs []fault.FieldError) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Field
	}
	slices.Sort(names)
	return names
}

func TestValidate(t *testing.T) {
	long := func(n int, r string) string { return strings.Repeat(r, n) }
	tests := []struct {
		name  string
		edit  func(*request.Input)
		prior fault.Fields
		// wantFields, sorted, with duplicates: the fields the error must
		// name, exactly. Empty means the input is accepted.
		wantFields []string
		check      func(*testing.T, request.Request)
	}{
		{name: "minimal valid input", edit: func(*request.Input) {}, check: func(t *testing.T, r request.Request) {
			if !reflect.DeepEqual(r.Types, []request.Type{request.Know}) || r.FirstName != "Ada" || r.LastName != "Lovelace" || r.Email != "ada@example.com" {
				t.Errorf("got %+v", r)
			}
		}},

		// Required fields.
		{name: "first name missing", edit: func(in *request.Input) { in.FirstName = "" }, wantFields: []string{"first_name"}},
		{name: "first name only spaces", edit: func(in *request.Input) { in.FirstName = " \t " }, wantFields: []string{"first_name"}},
		{name: "last name missing", edit: func(in *request.Input) { in.LastName = "" }, wantFields: []string{"last_name"}},
		{name: "email missing", edit: func(in *request.Input) { in.Email = "  " }, wantFields: []string{"email"}},
		{
			name:       "every wrong field is reported, not only the first",
			edit:       func(in *request.Input) { *in = request.Input{} },
			wantFields: []string{"declaration", "email", "first_name", "last_name", "types"},
		},
		{name: "names are trimmed", edit: func(in *request.Input) { in.FirstName, in.LastName = "  Ada ", "\tLovelace\n" }, check: func(t *testing.T, r request.Request) {
			if r.FirstName != "Ada" || r.LastName != "Lovelace" {
				t.Errorf("names = %q %q, want Ada Lovelace", r.FirstName, r.LastName)
			}
		}},

		// Email.
		{name: "email trimmed and lower-cased", edit: func(in *request.Input) { in.Email = "  Ada.Lovelace@Example.COM \n" }, check: func(t *testing.T, r request.Request) {
			if r.Email != "ada.lovelace@example.com" {
				t.Errorf("Email = %q, want ada.lovelace@example.com", r.Email)
			}
		}},
		{name: "email without domain dot", edit: func(in *request.Input) { in.Email = "ada@localhost" }, wantFields: []string{"email"}},
		{name: "email with display name", edit: func(in *request.Input) { in.Email = "Ada <ada@example.com>" }, wantFields: []string{"email"}},
		{name: "email header injection", edit: func(in *request.Input) { in.Email = "ada@example.com\r\nBcc: x@y.com" }, wantFields: []string{"email"}},
		{name: "email two addresses", edit: func(in *request.Input) { in.Email = "ada@example.com,eve@example.com" }, wantFields: []string{"email"}},

		// Phone: E.164, region from the country, US by default.
		{name: "US phone without country", edit: func(in *request.Input) { in.Phone = "(415) 555-0100" }, check: func(t *testing.T, r request.Request) {
			if r.Phone != "+14155550100" {
				t.Errorf("Phone = %q, want +14155550100", r.Phone)
			}
		}},
		{name: "national German number read in country DE", edit: func(in *request.Input) { in.Country, in.Phone = "DE", "030 901820" }, check: func(t *testing.T, r request.Request) {
			// Berlin: trunk prefix 0 dropped, country code 49, area 30.
			if r.Phone != "+4930901820" {
				t.Errorf("Phone = %q, want +4930901820", r.Phone)
			}
		}},
		{name: "international number keeps its own country code", edit: func(in *request.Input) { in.Country, in.Phone = "US", "+49 30 901820" }, check: func(t *testing.T, r request.Request) {
			if r.Phone != "+4930901820" {
				t.Errorf("Phone = %q, want +4930901820", r.Phone)
			}
		}},
		// The same digits in the US (the default region) are too short for
		// a 10-digit NANP number.
		{name: "German national number without country is refused", edit: func(in *request.Input) { in.Phone = "030 901820" }, wantFields: []string{"phone"}},
		{name: "phone garbage", edit: func(in *request.Input) { in.Phone = "call me maybe" }, wantFields: []string{"phone"}},
		{name: "phone with control characters", edit: func(in *request.Input) { in.Phone = "415 555\x000100" }, wantFields: []string{"phone"}},

		// Types.
		{name: "no types", edit: func(in *request.Input) { in.Types = nil }, wantFields: []string{"types"}},
		{name: "unknown type", edit: func(in *request.Input) { in.Types = []string{"know", "sell_my_data"} }, wantFields: []string{"types"}},
		{name: "empty type", edit: func(in *request.Input) { in.Types = []string{""} }, wantFields: []string{"types"}},
		{name: "two unknown types are one error", edit: func(in *request.Input) { in.Types = []string{"x", "y"} }, wantFields: []string{"types"}},
		{name: "duplicate types deduplicated, order kept, trimmed", edit: func(in *request.Input) {
			in.Types = []string{"delete", " know ", "delete", "know", "opt_out"}
		}, check: func(t *testing.T, r request.Request) {
			if want := []request.Type{request.Delete, request.Know, request.OptOut}; !reflect.DeepEqual(r.Types, want) {
				t.Errorf("Types = %v, want %v", r.Types, want)
			}
		}},
		{name: "a hundred repeated types", edit: func(in *request.Input) {
			in.Types = strings.Split(strings.Repeat("know,", 99)+"know", ",")
		}, wantFields: []string{"types"}},
		{name: "all six types", edit: func(in *request.Input) {
			in.Types = []string{"know", "access", "correct", "delete", "opt_out", "limit_sensitive"}
			in.Correction = "My surname is Byron."
		}, check: func(t *testing.T, r request.Request) {
			if len(r.Types) != 6 {
				t.Errorf("Types = %v, want 6", r.Types)
			}
		}},

		// Correction.
		{name: "correct without correction", edit: func(in *request.Input) { in.Types = []string{"correct"} }, wantFields: []string{"correction"}},
		{name: "correct with blank correction", edit: func(in *request.Input) { in.Types = []string{"correct"}; in.Correction = " \n " }, wantFields: []string{"correction"}},
		{name: "correct with correction", edit: func(in *request.Input) {
			in.Types = []string{"correct"}
			in.Correction = "Last name is Byron,\nnot Lovelace."
		}, check: func(t *testing.T, r request.Request) {
			if r.Correction != "Last name is Byron,\nnot Lovelace." {
				t.Errorf("Correction = %q", r.Correction)
			}
		}},
		{name: "correction with a bell character", edit: func(in *request.Input) { in.Types = []string{"correct"}; in.Correction = "fix\x07this" }, wantFields: []string{"correction"}},

		// Authorized agent.
		{name: "on behalf without agent", edit: func(in *request.Input) { in.OnBehalf = true }, wantFields: []string{"agent_email", "agent_name"}},
		{name: "on behalf with agent", edit: func(in *request.Input) {
			in.OnBehalf, in.AgentName, in.AgentEmail = true, " Bob Agent ", " Bob@Agency.EXAMPLE.com"
		}, check: func(t *testing.T, r request.Request) {
			if !r.OnBehalf || r.AgentName != "Bob Agent" || r.AgentEmail != "bob@agency.example.com" {
				t.Errorf("agent = %v %q %q", r.OnBehalf, r.AgentName, r.AgentEmail)
			}
		}},
		{name: "on behalf with bad agent email", edit: func(in *request.Input) {
			in.OnBehalf, in.AgentName, in.AgentEmail = true, "Bob", "bob at agency"
		}, wantFields: []string{"agent_email"}},
		{name: "agent name with a line break", edit: func(in *request.Input) {
			in.OnBehalf, in.AgentName, in.AgentEmail = true, "Bob\nBcc: x@y.com", "bob@agency.com"
		}, wantFields: []string{"agent_name"}},
		{name: "agent name without on_behalf", edit: func(in *request.Input) { in.AgentName = "Bob" }, wantFields: []string{"on_behalf"}},
		{name: "agent email without on_behalf", edit: func(in *request.Input) { in.AgentEmail = "bob@agency.com" }, wantFields: []string{"on_behalf"}},
		{name: "blank agent details without on_behalf are fine", edit: func(in *request.Input) { in.AgentName, in.AgentEmail = " ", "\t" }},

		// Declaration.
		{name: "declaration false", edit: func(in *request.Input) { in.Declaration = false }, wantFields: []string{"declaration"}},

		// Control characters.
		{name: "CRLF header injection in first name", edit: func(in *request.Input) { in.FirstName = "Ada\r\nBcc: x@y" }, wantFields: []string{"first_name"}},
		{name: "NUL in last name", edit: func(in *request.Input) { in.LastName = "Love\x00lace" }, wantFields: []string{"last_name"}},
		{name: "tab inside practice name", edit: func(in *request.Input) { in.PracticeName = "Smile\tDental" }, wantFields: []string{"practice_name"}},
		{name: "C1 control (NEL) in first name", edit: func(in *request.Input) { in.FirstName = "Ada\u0085Eve" }, wantFields: []string{"first_name"}},
		{name: "DEL in first name", edit: func(in *request.Input) { in.FirstName = "Ada\x7f" }, wantFields: []string{"first_name"}},
		{name: "invalid UTF-8 in first name", edit: func(in *request.Input) { in.FirstName = "Ad\xffa" }, wantFields: []string{"first_name"}},
		{name: "newlines and tabs allowed in details", edit: func(in *request.Input) { in.Details = "Line one\r\nLine two\n\tindented" }, check: func(t *testing.T, r request.Request) {
			if r.Details != "Line one\r\nLine two\n\tindented" {
				t.Errorf("Details = %q", r.Details)
			}
		}},
		{name: "NUL in details", edit: func(in *request.Input) { in.Details = "hello\x00" + "world" }, wantFields: []string{"details"}},
		{name: "escape sequence in details", edit: func(in *request.Input) { in.Details = "\x1b[31mred" }, wantFields: []string{"details"}},
		{name: "invalid UTF-8 in details", edit: func(in *request.Input) { in.Details = "caf\xe9" }, wantFields: []string{"details"}},
		{name: "non-Latin names are fine", edit: func(in *request.Input) { in.FirstName, in.LastName = "Zoë", "Ōtani 大谷" }, check: func(t *testing.T, r request.Request) {
			if r.FirstName != "Zoë" || r.LastName != "Ōtani 大谷" {
				t.Errorf("names = %q %q", r.FirstName, r.LastName)
			}
		}},

		// Length limits count characters, not bytes.
		{name: "first name of 100 characters", edit: func(in *request.Input) { in.FirstName = long(100, "é") }},
		{name: "first name of 101 characters", edit: func(in *request.Input) { in.FirstName = long(101, "a") }, wantFields: []string{"first_name"}},
		{name: "last name of 101 characters", edit: func(in *request.Input) { in.LastName = long(101, "b") }, wantFields: []string{"last_name"}},
		{name: "practice name of 200 characters", edit: func(in *request.Input) { in.PracticeName = long(200, "p") }},
		{name: "practice name of 201 characters", edit: func(in *request.Input) { in.PracticeName = long(201, "p") }, wantFields: []string{"practice_name"}},
		{name: "details of 5000 characters", edit: func(in *request.Input) { in.Details = long(5000, "ü") }},
		{name: "details of 5001 characters", edit: func(in *request.Input) { in.Details = long(5001, "d") }, wantFields: []string{"details"}},
		{name: "correction of 5001 characters", edit: func(in *request.Input) { in.Types = []string{"correct"}; in.Correction = long(5001, "c") }, wantFields: []string{"correction"}},
		{name: "email of 255 characters", edit: func(in *request.Input) { in.Email = long(64, "a") + "@" + long(186, "b") + ".com" }, wantFields: []string{"email"}},
		{name: "agent name of 101 characters", edit: func(in *request.Input) {
			in.OnBehalf, in.AgentName, in.AgentEmail = true, long(101, "n"), "bob@agency.com"
		}, wantFields: []string{"agent_name"}},

		// Country and state.
		{name: "country XX is not ISO 3166-1", edit: func(in *request.Input) { in.Country = "XX" }, wantFields: []string{"country"}},
		{name: "country UK is not ISO 3166-1 (GB is)", edit: func(in *request.Input) { in.Country = "UK" }, wantFields: []string{"country"}},
		// Phone metadata knows regions that are not ISO 3166-1 assigned
		// codes: AC (Ascension) and TA (Tristan da Cunha) are only
		// "exceptionally reserved"; ISO assigns both to SH.
		{name: "country AC is not an assigned ISO 3166-1 code", edit: func(in *request.Input) { in.Country = "AC" }, wantFields: []string{"country"}},
		{name: "country TA is not an assigned ISO 3166-1 code", edit: func(in *request.Input) { in.Country = "TA" }, wantFields: []string{"country"}},
		{name: "country alpha-3 refused", edit: func(in *request.Input) { in.Country = "DEU" }, wantFields: []string{"country"}},
		{name: "country of one letter refused", edit: func(in *request.Input) { in.Country = "D" }, wantFields: []string{"country"}},
		{name: "country de accepted as DE", edit: func(in *request.Input) { in.Country = " de " }, check: func(t *testing.T, r request.Request) {
			if r.Country != "DE" {
				t.Errorf("Country = %q, want DE", r.Country)
			}
		}},
		{name: "Antarctica has no phone plan but is a country code", edit: func(in *request.Input) { in.Country = "AQ" }, check: func(t *testing.T, r request.Request) {
			if r.Country != "AQ" {
				t.Errorf("Country = %q, want AQ", r.Country)
			}
		}},
		{name: "US state", edit: func(in *request.Input) { in.Country, in.State = "us", "ca" }, check: func(t *testing.T, r request.Request) {
			if r.Country != "US" || r.State != "CA" {
				t.Errorf("Country, State = %q, %q, want US, CA", r.Country, r.State)
			}
		}},
		{name: "state outside the US", edit: func(in *request.Input) { in.Country, in.State = "DE", "BY" }, wantFields: []string{"state"}},
		{name: "state CA outside the US", edit: func(in *request.Input) { in.Country, in.State = "CA", "ON" }, wantFields: []string{"state"}},
		{name: "state not a US code", edit: func(in *request.Input) { in.Country, in.State = "US", "ZZ" }, wantFields: []string{"state"}},
		{name: "state written out", edit: func(in *request.Input) { in.Country, in.State = "US", "California" }, wantFields: []string{"state"}},

		// Errors found by the body decoder are reported with the rest.
		{
			name:       "prior unknown field alone",
			edit:       func(*request.Input) {},
			prior:      fault.Fields{{Field: "nickname", Message: "unknown field"}},
			wantFields: []string{"nickname"},
		},
		{
			name:       "prior error together with validation errors",
			edit:       func(in *request.Input) { in.Declaration, in.LastName = false, "" },
			prior:      fault.Fields{{Field: "nickname", Message: "unknown field"}},
			wantFields: []string{"declaration", "last_name", "nickname"},
		},
		{
			name:       "prior declaration error not repeated",
			edit:       func(in *request.Input) { in.Declaration = false },
			prior:      fault.Fields{{Field: "declaration", Message: "must be true or false"}},
			wantFields: []string{"declaration"},
		},
		{
			name:       "prior types error not repeated",
			edit:       func(in *request.Input) { in.Types = nil },
			prior:      fault.Fields{{Field: "types", Message: "has the wrong type"}},
			wantFields: []string{"types"},
		},
		{
			// JSON {"types": ["know", 5]} leaves ["know", ""] behind.
			name:       "prior types error not repeated for a partly decoded list",
			edit:       func(in *request.Input) { in.Types = []string{"know", ""} },
			prior:      fault.Fields{{Field: "types", Message: "has the wrong type"}},
			wantFields: []string{"types"},
		},
		{
			name:       "prior correction error not repeated",
			edit:       func(in *request.Input) { in.Types = []string{"correct"} },
			prior:      fault.Fields{{Field: "correction", Message: "has the wrong type"}},
			wantFields: []string{"correction"},
		},
		{
			// JSON {"first_name": 5}: the decoder names the field, and the
			// then empty first name must not be reported a second time.
			name:       "prior first_name error not repeated",
			edit:       func(in *request.Input) { in.FirstName = "" },
			prior:      fault.Fields{{Field: "first_name", Message: "has the wrong type"}},
			wantFields: []string{"first_name"},
		},
		{
			name:       "prior email error not repeated",
			edit:       func(in *request.Input) { in.Email = "" },
			prior:      fault.Fields{{Field: "email", Message: "has the wrong type"}},
			wantFields: []string{"email"},
		},
		{
			// Form first_name=Ada%0A&first_name=Eve: the decoder refuses the
			// repetition and keeps the first value.
			name:       "prior repeated-field error not repeated",
			edit:       func(in *request.Input) { in.FirstName = "Ada\nX" },
			prior:      fault.Fields{{Field: "first_name", Message: "give this field once"}},
			wantFields: []string{"first_name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.edit(&in)
			prior := slices.Clone(tt.prior)
			r, err := request.Validate(testSubjects, in, tt.prior)
			if !reflect.DeepEqual(prior, tt.prior) {
				t.Errorf("Validate changed its prior argument: %v", tt.prior)
			}
			if len(tt.wantFields) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want accepted", err)
				}
				if tt.check != nil {
					tt.check(t, r)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %+v, want errors for %v", in, tt.wantFields)
			}
			if !reflect.DeepEqual(r, request.Request{}) {
				t.Errorf("Validate returned a request with its error: %+v", r)
			}
			fs := fieldErrors(t, err)
			if got := fieldNames(fs); !reflect.DeepEqual(got, tt.wantFields) {
				t.Errorf("fields = %v, want %v (%+v)", got, tt.wantFields, fs)
			}
			for _, f := range fs {
				if f.Message == "" {
					t.Errorf("field %q has no message", f.Field)
				}
			}
			// Prior errors keep their own message.
			for _, p := range tt.prior {
				if !slices.Contains(fs, p) {
					t.Errorf("prior error %+v missing from %+v", p, fs)
				}
			}
		})
	}
}

func TestValidateMessagesCarryNoInput(t *testing.T) {
	in := validInput()
	in.Email = "secret-person@@example.com"
	in.Phone = "555-SECRET"
	_, err := request.Validate(testSubjects, in, nil)
	for _, f := range fieldErrors(t, err) {
		if strings.Contains(strings.ToLower(f.Message), "secret") {
			t.Errorf("message for %s repeats the input: %q", f.Field, f.Message)
		}
	}
}

func TestNeedsVerification(t *testing.T) {
	// 11 CCR §7060(a)/(b): know, access, correct and delete need identity
	// verification; opt-out and limit-sensitive do not.
	want := map[request.Type]bool{
		request.Know: true, request.Access: true, request.Correct: true, request.Delete: true,
		request.OptOut: false, request.LimitSensitive: false,
		// The GDPR's restriction, portability and objection are verified
		// like the rights they resemble (GDPR Art. 12(6)); an objection's
		// direct-marketing part takes effect before (objection.go).
		request.Restrict: true, request.Portability: true, request.Object: true,
	}
	if len(request.AllTypes) != len(want) {
		t.Fatalf("AllTypes has %d types, want %d", len(request.AllTypes), len(want))
	}
	for _, ty := range request.AllTypes {
		w, ok := want[ty]
		if !ok {
			t.Errorf("unexpected type %q", ty)
			continue
		}
		if got := ty.NeedsVerification(); got != w {
			t.Errorf("%s.NeedsVerification() = %v, want %v", ty, got, w)
		}
	}
	if string(request.OptOut) != "opt_out" || string(request.LimitSensitive) != "limit_sensitive" {
		t.Errorf("wire names changed: %q %q", request.OptOut, request.LimitSensitive)
	}
}

func TestVerificationRequired(t *testing.T) {
	tests := []struct {
		types []request.Type
		want  bool
	}{
		{nil, false},
		{[]request.Type{request.OptOut}, false},
		{[]request.Type{request.LimitSensitive}, false},
		{[]request.Type{request.OptOut, request.LimitSensitive}, false},
		{[]request.Type{request.Know}, true},
		{[]request.Type{request.OptOut, request.Delete}, true},
		{[]request.Type{request.LimitSensitive, request.Access}, true},
		{[]request.Type{request.Correct}, true},
	}
	for _, tt := range tests {
		if got := (request.Request{Types: tt.types}).VerificationRequired(); got != tt.want {
			t.Errorf("VerificationRequired(%v) = %v, want %v", tt.types, got, tt.want)
		}
		if got := request.ReceiptOf(request.Request{Types: tt.types}).VerificationRequired; got != tt.want {
			t.Errorf("ReceiptOf(%v).VerificationRequired = %v, want %v", tt.types, got, tt.want)
		}
	}
}

func TestNewTokenRoundTrip(t *testing.T) {
	raw, hash, err := request.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	// 32 bytes in unpadded base64: ceil(32*8/6) = 43 characters.
	if len(raw) != 43 {
		t.Errorf("raw token %q has %d characters, want 43", raw, len(raw))
	}
	for _, c := range raw {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			t.Errorf("raw token %q has %q, not in the base64url alphabet", raw, c)
		}
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) != 32 {
		t.Fatalf("raw token decodes to %d bytes, %v; want 32", len(b), err)
	}
	sum := sha256.Sum256(b)
	want := hex.EncodeToString(sum[:])
	if hash != want {
		t.Errorf("hash = %s, want SHA-256 of the decoded bytes %s", hash, want)
	}
	if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		t.Errorf("hash %q is not 64 lower-case hex characters", hash)
	}
	if got, ok := request.TokenHash(raw); !ok || got != hash {
		t.Errorf("TokenHash(raw) = %q, %v; want %q, true", got, ok, hash)
	}
	raw2, hash2, err := request.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if raw2 == raw || hash2 == hash {
		t.Error("two tokens are equal")
	}
}

func TestTokenHashKnownValue(t *testing.T) {
	// 32 zero bytes are 43 'A's in base64url (the last one carries 4 zero
	// bits of data and 2 of padding); SHA-256 of 32 zero bytes is the
	// well-known 66687aad...2925.
	got, ok := request.TokenHash(strings.Repeat("A", 43))
	want := "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
	if !ok || got != want {
		t.Errorf("TokenHash(A×43) = %q, %v; want %q", got, ok, want)
	}
}

func TestTokenHashRejects(t *testing.T) {
	b32 := make([]byte, 32)
	for i := range b32 {
		b32[i] = byte(i*7 + 1)
	}
	good := base64.RawURLEncoding.EncodeToString(b32)
	if _, ok := request.TokenHash(good); !ok {
		t.Fatalf("TokenHash(%q) refused a good token", good)
	}
	tests := map[string]string{
		"empty":                  "",
		"short":                  "abc",
		"31 bytes":               base64.RawURLEncoding.EncodeToString(b32[:31]),
		"33 bytes":               base64.RawURLEncoding.EncodeToString(append(slices.Clone(b32), 9)),
		"padded":                 base64.URLEncoding.EncodeToString(b32),
		"standard alphabet":      base64.StdEncoding.WithPadding(base64.NoPadding).EncodeToString([]byte(strings.Repeat("\xfb\xff", 16))),
		"the stored hash itself": hex.EncodeToString(b32),
		"dot":                    good[:42] + ".",
		"percent":                good[:41] + "%2",
		"space":                  good[:20] + " " + good[21:],
		"NUL":                    good[:42] + "\x00",
		"non-ASCII":              good[:41] + "é",
	}
	for name, raw := range tests {
		if h, ok := request.TokenHash(raw); ok {
			t.Errorf("%s: TokenHash(%q) = %q, true; want refused", name, raw, h)
		}
	}
}

// A token is 43 base64url characters and nothing else. base64's decoder skips
// CR and LF, so a token with line breaks inside decodes to the same 32 bytes;
// TokenHash must still call it malformed.
func TestTokenHashRejectsLineBreaks(t *testing.T) {
	raw, _, err := request.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{raw[:20] + "\r\n" + raw[20:], raw + "\n", "\n" + raw} {
		if h, ok := request.TokenHash(bad); ok {
			t.Errorf("TokenHash(%q) = %q, true; want refused", bad, h)
		}
	}
}

func FuzzValidate(f *testing.F) {
	f.Add("know,delete", "Ada", "Lovelace", "ada@example.com", "(415) 555-0100", "Smile Dental", "us", "ca", "details\nmore", "", false, "", "", true)
	f.Add("correct", "Ada\r\nBcc: x@y", "L", "ada@example.com\r\nBcc: eve@example.com", "+49 30 901820", "", "DE", "", "", "fix it", true, "Bob", "bob@agency.com", true)
	f.Add("know", "Ada\x00", "\x00", "a\x00@b.com", "\x00", "\x00", "\x00", "\x00", "\x00", "\x00", true, "\x00", "\x00", true)
	f.Add("opt_out", strings.Repeat("𝔄", 101), strings.Repeat("\u202e", 50), strings.Repeat("é", 250)+"@x.de", strings.Repeat("9", 40), strings.Repeat("字", 200), "DEU", "California", strings.Repeat("ü", 5001), "", false, "", "", true)
	f.Add("limit_sensitive", "Zoë", "\u0085", "ZOË@EXAMPLE.COM", "", "", "aq", "", "\t", "", false, " ", " ", true)
	f.Add(`{"types":[["know"]]}`, `{"a":{"b":{"c":[]}}}`, "x", "x@y.z", "", "", "", "", "", "", false, "", "", false)
	f.Fuzz(func(t *testing.T, types, first, last, email, phone, practice, country, state, details, correction string, onBehalf bool, agentName, agentEmail string, declaration bool) {
		in := request.Input{
			Types: strings.Split(types, ","), FirstName: first, LastName: last, Email: email, Phone: phone,
			PracticeName: practice, Country: country, State: state, Details: details, Correction: correction,
			OnBehalf: onBehalf, AgentName: agentName, AgentEmail: agentEmail, Declaration: declaration,
		}
		r, err := request.Validate(testSubjects, in, nil)
		if err != nil {
			fs := fieldErrors(t, err)
			if len(fs) == 0 {
				t.Fatal("Invalid error without fields")
			}
			return
		}
		single := map[string]string{
			"first_name": r.FirstName, "last_name": r.LastName, "email": r.Email, "phone": r.Phone,
			"practice_name": r.PracticeName, "country": r.Country, "state": r.State,
			"agent_name": r.AgentName, "agent_email": r.AgentEmail,
		}
		for name, v := range single {
			if i := strings.IndexFunc(v, unicode.IsControl); i >= 0 {
				t.Errorf("accepted %s %q has a control character at %d", name, v, i)
			}
			if v != strings.TrimSpace(v) {
				t.Errorf("accepted %s %q is not trimmed", name, v)
			}
		}
		for name, v := range map[string]string{"details": r.Details, "correction": r.Correction} {
			if strings.IndexFunc(v, func(c rune) bool { return unicode.IsControl(c) && c != '\n' && c != '\r' && c != '\t' }) >= 0 {
				t.Errorf("accepted %s %q has a control character", name, v)
			}
		}
		if r.FirstName == "" || r.LastName == "" || r.Email == "" || !declaration || len(r.Types) == 0 {
			t.Errorf("accepted without a required field: %+v", r)
		}
		if r.Email != strings.ToLower(r.Email) || strings.Count(r.Email, "@") < 1 {
			t.Errorf("accepted email %q is not normalised", r.Email)
		}
		if r.Phone != "" && (r.Phone[0] != '+' || strings.Trim(r.Phone[1:], "0123456789") != "") {
			t.Errorf("accepted phone %q is not E.164", r.Phone)
		}
		if r.Country != "" && (len(r.Country) != 2 || r.Country != strings.ToUpper(r.Country)) {
			t.Errorf("accepted country %q", r.Country)
		}
		if r.State != "" && r.Country != "" && r.Country != "US" {
			t.Errorf("accepted state %q for country %q", r.State, r.Country)
		}
		if slices.Contains(r.Types, request.Correct) && r.Correction == "" {
			t.Error("accepted a correction request without a correction")
		}
		if r.OnBehalf && (r.AgentName == "" || r.AgentEmail == "") {
			t.Error("accepted an agent request without the agent")
		}
		if !r.OnBehalf && (r.AgentName != "" || r.AgentEmail != "") {
			t.Error("kept agent details without on_behalf")
		}
		seen := map[request.Type]bool{}
		for _, ty := range r.Types {
			if seen[ty] || !slices.Contains(request.AllTypes, ty) {
				t.Errorf("accepted types %v", r.Types)
			}
			seen[ty] = true
		}
		// Validation of the normalised result accepts it unchanged.
		again := request.Input{
			Types: typeStrings(r.Types), FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Phone: r.Phone,
			PracticeName: r.PracticeName, Country: r.Country, State: r.State, Details: r.Details, Correction: r.Correction,
			OnBehalf: r.OnBehalf, AgentName: r.AgentName, AgentEmail: r.AgentEmail, Declaration: true,
		}
		r2, err := request.Validate(testSubjects, again, nil)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Errorf("re-validating the normalised request: %v\n%+v\n%+v", err, r, r2)
		}
	})
}

func typeStrings(ts []request.Type) []string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return s
}

// Text that displays differently from what is stored, or that breaks a line
// in a mail or a log viewer, is refused in single-line fields.
func TestValidateRefusesInvisibleLineBreaksAndBidiControls(t *testing.T) {
	for _, s := range []string{"Ada\u2028Bcc", "Ada\u2029x", "Ada\u202eecila", "Ada\u2066x\u2069"} {
		in := validInput()
		in.LastName = s
		_, err := request.Validate(testSubjects, in, nil)
		if got := fieldNames(fieldErrors(t, err)); !slices.Equal(got, []string{"last_name"}) {
			t.Errorf("last_name %q: fields %v, want [last_name]", s, got)
		}
	}
	in := validInput()
	in.Details = "first line\u2028second line"
	if _, err := request.Validate(testSubjects, in, nil); err != nil {
		t.Errorf("details with a line separator refused: %v", err)
	}
}
