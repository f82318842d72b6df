// Package choices gives one answer to "may we?": whether a purpose may be
// pursued for a person now, from everything the person has said here: the
// consents given and withdrawn (shared/consent), the opt-out of sale and
// sharing and the limit on sensitive personal information (shared/optout),
// and the Global Privacy Control signal the asking request carries. The
// staff check and the public browser check both answer from Decide, so a
// marketing system and the cookie banner can never disagree.
package choices

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/optout"
)

// Purpose is what a caller asks about: a consent purpose, or a processing
// purpose that follows the CCPA's opt-out model.
type Purpose string

// The check-only purposes. Nothing is consented to for them: they are
// allowed until the person says no (Cal. Civ. Code §1798.120, §1798.121).
const (
	// AdAudiences is sharing the person's identifiers with advertising
	// platforms (customer-list audiences, conversion uploads): sharing for
	// cross-context behavioural advertising, which an opt-out of sale and
	// sharing stops (11 CCR §7026) and the Global Privacy Control signal
	// requests (11 CCR §7025(b)).
	AdAudiences Purpose = "ad_audiences"
	// SensitiveData is using or disclosing sensitive personal information
	// for anything beyond the uses 11 CCR §7027(m) permits, which a request
	// to limit stops (11 CCR §7027).
	SensitiveData Purpose = "sensitive_data"
)

// Purposes lists every purpose a check may name: the consent purposes, then
// the check-only ones.
var Purposes = append(consentPurposes(), AdAudiences, SensitiveData)

// BrowserPurposes are the purposes a browser's own check answers: the
// cookie purposes, recorded against the browser id, and the sharing of its
// identifiers with ad platforms.
var BrowserPurposes = []Purpose{
	Purpose(consent.CookiesFunctional), Purpose(consent.CookiesAnalytics), Purpose(consent.CookiesAdvertising), AdAudiences,
}

func consentPurposes() []Purpose {
	out := make([]Purpose, len(consent.Purposes))
	for i, p := range consent.Purposes {
		out[i] = Purpose(p)
	}
	return out
}

// Known reports whether p is a purpose a check may name.
func Known(p Purpose) bool { return slices.Contains(Purposes, p) }

// Reason is why a purpose is allowed or not.
type Reason string

// Reasons.
const (
	// Consented: a consent purpose with a grant in effect.
	Consented Reason = "consent_granted"
	// NoConsent: a consent purpose without a grant in effect (never
	// given, pending confirmation, refused or withdrawn).
	NoConsent Reason = "consent_not_granted"
	// OptedOut: the person opted out of sale and sharing (11 CCR §7026).
	OptedOut Reason = "opted_out"
	// GPC: the asking request carries the Global Privacy Control signal,
	// itself a request to opt out (11 CCR §7025(b)).
	GPC Reason = "gpc"
	// Limited: the person asked to limit the use of sensitive personal
	// information (11 CCR §7027).
	Limited Reason = "limited"
	// NotOptedOut: an opt-out purpose the person has not said no to.
	NotOptedOut Reason = "not_opted_out"
)

// Statuses of the check-only purposes; a consent purpose has its consent
// status.
const (
	StatusOptedOut = "opted_out"
	StatusLimited  = "limited"
	StatusNone     = "none"
)

// Facts are what is known of one subject when asking. Opt-outs are spread
// to every identifier linked to the one given when they are recorded, so a
// subject's own states are enough.
type Facts struct {
	Consents []consent.State
	// SaleSharing and Limit are the opt-outs in effect, nil when none.
	SaleSharing *optout.State
	Limit       *optout.State
	// GPC is true when the asking request carries Sec-GPC: 1.
	GPC bool
}

// Answer is whether one purpose may be pursued now, and why.
type Answer struct {
	Purpose Purpose
	Allowed bool
	Status  string
	Reason  Reason
	// Since is when the deciding fact took effect (the grant, the
	// withdrawal, the opt-out or the limit); zero when nothing recorded
	// decides (no consent ever, or the signal of this request).
	Since time.Time
	// ReceiptID is the consent receipt of a consent purpose's state.
	ReceiptID string
}

