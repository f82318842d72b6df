package adminapi

import (
	"context"
	"net/http"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/subjectdata"
)

// Undeliverable is an address's undeliverable mark as staff see it: why
// the service stopped mailing it and when, whether the mark is still in
// effect, and every clearing of an earlier one. The request view leaves out
// the reference the export gives.
type Undeliverable = subjectdata.Undeliverable

func undeliverableOf(st deliverability.Status) *Undeliverable {
	u := subjectdata.UndeliverableOf("", st)
	return &u
}

// undeliverable is the mark of a request's address, nil when it never had
// one (or the request has no address).
func (h *Handler) undeliverable(ctx context.Context, email string) (*Undeliverable, error) {
	if h.Deliverability == nil || email == "" {
		return nil, nil
	}
	st, ok, err := h.Deliverability.Of(ctx, email)
	if err != nil || !ok {
		return nil, err
	}
	return undeliverableOf(st), nil
}

// clearUndeliverable clears the undeliverable mark of the address in a JSON
// body {email, reason} once the person gave a working address (or
// confirmed this one works): mail to it flows again. The clearing is
// recorded with the staff principal, when and why; the answer is the mark
// as it now stands.
func (h *Handler) clearUndeliverable(ctx context.Context, r apigw.Request) apigw.Response {
	if h.Deliverability == nil {
		return apigw.Fail(ctx, h.Log, fault.New(fault.Internal, "undeliverable marks are not configured"), nil)
	}
	raw, err := jsonBody(r)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	var email, reason string
	bad, err := apigw.DecodeJSON(raw, map[string]any{"email": &email, "reason": &reason})
	if err == nil {
		err = bad.Err()
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	st, err := h.Deliverability.Clear(ctx, email, reason, h.staff(r))
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	return apigw.JSONResponse(http.StatusOK, undeliverableOf(st), nil)
}
