package reach

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/token"
)

// Store is what the reach service needs from storage (shared/ddb).
type Store interface {
	// Job returns a job; fault.NotFound when there is none.
	Job(ctx context.Context, id string) (Job, error)
	// Due returns webhook jobs still Queued whose next attempt is due at
	// at, at most limit, the earliest first.
	Due(ctx context.Context, at time.Time, limit int) ([]Job, error)
	// Claim takes the job's next attempt: on the condition that it is
	// still Queued and no other attempt holds it, it counts the attempt,
	// holds it until at+lease and keeps callbackHash as the token the
	// answer must bring. fault.Conflict when the condition fails.
	Claim(ctx context.Context, j Job, at time.Time, lease time.Duration, callbackHash string) (Job, error)
	// Told records a delivered webhook (nothing when the job was
	// answered meanwhile).
	Told(ctx context.Context, j Job, at time.Time) error
	// Failed records a failed attempt and when to try again.
	Failed(ctx context.Context, j Job, at, next time.Time, reason string) error
	// Answer records the outcome on the condition that the job is still
	// open and, when CallbackHash is set, that it is the token of one of
	// its deliveries; fault.Gone when the condition fails. It removes the
	// identifiers the job carried.
	Answer(ctx context.Context, j Job, a Resolution) error
}

// Resolution is an answer as recorded.
type Resolution struct {
	Outcome      Outcome
	Note         string
	By           string // "system" or the staff principal
	At           time.Time
	CallbackHash string // the token a callback brought; empty for staff
}

// Secrets reads a webhook's signing key by its Secrets Manager name.
type Secrets interface {
	Secret(ctx context.Context, name string) (string, error)
}

// Doer sends one HTTP request (an *http.Client).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Config is what the service needs besides its store.
type Config struct {
	Register      *Register
	Secrets       Secrets
	HTTP          Doer
	PublicBaseURL string
	Now           func() time.Time
}

// Service delivers jobs and takes their answers.
type Service struct {
	store Store
	cfg   Config
}

// NewService returns a Service.
func NewService(store Store, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Register == nil {
		cfg.Register = Systems()
	}
	return &Service{store: store, cfg: cfg}
}

// Attempt bounds one webhook delivery: a receiver that has not answered by
// then is tried again later. Lease is how long a claimed attempt keeps
// others off the job; past it (the deliverer died) the job is due again.
const (
	Attempt = 10 * time.Second
	Lease   = 2 * time.Minute
)

// CallbackTolerance is how far a callback's signing time may be from now:
// the Standard Webhooks default, so a captured callback cannot be replayed
// later.
const CallbackTolerance = 5 * time.Minute

// Deliver makes the job's next webhook attempt when it is due; any other
// job, or one another deliverer holds, is left alone.
func (s *Service) Deliver(ctx context.Context, j Job) error {
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	if j.Reach != Webhook || j.Status != Queued || j.NextAttemptAt.After(now) {
		return nil
	}
	sys, ok := s.cfg.Register.System(j.System)
	if !ok || sys.Reach != Webhook {
		return s.store.Failed(ctx, j, now, now.Add(24*time.Hour), "system not in the register")
	}
	raw, hash, err := token.New()
	if err != nil {
		return err
	}
	j, err = s.store.Claim(ctx, j, now, Lease, hash)
	if fault.KindOf(err) == fault.Conflict {
		return nil
	}
	if err != nil {
		return err
	}
	reason := s.post(ctx, sys, j, now, raw)
	if reason == "" {
		return s.store.Told(ctx, j, now)
	}
	return s.store.Failed(ctx, j, now, NextAttempt(j.Attempts, now), reason)
}

// post sends the webhook and returns why it failed, or "" when the system
// took it (any 2xx). The reason names a status or the kind of failure,
// never the body, which the system wrote.
func (s *Service) post(ctx context.Context, sys System, j Job, now time.Time, raw string) string {
	secret, err := s.cfg.Secrets.Secret(ctx, sys.Secret)
	if err != nil {
		return "signing secret unavailable"
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return "signing secret malformed"
	}
	cb := Callback{URL: strings.TrimRight(s.cfg.PublicBaseURL, "/") + "/v1/callbacks/" + j.ID, Token: raw}
	body, err := json.Marshal(NewMessage(j, now, cb))
	if err != nil {
		return "message not encoded"
	}
	sig, err := wh.Sign(j.ID, now, body)
	if err != nil {
		return "message not signed"
	}
	actx, cancel := context.WithTimeout(ctx, Attempt)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, sys.URL, bytes.NewReader(body))
	if err != nil {
		return "webhook url unusable"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(standardwebhooks.HeaderWebhookID, j.ID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := s.cfg.HTTP.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "timeout"
		}
		return "unreachable"
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return ""
}

// RetryAtOnce is how many webhooks a retry run sends at the same time: a
// system that is down costs its attempt's timeout, and a few of them
// together must not hold up the rest.
const RetryAtOnce = 5

// Retry delivers every job whose next attempt is due, at most limit,
// RetryAtOnce at a time, and returns how many it tried.
func (s *Service) Retry(ctx context.Context, limit int) (int, error) {
	jobs, err := s.store.Due(ctx, s.cfg.Now().UTC(), limit)
	if err != nil {
		return 0, err
	}
	errs := make([]error, len(jobs))
	slots := make(chan struct{}, RetryAtOnce)
	var wg sync.WaitGroup
	for i, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			errs[i] = s.Deliver(ctx, j)
		}()
	}
	wg.Wait()
	return len(jobs), errors.Join(errs...)
}

