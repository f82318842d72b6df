package deliverability_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/subject"
)

// The samples in testdata are SES's own example records ("Examples of
// event data that Amazon SES publishes to Amazon SNS") and End User
// Messaging SMS's example of a two-way message.
func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const sampleMessageID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"

func TestParseSESSamples(t *testing.T) {
	for _, tc := range []struct {
		file, typ, bounceType, subtype, feedback string
		recipients                               int
		at                                       string
	}{
		{"bounce.json", "Bounce", "Permanent", "General", "", 1, "2017-08-05T00:41:02.669Z"},
		{"complaint.json", "Complaint", "", "", "abuse", 1, "2017-08-05T00:41:02.669Z"},
		{"delivery.json", "Delivery", "", "", "", 0, "2016-10-19T23:20:52.24Z"},
		{"reject.json", "Reject", "", "", "", 0, "2016-10-14T17:38:15.211Z"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			msg := sample(t, tc.file)
			if !deliverability.IsEvent(msg) {
				t.Fatal("not told apart as an SES event record")
			}
			ev, err := deliverability.Parse(msg)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != tc.typ || ev.MessageID != sampleMessageID || len(ev.Recipients) != tc.recipients {
				t.Errorf("got %+v", ev)
			}
			if ev.BounceType != tc.bounceType || ev.BounceSubType != tc.subtype {
				t.Errorf("bounce type %q/%q, want %q/%q", ev.BounceType, ev.BounceSubType, tc.bounceType, tc.subtype)
			}
			if tc.typ == "Complaint" && ev.FeedbackType != tc.feedback {
				t.Errorf("feedback type %q, want %q", ev.FeedbackType, tc.feedback)
			}
			if want, _ := time.Parse(time.RFC3339Nano, tc.at); !ev.At.Equal(want) {
				t.Errorf("at %v, want %v", ev.At, want)
			}
			if tc.recipients == 1 && (ev.Recipients[0] != "recipient@example.com" || ev.FeedbackID != "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000") {
				t.Errorf("recipient %v, feedback id %q", ev.Recipients, ev.FeedbackID)
			}
		})
	}
}

func TestTextIsNoSESEvent(t *testing.T) {
	if deliverability.IsEvent(sample(t, "sms-inbound.json")) {
		t.Fatal("a two-way SMS message was taken for an SES event")
	}
	if _, err := deliverability.Parse(sample(t, "sms-inbound.json")); !errors.Is(err, deliverability.ErrShape) {
		t.Fatalf("Parse of a text: %v, want ErrShape", err)
	}
}

// TestParseRefusesForgedShapes edits SES's bounce sample into records SES
// does not publish.
func TestParseRefusesForgedShapes(t *testing.T) {
	bounce := string(sample(t, "bounce.json"))
	edit := func(old, new string) string {
		if !strings.Contains(bounce, old) {
			t.Fatalf("the sample has no %q", old)
		}
		return strings.Replace(bounce, old, new, 1)
	}
	for name, msg := range map[string]string{
		"a recipient that is not a destination": edit(`"emailAddress": "recipient@example.com"`, `"emailAddress": "someone.else@example.com"`),
		"no bounce object":                      edit(`"bounce": {`, `"bounced": {`),
		"an unknown bounce type":                edit(`"bounceType": "Permanent"`, `"bounceType": "Forever"`),
		"an event type not published":           edit(`"eventType": "Bounce"`, `"eventType": "Open"`),
		"no message id":                         edit(`"messageId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",`+"\n    \"destination\"", `"destination"`),
		"no timestamp":                          edit(`"timestamp": "2017-08-05T00:41:02.669Z"`, `"timestamp": "yesterday"`),
		"no feedback id":                        edit(`"feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000"`, `"feedbackId": ""`),
		"two records in one message":            bounce + bounce,
		"an identity notification":              edit(`"eventType"`, `"notificationType"`),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := deliverability.Parse([]byte(msg)); !errors.Is(err, deliverability.ErrShape) {
				t.Fatalf("Parse: %v, want ErrShape", err)
			}
		})
	}
}

// marks is an in-memory deliverability.Marks.
type marks struct {
	byKey map[string][]deliverability.Mark
	seen  map[string]bool
}

func (m *marks) Mark(_ context.Context, key string, mk deliverability.Mark, _ time.Time) (bool, error) {
	if m.seen[key+"|"+mk.EventID] {
		return false, nil
	}
	m.seen[key+"|"+mk.EventID] = true
	m.byKey[key] = append(m.byKey[key], mk)
	return true, nil
}

