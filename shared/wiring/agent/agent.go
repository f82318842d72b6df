// Package agent wires the agent function: the Data Rights Protocol's
// endpoints for authorized agents and their status callbacks.
package agent

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/agentapi"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/drp"
	"github.com/claritru/privacy/shared/settings/pepper"
	"github.com/claritru/privacy/shared/subject/phone"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration and the subject pepper once, at
// cold start.
func Load(ctx context.Context) (wiring.Deps, error) { return wiring.Load(ctx, pepper.Keyer) }

// RetryBatch is how many due callbacks one scheduled run posts, one at a
// time: each waits at most drp.CallbackTimeout, so a batch of slow agents
// ends inside the function's timeout; the rest wait for the next run.
const RetryBatch = 2

// Handler builds the function's handler; the register of trusted agents
// that does not load (a bad DRP_AGENTS) is an error at start.
func Handler(d wiring.Deps) (*agentapi.Handler, error) {
	d.Phone = phone.E164
	reg, err := drp.LoadRegister(d.Env.DRPAgents)
	if err != nil {
		return nil, err
	}
	business := d.Env.DRPBusinessID
	if business == "" {
		business = drp.DefaultBusinessID
	}
	// Plain http to the loopback host is taken only where the service
	// itself is served so (the local cloud); in AWS callbacks are https.
	loopback := strings.HasPrefix(d.Env.PublicBaseURL, "http://")
	svc := drp.NewService(ddb.NewDRP(d.DB, d.Env.Table), drp.Config{
		Register: reg, Requests: d.Requests(), Read: ddb.NewRequests(d.DB, d.Env.Table), BusinessID: business,
		PublicBaseURL: d.Env.PublicBaseURL, LoopbackCallbacks: loopback,
	})
	callbacks := ddb.NewCallbacks(d.DB, d.Env.Table)
	sender := &drp.Sender{
		Store: callbacks, Loopback: loopback, Now: time.Now,
		// Redirects are not followed: a callback goes to the address the
		// agent signed and nowhere else.
		HTTP: &http.Client{Timeout: drp.CallbackTimeout + time.Second, Transport: callbackTransport(loopback),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	return &agentapi.Handler{Service: svc, Sender: sender, Callbacks: callbacks, Log: d.Log,
		EdgeSecret: d.Env.EdgeSecret, RetryBatch: RetryBatch}, nil
}

// callbackTransport dials public addresses only (loopback too where
// loopback callbacks are allowed) and uses no proxy: the address checked is
// the one connected to.
func callbackTransport(loopback bool) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = (&net.Dialer{Timeout: drp.CallbackTimeout, Control: drp.PublicAddress(loopback)}).DialContext
	return tr
}
