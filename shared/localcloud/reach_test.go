package localcloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/subject"
)

// The Secrets Manager stand-in answers the SDK's GetSecretValue for the
// secrets it holds, and ResourceNotFoundException for any other.
func TestSecretsManagerStandIn(t *testing.T) {
	sm, err := localcloud.StartSecretsManager(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sm.Stop)
	key, err := localcloud.NewWebhookSecret()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := standardwebhooks.NewWebhook(key); err != nil || !strings.HasPrefix(key, "whsec_") {
		t.Fatalf("webhook secret %q is not a Standard Webhooks key: %v", key, err)
	}
	sm.Put("claritru/privacy/webhooks/test", key)

	client := secretsmanager.NewFromConfig(localcloud.LocalAWS(), func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(sm.Endpoint)
	})
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("claritru/privacy/webhooks/test")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SecretString) != key || aws.ToString(out.Name) != "claritru/privacy/webhooks/test" ||
		!strings.Contains(aws.ToString(out.ARN), ":secret:claritru/privacy/webhooks/test") ||
		aws.ToString(out.VersionId) == "" || out.CreatedDate == nil || out.CreatedDate.Before(before) {
		t.Fatalf("GetSecretValue: %+v", out)
	}

	_, err = client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("claritru/privacy/webhooks/none")})
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("unknown secret: %v, want ResourceNotFoundException", err)
	}

	// The wire answer itself: 400 with the error's type.
	req, _ := http.NewRequest("POST", sm.Endpoint+"/", strings.NewReader(`{"SecretId":"nope"}`))
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 400 || e.Type != "ResourceNotFoundException" || e.Message == "" {
		t.Fatalf("unknown secret on the wire: %d %+v %v", resp.StatusCode, e, err)
	}
	resp.Body.Close()
}

// TestDeletionReachesTheSampleSystem is a deletion travelling out and
// coming back confirmed, through the gateway, DynamoDB Local, the stream,
// the reach function, the Secrets Manager stand-in and the sample
// receiver: the request is verified by its mailed link, the system reached
// by webhook receives a webhook whose signature verifies with its secret,
// calls back, and its job is answered in the table; the systems told by
// mail and by staff task have their jobs, told and awaiting an answer.
func TestDeletionReachesTheSampleSystem(t *testing.T) {
	l := startLocal(t)
	email := "dee.lete@example.com"
	requestID := verifiedRequest(t, l, email, "delete")

	got := waitForWebhook(t, l.cloud.Receiver, func(w localcloud.ReceivedWebhook) bool { return w.CallbackStatus != 0 })
	if !got.Verified || got.Repeat || got.System != "crm" || got.Action != string(reach.Delete) ||
		got.Type != "privacy.delete" || got.CallbackStatus != http.StatusOK || got.WebhookID != got.JobID {
		t.Fatalf("received %+v", got)
	}

	jobs := ddb.NewJobs(l.cloud.Settings.DynamoDB(), l.cloud.Settings.Table)
	j := waitForJob(t, jobs, got.JobID, func(j reach.Job) bool { return j.Status == reach.Answered })
	if j.Outcome != reach.Done || j.AnsweredBy != "system" || j.Note != "sample receiver: deleted" || j.RequestID != requestID ||
		j.ToldAt.IsZero() || j.AnsweredAt.Before(j.ToldAt) || j.Identifiers != nil || j.Attempts != 1 {
		t.Fatalf("answered job %+v", j)
	}

	// Every system that must delete has its job for the person.
	all := subjectJobs(t, jobs, email)
	var systems []string
	for _, j := range all {
		systems = append(systems, j.System)
		if j.RequestID != requestID || j.Action != reach.Delete {
			t.Errorf("job %+v", j)
		}
		if j.System != "crm" && (j.Status != reach.Told || j.ToldAt.IsZero()) {
			t.Errorf("job of %s: %s, want told", j.System, j.Status)
		}
	}
	slices.Sort(systems)
	if want := systemsActingOn(reach.Delete); !slices.Equal(systems, want) {
		t.Fatalf("jobs for %v, want %v", systems, want)
	}

	if strings.Contains(l.logs.String(), email) {
		t.Errorf("logs contain the requester's address")
	}

	// The receiver's page and store show the webhook, without the person.
	for _, path := range []string{"/", "/store"} {
		resp, err := http.Get(l.cloud.Receiver.Endpoint + path)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), got.JobID) ||
			strings.Contains(string(page), email) || strings.Contains(string(page), "<script") {
			t.Errorf("receiver %s: %d %s", path, resp.StatusCode, page)
		}
	}
}

