// Package adminapi is the HTTP adapter of the staff API under /v1/admin/ and
// of the company's systems' routes under /v1/machine/. People of the privacy
// team sign in to a Cognito user pool: the HTTP API's JWT authorizer (the
// local gateway, locally) verifies their access token, and the handler
// allows each route to the roles of their groups only (roles.go). Systems
// call the machine routes with IAM credentials of a session of one of the
// STAFF_ROLE_ARNS roles, checked again here; locally a bearer token
// (ADMIN_TOKEN) stands in for IAM.
package adminapi

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/choices"
	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/feed"
	"github.com/claritru/privacy/shared/ledger"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/policy"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/subjectdata"
)

// Chains reads people's ledgers (shared/ddb.Ledger).
type Chains interface {
	Chain(ctx context.Context, subjectKey string) ([]ledger.Event, ledger.Head, error)
}

// Handler serves the staff routes.
type Handler struct {
	OptOuts  *optout.Service
	Consents *consent.Service
	// Choices reads what decides the consent check (shared/choices).
	Choices  choices.Reader
	Chains   Chains
	Requests *request.Service
	Subjects *subjectdata.Service
	// Deliverability reads and clears addresses' undeliverable marks.
	Deliverability *deliverability.Service
	// Sweeps lists the retention sweep's reports (shared/ddb.Sweeper).
	Sweeps retention.Reports
	// Systems is the register of the company's systems; nil is the one
	// kept in the repository.
	Systems *reach.Register
	// Jobs reads the jobs that carry rights to those systems; Reach
	// records staff's answer for one.
	Jobs  Jobs
	Reach *reach.Service
	// Feed is the suppression list as a versioned feed for ad platforms.
	Feed *feed.Service
	// Policy is the register of the privacy policy's versions.
	Policy *policy.Service
	// OptOutCounts counts the opt-outs of a period by source, for the
	// 11 CCR §7102 figures (ddb.OptOuts); nil counts none.
	OptOutCounts OptOutCounter
	// Zone is the company's time zone: a calendar year of the figures is
	// its year. The zero Zone is deadline.DefaultZone.
	Zone deadline.Zone
	// Token is the local stand-in for IAM on the machine routes; empty in
	// AWS.
	Token string
	// EdgeSecret is the edge's origin secret: in AWS a staff route is
	// served only to a request that came through the edge.
	EdgeSecret string
	// StaffRoles are the IAM role ARNs whose sessions may call the machine
	// routes. In AWS an empty list lets no one in.
	StaffRoles []string
	Log        *slog.Logger
	Now        func() time.Time
}

// route serves one staff route.
type route func(h *Handler, ctx context.Context, r apigw.Request) apigw.Response

