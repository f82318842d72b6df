package sesmail_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/sesmail"
)

// capture is an SES endpoint that keeps the form of every call.
func capture(t *testing.T) (string, *[]map[string]string) {
	t.Helper()
	var calls []map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		call := map[string]string{}
		for k := range r.Form {
			call[k] = r.Form.Get(k)
		}
		calls = append(calls, call)
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<SendRawEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendRawEmailResult><MessageId>m-2</MessageId></SendRawEmailResult></SendRawEmailResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &calls
}

func sender(endpoint string, now time.Time) *sesmail.Sender {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""), RetryMaxAttempts: 1}
	s := sesmail.NewSender(sesmail.Client(cfg, endpoint), "privacy@claritru.example")
	s.Now = func() time.Time { return now }
	return s
}

// TestSendRawMIME: the mail reaches SES as SendRawEmail with a MIME message
// a mail reader parses: the addresses, the date, a Message-ID, the subject
// decoded from RFC 2047, the one-click unsubscribe headers, and a text and
// an HTML part that decode to what was rendered, non-ASCII and long lines
// included.
func TestSendRawMIME(t *testing.T) {
	endpoint, calls := capture(t)
	now := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	unsub := "https://api.claritru.example/v1/unsubscribe?token=AbC_-1"
	long := strings.Repeat("Zoë ", 40) + "=end"
	msg := mail.Message{
		Subject: "Your consent receipt — Zoë", Text: "Hello Zoë,\n" + long + "\n",
		HTML: "<p>Hello Zoë,</p>\n<p>" + long + "</p>", Unsubscribe: unsub,
	}
	id, err := sender(endpoint, now).Send(context.Background(), "ada@example.com", msg)
	if err != nil || id != "m-2" {
		t.Fatalf("Send = %q, %v", id, err)
	}
	if len(*calls) != 1 {
		t.Fatalf("%d calls, want 1", len(*calls))
	}
	c := (*calls)[0]
	if c["Action"] != "SendRawEmail" || c["Source"] != "privacy@claritru.example" || c["Destinations.member.1"] != "ada@example.com" {
		t.Fatalf("call %v", c)
	}
	raw, err := base64.StdEncoding.DecodeString(c["RawMessage.Data"])
	if err != nil {
		t.Fatal(err)
	}
	m, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != msg.Subject {
		t.Errorf("subject %q (%v), want %q", subject, err, msg.Subject)
	}
	if strings.ContainsFunc(m.Header.Get("Subject"), func(r rune) bool { return r > 0x7e }) {
		t.Errorf("subject header is not encoded: %q", m.Header.Get("Subject"))
	}
	date, err := m.Header.Date()
	if err != nil || !date.Equal(now) {
		t.Errorf("Date %v (%v), want %v", date, err, now)
	}
	want := map[string]string{
		"From": "privacy@claritru.example", "To": "ada@example.com", "MIME-Version": "1.0",
		"List-Unsubscribe": "<" + unsub + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
	for k, v := range want {
		if got := m.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if id := m.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@claritru.example>") {
		t.Errorf("Message-ID %q", id)
	}
	parts := readParts(t, m)
	if parts["text/plain"] != strings.ReplaceAll(msg.Text, "\n", "\r\n") || parts["text/html"] != strings.ReplaceAll(msg.HTML, "\n", "\r\n") {
		t.Errorf("parts %q, want the rendered text and HTML", parts)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line longer than 78 characters (RFC 5322 §2.1.1): %q", line)
		}
	}
}

// readParts decodes the parts of a multipart/alternative message by type.
func readParts(t *testing.T, m *netmail.Message) map[string]string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v)", m.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, pp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if pp["charset"] != "UTF-8" {
			t.Errorf("%s part charset %q", pt, pp["charset"])
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		out[pt] = string(b)
	}
	if len(out) != 2 {
		t.Fatalf("parts %v, want text and HTML", out)
	}
	return out
}

// TestSendRawWithoutUnsubscribe: a mail that is not about marketing consent
// carries no List-Unsubscribe header.
func TestSendRawWithoutUnsubscribe(t *testing.T) {
	endpoint, calls := capture(t)
	if _, err := sender(endpoint, time.Now()).Send(context.Background(), "ada@example.com", mail.Message{Subject: "S", Text: "T", HTML: "<p>T</p>"}); err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString((*calls)[0]["RawMessage.Data"])
	m, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("List-Unsubscribe") != "" || m.Header.Get("List-Unsubscribe-Post") != "" {
		t.Errorf("headers %v carry an unsubscribe", m.Header)
	}
}

// TestSendRawRefusesHeaderInjection: an address or URL that would break
// a header line is refused for good before any call to SES.
func TestSendRawRefusesHeaderInjection(t *testing.T) {
	endpoint, calls := capture(t)
	s := sender(endpoint, time.Now())
	for _, tc := range []struct {
		to string
		m  mail.Message
	}{
		{"ada@example.com\r\nBcc: eve@example.com", mail.Message{Subject: "S"}},
		{"José@example.com", mail.Message{Subject: "S"}},
		{"Ada <ada@example.com>", mail.Message{Subject: "S"}},
		{"ada@example.com", mail.Message{Subject: "S\r\nBcc: eve@example.com"}},
		{"ada@example.com", mail.Message{Subject: "S", Unsubscribe: "https://x.example/>\r\nBcc: eve@example.com"}},
	} {
		if _, err := s.Send(context.Background(), tc.to, tc.m); err == nil {
			t.Errorf("Send(%q, %q) sent", tc.to, tc.m.Subject)
		}
	}
	if len(*calls) != 0 {
		t.Errorf("%d calls reached SES", len(*calls))
	}
}

// TestSendNamesTheConfigurationSet: with a configuration set, every call
// names it, so SES publishes the mail's bounces and complaints; without
// one, none is named.
func TestSendNamesTheConfigurationSet(t *testing.T) {
	endpoint, calls := capture(t)
	s := sender(endpoint, time.Now())
	msg := mail.Message{Subject: "s", Text: "t"}
	if _, err := s.Send(context.Background(), "ada@example.com", msg); err != nil {
		t.Fatal(err)
	}
	s.ConfigurationSet = "claritru-mail"
	if _, err := s.Send(context.Background(), "ada@example.com", msg); err != nil {
		t.Fatal(err)
	}
	if len(*calls) != 2 {
		t.Fatalf("%d calls", len(*calls))
	}
	if got := (*calls)[0]["ConfigurationSetName"]; got != "" {
		t.Errorf("without a configuration set the call names %q", got)
	}
	if got := (*calls)[1]["ConfigurationSetName"]; got != "claritru-mail" {
		t.Errorf("the call names configuration set %q, want claritru-mail", got)
	}
}