// A system that never answers leaves its job told; once its answer window
// passes, the job is listed overdue with the mail and task systems', which
// nobody answered either.
func TestSilentSystemFallsOverdue(t *testing.T) {
	l := startLocal(t, func(o *localcloud.Options) {
		o.Receiver.Silent = true
		o.AnswerWindow = time.Second
	})
	email := "sil.ent@example.com"
	verifiedRequest(t, l, email, "delete")

	got := waitForWebhook(t, l.cloud.Receiver, func(w localcloud.ReceivedWebhook) bool { return w.Verified })
	jobs := ddb.NewJobs(l.cloud.Settings.DynamoDB(), l.cloud.Settings.Table)
	j := waitForJob(t, jobs, got.JobID, func(j reach.Job) bool { return j.Status != reach.Queued })
	if j.Status != reach.Told || j.ToldAt.IsZero() || j.DueAt.Sub(j.CreatedAt) != time.Second {
		t.Fatalf("job of the silent system %+v", j)
	}
	time.Sleep(time.Until(j.DueAt.Add(100 * time.Millisecond)))

	overdue, err := jobs.Overdue(context.Background(), time.Now(), 50)
	if err != nil {
		t.Fatal(err)
	}
	var systems []string
	for _, o := range overdue {
		systems = append(systems, o.System)
	}
	slices.Sort(systems)
	if want := systemsActingOn(reach.Delete); !slices.Equal(systems, want) {
		t.Fatalf("overdue jobs of %v, want %v", systems, want)
	}
	time.Sleep(1500 * time.Millisecond)
	for _, w := range l.cloud.Receiver.Received() {
		if w.CallbackStatus != 0 || w.CallbackError != "" {
			t.Fatalf("the silent receiver called back: %+v", w)
		}
	}
	if j, _ := jobs.Job(context.Background(), got.JobID); j.Status != reach.Told {
		t.Fatalf("job of the silent system became %s", j.Status)
	}
}

// A webhook the system refuses (503, down) stays queued, its attempt
// counted and the status kept as the reason, for the retry schedule.
func TestWebhookToFailingSystemStaysQueued(t *testing.T) {
	l := startLocal(t)
	l.cloud.Receiver.FailWith(http.StatusServiceUnavailable)
	email := "fay.ling@example.com"
	verifiedRequest(t, l, email, "delete")

	jobs := ddb.NewJobs(l.cloud.Settings.DynamoDB(), l.cloud.Settings.Table)
	var crm reach.Job
	deadline := time.Now().Add(30 * time.Second)
	for crm.Attempts == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no delivery attempt")
		}
		time.Sleep(200 * time.Millisecond)
		for _, j := range subjectJobs(t, jobs, email) {
			if j.System == "crm" {
				crm = j
			}
		}
	}
	if crm.Status != reach.Queued || crm.Attempts != 1 || crm.LastError != "HTTP 503" ||
		!crm.NextAttemptAt.After(crm.CreatedAt.Add(50*time.Second)) {
		t.Fatalf("job after a 503: %+v", crm)
	}
	if n := len(l.cloud.Receiver.Received()); n != 0 {
		t.Fatalf("the receiver took %d webhooks while down", n)
	}
}

