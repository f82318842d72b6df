// Package deliverability acts on what the mail service reports after a
// mail left: SES publishes an event for each bounce, complaint, rejection
// and delivery of the notifier's mail (through its configuration set, to an
// SNS topic the inbound function takes). A permanent bounce or a complaint
// marks the address undeliverable, under its subject key (the keyed hash
// shared/subject makes, never the address), so that the notifier stops
// mailing it and staff see why a person got no answer; staff clear the mark
// once the person gives a working address. It imports no AWS package; the
// store is the Marks interface, implemented in shared/ddb.
package deliverability

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Event types SES publishes through the configuration set (its eventType).
const (
	TypeBounce    = "Bounce"
	TypeComplaint = "Complaint"
	TypeReject    = "Reject"
	TypeDelivery  = "Delivery"
)

// Bounce types (bounce.bounceType).
const (
	Permanent    = "Permanent"
	Transient    = "Transient"
	Undetermined = "Undetermined"
)

// Event is one SES event record, as much of it as the service reads.
type Event struct {
	Type string
	// MessageID is the SES message id of the mail the event is about,
	// the one the notifier stored when it sent it.
	MessageID string
	// FeedbackID is SES's id of this bounce or complaint; empty for other
	// events.
	FeedbackID string
	// At is when the event happened (the bounce's or complaint's
	// timestamp; the mail's for the others).
	At time.Time
	// Recipients are the addresses the event concerns: the bounced or
	// complained recipients, each one of the mail's destinations.
	Recipients []string
	// BounceType and BounceSubType are a bounce's (Permanent, General...).
	BounceType    string
	BounceSubType string
	// FeedbackType is a complaint's complaintFeedbackType (abuse,
	// not-spam...), when the mailbox provider gave one.
	FeedbackType string
	// ComplaintSubType is a complaint's complaintSubType
	// (OnAccountSuppressionList), when set.
	ComplaintSubType string
}

// ErrShape is an SNS message that is not an SES event record the service
// takes: unreadable, of an event type it does not know, or inconsistent
// (a recipient that is not one of the mail's destinations). Nothing is
// written for it.
var ErrShape = errors.New("not an SES event record the service takes")

// record is the SES event record's JSON ("Contents of event data that
// Amazon SES publishes to Amazon SNS").
type record struct {
	EventType string `json:"eventType"`
	Mail      *struct {
		Timestamp   string   `json:"timestamp"`
		MessageID   string   `json:"messageId"`
		Destination []string `json:"destination"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string      `json:"bounceType"`
		BounceSubType     string      `json:"bounceSubType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
		Timestamp         string      `json:"timestamp"`
		FeedbackID        string      `json:"feedbackId"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []recipient `json:"complainedRecipients"`
		Timestamp             string      `json:"timestamp"`
		FeedbackID            string      `json:"feedbackId"`
		ComplaintFeedbackType string      `json:"complaintFeedbackType"`
		ComplaintSubType      *string     `json:"complaintSubType"`
	} `json:"complaint"`
	Reject   *json.RawMessage `json:"reject"`
	Delivery *json.RawMessage `json:"delivery"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// IsEvent reports whether an SNS message is meant as an SES event record:
// a JSON object with an eventType and a mail object. What the two-way SMS
// topic publishes has neither. Whether it is one the service takes is
// Parse's to say.
func IsEvent(msg []byte) bool {
	var probe struct {
		EventType *string          `json:"eventType"`
		Mail      *json.RawMessage `json:"mail"`
	}
	return json.Unmarshal(msg, &probe) == nil && probe.EventType != nil && probe.Mail != nil
}

// Parse reads an SES event record. It refuses (ErrShape) anything but a
// Bounce, Complaint, Reject or Delivery record with the mail's message id,
// time and destinations, whose type-specific object is there, and whose
// bounced or complained recipients are all among the destinations.
func Parse(msg []byte) (Event, error) {
	var r record
	dec := json.NewDecoder(bytes.NewReader(msg))
	if err := dec.Decode(&r); err != nil || dec.More() || r.Mail == nil {
		return Event{}, ErrShape
	}
	if r.Mail.MessageID == "" || len(r.Mail.Destination) == 0 {
		return Event{}, fmt.Errorf("%w: the mail's message id or destination is missing", ErrShape)
	}
	ev := Event{Type: r.EventType, MessageID: r.Mail.MessageID}
	var at string
	var rcpts []recipient
	switch r.EventType {
	case TypeBounce:
		if r.Bounce == nil {
			return Event{}, fmt.Errorf("%w: a bounce without its bounce object", ErrShape)
		}
		b := r.Bounce
		switch b.BounceType {
		case Permanent, Transient, Undetermined:
		default:
			return Event{}, fmt.Errorf("%w: unknown bounce type", ErrShape)
		}
		ev.BounceType, ev.BounceSubType, ev.FeedbackID = b.BounceType, b.BounceSubType, b.FeedbackID
		at, rcpts = b.Timestamp, b.BouncedRecipients
	case TypeComplaint:
		if r.Complaint == nil {
			return Event{}, fmt.Errorf("%w: a complaint without its complaint object", ErrShape)
		}
		c := r.Complaint
		ev.FeedbackID, ev.FeedbackType = c.FeedbackID, c.ComplaintFeedbackType
		if c.ComplaintSubType != nil {
			ev.ComplaintSubType = *c.ComplaintSubType
		}
		at, rcpts = c.Timestamp, c.ComplainedRecipients
	case TypeReject:
		if r.Reject == nil {
			return Event{}, fmt.Errorf("%w: a reject without its reject object", ErrShape)
		}
		at = r.Mail.Timestamp
	case TypeDelivery:
		if r.Delivery == nil {
			return Event{}, fmt.Errorf("%w: a delivery without its delivery object", ErrShape)
		}
		at = r.Mail.Timestamp
	default:
		return Event{}, fmt.Errorf("%w: unknown event type", ErrShape)
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return Event{}, fmt.Errorf("%w: the event's timestamp", ErrShape)
	}
	ev.At = t.UTC()
	if ev.Recipients, err = among(rcpts, r.Mail.Destination); err != nil {
		return Event{}, err
	}
	if (ev.Type == TypeBounce || ev.Type == TypeComplaint) && (len(ev.Recipients) == 0 || ev.FeedbackID == "") {
		return Event{}, fmt.Errorf("%w: a bounce or complaint names no recipient or feedback id", ErrShape)
	}
	return ev, nil
}

// among returns the recipients' addresses, each of which must be one of
// the mail's destinations: SES reports only recipients of the mail, so one
// that is not is a record someone made up, and marking it would let them
// stop the service mailing any address they name.
func among(rcpts []recipient, destination []string) ([]string, error) {
	var out []string
	for _, r := range rcpts {
		found := false
		for _, d := range destination {
			if strings.EqualFold(strings.TrimSpace(r.EmailAddress), strings.TrimSpace(d)) {
				found = true
				break
			}
		}
		if !found || r.EmailAddress == "" {
			return nil, fmt.Errorf("%w: a recipient that is not one of the mail's destinations", ErrShape)
		}
		out = append(out, strings.TrimSpace(r.EmailAddress))
	}
	return out, nil
}
