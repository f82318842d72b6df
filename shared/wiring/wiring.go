// Package wiring is what each function's wiring (shared/wiring/<function>)
// builds on: the configuration and clients a handler is built from, and the
// services several functions share. Each function has its own wiring
// package, which both its Lambda main (functions/<function>/main.go) and the
// local cloud (shared/localcloud) use, so the two cannot wire a function
// differently, and a function links only the packages its own handler uses.
package wiring

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/claritru/privacy/shared/choices"
	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/policy"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/settings"
	"github.com/claritru/privacy/shared/subject"
)

// Deps is what every handler is built from.
type Deps struct {
	Env   settings.Env
	DB    *dynamodb.Client
	Keyer *subject.Keyer // nil for functions that key no subject
	// Phone reads phone numbers; nil for functions that read none, so that
	// they do not link the phone number library and its metadata.
	Phone subject.PhoneNormaliser
	// TextsTo says whether the service texts a number (phone.TextsTo);
	// nil in functions that text no code.
	TextsTo func(e164 string) bool
	Log     *slog.Logger
	// AdminToken is the local stand-in for IAM on the machine routes;
	// empty in AWS, where API Gateway authorises them with IAM.
	AdminToken string
	// Systems is the register of the company's systems; nil is the one
	// kept in the repository (reach.Systems). The local cloud points its
	// webhooks at its sample receiver.
	Systems *reach.Register
}

// Register is the register of systems the function acts on.
func (d Deps) Register() *reach.Register {
	if d.Systems != nil {
		return d.Systems
	}
	return reach.Systems()
}

// Load reads a Lambda function's configuration once, at cold start, and
// builds its clients; a function that keys subjects passes keyer
// (pepper.Keyer), which reads the subject pepper, the others nil.
func Load(ctx context.Context, keyer func(context.Context, aws.Config) (*subject.Keyer, error)) (Deps, error) {
	env, err := settings.Load(ctx)
	if err != nil {
		return Deps{}, err
	}
	d := Deps{Env: env, DB: env.DynamoDB(), Log: lambdacontext.NewLogger()}
	if keyer != nil {
		if d.Keyer, err = keyer(ctx, env.AWS); err != nil {
			return Deps{}, err
		}
	}
	return d, nil
}

// OptOuts is the opt-out service.
func (d Deps) OptOuts() *optout.Service {
	s := optout.NewService(ddb.NewOptOuts(d.DB, d.Env.Table), d.Keyer, d.Phone, nil)
	s.Systems = d.Register()
	s.Zone = d.Env.Zone
	return s
}

// Requests is the Data Rights Request service.
func (d Deps) Requests() *request.Service {
	return request.NewService(ddb.NewRequests(d.DB, d.Env.Table), request.Config{
		PublicBaseURL: d.Env.PublicBaseURL, Keyer: d.Keyer, Phone: d.Phone, OptOuts: d.OptOuts(),
		Marketing: d.Consents(), Systems: d.Register(), Jobs: ddb.NewJobs(d.DB, d.Env.Table), Zone: d.Env.Zone,
	})
}

// Consents is the consent service. It cites the privacy policy version in
// force in what it records (only the consent function records choices,
// and only it reads the register for that).
func (d Deps) Consents() *consent.Service {
	return consent.NewService(ddb.NewConsents(d.DB, d.Env.Table), consent.Config{
		Keyer: d.Keyer, Phone: d.Phone, TextsTo: d.TextsTo, PublicBaseURL: d.Env.PublicBaseURL, Zone: d.Env.Zone,
		Policy: d.Policy(),
	})
}

// Policy is the register of the privacy policy's versions.
func (d Deps) Policy() *policy.Service {
	return policy.NewService(ddb.NewPolicy(d.DB, d.Env.Table), nil)
}

// Choices reads what answers "may we?" for one subject: its consents and
// opt-outs.
func (d Deps) Choices() choices.Reader {
	return choices.Reader{Consents: ddb.NewConsents(d.DB, d.Env.Table), OptOuts: ddb.NewOptOuts(d.DB, d.Env.Table)}
}
