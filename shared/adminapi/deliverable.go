package adminapi

import (
	"context"
	"net/http"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/fault"
)

// Undeliverable is an address's undeliverable mark as staff see it: why
// the service stopped mailing it (a permanent bounce or a complaint, with
// SES's subtype) and when; whether the mark is still in effect, and every
// clearing of an earlier one (who, when, why).
type Undeliverable struct {
	InEffect bool                 `json:"in_effect"`
	Reason   string               `json:"reason"`
	Subtype  string               `json:"subtype,omitempty"`
	At       time.Time            `json:"at"`
	MarkedAt time.Time            `json:"marked_at"`
	Clears   []UndeliverableClear `json:"clears"`
}

// UndeliverableClear is one clearing of a mark.
type UndeliverableClear struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	Was    string    `json:"was"`
}

func undeliverableOf(st deliverability.Status) *Undeliverable {
	u := &Undeliverable{
		InEffect: st.Undeliverable, Reason: string(st.Reason), Subtype: st.Subtype, At: st.At, MarkedAt: st.MarkedAt,
		Clears: []UndeliverableClear{},
	}
	for _, c := range st.Clears {
		u.Clears = append(u.Clears, UndeliverableClear{At: c.At, Actor: c.Actor, Reason: c.Reason, Was: string(c.Was)})
	}
	return u
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
