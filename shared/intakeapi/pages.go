package intakeapi

import (
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/request"
)

var pages = apipage.Pages(`
{{define "confirm"}}{{template "head" .}}{{with .Data}}
<h1>Confirm your privacy request</h1>
<p>Press the button to confirm that you sent this Data Rights Request. We verify identity before we act on
requests to know, access, correct or delete personal information.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="token" value="{{.Token}}">
{{with .ReturnTo}}<input type="hidden" name="redirect_to" value="{{.}}">
{{end}}<button type="submit">Confirm my request</button>
</form>
<p>If you did not send this request, close this page; nothing will happen.</p>
{{end}}{{template "foot" .}}{{end}}
{{define "agent"}}{{template "head" .}}{{with .Data}}
<h1>Confirm your privacy request from your email</h1>
<p>An authorized agent sent us a privacy request on your behalf. We verify identity before we act on
requests to know, access, correct or delete personal information: only you can confirm this request, from
your own mailbox.</p>
<div class="notice" role="status">
<p>We emailed a link to confirm the request to the email address your agent gave us. Open that mail and press
<strong>Confirm my request</strong>. The link works once.</p>
</div>
<p>If no mail arrives within a few minutes, check your spam folder, or ask for a new link: we email it to the
same address, and earlier links stop working.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="reference" value="{{.ID}}">
<input type="hidden" name="request_id" value="{{.ID}}">
{{with .ReturnTo}}<input type="hidden" name="redirect_to" value="{{.}}">
{{end}}<button type="submit">Email me a new link</button>
</form>
<p>If you did not ask anyone to make a privacy request for you, close this page; nothing will happen
unless the request is confirmed from the mail.</p>
{{end}}{{template "foot" .}}{{end}}
{{define "received"}}{{template "head" .}}{{with .Data}}
<h1>{{if .Pending}}Check your email to confirm your request{{else}}We received your request{{end}}</h1>
<div class="notice" role="status">
<p>Your reference: <span class="ref">{{.ID}}</span></p>
<p>Keep it: quote it if you write or call us about this request.</p>
</div>
<h2>What happens next</h2>
<ol>
{{if .Pending}}<li>We emailed you a link to confirm that the request comes from you. Open that mail and press
<strong>Confirm my request</strong>. The link works once.</li>
<li>We act on the request once you confirm it. If no mail arrives within a few minutes, check your spam folder.</li>
{{else}}<li>We emailed you a confirmation with this reference.</li>
{{end}}<li>We answer by email within the time the law gives us; the mail tells you the date.</li>
</ol>
<p><a href="/">Back to the Data Rights Request form</a></p>
{{end}}{{template "foot" .}}{{end}}
{{define "resent"}}{{template "head" .}}
<h1>Check your email</h1>
<div class="notice" role="status"><p>{{.Data}}</p></div>
<p>Open the newest mail from us and press <strong>Confirm my request</strong>. If no mail arrives within a few
minutes, check your spam folder, or send the form again.</p>
<p><a href="/">Back to the Data Rights Request form</a></p>
{{template "foot" .}}{{end}}
{{define "verified"}}{{template "head" .}}{{with .Data}}
<h1>Your request is confirmed</h1>
<div class="notice" role="status">
<p>Thank you: your request is verified and our privacy team is working on it.</p>
<p>Your reference: <span class="ref">{{.ID}}</span></p>
</div>
<h2>What happens next</h2>
<ol>
<li>We emailed you a confirmation.</li>
<li>We answer by email within the time the law gives us; the mail tells you the date.</li>
</ol>
{{with .Return}}<p><a href="{{.URL}}" rel="noreferrer">Return to {{.Name}}</a></p>
{{end}}{{end}}{{template "foot" .}}{{end}}
`)

