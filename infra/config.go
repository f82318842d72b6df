package main

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/mailrender"
)

// Context keys read from cdk.json (or `cdk synth -c key=value`).
const (
	ctxMailFrom       = "mailFrom"
	ctxPublicBaseURL  = "publicBaseUrl"
	ctxReturnURL      = "returnUrl"
	ctxAllowedOrigins = "allowedOrigins"
	ctxAssetRoot      = "assetRoot"
	ctxPolicyURL      = "policyUrl"
	ctxPrivacyTeam    = "privacyTeamEmail"
	ctxRetention      = "retentionSchedule"
	ctxStaffRoles     = "staffRoles"
	ctxPostalAddress  = "postalAddress"
	ctxSMSOrigin      = "smsOrigin"
	ctxTimeZone       = "timeZone"
	ctxStage          = "stage"
	ctxStages         = "stages"
	ctxVaultLock      = "backupVaultLock"
	ctxRetainData     = "retainData"
	ctxStaffAuth      = "staffAuthDomain"
	ctxConsoleDir     = "consoleDir"
)

// defaultStage is the stage `cdk synth` builds without -c stage=.
const defaultStage = "dev"

// stageKeys are the settings a stage of cdk.json's "stages" may hold; a
// -c key=value of the same name overrides the stage's.
var stageKeys = []string{
	ctxMailFrom, ctxPublicBaseURL, ctxReturnURL, ctxAllowedOrigins, ctxPolicyURL, ctxPrivacyTeam,
	ctxRetention, ctxStaffRoles, ctxPostalAddress, ctxSMSOrigin, ctxTimeZone, ctxVaultLock, ctxRetainData,
	ctxStaffAuth,
}

// defaultPolicyURL is where consent receipts point when no policyUrl is set.
const defaultPolicyURL = "https://claritru.com/privacy-policy"

// defaultAssetRoot is where `make build` writes build/<name>/bootstrap.
const defaultAssetRoot = "build"

// defaultConsoleDir holds the staff console's pages, deployed as they are.
const defaultConsoleDir = "web/console"

// Config is the deployment's configuration: what differs between one
// installation of the service and another. It reaches the functions as
// environment variables (topology.Env*), so the stack and the local runner
// hand the same settings to the same code.
type Config struct {
	// MailFrom is the sender address of every mail; it is also the SES
	// identity the notifier may send as.
	MailFrom string
	// PublicBaseURL is the base of links in mail (verification, double
	// opt-in). Empty means the API's own execute-api endpoint, which serves
	// those pages itself.
	PublicBaseURL string
	// ReturnURL is the comma-separated allow-list of pages a browser form
	// post is redirected to (303 See Other); the first is the default.
	ReturnURL string
	// AllowedOrigins are the web origins allowed by CORS; no other origin
	// gets CORS headers.
	AllowedOrigins []string
	// PolicyURL is the privacy policy that consent receipts cite.
	PolicyURL string
	// PrivacyTeamEmail receives the daily digest of requests that are
	// overdue or due within a week.
	PrivacyTeamEmail string
	// RetentionSchedule is the EventBridge Scheduler expression of the
	// retention sweep, a cron(...) or rate(...) evaluated in the topology
	// schedule's time zone. Empty means the topology's expression, which
	// the local runner's interval stands in for; an installation may move
	// the nightly sweep away from its own busy hours or backups.
	RetentionSchedule string
	// StaffRoles are the IAM roles (ARNs) whose sessions may use the staff
	// API. API Gateway's IAM authorisation admits any principal of the
	// account allowed execute-api:Invoke; the admin function admits only
	// these roles' sessions.
	StaffRoles []string
	// PostalAddress is the company's postal address (street, city, state,
	// postcode, country), which every mail's footer shows: commercial
	// mail must carry a valid physical postal address (CAN-SPAM, 16 CFR
	// 316.5), and the notifier sends nothing without it.
	PostalAddress string
	// SMSOrigin is the origination identity of End User Messaging SMS
	// (a phone number, pool or sender id, by id or ARN) texts are sent
	// from; empty lets the service pick one of the account's.
	SMSOrigin string
	// TimeZone is the company's time zone, an IANA name (default
	// deadline.DefaultZone, America/Los_Angeles): the legal clocks count its
	// days, business days and holidays, and mail shows dates in it.
	TimeZone string
	// Stage names the installation (cdk.json's "stages": dev, prod); the
	// stack is named ClariTruPrivacy-<stage>, so stages share an account.
	Stage string
	// RetainData keeps what holds personal data or proof (the table, its
	// key, the pepper, the backup vault and its key, the log groups and
	// theirs) when the stack is deleted or a resource replaced, and turns
	// on the table's deletion protection. Default true; a development stage may set false
	// so that a test installation can be removed whole.
	RetainData bool
	// StaffAuthDomain is the prefix of the staff user pool's Cognito
	// domain, https://<prefix>.auth.<region>.amazoncognito.com, where staff
	// sign in to the console. Prefixes are unique per region across AWS.
	StaffAuthDomain string
	// BackupVaultLock locks the backup vault (AWS Backup Vault Lock,
	// governance mode): no one without the lock's own permission can
	// delete a recovery point early, or keep one past the retention.
	BackupVaultLock bool
}