// routes are the function's routes in shared/topology, by route key.
var routes = map[string]route{
	// Who is signed in, and their role.
	"GET /v1/admin/me": (*Handler).me,
	// The suppression list for advertising platforms, and consent history
	// and checks.
	"GET /v1/admin/suppression":    (*Handler).suppression,
	"GET /v1/admin/consents":       (*Handler).consentHistory,
	"POST /v1/admin/consents":      (*Handler).recordWithdrawal,
	"GET /v1/admin/consents/check": (*Handler).consentCheck,
	// The staff workflow of Data Rights Requests: the queue, one request
	// with its history, requests staff enter from an email, a call or a
	// letter, the actions, and the 11 CCR §7102 figures.
	"GET /v1/admin/requests":               (*Handler).requestQueue,
	"POST /v1/admin/requests":              (*Handler).enterRequest,
	"GET /v1/admin/requests/{id}":          (*Handler).requestDetail,
	"POST /v1/admin/requests/{id}/actions": (*Handler).requestAction,
	"GET /v1/admin/metrics":                (*Handler).requestMetrics,
	// Subject export and erasure: everything held about one person, for a
	// request to know or access (11 CCR §7024; GDPR Art. 15), and its
	// erasure for a request to delete (§7022; GDPR Art. 17), keeping the
	// request log (§7101) and the opt-out.
	"GET /v1/admin/subjects/export": (*Handler).subjectExport,
	"POST /v1/admin/subjects/erase": (*Handler).subjectErase,
	// An address marked undeliverable (a permanent bounce or a complaint)
	// made deliverable again once the person gave a working address.
	"POST /v1/admin/subjects/deliverable": (*Handler).clearUndeliverable,
	// The retention sweep's reports: the proof that retention ran, counts
	// per kind of record and no personal data.
	"GET /v1/admin/sweeps": (*Handler).sweepReports,
	// The register of the company's systems, and the jobs that carry
	// rights to them: those open or overdue, and staff's answer for one
	// (the vendor replied by mail, or staff acted in the system).
	"GET /v1/admin/systems":     (*Handler).systems,
	"GET /v1/admin/jobs":        (*Handler).jobList,
	"POST /v1/admin/jobs/{job}": (*Handler).jobAnswer,

	// The suppression list as a versioned feed per ad platform, and the
	// record of what each platform took (11 CCR §7026(f)).
	"GET /v1/admin/suppression/feed":        (*Handler).suppressionFeed,
	"GET /v1/admin/suppression/deliveries":  (*Handler).suppressionDeliveries,
	"POST /v1/admin/suppression/deliveries": (*Handler).recordDelivery,

	// The register of the privacy policy's versions: a new version, its
	// words, and whether its change is material (then mailed).
	"POST /v1/admin/policy-versions": (*Handler).publishPolicy,

	// The same reads and record for the company's systems, which call
	// with IAM credentials rather than a person's sign-in: the consent
	// check before each send, and the suppression list and feed the ad
	// platforms' connectors take and acknowledge.
	"GET /v1/machine/consents/check":          (*Handler).consentCheck,
	"GET /v1/machine/suppression":             (*Handler).suppression,
	"GET /v1/machine/suppression/feed":        (*Handler).suppressionFeed,
	"POST /v1/machine/suppression/deliveries": (*Handler).recordDelivery,
}

// Routes returns the keys of the routes the handler serves; they must be
// the function's routes in shared/topology (TestAdaptersServeTheTopology).
func Routes() []string { return apigw.RouteKeys(routes) }

// Handle dispatches one HTTP API event by its route key.
func (h *Handler) Handle(ctx context.Context, r apigw.Request) (apigw.Response, error) {
	resp, ok := h.gate(r)
	if ok {
		resp = h.serve(ctx, r)
	}
	// The route and status only: staff queries name people.
	h.Log.InfoContext(ctx, "handled", "route", r.RouteKey, "status", resp.StatusCode)
	return resp, nil
}

// serve answers a request the gate let through.
func (h *Handler) serve(ctx context.Context, r apigw.Request) apigw.Response {
	if err := apigw.CheckQuery(r); err != nil {
		// Staff queries name people: a repeated or garbled parameter is
		// refused rather than read as API Gateway joins it.
		return apigw.Problem(err, nil)
	}
	if route, ok := routes[r.RouteKey]; ok {
		return route(h, ctx, r)
	}
	return apigw.Problem(fault.New(fault.NotFound, "No such route."), nil)
}

// machineAuthorised checks a system's credentials on a machine route.
func (h *Handler) machineAuthorised(r apigw.Request) bool {
	if h.Token != "" {
		got, ok := strings.CutPrefix(apigw.Header(r, "Authorization"), "Bearer ")
		return ok && subtle.ConstantTimeCompare([]byte(got), []byte(h.Token)) == 1
	}
	// In AWS the IAM authorizer has verified the caller's signature; the
	// caller must also be a session of a staff role.
	a := r.RequestContext.Authorizer
	return a != nil && a.IAM != nil && StaffSession(a.IAM.UserARN, h.StaffRoles)
}

