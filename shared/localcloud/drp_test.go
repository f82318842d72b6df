package localcloud_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/localcloud"
)

// testAgent is an authorized agent as the Data Rights Protocol's reference
// agent (OSIRAA) behaves: its own Ed25519 key, messages signed in
// libsodium's combined mode and sent base64 as text/plain, timestamps in
// Python's isoformat, the bearer token it set up.
type testAgent struct {
	id    string
	priv  ed25519.PrivateKey
	token string
}

func newTestAgent(t *testing.T, id string) *testAgent {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &testAgent{id: id, priv: priv}
}

// entry is the agent's entry of DRP_AGENTS, its verify key in base64 as
// the directory gives it.
func (a *testAgent) entry() string {
	pub := a.priv.Public().(ed25519.PublicKey)
	return fmt.Sprintf(`{"id":%q,"name":"Test agent %s","verify_key":%q}`, a.id, a.id, base64.StdEncoding.EncodeToString(pub))
}

// sign is libsodium's crypto_sign (signature, then message), base64.
func (a *testAgent) sign(claims map[string]any) string {
	msg, _ := json.Marshal(claims)
	return base64.StdEncoding.EncodeToString(append(ed25519.Sign(a.priv, msg), msg...))
}

// pyTime is Python's isoformat(timespec='milliseconds') of a UTC time.
func pyTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000") + "+00:00" }

// claims are the first group of a message, valid for 15 minutes from now
// (the reference agent's window), plus more.
func (a *testAgent) claims(more map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{"agent-id": a.id, "business-id": "CLARITRU", "issued-at": pyTime(now),
		"expires-at": pyTime(now.Add(15 * time.Minute)), "drp.version": "0.9.4"}
	for k, v := range more {
		c[k] = v
	}
	return c
}

// callbackReceiver is the agent's status callback endpoint.
type callbackReceiver struct {
	mu     sync.Mutex
	bodies []map[string]any
	srv    *httptest.Server
}

func newCallbackReceiver(t *testing.T) *callbackReceiver {
	r := &callbackReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var m map[string]any
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &m) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, m)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// wait returns the first callback of the request with the status.
func (r *callbackReceiver) wait(t *testing.T, requestID, status string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, b := range r.bodies {
			if b["request_id"] == requestID && b["status"] == status {
				r.mu.Unlock()
				return b
			}
		}
		r.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Fatalf("no %s callback for %s; got %v", status, requestID, r.bodies)
	return nil
}