// ConfigFromContext reads the configuration from the construct tree's
// context: the stage chosen with -c stage= (default dev) from cdk.json's
// "stages", each of its settings overridden by a -c key=value of the same
// name; then validates it.
func ConfigFromContext(scope constructs.Construct) (Config, error) {
	stage, values, err := stageContext(scope)
	if err != nil {
		return Config{}, err
	}
	lookup := func(key string) any {
		if v := scope.Node().TryGetContext(jsii.String(key)); v != nil {
			return v
		}
		return values[key]
	}
	get := func(key string) string {
		s, _ := lookup(key).(string)
		return strings.TrimSpace(s)
	}
	var errs []error
	flag := func(key string, def bool) bool {
		b, err := contextBool(lookup(key), def)
		if err != nil {
			errs = append(errs, fmt.Errorf("context %q: %w", key, err))
		}
		return b
	}
	cfg := Config{
		MailFrom:          get(ctxMailFrom),
		PublicBaseURL:     get(ctxPublicBaseURL),
		ReturnURL:         get(ctxReturnURL),
		AllowedOrigins:    splitList(get(ctxAllowedOrigins)),
		PolicyURL:         get(ctxPolicyURL),
		PrivacyTeamEmail:  get(ctxPrivacyTeam),
		RetentionSchedule: get(ctxRetention),
		StaffRoles:        splitList(get(ctxStaffRoles)),
		PostalAddress:     get(ctxPostalAddress),
		SMSOrigin:         get(ctxSMSOrigin),
		TimeZone:          get(ctxTimeZone),
		StaffAuthDomain:   get(ctxStaffAuth),
		Stage:             stage,
		RetainData:        flag(ctxRetainData, true),
		BackupVaultLock:   flag(ctxVaultLock, false),
	}
	if cfg.PolicyURL == "" {
		cfg.PolicyURL = defaultPolicyURL
	}
	if cfg.TimeZone == "" {
		cfg.TimeZone = deadline.DefaultZone
	}
	if len(errs) > 0 {
		return cfg, errors.Join(errs...)
	}
	return cfg, cfg.Validate()
}

// stageName is what a stage may be called: it ends the stack's name.
var stageName = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)

