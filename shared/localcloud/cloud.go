package localcloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/agentapi"
	"github.com/claritru/privacy/shared/consentapi"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/intakeapi"
	"github.com/claritru/privacy/shared/optoutapi"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/reachapi"
	"github.com/claritru/privacy/shared/settings"
	"github.com/claritru/privacy/shared/staffauth"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/topology"
	"github.com/claritru/privacy/shared/wiring"
	"github.com/claritru/privacy/shared/wiring/admin"
	"github.com/claritru/privacy/shared/wiring/agent"
	"github.com/claritru/privacy/shared/wiring/consent"
	"github.com/claritru/privacy/shared/wiring/inbound"
	"github.com/claritru/privacy/shared/wiring/intake"
	"github.com/claritru/privacy/shared/wiring/notifier"
	"github.com/claritru/privacy/shared/wiring/optout"
	reachwiring "github.com/claritru/privacy/shared/wiring/reach"
	"github.com/claritru/privacy/shared/wiring/retention"
	"github.com/claritru/privacy/shared/wiring/watch"
)

// DefaultPostalAddress is the footer's address locally: the privacy
// policy gives none, so a sample that says it is one.
const DefaultPostalAddress = "100 Sample Street, Suite 200, Mobile, AL 36602, USA (sample address)"

// Options configure a local cloud. Zero ports pick free ones.
type Options struct {
	Root         string // repository root
	APIPort      int
	DynamoDBPort int
	SESPort      int
	// SMSPort is the SMS sink's (SMSSink).
	SMSPort int
	// MailTapPort is the mail tap's (MailTap): the headers of every mail
	// sent, which the SES stand-in does not keep.
	MailTapPort int
	// SecretsPort is the Secrets Manager stand-in's (SecretsManager),
	// which holds the webhooks' signing keys.
	SecretsPort int
	// ReceiverPort is the sample webhook receiver's (SampleReceiver).
	ReceiverPort int
	// CognitoPort is cognito-local's, the staff's user pool (Cognito).
	CognitoPort int
	// CognitoDir keeps cognito-local's data (seeded afresh at every
	// start); empty is a temporary folder.
	CognitoDir string
	// Receiver configures the sample receiver (silent: it never calls
	// back).
	Receiver ReceiverOptions
	// AnswerWindow is how long every system of the register has to answer
	// a job, instead of its business days, so a developer sees one that
	// never answers fall overdue; zero is DefaultAnswerWindow.
	AnswerWindow time.Duration
	// DataDir keeps DynamoDB Local's data across restarts; empty keeps it
	// in memory.
	DataDir string
	Table   string
	Pepper  []byte
	// AdminToken is the bearer token of the machine routes (IAM in AWS);
	// staff sign in through cognito-local.
	AdminToken string
	MailFrom   string
	// PrivacyTeamEmail receives the deadline digest; empty is
	// DefaultPrivacyTeamEmail.
	PrivacyTeamEmail string
	// PostalAddress is the address every mail's footer shows; empty is
	// DefaultPostalAddress.
	PostalAddress string
	// TimeZone is the company's time zone (COMPANY_TIME_ZONE); empty is
	// deadline.DefaultZone.
	TimeZone string
	// SESVia, when set, is given the SES stand-in's endpoint and returns
	// the one the functions send mail to: a test's capture in front of the
	// stand-in, which keeps no raw message or header.
	SESVia func(standIn string) string
	// ScheduleEvery overrides the local interval of every topology
	// schedule: 0 keeps topology's Every, negative turns schedules off.
	ScheduleEvery time.Duration
	// Schedules overrides the interval of single schedules, by name
	// (topology.Schedule.Name, e.g. "watch-redrive"), before ScheduleEvery;
	// negative turns that one off.
	Schedules map[string]time.Duration
	// MailStaleAfter is how long mail stays unsent before the re-drive
	// puts it back on the stream; zero keeps the watch's StaleMail. A test
	// makes it seconds.
	MailStaleAfter time.Duration
	// DRPAgents are the authorized agents the agent function trusts
	// besides the repository's register (DRP_AGENTS, a JSON array); empty
	// takes the process's DRP_AGENTS, so `make dev` can be given a test
	// agent.
	DRPAgents string
	// ProcessLog receives the stand-ins' own output.
	ProcessLog *os.File
	Log        *slog.Logger
}