// requestForm is the Data Rights Request form (web/index.html), by the
// labels it shows.
var requestForm = apipage.Form{
	URL: "/", Name: "the Data Rights Request form",
	Fields: map[string]apipage.Field{
		"types": {Label: "What would you like us to do?", ID: "types", Words: map[string]string{
			"choose at least one request type": "Choose at least one thing you would like us to do."}},
		"first_name":    {Label: "First name", ID: "first_name"},
		"last_name":     {Label: "Last name", ID: "last_name"},
		"email":         {Label: "Email", ID: "email"},
		"phone":         {Label: "Phone", ID: "phone"},
		"practice_name": {Label: "Medical practice", ID: "practice_name"},
		"country":       {Label: "Country", ID: "country"},
		"state":         {Label: "US state", ID: "state"},
		"details":       {Label: "Anything that helps us find your information", ID: "details"},
		"correction":    {Label: "Anything else to correct", ID: "correction"},
		"corrections":   {Label: "If you ask for a correction", ID: "correction_item_1"},
		"on_behalf": {Label: "I am an authorized agent", ID: "on_behalf", Words: map[string]string{
			"agent details are given, so confirm you act on someone's behalf": "You gave an agent's details: tick the box that says you act on the person's behalf, or leave the agent's name and email empty."}},
		"agent_name":  {Label: "Agent's name", ID: "agent_name"},
		"agent_email": {Label: "Agent's email", ID: "agent_email"},
		"declaration": {Label: "Declaration", ID: "declaration", Words: map[string]string{
			"confirm that the information is true and that you are the person, or their authorized agent": "Tick the box to declare that the information is true and that you are the person named, or their authorized agent."}},
	},
}

// confirmForm is the confirm page a mailed link opens; a used or expired
// link is answered with a way to get a new one.
func (h *Handler) confirmForm() apipage.Form {
	return apipage.Form{
		URL: "/", Name: "the Data Rights Request form",
		Fields: map[string]apipage.Field{
			"token":     {Label: "The link you followed", Link: true, Words: map[string]string{"this field is required": "Open the link from our email again, in full."}},
			"email":     {Label: "Email", ID: "email"},
			"reference": {Label: "Reference"},
		},
		Gone:         "If you have not confirmed your request yet, ask for a new link below: we email it to the address you gave. You can also send the form again.",
		ResendAction: h.apiURL("/v1/verify/resend"),
	}
}

// confirmPage is the page of a mailed link; returnTo is the agent's return
// address the link carried, already checked, for the confirmation to keep.
func (h *Handler) confirmPage(action, token, returnTo string) string {
	return apipage.Render(pages, "confirm", h.Site, "Confirm your privacy request",
		struct{ Action, Token, ReturnTo string }{action, token, returnTo})
}

// agentVerifyPage is the page of an agent's user_verification_url: the
// request's id only in the new-link form, which already is in the address.
func (h *Handler) agentVerifyPage(id, returnTo string) string {
	return apipage.Render(pages, "agent", h.Site, "Confirm your privacy request from your email",
		struct{ Action, ID, ReturnTo string }{h.apiURL("/v1/verify/resend"), id, returnTo})
}

// receivedPage is the answer to a form post no page asked to be sent back
// to (a browser without JavaScript): the reference and what happens next.
// It shows only what the post itself returned.
func (h *Handler) receivedPage(rc request.Receipt) string {
	v := struct {
		ID      string
		Pending bool
	}{rc.ID, rc.Status == request.PendingVerification}
	title := "We received your request"
	if v.Pending {
		title = "Check your email to confirm your request"
	}
	return apipage.Render(pages, "received", h.Site, title, v)
}

// verifiedPage says the request is confirmed; when an authorized agent
// sent the person with a return address on one of its origins, it links
// back to the agent by name (a link the person follows, never a redirect).
func (h *Handler) verifiedPage(id, agentName, returnTo string) string {
	type back struct{ URL, Name string }
	v := struct {
		ID     string
		Return *back
	}{ID: id}
	if agentName == "" {
		agentName = "your agent"
	}
	if returnTo != "" {
		v.Return = &back{URL: returnTo, Name: agentName}
	}
	return apipage.Render(pages, "verified", h.Site, "Your request is confirmed", v)
}
