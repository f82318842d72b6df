package mailrender

import (
	"fmt"
	"html"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/reach"
)

func data(extra map[string]string) map[string]string {
	d := map[string]string{
		"first_name":  "Ada",
		"request_id":  "01JREQUEST0000000000000000",
		"types":       "Know what personal information we hold\nDelete personal information",
		"received_at": "31 January 2026",
		"due_at":      "17 March 2026",
		"regime":      "ccpa",
		"status":      "pending_verification",
	}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

const link = "https://api.claritru.example/v1/verify?token=AbC-_123"

func TestRenderSubjects(t *testing.T) {
	want := map[mail.Template]string{
		mail.RequestReceived: "We received your privacy request",
		mail.RequestVerified: "Your privacy request is verified",
	}
	for tmpl, subject := range want {
		// User text that tries to reach a header changes nothing.
		m, err := Render(mail.Intent{ID: "M1", Template: tmpl, To: "ada@example.com", Data: data(map[string]string{"first_name": "Ada\r\nBcc: eve@example.com"})}, footer)
		if err != nil {
			t.Fatalf("Render(%s): %v", tmpl, err)
		}
		if m.Subject != subject {
			t.Errorf("%s subject = %q, want %q", tmpl, m.Subject, subject)
		}
		if strings.TrimSpace(m.Text) == "" || strings.TrimSpace(m.HTML) == "" {
			t.Errorf("%s: text %d bytes, HTML %d bytes; want both parts", tmpl, len(m.Text), len(m.HTML))
		}
		for part, s := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			if !strings.Contains(s, "01JREQUEST0000000000000000") || !strings.Contains(s, "17 March 2026") {
				t.Errorf("%s %s part lacks the reference or the due date:\n%s", tmpl, part, s)
			}
			if strings.Contains(s, "<no value>") {
				t.Errorf("%s %s part shows a missing value:\n%s", tmpl, part, s)
			}
		}
		if !strings.HasPrefix(strings.TrimSpace(m.HTML), "<!DOCTYPE html>") {
			t.Errorf("%s HTML part does not start with a doctype", tmpl)
		}
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	for _, tmpl := range []mail.Template{mail.RequestReceived, mail.RequestVerified} {
		m, err := Render(mail.Intent{Template: tmpl, Data: data(map[string]string{
			"request_id": `"><img src=x onerror=alert(2)>`,
		})}, footer)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.HTML, "<img") || !strings.Contains(m.HTML, "&#34;&gt;&lt;img") {
			t.Errorf("%s HTML is not escaped:\n%s", tmpl, m.HTML)
		}
	}
}

// nameTemplates are the templates that greet the person by name.
var nameTemplates = []mail.Template{
	mail.RequestReceived, mail.RequestVerified, mail.OptOutConfirmed, mail.RequestExtended,
	mail.RequestCompleted, mail.RequestDenied, mail.RequestCancelled, mail.RequestExpired,
	mail.AppealReceived, mail.AppealDecided,
}