// Cloud is a running local cloud.
type Cloud struct {
	APIURL string
	// Settings holds every setting's local value (tests reach the table
	// through it); each function is given only its own (functionEnv).
	Settings settings.Env
	DynamoDB *Process
	SES      *Process
	SMS      *SMSSink
	MailTap  *MailTap
	Secrets  *SecretsManager
	Receiver *SampleReceiver
	// Cognito is the staff's user pool, and SignIn the stand-in for its
	// hosted sign-in at the gateway's origin.
	Cognito *Cognito
	SignIn  *HostedSignIn
	// CognitoStart is how long cognito-local took to start and be seeded.
	CognitoStart time.Duration
	staffTokens  staffTokens
	// Systems is the register the functions act on: the repository's,
	// with the webhooks pointed at the sample receiver and the answer
	// window shortened.
	Systems *reach.Register
	server  *http.Server
	// gatewayListener holds the gateway's port until serve takes it.
	gatewayListener net.Listener
	cancel          context.CancelFunc
	polling         chan struct{}
}

// LocalAWS is the AWS configuration for the stand-ins: fixed region and
// credentials, which DynamoDB Local and the SES stand-in accept.
func LocalAWS() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
}

// DefaultTable is the table `make dev` runs on.
const DefaultTable = "claritru-privacy"

// Start starts DynamoDB Local, the SES stand-in, the table, the gateway and
// the stream poller. Stop ends them all.
func Start(ctx context.Context, o Options) (_ *Cloud, err error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	c := &Cloud{}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	// The gateway's port is held from here on: the pages' origin and the
	// return addresses name it before it serves, and a port chosen free and
	// let go can be taken by another test package in between.
	gwl, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(o.APIPort))
	if err != nil {
		return c, fmt.Errorf("gateway: %w", err)
	}
	o.APIPort = gwl.Addr().(*net.TCPAddr).Port
	c.gatewayListener = gwl
	if err := c.startStandIns(ctx, o); err != nil {
		return c, err
	}
	envs, err := c.configure(o)
	if err != nil {
		return c, err
	}
	db := c.Settings.DynamoDB()
	if err := ddb.EnsureTable(ctx, db, o.Table, topology.PrivacyTable); err != nil {
		return c, err
	}
	fns, err := wire(o, envs, db, c.Systems)
	if err != nil {
		return c, err
	}
	if err := c.serve(o, fns.http); err != nil {
		return c, err
	}
	if err := c.deliverTopics(fns.topics); err != nil {
		return c, err
	}
	pctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.polling = cancel, make(chan struct{})
	if err := c.poll(pctx, o, db, fns.stream); err != nil {
		return c, err
	}
	// The watch and the sweep run on the topology's schedules (schedule.go);
	// Stop waits for a run in flight.
	if err := c.runSchedules(pctx, topology.ClariTru.Schedules, fns.scheduled, o); err != nil {
		return c, err
	}
	return c, nil
}

// defaults fills in what the options leave open: a logger, the table, the
// sender, the team's address and free ports.
func (o *Options) defaults() (err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if o.AdminToken == "" {
		return errors.New("an admin token is required")
	}
	if o.Table == "" {
		o.Table = DefaultTable
	}
	if o.MailFrom == "" {
		o.MailFrom = "privacy@claritru.example"
	}
	if o.PrivacyTeamEmail == "" {
		o.PrivacyTeamEmail = DefaultPrivacyTeamEmail
	}
	if o.PostalAddress == "" {
		o.PostalAddress = DefaultPostalAddress
	}
	if o.AnswerWindow <= 0 {
		o.AnswerWindow = DefaultAnswerWindow
	}
	if o.DRPAgents == "" {
		o.DRPAgents = os.Getenv(topology.EnvDRPAgents)
	}
	// Ports left at 0 are bound free where they are opened: the gateway, the
	// SMS sink and the mail tap listen on port 0, the stand-ins retry on
	// another port when theirs was taken (OnFreePort).
	return nil
}

