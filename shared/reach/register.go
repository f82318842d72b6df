// Package reach carries a right exercised here to the company's other
// systems: the register of systems (the data map) says which of them hold
// personal data, which rights each must act on and how it is told; a right
// that needs action elsewhere becomes one job per system, written with the
// record that invoked it, delivered (a signed webhook, a mail to the
// vendor's privacy contact, or a task for staff), retried, and answered (a
// signed callback or staff). The jobs are the proof that each system was
// told and when it answered: a business must notify its service providers
// and contractors to delete (11 CCR §7022(b)(3), (c)), to correct (§7023(c))
// and to stop selling or sharing (§7026(f)), and tell every recipient of
// the data of an erasure or rectification (GDPR Art. 19).
package reach

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/claritru/privacy/shared/deadline"
)

// Role is what a system is to the company under the CCPA.
type Role string

// Roles.
const (
	ServiceProvider Role = "service_provider" // Civ. Code §1798.140(ag)
	Contractor      Role = "contractor"       // §1798.140(j)
	ThirdParty      Role = "third_party"      // §1798.140(ai)
	AdPlatform      Role = "ad_platform"      // a third party the company shares audiences with
)

// Action is what a system must do: the request types that invoke it.
type Action string

// Actions.
const (
	Delete  Action = "delete"
	Correct Action = "correct"
	Access  Action = "access"
	OptOut  Action = "opt_out"
	Limit   Action = "limit_sensitive"
	// Restrict: keep the data but stop processing it beyond storage until
	// the company lifts the restriction (GDPR Art. 18(2)); recipients are
	// told of a restriction as of an erasure (Art. 19).
	Restrict Action = "restrict"
	// Object: stop processing the data for direct marketing, including
	// profiling for it (GDPR Art. 21(2)-(3)), and hold back the processing
	// objected to while staff weigh it (Art. 21(1)).
	Object Action = "object"
)

// Actions lists every action.
var Actions = []Action{Delete, Correct, Access, OptOut, Limit, Restrict, Object}

// Channel is how a system is told.
type Channel string

// Channels.
const (
	// Webhook: a POST signed per the Standard Webhooks specification
	// with the system's secret (kept in AWS Secrets Manager); the system
	// answers with a signed callback.
	Webhook Channel = "webhook"
	// VendorMail: a mail to the vendor's privacy contact; staff record the
	// answer.
	VendorMail Channel = "mail"
	// StaffTask: the company's own staff act in the system and record it.
	StaffTask Channel = "task"
	// Feed: an ad platform takes the suppression list as a versioned feed
	// rather than one job per opt-out.
	Feed Channel = "feed"
)

// DefaultAnswerDays is how many business days a system has to answer when
// the register does not say.
const DefaultAnswerDays = 10

// System is one entry of the register.
type System struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Role       Role     `json:"role"`
	Categories []string `json:"categories"`
	ActsOn     []Action `json:"acts_on"`
	Reach      Channel  `json:"reach"`
	// URL is the webhook's address (Webhook).
	URL string `json:"url,omitempty"`
	// Secret names the Secrets Manager secret holding the webhook's
	// signing key, "whsec_" and base64 (Webhook).
	Secret string `json:"secret,omitempty"`
	// Contact is the vendor's privacy contact (VendorMail).
	Contact string `json:"contact,omitempty"`
	// AnswerWithinDays is how many business days the system has to answer
	// a job; a request's own due date comes first when it is earlier.
	AnswerWithinDays int `json:"answer_within_days,omitempty"`
	// window, when set, replaces the business days (WithAnswerWindow).
	window time.Duration
}

// Must tells whether the system must act on a.
func (s System) Must(a Action) bool { return slices.Contains(s.ActsOn, a) }

// Register is the company's systems.
type Register struct {
	systems []System
}

//go:embed systems.json
var systemsJSON []byte

// defaultRegister is read on first use, not at start: a cold start whose
// first call reaches no system does not pay for it (a test reads the file,
// so a broken one fails there, not in a function).
var defaultRegister = sync.OnceValue(func() *Register { return mustRegister(ParseRegister(systemsJSON)) })

func mustRegister(r *Register, err error) *Register {
	if err != nil {
		panic("reach: systems.json: " + err.Error())
	}
	return r
}

// Systems returns the register kept in the repository (systems.json), built
// into every function that reads it and into the stack, so what is deployed
// is what the repository says.
func Systems() *Register { return defaultRegister() }

// ParseRegister reads a register: a JSON array of systems, no other fields.
func ParseRegister(b []byte) (*Register, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var ss []System
	if err := dec.Decode(&ss); err != nil {
		return nil, err
	}
	return NewRegister(ss...)
}

var (
	systemID   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`) })
	secretName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`) })
)

