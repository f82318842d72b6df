package consentapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/consent"
)

// giveForm records the choices posted by the sign-up page's form without a
// script. Fields: email, phone; withdraw (a purpose: its button withdraws
// it, whatever else the form holds); else purposes (or purpose; repeated)
// granted, or refused with granted=false, under the disclosure named by
// disclosure_id and disclosure_version (the words shown; a grant without
// them is refused, as a page that could not show the words cannot ask for
// consent); age_confirmed, country, source_url (else the page the form was
// on, when it is one of the site's). A browser gets a page that says what
// happened and what to do next; a script that posts a form gets the
// receipt.
func (h *Handler) giveForm(ctx context.Context, r apigw.Request, raw []byte, cors map[string]string) apigw.Response {
	html := apigw.WantsHTML(r, apigw.Form)
	f, err := apigw.ParseForm(raw)
	if err != nil {
		return h.fail(ctx, err, html, cors)
	}
	in := consent.Input{
		Email: f.One("email"), Phone: f.One("phone"), Country: f.One("country"),
		Choices:      formChoices(f),
		AgeConfirmed: f.Flag("age_confirmed"), SourceURL: f.One("source_url"),
		GPC: apigw.Header(r, "Sec-GPC") == "1",
		IP:  sourceIP(r), UserAgent: truncate(r.RequestContext.HTTP.UserAgent, 512),
	}
	if id := f.One("disclosure_id"); id != "" {
		in.Disclosure = &consent.Disclosure{ID: id, Version: f.One("disclosure_version")}
	} else if w := f.One("withdraw"); w != "" {
		in.Disclosure = h.askedUnder(consent.Purpose(w))
	}
	if in.SourceURL == "" {
		in.SourceURL = h.sitePage(apigw.Header(r, "Referer"))
	}
	if err := f.Errs.Err(); err != nil {
		return h.fail(ctx, err, html, cors)
	}
	res, err := h.Service.Give(ctx, in)
	if err != nil {
		return h.fail(ctx, err, html, cors)
	}
	if !html {
		return apigw.JSONResponse(http.StatusCreated, h.receipt(in, res), cors)
	}
	v := givenView{ReceiptID: res.Recording.ReceiptID, Phone: in.Phone}
	for _, rec := range res.Recording.Records {
		// The page speaks of the one needing a step first: the code
		// for texts, then the mail's link.
		if v.Status == "" || rec.Status == consent.Pending && v.Purpose != string(consent.SMSMarketing) {
			v.Purpose, v.Status = string(rec.Purpose), string(rec.Status)
		}
	}
	page := apipage.Render(pages, "given", h.Site, v.title(), v)
	return apigw.HTMLResponse(http.StatusCreated, page, cors)
}

// sitePage is the page a form was posted from (its Referer) when that is a
// page of the site's own origins; else nothing is recorded as the page.
func (h *Handler) sitePage(referer string) string {
	for _, o := range h.AllowedOrigins {
		if strings.HasPrefix(referer, o+"/") {
			return referer
		}
	}
	return ""
}

// givenView is what the sign-up's result page shows. Phone is the number
// the person typed, carried to the code form.
type givenView struct {
	ReceiptID, Purpose, Status, Phone string
}

func (v givenView) title() string {
	switch {
	case v.Status == string(consent.Withdrawn) || v.Status == string(consent.NotGranted):
		return "You are unsubscribed"
	case v.Status == string(consent.Pending) && v.Purpose == string(consent.SMSMarketing):
		return "Check your phone for the code"
	case v.Status == string(consent.Pending):
		return "Check your email to confirm"
	}
	return "You are signed up"
}

// formChoices reads the choices of a form: the withdraw button's purpose,
// else each purpose ticked, granted unless granted=false.
func formChoices(f *apigw.FormValues) []consent.Choice {
	if w := f.One("withdraw"); w != "" {
		no := false
		return []consent.Choice{{Purpose: consent.Purpose(w), Granted: &no}}
	}
	granted := strings.TrimSpace(f.One("granted")) != "false"
	purposes := append(f.Values["purposes"], f.Values["purpose"]...)
	if len(purposes) == 0 {
		// None ticked: the service names events.
		return nil
	}
	out := make([]consent.Choice, len(purposes))
	for i, p := range purposes {
		out[i] = consent.Choice{Purpose: consent.Purpose(p), Granted: &granted}
	}
	return out
}

// askedUnder is the catalogue's last disclosure that asks for p: a
// withdrawal names it, as the page's script names the one it shows beside
// the button. Withdrawing needs no words agreed to, and must be as easy as
// giving (GDPR Art. 7(3)): a page without its script withdraws too. Nil
// when none asks for p (the service then names the field).
func (h *Handler) askedUnder(p consent.Purpose) *consent.Disclosure {
	var found *consent.Disclosure
	for _, d := range h.Service.Disclosures().All() {
		if d.Covers(p) {
			found = &consent.Disclosure{ID: d.ID, Version: d.Version}
		}
	}
	return found
}
