package adminapi

import (
	"context"
	"time"

	"github.com/claritru/privacy/shared/request"
)

// OptOutCounter counts the opt-outs of sale and sharing that took effect in
// [from, to), by source (optout.Source: form for the Do Not Sell or Share
// page, gpc for the Global Privacy Control signal, request, staff).
type OptOutCounter interface {
	CountBySource(ctx context.Context, from, to time.Time) (map[string]int, error)
}

// metricsView is the 11 CCR §7102 figures as GET /v1/admin/metrics answers:
// the requests' figures and the opt-outs of sale and sharing by how they
// came, the page and the Global Privacy Control signal counted apart
// (§7102(a)(1) counts requests to opt out; §7025 makes the signal one).
type metricsView struct {
	request.Metrics
	OptOutsBySource map[string]int `json:"opt_outs_by_source"`
}