// TestDataRightsProtocolAgent is an authorized agent's whole story through
// the local gateway, DynamoDB Local, the stream and the SES stand-in: key
// setup, an opt-out fulfilled at once, a deletion on its 45-day clock that
// the person confirms and staff complete (the agent's callback receiver
// gets in_progress, then fulfilled), a revoke, and the refusals.
func TestDataRightsProtocolAgent(t *testing.T) {
	agent, other := newTestAgent(t, "TEST_AGENT"), newTestAgent(t, "OTHER_AGENT")
	l := startLocal(t, func(o *localcloud.Options) {
		o.DRPAgents = "[" + agent.entry() + "," + other.entry() + "]"
	})
	const text = "text/plain"
	drp := func(method, path, token, body string, want int) map[string]any {
		t.Helper()
		var hdr []string
		if token != "" {
			hdr = []string{"Authorization", "Bearer " + token}
		}
		ct := ""
		if body != "" {
			ct = text
		}
		resp, out := l.do(method, path, ct, "application/json", body, hdr...)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, out, want)
		}
		var m map[string]any
		if out != "" && json.Unmarshal([]byte(out), &m) != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, out)
		}
		return m
	}

	// Pair-wise key setup: each agent gets a token for itself.
	for _, a := range []*testAgent{agent, other} {
		got := drp("POST", "/v1/agent/"+a.id, "", a.sign(a.claims(nil)), 200)
		a.token, _ = got["token"].(string)
		if got["agent-id"] != a.id || len(a.token) < 43 {
			t.Fatalf("setup of %s: %v", a.id, got)
		}
	}
	drp("GET", "/v1/agent/"+agent.id, agent.token, "", 200)
	drp("GET", "/v1/agent/"+agent.id, other.token, "", 403)

	// sale:opt_out is fulfilled at once, and the person is opted out.
	optOut := agent.sign(agent.claims(map[string]any{"exercise": "sale:opt_out", "regime": "ccpa",
		"name": "Lovelace, Ada", "email": "ada.drp@example.com", "email_verified": true}))
	st := drp("POST", "/v1/data-rights-request", agent.token, optOut, 200)
	if st["status"] != "fulfilled" || st["request_id"] == "" {
		t.Fatalf("opt-out: %v", st)
	}
	var ans adminapi.ConsentAnswer
	if err := json.Unmarshal([]byte(l.staff(t, "GET", "/v1/admin/consents/check?email=ada.drp%40example.com&purpose=ad_audiences", "", 200)), &ans); err != nil || ans.Allowed {
		t.Fatalf("ad audiences after the agent's opt-out: %+v %v, want refused", ans, err)
	}

	// deletion: in progress on its 45-day clock until the person confirms.
	cb := newCallbackReceiver(t)
	delMsg := agent.sign(agent.claims(map[string]any{
		"exercise": "deletion", "regime": "ccpa", "agent-request-id": "agent-ref-7", "status_callback": cb.srv.URL + "/status",
		"name": "Ada Lovelace", "email": "ada.del@example.com", "email_verified": true,
		"address": map[string]any{"region": "CA", "country": "US"},
	}))
	del := drp("POST", "/v1/data-rights-request", agent.token, delMsg, 200)
	id, _ := del["request_id"].(string)
	// A failure that hid a write releases the message's replay mark; the
	// agent's resend then answers the request made, not a second one.
	releaseReplayMark(t, l, delMsg)
	if again := drp("POST", "/v1/data-rights-request", agent.token, delMsg, 200); again["request_id"] != id {
		t.Fatalf("the resent message made request %v, want %s", again["request_id"], id)
	}
	received, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(del["received_at"]))
	expected, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(del["expected_by"]))
	la, _ := time.LoadLocation("America/Los_Angeles")
	rl := received.In(la)
	if del["status"] != "in_progress" || del["reason"] != "need_user_verification" || del["agent_request_id"] != "agent-ref-7" ||
		!expected.Equal(time.Date(rl.Year(), rl.Month(), rl.Day()+44, 23, 59, 59, 999_000_000, la)) ||
		!strings.HasPrefix(fmt.Sprint(del["user_verification_url"]), l.cloud.APIURL+"/v1/verify") {
		t.Fatalf("deletion: %v", del)
	}
	// Staff see it in the queue with its agent; the §7102 figures count it.
	var view adminapi.RequestView
	if err := json.Unmarshal([]byte(l.staff(t, "GET", "/v1/admin/requests/"+id, "", 200)), &view); err != nil ||
		view.Channel != "agent" || view.AgentID != agent.id || !view.OnBehalf || view.AgentName != "Test agent TEST_AGENT" {
		t.Fatalf("staff view: %+v %v", view, err)
	}
	queue := l.staff(t, "GET", "/v1/admin/requests?status=pending_verification", "", 200)
	if !strings.Contains(queue, id) || !strings.Contains(queue, `"agent_id":"TEST_AGENT"`) {
		t.Fatalf("the queue does not show the agent's request: %s", queue)
	}
	var m struct {
		Received map[string]int `json:"received"`
	}
	year := strconv.Itoa(received.In(la).Year())
	if err := json.Unmarshal([]byte(l.staff(t, "GET", "/v1/admin/metrics?year="+year, "", 200)), &m); err != nil || m.Received["delete"] != 1 || m.Received["opt_out"] != 1 {
		t.Fatalf("metrics: %+v %v", m, err)
	}

	// The person confirms from the mail; the agent is told in_progress.
	mail := waitForMail(t, l.cloud.SES.Endpoint, "ada.del@example.com", "We received your privacy request")
	link := regexp.MustCompile(`https?://\S+/v1/verify\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(mail.Body.Text)
	if link == nil {
		t.Fatalf("no verification link: %q", mail.Body.Text)
	}
	if resp, out := l.do("POST", "/v1/verify", "application/json", "application/json", `{"token":"`+link[1]+`"}`); resp.StatusCode != 200 {
		t.Fatalf("verify: %d %s", resp.StatusCode, out)
	}
	if got := cb.wait(t, id, "in_progress"); got["reason"] != nil || got["expected_by"] == nil {
		t.Fatalf("in_progress callback: %v", got)
	}

	// Staff complete the deletion; the agent is told fulfilled.
	l.staff(t, "POST", "/v1/admin/requests/"+id+"/actions",
		`{"action":"complete","outcome":"Deleted.","override_reason":"Systems answer by post."}`, 200)
	if got := cb.wait(t, id, "fulfilled"); got["agent_request_id"] != "agent-ref-7" {
		t.Fatalf("fulfilled callback: %v", got)
	}
	if st := drp("GET", "/v1/data-rights-request/"+id, agent.token, "", 200); st["status"] != "fulfilled" {
		t.Fatalf("status: %v", st)
	}

	// Another request is revoked.
	acc := drp("POST", "/v1/data-rights-request", agent.token, agent.sign(agent.claims(map[string]any{
		"exercise": "access", "regime": "ccpa", "name": "Grace Hopper", "email": "grace.drp@example.com"})), 200)
	accID, _ := acc["request_id"].(string)
	if rv := drp("DELETE", "/v1/data-rights-request/"+accID, agent.token, agent.sign(map[string]any{"reason": "I changed my mind."}), 200); rv["status"] != "revoked" {
		t.Fatalf("revoke: %v", rv)
	}

	// A claim the service cannot take is a 400 naming it, and the message
	// may be sent again once put right.
	optIn := agent.claims(map[string]any{"exercise": "sale:opt_in", "name": "Ada Lovelace", "email": "ada.drp@example.com"})
	if e := drp("POST", "/v1/data-rights-request", agent.token, agent.sign(optIn), 400); e["code"] != "400" || !strings.Contains(fmt.Sprint(e["errors"]), "exercise") {
		t.Fatalf("opt-in: %v", e)
	}
	noName := agent.claims(map[string]any{"exercise": "deletion", "email": "ada.drp@example.com"})
	if e := drp("POST", "/v1/data-rights-request", agent.token, agent.sign(noName), 400); !strings.Contains(fmt.Sprint(e["errors"]), "name") {
		t.Fatalf("no name: %v", e)
	}

	// Refusals.
	stranger := newTestAgent(t, "TEST_AGENT")
	expired := agent.claims(map[string]any{"exercise": "sale:opt_out", "name": "Ada Lovelace", "email": "ada.drp@example.com"})
	expired["issued-at"], expired["expires-at"] = pyTime(time.Now().Add(-20*time.Minute)), pyTime(time.Now().Add(-5*time.Minute))
	refused := map[string]func(){
		"bad signature": func() {
			drp("POST", "/v1/data-rights-request", agent.token, stranger.sign(stranger.claims(map[string]any{"exercise": "deletion"})), 403)
		},
		"expired":    func() { drp("POST", "/v1/data-rights-request", agent.token, agent.sign(expired), 403) },
		"replay":     func() { drp("POST", "/v1/data-rights-request", agent.token, optOut, 403) },
		"other's id": func() { drp("GET", "/v1/data-rights-request/"+id, other.token, "", 403) },
		"other's del": func() {
			drp("DELETE", "/v1/data-rights-request/"+id, other.token, other.sign(map[string]any{"reason": "x"}), 403)
		},
		"unknown agent": func() {
			nobody := newTestAgent(t, "NOBODY")
			if got := drp("POST", "/v1/agent/NOBODY", "", nobody.sign(nobody.claims(nil)), 403); got != nil {
				t.Errorf("setup refusal with a body: %v", got)
			}
		},
		"URL agent differs": func() {
			drp("POST", "/v1/agent/"+agent.id, "", other.sign(other.claims(nil)), 403)
			drp("POST", "/v1/agent/"+other.id, "", agent.sign(agent.claims(nil)), 403)
		},
		"no token":      func() { drp("POST", "/v1/data-rights-request", "", agent.sign(agent.claims(nil)), 403) },
		"another's key": func() { drp("POST", "/v1/data-rights-request", other.token, optOut, 403) },
	}
	for _, f := range refused {
		f()
	}
	// A replayed setup gets no token either, and the agent's token still works.
	drp("GET", "/v1/agent/"+agent.id, agent.token, "", 200)
}

// releaseReplayMark marks a signed message's replay mark released, as the
// service does when its write failed, so the same message may come again.
func releaseReplayMark(t *testing.T, l *local, signed string) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(signed)
	if err != nil || len(raw) <= ed25519.SignatureSize {
		t.Fatalf("not a signed message: %v", err)
	}
	h := sha256.Sum256(raw[ed25519.SignatureSize:])
	_, err = l.cloud.Settings.DynamoDB().UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(l.cloud.Settings.Table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "DRPSEEN#" + hex.EncodeToString(h[:])},
			"sk": &types.AttributeValueMemberS{Value: "DRPSEEN"},
		},
		UpdateExpression:          aws.String("SET released_at = :now"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339Nano)}},
	})
	if err != nil {
		t.Fatal(err)
	}
}
