package localcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/topology"
)

// SimulatorDomain is the domain of SES's mailbox simulator: mail to
// bounce@, complaint@, suppressionlist@ and success@ (each also with a
// +label) is not delivered anywhere, and SES answers with the event the
// address names. The mail tap does the same locally.
const SimulatorDomain = "simulator.amazonses.com"

// simulated returns the events SES publishes for mail to a simulator
// address (the local part before any +label), oldest first; none for any
// other address.
func simulated(to string) []string {
	local, domain, ok := strings.Cut(strings.ToLower(strings.TrimSpace(to)), "@")
	if !ok || domain != SimulatorDomain {
		return nil
	}
	local, _, _ = strings.Cut(local, "+")
	switch local {
	case "bounce":
		return []string{"bounce:General"}
	case "suppressionlist":
		return []string{"bounce:OnAccountSuppressionList"}
	case "complaint":
		// The mail is delivered, then its recipient reports it.
		return []string{"delivery", "complaint"}
	case "success", "ooto":
		return []string{"delivery"}
	}
	return nil
}

// sesEvent is an SES event record as SES publishes it to SNS for a
// configuration set's event destination.
func sesEvent(kind, to, messageID, source string, sent, at time.Time) ([]byte, error) {
	rec := map[string]any{
		"mail": map[string]any{
			"timestamp": sent.UTC().Format(time.RFC3339Nano), "source": source, "sendingAccountId": "000000000000",
			"messageId": messageID, "destination": []string{to}, "headersTruncated": false,
			"tags": map[string][]string{"ses:configuration-set": {"local"}},
		},
	}
	feedback := fmt.Sprintf("local-%s-%s", strings.ReplaceAll(kind, ":", "-"), messageID)
	stamp := at.UTC().Format(time.RFC3339Nano)
	switch kind, sub, _ := strings.Cut(kind, ":"); kind {
	case "bounce":
		rec["eventType"] = "Bounce"
		rec["bounce"] = map[string]any{
			"bounceType": "Permanent", "bounceSubType": sub, "timestamp": stamp, "feedbackId": feedback,
			"reportingMTA": "dsn; local",
			"bouncedRecipients": []map[string]string{{"emailAddress": to, "action": "failed", "status": "5.1.1",
				"diagnosticCode": "smtp; 550 5.1.1 user unknown"}},
		}
	case "complaint":
		rec["eventType"] = "Complaint"
		rec["complaint"] = map[string]any{
			"complainedRecipients": []map[string]string{{"emailAddress": to}}, "timestamp": stamp,
			"feedbackId": feedback, "complaintFeedbackType": "abuse", "userAgent": "local", "arrivalDate": stamp,
		}
	case "delivery":
		rec["eventType"] = "Delivery"
		rec["delivery"] = map[string]any{
			"timestamp": stamp, "processingTimeMillis": 1, "recipients": []string{to},
			"smtpResponse": "250 2.6.0 Message received", "reportingMTA": "local",
		}
	default:
		return nil, fmt.Errorf("no simulated event %q", kind)
	}
	return json.Marshal(rec)
}

// Deliver sets the handler the mail events go to (the inbound function's),
// as the configuration set's SNS topic would.
func (t *MailTap) Deliver(h func(context.Context, events.SNSEvent) error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = h
}

// Publish delivers one SNS message to the mail events' handler, as the
// topic would, and returns the handler's error.
func (t *MailTap) Publish(ctx context.Context, msg []byte) error {
	t.mu.Lock()
	h := t.events
	t.seq++
	id := "local-mail-event-" + strconv.Itoa(t.seq)
	t.mu.Unlock()
	if h == nil {
		return fmt.Errorf("no function takes mail events")
	}
	return h(ctx, events.SNSEvent{Records: []events.SNSEventRecord{{
		EventSource: "aws:sns", EventVersion: "1.0",
		SNS: events.SNSEntity{
			Type: "Notification", MessageID: id, Message: string(msg), Timestamp: time.Now().UTC(),
			TopicArn: "arn:aws:sns:us-east-1:000000000000:" + topology.TopicMailEvents,
		},
	}}})
}

// simulate publishes the events of a SendRawEmail call the stand-in
// accepted (its answer names the message id) to simulator addresses, in a
// moment, as SES would: after the call has returned.
func (t *MailTap) simulate(form url.Values, answer []byte) {
	m := messageIDPattern.FindSubmatch(answer)
	if m == nil {
		return
	}
	sent := time.Now().UTC()
	for i := 1; ; i++ {
		to := form.Get("Destinations.member." + strconv.Itoa(i))
		if to == "" {
			return
		}
		for _, kind := range simulated(to) {
			msg, err := sesEvent(kind, to, string(m[1]), form.Get("Source"), sent, time.Now())
			if err != nil {
				continue
			}
			t.pending.Add(1)
			go func() {
				defer t.pending.Done()
				time.Sleep(50 * time.Millisecond)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				// An error here is the handler's (logged there); SNS
				// would retry, the developer sends again.
				_ = t.Publish(ctx, msg)
			}()
		}
	}
}

var messageIDPattern = regexp.MustCompile(`<MessageId>([^<]+)</MessageId>`)

// capture keeps what the stand-in answered, and passes it on.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(p []byte) (int, error) {
	c.body.Write(p)
	return c.ResponseWriter.Write(p)
}
