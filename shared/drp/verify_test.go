package drp

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/fault"
)

// sign is what libsodium's crypto_sign (combined mode) and PyNaCl's
// SigningKey.sign do, followed by base64: the 64-byte signature, then
// the message. Written from the protocol's description, not the verifier.
func sign(priv ed25519.PrivateKey, msg []byte) []byte {
	combined := append(ed25519.Sign(priv, msg), msg...)
	return []byte(base64.StdEncoding.EncodeToString(combined))
}

func newKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestOpenAcceptsCombinedModeAndRefusesTampering(t *testing.T) {
	pub, priv := newKey(t)
	otherPub, _ := newKey(t)
	msg := []byte(`{"agent-id":"AA","business-id":"CLARITRU"}`)
	body := sign(priv, msg)

	got, err := Open(pub, body)
	if err != nil || string(got) != string(msg) {
		t.Fatalf("Open = %q, %v; want the message", got, err)
	}
	// A trailing newline, as a client may add, is allowed.
	if _, err := Open(pub, append(body, '\n')); err != nil {
		t.Fatalf("trailing newline: %v", err)
	}

	raw, _ := base64.StdEncoding.DecodeString(string(body))
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-2] ^= 0x01 // a byte of the JSON
	sigFlipped := append([]byte(nil), raw...)
	sigFlipped[3] ^= 0x80
	cases := map[string][]byte{
		"another agent's key": nil,
		"message changed":     []byte(base64.StdEncoding.EncodeToString(flipped)),
		"signature changed":   []byte(base64.StdEncoding.EncodeToString(sigFlipped)),
		"not base64":          []byte("%%%not base64%%%"),
		"too short":           []byte(base64.StdEncoding.EncodeToString(raw[:63])),
		"plain JSON":          msg,
		"empty":               nil,
	}
	for name, b := range cases {
		key := pub
		if name == "another agent's key" {
			key, b = otherPub, body
		}
		if _, err := Open(key, b); fault.KindOf(err) != fault.Unauthorized {
			t.Errorf("%s: err = %v, want a refusal", name, err)
		}
	}
}

func claimsAt(issued, expires string) Claims {
	return Claims{AgentID: "AA", BusinessID: "CLARITRU", IssuedAt: issued, ExpiresAt: expires}
}

func TestCheckClaimsInTheProtocolsOrder(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	iso := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	// The reference agent's own format: isoformat(timespec='milliseconds').
	py := func(d time.Duration) string { return now.Add(d).Format("2006-01-02T15:04:05.000") + "+00:00" }

	w, err := claimsAt(py(-time.Minute), py(14*time.Minute)).Check("AA", "CLARITRU", now)
	if err != nil || !w.ExpiresAt.Equal(now.Add(14*time.Minute)) {
		t.Fatalf("a fresh message: %v, %v", w, err)
	}
	refused := map[string]Claims{
		"another agent":        {AgentID: "BB", BusinessID: "CLARITRU", IssuedAt: iso(0), ExpiresAt: iso(time.Minute)},
		"another business":     {AgentID: "AA", BusinessID: "OTHER", IssuedAt: iso(0), ExpiresAt: iso(time.Minute)},
		"expired":              claimsAt(iso(-20*time.Minute), iso(-time.Second)),
		"expiring now":         claimsAt(iso(-time.Minute), iso(0)),
		"issued in the future": claimsAt(iso(5*time.Minute), iso(10*time.Minute)),
		"window over an hour":  claimsAt(iso(0), iso(61*time.Minute)),
		"no issued-at":         claimsAt("", iso(time.Minute)),
		"unreadable expiry":    claimsAt(iso(0), "tomorrow"),
	}
	for name, c := range refused {
		if _, err := c.Check("AA", "CLARITRU", now); fault.KindOf(err) != fault.Unauthorized {
			t.Errorf("%s: err = %v, want a refusal", name, err)
		}
	}
	// A clock a little fast is not a message from the future.
	if _, err := claimsAt(iso(30*time.Second), iso(5*time.Minute)).Check("AA", "CLARITRU", now); err != nil {
		t.Errorf("30 s of skew: %v", err)
	}
}

func TestParseTimeForms(t *testing.T) {
	want := time.Date(2026, 11, 30, 20, 1, 2, 345_000_000, time.UTC)
	for _, s := range []string{
		"2026-11-30T20:01:02.345Z", "2026-11-30T20:01:02.345+00:00", "2026-11-30T12:01:02.345-08:00",
		"2026-11-30T20:01:02.345+0000", "2026-11-30T20:01:02.345",
	} {
		got, err := ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v", s, got, err)
		}
	}
}

