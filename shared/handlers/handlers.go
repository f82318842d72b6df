// Package handlers builds the handler of each function from its
// configuration and clients, the one way both the Lambda mains
// (functions/<name>/main.go) and the local cloud (shared/localcloud) do it, so
// the two cannot wire a function differently.
package handlers

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/consentapi"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/intakeapi"
	"github.com/claritru/privacy/shared/notifier"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/optoutapi"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/sesmail"
	"github.com/claritru/privacy/shared/settings"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subjectdata"
	"github.com/claritru/privacy/shared/sweep"
	"github.com/claritru/privacy/shared/watch"
)

// Deps is what every handler is built from.
type Deps struct {
	Env   settings.Env
	DB    *dynamodb.Client
	Keyer *subject.Keyer // nil for functions that key no subject
	Log   *slog.Logger
	// AdminToken is the local stand-in for IAM on the staff API; empty in
	// AWS, where API Gateway authorises staff routes with IAM.
	AdminToken string
}

// Load reads a Lambda function's configuration once, at cold start, and
// builds its clients; keyed functions also read the subject pepper.
func Load(ctx context.Context, keyed bool) (Deps, error) {
	env, err := settings.Load(ctx)
	if err != nil {
		return Deps{}, err
	}
	d := Deps{Env: env, DB: env.DynamoDB(), Log: lambdacontext.NewLogger()}
	if keyed {
		if d.Keyer, err = env.Keyer(ctx); err != nil {
			return Deps{}, err
		}
	}
	return d, nil
}

func (d Deps) optOuts() *optout.Service {
	return optout.NewService(ddb.NewOptOuts(d.DB, d.Env.Table), d.Keyer, nil)
}

func (d Deps) requests() *request.Service {
	return request.NewService(ddb.NewStore(d.DB, d.Env.Table), request.Config{
		PublicBaseURL: d.Env.PublicBaseURL, Keyer: d.Keyer, OptOuts: d.optOuts(),
	})
}

func (d Deps) consents() *consent.Service {
	return consent.NewService(ddb.NewConsents(d.DB, d.Env.Table), consent.Config{
		Keyer: d.Keyer, PublicBaseURL: d.Env.PublicBaseURL,
	})
}

// Intake serves Data Rights Requests and verification.
func Intake(d Deps) *intakeapi.Handler {
	return &intakeapi.Handler{
		Service: d.requests(), PublicBaseURL: d.Env.PublicBaseURL,
		ReturnURLs: d.Env.ReturnURLs, AllowedOrigins: d.Env.AllowedOrigins, Log: d.Log,
	}
}

// OptOut serves Do Not Sell or Share and its status.
func OptOut(d Deps) *optoutapi.Handler {
	return &optoutapi.Handler{
		Service: d.optOuts(), ReturnURLs: d.Env.ReturnURLs, AllowedOrigins: d.Env.AllowedOrigins, Log: d.Log,
	}
}

// Consent serves consent events and double opt-in.
func Consent(d Deps) *consentapi.Handler {
	return &consentapi.Handler{
		Service: d.consents(), PublicBaseURL: d.Env.PublicBaseURL, PolicyURL: d.Env.PolicyURL,
		ReturnURLs: d.Env.ReturnURLs, AllowedOrigins: d.Env.AllowedOrigins, Log: d.Log,
	}
}

// Admin serves the staff API.
func Admin(d Deps) *adminapi.Handler {
	return &adminapi.Handler{
		OptOuts: d.optOuts(), Consents: d.consents(), Chains: ddb.NewLedger(d.DB, d.Env.Table),
		Requests: d.requests(), Subjects: subjectdata.NewService(ddb.NewSubjects(d.DB, d.Env.Table), d.Keyer, nil),
		Sweeps: ddb.NewSweeper(d.DB, d.Env.Table),
		Token:  d.AdminToken, Log: d.Log,
	}
}

// Notifier sends the outbox from the table's stream.
func Notifier(d Deps) *notifier.Handler {
	return &notifier.Handler{
		Outbox: ddb.NewOutbox(d.DB, d.Env.Table), Sender: sesmail.NewSender(d.Env.SES(), d.Env.MailFrom), Log: d.Log,
	}
}

// Watch runs the daily deadline watch, expiry and mail re-drive.
func Watch(d Deps) *watch.Handler {
	outbox := ddb.NewOutbox(d.DB, d.Env.Table)
	return &watch.Handler{
		Requests: request.NewService(ddb.NewStore(d.DB, d.Env.Table), request.Config{}),
		Outbox:   outbox.Enqueue, Redrive: outbox.RedriveStale,
		TeamEmail: d.Env.TeamEmail, Log: d.Log,
	}
}

// Retention runs the retention sweep.
func Retention(d Deps) *sweep.Handler {
	return &sweep.Handler{Sweeper: ddb.NewSweeper(d.DB, d.Env.Table), Log: d.Log}
}
