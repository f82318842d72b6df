package adminapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/retention"
)

// defaultSweepPage is how many reports a page holds when no limit is given.
const defaultSweepPage = 50

// SweepReports is one page of sweep reports, the newest run first.
type SweepReports struct {
	Sweeps     []retention.Report `json:"sweeps"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// sweepReports lists the reports of the retention sweep's runs, newest
// first, a page at a time.
func (h *Handler) sweepReports(ctx context.Context, r apigw.Request) apigw.Response {
	q := r.QueryStringParameters
	var f fault.Fields
	limit := defaultSweepPage
	if s, ok := q["limit"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 100 {
			f.Add("limit", "give a whole number from 1 to 100")
		}
		limit = n
	}
	// A cursor is the run id (a ULID) of a page's last report; anything
	// else is none this list returned and never reaches the store.
	cursor := strings.TrimSpace(q["cursor"])
	if cursor != "" && !ulidPattern().MatchString(cursor) {
		f.Add("cursor", "is not a cursor this list returned")
	}
	if err := f.Err(); err != nil {
		return apigw.Problem(err, nil)
	}
	reports, next, err := h.Sweeps.Reports(ctx, cursor, limit)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	out := SweepReports{Sweeps: make([]retention.Report, 0, len(reports)), NextCursor: next}
	for _, rep := range reports {
		if rep.Removed == nil {
			rep.Removed = map[retention.Kind]int{}
		}
		out.Sweeps = append(out.Sweeps, rep)
	}
	return apigw.JSONResponse(http.StatusOK, out, nil)
}
