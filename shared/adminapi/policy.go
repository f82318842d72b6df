package adminapi

import (
	"context"
	"net/http"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/policy"
)

// PublishedVersion is a version of the privacy policy as its publication
// answers: the register's entry and the staff principal who published it.
type PublishedVersion struct {
	Version     string    `json:"version"`
	EffectiveAt time.Time `json:"effective_at"`
	TextSHA256  string    `json:"text_sha256"`
	Material    bool      `json:"material"`
	Summary     string    `json:"summary"`
	PublishedAt time.Time `json:"published_at"`
	Actor       string    `json:"actor"`
	// Notice says whether the version's notice goes out to the people on
	// record (a material version).
	Notice bool `json:"notice"`
}

var policyUnavailable = fault.New(fault.Internal, "The policy register is not configured.")

// publishPolicy records a version of the privacy policy with its exact
// words; a material one is then mailed, paced, to everyone with a consent
// in effect or a request open (shared/policy, the watch's notice job).
func (h *Handler) publishPolicy(ctx context.Context, r apigw.Request) apigw.Response {
	if h.Policy == nil {
		return apigw.Fail(ctx, h.Log, policyUnavailable, nil)
	}
	raw, mt, err := apigw.Body(r)
	if err == nil && mt != apigw.JSON {
		err = fault.New(fault.Unsupported, "Send application/json.")
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	var in policy.Input
	bad, err := apigw.DecodeJSON(raw, map[string]any{
		"version": &in.ID, "effective_at": &in.EffectiveAt, "text": &in.Text, "text_sha256": &in.TextSHA256,
		"material": &in.Material, "summary": &in.Summary,
	})
	if err == nil {
		err = bad.Err()
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	v, err := h.Policy.Publish(ctx, in, h.staff(r))
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	return apigw.JSONResponse(http.StatusCreated, PublishedVersion{
		Version: v.ID, EffectiveAt: v.EffectiveAt.UTC(), TextSHA256: v.TextSHA256, Material: v.Material,
		Summary: v.Summary, PublishedAt: v.PublishedAt.UTC(), Actor: v.Actor, Notice: v.Material,
	}, nil)
}