// NewRegister returns a register of ss, checking each.
func NewRegister(ss ...System) (*Register, error) {
	r := &Register{}
	for i, s := range ss {
		if err := check(s); err != nil {
			return nil, fmt.Errorf("system %d (%q): %w", i, s.ID, err)
		}
		if _, dup := r.System(s.ID); dup {
			return nil, fmt.Errorf("system %d: id %q is listed twice", i, s.ID)
		}
		if s.AnswerWithinDays == 0 {
			s.AnswerWithinDays = DefaultAnswerDays
		}
		s.Categories, s.ActsOn = slices.Clone(s.Categories), slices.Clone(s.ActsOn)
		r.systems = append(r.systems, s)
	}
	return r, nil
}

func check(s System) error {
	if !systemID().MatchString(s.ID) {
		return fmt.Errorf("id must be lower-case letters, digits and dashes")
	}
	if strings.TrimSpace(s.Name) == "" || len(s.Name) > 200 {
		return fmt.Errorf("a name is required")
	}
	if !slices.Contains([]Role{ServiceProvider, Contractor, ThirdParty, AdPlatform}, s.Role) {
		return fmt.Errorf("unknown role %q", s.Role)
	}
	if len(s.ActsOn) == 0 {
		return fmt.Errorf("acts_on lists no action")
	}
	for i, a := range s.ActsOn {
		if !slices.Contains(Actions, a) || slices.Contains(s.ActsOn[:i], a) {
			return fmt.Errorf("action %q is unknown or repeated", a)
		}
	}
	if s.AnswerWithinDays < 0 || s.AnswerWithinDays > 45 {
		return fmt.Errorf("answer_within_days must be 1 to 45 business days")
	}
	return checkReach(s)
}

func checkReach(s System) error {
	switch s.Reach {
	case Webhook:
		u, err := url.Parse(s.URL)
		if err != nil || u.Host == "" || u.User != nil || !(u.Scheme == "https" || u.Scheme == "http" && loopback(u.Hostname())) {
			return fmt.Errorf("a webhook needs an https url without credentials (plain http only to this machine)")
		}
		if !secretName().MatchString(s.Secret) {
			return fmt.Errorf("a webhook needs the name of its Secrets Manager secret")
		}
	case VendorMail:
		if a, err := mail.ParseAddress(s.Contact); err != nil || a.Address != s.Contact {
			return fmt.Errorf("a vendor mail needs the vendor's privacy contact address")
		}
	case StaffTask:
	case Feed:
		if s.Role != AdPlatform || !slices.Equal(s.ActsOn, []Action{OptOut}) {
			return fmt.Errorf("only an ad platform acting on opt_out alone takes the feed")
		}
	default:
		return fmt.Errorf("unknown reach %q", s.Reach)
	}
	if s.Reach != Webhook && (s.URL != "" || s.Secret != "") || s.Reach != VendorMail && s.Contact != "" {
		return fmt.Errorf("url, secret and contact belong to their reach only")
	}
	return nil
}

// loopback tells whether host is this machine: a webhook carries the
// identifiers of the person, so plain http is allowed only where nothing
// crosses a network (the local cloud's sample receiver).
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// All returns every system, in the register's order.
func (r *Register) All() []System {
	out := make([]System, len(r.systems))
	for i, s := range r.systems {
		s.Categories, s.ActsOn = slices.Clone(s.Categories), slices.Clone(s.ActsOn)
		out[i] = s
	}
	return out
}

// System returns the system with id.
func (r *Register) System(id string) (System, bool) {
	for _, s := range r.systems {
		if s.ID == id {
			return s, true
		}
	}
	return System{}, false
}

// Acting returns the systems that must act on a and are told by a job (not
// the feed), in the register's order.
func (r *Register) Acting(a Action) []System {
	var out []System
	for _, s := range r.systems {
		if s.Must(a) && s.Reach != Feed {
			out = append(out, s)
		}
	}
	return out
}

// AdPlatforms returns the systems that take the suppression feed.
func (r *Register) AdPlatforms() []System {
	var out []System
	for _, s := range r.systems {
		if s.Reach == Feed {
			out = append(out, s)
		}
	}
	return out
}

// WithAnswerWindow returns a copy of the register in which every system has
// d to answer instead of its business days: the local cloud gives its
// systems minutes, so a developer sees a job fall overdue.
func (r *Register) WithAnswerWindow(d time.Duration) *Register {
	c := &Register{systems: r.All()}
	for i := range c.systems {
		c.systems[i].window = d
	}
	return c
}

// answerBy is when a job the system is given at at must be answered.
func (s System) answerBy(at time.Time) time.Time {
	if s.window > 0 {
		return at.Add(s.window)
	}
	return deadline.AddBusinessDays(at, s.AnswerWithinDays)
}

// WithURL returns a copy of the register in which the webhook of system id
// is at u (the local cloud points systems at its sample receiver).
func (r *Register) WithURL(id, u string) (*Register, error) {
	ss := r.All()
	for i := range ss {
		if ss[i].ID == id {
			ss[i].URL = u
		}
	}
	c, err := NewRegister(ss...)
	if err != nil {
		return nil, err
	}
	for i := range c.systems {
		c.systems[i].window = r.systems[i].window
	}
	return c, nil
}
