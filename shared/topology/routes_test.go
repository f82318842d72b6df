package topology_test

import (
	"slices"
	"testing"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/agentapi"
	"github.com/claritru/privacy/shared/consentapi"
	"github.com/claritru/privacy/shared/intakeapi"
	"github.com/claritru/privacy/shared/optoutapi"
	"github.com/claritru/privacy/shared/reachapi"
	"github.com/claritru/privacy/shared/topology"
)

// served is what each HTTP adapter serves, by function name.
func served() map[string][]string {
	return map[string][]string{
		"intake":  intakeapi.Routes(),
		"optout":  optoutapi.Routes(),
		"consent": consentapi.Routes(),
		"admin":   adminapi.Routes(),
		"reach":   reachapi.Routes(),
		"agent":   agentapi.Routes(),
	}
}

// Every route of the topology reaches a handler of its function, and no
// handler serves a route API Gateway would never send it.
func TestAdaptersServeTheTopology(t *testing.T) {
	if err := topology.ClariTru.CheckRoutes(served()); err != nil {
		t.Error(err)
	}
}

func TestCheckRoutesCatchesDrift(t *testing.T) {
	bogus := topology.ClariTru
	bogus.Routes = append(slices.Clone(bogus.Routes), topology.Route{Method: "GET", Path: "/v1/bogus", Function: "intake", Auth: topology.Public})
	if err := bogus.CheckRoutes(served()); err == nil {
		t.Error("a topology route no handler serves passed")
	}

	missing := served()
	missing["admin"] = slices.DeleteFunc(slices.Clone(missing["admin"]), func(k string) bool { return k == "GET /v1/admin/sweeps" })
	if err := topology.ClariTru.CheckRoutes(missing); err == nil {
		t.Error("a route whose handler entry is gone passed")
	}

	extra := served()
	extra["optout"] = append(slices.Clone(extra["optout"]), "DELETE /v1/opt-out")
	if err := topology.ClariTru.CheckRoutes(extra); err == nil {
		t.Error("a handler serving a route the topology lacks passed")
	}

	moved := served()
	moved["intake"] = append(slices.Clone(moved["intake"]), "POST /v1/opt-out")
	if err := topology.ClariTru.CheckRoutes(moved); err == nil {
		t.Error("a handler serving another function's route passed")
	}

	unknown := served()
	unknown["nosuch"] = []string{"GET /v1/requests"}
	if err := topology.ClariTru.CheckRoutes(unknown); err == nil {
		t.Error("a handler of no topology function passed")
	}
}
