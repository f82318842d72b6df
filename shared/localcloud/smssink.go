package localcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/smsinbound"
	"github.com/claritru/privacy/shared/topology"
)

// SMSSink stands in for AWS End User Messaging SMS on `make dev` and in the
// tests: it takes the notifier's SendTextMessage calls (the AWS JSON 1.0
// protocol the SDK speaks; the one operation the service uses) and keeps
// the texts for an inbox page and GET /store, and it delivers replies typed
// as the phone's owner (the page's box, POST /inbound) to the inbound
// function as the two-way SMS topic would: an SNS event to the same handler
// the Lambda runs.
type SMSSink struct {
	Endpoint string
	// ServiceNumber is the number texts come from and replies go to.
	ServiceNumber string

	mu      sync.Mutex
	texts   []SMSText
	replies []SMSReply
	inbound func(context.Context, events.SNSEvent) error
	server  *http.Server
	seq     int
}

// SMSText is one text the sink received from the service.
type SMSText struct {
	To   string    `json:"to"`
	Body string    `json:"body"`
	At   time.Time `json:"at"`
}

// SMSReply is one text sent to the service through the sink.
type SMSReply struct {
	From string    `json:"from"`
	Body string    `json:"body"`
	At   time.Time `json:"at"`
}

// smsStore is what GET /store answers.
type smsStore struct {
	Texts   []SMSText  `json:"texts"`
	Replies []SMSReply `json:"replies"`
}

// StartSMSSink listens on 127.0.0.1:port and serves until Stop.
func StartSMSSink(port int) (*SMSSink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("SMS sink: %w", err)
	}
	s := &SMSSink{Endpoint: "http://" + l.Addr().String(), ServiceNumber: "+12515550100"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", s.api)
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /store", s.store)
	mux.HandleFunc("POST /clear-store", s.clear)
	mux.HandleFunc("POST /inbound", s.inboundJSON)
	mux.HandleFunc("POST /reply", s.replyForm)
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(l) }()
	return s, nil
}

// Deliver sets the handler replies go to (the inbound function's).
func (s *SMSSink) Deliver(h func(context.Context, events.SNSEvent) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inbound = h
}

// Stop ends the sink.
func (s *SMSSink) Stop() {
	if s == nil || s.server == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = s.server.Shutdown(ctx)
}

// api answers the SMS API's operations; only SendTextMessage is known.
func (s *SMSSink) api(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "PinpointSMSVoiceV2.SendTextMessage" {
		awsError(w, "UnknownOperationException", "only SendTextMessage is served here")
		return
	}
	var in struct {
		DestinationPhoneNumber string
		MessageBody            string
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil || in.DestinationPhoneNumber == "" || in.MessageBody == "" {
		awsError(w, "ValidationException", "DestinationPhoneNumber and MessageBody are required")
		return
	}
	s.mu.Lock()
	s.texts = append(s.texts, SMSText{To: in.DestinationPhoneNumber, Body: in.MessageBody, At: time.Now().UTC()})
	s.seq++
	id := fmt.Sprintf("local-sms-%d", s.seq)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": id})
}

func awsError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "Message": msg})
}

