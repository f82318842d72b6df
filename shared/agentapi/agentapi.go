// Package agentapi is the agent function's adapter: the Data Rights
// Protocol's endpoints for authorized agents, and the delivery of their
// status callbacks from the table's stream and, for retries, on a
// schedule. API Gateway cannot check the protocol's signed messages, so
// the routes are public and the handler checks them (shared/drp).
package agentapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/drp"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/notifierstream"
)

// Decoder finds the new callback a change of the table writes (ddb.Callbacks).
type Decoder interface {
	Decode(c ddb.Change) (drp.Callback, bool, error)
}

// Handler serves the agent function.
type Handler struct {
	Service   *drp.Service
	Sender    *drp.Sender
	Callbacks Decoder
	Log       *slog.Logger
	// EdgeSecret guards the routes in Invoke, as every public one
	// (apigw.FromEdge); the local cloud, with no edge, calls Handle.
	EdgeSecret string
	// RetryBatch bounds how many due callbacks one scheduled run posts.
	RetryBatch int
}

// routes are the function's routes in shared/topology, by route key.
var routes = apigw.Routes[*Handler]{
	"POST /v1/agent/{id}":                 (*Handler).setup,
	"GET /v1/agent/{id}":                  (*Handler).agent,
	"POST /v1/data-rights-request":        (*Handler).exercise,
	"GET /v1/data-rights-request/{id}":    (*Handler).status,
	"DELETE /v1/data-rights-request/{id}": (*Handler).revoke,
}

// Routes returns the keys of the routes the handler serves.
func Routes() []string { return routes.Keys() }

// Handle answers one HTTP API event.
func (h *Handler) Handle(ctx context.Context, r apigw.Request) (apigw.Response, error) {
	return routes.Serve(ctx, h, r, nil, h.Log), nil
}

// SetupAnswer is the pair-wise key setup's answer (DRP 2.05.1).
type SetupAnswer struct {
	AgentID string `json:"agent-id"`
	Token   string `json:"token"`
}

// ErrorState is the protocol's error body (DRP 3.06): the status as a
// string, what went wrong, whether sending the message again can help
// (fatal), and the claims at fault.
type ErrorState struct {
	Code    string             `json:"code"`
	Message string             `json:"message"`
	Fatal   bool               `json:"fatal,omitempty"`
	Errors  []fault.FieldError `json:"errors,omitempty"`
}

// setup answers every refusal with 403 and no body (DRP 2.05.1).
func (h *Handler) setup(ctx context.Context, r apigw.Request, _ map[string]string) apigw.Response {
	id := r.PathParameters["id"]
	body, err := signedBody(r)
	if err == nil {
		var token string
		if token, err = h.Service.Setup(ctx, id, body); err == nil {
			h.Log.InfoContext(ctx, "agent token set up", "agent", id)
			return apigw.JSONResponse(http.StatusOK, SetupAnswer{AgentID: id, Token: token}, nil)
		}
	}
	if k := fault.KindOf(err); k == fault.Internal || k == fault.Unavailable || k == fault.Conflict {
		return h.fail(ctx, err)
	}
	return apigw.Response{StatusCode: http.StatusForbidden}
}

// agent is the Agent Information endpoint (DRP 2.06): {} while the token
// is the agent's of the URL, 403 otherwise.
func (h *Handler) agent(ctx context.Context, r apigw.Request, _ map[string]string) apigw.Response {
	a, err := h.Service.Agent(ctx, bearer(r))
	if err == nil && a.ID != r.PathParameters["id"] {
		err = drp.ErrNoAgent
	}
	if err != nil {
		return h.fail(ctx, err)
	}
	return apigw.JSONResponse(http.StatusOK, struct{}{}, nil)
}

func (h *Handler) exercise(ctx context.Context, r apigw.Request, _ map[string]string) apigw.Response {
	body, err := signedBody(r)
	if err != nil {
		return h.fail(ctx, err)
	}
	st, err := h.Service.Exercise(ctx, bearer(r), body)
	if err != nil {
		return h.fail(ctx, err)
	}
	h.Log.InfoContext(ctx, "agent request taken", "request_id", st.RequestID, "status", st.Status)
	return apigw.JSONResponse(http.StatusOK, st, nil)
}

