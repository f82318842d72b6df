// Package watch wires the watch function: the daily deadline watch, expiry
// and mail re-drive.
package watch

import (
	"context"
	"errors"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/feed"
	"github.com/claritru/privacy/shared/policy"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/topology"
	deadlines "github.com/claritru/privacy/shared/watch"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration once, at cold start; the
// function keys no subject.
func Load(ctx context.Context) (wiring.Deps, error) { return wiring.Load(ctx, nil) }

// Handler builds the function's handler. The digest needs the privacy
// team's address.
func Handler(d wiring.Deps) (*deadlines.Handler, error) {
	if d.Env.TeamEmail == "" {
		return nil, errors.New(topology.EnvPrivacyTeam + " is not set")
	}
	outbox := ddb.NewOutbox(d.DB, d.Env.Table)
	platforms := feed.NewService(ddb.NewFeed(d.DB, d.Env.Table), d.Register(), nil)
	platforms.Zone = d.Env.Zone
	return &deadlines.Handler{
		Requests: request.NewService(ddb.NewRequests(d.DB, d.Env.Table), request.Config{Zone: d.Env.Zone}),
		Outbox:   outbox.Enqueue, Redrive: outbox.RedriveStale,
		Jobs:      ddb.NewJobs(d.DB, d.Env.Table),
		Platforms: platforms,
		Notices: &policy.Notifier{
			Store: ddb.NewPolicy(d.DB, d.Env.Table), PolicyURL: d.Env.PolicyURL, PerRun: topology.PolicyNoticesPerRun,
		},
		TeamEmail: d.Env.TeamEmail, Zone: d.Env.Zone, Log: d.Log,
	}, nil
}
