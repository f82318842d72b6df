package request

import (
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/subject"
)

// Input is a request as a form or JSON body gives it, before validation.
type Input struct {
	Types        []string
	FirstName    string
	LastName     string
	Email        string
	Phone        string
	PracticeName string
	Country      string
	State        string
	Details      string
	Correction   string
	OnBehalf     bool
	AgentName    string
	AgentEmail   string
	Declaration  bool
	Corrections  []CorrectionInput
	// PostalAddress is where a request staff entered is answered when the
	// person gave no email address.
	PostalAddress string
	// Offline is set for a request staff enter (Channel.Offline): the
	// email address is not required there, but some way to answer is.
	Offline bool
	// Protocol is set for a request an authorized agent sends by the Data
	// Rights Protocol: the agent is known from the register, so no agent
	// address is asked for (it is told by status callback, not mail).
	Protocol bool
}

// Field length limits.
const (
	maxName     = 100
	maxPractice = 200
	maxFreeText = 5000
)

// Validate checks an input and returns the normalised request fields and the
// subject key, which ids derives (ID, status and clock are set by
// Service.Submit). Every wrong field is reported, not just the first; prior
// holds errors the body decoder already found, so they are reported together.
func Validate(ids *subject.Identifier, in Input, prior fault.Fields) (Request, error) {
	errs := append(fault.Fields(nil), prior...)
	r := Request{}

	types, seen := requestTypes(&errs, in.Types)
	r.Types = types

	r.FirstName = line(&errs, "first_name", in.FirstName, maxName, true)
	r.LastName = line(&errs, "last_name", in.LastName, maxName, true)
	r.PracticeName = line(&errs, "practice_name", in.PracticeName, maxPractice, false)
	r.Details = text(&errs, "details", in.Details, maxFreeText)
	r.Correction = text(&errs, "correction", in.Correction, maxFreeText)
	r.Corrections = corrections(&errs, in.Corrections)

	email := line(&errs, "email", in.Email, subject.MaxEmailLength, !in.Offline)
	residence(&errs, &r, in.Country, in.State)
	if err := identify(ids, &errs, &r, email, in.Phone); err != nil {
		return Request{}, err
	}
	if in.Offline {
		offline(&errs, &r, in)
	} else if strings.TrimSpace(in.PostalAddress) != "" {
		errs.Add("postal_address", "only staff enter a postal address, for a request received by phone or letter")
	}

	// A correction must say what is wrong and what is right.
	checkCorrections(&errs, &r, seen[Correct])

	agent(&errs, &r, in)

	if !in.Declaration && !errs.Has("declaration") {
		errs.Add("declaration", "confirm that the information is true and that you are the person, or their authorized agent")
	}
	if err := errs.Err(); err != nil {
		return Request{}, err
	}
	return r, nil
}

// requestTypes checks the request types asked for and returns them without
// repeats, in the order given, and the set of them.
func requestTypes(errs *fault.Fields, in []string) ([]Type, map[Type]bool) {
	var types []Type
	seen := map[Type]bool{}
	if len(in) == 0 && !errs.Has("types") {
		errs.Add("types", "choose at least one request type")
	}
	for _, s := range in {
		t := Type(strings.TrimSpace(s))
		if !known(t) {
			errs.Add("types", "unknown request type; use one of know, access, correct, delete, opt_out, limit_sensitive, restrict, portability, object")
			break
		}
		if !seen[t] {
			seen[t] = true
			types = append(types, t)
		}
	}
	if len(in) > 2*len(AllTypes) && !errs.Has("types") {
		errs.Add("types", "too many request types")
	}
	return types, seen
}

// residence checks the country and, in the United States, the state.
func residence(errs *fault.Fields, r *Request, country, state string) {
	if country := line(errs, "country", country, 2, false); country != "" {
		c, err := subject.NormaliseCountry(country)
		if err != nil {
			errs.Add("country", err.Error())
		}
		r.Country = c
	}
	state = strings.ToUpper(line(errs, "state", state, 2, false))
	switch {
	case state == "":
	case r.Country != "" && r.Country != "US":
		errs.Add("state", "a state is only asked for in the United States")
	case !usStates[state]:
		errs.Add("state", "use a two-letter US state code, e.g. CA")
	default:
		r.State = state
	}
}

// identify normalises the email and phone and derives the subject key from
// the email. The email is required (line, in Validate, says so when it is
// missing); the phone is optional.
func identify(ids *subject.Identifier, errs *fault.Fields, r *Request, email, phone string) error {
	phone = line(errs, "phone", phone, 32, false)
	found, err := ids.Identify(subject.Given{Email: email, Phone: phone, Country: r.Country},
		subject.Form{Kinds: []subject.Kind{subject.Email, subject.Phone}}, errs)
	if err != nil {
		return err
	}
	if id, ok := subject.Find(found, subject.Email); ok {
		r.Email, r.SubjectKey = id.Value, id.Key
	}
	if id, ok := subject.Find(found, subject.Phone); ok {
		r.Phone = id.Value
		if r.SubjectKey == "" {
			// A request staff entered without an email address is
			// filed under the phone's key.
			r.SubjectKey = id.Key
		}
	}
	return nil
}

// agent checks who acts for the consumer. An authorized agent acts with the
// consumer's signed permission (11 CCR §7063); we need to know who the agent
// is.
func agent(errs *fault.Fields, r *Request, in Input) {
	r.OnBehalf = in.OnBehalf
	if in.OnBehalf {
		r.AgentName = line(errs, "agent_name", in.AgentName, maxName, true)
		if email := line(errs, "agent_email", in.AgentEmail, subject.MaxEmailLength, !in.Protocol); email != "" {
			n, err := subject.NormaliseEmail(email)
			if err != nil {
				errs.Add("agent_email", err.Error())
			}
			r.AgentEmail = n
		}
	} else if strings.TrimSpace(in.AgentName) != "" || strings.TrimSpace(in.AgentEmail) != "" {
		errs.Add("on_behalf", "agent details are given, so confirm you act on someone's behalf")
	}
}

func known(t Type) bool {
	for _, k := range AllTypes {
		if t == k {
			return true
		}
	}
	return false
}

// line checks a single-line field: trimmed, no control characters, at most max
// characters, present when required.
func line(errs *fault.Fields, field, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		if required {
			errs.Add(field, "this field is required")
		}
		return ""
	case !utf8.ValidString(s):
		errs.Add(field, "must be valid UTF-8 text")
	case strings.IndexFunc(s, breaksLine) >= 0:
		errs.Add(field, "must be a single line without control characters")
	case utf8.RuneCountInString(s) > max:
		errs.Add(field, "is too long")
	default:
		return s
	}
	return ""
}

// breaksLine reports characters a single-line field refuses: control
// characters, the Unicode line and paragraph separators, and the bidi
// controls that can make displayed text differ from stored text.
func breaksLine(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// text checks a multi-line field: line breaks and tabs are allowed, other
// control characters are not.
func text(errs *fault.Fields, field, s string, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return ""
	case !utf8.ValidString(s):
		errs.Add(field, "must be valid UTF-8 text")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		errs.Add(field, "must not contain control characters")
	case utf8.RuneCountInString(s) > max:
		errs.Add(field, "is too long")
	default:
		return s
	}
	return ""
}

var usStates = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Fields(`AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO
		MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI UM`) {
		m[s] = true
	}
	return m
}()

// USStates returns the state codes a request accepts, sorted: the web
// form's state list is generated from it (cmd/webframe).
func USStates() []string { return slices.Sorted(maps.Keys(usStates)) }