// DefaultAnswerWindow is how long a system has to answer a job locally.
const DefaultAnswerWindow = 2 * time.Minute

// onPort starts a stand-in on port, or on a free one when port is 0.
func onPort(port int, start func(port int) (*Process, error)) (*Process, error) {
	if port != 0 {
		return start(port)
	}
	return OnFreePort(start)
}

// startStandIns starts DynamoDB Local and the SES stand-in side by side.
func (c *Cloud) startStandIns(ctx context.Context, o Options) error {
	type started struct {
		p   *Process
		err error
	}
	dch, sch := make(chan started, 1), make(chan started, 1)
	cch := make(chan error, 1)
	go func() {
		t0 := time.Now()
		var cg *Cognito
		_, err := onPort(o.CognitoPort, func(port int) (*Process, error) {
			var err error
			if cg, err = StartCognito(ctx, o.Root, port, o.CognitoDir, o.ProcessLog); err != nil {
				return nil, err
			}
			return cg.Process, nil
		})
		c.Cognito, c.CognitoStart = cg, time.Since(t0)
		cch <- err
	}()
	go func() {
		p, err := onPort(o.DynamoDBPort, func(port int) (*Process, error) {
			return StartDynamoDB(ctx, o.Root, port, o.DataDir, o.ProcessLog)
		})
		dch <- started{p, err}
	}()
	go func() {
		p, err := onPort(o.SESPort, func(port int) (*Process, error) { return StartSES(ctx, o.Root, port, o.ProcessLog) })
		sch <- started{p, err}
	}()
	d, s := <-dch, <-sch
	c.DynamoDB, c.SES = d.p, s.p
	err := <-cch
	var serr error
	c.SMS, serr = StartSMSSink(o.SMSPort)
	err = errors.Join(err, serr)
	if s.err == nil {
		var terr error
		c.MailTap, terr = StartMailTap(o.MailTapPort, c.SES.Endpoint)
		err = errors.Join(err, terr)
	}
	return errors.Join(d.err, s.err, err, c.startSystems(o))
}

// startSystems starts the Secrets Manager stand-in with a new signing key
// for every webhook system of the register, and the sample receiver
// standing in for those systems, and points their webhooks at it.
func (c *Cloud) startSystems(o Options) error {
	var err error
	if c.Secrets, err = StartSecretsManager(o.SecretsPort); err != nil {
		return err
	}
	reg := reach.Systems().WithAnswerWindow(o.AnswerWindow)
	keys := map[string]string{}
	for _, s := range reg.All() {
		if s.Reach != reach.Webhook {
			continue
		}
		if keys[s.ID], err = NewWebhookSecret(); err != nil {
			return err
		}
		c.Secrets.Put(s.Secret, keys[s.ID])
	}
	if c.Receiver, err = StartSampleReceiver(o.ReceiverPort, keys, o.Receiver); err != nil {
		return err
	}
	for id := range keys {
		if reg, err = reg.WithURL(id, c.Receiver.WebhookURL(id)); err != nil {
			return err
		}
	}
	c.Systems = reg
	return nil
}

