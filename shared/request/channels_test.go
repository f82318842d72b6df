package request_test

import (
	"context"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
)

// A request staff enter is clocked from when it reached the company, back
// to 45 days and never ahead of the clock; without an email address it
// needs a phone or postal address, gets no mail and no link, and its
// postal address is kept as its trimmed lines.
func TestStaffEnteredRequestDatesAndContacts(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		received time.Time
		ok       bool
	}{
		{"ten days back", t0.Add(-10 * 24 * time.Hour), true},
		{"45 days back", t0.Add(-45 * 24 * time.Hour), true},
		{"a minute more than 45 days back", t0.Add(-45*24*time.Hour - time.Minute), false},
		{"seconds ahead (a fast clock)", t0.Add(30 * time.Second), true},
		{"an hour ahead", t0.Add(time.Hour), false},
	}
	for _, tc := range cases {
		svc, _, _ := newTestService(t, t0)
		sub := submission("know")
		// A Californian: the 45-day clock (a blank country gets one month).
		sub.Input.Country, sub.Input.State = "US", "CA"
		sub.Channel, sub.ReceivedAt = request.Phone, tc.received
		rc, err := svc.Submit(ctx, sub)
		if !tc.ok {
			if fe := fieldErrors(t, err); len(fe) != 1 || fe[0].Field != "received_at" {
				t.Errorf("%s: %v, want an error naming received_at", tc.name, fe)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := tc.received
		if want.After(t0) {
			want = t0
		}
		if !rc.ReceivedAt.Equal(want) || !rc.DueAt.After(want.Add(44*24*time.Hour)) || rc.DueAt.After(want.Add(46*24*time.Hour)) {
			t.Errorf("%s: received %s due %s, want the clock from %s", tc.name, rc.ReceivedAt, rc.DueAt, want)
		}
	}
	// The web form cannot date its own request.
	svc, _, _ := newTestService(t, t0)
	web := submission("know")
	web.Channel, web.ReceivedAt = request.Web, t0.Add(-10*24*time.Hour)
	if rc, err := svc.Submit(ctx, web); err != nil || !rc.ReceivedAt.Equal(t0) {
		t.Fatalf("web request dated %v, %v; want now", rc.ReceivedAt, err)
	}

	svc, st, _ := newTestService(t, t0)
	letter := submission("access")
	letter.Channel = request.Letter
	letter.Input.Email = ""
	if _, err := svc.Submit(ctx, letter); len(fieldErrors(t, err)) != 1 || fieldErrors(t, err)[0].Field != "email" {
		t.Fatalf("no way to answer: %v", err)
	}
	letter.Input.PostalAddress = "  Ada   Lovelace\r\n\r\n 12 St James's Square \n London SW1Y 4JH  "
	rc, err := svc.Submit(ctx, letter)
	if err != nil {
		t.Fatal(err)
	}
	r := st.Requests()[0]
	if r.PostalAddress != "Ada Lovelace\n12 St James's Square\nLondon SW1Y 4JH" || r.SubjectKey == "" || r.Email != "" {
		t.Fatalf("stored %+v", r)
	}
	if rc.Status != request.PendingVerification || len(st.Mails()) != 0 || st.Creations()[0].TokenHash != "" {
		t.Fatalf("a request without an address got mail or a link: %+v, mails %v", rc, st.Mails())
	}
	letter.Input.PostalAddress = "1\n2\n3\n4\n5\n6\n7"
	if fe := fieldErrors(t, func() error { _, err := svc.Submit(ctx, letter); return err }()); len(fe) != 1 || fe[0].Field != "postal_address" {
		t.Fatalf("seven lines: %v", fe)
	}
}

// An authorized agent's request mails the agent a receipt that names
// nothing of the consumer, and tells the consumer an agent asked.
func TestAgentReceipt(t *testing.T) {
	svc, st, _ := newTestService(t, t0)
	sub := submission("delete")
	sub.Channel = request.Web
	sub.Input.OnBehalf, sub.Input.AgentName, sub.Input.AgentEmail = true, "Ann Agent", "Agent@Example.com"
	if _, err := svc.Submit(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	var agent, consumer *mail.Intent
	for _, m := range st.Mails() {
		switch m.To {
		case "agent@example.com":
			agent = &m
		case "ada@example.com":
			consumer = &m
		}
	}
	if agent == nil || consumer == nil {
		t.Fatalf("mails %+v", st.Mails())
	}
	if agent.Template != mail.AgentReceipt || agent.RecipientKey == "" || agent.Data["first_name"] != "" {
		t.Fatalf("agent's receipt %+v", agent)
	}
	if consumer.Data["on_behalf"] == "" || consumer.Data["verify_url"] == "" {
		t.Fatalf("consumer's receipt %+v", consumer)
	}
}
