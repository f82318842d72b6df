package request

import (
	"fmt"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
)

// Denials and appeals. A denial names its basis from a fixed list, in the
// company's words (DenialBases), and tells the person how to appeal and,
// under the GDPR, of their right to complain to a supervisory authority and
// to a judicial remedy (GDPR Art. 12(4)). Staff record an appeal the person
// makes (by mail, letter or phone) with the appeal action: the request is
// reopened as Appealed, on its own clock (deadline.AppealDue, counted from
// when the appeal arrived), and listed in the staff queue by that date. The
// decision, uphold or overturn, is mailed with its reasons.
//
// The CCPA and its regulations do not require an appeal; the company offers
// one to every requester, modelled on the state laws that do (Va. Code
// §59.1-577(C); Colo. Rev. Stat. §6-1-1306(3)). A request is appealed once:
// those laws give one appeal of a refusal, after which the person turns to
// the regulator, which the mails name.

// Appealed is a denied request whose denial the person appealed, waiting
// for the decision; it is open, and its DueAt is the appeal's.
const Appealed Status = "appealed"

// Actions of the appeal.
const (
	// Appeal records that the person appealed a denial.
	Appeal Action = "appeal"
	// Uphold decides the appeal against the person: denied again.
	Uphold Action = "uphold"
	// Overturn decides the appeal for the person: the request is worked
	// (in progress), due by the appeal's date.
	Overturn Action = "overturn"
)

// AppealDecision is how an appeal was decided.
type AppealDecision string

// Decisions.
const (
	Upheld     AppealDecision = "upheld"
	Overturned AppealDecision = "overturned"
)

// AppealState is what a request records of its denial's basis and its
// appeal.
type AppealState struct {
	// DenialCode is the basis of the last denial (DenialBases).
	DenialCode DenialCode
	// AppealReceivedAt is when the appeal reached the company; AppealDueAt
	// when its decision is due.
	AppealReceivedAt time.Time
	AppealDueAt      time.Time
	// AppealDecision, AppealDecidedAt and AppealReason are the decision,
	// when it was made, and the reasons the person was given.
	AppealDecision  AppealDecision
	AppealDecidedAt time.Time
	AppealReason    string
}

// DenialCode names the basis of a denial.
type DenialCode string

// DenialBasis is one basis staff may give, with the words the person reads.
type DenialBasis struct {
	Code  DenialCode
	Words string
}

// DenialOther is the basis staff explain in their own words (the reason).
const DenialOther DenialCode = "other"

// DenialBases are the bases a denial may give, in the company's words; the
// reason staff add follows them in the mail. With DenialOther the reason is
// the whole explanation.
var DenialBases = []DenialBasis{
	{"unverified", "We could not verify your identity to the degree the law requires for this request (11 CCR §§7060-7062), so we cannot act on it."},
	{"agent_unauthorized", "The request came from someone acting for you who did not give us your signed permission, and we could not confirm it with you (11 CCR §7063)."},
	{"legal_obligation", "We must keep this information to comply with a legal obligation (Cal. Civ. Code §1798.105(d); GDPR Art. 17(3)(b))."},
	{"legal_claims", "We need this information to establish, exercise or defend legal claims (Cal. Civ. Code §1798.145(a); GDPR Art. 17(3)(e))."},
	{"others_rights", "Answering in full would disclose personal information about other people or adversely affect their rights (Cal. Civ. Code §1798.145; GDPR Art. 15(4))."},
	{"unfounded_or_excessive", "The request is manifestly unfounded or excessive (Cal. Civ. Code §1798.145; GDPR Art. 12(5))."},
	{"correction_accurate", "Having considered what you and we hold, we find the information more likely than not to be accurate (11 CCR §7023)."},
	{DenialOther, ""},
}

func denialBasis(code DenialCode) (DenialBasis, bool) {
	for _, b := range DenialBases {
		if b.Code == code {
			return b, true
		}
	}
	return DenialBasis{}, false
}

func denialCodes() string {
	codes := make([]string, len(DenialBases))
	for i, b := range DenialBases {
		codes[i] = string(b.Code)
	}
	return strings.Join(codes, ", ")
}

// appealPast is how error messages name the appeal actions.
var appealPast = map[Action]string{Appeal: "appealed", Uphold: "upheld on appeal", Overturn: "overturned on appeal"}