// Decide answers for one known purpose. For a sale/sharing purpose an
// opt-out on record outranks the signal (it has a time to show), and both
// outrank the consent: an opt-out overrides an earlier advertising grant
// (11 CCR §7026(f): stop selling and sharing) and the signal overrides it
// for as long as the browser sends it (11 CCR §7025(c)(1)).
func Decide(f Facts, p Purpose) Answer {
	switch p {
	case AdAudiences:
		if a, ok := saleSharing(f, p, StatusNone); ok {
			return a
		}
		return Answer{Purpose: p, Allowed: true, Status: StatusNone, Reason: NotOptedOut}
	case SensitiveData:
		// Only the limit stops it: GPC and the opt-out of sale and
		// sharing are requests about selling and sharing, not about use
		// (11 CCR §7025(b), §7027(a)).
		if f.Limit != nil {
			return Answer{Purpose: p, Status: StatusLimited, Reason: Limited, Since: f.Limit.Since}
		}
		return Answer{Purpose: p, Allowed: true, Status: StatusNone, Reason: NotOptedOut}
	}
	st := consent.State{Purpose: consent.Purpose(p), Status: consent.None}
	for _, s := range f.Consents {
		if s.Purpose == consent.Purpose(p) {
			st = s
		}
	}
	if consent.Purpose(p) == consent.CookiesAdvertising {
		if a, ok := saleSharing(f, p, string(st.Status)); ok {
			a.ReceiptID = st.ReceiptID
			return a
		}
	}
	a := Answer{Purpose: p, Status: string(st.Status), Reason: NoConsent, ReceiptID: st.ReceiptID}
	if st.Status != consent.None {
		a.Since = st.Since
	}
	if st.Status == consent.Granted {
		a.Allowed, a.Reason = true, Consented
	}
	return a
}

// saleSharing refuses a sale/sharing purpose when the person opted out or
// the request carries the signal.
func saleSharing(f Facts, p Purpose, status string) (Answer, bool) {
	switch {
	case f.SaleSharing != nil:
		if status == StatusNone {
			status = StatusOptedOut
		}
		return Answer{Purpose: p, Status: status, Reason: OptedOut, Since: f.SaleSharing.Since}, true
	case f.GPC:
		return Answer{Purpose: p, Status: status, Reason: GPC}, true
	}
	return Answer{}, false
}

// ConsentStates reads a subject's consent states (shared/ddb.Consents).
type ConsentStates interface {
	States(ctx context.Context, subjectKey string) ([]consent.State, error)
}

// OptOutStates reads a subject's opt-out of one right (shared/ddb.OptOuts).
type OptOutStates interface {
	State(ctx context.Context, subjectKey string, right optout.Right) (optout.State, bool, error)
}

// Reader gathers the facts of one subject.
type Reader struct {
	Consents ConsentStates
	OptOuts  OptOutStates
}

// Facts reads what is recorded under the subject's own key; gpc is whether
// the asking request carries the signal.
func (r Reader) Facts(ctx context.Context, subjectKey string, gpc bool) (Facts, error) {
	// The three reads are independent: made at once, a page load waits for
	// the slowest, not for their sum.
	f := Facts{GPC: gpc}
	var (
		wg                    sync.WaitGroup
		errs                  [3]error
		sale, limit           optout.State
		saleFound, limitFound bool
	)
	wg.Add(3)
	go func() { defer wg.Done(); f.Consents, errs[0] = r.Consents.States(ctx, subjectKey) }()
	go func() {
		defer wg.Done()
		sale, saleFound, errs[1] = r.OptOuts.State(ctx, subjectKey, optout.SaleSharing)
	}()
	go func() {
		defer wg.Done()
		limit, limitFound, errs[2] = r.OptOuts.State(ctx, subjectKey, optout.LimitSensitive)
	}()
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return Facts{}, err
	}
	if saleFound {
		f.SaleSharing = &sale
	}
	if limitFound {
		f.Limit = &limit
	}
	return f, nil
}
