// Package consentapi is the HTTP adapter of the consent function: POST
// /v1/consents, the double opt-in links GET and POST /v1/consents/confirm,
// the disclosure catalogue GET /v1/disclosures and the one-click
// unsubscribe links GET and POST /v1/unsubscribe, and a browser's own
// answer to "may we?", GET /v1/choices. The rules live in shared/consent
// and shared/choices.
package consentapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/choices"
	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/policy"
)

// Handler serves the consent routes.
type Handler struct {
	Service *consent.Service
	// Choices reads what answers GET /v1/choices (shared/choices).
	Choices choices.Reader
	// Policy is the register of the privacy policy's versions.
	Policy         *policy.Service
	PublicBaseURL  string
	PolicyURL      string
	ReturnURLs     []string
	AllowedOrigins []string
	// Site is the company's name and contact details on the pages.
	Site apipage.Site
	Log  *slog.Logger
}

// Receipt is a consent receipt, shaped after the Kantara Initiative Consent
// Receipt v1.1 and ISO/IEC TS 27560.
//
// Anyone may call the route with anyone's address or number, so the receipt
// carries nothing that differs with the person's history: no keyed
// reference (stable per person), no ledger sequence (a known address would
// get a higher one) and no event hash. Staff see those in GET
// /v1/admin/consents.
type Receipt struct {
	ReceiptID        string     `json:"receipt_id"`
	Version          string     `json:"version"`
	ConsentTimestamp time.Time  `json:"consent_timestamp"`
	Jurisdiction     string     `json:"jurisdiction"`
	CollectionMethod string     `json:"collection_method"`
	Controller       Controller `json:"controller"`
	PolicyURL        string     `json:"policy_url"`
	// PolicyVersion and PolicySHA256 name the version of the privacy
	// policy in force when the choice was made (the register, GET
	// /v1/policy-versions); absent while the register is empty.
	PolicyVersion        string    `json:"policy_version,omitempty"`
	PolicySHA256         string    `json:"policy_sha256,omitempty"`
	DisclosureSHA256     string    `json:"disclosure_sha256"`
	Subjects             []Subject `json:"subjects"`
	Purposes             []Purpose `json:"purposes"`
	ConfirmationRequired bool      `json:"confirmation_required"`
}

// Controller is who is responsible for the processing.
type Controller struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Subject is the kind of an identifier given, never its value or key.
type Subject struct {
	Kind string `json:"kind"`
}

// Purpose is one recorded choice.
type Purpose struct {
	Purpose     string `json:"purpose"`
	Granted     bool   `json:"granted"`
	Status      string `json:"status"`
	Reason      string `json:"reason,omitempty"`
	LegalBasis  string `json:"legal_basis"`
	SubjectKind string `json:"subject_kind"`
}

// Disclosure is one entry of the catalogue as GET /v1/disclosures lists it.
type Disclosure struct {
	ID       string   `json:"id"`
	Version  string   `json:"version"`
	Purposes []string `json:"purposes"`
	Text     string   `json:"text"`
}

// disclosuresMaxAge is how long browsers and CloudFront may reuse the
// catalogue: it changes only with a deploy, and a page holding an old
// version for a few minutes after one gets a 422 it can recover from by
// loading the list again.
const disclosuresMaxAge = 300

// routes are the function's routes in shared/topology, by route key.
var routes = apigw.Routes[*Handler]{
	"POST /v1/consents":         (*Handler).give,
	"GET /v1/consents/confirm":  (*Handler).confirmPage,
	"POST /v1/consents/confirm": (*Handler).confirm,
	"GET /v1/disclosures":       (*Handler).disclosures,
	"GET /v1/policy-versions":   (*Handler).policyVersions,
	"GET /v1/unsubscribe":       (*Handler).unsubscribePage,
	"GET /v1/choices":           (*Handler).choices,
	"POST /v1/unsubscribe":      (*Handler).unsubscribe,
}

// Routes returns the keys of the routes the handler serves; they must be
// the function's routes in shared/topology (TestAdaptersServeTheTopology).
func Routes() []string { return routes.Keys() }

// Handle dispatches one HTTP API event by its route key.
func (h *Handler) Handle(ctx context.Context, r apigw.Request) (apigw.Response, error) {
	return routes.Serve(ctx, h, r, apigw.CORS(r, h.AllowedOrigins), h.Log), nil
}

