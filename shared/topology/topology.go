// Package topology is the one description of the service's shape: which
// functions exist, which HTTP routes reach them, which consume the table's
// stream and which run on a schedule. The CDK stack (infra/) and the local
// runner (cmd/localcloud) both read it, so what runs on a laptop and what runs
// in AWS cannot drift apart.
package topology

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Function is one Lambda function, built from functions/<Name>/main.go into
// build/<Name>/bootstrap.
type Function struct {
	Name    string
	Purpose string
	Memory  int // MiB
	Timeout time.Duration
	// Env lists the configuration variables the function reads; the stack and
	// the local runner must both provide each of them.
	Env []string
	// Table is what the function may do to the table (its IAM policy in
	// AWS, enforced on its client locally); nothing when it reads no
	// TABLE_NAME.
	Table TableAccess
	// WebhookKeys: the function signs and checks webhooks with the keys
	// of the register's webhook systems (shared/reach), read from Secrets
	// Manager by the names the register gives; the stack lets it read
	// exactly those secrets.
	WebhookKeys bool
	// ReservedConcurrency is the function's reserved concurrency in AWS:
	// at most this many instances run at once, and as many are kept
	// free of the account's other functions. It caps what a flood (or a
	// loop) can cost or write, and keeps one function from starving the
	// others. The sum must stay well under the account's limit (1,000 by
	// default, of which Lambda keeps 100 unreserved).
	ReservedConcurrency int
}

// Auth says who may call a route.
type Auth string

const (
	// Public routes are called by browsers and the website.
	Public Auth = "public"
	// Staff routes are for people of the privacy team: a Cognito user pool
	// signs them in and the HTTP API's JWT authorizer checks their token;
	// the handler enforces their group's role.
	Staff Auth = "staff"
	// Machine routes are for the company's systems (the consent check
	// before a send, the suppression feed for ad platforms): IAM
	// authorisation in AWS, a bearer token (ADMIN_TOKEN) locally.
	Machine Auth = "machine"
)

// Route is one HTTP API route. Path uses API Gateway's syntax ({id}).
type Route struct {
	Method   string
	Path     string
	Function string
	Auth     Auth
}

// StreamConsumer is a function fed by the table's stream.
type StreamConsumer struct {
	Function string
	// BatchSize is the largest number of records in one invocation.
	BatchSize int
	// MaxRetries caps how often a failing record is retried before it goes to
	// the on-failure destination.
	MaxRetries int
	// Inserts, when set, limits the records to the insertion of items of
	// these kinds (the table's "kind" attribute): in AWS a filter on the
	// event source mapping, so the function is not invoked, and paid
	// for, on every other change of the table.
	Inserts []string
}

// TopicConsumer is a function fed by an SNS topic of the stack: in AWS the
// topic invokes it (asynchronously, with retries and a dead-letter queue);
// locally a stand-in calls the same handler with the same event.
type TopicConsumer struct {
	Function string
	Topic    string
}

// TopicSMSInbound is the topic AWS End User Messaging SMS publishes two-way
// messages (replies to the service's texts) to; locally the SMS sink
// delivers them.
const TopicSMSInbound = "sms-inbound"

// TopicMailEvents is the topic SES publishes the events of the notifier's
// mail to (bounce, complaint, reject, delivery), through the notifier's
// configuration set; locally the local cloud simulates them for SES
// mailbox simulator addresses.
const TopicMailEvents = "mail-events"

// Schedule runs a function at fixed times. In AWS an EventBridge Scheduler
// schedule invokes it; locally the runner invokes the same handler once at
// start and then every Every.
type Schedule struct {
	Function string
	// Job, when set, is sent in the schedule's input ("job"): the function
	// runs only that part of its work. A function has at most one schedule
	// per job, and one without.
	Job string
	// Every is the local runner's interval.
	Every time.Duration
	// Expression is the EventBridge Scheduler expression, e.g.
	// "cron(0 7 * * ? *)", evaluated in Timezone (an IANA name).
	Expression string
	Timezone   string
}

// KindReachJob is the kind of a job item (shared/ddb): its insertion is
// what the reach function delivers.
const KindReachJob = "reach_job"

// KindDRPCallback is the kind of a status callback item (shared/ddb): its
// insertion is what the agent function posts to the authorized agent.
const KindDRPCallback = "drp_callback"

// JobRedrive is the watch's job that puts mail the stream gave up on back
// on the stream (shared/watch).
const JobRedrive = "redrive"