// StaffSession says whether caller, the ARN of a verified IAM caller, is a
// session of one of the roles. A role's session is named
// arn:<partition>:sts::<account>:assumed-role/<role name>/<session>; the
// role's ARN, arn:<partition>:iam::<account>:role/<path><role name>, may
// carry a path the session ARN leaves out, and role names are unique in an
// account whatever their path. IAM users and root are never staff.
func StaffSession(caller string, roles []string) bool {
	parts := strings.SplitN(caller, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sts" {
		return false
	}
	rest, ok := strings.CutPrefix(parts[5], "assumed-role/")
	name, session, found := strings.Cut(rest, "/")
	if !ok || !found || name == "" || session == "" {
		return false
	}
	for _, role := range roles {
		rp := strings.SplitN(role, ":", 6)
		if len(rp) != 6 || rp[0] != "arn" || rp[2] != "iam" || rp[1] != parts[1] || rp[4] != parts[4] || parts[4] == "" {
			continue
		}
		path, ok := strings.CutPrefix(rp[5], "role/")
		if ok && path[strings.LastIndex(path, "/")+1:] == name {
			return true
		}
	}
	return false
}

// SuppressionEntry is one row of the export: hashes and browser ids only.
type SuppressionEntry struct {
	EmailSHA256 string    `json:"email_sha256,omitempty"`
	PhoneSHA256 string    `json:"phone_sha256,omitempty"`
	BrowserID   string    `json:"browser_id,omitempty"`
	Since       time.Time `json:"since"`
}

// SuppressionList is the JSON export.
type SuppressionList struct {
	GeneratedAt time.Time          `json:"generated_at"`
	Count       int                `json:"count"`
	Entries     []SuppressionEntry `json:"entries"`
}

// suppression exports everyone currently opted out of sale and sharing, in
// the form advertising platforms take for customer-list matching: SHA-256 of
// the normalised email and of the E.164 phone, plus first-party browser ids.
func (h *Handler) suppression(ctx context.Context, r apigw.Request) apigw.Response {
	format := r.QueryStringParameters["format"]
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		var f fault.Fields
		f.Add("format", "use csv or json")
		return apigw.Problem(f.Err(), nil)
	}
	entries, err := h.OptOuts.Suppression(ctx)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	list := SuppressionList{GeneratedAt: h.now().UTC(), Count: len(entries), Entries: []SuppressionEntry{}}
	for _, e := range entries {
		row := SuppressionEntry{Since: e.Since}
		switch e.Kind {
		case optout.Email:
			row.EmailSHA256 = e.Match
		case optout.Phone:
			row.PhoneSHA256 = e.Match
		case optout.BrowserID:
			row.BrowserID = e.Match
		}
		list.Entries = append(list.Entries, row)
	}
	if format == "json" {
		return apigw.JSONResponse(http.StatusOK, list, nil)
	}
	// A browser id is the caller's own text; SafeCell keeps one starting
	// with '-' from running as a formula in a spreadsheet.
	rows := [][]string{{"email_sha256", "phone_sha256", "browser_id", "since"}}
	for _, e := range list.Entries {
		rows = append(rows, []string{e.EmailSHA256, e.PhoneSHA256, e.BrowserID, e.Since.Format(time.RFC3339Nano)})
	}
	return apigw.CSVResponse("suppression.csv", rows)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// HistoryEvent is one ledger event as staff see it.
type HistoryEvent struct {
	Seq      int64             `json:"seq"`
	ID       string            `json:"id"`
	At       time.Time         `json:"at"`
	Kind     string            `json:"kind"`
	Fields   map[string]string `json:"fields"`
	PrevHash string            `json:"prev_hash"`
	Hash     string            `json:"hash"`
}

// CurrentConsent is the present state of one purpose.
type CurrentConsent struct {
	Purpose   string    `json:"purpose"`
	Status    string    `json:"status"`
	Since     time.Time `json:"since"`
	ReceiptID string    `json:"receipt_id"`
}