func (s *SMSSink) store(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	st := smsStore{Texts: append([]SMSText{}, s.texts...), Replies: append([]SMSReply{}, s.replies...)}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

func (s *SMSSink) clear(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.texts, s.replies = nil, nil
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// sameSite refuses a request another web page's script or form sent: a page
// open in the developer's browser could otherwise post STOP or START to
// the sink on 127.0.0.1. A browser names the page's origin; curl and the
// tests send none.
func (s *SMSSink) sameSite(w http.ResponseWriter, r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	self, _ := url.Parse(s.Endpoint)
	if err != nil || u.Port() != self.Port() || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		http.Error(w, "cross-site request refused", http.StatusForbidden)
		return false
	}
	return true
}

// inboundJSON takes {"from": "+1...", "body": "STOP"} as application/json
// (which a cross-site form cannot send).
func (s *SMSSink) inboundJSON(w http.ResponseWriter, r *http.Request) {
	if !s.sameSite(w, r) {
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		http.Error(w, "send application/json", http.StatusUnsupportedMediaType)
		return
	}
	var in struct {
		From string `json:"from"`
		Body string `json:"body"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil || in.From == "" {
		http.Error(w, `give {"from": "+1...", "body": "..."}`, http.StatusBadRequest)
		return
	}
	if err := s.Reply(r.Context(), in.From, in.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// replyForm is the inbox page's reply box.
func (s *SMSSink) replyForm(w http.ResponseWriter, r *http.Request) {
	if !s.sameSite(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if err := s.Reply(r.Context(), r.PostForm.Get("from"), r.PostForm.Get("body")); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// Reply delivers a text from a phone to the service, as End User Messaging
// publishes it to the two-way SMS topic.
func (s *SMSSink) Reply(ctx context.Context, from, body string) error {
	s.mu.Lock()
	h := s.inbound
	s.seq++
	id := fmt.Sprintf("local-inbound-%d", s.seq)
	s.replies = append(s.replies, SMSReply{From: from, Body: body, At: time.Now().UTC()})
	s.mu.Unlock()
	if h == nil {
		return fmt.Errorf("no function takes replies")
	}
	msg, err := json.Marshal(smsinbound.Message{
		OriginationNumber: from, DestinationNumber: s.ServiceNumber, MessageBody: body, InboundMessageID: id,
	})
	if err != nil {
		return err
	}
	return h(ctx, events.SNSEvent{Records: []events.SNSEventRecord{{
		EventSource: "aws:sns", EventVersion: "1.0",
		SNS: events.SNSEntity{
			Type: "Notification", MessageID: id, Message: string(msg), Timestamp: time.Now().UTC(),
			TopicArn: "arn:aws:sns:us-east-1:000000000000:" + topology.TopicSMSInbound,
		},
	}}})
}

var smsPage = template.Must(template.New("").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SMS inbox (local)</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}
li{margin:.5rem 0}.to{color:#555}.in{color:#064}form{margin:1rem 0;display:flex;gap:.5rem;flex-wrap:wrap}</style></head>
<body><h1>SMS inbox</h1>
<p>Texts the service sent, newest first, and replies typed here as the phone's owner (delivered to the
inbound function as the two-way SMS topic would).</p>
<form method="post" action="/reply">
<label>From <input name="from" value="{{.From}}" placeholder="+14155550123" required></label>
<label>Text <input name="body" placeholder="STOP" required></label>
<button type="submit">Reply</button></form>
<ul>{{range .Items}}<li><span class="{{if .In}}in{{else}}to{{end}}">{{.At.Format "15:04:05"}} {{if .In}}from {{.Who}}{{else}}to {{.Who}}{{end}}</span><br>{{.Body}}</li>
{{else}}<li>No texts yet.</li>{{end}}</ul>
</body></html>`))

func (s *SMSSink) page(w http.ResponseWriter, _ *http.Request) {
	type item struct {
		At        time.Time
		Who, Body string
		In        bool
	}
	s.mu.Lock()
	var items []item
	for _, t := range s.texts {
		items = append(items, item{t.At, t.To, t.Body, false})
	}
	for _, r := range s.replies {
		items = append(items, item{r.At, r.From, r.Body, true})
	}
	s.mu.Unlock()
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].At.After(items[j-1].At); j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
	from := ""
	for _, it := range items {
		if !it.In {
			from = it.Who
			break
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = smsPage.Execute(w, struct {
		From  string
		Items []item
	}{from, items})
}

// Texts returns every text the SMS sink at endpoint has received.
func Texts(endpoint string) ([]SMSText, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(endpoint + "/store")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("SMS sink store: status %d", resp.StatusCode)
	}
	var st smsStore
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, err
	}
	return st.Texts, nil
}
