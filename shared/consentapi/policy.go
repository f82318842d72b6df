package consentapi

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/policy"
)

// PolicyVersion is one version of the privacy policy as the register lists
// it publicly (never who published it).
type PolicyVersion struct {
	Version     string    `json:"version"`
	EffectiveAt time.Time `json:"effective_at"`
	TextSHA256  string    `json:"text_sha256"`
	Material    bool      `json:"material"`
	Summary     string    `json:"summary"`
	PublishedAt time.Time `json:"published_at"`
}

// PolicyVersions is GET /v1/policy-versions: the version in force now,
// when there is one, and every version, latest effective first (one
// published ahead of its date is listed before it takes effect).
type PolicyVersions struct {
	Current  *PolicyVersion  `json:"current,omitempty"`
	Versions []PolicyVersion `json:"versions"`
}

// policyMaxAge is how long browsers may reuse the register: a version is
// published ahead of its date, so a minute's delay shows no wrong date.
const policyMaxAge = 60

// PolicyEntry is the public form of a version.
func PolicyEntry(v policy.Version) PolicyVersion {
	return PolicyVersion{Version: v.ID, EffectiveAt: v.EffectiveAt.UTC(), TextSHA256: v.TextSHA256, Material: v.Material, Summary: v.Summary, PublishedAt: v.PublishedAt.UTC()}
}

// policyVersions lists the register, for the policy page to show the
// effective date (the policy, section 14: changes are posted "with the
// revised effective date").
func (h *Handler) policyVersions(ctx context.Context, r apigw.Request, cors map[string]string) apigw.Response {
	vs, err := h.Policy.Versions(ctx)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, cors)
	}
	out := PolicyVersions{Versions: []PolicyVersion{}}
	if cur, ok := policy.InForce(vs, time.Now()); ok {
		e := PolicyEntry(cur)
		out.Current = &e
	}
	for _, v := range slices.Backward(vs) {
		out.Versions = append(out.Versions, PolicyEntry(v))
	}
	headers := maps.Clone(cors)
	if headers == nil {
		headers = map[string]string{}
	}
	headers["Cache-Control"] = "public, max-age=" + strconv.Itoa(policyMaxAge)
	return apigw.JSONResponse(http.StatusOK, out, headers)
}