type body struct {
	Subject      json.RawMessage
	Events       []map[string]json.RawMessage
	Disclosure   json.RawMessage
	SourceURL    string
	LegalBasis   string
	Locale       string
	Country      string
	AgeConfirmed bool
}

// nested decodes an object field, naming its wrong fields as parent.field.
func nested(raw json.RawMessage, parent string, fields map[string]any, bad *fault.Fields) {
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	errs, err := apigw.DecodeJSON(raw, fields)
	if err != nil {
		bad.Add(parent, "must be an object")
		return
	}
	for _, e := range errs {
		bad.Add(parent+"."+e.Field, e.Message)
	}
}

func (h *Handler) give(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	raw, mt, err := apigw.Body(r)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, cors)
	}
	if mt == apigw.Form {
		return h.giveForm(ctx, r, raw, cors)
	}
	var b body
	bad, err := apigw.DecodeJSON(raw, map[string]any{
		"subject": &b.Subject, "events": &b.Events, "disclosure": &b.Disclosure, "source_url": &b.SourceURL,
		"legal_basis": &b.LegalBasis, "locale": &b.Locale, "country": &b.Country, "age_confirmed": &b.AgeConfirmed,
	})
	if err == nil {
		err = bad.Err()
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, cors)
	}
	in := consent.Input{
		SourceURL: b.SourceURL, LegalBasis: b.LegalBasis, Locale: b.Locale, Country: b.Country,
		AgeConfirmed: b.AgeConfirmed, GPC: apigw.Header(r, "Sec-GPC") == "1",
		IP: sourceIP(r), UserAgent: truncate(r.RequestContext.HTTP.UserAgent, 512),
	}
	nested(b.Subject, "subject", map[string]any{"email": &in.Email, "phone": &in.Phone, "browser_id": &in.BrowserID}, &bad)
	if len(b.Disclosure) > 0 && string(b.Disclosure) != "null" {
		in.Disclosure = &consent.Disclosure{}
		nested(b.Disclosure, "disclosure", map[string]any{"id": &in.Disclosure.ID, "version": &in.Disclosure.Version, "text": &in.Disclosure.Text}, &bad)
	}
	if len(b.Events) > len(consent.Purposes) {
		// One event per purpose at most: refuse before looking at each.
		bad.Add("events", "at most one event per purpose")
		return apigw.Fail(ctx, h.Log, bad.Err(), cors)
	}
	for i, e := range b.Events {
		var c consent.Choice
		f := "events[" + strconv.Itoa(i) + "]"
		for name, v := range e {
			switch name {
			case "purpose":
				var p string
				if json.Unmarshal(v, &p) != nil {
					bad.Add(f+".purpose", "must be a string")
				}
				c.Purpose = consent.Purpose(p)
			case "granted":
				var g bool
				if json.Unmarshal(v, &g) != nil {
					bad.Add(f+".granted", "must be true or false")
				} else {
					c.Granted = &g
				}
			default:
				bad.Add(f+"."+name, "unknown field")
			}
		}
		in.Choices = append(in.Choices, c)
	}
	if err := bad.Err(); err != nil {
		return apigw.Fail(ctx, h.Log, err, cors)
	}
	res, err := h.Service.Give(ctx, in)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, cors)
	}
	return apigw.JSONResponse(http.StatusCreated, h.receipt(in, res), cors)
}

func (h *Handler) receipt(in consent.Input, res consent.Result) Receipt {
	basis := in.LegalBasis
	if basis == "" {
		basis = "consent"
	}
	rc := Receipt{
		ReceiptID: res.Recording.ReceiptID, Version: "KI-CR-v1.1.0", ConsentTimestamp: res.Recording.At,
		Jurisdiction: res.Jurisdiction, CollectionMethod: "web",
		Controller:           Controller{Name: "ClariTru", Phone: "+1 (251) 428-3182"},
		PolicyURL:            h.PolicyURL,
		DisclosureSHA256:     res.Recording.Disclosure.SHA256(),
		ConfirmationRequired: res.ConfirmationRequired,
	}
	if p := res.Recording.Policy; p != nil {
		rc.PolicyVersion, rc.PolicySHA256 = p.ID, p.TextSHA256
	}
	for _, s := range res.Subjects {
		rc.Subjects = append(rc.Subjects, Subject{Kind: string(s.Kind)})
	}
	for _, rec := range res.Recording.Records {
		rc.Purposes = append(rc.Purposes, Purpose{
			Purpose: string(rec.Purpose), Granted: rec.Granted, Status: string(rec.Status), Reason: rec.Reason,
			LegalBasis: basis, SubjectKind: string(rec.Subject.Kind),
		})
	}
	return rc
}

