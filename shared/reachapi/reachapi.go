// Package reachapi is the reach function's adapter. One function does the
// three parts of carrying a right to the company's systems, each from its
// own trigger: new jobs arrive on the table's stream and are delivered at
// once; the schedule retries webhooks whose backoff has ended; and the
// systems answer at POST /v1/callbacks/{job}. The rules live in
// shared/reach.
package reachapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/notifierstream"
	"github.com/claritru/privacy/shared/reach"
)

// Decoder finds the new job a change of the table writes (ddb.Jobs).
type Decoder interface {
	Decode(c ddb.Change) (reach.Job, bool, error)
}

// Handler serves the reach function.
type Handler struct {
	Service *reach.Service
	Jobs    Decoder
	Log     *slog.Logger
	// EdgeSecret guards the callback route in Invoke, the Lambda entry
	// point, as it guards every public one (apigw.FromEdge, which refuses
	// every call when it is empty). The local cloud, with no edge in
	// front, calls Handle.
	EdgeSecret string
	// RetryBatch bounds how many due jobs one scheduled run tries.
	RetryBatch int
}

// routes are the function's routes in shared/topology, by route key.
var routes = apigw.Routes[*Handler]{
	"POST /v1/callbacks/{job}": (*Handler).callback,
}

// Routes returns the keys of the routes the handler serves.
func Routes() []string { return routes.Keys() }

// Handle answers one HTTP API event.
func (h *Handler) Handle(ctx context.Context, r apigw.Request) (apigw.Response, error) {
	return routes.Serve(ctx, h, r, nil, h.Log), nil
}

// CallbackAnswer is what a system's callback is answered with.
type CallbackAnswer struct {
	JobID      string    `json:"job_id"`
	Status     string    `json:"status"`
	Outcome    string    `json:"outcome"`
	AnsweredAt time.Time `json:"answered_at"`
}

var jobID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`) })

func (h *Handler) callback(ctx context.Context, r apigw.Request, _ map[string]string) apigw.Response {
	id := r.PathParameters["job"]
	if !jobID().MatchString(id) {
		return apigw.Fail(ctx, h.Log, reach.ErrSignature, nil)
	}
	body, mt, err := apigw.Body(r)
	if err == nil && mt != apigw.JSON {
		err = fault.New(fault.Unsupported, "Send the answer as application/json.")
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	hdr := http.Header{}
	for k, v := range r.Headers {
		hdr.Set(k, v)
	}
	j, err := h.Service.Callback(ctx, id, hdr, body)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	h.Log.InfoContext(ctx, "job answered", "job_id", j.ID, "system", j.System, "outcome", string(j.Outcome))
	return apigw.JSONResponse(http.StatusOK, CallbackAnswer{
		JobID: j.ID, Status: string(j.Status), Outcome: string(j.Outcome), AnsweredAt: j.AnsweredAt,
	}, nil)
}

// Stream delivers the new jobs of a batch of the table's stream. A failed
// delivery is the schedule's to retry; only a record that cannot be read or
// whose job cannot be claimed or marked is reported for the stream to
// retry.
func (h *Handler) Stream(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return notifierstream.EachRecord(ctx, ev, h.Log, "job not delivered", h.one), nil
}

func (h *Handler) one(ctx context.Context, rec events.DynamoDBEventRecord) error {
	c, err := notifierstream.Change(rec)
	if err != nil {
		return err
	}
	j, ok, err := h.Jobs.Decode(c)
	if err != nil || !ok {
		return err
	}
	return h.Service.Deliver(ctx, j)
}

// Report is what a scheduled run did.
type Report struct {
	Tried int `json:"tried"`
}

// Scheduled retries the webhooks whose next attempt is due.
func (h *Handler) Scheduled(ctx context.Context, _ json.RawMessage) (Report, error) {
	n, err := h.Service.Retry(ctx, max(h.RetryBatch, 1))
	h.Log.InfoContext(ctx, "retried jobs", "tried", n)
	if err != nil {
		h.Log.ErrorContext(ctx, "job retry failed", "error", err.Error())
	}
	return Report{Tried: n}, err
}

// Invoke is the Lambda entry point: it hands the event to the part its
// trigger is for.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	return apigw.Invoke(ctx, payload, h.EdgeSecret, h.Handle, h.Stream, h.Scheduled)
}
