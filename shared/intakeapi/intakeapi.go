// Package intakeapi is the HTTP adapter of the intake function: Data Rights
// Requests (POST /v1/requests) and identity verification (GET and POST
// /v1/verify). It decodes API Gateway events, calls the request service and
// maps the result; the rules live in shared/request.
package intakeapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
)

// Handler serves the intake routes.
type Handler struct {
	Service *request.Service
	// Resend sends a new verification link on request.
	Resend *request.Resender
	// PublicBaseURL is where the API is reached from outside.
	PublicBaseURL string
	// ReturnURLs are the pages a browser may be sent back to; the first is
	// the default.
	ReturnURLs     []string
	AllowedOrigins []string
	// Site is the company's name and contact details on the pages.
	Site apipage.Site
	Log  *slog.Logger
}

// routes are the function's routes in shared/topology, by route key.
var routes = apigw.Routes[*Handler]{
	"POST /v1/requests": (*Handler).submit,
	"GET /v1/verify":    (*Handler).verifyPage,
	"POST /v1/verify":   (*Handler).verify,
	// A new link for a request still waiting for verification.
	"POST /v1/verify/resend": (*Handler).resend,
}

// Routes returns the keys of the routes the handler serves; they must be
// the function's routes in shared/topology (TestAdaptersServeTheTopology).
func Routes() []string { return routes.Keys() }

// Handle dispatches one HTTP API event by its route key.
func (h *Handler) Handle(ctx context.Context, r apigw.Request) (apigw.Response, error) {
	return routes.Serve(ctx, h, r, apigw.CORS(r, h.AllowedOrigins), h.Log), nil
}

func (h *Handler) fail(ctx context.Context, err error, html bool, cors map[string]string) apigw.Response {
	return apipage.FailForm(ctx, h.Log, err, html, requestForm, h.Site, cors)
}

// apiURL is path on the API's public address.
func (h *Handler) apiURL(path string) string {
	return strings.TrimRight(h.PublicBaseURL, "/") + path
}

func (h *Handler) submit(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	body, mt, err := apigw.Body(r)
	if err != nil {
		return h.fail(ctx, err, apigw.WantsHTML(r, ""), cors)
	}
	html := apigw.WantsHTML(r, mt)
	var in request.Input
	var returnTo string
	var bad fault.Fields
	if mt == apigw.JSON {
		in, bad, err = decodeJSON(body)
	} else {
		in, returnTo, bad, err = decodeForm(body)
	}
	if err != nil {
		return h.fail(ctx, err, html, cors)
	}
	rc, err := h.Service.Submit(ctx, request.Submission{
		Input:          in,
		DecodeErrors:   bad,
		Channel:        request.Web,
		IdempotencyKey: apigw.Header(r, "Idempotency-Key"),
		Body:           body,
	})
	if err != nil {
		return h.fail(ctx, err, html, cors)
	}
	if html && apipage.OwnPage(returnTo) {
		return apipage.HTML(h.receivedPage(rc), cors)
	}
	if html {
		return apigw.SeeOther(apigw.ReturnURL(h.ReturnURLs, returnTo, rc.ID, url.Values{"status": {string(rc.Status)}}), cors)
	}
	return apigw.JSONResponse(http.StatusAccepted, rc, cors)
}

func (h *Handler) verifyPage(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	q := r.QueryStringParameters
	token, raw := q["token"], q["redirect_to"]
	if token == "" && q["reference"] != "" {
		return h.agentPage(ctx, q, cors)
	}
	var returnTo string
	if raw != "" {
		// A link mailed from an agent's verification page carries the
		// agent's return address; the page keeps it only when it is
		// still one of the agent's origins.
		req, err := h.Service.TokenRequest(ctx, token)
		if err != nil {
			return apipage.FailForm(ctx, h.Log, err, true, h.confirmForm(), h.Site, cors)
		}
		returnTo = h.Service.AgentReturn(req, raw)
	} else if err := h.Service.CheckToken(ctx, token); err != nil {
		return apipage.FailForm(ctx, h.Log, err, true, h.confirmForm(), h.Site, cors)
	}
	return apipage.HTML(h.confirmPage(h.apiURL("/v1/verify"), token, returnTo), cors)
}