func TestRegisterTakesBase64AndHexKeys(t *testing.T) {
	pub, _ := newKey(t)
	extra := fmt.Sprintf(`[{"id":"TEST_AGENT","name":"Test agent","verify_key":%q},{"id":"HEX_AGENT","verify_key":%q}]`,
		base64.StdEncoding.EncodeToString(pub), hex.EncodeToString(pub))
	r, err := LoadRegister(extra)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"TEST_AGENT", "HEX_AGENT"} {
		a, ok := r.Agent(id)
		if !ok || !a.Key().Equal(pub) {
			t.Errorf("%s: %v %x", id, ok, a.Key())
		}
	}
	if _, ok := r.Agent("NOBODY"); ok {
		t.Error("an unknown agent is in the register")
	}
	for name, doc := range map[string]string{
		"short key":  `[{"id":"A","verify_key":"AAAA"}]`,
		"bad id":     fmt.Sprintf(`[{"id":"a b","verify_key":%q}]`, hex.EncodeToString(pub)),
		"twice":      fmt.Sprintf(`[{"id":"A","verify_key":%q},{"id":"A","verify_key":%q}]`, hex.EncodeToString(pub), hex.EncodeToString(pub)),
		"not a list": `{"id":"A"}`,
	} {
		if _, err := LoadRegister(doc); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

func TestRegisterRedirectOrigins(t *testing.T) {
	pub, _ := newKey(t)
	key := hex.EncodeToString(pub)
	r, err := LoadRegister(fmt.Sprintf(`[{"id":"A","verify_key":%q,
		"redirect_origins":["https://Agent.Example/","https://agent.example:8443","http://127.0.0.1:9000"]},
		{"id":"B","verify_key":%q}]`, key, key))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := r.Agent("A")
	want := []string{"https://agent.example", "https://agent.example:8443", "http://127.0.0.1:9000"}
	if fmt.Sprint(a.RedirectOrigins) != fmt.Sprint(want) {
		t.Errorf("origins %v, want %v", a.RedirectOrigins, want)
	}
	// A request records the loopback origin only where the service itself
	// runs on http.
	if got := a.returnOrigins(false); fmt.Sprint(got) != fmt.Sprint(want[:2]) {
		t.Errorf("origins recorded in AWS: %v", got)
	}
	if got := a.returnOrigins(true); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("origins recorded locally: %v", got)
	}
	if b, _ := r.Agent("B"); len(b.returnOrigins(true)) != 0 {
		t.Errorf("an agent without origins has %v", b.RedirectOrigins)
	}
	for _, o := range []string{"https://agent.example/back", "https://agent.example?x", "https://agent.example/#f",
		"http://agent.example", "agent.example", "https://user@agent.example", ""} {
		doc := fmt.Sprintf(`[{"id":"A","verify_key":%q,"redirect_origins":[%q]}]`, key, o)
		if _, err := LoadRegister(doc); err == nil {
			t.Errorf("redirect origin %q loaded", o)
		}
	}
}

func TestCheckCallback(t *testing.T) {
	for raw, loopback := range map[string]bool{
		"https://agent.example/cb": false, "http://127.0.0.1:9/cb": true, "http://localhost:8/x": true, "": false,
	} {
		if err := CheckCallback(raw, loopback); err != nil {
			t.Errorf("%q (loopback %v): %v", raw, loopback, err)
		}
	}
	for raw, loopback := range map[string]bool{
		"http://127.0.0.1:9/cb": false, "http://agent.example/cb": true, "ftp://x/": true,
		"https://user@agent.example/": false, "/relative": true,
	} {
		if err := CheckCallback(raw, loopback); fault.KindOf(err) != fault.Invalid {
			t.Errorf("%q (loopback %v): err = %v, want refused", raw, loopback, err)
		}
	}
}

func TestSplitName(t *testing.T) {
	for in, want := range map[string][2]string{
		"Lovelace, Ada": {"Ada", "Lovelace"}, "Ada King Lovelace": {"Ada King", "Lovelace"}, "Ada": {"Ada", ""},
	} {
		if f, l := splitName(in); f != want[0] || l != want[1] {
			t.Errorf("splitName(%q) = %q, %q", in, f, l)
		}
	}
}

// FuzzOpen feeds the signed-body parser arbitrary bodies and claims: it
// never panics, never accepts a body that is not the key's signature of
// the message it returns, and reads any message it accepts as claims or
// refuses it.
func FuzzOpen(f *testing.F) {
	pub, priv := newKey(f)
	f.Add(sign(priv, []byte(`{"agent-id":"AA","business-id":"CLARITRU","issued-at":"2026-01-01T00:00:00Z","expires-at":"2026-01-01T00:10:00Z"}`)))
	f.Add([]byte("AAAA"))
	f.Add([]byte(""))
	f.Add([]byte(strings.Repeat("A", 88)))
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, err := Open(pub, body)
		if err != nil {
			if fault.KindOf(err) != fault.Unauthorized {
				t.Fatalf("refusal of another kind: %v", err)
			}
			return
		}
		text := strings.TrimSpace(string(body))
		raw, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			raw, _ = base64.URLEncoding.DecodeString(text)
		}
		if len(raw) < 64 || !ed25519.Verify(pub, msg, raw[:64]) {
			t.Fatalf("accepted a body that is not a signature of %q", msg)
		}
		var anyJSON any
		if _, err := ParseClaims(msg); err == nil && json.Unmarshal(msg, &anyJSON) != nil {
			t.Fatal("claims read from a message that is not JSON")
		}
	})
}
