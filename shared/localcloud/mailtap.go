package localcloud

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/mail"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// MailTap stands between the functions and the SES stand-in: the stand-in
// parses each raw message and keeps neither it nor its headers, so the tap
// keeps, for each SendRawEmail passing through, the headers a mailbox
// provider reads (List-Unsubscribe and List-Unsubscribe-Post among them),
// and forwards the call unchanged. Its page lists them; GET /store gives
// them as JSON. It also stands in for the configuration set's event
// publishing: mail the stand-in accepted for an SES mailbox simulator
// address (bounce@simulator.amazonses.com...) is followed by the event
// SES would publish, delivered to the inbound function as the mail events
// topic would (mailevents.go).
type MailTap struct {
	Endpoint string

	mu      sync.Mutex
	mails   []TappedMail
	server  *http.Server
	events  func(context.Context, events.SNSEvent) error
	seq     int
	pending sync.WaitGroup
}

// TappedMail is the header of one raw message as it was sent.
type TappedMail struct {
	At      time.Time           `json:"at"`
	To      string              `json:"to"`
	Subject string              `json:"subject"`
	Headers map[string][]string `json:"headers"`
}

// StartMailTap listens on 127.0.0.1:port (0 picks a free one) and forwards
// to the stand-in at target.
func StartMailTap(port int, target string) (*MailTap, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("mail tap: %w", err)
	}
	t := &MailTap{Endpoint: "http://" + l.Addr().String()}
	proxy := httputil.NewSingleHostReverseProxy(u)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		t.keep(body)
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		c := &capture{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(c, r)
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") == "SendRawEmail" && c.status == http.StatusOK {
			t.simulate(form, c.body.Bytes())
		}
	})
	mux.HandleFunc("GET /store", t.store)
	mux.HandleFunc("GET /{$}", t.page)
	t.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = t.server.Serve(l) }()
	return t, nil
}

// keep records the headers of a SendRawEmail call's message.
func (t *MailTap) keep(body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != "SendRawEmail" {
		return
	}
	raw, err := base64.StdEncoding.DecodeString(form.Get("RawMessage.Data"))
	if err != nil {
		return
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		subject = m.Header.Get("Subject")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mails = append(t.mails, TappedMail{At: time.Now().UTC(), To: m.Header.Get("To"), Subject: subject, Headers: m.Header})
}

// Mails returns the headers kept so far, oldest first.
func (t *MailTap) Mails() []TappedMail {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]TappedMail(nil), t.mails...)
}

func (t *MailTap) store(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(t.Mails())
}

var tapPage = template.Must(template.New("tap").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mail headers (local)</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}code{word-break:break-all}</style>
</head><body><h1>Mail headers</h1>
<p>The headers of every mail the service sent, as it sent them (the SES stand-in's inbox shows the mails but keeps no headers).</p>
<table><tr><th>at</th><th>to</th><th>subject</th><th>List-Unsubscribe</th><th>List-Unsubscribe-Post</th></tr>
{{range .}}<tr><td>{{.At.Format "15:04:05"}}</td><td>{{.To}}</td><td>{{.Subject}}</td><td><code>{{index .Headers "List-Unsubscribe"}}</code></td><td><code>{{index .Headers "List-Unsubscribe-Post"}}</code></td></tr>
{{else}}<tr><td colspan="5">No mail yet.</td></tr>{{end}}</table></body></html>`))

func (t *MailTap) page(w http.ResponseWriter, _ *http.Request) {
	mails := t.Mails()
	for i, j := 0, len(mails)-1; i < j; i, j = i+1, j-1 {
		mails[i], mails[j] = mails[j], mails[i]
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = tapPage.Execute(w, mails)
}

// Stop ends the tap, once the events it is delivering are delivered.
func (t *MailTap) Stop() {
	if t != nil && t.server != nil {
		_ = t.server.Close()
		t.pending.Wait()
	}
}