// ChainCheck says whether the ledger is intact, and where it breaks.
type ChainCheck struct {
	Valid    bool   `json:"valid"`
	BrokenAt int64  `json:"broken_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// History is a person's consent and opt-out history with its proof.
type History struct {
	Subject struct {
		Kind      string `json:"kind"`
		Reference string `json:"reference"`
	} `json:"subject"`
	Events  []HistoryEvent   `json:"events"`
	Current []CurrentConsent `json:"current"`
	Chain   ChainCheck       `json:"chain"`
	Head    struct {
		Seq  int64  `json:"seq"`
		Hash string `json:"hash"`
	} `json:"head"`
}

func (h *Handler) lookup(r apigw.Request) (consent.Identity, error) {
	q := r.QueryStringParameters
	return h.Consents.Lookup(q["email"], q["phone"], q["browser_id"])
}

// consentHistory shows everything the ledger holds for one person, the
// current state, and whether the chain verifies (GDPR Art. 7(1): be able to
// demonstrate consent).
func (h *Handler) consentHistory(ctx context.Context, r apigw.Request) apigw.Response {
	id, err := h.lookup(r)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	events, head, err := h.Chains.Chain(ctx, id.Key)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	states, err := h.Consents.States(ctx, id)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	var out History
	out.Subject.Kind, out.Subject.Reference = string(id.Kind), id.Key
	out.Events, out.Current = []HistoryEvent{}, []CurrentConsent{}
	for _, e := range events {
		fields := e.Fields
		if fields == nil {
			fields = map[string]string{}
		}
		out.Events = append(out.Events, HistoryEvent{Seq: e.Seq, ID: e.ID, At: e.At, Kind: e.Kind, Fields: fields, PrevHash: e.PrevHash, Hash: e.Hash})
	}
	for _, st := range states {
		out.Current = append(out.Current, CurrentConsent{Purpose: string(st.Purpose), Status: string(st.Status), Since: st.Since, ReceiptID: st.ReceiptID})
	}
	c := ledger.VerifyHead(events, head)
	out.Chain = ChainCheck{Valid: c.Valid, BrokenAt: c.BrokenAt, Reason: c.Reason}
	out.Head.Seq, out.Head.Hash = head.Seq, head.Hash
	return apigw.JSONResponse(http.StatusOK, out, nil)
}

// ConsentAnswer tells a marketing or CRM system whether it may send, or
// share with an ad platform, and why (shared/choices).
type ConsentAnswer struct {
	Allowed bool   `json:"allowed"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	// Since is when the deciding fact took effect; OptedOutAt or
	// LimitedAt repeat it when an opt-out or a limit decides.
	Since      *time.Time `json:"since,omitempty"`
	OptedOutAt *time.Time `json:"opted_out_at,omitempty"`
	LimitedAt  *time.Time `json:"limited_at,omitempty"`
	ReceiptID  string     `json:"receipt_id,omitempty"`
}

// consentCheck answers for one subject and purpose. The staff caller is a
// system, not the person's browser: its request carries no signal of the
// person's, so only recorded opt-outs count here (the banner records a
// browser's signal as one).
func (h *Handler) consentCheck(ctx context.Context, r apigw.Request) apigw.Response {
	id, err := h.lookup(r)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	p := choices.Purpose(r.QueryStringParameters["purpose"])
	if !choices.Known(p) {
		var f fault.Fields
		f.Add("purpose", "unknown purpose")
		return apigw.Fail(ctx, h.Log, f.Err(), nil)
	}
	facts, err := h.Choices.Facts(ctx, id.Key, false)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	a := choices.Decide(facts, p)
	ans := ConsentAnswer{Allowed: a.Allowed, Status: a.Status, Reason: string(a.Reason), ReceiptID: a.ReceiptID}
	if !a.Since.IsZero() {
		ans.Since = &a.Since
	}
	switch a.Reason {
	case choices.OptedOut:
		ans.OptedOutAt = &a.Since
	case choices.Limited:
		ans.LimitedAt = &a.Since
	}
	return apigw.JSONResponse(http.StatusOK, ans, nil)
}