func init() {
	// Which status each appeal action starts from and leads to, beside the
	// other actions' (workflow.go).
	from[Appeal], to[Appeal] = []Status{Denied}, Appealed
	from[Uphold], to[Uphold] = []Status{Appealed}, Denied
	from[Overturn], to[Overturn] = []Status{Appealed}, InProgress
	reasonHints[Uphold] = "give the reasons for the decision; the requester is told them (Va. Code §59.1-577(C))"
	reasonHints[Overturn] = reasonHints[Uphold]
}

// reasonRequired says whether the action needs a reason: an extension's and
// an appeal decision's always, a denial's when its basis is DenialOther
// (also the basis when none is named).
func reasonRequired(in ActionInput) bool {
	switch in.Action {
	case Extend, Uphold, Overturn:
		return true
	case Deny:
		return in.Basis == "" || DenialCode(in.Basis) == DenialOther
	}
	return false
}

// deny fills in a denial: its basis and the explanation the person reads
// (the basis's words, then staff's reason), which is also the basis the
// §7101 log keeps. The mail says how to appeal, unless the request was
// appealed already, and names the regulator (mailData's regime).
func deny(z deadline.Zone, r Request, next *Request, in ActionInput, reason string, now time.Time) (map[string]string, error) {
	code := DenialCode(strings.TrimSpace(in.Basis))
	if code == "" {
		code = DenialOther
	}
	b, ok := denialBasis(code)
	if !ok {
		var f fault.Fields
		f.Add("basis", "use one of "+denialCodes())
		return nil, f.Err()
	}
	explanation := strings.TrimSpace(b.Words + " " + reason)
	next.ClosedAt, next.DenialBasis, next.DenialCode = now, explanation, code
	data := mailData(z, *next, "")
	data["reason"] = explanation
	regulators(data, r)
	if r.AppealReceivedAt.IsZero() {
		data["appeal_days"] = fmt.Sprint(deadline.AppealDays)
	}
	return data, nil
}

// appealStep applies an appeal action to next (already in its new status)
// and its event; it returns the mail's template and data.
func appealStep(z deadline.Zone, r Request, next *Request, ev *Event, in ActionInput, reason string, now time.Time) (mail.Template, map[string]string, error) {
	switch in.Action {
	case Appeal:
		if !r.AppealReceivedAt.IsZero() {
			return "", nil, fault.New(fault.Conflict, "This request was appealed once already; the decision on that appeal stands.")
		}
		at, err := appealedAt(r, in.AppealedAt, now)
		if err != nil {
			return "", nil, err
		}
		next.AppealReceivedAt, next.AppealDueAt = at, z.AppealDue(at)
		next.DueAt, next.ClosedAt = next.AppealDueAt, time.Time{}
		ev.Note = fmt.Sprintf("appeal received %s; decision due %s", z.ISODay(at), z.ISODay(next.AppealDueAt))
		if reason != "" {
			ev.Note += "; " + reason
		}
		data := mailData(z, *next, "")
		data["appeal_days"] = fmt.Sprint(deadline.AppealDays)
		return mail.AppealReceived, data, nil
	case Uphold:
		next.AppealDecision, next.ClosedAt = Upheld, now
	case Overturn:
		next.AppealDecision = Overturned
	}
	next.AppealDecidedAt, next.AppealReason = now, reason
	ev.Note = "appeal " + string(next.AppealDecision) + ": " + reason
	data := mailData(z, *next, "")
	data["decision"], data["reason"] = string(next.AppealDecision), reason
	regulators(data, r)
	return mail.AppealDecided, data, nil
}

// regulators says which authorities a refusal names: under any clock but
// the CCPA's (the GDPR's, and any regime modelled on it) the supervisory
// authority and the courts (GDPR Art. 12(4), Arts. 77 and 79); under the
// CCPA's the California Privacy Protection Agency and Attorney General.
func regulators(data map[string]string, r Request) {
	if r.Regime != deadline.CCPA && r.Regime != "" {
		data["supervisory"] = "yes"
	}
}

// appealedAt is when the appeal arrived: as staff give it (a letter opened
// days later still runs from its arrival), else now; never in the future
// nor before the denial.
func appealedAt(r Request, given, now time.Time) (time.Time, error) {
	if given.IsZero() {
		return now, nil
	}
	given = given.UTC().Truncate(time.Millisecond)
	var f fault.Fields
	switch {
	case given.After(now):
		f.Add("appealed_at", "cannot be in the future")
	case !r.ClosedAt.IsZero() && given.Before(r.ClosedAt):
		f.Add("appealed_at", "cannot be before the denial ("+r.ClosedAt.UTC().Format(time.RFC3339)+")")
	}
	return given, f.Err()
}