func (m *marks) Clear(context.Context, string, deliverability.Clearance) (deliverability.Status, error) {
	return deliverability.Status{}, fault.New(fault.NotFound, "none")
}

func (m *marks) Status(context.Context, string) (deliverability.Status, bool, error) {
	return deliverability.Status{}, false, nil
}

func newService(t *testing.T) (*deliverability.Service, *marks, *subject.Keyer) {
	k, err := subject.NewKeyer(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	m := &marks{byKey: map[string][]deliverability.Mark{}, seen: map[string]bool{}}
	return deliverability.NewService(m, k, nil), m, k
}

func TestReceiveMarksPermanentBouncesAndComplaintsOnly(t *testing.T) {
	bounce := string(sample(t, "bounce.json"))
	complaint := string(sample(t, "complaint.json"))
	for _, tc := range []struct {
		name, msg string
		marked    bool
		reason    deliverability.Reason
	}{
		{"permanent bounce", bounce, true, deliverability.ReasonBounce},
		{"complaint", complaint, true, deliverability.ReasonComplaint},
		{"transient bounce", strings.Replace(bounce, `"Permanent"`, `"Transient"`, 1), false, ""},
		{"undetermined bounce", strings.Replace(bounce, `"Permanent"`, `"Undetermined"`, 1), false, ""},
		{"not-spam report", strings.Replace(complaint, `"abuse"`, `"not-spam"`, 1), false, ""},
		{"delivery", string(sample(t, "delivery.json")), false, ""},
		{"reject", string(sample(t, "reject.json")), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, m, k := newService(t)
			ev, err := deliverability.Parse([]byte(tc.msg))
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.Receive(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			got := m.byKey[k.Email("recipient@example.com")]
			if !tc.marked {
				if len(m.byKey) != 0 || out.Marked != 0 || out.Counted == "" {
					t.Fatalf("marked %v (outcome %+v), want nothing but a count", m.byKey, out)
				}
				return
			}
			if len(got) != 1 || out.Marked != 1 || got[0].Reason != tc.reason || got[0].MessageID != sampleMessageID {
				t.Fatalf("marks %+v (outcome %+v), want one %s mark under the address's key", got, out, tc.reason)
			}
			again, err := s.Receive(context.Background(), ev)
			if err != nil || again.Marked != 0 || again.Repeated != 1 || len(m.byKey[k.Email("recipient@example.com")]) != 1 {
				t.Fatalf("the same event again: %+v, %v", again, err)
			}
		})
	}
}

func TestClearRefusesBadInput(t *testing.T) {
	s, _, _ := newService(t)
	for _, tc := range []struct{ email, reason, field string }{
		{"not an address", "the person called", "email"},
		{"ada@example.com", "", "reason"},
		{"ada@example.com", "new address is ada.new@example.org", "reason"},
		{"ada@example.com", strings.Repeat("x", 501), "reason"},
	} {
		_, err := s.Clear(context.Background(), tc.email, tc.reason, "staff")
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Kind != fault.Invalid || len(fe.Fields) == 0 || fe.Fields[0].Field != tc.field {
			t.Errorf("Clear(%q, %q): %v, want a field error on %s", tc.email, tc.reason, err, tc.field)
		}
	}
}

// TestReceiveMarksEveryBouncedRecipient: one event naming two of the
// mail's destinations marks both addresses, each once.
func TestReceiveMarksEveryBouncedRecipient(t *testing.T) {
	msg := strings.Replace(string(sample(t, "bounce.json")), `"destination": [
      "recipient@example.com"
    ]`, `"destination": ["recipient@example.com", "second@example.com"]`, 1)
	msg = strings.Replace(msg, `"bouncedRecipients": [`, `"bouncedRecipients": [{"emailAddress": "Second@example.com"},`, 1)
	ev, err := deliverability.Parse([]byte(msg))
	if err != nil || len(ev.Recipients) != 2 {
		t.Fatalf("Parse: %+v %v", ev, err)
	}
	s, m, k := newService(t)
	for range 2 {
		if _, err := s.Receive(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.byKey[k.Email("recipient@example.com")]) != 1 || len(m.byKey[k.Email("second@example.com")]) != 1 {
		t.Fatalf("marks %v, want one for each address", m.byKey)
	}
}