// TestRenderGreetsWithANameOnly: whatever was typed as the first name, the
// greeting is "Hello <a name>," or "Hello,", in both parts of every mail
// that greets: a link, an address, markup or a message typed as a name is
// not shown, so nothing a stranger typed becomes a link from the company's
// sender.
func TestRenderGreetsWithANameOnly(t *testing.T) {
	cases := []struct{ typed, shown string }{
		{"Ada", "Ada"},
		{"  Ada   Lovelace ", "Ada Lovelace"},
		{"Jean-Luc", "Jean-Luc"},
		{"O'Brien", "O&#39;Brien"},
		{"J. R.", "J. R."},
		{"José María", "José María"},
		{"李小龍", "李小龍"},
		{strings.Repeat("Abcdefghij", 5), strings.Repeat("Abcdefghij", 4)},
		{"http://evil.example", ""},
		{"https://evil.example/claim", ""},
		{"www.evil.example", ""},
		{"evil.example", ""},
		{"Ada evil.example", ""},
		{"ada@evil.example", ""},
		{`<a href="https://evil.example">Ada</a>`, ""},
		{"<script>alert(1)</script>", ""},
		{"javascript:alert(1)", ""},
		{"Ada\r\nBcc: eve@example.com", ""},
		{"Ada\u202eelpmaxe.live", ""},
		{"Call 0800 123 456", ""},
		{"hxxp：／／evil．example", ""},
	}
	for _, tmpl := range nameTemplates {
		for _, tc := range cases {
			m, err := Render(mail.Intent{Template: tmpl, Data: data(map[string]string{
				"first_name": tc.typed, "reason": "Staff text.", "outcome": "Staff text.",
				"optout_id": "01JOPTOUT00000000000000000", "effective_at": "1 March 2026", "rights": "Sale",
				"appeal_days": "45", "decision": "upheld",
			})}, footer)
			if err != nil {
				t.Fatal(err)
			}
			want := "Hello,"
			if tc.shown != "" {
				want = "Hello " + tc.shown + ","
			}
			textWant := strings.ReplaceAll(want, "&#39;", "'")
			if first, _, _ := strings.Cut(m.Text, "\n"); first != textWant {
				t.Errorf("%s, name %q: text greeting %q, want %q", tmpl, tc.typed, first, textWant)
			}
			if !strings.Contains(m.HTML, "<p>"+want+"</p>") {
				t.Errorf("%s, name %q: HTML lacks <p>%s</p>:\n%s", tmpl, tc.typed, want, m.HTML)
			}
			for _, bad := range []string{"evil", "script", "://", "@evil", "0800"} {
				if strings.Contains(m.Text, bad) || strings.Contains(m.HTML, bad) {
					t.Errorf("%s, name %q: the mail shows %q", tmpl, tc.typed, bad)
				}
			}
		}
	}
}

// TestTemplatesShowOnlyTheCompanysWords: every value a template shows is
// one the company made (references, dates, labels, links it built, the
// catalogued disclosure), staff text (a denial's or extension's reason, a
// completion's outcome), or the person's first name, which Render passes
// through mail.FirstName. A template that showed anything else a person
// typed (request details, a practice name, an agent's name) fails here.
func TestTemplatesShowOnlyTheCompanysWords(t *testing.T) {
	allowed := map[string]string{
		"first_name": "person", "reason": "staff", "outcome": "staff",
		"request_id": "company", "types": "company", "received_at": "company", "due_at": "company",
		"verify_url": "company", "verify_expires": "company", "optout_effective": "company",
		"receipt_id": "company", "at": "company", "choices": "company", "disclosure": "catalogue",
		"confirm_url": "company", "optout_id": "company", "effective_at": "company", "rights": "company",
		"date": "company", "overdue": "company", "due_soon": "company", "overdue_count": "company", "due_soon_count": "company",
		"ad_platforms": "company", "ad_platforms_count": "company",
		// The outcome of each item of a correction, in the company's words
		// with staff's reasons and applied values (never the values the
		// person typed); when an objection stopped direct marketing.
		"corrections": "staff", "marketing_stopped": "company",
		"postal_address": "company", "contact_email": "company", "unsubscribe_url": "company",
		// Denials and appeals: the regime the clock follows, the appeal's
		// period, the decision, the types withheld by law (by name).
		"supervisory": "company", "appeal_days": "company", "decision": "company", "withheld": "company",
		// A vendor's notice: the system's name from the register, and the
		// identifier it must find the person by (the one value of theirs
		// the job carries; never free text they typed).
		"system": "register", "action": "company", "job_id": "company", "due_date": "company",
		"email": "identifier", "phone": "identifier",
		// The privacy policy's version: the register's id, hash and link,
		// and the summary of changes staff published with it.
		"version": "company", "policy_url": "company", "text_sha256": "company", "summary": "staff",
		"policy_version": "company", "policy_effective_at": "company",
		// Whether an authorized agent made the request: a flag the
		// service sets, never the agent's name.
		"on_behalf": "company",
		// The layout: the fixed subject as its title, the content the
		// templates above rendered, and the footer's data.
		"title": "company", "body": "company", "footer": "company",
		// Flags the services set: whether texts are among the choices a
		// receipt lists, which identifiers an opt-out was given with.
		"texts": "company", "phone_given": "company", "browser_given": "company",
		"sale_stopped": "company", "limit_applied": "company",
	}
	// The vendor notice's facts are the company's: the system's name from
	// the register, the action, the job's reference and its due date; and
	// the digest's list of jobs overdue.
	for _, k := range []string{"system", "action", "job_id", "due_date", "jobs_overdue", "jobs_overdue_count"} {
		allowed[k] = "company"
	}
	// The one exception to the rule: a vendor notice must tell the vendor
	// whom to act for, so it, and no other template, shows the identifier
	// the system knows the person by (shared/reach puts it in the intent).
	vendorOnly := map[string]bool{"email": true, "phone": true}
	field := regexp.MustCompile(`\.([A-Za-z_][A-Za-z0-9_]*)`)
	seen := map[string]bool{}
	entries, err := files.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := files.ReadFile("templates/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, action := range regexp.MustCompile(`{{[^}]*}}`).FindAllString(string(b), -1) {
			// A quoted name is a template's (the footer), not a field.
			action = regexp.MustCompile(`"[^"]*"`).ReplaceAllString(action, "")
			for _, m := range field.FindAllStringSubmatch(action, -1) {
				seen[m[1]] = true
				if vendorOnly[m[1]] && strings.HasPrefix(e.Name(), string(mail.VendorNotice)+".") {
					continue
				}
				if _, ok := allowed[m[1]]; !ok {
					t.Errorf("%s shows %q, which is not one of the company's values", e.Name(), m[1])
				}
			}
		}
	}
	if !seen["first_name"] || !seen["disclosure"] || len(entries) != 2*len(subjects)+3 {
		t.Errorf("read %d templates, fields %v: the templates were not all read", len(entries), seen)
	}
}

