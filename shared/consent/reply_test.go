package consent

import (
	"testing"

	"github.com/claritru/privacy/shared/ledger"
)

func TestParseKeyword(t *testing.T) {
	cases := map[string]Keyword{
		// Each stop word, in any case and with words around it.
		"STOP": Stop, "stop": Stop, "Stop": Stop, "STOPALL": Stop, "stopall": Stop,
		"UNSUBSCRIBE": Stop, "unsubscribe": Stop, "CANCEL": Stop, "cancel": Stop, "END": Stop, "end": Stop,
		"QUIT": Stop, "quit": Stop, "REVOKE": Stop, "revoke": Stop, "OPTOUT": Stop, "OptOut": Stop,
		"please STOP texting me": Stop, "  stop.  ": Stop, "STOP!!!": Stop, "I want to cancel, thanks": Stop,
		"please end these": Stop, "yes stop": Stop, "help me stop this": Stop, "Stop\nplease": Stop,
		// HELP.
		"HELP": Help, "help": Help, "Help?": Help, "I need help": Help,
		// START and its variants.
		"START": Start, "start": Start, "UNSTOP": Start, "unstop": Start, "YES": Start, "yes": Start,
		"Yes please": Start, "start again": Start,
		// Junk and near misses.
		"": NoKeyword, "hello": NoKeyword, "weekend": NoKeyword, "stopping by later": NoKeyword,
		"helpful, thanks": NoKeyword, "restart": NoKeyword, "yesterday": NoKeyword, "12345": NoKeyword,
		"😀": NoKeyword, "st op": NoKeyword,
	}
	for body, want := range cases {
		if got := ParseKeyword(body); got != want {
			t.Errorf("ParseKeyword(%q) = %q, want %q", body, got, want)
		}
	}
}

// START restores only what the number itself agreed to.
func TestConfirmedBefore(t *testing.T) {
	ev := func(kind, purpose, status, keyword string) ledger.Event {
		f := map[string]string{"purpose": purpose, "status": status}
		if keyword != "" {
			f["keyword"] = keyword
		}
		return ledger.Event{Kind: kind, Fields: f}
	}
	cases := []struct {
		name   string
		events []ledger.Event
		want   []Purpose
	}{
		{"nothing", nil, nil},
		{"a typed grant never confirmed", []ledger.Event{ev(EventKind, "sms_marketing", "pending", "")}, nil},
		{"confirmed by code", []ledger.Event{ev(EventKind, "sms_marketing", "pending", ""), ev(ConfirmedKind, "sms_marketing", "granted", "")}, []Purpose{SMSMarketing}},
		{"account texts granted", []ledger.Event{ev(EventKind, "sms_transactional", "granted", "")}, []Purpose{SMSTransactional}},
		{"account texts refused", []ledger.Event{ev(EventKind, "sms_transactional", "withdrawn", "")}, nil},
		{"email confirmed", []ledger.Event{ev(ConfirmedKind, "email_marketing", "granted", "")}, nil},
	}
	for _, c := range cases {
		got := ConfirmedBefore(c.events)
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
	}
}
