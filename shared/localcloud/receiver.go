package localcloud

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/claritru/privacy/shared/reach"
)

// SampleReceiver stands in for the company's systems reached by webhook,
// as a vendor would build its end: each system's webhooks arrive at
// /systems/{id}/webhook, are checked with that system's secret (the
// Standard Webhooks library, timestamp tolerance included), a repeated
// webhook-id is taken once, and the receiver answers 202 and, a moment
// later, calls back with a signed answer that it acted. It keeps what it
// received, without the identifiers, for its page and GET /store.
type SampleReceiver struct {
	Endpoint string

	keys        map[string]string
	silent      bool
	answerAfter time.Duration
	client      *http.Client
	ctx         context.Context
	cancel      context.CancelFunc
	answering   sync.WaitGroup

	mu       sync.Mutex
	failWith int
	received []ReceivedWebhook
	seen     map[string]bool
	server   *http.Server
}

// ReceivedWebhook is one webhook the receiver took, and its callback.
type ReceivedWebhook struct {
	System    string    `json:"system"`
	WebhookID string    `json:"webhook_id"`
	JobID     string    `json:"job_id,omitempty"`
	Type      string    `json:"type,omitempty"`
	Action    string    `json:"action,omitempty"`
	At        time.Time `json:"at"`
	// Verified tells whether the signature matched the system's secret
	// within the timestamp tolerance; an unverified webhook is refused
	// (401) and not acted on.
	Verified bool `json:"verified"`
	// Repeat marks a webhook-id taken before: answered 202, not acted on
	// again.
	Repeat bool `json:"repeat,omitempty"`
	// CallbackStatus is the service's answer to the callback; 0 while it
	// is pending, or when the receiver is silent.
	CallbackStatus int    `json:"callback_status,omitempty"`
	CallbackError  string `json:"callback_error,omitempty"`
}

// ReceiverOptions configure a sample receiver.
type ReceiverOptions struct {
	// Silent never calls back: the jobs stay told and fall overdue.
	Silent bool
	// AnswerAfter is the wait before the callback; zero is a second.
	AnswerAfter time.Duration
}

// StartSampleReceiver listens on 127.0.0.1:port (0 picks a free one) for
// the systems whose signing keys keys holds, by system id.
func StartSampleReceiver(port int, keys map[string]string, o ReceiverOptions) (*SampleReceiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("sample receiver: %w", err)
	}
	if o.AnswerAfter <= 0 {
		o.AnswerAfter = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &SampleReceiver{
		Endpoint: "http://" + l.Addr().String(), keys: keys, silent: o.Silent, answerAfter: o.AnswerAfter,
		client: &http.Client{Timeout: 10 * time.Second}, ctx: ctx, cancel: cancel, seen: map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /systems/{system}/webhook", s.webhook)
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /store", s.store)
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(l) }()
	return s, nil
}

// WebhookURL is where system id's webhooks go.
func (s *SampleReceiver) WebhookURL(id string) string {
	return s.Endpoint + "/systems/" + id + "/webhook"
}

// FailWith makes the receiver answer every webhook with status, as a
// system that is down would, taking none of them; 0 ends that.
func (s *SampleReceiver) FailWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWith = status
}

// Received returns what the receiver took so far, oldest first.
func (s *SampleReceiver) Received() []ReceivedWebhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReceivedWebhook(nil), s.received...)
}

