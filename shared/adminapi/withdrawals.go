package adminapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/fault"
)

// RecordedWithdrawal answers a withdrawal staff recorded: the receipt id the
// ledger events carry, when, and each purpose's new status.
type RecordedWithdrawal struct {
	ReceiptID string              `json:"receipt_id"`
	At        time.Time           `json:"at"`
	Channel   string              `json:"channel"`
	Actor     string              `json:"actor"`
	Purposes  []WithdrawnPurpose  `json:"purposes"`
	Subjects  []WithdrawalSubject `json:"subjects"`
}

// WithdrawnPurpose is one purpose a recorded withdrawal covered.
type WithdrawnPurpose struct {
	Purpose string `json:"purpose"`
	Status  string `json:"status"`
}

// WithdrawalSubject names an identifier the withdrawal was recorded
// against, by kind and keyed hash.
type WithdrawalSubject struct {
	Kind      string `json:"kind"`
	Reference string `json:"reference"`
}

// recordWithdrawal records a withdrawal that reached the company by phone,
// letter or email: the body of POST /v1/consents (subject, events with
// granted false) plus channel and note, recorded with the staff principal
// (the TCPA's 2025 revocation rule: revocation by any reasonable means,
// honoured within 10 business days, 47 CFR 64.1200(a)(10); GDPR Art. 7(3)).
func (h *Handler) recordWithdrawal(ctx context.Context, r apigw.Request) apigw.Response {
	body, err := jsonBody(r)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	w, bad, err := decodeWithdrawal(body)
	if err == nil {
		err = bad.Err()
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	w.Actor = h.staff(r)
	res, err := h.Consents.RecordWithdrawal(ctx, w)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	out := RecordedWithdrawal{ReceiptID: res.Recording.ReceiptID, At: res.Recording.At, Channel: w.Channel, Actor: w.Actor,
		Purposes: []WithdrawnPurpose{}, Subjects: []WithdrawalSubject{}}
	for _, rec := range res.Recording.Records {
		out.Purposes = append(out.Purposes, WithdrawnPurpose{Purpose: string(rec.Purpose), Status: string(rec.Status)})
	}
	for _, id := range res.Subjects {
		out.Subjects = append(out.Subjects, WithdrawalSubject{Kind: string(id.Kind), Reference: id.Key})
	}
	return apigw.JSONResponse(http.StatusCreated, out, nil)
}

// decodeWithdrawal reads the body: a decoding problem is a field error,
// and an event that grants is refused (staff record withdrawals only).
func decodeWithdrawal(body []byte) (consent.Withdrawal, fault.Fields, error) {
	var w consent.Withdrawal
	var subj json.RawMessage
	var events []json.RawMessage
	bad, err := apigw.DecodeJSON(body, map[string]any{
		"subject": &subj, "events": &events, "channel": &w.Channel, "note": &w.Note,
	})
	if err != nil {
		return w, bad, err
	}
	if len(subj) > 0 {
		errs, err := apigw.DecodeJSON(subj, map[string]any{"email": &w.Email, "phone": &w.Phone, "browser_id": &w.BrowserID})
		if err != nil {
			bad.Add("subject", "must be an object")
		}
		for _, e := range errs {
			bad.Add("subject."+e.Field, e.Message)
		}
	}
	if len(events) > len(consent.Purposes) {
		bad.Add("events", "at most one event per purpose")
		return w, bad, nil
	}
	for i, raw := range events {
		f := "events[" + strconv.Itoa(i) + "]"
		var purpose string
		var granted *bool
		errs, err := apigw.DecodeJSON(raw, map[string]any{"purpose": &purpose, "granted": &granted})
		if err != nil {
			bad.Add(f, "must be an object")
			continue
		}
		for _, e := range errs {
			bad.Add(f+"."+e.Field, e.Message)
		}
		if granted == nil || *granted {
			bad.Add(f+".granted", "must be false: staff record withdrawals; a grant must come from the person, with the words they were shown")
		}
		w.Purposes = append(w.Purposes, consent.Purpose(purpose))
	}
	return w, bad, nil
}
