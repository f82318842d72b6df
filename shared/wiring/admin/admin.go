// Package admin wires the admin function: the staff API.
package admin

import (
	"context"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deliverability"
	"github.com/claritru/privacy/shared/feed"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/settings/pepper"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/subjectdata"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration and the subject pepper once, at
// cold start.
func Load(ctx context.Context) (wiring.Deps, error) { return wiring.Load(ctx, pepper.Keyer) }

// Handler builds the function's handler; it reads phone numbers.
func Handler(d wiring.Deps) *adminapi.Handler {
	d.Phone = phone.E164
	jobs := ddb.NewJobs(d.DB, d.Env.Table)
	platforms := feed.NewService(ddb.NewFeed(d.DB, d.Env.Table), d.Register(), nil)
	platforms.Zone = d.Env.Zone
	requests, subjects := d.Requests(), ddb.NewSubjects(d.DB, d.Env.Table)
	erasure := subjectdata.NewService(subjects, d.Keyer, d.Phone, nil)
	// An erasure closes the person's open requests, with their mail, first.
	erasure.CloseOpen(subjects, requests)
	return &adminapi.Handler{
		OptOuts: d.OptOuts(), Consents: d.Consents(), Choices: d.Choices(), Chains: ddb.NewLedger(d.DB, d.Env.Table),
		Requests: requests, Subjects: erasure,
		Deliverability: deliverability.NewService(ddb.NewMarks(d.DB, d.Env.Table), d.Keyer, nil),
		Sweeps:         ddb.NewSweeper(d.DB, d.Env.Table),
		// Staff read the register and the jobs, and record answers; the
		// reach function delivers them.
		Systems: d.Register(), Jobs: jobs, Reach: reach.NewService(jobs, reach.Config{Register: d.Register()}),
		Feed:         platforms,
		Policy:       d.Policy(),
		OptOutCounts: ddb.NewOptOuts(d.DB, d.Env.Table), Zone: d.Env.Zone,
		Token: d.AdminToken, EdgeSecret: d.Env.EdgeSecret, StaffRoles: d.Env.StaffRoles, Log: d.Log,
	}
}
