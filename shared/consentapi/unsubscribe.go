package consentapi

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/consent"
)

var unsubscribePages = template.Must(template.Must(apipage.Layout.Clone()).Parse(`
{{define "unsubscribe"}}{{template "head" "Unsubscribe"}}
<h1>Unsubscribe from our marketing emails</h1>
<p>Press the button to stop our marketing emails to the address this link was sent to. It takes effect at once.</p>
<form method="post" action="{{.}}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>
<p>If you want to keep receiving them, close this page; nothing will change.</p>
</body></html>{{end}}
{{define "unsubscribed"}}{{template "head" "Unsubscribed"}}
<h1>You are unsubscribed</h1>
<p>We will send no more marketing email to this address. Mail about requests you make to us still reaches you.</p>
</body></html>{{end}}
`))

// unsubscribePage answers the GET of a one-click link with a page whose
// button sends the POST. It changes nothing: link scanners and mail
// previews fetch every link of a mail (RFC 8058 §3.2 keeps the withdrawal
// to the POST).
func (h *Handler) unsubscribePage(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	token := r.QueryStringParameters["token"]
	if err := h.Service.CheckUnsubscribe(token); err != nil {
		return apipage.Fail(ctx, h.Log, err, true, cors)
	}
	action := strings.TrimRight(h.PublicBaseURL, "/") + "/v1/unsubscribe?token=" + url.QueryEscape(token)
	var b bytes.Buffer
	_ = unsubscribePages.ExecuteTemplate(&b, "unsubscribe", action)
	return apigw.HTMLResponse(http.StatusOK, b.String(), cors)
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
		return apipage.Fail(ctx, h.Log, err, html, cors)
	}
	if html {
		var b bytes.Buffer
		_ = unsubscribePages.ExecuteTemplate(&b, "unsubscribed", nil)
		return apigw.HTMLResponse(http.StatusOK, b.String(), cors)
	}
	return apigw.JSONResponse(http.StatusOK, map[string]string{
		"purpose": string(consent.EmailMarketing), "status": string(consent.Withdrawn),
	}, cors)
}
