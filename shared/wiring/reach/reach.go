// Package reach wires the reach function: delivery of the jobs that carry a
// right to the company's systems, their retries, and the systems' signed
// callbacks.
package reach

import (
	"context"
	"net/http"
	"time"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/reachapi"
	"github.com/claritru/privacy/shared/secretstore"
	"github.com/claritru/privacy/shared/wiring"
)

// Load reads the function's configuration once, at cold start. It keys no
// subject: jobs carry what the systems are told.
func Load(ctx context.Context) (wiring.Deps, error) { return wiring.Load(ctx, nil) }

// RetryBatch is how many due jobs one scheduled run tries, reach.RetryAtOnce
// at a time: a system that is down refuses at once or times out after
// reach.Attempt, so even a batch of slow ones ends inside the function's
// minute; the rest wait for the next run.
const RetryBatch = 25

// Handler builds the function's handler; secrets reads the webhooks'
// signing keys (nil: Secrets Manager, at the configured endpoint).
func Handler(d wiring.Deps, secrets reach.Secrets) *reachapi.Handler {
	if secrets == nil {
		secrets = secretstore.New(d.Env.AWS, d.Env.SecretsEndpoint)
	}
	jobs := ddb.NewJobs(d.DB, d.Env.Table)
	svc := reach.NewService(jobs, reach.Config{
		Register: d.Register(), Secrets: secrets, PublicBaseURL: d.Env.PublicBaseURL,
		// Redirects are not followed: a webhook goes to the address the
		// register names and nowhere else.
		HTTP: &http.Client{Timeout: reach.Attempt + time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	})
	return &reachapi.Handler{Service: svc, Jobs: jobs, Log: d.Log, EdgeSecret: d.Env.EdgeSecret, RetryBatch: RetryBatch}
}