func (h *Handler) status(ctx context.Context, r apigw.Request, _ map[string]string) apigw.Response {
	st, err := h.Service.Status(ctx, bearer(r), r.PathParameters["id"])
	if err != nil {
		return h.fail(ctx, err)
	}
	return apigw.JSONResponse(http.StatusOK, st, nil)
}

func (h *Handler) revoke(ctx context.Context, r apigw.Request, _ map[string]string) apigw.Response {
	body, err := signedBody(r)
	if err != nil {
		return h.fail(ctx, err)
	}
	st, err := h.Service.Revoke(ctx, bearer(r), r.PathParameters["id"], body)
	if err != nil {
		return h.fail(ctx, err)
	}
	h.Log.InfoContext(ctx, "agent request revoked", "request_id", st.RequestID)
	return apigw.JSONResponse(http.StatusOK, st, nil)
}

// bearer is the request's bearer token; empty when there is none.
func bearer(r apigw.Request) string {
	v := apigw.Header(r, "Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "Bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

// signedBody is the body of a signed message, sent as text/plain (DRP
// 3.07.1); some agents send it without a media type. A JSON or form body
// is not a signed message.
func signedBody(r apigw.Request) ([]byte, error) {
	if len(r.Body) > apigw.MaxBody*4/3+4 {
		return nil, fault.New(fault.TooLarge, "The body is larger than 64 KiB.")
	}
	switch mt, _, _ := strings.Cut(strings.ToLower(apigw.Header(r, "Content-Type")), ";"); strings.TrimSpace(mt) {
	case "", "text/plain", "application/octet-stream":
	default:
		return nil, fault.New(fault.Unsupported, "Send the signed message as text/plain.")
	}
	if !r.IsBase64Encoded {
		return []byte(r.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		return nil, fault.New(fault.Invalid, "The body is not valid base64.")
	}
	return b, nil
}

// fail answers an error with the protocol's error body. A refusal of a
// token, signature, sender or time is 403 (DRP 2.02.1, 2.05.1, 2.06.1).
func (h *Handler) fail(ctx context.Context, err error) apigw.Response {
	p := apigw.ProblemOf(err)
	status := p.Status
	if fault.KindOf(err) == fault.Unauthorized {
		status = http.StatusForbidden
	}
	if status >= 500 {
		apigw.LogInternal(ctx, h.Log, err)
	}
	if p.Detail == "" {
		p.Detail = http.StatusText(status)
	}
	e := ErrorState{Code: strconv.Itoa(status), Message: p.Detail, Errors: p.Errors,
		Fatal: status == http.StatusBadRequest || status == http.StatusForbidden}
	resp := apigw.JSONResponse(status, e, nil)
	if after := apigw.RetryAfter(status); after != "" {
		resp.Headers["Retry-After"] = after
	}
	return resp
}

// Stream posts the new callbacks of a batch of the table's stream. An
// agent that fails is the schedule's to retry; only a record that cannot
// be read or recorded is reported for the stream to retry.
func (h *Handler) Stream(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return notifierstream.EachRecord(ctx, ev, h.Log, "callback not recorded", h.one), nil
}

func (h *Handler) one(ctx context.Context, rec events.DynamoDBEventRecord) error {
	c, err := notifierstream.Change(rec)
	if err != nil {
		return err
	}
	cb, ok, err := h.Callbacks.Decode(c)
	if err != nil || !ok {
		return err
	}
	return h.Sender.Deliver(ctx, cb)
}

// Report is what a scheduled run did.
type Report struct {
	Tried int `json:"tried"`
}

// Scheduled posts again the callbacks whose next attempt is due.
func (h *Handler) Scheduled(ctx context.Context, _ json.RawMessage) (Report, error) {
	n, err := h.Sender.Retry(ctx, max(h.RetryBatch, 1))
	h.Log.InfoContext(ctx, "retried callbacks", "tried", n)
	if err != nil {
		h.Log.ErrorContext(ctx, "callback retry failed", "error", err.Error())
	}
	return Report{Tried: n}, err
}

// Invoke is the Lambda entry point: it hands the event to the part its
// trigger is for.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	return apigw.Invoke(ctx, payload, h.EdgeSecret, h.Handle, h.Stream, h.Scheduled)
}