// configure sets every setting's local value and returns each function's
// own settings: only those the topology lists for it (functionEnv), as the
// stack gives them in AWS.
func (c *Cloud) configure(o Options) (map[string]settings.Env, error) {
	base := "http://127.0.0.1:" + strconv.Itoa(o.APIPort)
	c.APIURL = base
	vars := map[string]string{
		topology.EnvTableName:     o.Table,
		topology.EnvPublicBaseURL: base,
		topology.EnvReturnURL:     strings.Join([]string{base + "/thanks.html", base + "/do-not-sell.html", base + "/limit-sensitive.html", base + "/subscribe.html"}, ","),
		topology.EnvAllowedOrigin: strings.Join([]string{base, "http://localhost:" + strconv.Itoa(o.APIPort)}, ","),
		topology.EnvMailFrom:      o.MailFrom,
		topology.EnvPolicyURL:     base + "/privacy-policy.html",
		topology.EnvPrivacyTeam:   o.PrivacyTeamEmail,
		topology.EnvPostalAddress: o.PostalAddress,
		topology.EnvTimeZone:      o.TimeZone,
		// Locally the bearer token stands in for IAM; no role signs in.
		topology.EnvStaffRoles: "",
		// No edge stands in front of the local gateway.
		topology.EnvEdgeSecret:       "",
		settings.EnvDynamoDBEndpoint: c.DynamoDB.Endpoint,
		settings.EnvSESEndpoint:      c.SES.Endpoint,
		settings.EnvSMSEndpoint:      c.SMS.Endpoint,
		settings.EnvSecretsEndpoint:  c.Secrets.Endpoint,
		topology.EnvSMSOrigin:        c.SMS.ServiceNumber,
		topology.EnvDRPAgents:        o.DRPAgents,
	}
	// Mail goes through the tap, which keeps its headers (a test's own
	// capture, SESVia, stands in for it).
	vars[settings.EnvSESEndpoint] = c.MailTap.Endpoint
	if o.SESVia != nil {
		vars[settings.EnvSESEndpoint] = o.SESVia(c.SES.Endpoint)
	}
	var err error
	if c.Settings, err = settings.FromVars(LocalAWS(), lookup(vars)); err != nil {
		return nil, err
	}
	envs := map[string]settings.Env{}
	for _, f := range topology.ClariTru.Functions {
		if envs[f.Name], err = settings.FromVars(LocalAWS(), lookup(functionEnv(f, vars))); err != nil {
			return nil, fmt.Errorf("function %s: %w", f.Name, err)
		}
	}
	return envs, nil
}

// functions are the handlers of every function, by kind of trigger.
type functions struct {
	http      map[string]HTTPHandler
	stream    map[string]StreamHandler
	topics    map[string]TopicHandler
	scheduled map[string]ScheduledHandler
}

// TopicHandler is a function fed by an SNS topic.
type TopicHandler func(context.Context, events.SNSEvent) error

// deliverTopics connects each topic consumer of the topology to the
// stand-in that publishes to its topic: the SMS sink's replies, and the
// mail tap's events of mail to SES's mailbox simulator (not simulated when
// a test's own capture, SESVia, stands in for the tap).
func (c *Cloud) deliverTopics(handlers map[string]TopicHandler) error {
	for _, tc := range topology.ClariTru.Topics {
		h := handlers[tc.Function]
		switch {
		case h != nil && tc.Topic == topology.TopicSMSInbound:
			c.SMS.Deliver(h)
		case h != nil && tc.Topic == topology.TopicMailEvents:
			c.MailTap.Deliver(h)
		default:
			return fmt.Errorf("topic %s: function %s has no local handler or stand-in", tc.Topic, tc.Function)
		}
	}
	return nil
}

