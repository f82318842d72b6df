package intakeapi

import (
	"context"
	"net/http"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/fault"
)

// ResendAnswer is the one answer to POST /v1/verify/resend, whatever the
// address has: it says nothing of whether a request exists.
type ResendAnswer struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

var resendAnswer = ResendAnswer{
	Status:  "accepted",
	Message: "If a request for this address is waiting for verification, a new link is on its way to it. Any link sent before no longer works.",
}

// agentResendAnswer is the one answer to the new-link form of an agent's
// verification page, whatever the request.
var agentResendAnswer = ResendAnswer{
	Status:  "accepted",
	Message: "If this request is still waiting for confirmation, a new link is on its way to the email address given with it. Any link sent before no longer works.",
}

// resendInput is the body of a resend: the address (and a reference), or,
// from an agent's verification page, the request's reference and the
// agent's request_id with its return address.
type resendInput struct {
	email, reference, requestID, redirectTo string
}

// resend takes {email, reference?} as JSON or a form and answers 202 with
// the same body whether or not a request waits for that address (only
// malformed input is refused, naming the field). Without an email but with
// a request_id it is the agent's page's form, answered likewise.
func (h *Handler) resend(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	body, mt, err := apigw.Body(r)
	if err != nil {
		return h.fail(ctx, err, false, cors)
	}
	html := apigw.WantsHTML(r, mt)
	var in resendInput
	var bad fault.Fields
	if mt == apigw.JSON {
		bad, err = apigw.DecodeJSON(body, map[string]any{"email": &in.email, "reference": &in.reference,
			"request_id": &in.requestID, "redirect_to": &in.redirectTo})
	} else {
		var f *apigw.FormValues
		if f, err = apigw.ParseForm(body); err == nil {
			in = resendInput{f.One("email"), f.One("reference"), f.One("request_id"), f.One("redirect_to")}
			bad = f.Errs
		}
	}
	if err == nil {
		err = bad.Err()
	}
	answer := resendAnswer
	if err == nil && in.email == "" && in.requestID != "" {
		answer = agentResendAnswer
		err = h.Resend.ResendAgent(ctx, in.reference, in.requestID, in.redirectTo)
	} else if err == nil {
		err = h.Resend.Resend(ctx, in.email, in.reference)
	}
	if err != nil {
		return apipage.FailForm(ctx, h.Log, err, html, h.confirmForm(), h.Site, cors)
	}
	if html {
		// The 410 page's form, or the agent's page's, posted without a
		// script.
		page := apipage.Render(pages, "resent", h.Site, "Check your email", answer.Message)
		return apigw.HTMLResponse(http.StatusAccepted, page, cors)
	}
	return apigw.JSONResponse(http.StatusAccepted, answer, cors)
}
