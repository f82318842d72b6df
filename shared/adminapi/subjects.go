package adminapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/subjectdata"
)

var subjectsUnavailable = fault.New(fault.Internal, "subject export and erasure are not configured")

// subjectExport answers with the export of the person named by the email or
// phone query parameter.
func (h *Handler) subjectExport(ctx context.Context, r apigw.Request) apigw.Response {
	if h.Subjects == nil {
		return apigw.Fail(ctx, h.Log, subjectsUnavailable, nil)
	}
	q := r.QueryStringParameters
	portable, err := exportFormat(q["format"])
	if err != nil {
		return apigw.Problem(err, nil)
	}
	// The handover is recorded with the staff principal who asked for it.
	doc, err := h.Subjects.Export(ctx, q["email"], q["phone"], h.staff(r))
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	if portable {
		// The data the person provided, to take elsewhere (GDPR Art. 20).
		return apigw.JSONResponse(http.StatusOK, subjectdata.PortableOf(doc), nil)
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

// exportFormat reads the export's format: the whole export (none, or
// "full") or the portable copy ("portable").
func exportFormat(f string) (bool, error) {
	switch strings.TrimSpace(f) {
	case "", "full":
		return false, nil
	case "portable":
		return true, nil
	}
	var bad fault.Fields
	bad.Add("format", "use full or portable")
	return false, bad.Err()
}