// JobPolicyNotices is the watch's job that mails the notice of a material
// change of the privacy policy, a batch at a time (shared/policy).
const JobPolicyNotices = "policy-notices"

// PolicyNoticesPerRun is the pace of those notices: at most this many are
// queued per run of the job, which runs every minute, so 60 a minute, one a
// second. SES sends at most the account's maximum send rate (a quota of
// the account and region: 1 a second in the sandbox, raised on request;
// `aws sesv2 get-account` shows it as SendQuota.MaxSendRate), shared with
// every receipt and notice the service sends; one a second stays under any
// account's rate and leaves the rest to the mail people are waiting for.
// An account with a higher rate may raise this.
const PolicyNoticesPerRun = 60

// Name names the schedule: its function, and its job when it has one
// ("watch-redrive").
func (s Schedule) Name() string {
	if s.Job == "" {
		return s.Function
	}
	return s.Function + "-" + s.Job
}

// Service is the whole topology.
type Service struct {
	Functions []Function
	Routes    []Route
	Streams   []StreamConsumer
	Topics    []TopicConsumer
	Schedules []Schedule
}

// Configuration variables shared by several functions.
const (
	EnvTableName     = "TABLE_NAME"
	EnvPublicBaseURL = "PUBLIC_BASE_URL"
	EnvReturnURL     = "RETURN_URL"
	EnvAllowedOrigin = "ALLOWED_ORIGINS"
	EnvMailFrom      = "MAIL_FROM"
	EnvPepperSecret  = "SUBJECT_PEPPER_SECRET_ARN"
	EnvPolicyURL     = "POLICY_URL"
	// EnvPrivacyTeam is the privacy team's address: the deadline digest
	// goes there.
	EnvPrivacyTeam = "PRIVACY_TEAM_EMAIL"
	// EnvStaffRoles lists the IAM roles (ARNs, comma-separated) whose
	// sessions may call the machine routes; IAM authorisation alone would
	// let any principal of the account allowed execute-api:Invoke in.
	EnvStaffRoles = "STAFF_ROLE_ARNS"
	// EnvEdgeSecret is the secret the edge (CloudFront, with AWS WAF)
	// sends with every request: the public functions refuse requests
	// without it, which went around the firewall. Empty locally, where no
	// edge stands in front.
	EnvEdgeSecret = "EDGE_ORIGIN_SECRET"
	// EnvPostalAddress is the company's postal address, which every mail's
	// footer shows (CAN-SPAM, 16 CFR 316.5), and the footer of the pages
	// the public functions render.
	EnvPostalAddress = "POSTAL_ADDRESS"
	// EnvSMSOrigin is the origination identity (phone number, pool or
	// sender id of End User Messaging SMS) texts are sent from; a function
	// that reads it may send texts.
	EnvSMSOrigin = "SMS_ORIGINATION_IDENTITY"
	// EnvTimeZone is the company's time zone (an IANA name; default
	// America/Los_Angeles): the legal clocks count its days, business days
	// and holidays, a deadline ends at the end of its day there, and mail
	// shows dates in it. The functions that compute deadlines or show
	// dates read it.
	EnvTimeZone = "COMPANY_TIME_ZONE"
	// EnvMailConfigSet is the SES configuration set the notifier sends
	// with: it publishes each mail's bounce, complaint, reject and
	// delivery events to TopicMailEvents. Empty locally, where the local
	// cloud simulates those events.
	EnvMailConfigSet = "SES_CONFIGURATION_SET"
	// EnvDRPAgents adds trusted authorized agents to the repository's
	// register (a JSON array of {"id", "verify_key", ...}; shared/drp):
	// for local runs and tests. EnvDRPBusinessID is the business's id in
	// the Data Rights Protocol's directory (default CLARITRU).
	EnvDRPAgents     = "DRP_AGENTS"
	EnvDRPBusinessID = "DRP_BUSINESS_ID"
)