// wire builds every function's handler as its Lambda main does
// (shared/wiring/<function>), on the stand-ins, and checks that the HTTP
// adapters serve exactly the topology's routes.
func wire(o Options, envs map[string]settings.Env, db *dynamodb.Client, systems *reach.Register) (functions, error) {
	keyer, err := subject.NewKeyer(o.Pepper)
	if err != nil {
		return functions{}, err
	}
	deps := func(function string) wiring.Deps {
		def, _ := topology.ClariTru.Function(function)
		return wiring.Deps{Env: envs[function], DB: ddb.Guard(db, def), Keyer: keyer, Log: o.Log.With("function", function),
			AdminToken: o.AdminToken, Systems: systems}
	}
	wt, err := watch.Handler(deps("watch"))
	if err != nil {
		return functions{}, err
	}
	wt.StaleAfter = o.MailStaleAfter
	rh := reachwiring.Handler(deps("reach"), nil)
	ah, err := agent.Handler(deps("agent"))
	if err != nil {
		return functions{}, err
	}
	fns := functions{
		http: map[string]HTTPHandler{
			"intake":  intake.Handler(deps("intake")).Handle,
			"optout":  optout.Handler(deps("optout")).Handle,
			"consent": consent.Handler(deps("consent")).Handle,
			"admin":   admin.Handler(deps("admin")).Handle,
			"reach":   rh.Handle,
			"agent":   ah.Handle,
		},
		stream: map[string]StreamHandler{"notifier": notifier.Handler(deps("notifier")).Handle, "reach": rh.Stream, "agent": ah.Stream},
		topics: map[string]TopicHandler{"inbound": inbound.Handler(deps("inbound")).Handle},
		scheduled: map[string]ScheduledHandler{
			"watch":     Scheduled(wt.Handle),
			"retention": Scheduled(retention.Handler(deps("retention")).Handle),
			"reach":     Scheduled(rh.Scheduled),
			"agent":     Scheduled(ah.Scheduled),
		},
	}
	for _, r := range topology.ClariTru.Routes {
		if fns.http[r.Function] == nil {
			return functions{}, fmt.Errorf("route %s %s: function %s has no local handler", r.Method, r.Path, r.Function)
		}
	}
	served := map[string][]string{
		"intake": intakeapi.Routes(), "optout": optoutapi.Routes(), "consent": consentapi.Routes(), "admin": adminapi.Routes(),
		"reach": reachapi.Routes(), "agent": agentapi.Routes(),
	}
	return fns, topology.ClariTru.CheckRoutes(served)
}

// serve starts the gateway: the topology's routes and the sample pages.
func (c *Cloud) serve(o Options, handlers map[string]HTTPHandler) error {
	gw := &Gateway{
		Service:        topology.ClariTru,
		Handlers:       handlers,
		AllowedOrigins: c.Settings.AllowedOrigins,
		Static:         staticFiles(o.Root),
		// The HTTP API's JWT authorizer: the pool's issuer, the console's
		// app client.
		JWT: &staffauth.Verifier{Issuer: c.Cognito.Issuer(), Audiences: []string{c.Cognito.ClientID}},
		Log: o.Log,
	}
	c.SignIn = &HostedSignIn{Cognito: c.Cognito, Origin: c.APIURL, Log: o.Log}
	mux := http.NewServeMux()
	c.SignIn.Register(mux)
	mux.Handle("/", gw)
	l := c.gatewayListener
	c.gatewayListener = nil
	c.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = c.server.Serve(l) }()
	return nil
}

// PreviewsDir is where `make previews` writes the mail previews, under the
// repository root; the gateway serves them at /previews/.
const PreviewsDir = "build/previews"

// staticFiles serves the sample pages, and the mail previews at /previews/
// (a note on how to make them when there are none yet).
func staticFiles(root string) http.Handler {
	mux := http.NewServeMux()
	files := http.FileServer(http.Dir(filepath.Join(root, "web")))
	mux.Handle("/", files)
	mux.Handle("/console/", consoleHeaders(files))
	// The console's stylesheet is the pages' own, deployed beside it in AWS.
	mux.Handle("/console/style.css", consoleHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(root, "web", "style.css"))
	})))
	dir := filepath.Join(root, filepath.FromSlash(PreviewsDir))
	previews := http.StripPrefix("/previews", http.FileServer(http.Dir(dir)))
	mux.HandleFunc("/previews/", func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintln(w, "No mail previews yet: run `make previews`, then reload this page.")
			return
		}
		previews.ServeHTTP(w, r)
	})
	return mux
}

