package consentapi

import (
	"context"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/consent"
)

var pages = apipage.Pages(`
{{define "confirm"}}{{template "head" .}}{{with .Data}}
<h1>Confirm your subscription</h1>
<p>Press the button to confirm that you want to receive our marketing emails at this address. You can
withdraw your consent at any time, as easily as you gave it.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="token" value="{{.Token}}">
<button type="submit">Confirm my subscription</button>
</form>
<p>If you did not ask for this, close this page; nothing will happen.</p>
{{end}}{{template "foot" .}}{{end}}
{{define "confirmed"}}{{template "head" .}}{{with .Data}}
<h1>Your subscription is confirmed</h1>
<div class="notice" role="status">
<p>Thank you: you will receive our {{.What}}.</p>
<p>Your receipt: <span class="ref">{{.ReceiptID}}</span></p>
</div>
<p>You can stop at any time, as easily as you signed up: on our <a href="/subscribe.html">sign-up page</a>,
{{if .Email}}with the unsubscribe link in every marketing email{{else}}by replying STOP to any of our texts{{end}}, or by writing to us.</p>
{{end}}{{template "foot" .}}{{end}}
{{define "given"}}{{template "head" .}}{{with .Data}}
<h1>{{$.Title}}</h1>
<div class="notice" role="status">
{{if eq .Status "withdrawn" "not_granted"}}<p>We will send you no more {{if eq .Purpose "email_marketing"}}marketing emails{{else if eq .Purpose "sms_marketing"}}marketing texts{{else}}messages of this kind{{end}}. It takes effect at once.</p>
{{else if eq .Status "pending"}}{{if eq .Purpose "sms_marketing"}}<p>We texted a 6-digit code to your number. Type it below to confirm that you want our marketing texts. It works for 10 minutes.</p>
{{else}}<p>We emailed you a link. Open that mail and press <strong>Confirm my subscription</strong>: we send marketing emails only once you confirm.</p>
{{end}}{{else}}<p>Thank you: your choice is recorded.</p>
{{end}}<p>Your receipt: <span class="ref">{{.ReceiptID}}</span></p>
</div>
{{if and (eq .Status "pending") (eq .Purpose "sms_marketing")}}<form method="post" action="/v1/consents/confirm">
<input type="hidden" name="phone" value="{{.Phone}}">
<p><label for="code">Code</label><br>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required aria-describedby="code-hint"></p>
<p id="code-hint">The 6 digits of our text message.</p>
<p><button type="submit">Confirm my number</button></p>
</form>{{end}}
<p>You can change your mind at any time, as easily: on our <a href="/subscribe.html">sign-up page</a>, with the unsubscribe link in every marketing email, or by replying STOP to a text.</p>
{{end}}{{template "foot" .}}{{end}}
{{define "unsubscribe"}}{{template "head" .}}
<h1>Unsubscribe from our marketing emails</h1>
<p>Press the button to stop our marketing emails to the address this link was sent to. It takes effect at once.</p>
<form method="post" action="{{.Data}}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>
<p>If you want to keep receiving them, close this page; nothing will change.</p>
{{template "foot" .}}{{end}}
{{define "unsubscribed"}}{{template "head" .}}
<h1>You are unsubscribed</h1>
<div class="notice" role="status">
<p>We will send no more marketing email to this address. Mail about requests you make to us still reaches you.</p>
</div>
<p>Changed your mind? You can sign up again on our <a href="/subscribe.html">sign-up page</a>.</p>
{{template "foot" .}}{{end}}
`)

// subscribeForm is the sign-up page (web/subscribe.html), by the labels it
// shows; its confirmations come back to it.
var subscribeForm = apipage.Form{
	URL: "/subscribe.html", Name: "the sign-up page",
	Fields: map[string]apipage.Field{
		"token": {Label: "The link you followed", Link: true, Words: map[string]string{
			"this field is required (or phone and code, for a text message subscription)": "Open the link from our email again, in full."}},
		"phone":         {Label: "Mobile phone", ID: "sub-phone"},
		"code":          {Label: "Code", ID: "sms-code-input"},
		"subject.email": {Label: "Email", ID: "sub-email"},
		"subject.phone": {Label: "Mobile phone", ID: "sub-phone"},
		"email":         {Label: "Email", ID: "sub-email"},
		"subject": {Label: "Email", ID: "sub-email", Words: map[string]string{
			"give at least one of email, phone or browser_id": "Give your email address or your mobile number."}},
		"purpose":           receive,
		"purposes":          receive,
		"withdraw":          receive,
		"events[0].purpose": receive,
		"events[1].purpose": receive,
		"events":            receive,
		"granted":           receive,
		"disclosure": {Label: "The words you agree to", Words: map[string]string{
			"give the disclosure shown: its id and version": "Signing up needs the page's JavaScript, which shows the exact words you agree to. Turn it on and sign up again, or write to us. Stopping works without it."}},
		"country":    {Label: "Country"},
		"source_url": {Label: "The page you came from"},
		"age_confirmed": {Label: "I am 18 or older", ID: "sub-age", Words: map[string]string{
			"marketing consent needs confirmation that the person is 18 or older": "Tick “I am 18 or older”: we send marketing only to adults."}},
	},
	Gone: "If you have not confirmed yet, sign up again on the sign-up page: we email you a new link.",
}

// receive is the sign-up page's choice of what to receive.
var receive = apipage.Field{Label: "What would you like to receive?", ID: "sub-email-marketing", Words: map[string]string{
	"give at least one consent event": "Tick what you would like to receive."}}

// unsubscribeForm is the page of a one-click link: a link that is not valid
// sends the person to the sign-up page, where stopping takes one button.
var unsubscribeForm = apipage.Form{
	URL: "/subscribe.html", Name: "the sign-up page, where you can stop our marketing emails with one button",
	Fields: map[string]apipage.Field{"token": {Label: "The link you followed", Link: true}},
}

func (h *Handler) fail(ctx context.Context, err error, html bool, cors map[string]string) apigw.Response {
	return apipage.FailForm(ctx, h.Log, err, html, subscribeForm, h.Site, cors)
}

// confirmedView says what a confirmation was for.
func confirmedView(receiptID string, p consent.Purpose) any {
	v := struct {
		ReceiptID, What string
		Email           bool
	}{ReceiptID: receiptID, What: "marketing emails", Email: true}
	if p == consent.SMSMarketing {
		v.What, v.Email = "marketing text messages", false
	}
	return v
}
