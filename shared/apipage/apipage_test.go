package apipage_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/apipage"
	"github.com/claritru/privacy/shared/fault"
)

var agentForm = apipage.Form{
	URL: "/", Name: "the Data Rights Request form",
	Fields: map[string]apipage.Field{
		"agent_name": {Label: "Agent's name", ID: "agent_name"},
		"declaration": {Label: "Declaration", ID: "declaration", Words: map[string]string{
			"confirm that the person is 18 or older": "Tick the box."}},
		"browser_id": {},
	},
}

var site = apipage.Company.With("1 Sample Street, Mobile, AL 36602, USA")

func problem(status int, fields ...fault.FieldError) apigw.ProblemDoc {
	return apigw.ProblemDoc{Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: "The request has invalid fields.", Errors: fields}
}

// TestErrorSpeaksTheFormsLabels: the fields by the form's labels, each
// linked to its input, plain words for messages written for API clients,
// a summary, a link back; never the API's names or "Bad Request".
func TestErrorSpeaksTheFormsLabels(t *testing.T) {
	page := apipage.Error(problem(400,
		fault.FieldError{Field: "agent_name", Message: "this field is required"},
		fault.FieldError{Field: "declaration", Message: "confirm that the person is 18 or older"},
		fault.FieldError{Field: "browser_id", Message: "give at least one of email, phone or browser_id"},
		fault.FieldError{Field: "corrections[0].item", Message: "is too long"},
	), agentForm, site)
	for _, want := range []string{
		"<h1>Please check your answers</h1>",
		`<div class="error-summary" role="alert" aria-labelledby="error-summary-title">`,
		`<li><a href="/#agent_name">Agent&#39;s name</a>: Please fill this in.</li>`,
		`<li><a href="/#declaration">Declaration</a>: Tick the box.</li>`,
		`<li><strong>Your answers</strong>: is too long</li>`,
		`<a href="/">Back to the Data Rights Request form</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
	}
	for _, bad := range []string{"Bad Request", "agent_name<", ">agent_name", "browser_id", "corrections[0]", "the person is", "correct the form"} {
		if strings.Contains(page, bad) {
			t.Errorf("page shows %q:\n%s", bad, page)
		}
	}
}

// TestGonePage: a used or expired link has its own words and the next
// step, and never asks to correct a form.
func TestGonePage(t *testing.T) {
	form := agentForm
	form.Gone = "Ask for a new link below."
	form.ResendAction = "https://api.example.test/v1/verify/resend"
	page := apipage.Error(problem(410), form, site)
	for _, want := range []string{
		"<h1>This link has already been used or has expired</h1>",
		"<title>This link has already been used or has expired – ClariTru</title>",
		"Ask for a new link below.",
		`<form method="post" action="https://api.example.test/v1/verify/resend">`,
		`<label for="resend-email">Email</label>`,
		`id="resend-email" name="email" autocomplete="email" required maxlength="254" aria-describedby="resend-email-hint"`,
		`<p id="resend-email-hint">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("410 page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "correct") || strings.Contains(page, "Gone") {
		t.Errorf("410 page speaks of correcting or of Gone:\n%s", page)
	}
	// Without a resend action, no form.
	if page := apipage.Error(problem(410), agentForm, site); strings.Contains(page, "<form") {
		t.Errorf("410 page without a resend action has a form:\n%s", page)
	}
}

// TestBackLinkStaysOnSite: a form's page that is not a path on the site
// (another host, a scheme) is replaced by the request form.
func TestBackLinkStaysOnSite(t *testing.T) {
	for _, u := range []string{"https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""} {
		form := agentForm
		form.URL, form.Name = u, "elsewhere"
		page := apipage.Error(problem(400), form, site)
		if !strings.Contains(page, `<a href="/">Back to the Data Rights Request form</a>`) || strings.Contains(page, "evil") || strings.Contains(page, "javascript") {
			t.Errorf("form URL %q: back link is not the site's form:\n%s", u, page)
		}
	}
}

// TestStatusHeadings: each kind of failure says what to do, and an
// internal error tells nothing of its cause.
func TestStatusHeadings(t *testing.T) {
	for status, want := range map[int]string{
		http.StatusTooManyRequests:      "<h1>Please wait a moment and try again</h1>",
		http.StatusInternalServerError:  "<h1>Please try again later</h1>",
		http.StatusServiceUnavailable:   "<h1>Please try again later</h1>",
		http.StatusUnsupportedMediaType: "<h1>Please go back and send the form again</h1>",
	} {
		p := apigw.ProblemDoc{Status: status, Title: http.StatusText(status)}
		if page := apipage.Error(p, agentForm, site); !strings.Contains(page, want) || strings.Contains(page, http.StatusText(status)+"<") {
			t.Errorf("%d: page lacks %s or shows the status text:\n%s", status, want, page)
		}
	}
}

// TestFrame: every page carries the site's frame: landmarks, the company's
// name, contact email, phone and postal address, a visible focus style,
// and no script.
func TestFrame(t *testing.T) {
	page := apipage.Error(problem(400), agentForm, site)
	for _, want := range []string{
		"<!DOCTYPE html>", `<html lang="en">`, `<a class="skip-link" href="#main">`,
		`<header class="site-header">`, `<span class="site-tagline">Privacy Center</span>`, `<main id="main"`, `<footer class="site-footer">`,
		`<nav aria-label="Privacy choices">`, ":focus-visible{",
		"ClariTru · 1 Sample Street, Mobile, AL 36602, USA",
		`<a href="mailto:privacy@claritru.example">privacy@claritru.example</a>`,
		`<a href="tel:&#43;12514283182">&#43;1 (251) 428-3182</a>`,
		`<a href="/do-not-sell.html">Do Not Sell or Share My Personal Information</a>`,
		`<a href="/limit-sensitive.html">Limit the Use of My Sensitive Personal Information</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
	}
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || strings.Contains(page, "<script") {
		t.Errorf("page does not start with the doctype, or runs a script")
	}
	// A handler built without configuration still shows the company.
	if page := apipage.Error(problem(400), agentForm, apipage.Site{}); !strings.Contains(page, "privacy@claritru.example") {
		t.Errorf("page without a site shows no contact:\n%s", page)
	}
}

// TestRenderEscapes: what a page shows is escaped.
func TestRenderEscapes(t *testing.T) {
	page := apipage.Error(problem(400, fault.FieldError{Field: "x", Message: `<script>alert(1)</script>`}), agentForm,
		apipage.Company.With(`<img src=x onerror=alert(1)>`))
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img") {
		t.Errorf("page is not escaped:\n%s", page)
	}
}

// TestFail: a browser gets the page with anti-framing headers, a script
// problem+json; a throttled answer carries Retry-After either way.
func TestFail(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	var f fault.Fields
	f.Add("agent_name", "this field is required")
	resp := apipage.FailForm(ctx, log, f.Err(), true, agentForm, site, nil)
	if resp.StatusCode != 400 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") ||
		resp.Headers["X-Frame-Options"] != "DENY" || !strings.Contains(resp.Headers["Content-Security-Policy"], "frame-ancestors 'none'") {
		t.Errorf("browser: %d %v", resp.StatusCode, resp.Headers)
	}
	if !regexp.MustCompile(`href="/#agent_name">Agent&#39;s name<`).MatchString(resp.Body) {
		t.Errorf("browser page does not name the agent's name:\n%s", resp.Body)
	}
	resp = apipage.FailForm(ctx, log, f.Err(), false, agentForm, site, nil)
	if resp.StatusCode != 400 || resp.Headers["Content-Type"] != "application/problem+json" || !strings.Contains(resp.Body, `"field":"agent_name"`) {
		t.Errorf("script: %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	busy := fault.Wrap(fault.TooMany, "busy", errors.New("throttled"))
	for _, html := range []bool{true, false} {
		if resp := apipage.Fail(ctx, log, busy, html, nil); resp.StatusCode != 429 || resp.Headers["Retry-After"] == "" {
			t.Errorf("html=%v: %d %v", html, resp.StatusCode, resp.Headers)
		}
	}
}

// TestCompanyIsTheSitesOwn: the pages the API renders show the company as
// the static pages do: the values of web/site.json.
func TestCompanyIsTheSitesOwn(t *testing.T) {
	raw, err := os.ReadFile("../../web/site.json")
	if err != nil {
		t.Fatal(err)
	}
	var site struct {
		Company, Tagline, Email, Phone string
		PhoneE164                      string `json:"phone_e164"`
	}
	if err := json.Unmarshal(raw, &site); err != nil {
		t.Fatal(err)
	}
	c := apipage.Company
	if c.Name != site.Company || c.Tagline != site.Tagline || c.Email != site.Email || c.Phone != site.Phone || c.PhoneE164 != site.PhoneE164 {
		t.Errorf("apipage.Company = %+v, want web/site.json's %+v", c, site)
	}
}

// TestLinkErrorPage: a mailed link that does not work is about the link,
// not answers to correct.
func TestLinkErrorPage(t *testing.T) {
	form := apipage.Form{URL: "/subscribe.html", Name: "the sign-up page",
		Fields: map[string]apipage.Field{"token": {Label: "The link you followed", Link: true}}}
	p := problem(400, fault.FieldError{Field: "token", Message: "is not a valid unsubscribe link"})
	p.Detail = "This unsubscribe link is not valid."
	page := apipage.Error(p, form, site)
	for _, want := range []string{"<h1>This link does not work</h1>", "<strong>The link you followed</strong>: is not a valid unsubscribe link",
		"This unsubscribe link is not valid.", `<a href="/subscribe.html">Back to the sign-up page</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "check your answers") || strings.Contains(page, "correct them") {
		t.Errorf("a link's page asks to correct answers:\n%s", page)
	}
}

// A handler's pages are parsed on first use, which may come after the
// error page has been rendered: html/template refuses to clone a template
// that has executed, so the pages must not be a clone of the layout.
func TestPagesAfterTheErrorPageRendered(t *testing.T) {
	apipage.Render(apipage.Layout, "error", apipage.Site{}, "Error", nil)
	pages := apipage.Pages(`{{define "after"}}{{template "head" .}}<p>after the error page</p>{{template "foot" .}}{{end}}`)
	var out string
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("pages parsed after the error page rendered: %v", r)
			}
		}()
		out = apipage.Render(pages, "after", apipage.Site{}, "After", nil)
	}()
	if !strings.Contains(out, "after the error page") || !strings.Contains(out, "</html>") {
		t.Fatalf("page in the frame: %q", out)
	}
}
