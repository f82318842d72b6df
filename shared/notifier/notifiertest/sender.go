package notifiertest

import (
	"context"
	"fmt"
	"sync"

	"github.com/claritru/privacy/shared/mail"
)

// Delivery is one mail the fake sender delivered.
type Delivery struct {
	To        string
	Message   mail.Message
	MessageID string
}

// Sender is an in-memory notifier.Sender: it delivers every mail unless told
// to fail, and records what it delivered. It is safe for concurrent use; the
// zero value delivers.
type Sender struct {
	// OnSend, when set, is called at the start of every Send, outside the
	// sender's lock: a test can act there while a mail is being sent, as
	// another invocation would.
	OnSend func(ctx context.Context, to string)

	mu        sync.Mutex
	delivered []Delivery
	fail      error
	failNext  []error
	attempts  int
}

// FailWith makes every Send fail with err, delivering nothing, until it is
// called again with nil.
func (s *Sender) FailWith(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// FailNext makes the next len(errs) sends fail with these errors in turn; a
// nil entry lets that send through.
func (s *Sender) FailNext(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, errs...)
}

// Send implements notifier.Sender.
func (s *Sender) Send(ctx context.Context, to string, m mail.Message) (string, error) {
	if s.OnSend != nil {
		s.OnSend(ctx, to)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if len(s.failNext) > 0 {
		err := s.failNext[0]
		s.failNext = s.failNext[1:]
		if err != nil {
			return "", err
		}
	} else if s.fail != nil {
		return "", s.fail
	}
	id := fmt.Sprintf("message-%d", len(s.delivered)+1)
	s.delivered = append(s.delivered, Delivery{To: to, Message: m, MessageID: id})
	return id, nil
}

// Delivered returns every mail delivered, in order.
func (s *Sender) Delivered() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.delivered...)
}

// To returns the mails delivered to one address, in order.
func (s *Sender) To(addr string) []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Delivery
	for _, d := range s.delivered {
		if d.To == addr {
			out = append(out, d)
		}
	}
	return out
}

// Attempts counts the calls of Send, failed ones included.
func (s *Sender) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// SendText implements notifier.TextSender: the text is delivered as a
// message whose Text is the body, and fails like Send.
func (s *Sender) SendText(ctx context.Context, to, body string) (string, error) {
	return s.Send(ctx, to, mail.Message{Text: body})
}