// ErrSignature answers every callback whose signature cannot be checked or
// does not match, and one for a job that does not exist: a caller without
// the secret learns nothing of which jobs exist.
var ErrSignature = fault.New(fault.Unauthorized, "The callback's signature is missing or does not match.")

// ErrAnswered answers a callback whose job is answered already, or whose
// token no delivery of the job carried.
var ErrAnswered = fault.New(fault.Gone, "This callback token is no longer valid: the job was answered already, or the token is not one of its deliveries'.")

// Callback takes a system's signed answer to job id.
func (s *Service) Callback(ctx context.Context, id string, h http.Header, body []byte) (Job, error) {
	j, err := s.store.Job(ctx, id)
	if fault.KindOf(err) == fault.NotFound {
		return Job{}, ErrSignature
	}
	if err != nil {
		return Job{}, err
	}
	sys, ok := s.cfg.Register.System(j.System)
	if !ok || sys.Reach != Webhook {
		return Job{}, ErrSignature
	}
	if err := s.verify(ctx, sys, h, body); err != nil {
		return Job{}, err
	}
	a, err := parseAnswer(body)
	if err != nil {
		return Job{}, err
	}
	hash, ok := token.Hash(a.Token)
	if !ok || !issued(j, hash) || !j.Open() {
		return Job{}, ErrAnswered
	}
	res := Resolution{Outcome: a.Outcome, Note: a.Note, By: "system", At: s.cfg.Now().UTC().Truncate(time.Millisecond), CallbackHash: hash}
	if err := s.store.Answer(ctx, j, res); err != nil {
		if fault.KindOf(err) == fault.Gone {
			return Job{}, ErrAnswered
		}
		return Job{}, err
	}
	return answered(j, res), nil
}

// issued tells whether hash is the token of one of the job's deliveries.
func issued(j Job, hash string) bool {
	found := 0
	for _, h := range j.CallbackHashes {
		found |= subtle.ConstantTimeCompare([]byte(hash), []byte(h))
	}
	return found == 1
}

// verify checks the Standard Webhooks signature with the system's secret,
// then that it was made within CallbackTolerance of now.
func (s *Service) verify(ctx context.Context, sys System, h http.Header, body []byte) error {
	secret, err := s.cfg.Secrets.Secret(ctx, sys.Secret)
	if err != nil {
		return fault.Wrap(fault.Unavailable, "The callback cannot be checked now; send it again shortly.", err)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return fault.Wrap(fault.Internal, "signing secret malformed", err)
	}
	if wh.VerifyIgnoringTimestamp(body, h) != nil {
		return ErrSignature
	}
	ts, err := strconv.ParseInt(h.Get(standardwebhooks.HeaderWebhookTimestamp), 10, 64)
	if err != nil {
		return ErrSignature
	}
	if d := s.cfg.Now().Sub(time.Unix(ts, 0)); d > CallbackTolerance || d < -CallbackTolerance {
		return &fault.Error{Kind: fault.Unauthorized, Detail: "The callback was signed too long ago (or ahead of time): sign it again with the current time.",
			Fields: []fault.FieldError{{Field: standardwebhooks.HeaderWebhookTimestamp, Message: fmt.Sprintf("must be within %s of now", CallbackTolerance)}}}
	}
	return nil
}

func parseAnswer(body []byte) (Answer, error) {
	var a Answer
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var f fault.Fields
	if err := dec.Decode(&a); err != nil || dec.More() {
		f.Add("body", "must be one JSON object with token, outcome and note")
		return Answer{}, f.Err()
	}
	if a.Token == "" {
		f.Add("token", "required: the token the webhook carried")
	}
	checkOutcome(&f, a.Outcome, a.Note)
	return a, f.Err()
}

// checkOutcome checks an outcome and its note, as a system or staff give
// them: a refusal must say why.
func checkOutcome(f *fault.Fields, o Outcome, note string) {
	if !slices.Contains(Outcomes, o) {
		f.Add("outcome", "must be one of done, not_found, refused")
	}
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > MaxNote || strings.ContainsFunc(note, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }) {
		f.Add("note", fmt.Sprintf("must be text of at most %d characters", MaxNote))
	}
	if o == Refused && strings.TrimSpace(note) == "" {
		f.Add("note", "required with refused: the reason the system could not act")
	}
}

// Resolve records staff's answer for a job: the vendor replied by mail, or
// staff acted in the system themselves.
func (s *Service) Resolve(ctx context.Context, id string, o Outcome, note, actor string) (Job, error) {
	var f fault.Fields
	checkOutcome(&f, o, note)
	if err := f.Err(); err != nil {
		return Job{}, err
	}
	j, err := s.store.Job(ctx, id)
	if err != nil {
		return Job{}, err
	}
	if !j.Open() {
		return Job{}, fault.New(fault.Conflict, "This job was answered already.")
	}
	res := Resolution{Outcome: o, Note: note, By: actor, At: s.cfg.Now().UTC().Truncate(time.Millisecond)}
	if err := s.store.Answer(ctx, j, res); err != nil {
		if fault.KindOf(err) == fault.Gone {
			return Job{}, fault.New(fault.Conflict, "This job was answered already.")
		}
		return Job{}, err
	}
	return answered(j, res), nil
}

func answered(j Job, r Resolution) Job {
	j.Status, j.Outcome, j.Note, j.AnsweredBy, j.AnsweredAt = Answered, r.Outcome, r.Note, r.By, r.At
	if j.ToldAt.IsZero() {
		j.ToldAt = r.At
	}
	j.Identifiers = nil
	return j
}
