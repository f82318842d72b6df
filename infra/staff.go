package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The staff roles, as Cognito groups: viewer < handler < admin. The admin
// function reads a person's highest group from the access token's
// cognito:groups claim; a token with none of these is refused.
const (
	groupViewer  = "privacy-viewer"
	groupHandler = "privacy-handler"
	groupAdmin   = "privacy-admin"
)

// staffGroups are the groups with what each may do, highest first.
var staffGroups = []struct{ name, does string }{
	{groupAdmin, "Privacy admins: everything a handler may, and export, erase and publish policy versions"},
	{groupHandler, "Privacy handlers: everything a viewer may, and act on requests, enter requests and record withdrawals"},
	{groupViewer, "Privacy viewers: read the queue, requests, people's records, reports and metrics"},
}

// Token lifetimes of the console. An access token lets its bearer act on
// people's data until it expires, whatever happens to the account, so it
// lives an hour; the refresh token keeps a working day signed in without
// a new password and authenticator code, and no longer.
const (
	staffTokenValidityHours   = 1
	staffRefreshValidityHours = 12
)

// consolePath is where the console is served on the edge, and its sign-in
// callback.
const consolePath = "/console/"

// Staff is how the privacy team signs in: a Cognito user pool of its own
// (no self sign-up: an admin creates each account), its hosted sign-in
// domain and the console's app client, whose access tokens the HTTP API's
// JWT authorizer accepts on the staff routes.
type Staff struct {
	Pool   awscognito.UserPool
	Domain awscognito.UserPoolDomain
	Client awscognito.UserPoolClient
	Groups map[string]awscognito.UserPoolGroup
	// ConsoleURL is <public base URL>/console/: the sign-in callback and
	// the page signing out returns to.
	ConsoleURL *string
	// SignInOrigin is https://<prefix>.auth.<region>.amazoncognito.com.
	SignInOrigin *string
}

// newStaff builds the staff user pool. publicBase is the address the
// console is served at (the edge's, or the configured public base URL).
func newStaff(scope constructs.Construct, id string, cfg Config, publicBase *string) Staff {
	c := constructs.NewConstruct(scope, jsii.String(id))
	consoleURL := awscdk.Fn_Join(jsii.String(""), &[]*string{publicBase, jsii.String(consolePath)})
	pool := awscognito.NewUserPool(c, jsii.String("Pool"), &awscognito.UserPoolProps{
		// Accounts are given, never taken: staff see and change people's
		// privacy records.
		SelfSignUpEnabled: jsii.Bool(false),
		SignInAliases:     &awscognito.SignInAliases{Username: jsii.Bool(true), Email: jsii.Bool(true)},
		AutoVerify:        &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		StandardAttributes: &awscognito.StandardAttributes{
			Email: &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
		},
		// An authenticator app's code at every sign-in. No SMS: codes by
		// text can be intercepted (SIM swap), and the pool needs no role
		// to send them.
		Mfa:             awscognito.Mfa_REQUIRED,
		MfaSecondFactor: &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(14),
			RequireLowercase:     jsii.Bool(true),
			RequireUppercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
			PasswordHistorySize:  jsii.Number(12),
		},
		// Recovery by the address an admin gave the account, never by
		// phone.
		AccountRecovery: awscognito.AccountRecovery_EMAIL_ONLY,
		UserInvitation: &awscognito.UserInvitationConfig{
			EmailSubject: jsii.String("Your ClariTru privacy console account"),
			EmailBody: awscdk.Fn_Join(jsii.String(""), &[]*string{
				jsii.String("Your user name is {username} and your temporary password is {####}. Sign in at "),
				consoleURL,
				jsii.String(" within three days: you will choose a new password and add the console to an authenticator app."),
			}),
		},
		// Threat protection (the Plus plan): compromised-credential checks
		// and adaptive authentication that blocks risky sign-ins.
		FeaturePlan:                  awscognito.FeaturePlan_PLUS,
		StandardThreatProtectionMode: awscognito.StandardThreatProtectionMode_FULL_FUNCTION,
		// The accounts are who acted on people's requests: each action
		// records the user name. Kept with the records they explain,
		// unless the stage lets a test installation go whole.
		DeletionProtection: jsii.Bool(cfg.RetainData),
		RemovalPolicy:      removal(cfg),
	})

	groups := map[string]awscognito.UserPoolGroup{}
	for i, g := range staffGroups {
		groups[g.name] = pool.AddGroup(jsii.String(g.name), &awscognito.UserPoolGroupOptions{
			GroupName:   jsii.String(g.name),
			Description: jsii.String(g.does),
			Precedence:  jsii.Number(float64(i)),
		})
	}

	domain := pool.AddDomain(jsii.String("Domain"), &awscognito.UserPoolDomainOptions{
		CognitoDomain: &awscognito.CognitoDomainOptions{DomainPrefix: jsii.String(cfg.StaffAuthDomain)},
	})

	client := consoleClient(pool, consoleURL)
	return Staff{Pool: pool, Domain: domain, Client: client, Groups: groups, ConsoleURL: consoleURL,
		SignInOrigin: signInOrigin(cfg.StaffAuthDomain)}
}

// consoleClient is the console's app client: public, the authorization
// code grant back to the console only, short-lived tokens.
func consoleClient(pool awscognito.UserPool, consoleURL *string) awscognito.UserPoolClient {
	return pool.AddClient(jsii.String("Console"), &awscognito.UserPoolClientOptions{
		// A browser cannot keep a secret: a public client with PKCE.
		GenerateSecret: jsii.Bool(false),
		// Passwords are typed into Cognito's sign-in pages, never sent by
		// the console; SRP for a script's sign-in keeps the password on
		// the machine that types it.
		AuthFlows: &awscognito.AuthFlow{UserSrp: jsii.Bool(true)},
		OAuth: &awscognito.OAuthSettings{
			// The code grant only: the implicit grant would hand tokens
			// over in the URL, where history and logs keep them.
			Flows:        &awscognito.OAuthFlows{AuthorizationCodeGrant: jsii.Bool(true)},
			Scopes:       &[]awscognito.OAuthScope{awscognito.OAuthScope_OPENID(), awscognito.OAuthScope_EMAIL(), awscognito.OAuthScope_PROFILE()},
			CallbackUrls: &[]*string{consoleURL},
			LogoutUrls:   &[]*string{consoleURL},
		},
		SupportedIdentityProviders: &[]awscognito.UserPoolClientIdentityProvider{awscognito.UserPoolClientIdentityProvider_COGNITO()},
		// A wrong user name fails like a wrong password.
		PreventUserExistenceErrors: jsii.Bool(true),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(staffTokenValidityHours)),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(staffTokenValidityHours)),
		RefreshTokenValidity:       awscdk.Duration_Hours(jsii.Number(staffRefreshValidityHours)),
		AuthSessionValidity:        awscdk.Duration_Minutes(jsii.Number(5)),
		EnableTokenRevocation:      jsii.Bool(true),
	})
}

// signInOrigin is the sign-in domain's origin built from its prefix, as
// Cognito names it, without a reference to the domain resource: the
// distribution's security headers name it, and the pool's invitation
// mail names the distribution's address.
func signInOrigin(prefix string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://" + prefix + ".auth."), awscdk.Aws_REGION(), jsii.String(".amazoncognito.com"),
	})
}

// hostedURL is an address on the staff sign-in domain, such as
// /oauth2/authorize.
func (s Staff) hostedURL(path string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{s.Domain.BaseUrl(nil), jsii.String(path)})
}