// stageContext returns the chosen stage and its settings from cdk.json's
// "stages". A context without stages (a test's, or -c for every value)
// is the default stage with no settings of its own.
func stageContext(scope constructs.Construct) (string, map[string]any, error) {
	stage := defaultStage
	chosen, _ := scope.Node().TryGetContext(jsii.String(ctxStage)).(string)
	if chosen = strings.TrimSpace(chosen); chosen != "" {
		stage = chosen
	}
	if !stageName.MatchString(stage) {
		return "", nil, fmt.Errorf("context %q: %q is not a stage name (lower-case letters and digits)", ctxStage, stage)
	}
	raw := scope.Node().TryGetContext(jsii.String(ctxStages))
	if raw == nil {
		if chosen != "" {
			return "", nil, fmt.Errorf("context %q: stage %q chosen, but the context has no %q", ctxStage, chosen, ctxStages)
		}
		return stage, nil, nil
	}
	stages, ok := raw.(map[string]any)
	if !ok {
		return "", nil, fmt.Errorf("context %q: want an object of stages", ctxStages)
	}
	values, ok := stages[stage].(map[string]any)
	if !ok {
		names := make([]string, 0, len(stages))
		for n := range stages {
			names = append(names, n)
		}
		sort.Strings(names)
		return "", nil, fmt.Errorf("context %q: unknown stage %q; the stages are %s", ctxStage, stage, strings.Join(names, ", "))
	}
	for k := range values {
		if !slices.Contains(stageKeys, k) {
			return "", nil, fmt.Errorf("context %q: stage %q sets %q, which is no setting (%s)", ctxStages, stage, k, strings.Join(stageKeys, ", "))
		}
	}
	return stage, values, nil
}