func TestRenderTypesAsList(t *testing.T) {
	m, err := Render(mail.Intent{Template: mail.RequestReceived, Data: data(map[string]string{"types": "Know <what>\nDelete"})}, footer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.HTML, "<li>Know &lt;what&gt;</li><li>Delete</li>") {
		t.Errorf("HTML list of types:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, "  - Know <what>\n  - Delete\n") {
		t.Errorf("text list of types:\n%s", m.Text)
	}
}

func TestRenderVerifyLink(t *testing.T) {
	with, err := Render(mail.Intent{Template: mail.RequestReceived, Data: data(map[string]string{"verify_url": link, "verify_expires": "72 hours"})}, footer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(with.Text, "\n"+link+"\n") {
		t.Errorf("text part lacks the link on its own line:\n%s", with.Text)
	}
	if !strings.Contains(with.HTML, `href="`+link+`"`) {
		t.Errorf("HTML part lacks the link:\n%s", with.HTML)
	}
	for _, s := range []string{with.Text, with.HTML} {
		if !strings.Contains(s, "72 hours") || !strings.Contains(s, "Confirm my request") {
			t.Errorf("part lacks the expiry or the button text:\n%s", s)
		}
	}

	without, err := Render(mail.Intent{Template: mail.RequestReceived, Data: data(nil)}, footer)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{without.Text, without.HTML} {
		if strings.Contains(s, "/v1/verify") || strings.Contains(s, `href="http`) || strings.Contains(s, "Confirm my request") || strings.Contains(s, "expires after") {
			t.Errorf("a mail without verify_url shows a link:\n%s", s)
		}
	}

	// The verified mail never carries a link, even if given one.
	verified, err := Render(mail.Intent{Template: mail.RequestVerified, Data: data(map[string]string{"verify_url": link})}, footer)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(verified.Text, link) || strings.Contains(verified.HTML, "/v1/verify") {
		t.Errorf("verified mail shows a verify link")
	}
}

func TestRenderRefusesScriptURL(t *testing.T) {
	m, err := Render(mail.Intent{Template: mail.RequestReceived, Data: data(map[string]string{"verify_url": "javascript:alert(1)"})}, footer)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "javascript:") {
		t.Errorf("HTML link keeps a javascript: URL:\n%s", m.HTML)
	}
}

func TestRenderUnknownTemplate(t *testing.T) {
	for _, tmpl := range []mail.Template{"", "nope", "request_received.txt", "../mail"} {
		if m, err := Render(mail.Intent{Template: tmpl, Data: data(nil)}, footer); err == nil {
			t.Errorf("Render(%q) = %+v, want an error", tmpl, m)
		}
	}
}

// TestVendorNotice: the notice reach plans for a system reached by mail
// says, for each action, what the vendor must do in the company's words,
// for whom (the identifier the system is told), by when, quoting the job
// and the request, and asks for a reply to the privacy team; it shows no
// other value of the person's.
func TestVendorNotice(t *testing.T) {
	reg, err := reach.NewRegister(reach.System{ID: "billing", Name: "Payment <processor>", Role: reach.ServiceProvider,
		Categories: []string{"identifiers"}, ActsOn: reach.Actions, Reach: reach.VendorMail, Contact: "privacy@payments.example"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	n := 0
	newID := func() string { n++; return fmt.Sprintf("01JJOB%020d", n) }
	ids := []reach.Identifier{{Kind: "email", Value: "ada@example.com"}, {Kind: "phone", Value: "+14155550123"}}
	wants := map[reach.Action]string{
		reach.Delete:  "Delete the personal information you hold about this person",
		reach.Correct: "Correct the personal information you hold about this person",
		reach.Access:  "Find the personal information you hold about this person",
		reach.OptOut:  "Stop selling or sharing this person's personal information",
		reach.Limit:   "Stop using or disclosing this person's sensitive personal information",
	}
	for a, want := range wants {
		jobs := reach.Plan(reg, a, at, time.Time{}, "key", "01JREQ00000000000000000000", ids, newID)
		if len(jobs) != 1 || jobs[0].Mail == nil {
			t.Fatalf("%s: jobs %+v, want one with its notice", a, jobs)
		}
		j := jobs[0]
		m, err := Render(*j.Mail, footer)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != "Privacy request from ClariTru: action needed" {
			t.Errorf("subject %q", m.Subject)
		}
		due := j.DueAt.Format("2 January 2006")
		for part, s := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			for _, w := range []string{want, "ada@example.com", "+14155550123", "By when:", due, j.ID, "01JREQ00000000000000000000",
				"reply to this mail", "privacy@claritru.example"} {
				if !strings.Contains(html.UnescapeString(s), w) {
					t.Errorf("%s %s part lacks %q:\n%s", a, part, w, s)
				}
			}
			for other, w := range wants {
				if other != a && strings.Contains(html.UnescapeString(s), w) {
					t.Errorf("%s %s part also says %q", a, part, w)
				}
			}
			if strings.Contains(s, "as our privacy team tells you in reply") || strings.Contains(s, "<no value>") {
				t.Errorf("%s %s part falls back or misses a value:\n%s", a, part, s)
			}
		}
		if !strings.Contains(m.HTML, "Payment &lt;processor&gt;") {
			t.Errorf("%s: the system's name is not escaped in HTML:\n%s", a, m.HTML)
		}
	}
	// An opt-out made on the page has no request: no empty reference.
	j := reach.Plan(reg, reach.OptOut, at, time.Time{}, "key", "", ids[:1], newID)[0]
	m, err := Render(*j.Mail, footer)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Text, "request .") || strings.Contains(m.Text, ", request") || strings.Contains(m.Text, "Phone number") {
		t.Errorf("notice without request or phone:\n%s", m.Text)
	}
}

// TestPolicyNoticeAndReceiptCiteTheVersion: the notice of a material change
// names the version, its date, each line of the summary and the link; a
// consent receipt names the version in force, and says nothing of one when
// the register had none.
func TestPolicyNoticeAndReceiptCiteTheVersion(t *testing.T) {
	m, err := Render(mail.Intent{Template: mail.PolicyNotice, Data: data(map[string]string{
		"version": "2026-12", "effective_at": "1 January 2027", "summary": "First change.\nSecond change.",
		"policy_url": "https://claritru.example/privacy-policy", "text_sha256": strings.Repeat("ab", 32),
	})}, footer)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{m.Text, m.HTML} {
		for _, want := range []string{"2026-12", "1 January 2027", "First change.", "Second change.", "https://claritru.example/privacy-policy", strings.Repeat("ab", 32)} {
			if !strings.Contains(part, want) {
				t.Errorf("notice lacks %q:\n%s", want, part)
			}
		}
	}
	if m.Subject != "We are changing our privacy policy" {
		t.Errorf("subject %q", m.Subject)
	}
	receipt := func(extra map[string]string) mail.Message {
		d := map[string]string{"receipt_id": "R1", "at": "1 March 2026", "choices": "Email marketing: waiting for you to confirm", "disclosure": "Words."}
		maps.Copy(d, extra)
		m, err := Render(mail.Intent{Template: mail.ConsentReceipt, Data: data(d)}, footer)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	with := receipt(map[string]string{"policy_version": "2025-04-28", "policy_effective_at": "28 April 2025"})
	without := receipt(nil)
	for _, part := range []string{with.Text, with.HTML} {
		if !strings.Contains(part, "version 2025-04-28, effective 28 April 2025") {
			t.Errorf("receipt does not cite the version:\n%s", part)
		}
	}
	for _, part := range []string{without.Text, without.HTML} {
		if strings.Contains(part, "privacy policy in force") {
			t.Errorf("receipt cites a version it was not given:\n%s", part)
		}
	}
}

func TestRenderCorrectionOutcomeAsList(t *testing.T) {
	m, err := Render(mail.Intent{Template: mail.RequestCompleted, Data: data(map[string]string{
		"corrections": "Item 1 of your correction: corrected as you asked.\nItem 2 of your correction: not corrected. Why: <b>no record</b>",
	})}, footer)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"What became of the correction", "- Item 1 of your correction: corrected as you asked.\n- Item 2 of your correction: not corrected."} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "<li>Item 2 of your correction: not corrected. Why: &lt;b&gt;no record&lt;/b&gt;</li>") {
		t.Errorf("html does not list the items escaped:\n%s", m.HTML)
	}
	plain, err := Render(mail.Intent{Template: mail.RequestCompleted, Data: data(nil)}, footer)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.Text, "correction") || strings.Contains(plain.HTML, "correction") {
		t.Errorf("a completion without corrections speaks of them:\n%s", plain.Text)
	}
}