// The sample receiver checks signatures as a system must: a webhook signed
// with another key, or signed too long ago, is refused; a repeated
// webhook-id is taken once and answered once.
func TestSampleReceiverChecksSignatures(t *testing.T) {
	key, _ := localcloud.NewWebhookSecret()
	other, _ := localcloud.NewWebhookSecret()
	callbacks := make(chan reach.Answer, 4)
	sys := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		wh, _ := standardwebhooks.NewWebhook(key)
		if err := wh.Verify(body, r.Header); err != nil {
			t.Errorf("callback signature: %v", err)
		}
		var a reach.Answer
		_ = json.Unmarshal(body, &a)
		callbacks <- a
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = sys.Serve(ln) }()
	t.Cleanup(func() { _ = sys.Close() })
	cbURL := "http://" + ln.Addr().String()
	rcv, err := localcloud.StartSampleReceiver(0, map[string]string{"crm": key}, localcloud.ReceiverOptions{AnswerAfter: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rcv.Stop)

	msg := reach.Message{Type: "privacy.delete", Timestamp: time.Now(), Data: reach.MessageData{
		JobID: "01JOB", Action: reach.Delete, Callback: reach.Callback{URL: cbURL + "/v1/callbacks/01JOB", Token: "tok"},
	}}
	send := func(k, id string, at time.Time) int {
		t.Helper()
		body, _ := json.Marshal(msg)
		wh, _ := standardwebhooks.NewWebhook(k)
		sig, _ := wh.Sign(id, at, body)
		req, _ := http.NewRequest("POST", rcv.WebhookURL("crm"), bytes.NewReader(body))
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
		req.Header.Set("webhook-signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := send(other, "01JOB", time.Now()); s != http.StatusUnauthorized {
		t.Fatalf("webhook signed with another key: %d", s)
	}
	if s := send(key, "01JOB", time.Now().Add(-10*time.Minute)); s != http.StatusUnauthorized {
		t.Fatalf("webhook signed ten minutes ago: %d", s)
	}
	if s := send(key, "01JOB", time.Now()); s != http.StatusAccepted {
		t.Fatalf("good webhook: %d", s)
	}
	if s := send(key, "01JOB", time.Now()); s != http.StatusAccepted {
		t.Fatalf("repeated webhook: %d", s)
	}
	select {
	case a := <-callbacks:
		if a.Token != "tok" || a.Outcome != reach.Done || a.Note != "sample receiver: deleted" {
			t.Fatalf("callback %+v", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no callback")
	}
	select {
	case a := <-callbacks:
		t.Fatalf("a second callback for a repeated webhook: %+v", a)
	case <-time.After(300 * time.Millisecond):
	}
	got := rcv.Received()
	if len(got) != 4 || got[0].Verified || got[1].Verified || !got[2].Verified || got[2].Repeat || !got[3].Repeat {
		t.Fatalf("received %+v", got)
	}
}

// verifiedRequest files a request of the given type for email through the
// gateway and verifies it by the link its receipt mail carries.
func verifiedRequest(t *testing.T, l *local, email, typ string) string {
	t.Helper()
	const js = "application/json"
	resp, out := l.do("POST", "/v1/requests", js, js, `{"types":["`+typ+`"],"first_name":"Test","last_name":"Person",`+
		`"email":"`+email+`","country":"US","state":"CA","declaration":true}`)
	var rc struct {
		ID string `json:"id"`
	}
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(out), &rc) != nil || rc.ID == "" {
		t.Fatalf("request: %d %s", resp.StatusCode, out)
	}
	receipt := waitForMail(t, l.cloud.SES.Endpoint, email, "We received your privacy request")
	link, err := url.Parse(regexp.MustCompile(`https?://\S+/v1/verify\?token=[A-Za-z0-9_-]+`).FindString(receipt.Body.Text))
	if err != nil || link.Query().Get("token") == "" {
		t.Fatalf("receipt mail without a link: %q", receipt.Body.Text)
	}
	if resp, out := l.do("POST", "/v1/verify", js, js, `{"token":"`+link.Query().Get("token")+`"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("verify: %d %s", resp.StatusCode, out)
	}
	return rc.ID
}

func waitForWebhook(t *testing.T, r *localcloud.SampleReceiver, pred func(localcloud.ReceivedWebhook) bool) localcloud.ReceivedWebhook {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, w := range r.Received() {
			if pred(w) {
				return w
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no such webhook; received %+v", r.Received())
	return localcloud.ReceivedWebhook{}
}

func waitForJob(t *testing.T, jobs *ddb.Jobs, id string, pred func(reach.Job) bool) reach.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var j reach.Job
	var err error
	for time.Now().Before(deadline) {
		if j, err = jobs.Job(context.Background(), id); err == nil && pred(j) {
			return j
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("job %s: %+v %v", id, j, err)
	return j
}

// subjectJobs reads the person's jobs by the key their address has under
// the test's pepper.
func subjectJobs(t *testing.T, jobs *ddb.Jobs, email string) []reach.Job {
	t.Helper()
	keyer, err := subject.NewKeyer(bytes.Repeat([]byte("p"), 32))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jobs.OfSubject(context.Background(), keyer.Email(email))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// systemsActingOn are the ids of the register's systems told of a by a
// job, sorted.
func systemsActingOn(a reach.Action) []string {
	var ids []string
	for _, s := range reach.Systems().Acting(a) {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}