// contextBool reads a switch: a JSON boolean from cdk.json, or the string
// "true" or "false" from -c key=value; def when unset.
func contextBool(v any, def bool) (bool, error) {
	switch x := v.(type) {
	case nil:
		return def, nil
	case bool:
		return x, nil
	case string:
		switch strings.TrimSpace(x) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return def, fmt.Errorf("%v is neither true nor false", v)
}

// ConsoleDirFromContext returns the directory of the staff console's pages.
func ConsoleDirFromContext(scope constructs.Construct) string {
	if s, ok := scope.Node().TryGetContext(jsii.String(ctxConsoleDir)).(string); ok && strings.TrimSpace(s) != "" {
		return strings.TrimSpace(s)
	}
	return defaultConsoleDir
}

// AssetRootFromContext returns the directory holding <name>/bootstrap.
func AssetRootFromContext(scope constructs.Construct) string {
	if s, ok := scope.Node().TryGetContext(jsii.String(ctxAssetRoot)).(string); ok && strings.TrimSpace(s) != "" {
		return strings.TrimSpace(s)
	}
	return defaultAssetRoot
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate refuses a configuration that would deploy a broken or unsafe
// service, so the mistake shows at synth time, not in a visitor's browser.
func (c Config) Validate() error {
	var errs []error
	if c.MailFrom == "" {
		errs = append(errs, fmt.Errorf("context %q: the sender address is required", ctxMailFrom))
	} else if a, err := mail.ParseAddress(c.MailFrom); err != nil || a.Address != c.MailFrom {
		errs = append(errs, fmt.Errorf("context %q: %q is not a bare email address", ctxMailFrom, c.MailFrom))
	}
	if c.PrivacyTeamEmail == "" {
		errs = append(errs, fmt.Errorf("context %q: the privacy team's address (the deadline digest) is required", ctxPrivacyTeam))
	} else if a, err := mail.ParseAddress(c.PrivacyTeamEmail); err != nil || a.Address != c.PrivacyTeamEmail {
		errs = append(errs, fmt.Errorf("context %q: %q is not a bare email address", ctxPrivacyTeam, c.PrivacyTeamEmail))
	}
	if err := postalAddress(c.PostalAddress); err != nil {
		errs = append(errs, fmt.Errorf("context %q: %w", ctxPostalAddress, err))
	}
	// The functions refuse to start with a zone they cannot load; refuse it
	// at synth time already.
	if _, err := deadline.LoadZone(c.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("context %q: %w", ctxTimeZone, err))
	}
	if c.PublicBaseURL != "" {
		if err := httpsURL(c.PublicBaseURL); err != nil {
			errs = append(errs, fmt.Errorf("context %q: %w", ctxPublicBaseURL, err))
		}
	}
	if err := httpsURL(c.PolicyURL); c.PolicyURL != "" && err != nil {
		errs = append(errs, fmt.Errorf("context %q: %w", ctxPolicyURL, err))
	}
	if len(splitList(c.ReturnURL)) == 0 {
		errs = append(errs, fmt.Errorf("context %q: the page a form post returns to is required", ctxReturnURL))
	}
	// Each entry: a form's return_url may pick any of them.
	for _, u := range splitList(c.ReturnURL) {
		if err := returnPage(u); err != nil {
			errs = append(errs, fmt.Errorf("context %q: %w", ctxReturnURL, err))
		}
	}
	if len(c.StaffRoles) == 0 {
		errs = append(errs, fmt.Errorf("context %q: at least one staff role ARN is required (no one could use the staff API)", ctxStaffRoles))
	}
	for _, r := range c.StaffRoles {
		if !roleARN.MatchString(r) {
			errs = append(errs, fmt.Errorf("context %q: %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", ctxStaffRoles, r))
		}
	}
	if err := cognitoPrefix(c.StaffAuthDomain); err != nil {
		errs = append(errs, fmt.Errorf("context %q: %w", ctxStaffAuth, err))
	}
	if len(c.AllowedOrigins) == 0 {
		errs = append(errs, fmt.Errorf("context %q: at least one web origin is required", ctxAllowedOrigins))
	}
	for _, o := range c.AllowedOrigins {
		if err := origin(o); err != nil {
			errs = append(errs, fmt.Errorf("context %q: %w", ctxAllowedOrigins, err))
		}
	}
	// A recurring expression only: an at(...) schedule would sweep once
	// and never again, and personal data would outlive its retention rule.
	if c.RetentionSchedule != "" {
		if err := checkRecurring(c.RetentionSchedule); err != nil {
			errs = append(errs, fmt.Errorf("context %q: %w", ctxRetention, err))
		}
	}
	return errors.Join(errs...)
}

// postalAddress accepts the footer's address: one line of printable text,
// as mailrender takes it, with a digit (a street number, a PO box or a
// postcode), so that a placeholder like "TBD" fails at synth.
func postalAddress(s string) error {
	switch {
	case s == "":
		return errors.New("the company's postal address (every mail's footer, CAN-SPAM) is required")
	case len(s) > mailrender.MaxPostalAddress:
		return fmt.Errorf("the postal address is longer than %d characters", mailrender.MaxPostalAddress)
	case strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return errors.New("the postal address must be one line")
	case !strings.ContainsAny(s, "0123456789"):
		return fmt.Errorf("%q does not look like a postal address (no number in it)", s)
	}
	return nil
}

// authPrefix is what Cognito accepts as a domain prefix: lower-case
// letters, digits and inner hyphens, at most 63 characters.
var authPrefix = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// cognitoPrefix accepts the staff sign-in domain's prefix, which Cognito
// would refuse only at deploy time: the form above, and none of the words
// Cognito reserves for AWS's own domains.
func cognitoPrefix(s string) error {
	if s == "" {
		return errors.New("the prefix of the staff sign-in domain (<prefix>.auth.<region>.amazoncognito.com) is required")
	}
	if !authPrefix.MatchString(s) {
		return fmt.Errorf("%q is not a Cognito domain prefix (lower-case letters, digits and hyphens, at most 63)", s)
	}
	for _, w := range []string{"aws", "amazon", "cognito"} {
		if strings.Contains(s, w) {
			return fmt.Errorf("%q: a Cognito domain prefix may not contain %q", s, w)
		}
	}
	return nil
}

// roleARN is an IAM role's ARN, with its path; the characters IAM allows in
// role names and paths.
var roleARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/([\x21-\x7e]+/)*[\w+=,.@-]{1,64}$`)

// returnPage accepts a page a browser is sent back to: an absolute https
// URL with no credentials and no fragment (the service appends ?ref=).
func returnPage(s string) error {
	if err := httpsURL(s); err != nil {
		return err
	}
	if u, _ := url.Parse(s); u.Fragment != "" || strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("%q: a return page carries no fragment or spaces", s)
	}
	return nil
}

func httpsURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute https URL", s)
	}
	return nil
}

// origin accepts a web origin (scheme://host[:port]) and nothing wider: a
// wildcard would let any site read the API's responses. Plain http is only
// for a developer's own machine.
func origin(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || strings.Contains(u.Host, "*") || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not a web origin (scheme://host[:port], no trailing slash)", s)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1"):
		return nil
	}
	return fmt.Errorf("%q: origins must be https (http only for localhost)", s)
}
