package adminapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/feed"
)

var feedUnavailable = fault.New(fault.Internal, "the suppression feed is not configured")

// FeedEntry is one entry of the feed: what the platform matches on (the
// SHA-256 of the normalised email or E.164 phone, or a browser id).
type FeedEntry struct {
	Kind  string    `json:"kind"`
	Match string    `json:"match"`
	Since time.Time `json:"since"`
}

// FeedPage is one pull of the feed for a platform.
type FeedPage struct {
	Platform    string      `json:"platform"`
	FromVersion string      `json:"from_version"`
	Version     string      `json:"version"`
	Count       int         `json:"count"`
	Entries     []FeedEntry `json:"entries"`
	Complete    bool        `json:"complete"`
	// Late and OldestPending are the platform's standing by its latest
	// recorded delivery, whatever since was asked for.
	Late          bool       `json:"late"`
	OldestPending *time.Time `json:"oldest_pending,omitempty"`
}

// FeedDelivery is one recorded delivery.
type FeedDelivery struct {
	ID       string    `json:"id"`
	Platform string    `json:"platform"`
	Version  string    `json:"version"`
	Entries  int       `json:"entries"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
}

// FeedDeliveries lists a platform's deliveries, newest first.
type FeedDeliveries struct {
	Platform   string         `json:"platform"`
	Deliveries []FeedDelivery `json:"deliveries"`
}

// pageLimit reads the optional limit query parameter.
func pageLimit(q map[string]string, def, max int, f *fault.Fields) int {
	s, ok := q["limit"]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > max {
		f.Add("limit", "give a whole number from 1 to "+strconv.Itoa(max))
	}
	return n
}

// suppressionFeed returns the entries of the suppression list a platform
// has not taken: after its latest recorded delivery, or after since.
func (h *Handler) suppressionFeed(ctx context.Context, r apigw.Request) apigw.Response {
	if h.Feed == nil {
		return apigw.Fail(ctx, h.Log, feedUnavailable, nil)
	}
	q := r.QueryStringParameters
	var f fault.Fields
	limit := pageLimit(q, feed.DefaultPage, feed.MaxPage, &f)
	if err := f.Err(); err != nil {
		return apigw.Problem(err, nil)
	}
	p, err := h.Feed.Pull(ctx, q["platform"], q["since"], limit)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	out := FeedPage{Platform: p.Platform, FromVersion: p.FromVersion, Version: p.Version, Count: len(p.Entries),
		Entries: make([]FeedEntry, 0, len(p.Entries)), Complete: p.Complete, Late: p.Lag.Late}
	if !p.Lag.OldestPending.IsZero() {
		out.OldestPending = &p.Lag.OldestPending
	}
	for _, e := range p.Entries {
		out.Entries = append(out.Entries, FeedEntry{Kind: string(e.Kind), Match: e.Match, Since: e.Since})
	}
	return apigw.JSONResponse(http.StatusOK, out, nil)
}

// recordDelivery records that a platform took the feed up to a version,
// with the staff principal who says so.
func (h *Handler) recordDelivery(ctx context.Context, r apigw.Request) apigw.Response {
	if h.Feed == nil {
		return apigw.Fail(ctx, h.Log, feedUnavailable, nil)
	}
	raw, mt, err := apigw.Body(r)
	if err == nil && mt != apigw.JSON {
		err = fault.New(fault.Unsupported, "Send application/json.")
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	var platform, version string
	entries := -1
	bad, err := apigw.DecodeJSON(raw, map[string]any{"platform": &platform, "version": &version, "entries": &entries})
	if err == nil {
		err = bad.Err()
	}
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	d, err := h.Feed.Record(ctx, platform, version, entries, h.staff(r))
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	return apigw.JSONResponse(http.StatusCreated, feedDelivery(d), nil)
}

// suppressionDeliveries lists a platform's recorded deliveries, newest
// first.
func (h *Handler) suppressionDeliveries(ctx context.Context, r apigw.Request) apigw.Response {
	if h.Feed == nil {
		return apigw.Fail(ctx, h.Log, feedUnavailable, nil)
	}
	q := r.QueryStringParameters
	var f fault.Fields
	limit := pageLimit(q, 50, 100, &f)
	if err := f.Err(); err != nil {
		return apigw.Problem(err, nil)
	}
	ds, err := h.Feed.Deliveries(ctx, q["platform"], limit)
	if err != nil {
		return apigw.Fail(ctx, h.Log, err, nil)
	}
	out := FeedDeliveries{Platform: q["platform"], Deliveries: make([]FeedDelivery, 0, len(ds))}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, feedDelivery(d))
	}
	return apigw.JSONResponse(http.StatusOK, out, nil)
}

func feedDelivery(d feed.Delivery) FeedDelivery {
	return FeedDelivery{ID: d.ID, Platform: d.Platform, Version: d.Version, Entries: d.Entries, At: d.At, Actor: d.Actor}
}
