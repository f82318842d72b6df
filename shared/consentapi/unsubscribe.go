package consentapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/consent"
)

// unsubscribePage answers the GET of a one-click link with a page whose
// button sends the POST. It changes nothing: link scanners and mail
// previews fetch every link of a mail (RFC 8058 §3.2 keeps the withdrawal
// to the POST).
func (h *Handler) unsubscribePage(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	token := r.QueryStringParameters["token"]
	if err := h.Service.CheckUnsubscribe(token); err != nil {
		return apipage.FailForm(ctx, h.Log, err, true, unsubscribeForm, h.Site, cors)
	}
	action := strings.TrimRight(h.PublicBaseURL, "/") + "/v1/unsubscribe?token=" + url.QueryEscape(token)
	return apipage.HTML(apipage.Render(pages, "unsubscribe", h.Site, "Unsubscribe", action), cors)
}

// unsubscribe is the one-click POST (RFC 8058): the token in the URL is
// all it needs, with no login and no form to fill; the body a mailbox
// provider sends ("List-Unsubscribe=One-Click", urlencoded or multipart)
// is not read. Consent to email marketing is withdrawn at once; a repeat
// answers the same. A token that is not valid is 400 (RFC 8058 takes a
// 2xx for "done"), the same for every such token, naming no one.
func (h *Handler) unsubscribe(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	html := apigw.WantsHTML(r, "")
	err := h.Service.Unsubscribe(ctx, r.QueryStringParameters["token"], sourceIP(r), truncate(r.RequestContext.HTTP.UserAgent, 512))
	if err != nil {
		return apipage.FailForm(ctx, h.Log, err, html, unsubscribeForm, h.Site, cors)
	}
	if html {
		return apipage.HTML(apipage.Render(pages, "unsubscribed", h.Site, "You are unsubscribed", nil), cors)
	}
	return apigw.JSONResponse(http.StatusOK, map[string]string{
		"purpose": string(consent.EmailMarketing), "status": string(consent.Withdrawn),
	}, cors)
}
