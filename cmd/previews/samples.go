package main

import (
	"strings"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/mailrender"
)

// sample is one preview: a kind of mail (or text) with data such as the
// service puts in its intent.
type sample struct {
	// Name is the preview's file name, without extension.
	Name string
	// Title says in the gallery what the preview shows.
	Title    string
	Template mail.Template
	Data     map[string]string
	// SMS marks a text message: it has a .txt preview only.
	SMS bool
}

// footer is the local cloud's: the sample postal address and contact.
var footer = mailrender.Footer{
	PostalAddress: "100 Sample Street, Suite 200, Mobile, AL 36602, USA (sample address)",
	Email:         "privacy@claritru.example",
}

const (
	base      = "http://127.0.0.1:3000"
	requestID = "01KJPY44HV89GWN9JW72YQJY3G"
)

// with returns the request mails' common data with extra fields.
func with(extra map[string]string) map[string]string {
	d := map[string]string{
		"first_name":  "Ada",
		"request_id":  requestID,
		"types":       "Know what personal information we hold\nDelete personal information",
		"received_at": "2 March 2026, 09:30 PST",
		"due_at":      "16 April 2026, 23:59 PDT",
		"regime":      "ccpa",
		"status":      "pending_verification",
	}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// samples lists every preview, in the order of a request's life, then the
// choices, staff's and vendors' mails, and the texts.
func samples() []sample {
	return append(requestSamples(), otherSamples()...)
}

func requestSamples() []sample {
	verify := map[string]string{"verify_url": base + "/v1/verify?token=sample-verify-token", "verify_expires": "72 hours"}
	return []sample{
		{Name: "verify", Title: "Request received, with the link to confirm it", Template: mail.RequestReceived, Data: with(verify)},
		{Name: "receipt", Title: "Request received: an opt-out, in effect at once", Template: mail.RequestReceived, Data: with(map[string]string{
			"types": "Opt out of sale or sharing\nLimit use of sensitive personal information", "status": "completed",
			"optout_effective": "2 March 2026, 09:30 PST", "sale_stopped": "yes", "limit_applied": "yes",
		})},
		{Name: "request-link", Title: "A new link to confirm (resend)", Template: mail.RequestLink, Data: with(verify)},
		{Name: "verified", Title: "Request verified", Template: mail.RequestVerified, Data: with(nil)},
		{Name: "extension", Title: "More time needed", Template: mail.RequestExtended, Data: with(map[string]string{
			"reason": "Your request covers records in several of our systems, and gathering them safely takes longer than usual.",
			"due_at": "31 May 2026, 23:59 PDT",
		})},
		{Name: "completion", Title: "Request completed, with withheld types and a correction's outcome", Template: mail.RequestCompleted, Data: with(map[string]string{
			"outcome":     "We have deleted the personal information we held about you, and told the service providers who hold it for us to delete it too.",
			"withheld":    "Social Security number\nAccount password",
			"corrections": "Item 1 of your correction: corrected as you asked.\nItem 2 of your correction: not corrected. Why: our records show the address you gave us at sign-up.",
		})},
		{Name: "denial", Title: "Request denied, with the way to appeal", Template: mail.RequestDenied, Data: with(map[string]string{
			"reason": "We could not verify your identity: the link we sent you was not used, and the details you gave do not match an account.", "appeal_days": "45",
		})},
		{Name: "cancelled", Title: "Request cancelled", Template: mail.RequestCancelled, Data: with(map[string]string{"reason": "You asked us to cancel it."})},
		{Name: "expired", Title: "Request not confirmed in time", Template: mail.RequestExpired, Data: with(nil)},
		{Name: "appeal-received", Title: "Appeal received", Template: mail.AppealReceived, Data: with(map[string]string{"appeal_days": "45", "due_at": "15 June 2026, 23:59 PDT"})},
		{Name: "appeal-decided", Title: "Appeal decided: decision upheld", Template: mail.AppealDecided, Data: with(map[string]string{
			"decision": "upheld", "reason": "The law lets us keep the records of your purchases for seven years for tax purposes.",
		})},
		{Name: "agent-receipt", Title: "Request received from an authorized agent", Template: mail.AgentReceipt, Data: with(nil)},
	}
}

func otherSamples() []sample {
	unsubscribe := base + "/v1/unsubscribe?token=v1.sample-unsubscribe-token"
	cookies := "We use cookies and similar technologies to personalize content and ads, analyze site usage, and improve user experience."
	return []sample{
		{Name: "opt-out", Title: "Opt-out of sale and sharing confirmed", Template: mail.OptOutConfirmed, Data: map[string]string{
			"first_name": "Ada", "optout_id": "01KJPY44HV901Z19XYS92X5VV8", "effective_at": "2 March 2026, 09:30 PST",
			"rights": "Do not sell or share my personal information", "browser_given": "yes",
		}},
		{Name: "consent-receipt", Title: "Consent receipt: cookie choices", Template: mail.ConsentReceipt, Data: map[string]string{
			"receipt_id": "01KJPY44HV9A7R8QZ7D2M5N3P4", "at": "2 March 2026, 09:30 PST",
			"choices":    "Functional cookies: yes, you agreed\nAnalytics cookies: yes, you agreed\nAdvertising cookies: no",
			"disclosure": cookies, "policy_version": "2025-04-28", "policy_effective_at": "28 April 2025", mail.UnsubscribeKey: unsubscribe,
		}},
		{Name: "double-opt-in", Title: "Consent receipt with the link to confirm email marketing (double opt-in)", Template: mail.ConsentReceipt, Data: map[string]string{
			"receipt_id": "01KJPY44HV9A7R8QZ7D2M5N3P5", "at": "2 March 2026, 09:30 PST",
			"choices":     "Email marketing: waiting for you to confirm\nMarketing text messages: waiting for you to confirm with the code we texted you",
			"disclosure":  "Yes, email me news, offers and product updates from ClariTru at the email address above.",
			"confirm_url": base + "/v1/consents/confirm?token=sample-confirm-token", "texts": "yes", mail.UnsubscribeKey: unsubscribe,
		}},
		{Name: "policy-notice", Title: "Privacy policy change", Template: mail.PolicyNotice, Data: map[string]string{
			"version": "2026-12", "effective_at": "1 January 2027",
			"summary":    "We now name the advertising partners we share data with.\nWe keep support chats for 12 months instead of 24.",
			"policy_url": base + "/privacy-policy.html", "text_sha256": strings.Repeat("3f9c", 16),
		}},
		{Name: "vendor-notice", Title: "Notice to a vendor reached by mail", Template: mail.VendorNotice, Data: map[string]string{
			"system": "Payment processor", "action": "delete", "job_id": "01KJPY44HVB3X8D9F7G6H5J4K2", "due_date": "16 March 2026",
			"request_id": requestID, "email": "ada@example.com",
		}},
		{Name: "digest", Title: "Privacy team's daily digest", Template: mail.DeadlineDigest, Data: map[string]string{
			"date": "2 March 2026", "overdue_count": "1", "overdue": requestID + "  due 2026-03-01  verified  delete",
			"due_soon_count": "2", "due_soon": "01KJPY44HVC0000000000000A1  due 2026-03-05  verified  access\n01KJPY44HVC0000000000000A2  due 2026-03-08  extended  know",
			"ad_platforms_count": "1", "ad_platforms": "meta  took 2026-02-20  oldest untaken opt-out 2026-02-21  due 2026-03-05",
			"jobs_overdue_count": "1", "jobs_overdue": "01KJPY44HVB3X8D9F7G6H5J4K2  billing  delete  request " + requestID + "  due 2026-03-01",
		}},
		{Name: "sms-code", Title: "Text: the code that confirms marketing texts", Template: mail.SMSCode, SMS: true, Data: map[string]string{mail.CodeField: "482913"}},
		{Name: "sms-help", Title: "Text: the answer to HELP", Template: mail.SMSHelp, SMS: true},
		{Name: "sms-stop", Title: "Text: the confirmation of STOP", Template: mail.SMSStop, SMS: true},
	}
}
