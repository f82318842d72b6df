// Package optoutapi is the HTTP adapter of the optout function: POST
// /v1/opt-out (the Do Not Sell or Share form, fetch calls and the Global
// Privacy Control signal) and GET /v1/opt-out/status. The rules live in
// shared/optout.
package optoutapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/optout"
)

// Handler serves the opt-out routes.
type Handler struct {
	Service        *optout.Service
	ReturnURLs     []string
	AllowedOrigins []string
	// Site is the company's name and contact details on the pages.
	Site apipage.Site
	Log  *slog.Logger
}

// Receipt is the answer to an opt-out.
type Receipt struct {
	ID          string    `json:"id"`
	Status      string    `json:"status"`
	EffectiveAt time.Time `json:"effective_at"`
	Identifiers []string  `json:"identifiers"`
	GPC         bool      `json:"gpc"`
}

// StatusAnswer is the answer to a status query.
type StatusAnswer struct {
	OptedOut bool       `json:"opted_out"`
	Since    *time.Time `json:"since,omitempty"`
}

// routes are the function's routes in shared/topology, by route key.
var routes = apigw.Routes[*Handler]{
	"POST /v1/opt-out":       (*Handler).optOut,
	"GET /v1/opt-out/status": (*Handler).status,
}

// Routes returns the keys of the routes the handler serves; they must be
// the function's routes in shared/topology (TestAdaptersServeTheTopology).
func Routes() []string { return routes.Keys() }

// Handle dispatches one HTTP API event by its route key.
func (h *Handler) Handle(ctx context.Context, r apigw.Request) (apigw.Response, error) {
	return routes.Serve(ctx, h, r, apigw.CORS(r, h.AllowedOrigins), h.Log), nil
}

// GPC reports whether a request carries the Global Privacy Control signal.
func GPC(r apigw.Request) bool { return apigw.Header(r, "Sec-GPC") == "1" }

func (h *Handler) optOut(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	body, mt, err := apigw.Body(r)
	if err != nil {
		return apipage.FailForm(ctx, h.Log, err, apigw.WantsHTML(r, ""), optOutForm, h.Site, cors)
	}
	html := apigw.WantsHTML(r, mt)
	var in optout.Input
	var returnTo string
	var rights []string
	var bad fault.Fields
	if mt == apigw.JSON {
		bad, err = apigw.DecodeJSON(body, map[string]any{
			"email": &in.Email, "phone": &in.Phone, "browser_id": &in.BrowserID, "country": &in.Country,
			"rights": &rights,
		})
	} else {
		var f *apigw.FormValues
		if f, err = apigw.ParseForm(body); err == nil {
			in.Email, in.Phone, in.BrowserID, in.Country = f.One("email"), f.One("phone"), f.One("browser_id"), f.One("country")
			returnTo = f.One("return_url")
			rights = f.Values["rights"]
			bad = f.Errs
		}
	}
	if err == nil {
		in.Rights = readRights(&bad, rights)
		err = bad.Err()
	}
	if err != nil {
		return apipage.FailForm(ctx, h.Log, err, html, formFor(rights), h.Site, cors)
	}
	in.GPC = GPC(r)
	in.Source = optout.Form
	if in.GPC && (len(in.Rights) == 0 || slices.Contains(in.Rights, optout.SaleSharing)) {
		// The browser's signal is recorded as such (11 CCR §7025(b)); it
		// speaks only of sale and sharing, so a limit alone is the form's.
		in.Source = optout.Signal
	}
	ids, _, err := h.Service.Identify(in)
	if err != nil {
		return apipage.FailForm(ctx, h.Log, err, html, formFor(rights), h.Site, cors)
	}
	out, err := h.Service.OptOut(ctx, in)
	if err != nil {
		return apipage.FailForm(ctx, h.Log, err, html, formFor(rights), h.Site, cors)
	}
	if out.Incomplete {
		// The person's own identifiers are opted out; some linked ones are
		// not yet, and the next opt-out of the profile covers them.
		h.Log.WarnContext(ctx, "opt-out spread incomplete", "optout_id", out.ID)
	}
	if html && apipage.OwnPage(returnTo) {
		// A page without its script sends no return page: this page
		// says what happened.
		return apipage.HTML(h.optedOutPage(out.ID, ids, in.Rights), cors)
	}
	if html {
		status := "opted_out"
		if len(in.Rights) == 1 && in.Rights[0] == optout.LimitSensitive {
			status = "limited"
		}
		return apigw.SeeOther(apigw.ReturnURL(h.ReturnURLs, returnTo, out.ID, url.Values{"status": {status}}), cors)
	}
	kinds := make([]string, len(ids))
	for i, id := range ids {
		kinds[i] = string(id.Kind)
	}
	return apigw.JSONResponse(http.StatusOK, Receipt{
		ID: out.ID, Status: "opted_out", EffectiveAt: out.EffectiveAt, Identifiers: kinds, GPC: in.GPC,
	}, cors)
}

// readRights reads the optional rights of an opt-out: "opt_out" (sale and
// sharing, 11 CCR §7026) and "limit_sensitive" (the use of sensitive
// personal information, 11 CCR §7027). None means sale and sharing, as the
// Do Not Sell or Share page has always posted.
func readRights(errs *fault.Fields, given []string) []optout.Right {
	var rights []optout.Right
	for _, g := range given {
		r := optout.Right(strings.TrimSpace(g))
		switch {
		case r != optout.SaleSharing && r != optout.LimitSensitive:
			errs.Add("rights", "use opt_out or limit_sensitive")
			return nil
		case !slices.Contains(rights, r):
			rights = append(rights, r)
		}
	}
	return rights
}

func (h *Handler) status(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	if err := apigw.CheckQuery(r); err != nil {
		return apigw.Problem(err, cors)
	}
	st, ok, err := h.Service.Status(ctx, r.QueryStringParameters["browser_id"])
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, cors)
	}
	ans := StatusAnswer{OptedOut: ok}
	if ok {
		ans.Since = &st.Since
	}
	return apigw.JSONResponse(http.StatusOK, ans, cors)
}