// TestReceiptNamesOnlyTheOptOutsUsed: a request's receipt says what its
// opt-out stopped: the sale and sharing, the use of sensitive information,
// or both, never a right the request did not use.
func TestReceiptNamesOnlyTheOptOutsUsed(t *testing.T) {
	const sale, limit = "we do not sell or share your personal information", "sensitive personal information only as needed"
	for _, c := range []struct {
		flags     map[string]string
		want, not []string
	}{
		{map[string]string{"sale_stopped": "yes"}, []string{sale}, []string{limit}},
		{map[string]string{"limit_applied": "yes"}, []string{limit}, []string{sale}},
		{map[string]string{"sale_stopped": "yes", "limit_applied": "yes"}, []string{sale + ", and", limit}, nil},
	} {
		c.flags["optout_effective"] = "2 March 2026, 01:30 PST"
		m, err := Render(mail.Intent{Template: mail.RequestReceived, Data: data(c.flags)}, footer)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{m.Text, m.HTML} {
			for _, w := range c.want {
				if !strings.Contains(part, w) {
					t.Errorf("%v: lacks %q:\n%s", c.flags, w, part)
				}
			}
			for _, n := range c.not {
				if strings.Contains(part, n) {
					t.Errorf("%v: says %q:\n%s", c.flags, n, part)
				}
			}
		}
	}
}
