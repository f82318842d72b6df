package consentapi

import (
	"context"
	"net/http"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/choices"
)

// Choices is the answer of GET /v1/choices: what one browser's own records
// allow now, purpose by purpose (shared/choices).
type Choices struct {
	Purposes []Choice `json:"purposes"`
	// OptedOut says the browser is opted out of sale and sharing, since
	// OptedOutAt: by the Do Not Sell page, the signal, or an opt-out of an
	// identifier linked to it.
	OptedOut   bool       `json:"opted_out"`
	OptedOutAt *time.Time `json:"opted_out_at,omitempty"`
	// GPC says this request carried Sec-GPC: 1.
	GPC bool `json:"gpc"`
}

// Choice is the answer for one purpose.
type Choice struct {
	Purpose string     `json:"purpose"`
	Allowed bool       `json:"allowed"`
	Status  string     `json:"status"`
	Reason  string     `json:"reason"`
	Since   *time.Time `json:"since,omitempty"`
}

// choices answers for the browser the query names, reading its own key
// only: anyone may ask about any browser id, and an id nobody used gets the
// same shape as one with a history, with nothing recorded. The ids are
// random and kept by the browser, as for GET /v1/opt-out/status.
func (h *Handler) choices(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	if err := apigw.CheckQuery(r); err != nil {
		return apigw.Problem(err, cors)
	}
	id, err := h.Service.LookupBrowser(r.QueryStringParameters["browser_id"])
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, cors)
	}
	gpc := apigw.Header(r, "Sec-GPC") == "1"
	facts, err := h.Choices.Facts(ctx, id.Key, gpc)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, cors)
	}
	out := Choices{Purposes: make([]Choice, len(choices.BrowserPurposes)), GPC: gpc}
	for i, p := range choices.BrowserPurposes {
		a := choices.Decide(facts, p)
		out.Purposes[i] = Choice{Purpose: string(p), Allowed: a.Allowed, Status: a.Status, Reason: string(a.Reason)}
		if !a.Since.IsZero() {
			out.Purposes[i].Since = &a.Since
		}
	}
	if facts.SaleSharing != nil {
		out.OptedOut, out.OptedOutAt = true, &facts.SaleSharing.Since
	}
	// Never cached (JSONResponse says no-store): the banner must read the
	// answer as of now.
	return apigw.JSONResponse(http.StatusOK, out, cors)
}
