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

// resend takes {email, reference?} as JSON or a form and answers 202 with
// the same body whether or not a request waits for that address (only
// malformed input is refused, naming the field).
func (h *Handler) resend(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	body, mt, err := apigw.Body(r)
	if err != nil {
		return h.fail(ctx, err, false, cors)
	}
	html := apigw.WantsHTML(r, mt)
	var email, reference string
	var bad fault.Fields
	if mt == apigw.JSON {
		bad, err = apigw.DecodeJSON(body, map[string]any{"email": &email, "reference": &reference})
	} else {
		var f *apigw.FormValues
		if f, err = apigw.ParseForm(body); err == nil {
			email, reference, bad = f.One("email"), f.One("reference"), f.Errs
		}
	}
	if err == nil {
		err = bad.Err()
	}
	if err == nil {
		err = h.Resend.Resend(ctx, email, reference)
	}
	if err != nil {
		return apipage.FailForm(ctx, h.Log, err, html, h.confirmForm(), h.Site, cors)
	}
	if html {
		// The 410 page's form, posted without a script.
		page := apipage.Render(pages, "resent", h.Site, "Check your email", resendAnswer.Message)
		return apigw.HTMLResponse(http.StatusAccepted, page, cors)
	}
	return apigw.JSONResponse(http.StatusAccepted, resendAnswer, cors)
}