func (s *SampleReceiver) webhook(w http.ResponseWriter, r *http.Request) {
	system := r.PathValue("system")
	key, ok := s.keys[system]
	if !ok {
		http.Error(w, "no such system here", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	got := ReceivedWebhook{System: system, WebhookID: r.Header.Get(standardwebhooks.HeaderWebhookID), At: time.Now().UTC()}
	wh, err := standardwebhooks.NewWebhook(key)
	got.Verified = err == nil && wh.Verify(body, r.Header) == nil
	var msg reach.Message
	if got.Verified && json.Unmarshal(body, &msg) != nil {
		http.Error(w, "not a privacy webhook", http.StatusBadRequest)
		return
	}
	got.JobID, got.Type, got.Action = msg.Data.JobID, msg.Type, string(msg.Data.Action)
	s.mu.Lock()
	if failWith := s.failWith; failWith != 0 {
		s.mu.Unlock()
		http.Error(w, "the sample system is down", failWith)
		return
	}
	got.Repeat = got.Verified && s.seen[got.WebhookID]
	if got.Verified {
		s.seen[got.WebhookID] = true
	}
	s.received = append(s.received, got)
	n := len(s.received) - 1
	s.mu.Unlock()
	if !got.Verified {
		http.Error(w, "signature does not match", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	if got.Repeat || s.silent {
		return
	}
	s.answering.Add(1)
	go func() {
		defer s.answering.Done()
		select {
		case <-time.After(s.answerAfter):
		case <-s.ctx.Done():
			return
		}
		status, err := s.callBack(key, msg)
		s.mu.Lock()
		s.received[n].CallbackStatus = status
		if err != nil {
			s.received[n].CallbackError = err.Error()
		}
		s.mu.Unlock()
	}()
}

// notes are what the sample system says it did, by action.
var notes = map[reach.Action]string{
	reach.Delete:   "sample receiver: deleted",
	reach.Correct:  "sample receiver: corrected",
	reach.Access:   "sample receiver: records sent to the privacy team",
	reach.OptOut:   "sample receiver: no longer sold or shared",
	reach.Limit:    "sample receiver: sensitive data limited",
	reach.Restrict: "sample receiver: processing restricted",
	reach.Object:   "sample receiver: direct marketing stopped",
}

// callBack answers the webhook m as done, signed with key under a new
// webhook-id, and returns the service's status.
func (s *SampleReceiver) callBack(key string, m reach.Message) (int, error) {
	body, err := json.Marshal(reach.Answer{Token: m.Data.Callback.Token, Outcome: reach.Done, Note: notes[m.Data.Action]})
	if err != nil {
		return 0, err
	}
	wh, err := standardwebhooks.NewWebhook(key)
	if err != nil {
		return 0, err
	}
	id, now := newMessageID(), time.Now()
	sig, err := wh.Sign(id, now, body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, m.Data.Callback.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(standardwebhooks.HeaderWebhookID, id)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

func newMessageID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "msg_" + hex.EncodeToString(b)
}

func (s *SampleReceiver) store(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.Received())
}

var receiverPage = template.Must(template.New("receiver").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Sample webhook receiver (local)</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}code{word-break:break-all}</style>
</head><body><h1>Sample webhook receiver</h1>
<p>Stands in for the company's systems reached by webhook. Each webhook's signature is checked with the system's secret;
the receiver answers 202 and then calls back that it acted{{if .Silent}} (<strong>silent here: it never calls back</strong>){{end}}.
Newest first; the page reloads every 5 seconds. JSON at <a href="/store">/store</a>.</p>
<table><tr><th>at</th><th>system</th><th>job</th><th>type</th><th>signature</th><th>callback</th></tr>
{{range .Received}}<tr><td>{{.At.Format "15:04:05"}}</td><td>{{.System}}</td><td><code>{{.JobID}}</code></td><td>{{.Type}}</td>
<td>{{if .Verified}}verified{{else}}does not match (refused){{end}}{{if .Repeat}}, repeat (ignored){{end}}</td>
<td>{{if .CallbackStatus}}HTTP {{.CallbackStatus}}{{else if .CallbackError}}failed{{else if .Verified}}{{if not .Repeat}}pending{{end}}{{end}}</td></tr>
{{else}}<tr><td colspan="6">No webhook yet: verify a deletion request and watch it arrive.</td></tr>{{end}}</table></body></html>`))

func (s *SampleReceiver) page(w http.ResponseWriter, _ *http.Request) {
	got := s.Received()
	for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
		got[i], got[j] = got[j], got[i]
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = receiverPage.Execute(w, struct {
		Silent   bool
		Received []ReceivedWebhook
	}{s.silent, got})
}

// Stop ends the receiver and any callback it has not made yet.
func (s *SampleReceiver) Stop() {
	if s == nil || s.server == nil {
		return
	}
	s.cancel()
	s.answering.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = s.server.Shutdown(ctx)
}