// ClariTru is the privacy rights service.
var ClariTru = Service{
	Functions: []Function{
		{
			Name:    "intake",
			Purpose: "Data Rights Requests and identity verification",
			Memory:  256,
			Timeout: 10 * time.Second,
			Env:     []string{EnvTableName, EnvPublicBaseURL, EnvReturnURL, EnvAllowedOrigin, EnvPepperSecret, EnvEdgeSecret, EnvTimeZone, EnvPostalAddress},
			// Requests, their tokens, idempotency records and double-submit
			// guards; the opt-out part of a request lands in the person's
			// partition. A resend finds the person's waiting requests on
			// the by-subject index and counts its mail on the recipient's
			// counter (MAILCAP#) before writing.
			Table: TableAccess{
				Actions:    []Action{GetItem, BatchGetItem, Query, PutItem, UpdateItem},
				Partitions: []string{"REQ#*", "TOKEN#*", "IDEM#*", "DEDUP#*", "SUBJ#*", "JOB#*", "MAILCAP#*"},
				Indexes:    []string{IndexBySubject},
			},
			// A web form's traffic; the edge's rate limits keep honest
			// peaks far below this.
			ReservedConcurrency: 20,
		},
		{
			Name:    "optout",
			Purpose: "Do Not Sell or Share opt-outs and the Global Privacy Control signal",
			Memory:  256,
			Timeout: 10 * time.Second,
			Env:     []string{EnvTableName, EnvReturnURL, EnvAllowedOrigin, EnvPepperSecret, EnvEdgeSecret, EnvTimeZone, EnvPostalAddress},
			// People's partitions: opt-outs, their ledger and links; and
			// the jobs that tell the company's systems of a new opt-out.
			Table: TableAccess{
				Actions:    []Action{GetItem, BatchGetItem, Query, PutItem, UpdateItem},
				Partitions: []string{"SUBJ#*", "JOB#*"},
			},
			// The opt-out form and the Global Privacy Control signal of
			// every page view that carries it.
			ReservedConcurrency: 20,
		},
		{
			Name:    "consent",
			Purpose: "consent records with proof, receipts, double opt-in and one-click unsubscribe",
			Memory:  256,
			Timeout: 10 * time.Second,
			Env:     []string{EnvTableName, EnvPublicBaseURL, EnvReturnURL, EnvAllowedOrigin, EnvPepperSecret, EnvPolicyURL, EnvEdgeSecret, EnvTimeZone, EnvPostalAddress},
			// People's partitions, confirmation tokens and the disclosure
			// texts consent evidence points to; the policy register
			// (POLICY), read to cite the version in force and to list it.
			Table: TableAccess{
				Actions:    []Action{GetItem, BatchGetItem, Query, PutItem, UpdateItem},
				Partitions: []string{"SUBJ#*", "CTOKEN#*", "DISCLOSURE#*", "POLICY"},
			},
			// Consent forms, confirmation links and unsubscribe clicks;
			// unsubscribes come in bursts after a mailing.
			ReservedConcurrency: 20,
		},
		{
			Name:    "admin",
			Purpose: "staff API: request queue and actions, staff-entered requests, metrics, subject export and erasure, suppression list, consent history and checks",
			Memory:  256,
			Timeout: 30 * time.Second,
			Env:     []string{EnvTableName, EnvPublicBaseURL, EnvPepperSecret, EnvStaffRoles, EnvEdgeSecret, EnvTimeZone},
			// The staff queue and its actions, export and erasure (removed
			// in batches), the suppression list, the ad platforms'
			// deliveries of it (FEED#), the sweep reports and the policy
			// register (POLICY: publication).
			Table: TableAccess{
				Actions:    []Action{GetItem, BatchGetItem, Query, PutItem, UpdateItem, BatchWriteItem},
				Partitions: []string{"REQ#*", "TOKEN#*", "IDEM#*", "DEDUP#*", "SUBJ#*", "SWEEPS", "JOB#*", "FEED#*", "POLICY"},
				Indexes:    []string{IndexByStatus, IndexBySubject, IndexSuppression},
			},
			// A handful of staff at a console.
			ReservedConcurrency: 5,
		},
		{
			Name:    "notifier",
			Purpose: "sends queued mail and texts from the table's stream through SES and End User Messaging SMS",
			Memory:  256,
			Timeout: 30 * time.Second,
			Env:     []string{EnvTableName, EnvPublicBaseURL, EnvMailFrom, EnvPostalAddress, EnvSMSOrigin, EnvPepperSecret, EnvMailConfigSet},
			// Claims, marks, holds and releases the mail items it is fed,
			// wherever they live, and counts mail per recipient; it reads
			// the mail from the stream, not the table, and a consent
			// receipt's disclosure from the catalogue. It reads an
			// address's undeliverable mark (SUBJ#, keyed by the pepper) and
			// ends a mail to a marked address on the condition that the
			// mark holds.
			Table: TableAccess{
				Actions:    []Action{GetItem, UpdateItem, ConditionCheckItem},
				Partitions: []string{"REQ#*", "SUBJ#*", "TEAM#*", "MAILCAP#*", "JOB#*", "DISCLOSURE#*"},
			},
			// The stream invokes one instance per shard at a time; a table
			// of this size has a few shards.
			ReservedConcurrency: 10,
		},
		{
			Name:    "inbound",
			Purpose: "replies to the service's texts (STOP, HELP, START) from the two-way SMS topic; bounces and complaints of its mail from the mail events topic",
			Memory:  256,
			Timeout: 10 * time.Second,
			Env:     []string{EnvTableName, EnvPepperSecret},
			// The number's partition: its consent states and ledger, a
			// one-time code left there, and the texts that answer (the
			// notifier sends them); an address's partition: its
			// undeliverable mark (UpdateItem).
			Table: TableAccess{
				Actions:    []Action{GetItem, BatchGetItem, Query, PutItem, UpdateItem},
				Partitions: []string{"SUBJ#*"},
			},
			// Replies to texts and SES's mail events, both low volume.
			ReservedConcurrency: 5,
		},
		{
			Name:    "reach",
			Purpose: "carries rights to the company's other systems: delivers and retries signed webhooks for jobs, takes the systems' signed callbacks",
			Memory:  256,
			// A delivery waits at most reach.Attempt for a system; a batch
			// of them fits well inside.
			Timeout: 60 * time.Second,
			Env:     []string{EnvTableName, EnvPublicBaseURL, EnvEdgeSecret},
			// Webhooks are signed, and callbacks checked, with each
			// system's own key.
			WebhookKeys: true,
			// The jobs only: read, claimed and answered one by one; the
			// due ones found on the by-status-due index.
			Table: TableAccess{
				Actions:    []Action{GetItem, Query, UpdateItem},
				Partitions: []string{"JOB#*"},
				Indexes:    []string{IndexByStatus},
			},
			// Deliveries from the stream and the retry schedule, and the
			// systems' callbacks: a few at a time, so a slow system is
			// not flooded.
			ReservedConcurrency: 10,
		},
		{
			Name:    "agent",
			Purpose: "Data Rights Protocol endpoints for authorized agents: signed requests, status, revoke; status callbacks from the table's stream, retried on a schedule",
			Memory:  256,
			Timeout: 30 * time.Second,
			Env:     []string{EnvTableName, EnvPublicBaseURL, EnvPepperSecret, EnvEdgeSecret, EnvTimeZone, EnvDRPAgents, EnvDRPBusinessID},
			// An agent's request is a Data Rights Request like the
			// form's (intake's partitions, and the opt-out's); besides,
			// the agents' tokens (DRPTOKEN#, DRPAGENT#), the replay marks
			// of signed messages (DRPSEEN#) and the status callbacks in
			// the requests' partitions, the due ones on the by-status-due
			// index.
			Table: TableAccess{
				Actions:    []Action{GetItem, BatchGetItem, Query, PutItem, UpdateItem},
				Partitions: []string{"REQ#*", "TOKEN#*", "IDEM#*", "DEDUP#*", "SUBJ#*", "JOB#*", "MAILCAP#*", "DRPTOKEN#*", "DRPAGENT#*", "DRPSEEN#*"},
				Indexes:    []string{IndexBySubject, IndexByStatus},
			},
			// Agents send in bulk, machine to machine; the callbacks
			// go out a few at a time.
			ReservedConcurrency: 10,
		},
		{
			Name:    "watch",
			Purpose: "daily deadline watch and expiry of unverified requests; re-drive of unsent mail every few minutes; paced notices of material privacy policy changes",
			Memory:  256,
			Timeout: 60 * time.Second,
			Env:     []string{EnvTableName, EnvPrivacyTeam, EnvPolicyURL, EnvTimeZone},
			// The queue by due date, expiry of unverified requests, the
			// team digest and the re-drive of stranded mail; the ad
			// platforms' latest deliveries (FEED#) and the suppression
			// list, for the platforms behind on opt-outs; the policy
			// register's notice runs (POLICY), whose recipients it reads
			// from the by-status-due index and whose notices it writes
			// in each person's partition (SUBJ#).
			Table: TableAccess{
				Actions:    []Action{GetItem, Query, PutItem, UpdateItem},
				Partitions: []string{"REQ#*", "SUBJ#*", "TEAM#*", "FEED#*", "POLICY"},
				Indexes:    []string{IndexByStatus, IndexSuppression},
			},
			// Scheduled only: its three schedules may fire in the same
			// minute (07:00 falls on all of them).
			ReservedConcurrency: 3,
		},
		{
			Name:    "retention",
			Purpose: "daily retention sweep: removes records past their retention rule and writes a report",
			Memory:  512,
			// The sweep stops on its own well before this and continues on
			// the next run.
			Timeout: 5 * time.Minute,
			Env:     []string{EnvTableName},
			// Removes whatever has expired, in any partition: its key space
			// is the whole table, so no partition condition; it reads only
			// the expiry index and the partitions of what it removes.
			Table: TableAccess{
				Actions: []Action{GetItem, BatchGetItem, Query, PutItem, UpdateItem, DeleteItem, BatchWriteItem},
				Indexes: []string{IndexExpiry},
			},
			// The sweep runs alone: two at once would race over the same
			// expired records.
			ReservedConcurrency: 1,
		},
	},
	Routes: []Route{
		{Method: "POST", Path: "/v1/requests", Function: "intake", Auth: Public},
		{Method: "GET", Path: "/v1/verify", Function: "intake", Auth: Public},
		{Method: "POST", Path: "/v1/verify", Function: "intake", Auth: Public},
		{Method: "POST", Path: "/v1/verify/resend", Function: "intake", Auth: Public},
		{Method: "POST", Path: "/v1/opt-out", Function: "optout", Auth: Public},
		{Method: "GET", Path: "/v1/opt-out/status", Function: "optout", Auth: Public},
		{Method: "POST", Path: "/v1/consents", Function: "consent", Auth: Public},
		{Method: "GET", Path: "/v1/consents/confirm", Function: "consent", Auth: Public},
		{Method: "POST", Path: "/v1/consents/confirm", Function: "consent", Auth: Public},
		{Method: "GET", Path: "/v1/disclosures", Function: "consent", Auth: Public},
		{Method: "GET", Path: "/v1/policy-versions", Function: "consent", Auth: Public},
		{Method: "GET", Path: "/v1/unsubscribe", Function: "consent", Auth: Public},
		{Method: "POST", Path: "/v1/unsubscribe", Function: "consent", Auth: Public},
		{Method: "GET", Path: "/v1/choices", Function: "consent", Auth: Public},
		{Method: "POST", Path: "/v1/callbacks/{job}", Function: "reach", Auth: Public},
		// The Data Rights Protocol's endpoints: their messages are signed
		// by the agents, which the handler checks (API Gateway cannot).
		{Method: "POST", Path: "/v1/agent/{id}", Function: "agent", Auth: Public},
		{Method: "GET", Path: "/v1/agent/{id}", Function: "agent", Auth: Public},
		{Method: "POST", Path: "/v1/data-rights-request", Function: "agent", Auth: Public},
		{Method: "GET", Path: "/v1/data-rights-request/{id}", Function: "agent", Auth: Public},
		{Method: "DELETE", Path: "/v1/data-rights-request/{id}", Function: "agent", Auth: Public},
		{Method: "GET", Path: "/v1/admin/me", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/suppression", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/suppression/feed", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/suppression/deliveries", Function: "admin", Auth: Staff},
		{Method: "POST", Path: "/v1/admin/suppression/deliveries", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/consents", Function: "admin", Auth: Staff},
		{Method: "POST", Path: "/v1/admin/consents", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/consents/check", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/requests", Function: "admin", Auth: Staff},
		{Method: "POST", Path: "/v1/admin/requests", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/requests/{id}", Function: "admin", Auth: Staff},
		{Method: "POST", Path: "/v1/admin/requests/{id}/actions", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/metrics", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/subjects/export", Function: "admin", Auth: Staff},
		{Method: "POST", Path: "/v1/admin/subjects/erase", Function: "admin", Auth: Staff},
		{Method: "POST", Path: "/v1/admin/subjects/deliverable", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/sweeps", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/systems", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/admin/jobs", Function: "admin", Auth: Staff},
		{Method: "POST", Path: "/v1/admin/jobs/{job}", Function: "admin", Auth: Staff},
		{Method: "POST", Path: "/v1/admin/policy-versions", Function: "admin", Auth: Staff},
		{Method: "GET", Path: "/v1/machine/consents/check", Function: "admin", Auth: Machine},
		{Method: "GET", Path: "/v1/machine/suppression", Function: "admin", Auth: Machine},
		{Method: "GET", Path: "/v1/machine/suppression/feed", Function: "admin", Auth: Machine},
		{Method: "POST", Path: "/v1/machine/suppression/deliveries", Function: "admin", Auth: Machine},
	},
	Streams: []StreamConsumer{
		{Function: "notifier", BatchSize: 10, MaxRetries: 5},
		// New jobs are delivered as they are written; a failed attempt
		// is left to the retry schedule, so the stream never waits on a
		// system.
		{Function: "reach", BatchSize: 10, MaxRetries: 3, Inserts: []string{KindReachJob}},
		// Status callbacks are posted as they are written; a failed post
		// is left to the retry schedule.
		{Function: "agent", BatchSize: 10, MaxRetries: 3, Inserts: []string{KindDRPCallback}},
	},
	Topics: []TopicConsumer{
		{Function: "inbound", Topic: TopicSMSInbound},
		{Function: "inbound", Topic: TopicMailEvents},
	},
	Schedules: []Schedule{
		// Every morning before the team starts, Pacific time (the
		// company's clock), so a deadline is seen the working day it
		// nears; locally every minute, so a developer sees it act.
		{Function: "watch", Every: time.Minute, Expression: "cron(0 7 * * ? *)", Timezone: "America/Los_Angeles"},
		// Mail the stream gave up on (SES down longer than its retries)
		// goes out again within minutes, not the next morning. Locally
		// every 30 seconds.
		{Function: "watch", Job: JobRedrive, Every: 30 * time.Second, Expression: "rate(5 minutes)"},
		// The notices of a material privacy policy change go out a batch
		// a minute (PolicyNoticesPerRun), paced under SES's sending rate.
		{Function: "watch", Job: JobPolicyNotices, Every: time.Minute, Expression: "rate(1 minute)"},
		// Webhooks whose last attempt failed are tried again when their
		// backoff ends (reach.NextAttempt). Locally every 30 seconds.
		{Function: "reach", Every: 30 * time.Second, Expression: "rate(5 minutes)"},
		// Status callbacks whose last post failed are posted again when
		// their backoff ends (drp.NextCallback). Locally every 30 seconds.
		{Function: "agent", Every: 30 * time.Second, Expression: "rate(5 minutes)"},
		// Daily at night, Pacific time, away from the working day's
		// traffic; the stack's context can set another expression
		// (retentionSchedule). Locally every five minutes.
		{Function: "retention", Every: 5 * time.Minute, Expression: "cron(30 2 * * ? *)", Timezone: "America/Los_Angeles"},
	},
}

// Function returns the function with the given name.
func (s Service) Function(name string) (Function, bool) {
	for _, f := range s.Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// Key is the route's key as API Gateway names it in each event's routeKey
// ("POST /v1/requests"): what an HTTP adapter dispatches on.
func (r Route) Key() string { return r.Method + " " + r.Path }

// CheckRoutes compares the routes the HTTP adapters serve (route keys by
// function name) with the topology's: every route must reach a handler of
// its function, and no handler may serve a route the topology lacks (which
// API Gateway would never send it). Every function named in served must be
// a function of the topology.
func (s Service) CheckRoutes(served map[string][]string) error {
	var errs []error
	want := map[string]map[string]bool{}
	for _, r := range s.Routes {
		if want[r.Function] == nil {
			want[r.Function] = map[string]bool{}
		}
		want[r.Function][r.Key()] = true
	}
	for _, r := range s.Routes {
		if !slices.Contains(served[r.Function], r.Key()) {
			errs = append(errs, fmt.Errorf("route %s of function %s reaches no handler", r.Key(), r.Function))
		}
	}
	for _, fn := range slices.Sorted(maps.Keys(served)) {
		if _, ok := s.Function(fn); !ok {
			errs = append(errs, fmt.Errorf("handler of %s serves no function of the topology", fn))
			continue
		}
		for _, k := range served[fn] {
			if !want[fn][k] {
				errs = append(errs, fmt.Errorf("function %s serves %s, which the topology does not route to it", fn, k))
			}
		}
	}
	return errors.Join(errs...)
}

// RoutesOf returns the routes served by the named function.
func (s Service) RoutesOf(name string) []Route {
	var out []Route
	for _, r := range s.Routes {
		if r.Function == name {
			out = append(out, r)
		}
	}
	return out
}