// ConsoleCSP is the staff console's Content-Security-Policy, the one the
// stack serves it with: its own scripts and styles only, no inline code,
// calls to its own origin only, no framing.
const ConsoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// consoleHeaders serves the console under its strict headers, so that local
// use and the browser tests meet what the stack sends.
func consoleHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ConsoleCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// poll feeds each stream consumer of the topology from the table's stream
// until ctx ends; c.polling closes when every poller has stopped.
func (c *Cloud) poll(ctx context.Context, o Options, db *dynamodb.Client, handlers map[string]StreamHandler) error {
	streams := dynamodbstreams.NewFromConfig(c.Settings.AWS, func(op *dynamodbstreams.Options) {
		op.BaseEndpoint = aws.String(c.DynamoDB.Endpoint)
	})
	var pollers []*StreamPoller
	for _, sc := range topology.ClariTru.Streams {
		h := handlers[sc.Function]
		if h == nil {
			close(c.polling)
			return fmt.Errorf("stream consumer %s has no local handler", sc.Function)
		}
		pollers = append(pollers, &StreamPoller{
			DB: db, Streams: streams, Table: o.Table, Consumer: sc.Function, Handler: h,
			BatchSize: sc.BatchSize, MaxRetries: sc.MaxRetries, View: topology.PrivacyTable.StreamView, Inserts: sc.Inserts, Log: o.Log,
		})
	}
	go func() {
		defer close(c.polling)
		done := make(chan struct{}, len(pollers))
		for _, p := range pollers {
			go func() {
				// Stop cancels ctx: a poller ending with it is no failure.
				if err := p.Run(ctx); err != nil && ctx.Err() == nil {
					o.Log.Error("stream poller stopped", "consumer", p.Consumer, "error", err.Error())
				}
				done <- struct{}{}
			}()
		}
		for range pollers {
			<-done
		}
	}()
	return nil
}

// localOnly are the variables every function is given locally besides the
// topology's: the stand-ins' endpoints.
var localOnly = []string{settings.EnvDynamoDBEndpoint, settings.EnvSESEndpoint, settings.EnvSMSEndpoint, settings.EnvSecretsEndpoint}

// functionEnv is the environment of one function: of all, the variables the
// topology lists for it, and the local-only ones.
func functionEnv(f topology.Function, all map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range slices.Concat(f.Env, localOnly) {
		if v, ok := all[k]; ok {
			out[k] = v
		}
	}
	return out
}

func lookup(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// Stop ends everything Start started.
func (c *Cloud) Stop() {
	if c == nil {
		return
	}
	if c.gatewayListener != nil {
		_ = c.gatewayListener.Close()
	}
	if c.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = c.server.Shutdown(ctx)
		cancel()
	}
	if c.cancel != nil {
		c.cancel()
		<-c.polling
	}
	c.SES.Stop()
	c.MailTap.Stop()
	c.SMS.Stop()
	c.Receiver.Stop()
	c.Secrets.Stop()
	c.Cognito.Stop()
	c.DynamoDB.Stop()
}

// Describe is the banner `make dev` prints.
func (c *Cloud) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ClariTru privacy service, running locally\n")
	fmt.Fprintf(&b, "  website and API   %s/\n", c.APIURL)
	fmt.Fprintf(&b, "  request form      %s/\n", c.APIURL)
	fmt.Fprintf(&b, "  do not sell       %s/do-not-sell.html\n", c.APIURL)
	fmt.Fprintf(&b, "  limit sensitive   %s/limit-sensitive.html\n", c.APIURL)
	fmt.Fprintf(&b, "  email/SMS opt-in  %s/subscribe.html\n", c.APIURL)
	fmt.Fprintf(&b, "  cookie banner     %s/cookies-demo.html\n", c.APIURL)
	fmt.Fprintf(&b, "  mail inbox        %s/\n", c.SES.Endpoint)
	fmt.Fprintf(&b, "  mail headers      %s/\n", c.MailTap.Endpoint)
	fmt.Fprintf(&b, "  mail previews     %s/previews/  (written by make previews)\n", c.APIURL)
	fmt.Fprintf(&b, "  SMS inbox         %s/\n", c.SMS.Endpoint)
	fmt.Fprintf(&b, "  webhook receiver  %s/  (stands in for the systems reached by webhook)\n", c.Receiver.Endpoint)
	fmt.Fprintf(&b, "  DynamoDB Local    %s  (table %s)\n", c.DynamoDB.Endpoint, c.Settings.Table)
	fmt.Fprintf(&b, "Press Ctrl-C to stop.\n")
	return b.String()
}