// disclosures lists the catalogue, so the pages show exactly the stored
// words.
func (h *Handler) disclosures(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	all := h.Service.Disclosures().All()
	out := make([]Disclosure, len(all))
	for i, d := range all {
		ps := make([]string, len(d.Purposes))
		for j, p := range d.Purposes {
			ps[j] = string(p)
		}
		out[i] = Disclosure{ID: d.ID, Version: d.Version, Purposes: ps, Text: d.Text}
	}
	headers := maps.Clone(cors)
	if headers == nil {
		headers = map[string]string{}
	}
	headers["Cache-Control"] = "public, max-age=" + strconv.Itoa(disclosuresMaxAge)
	return apigw.JSONResponse(http.StatusOK, out, headers)
}

func (h *Handler) confirmPage(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	token := r.QueryStringParameters["token"]
	if err := h.Service.CheckConfirmation(ctx, token); err != nil {
		return h.fail(ctx, err, true, cors)
	}
	page := apipage.Render(pages, "confirm", h.Site, "Confirm your subscription", struct{ Action, Token string }{
		strings.TrimRight(h.PublicBaseURL, "/") + "/v1/consents/confirm", token,
	})
	return apipage.HTML(page, cors)
}

func (h *Handler) confirm(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	raw, mt, err := apigw.Body(r)
	if err != nil {
		return h.fail(ctx, err, apigw.WantsHTML(r, ""), cors)
	}
	html := apigw.WantsHTML(r, mt)
	var in confirmInput
	if mt == apigw.JSON {
		_ = json.Unmarshal(raw, &in)
	} else if f, err := apigw.ParseForm(raw); err == nil {
		in = confirmInput{Token: f.One("token"), Phone: f.One("phone"), Code: f.One("code"), returnTo: f.One("return_url")}
		if err := f.Errs.Err(); err != nil {
			return h.fail(ctx, err, html, cors)
		}
	}
	if in.Token == "" && (in.Phone != "" || in.Code != "") {
		return h.confirmCode(ctx, in, html, cors)
	}
	if in.Token == "" {
		var f fault.Fields
		f.Add("token", "this field is required (or phone and code, for a text message subscription)")
		return h.fail(ctx, f.Err(), html, cors)
	}
	c, err := h.Service.Confirm(ctx, in.Token)
	if err != nil {
		return h.fail(ctx, err, html, cors)
	}
	return h.confirmed(html, in.returnTo, c.ReceiptID, c.Purpose, cors)
}

// confirmInput is a confirmation: the mailed link's token, or a number and
// the code texted to it.
type confirmInput struct {
	Token    string `json:"token"`
	Phone    string `json:"phone"`
	Code     string `json:"code"`
	returnTo string
}

// confirmCode confirms a pending SMS marketing grant with its code. A wrong
// code and a number with nothing to confirm get the same 422 naming code.
func (h *Handler) confirmCode(ctx context.Context, in confirmInput, html bool, cors map[string]string) apigw.Response {
	c, err := h.Service.ConfirmCode(ctx, in.Phone, in.Code)
	if err != nil {
		return h.fail(ctx, err, html, cors)
	}
	return h.confirmed(html, in.returnTo, c.ReceiptID, consent.SMSMarketing, cors)
}

// confirmed answers a confirmation: a browser form post goes back to the
// page, a script gets the receipt, purpose and status.
func (h *Handler) confirmed(html bool, returnTo, receiptID string, p consent.Purpose, cors map[string]string) apigw.Response {
	if html && apipage.OwnPage(returnTo) {
		// The confirm page's own form: the page says what happened.
		return apipage.HTML(apipage.Render(pages, "confirmed", h.Site, "Your subscription is confirmed", confirmedView(receiptID, p)), cors)
	}
	if html {
		return apigw.SeeOther(apigw.ReturnURL(h.ReturnURLs, returnTo, receiptID, url.Values{"status": {"confirmed"}}), cors)
	}
	return apigw.JSONResponse(http.StatusOK, map[string]string{
		"receipt_id": receiptID, "purpose": string(p), "status": string(consent.Granted),
	}, cors)
}

// sourceIP is the caller's address as API Gateway saw it, kept as TCPA proof.
func sourceIP(r apigw.Request) string {
	ip := r.RequestContext.HTTP.SourceIP
	if net.ParseIP(ip) == nil {
		return ""
	}
	return ip
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
