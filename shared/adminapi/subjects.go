package adminapi

import (
	"context"
	"net/http"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/fault"
)

var subjectsUnavailable = fault.New(fault.Internal, "subject export and erasure are not configured")

// subjectExport answers with the export of the person named by the email or
// phone query parameter.
func (h *Handler) subjectExport(ctx context.Context, r apigw.Request) apigw.Response {
	if h.Subjects == nil {
		return apigw.Fail(ctx, h.Log, subjectsUnavailable, nil)
	}
	q := r.QueryStringParameters
	// The handover is recorded with the staff principal who asked for it.
	doc, err := h.Subjects.Export(ctx, q["email"], q["phone"], h.staff(r))
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	return apigw.JSONResponse(http.StatusOK, doc, nil)
}

// subjectErase erases the person named in a JSON body {email|phone, reason}
// and answers with what was deleted, minimised and kept. The erasure is
// recorded with the staff principal who asked for it.
func (h *Handler) subjectErase(ctx context.Context, r apigw.Request) apigw.Response {
	if h.Subjects == nil {
		return apigw.Fail(ctx, h.Log, subjectsUnavailable, nil)
	}
	raw, mt, err := apigw.Body(r)
	if err == nil && mt != apigw.JSON {
		err = fault.New(fault.Unsupported, "Send application/json.")
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	var email, phone, reason string
	bad, err := apigw.DecodeJSON(raw, map[string]any{"email": &email, "phone": &phone, "reason": &reason})
	if err == nil {
		err = bad.Err()
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	rep, err := h.Subjects.Erase(ctx, email, phone, reason, h.staff(r))
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	return apigw.JSONResponse(http.StatusOK, rep, nil)
}