// agentPage is the verification page an authorized agent sends the person
// to (user_verification_url, with the agent's request_id and redirect_to
// added, DRP 3.02.1): for the agent's request still waiting, it says that
// a link was mailed and offers a new one; it confirms nothing itself, as
// only the mailed link proves the mailbox (11 CCR §7063(a)(1)). The
// address is in the agent's hands and may travel: the page shows nothing
// of the request, and any other id is answered as an unknown link.
func (h *Handler) agentPage(ctx context.Context, q map[string]string, cors map[string]string) apigw.Response {
	req, err := h.Service.AwaitingAgent(ctx, q["reference"], q["request_id"])
	if err != nil {
		return apipage.FailForm(ctx, h.Log, err, true, h.confirmForm(), h.Site, cors)
	}
	return apipage.HTML(h.agentVerifyPage(req.ID, h.Service.AgentReturn(req, q["redirect_to"])), cors)
}

func (h *Handler) verify(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	body, mt, err := apigw.Body(r)
	if err != nil {
		return h.fail(ctx, err, apigw.WantsHTML(r, ""), cors)
	}
	html := apigw.WantsHTML(r, mt)
	token, returnTo, agentReturn, err := decodeToken(body, mt)
	if err != nil {
		return apipage.FailForm(ctx, h.Log, err, html, h.confirmForm(), h.Site, cors)
	}
	req, err := h.Service.Confirm(ctx, token)
	if err != nil {
		return apipage.FailForm(ctx, h.Log, err, html, h.confirmForm(), h.Site, cors)
	}
	if html && apipage.OwnPage(returnTo) {
		// The confirm page's own form: the page says what happened, and
		// offers the way back to the agent that sent the person, never
		// taking it by itself.
		return apipage.HTML(h.verifiedPage(req.ID, req.AgentName, h.Service.AgentReturn(req, agentReturn)), cors)
	}
	if html {
		return apigw.SeeOther(apigw.ReturnURL(h.ReturnURLs, returnTo, req.ID, url.Values{"status": {string(req.Status)}}), cors)
	}
	return apigw.JSONResponse(http.StatusOK, map[string]any{"id": req.ID, "status": req.Status}, cors)
}

// jsonRequest is the JSON body of POST /v1/requests.
type jsonRequest struct {
	Types        []string `json:"types"`
	FirstName    string   `json:"first_name"`
	LastName     string   `json:"last_name"`
	Email        string   `json:"email"`
	Phone        string   `json:"phone"`
	PracticeName string   `json:"practice_name"`
	Country      string   `json:"country"`
	State        string   `json:"state"`
	Details      string   `json:"details"`
	Correction   string   `json:"correction"`
	OnBehalf     bool     `json:"on_behalf"`
	AgentName    string   `json:"agent_name"`
	AgentEmail   string   `json:"agent_email"`
	Declaration  bool     `json:"declaration"`
	// Corrections are decoded on their own (request.DecodeCorrections).
	Corrections []request.CorrectionInput
}

