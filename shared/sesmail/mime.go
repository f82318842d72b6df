package sesmail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/mail"
)

// errHeader is a value that cannot go into a header as it is (a line
// break, or an address that is not plain ASCII): SES would refuse the mail,
// or a line break would let the value add headers of its own.
var errHeader = errors.New("a header value is not a plain single-line ASCII address")

// Raw builds the MIME message (RFC 5322, RFC 2045-2049) of a rendered mail:
// multipart/alternative with the text and the HTML part, both UTF-8 and
// quoted-printable, the subject encoded per RFC 2047 when it is not ASCII,
// and, for a mail that carries an unsubscribe URL, List-Unsubscribe (RFC
// 2369) and List-Unsubscribe-Post (RFC 8058) so that mailbox providers can
// offer one-click unsubscribe.
func Raw(from, to string, m mail.Message, now time.Time) ([]byte, error) {
	for _, a := range []string{from, to} {
		if !plainAddress(a) {
			return nil, errHeader
		}
	}
	if strings.ContainsAny(m.Subject, "\r\n") || strings.ContainsAny(m.Unsubscribe, "\r\n<>, ") {
		return nil, errHeader
	}
	var body bytes.Buffer
	parts := multipart.NewWriter(&body)
	for _, p := range []struct{ kind, content string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := parts.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.kind + "; charset=UTF-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(p.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := parts.Close(); err != nil {
		return nil, err
	}
	id, err := messageID(from)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	header := [][2]string{
		{"From", from},
		{"To", to},
		{"Subject", mime.QEncoding.Encode("UTF-8", m.Subject)},
		{"Date", now.UTC().Format(time.RFC1123Z)},
		{"Message-ID", id},
		{"MIME-Version", "1.0"},
	}
	if m.Unsubscribe != "" {
		header = append(header,
			[2]string{"List-Unsubscribe", "<" + m.Unsubscribe + ">"},
			[2]string{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"})
	}
	// Folded (RFC 5322 §2.2.3): the boundary alone is 60 characters.
	header = append(header, [2]string{"Content-Type", "multipart/alternative;\r\n boundary=\"" + parts.Boundary() + "\""})
	for _, h := range header {
		fmt.Fprintf(&out, "%s: %s\r\n", h[0], h[1])
	}
	out.WriteString("\r\n")
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

// plainAddress reports whether s is one bare ASCII address: SES v1 takes
// no other in a raw message's From and To.
func plainAddress(s string) bool {
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	a, err := netmail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// messageID makes a Message-ID (RFC 5322 §3.6.4) in the sender's domain;
// SES may replace it with its own.
func messageID(from string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	_, domain, _ := strings.Cut(from, "@")
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">", nil
}
