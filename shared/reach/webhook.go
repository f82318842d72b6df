package reach

import (
	"time"
)

// Message is the body of a webhook: the envelope the Standard Webhooks
// specification recommends (type, timestamp, data). The headers
// webhook-id (the job's id, the same on every attempt, so the receiver can
// ignore a repeat), webhook-timestamp and webhook-signature carry its
// signature.
type Message struct {
	Type      string      `json:"type"`
	Timestamp time.Time   `json:"timestamp"`
	Data      MessageData `json:"data"`
}

// MessageData tells the system what to do, for whom, by when, and how to
// answer.
type MessageData struct {
	JobID       string       `json:"job_id"`
	Action      Action       `json:"action"`
	RequestID   string       `json:"request_id,omitempty"`
	Identifiers []Identifier `json:"identifiers"`
	DueAt       time.Time    `json:"due_at"`
	Callback    Callback     `json:"callback"`
}

// Callback is where and with what the system answers: POST the Answer to
// URL, signed with the same secret, within CallbackTolerance of signing.
type Callback struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// Answer is a system's callback body.
type Answer struct {
	Token   string  `json:"token"`
	Outcome Outcome `json:"outcome"`
	Note    string  `json:"note,omitempty"`
}

// MaxNote is the longest note an answer may carry.
const MaxNote = 1000

// MessageType names a job's message: "privacy.delete", "privacy.opt_out".
func MessageType(a Action) string { return "privacy." + string(a) }

// NewMessage is the webhook for j at, with its callback.
func NewMessage(j Job, at time.Time, cb Callback) Message {
	return Message{
		Type:      MessageType(j.Action),
		Timestamp: at.UTC(),
		Data: MessageData{
			JobID: j.ID, Action: j.Action, RequestID: j.RequestID,
			Identifiers: j.Identifiers, DueAt: j.DueAt.UTC(), Callback: cb,
		},
	}
}