// decodeJSON reads the JSON body; the fields it could not read are returned
// for validation to report with the rest.
func decodeJSON(body []byte) (request.Input, fault.Fields, error) {
	var jr jsonRequest
	var items json.RawMessage
	errs, err := apigw.DecodeJSON(body, map[string]any{
		"types": &jr.Types, "first_name": &jr.FirstName, "last_name": &jr.LastName,
		"email": &jr.Email, "phone": &jr.Phone, "practice_name": &jr.PracticeName,
		"country": &jr.Country, "state": &jr.State, "details": &jr.Details,
		"correction": &jr.Correction, "on_behalf": &jr.OnBehalf, "agent_name": &jr.AgentName,
		"agent_email": &jr.AgentEmail, "declaration": &jr.Declaration,
		"corrections": &items,
	})
	if err != nil {
		return request.Input{}, nil, err
	}
	return request.Input{
		Types: jr.Types, FirstName: jr.FirstName, LastName: jr.LastName, Email: jr.Email, Phone: jr.Phone,
		PracticeName: jr.PracticeName, Country: jr.Country, State: jr.State, Details: jr.Details,
		Correction: jr.Correction, OnBehalf: jr.OnBehalf, AgentName: jr.AgentName, AgentEmail: jr.AgentEmail,
		Declaration: jr.Declaration, Corrections: request.DecodeCorrections(items, &errs),
	}, errs, nil
}

// decodeForm reads an urlencoded form. `types` may repeat; every other field
// may appear once. Checkboxes send "on".
func decodeForm(body []byte) (request.Input, string, fault.Fields, error) {
	f, err := apigw.ParseForm(body)
	if err != nil {
		return request.Input{}, "", nil, err
	}
	in := request.Input{
		Types:        f.Values["types"],
		FirstName:    f.One("first_name"),
		LastName:     f.One("last_name"),
		Email:        f.One("email"),
		Phone:        f.One("phone"),
		PracticeName: f.One("practice_name"),
		Country:      f.One("country"),
		State:        f.One("state"),
		Details:      f.One("details"),
		Correction:   f.One("correction"),
		OnBehalf:     f.Flag("on_behalf"),
		AgentName:    f.One("agent_name"),
		AgentEmail:   f.One("agent_email"),
		Declaration:  f.Flag("declaration"),
	}
	in.Corrections = formCorrections(f)
	returnTo := f.One("return_url")
	return in, returnTo, f.Errs, nil
}

// decodeToken reads the token of a confirmation; a form also names the
// page to return to (return_url) and the agent's return address the
// confirm page carried (redirect_to).
func decodeToken(body []byte, mt string) (token, returnTo, agentReturn string, err error) {
	if mt == apigw.JSON {
		var v struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			var f fault.Fields
			f.Add("token", "send {\"token\": \"...\"}")
			return "", "", "", f.Err()
		}
		token = v.Token
	} else {
		f, err := apigw.ParseForm(body)
		if err != nil {
			return "", "", "", err
		}
		token, returnTo, agentReturn = f.One("token"), f.One("return_url"), f.One("redirect_to")
		if err := f.Errs.Err(); err != nil {
			return "", "", "", err
		}
	}
	if token == "" {
		var f fault.Fields
		f.Add("token", "this field is required")
		return "", "", "", f.Err()
	}
	return token, returnTo, agentReturn, nil
}

// formCorrections reads the items of a correction from a form: the fields
// correction_item, correction_current_value, correction_corrected_value and
// correction_documentation repeat once per item, in step (a page with a
// row of four inputs per item). A row left wholly blank is no item.
func formCorrections(f *apigw.FormValues) []request.CorrectionInput {
	cols := [4][]string{f.Values["correction_item"], f.Values["correction_current_value"],
		f.Values["correction_corrected_value"], f.Values["correction_documentation"]}
	n := len(cols[0])
	for _, c := range cols[1:] {
		if len(c) != n {
			f.Errs.Add("corrections", "give each item's four fields together, one row per item")
			return nil
		}
	}
	var out []request.CorrectionInput
	for i := 0; i < n; i++ {
		c := request.CorrectionInput{Item: cols[0][i], CurrentValue: cols[1][i], CorrectedValue: cols[2][i], Documentation: cols[3][i]}
		if strings.TrimSpace(c.Item+c.CurrentValue+c.CorrectedValue+c.Documentation) != "" {
			out = append(out, c)
		}
	}
	return out
}
