package main

import (
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/claritru/privacy/shared/topology"
)

func TestTableIsBuiltFromTheTopology(t *testing.T) {
	s := mainStack(t)
	def := topology.PrivacyTable
	tables := s.doc.ofType("AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("tables = %v, want exactly one", tables)
	}
	id := s.logicalID(s.stack.Data.Table)
	table := s.resource(t, id, "AWS::DynamoDB::Table")
	p := table.Properties

	wantKeys := []any{
		map[string]any{"AttributeName": def.PartitionKey, "KeyType": "HASH"},
		map[string]any{"AttributeName": def.SortKey, "KeyType": "RANGE"},
	}
	if !sameJSON(p["KeySchema"], wantKeys) {
		t.Errorf("KeySchema = %s, want %s", show(p["KeySchema"]), show(wantKeys))
	}

	// Every key attribute, of the table and of each index, is a string.
	types := map[string]string{}
	for _, a := range asList(p["AttributeDefinitions"]) {
		types[asString(asMap(a)["AttributeName"])] = asString(asMap(a)["AttributeType"])
	}
	keyAttrs := []string{def.PartitionKey, def.SortKey}
	for _, ix := range def.Indexes {
		keyAttrs = append(keyAttrs, ix.PartitionKey, ix.SortKey)
	}
	for _, k := range keyAttrs {
		if types[k] != "S" {
			t.Errorf("attribute %q has type %q, want S", k, types[k])
		}
	}
	if len(types) != len(keyAttrs) {
		t.Errorf("attribute definitions %v, want only the key attributes %v", types, keyAttrs)
	}

	gsis := map[string]map[string]any{}
	for _, g := range asList(p["GlobalSecondaryIndexes"]) {
		gsis[asString(asMap(g)["IndexName"])] = asMap(g)
	}
	if len(gsis) != len(def.Indexes) {
		t.Errorf("indexes = %d, want %d", len(gsis), len(def.Indexes))
	}
	for _, ix := range def.Indexes {
		g, ok := gsis[ix.Name]
		if !ok {
			t.Errorf("index %q missing", ix.Name)
			continue
		}
		want := []any{
			map[string]any{"AttributeName": ix.PartitionKey, "KeyType": "HASH"},
			map[string]any{"AttributeName": ix.SortKey, "KeyType": "RANGE"},
		}
		if !sameJSON(g["KeySchema"], want) {
			t.Errorf("index %q keys = %s, want %s", ix.Name, show(g["KeySchema"]), show(want))
		}
		// ALL unless topology names what the index carries; then exactly
		// those attributes besides the keys.
		wantProjection := map[string]any{"ProjectionType": "ALL"}
		if len(ix.Include) > 0 {
			wantProjection = map[string]any{"ProjectionType": "INCLUDE", "NonKeyAttributes": ix.Include}
		}
		if !sameJSON(g["Projection"], wantProjection) {
			t.Errorf("index %q projection = %s, want %s", ix.Name, show(g["Projection"]), show(wantProjection))
		}
	}

	if got := asString(p["BillingMode"]); got != "PAY_PER_REQUEST" {
		t.Errorf("BillingMode = %q, want on-demand", got)
	}
	if want := map[string]any{"AttributeName": def.TTLAttribute, "Enabled": true}; !sameJSON(p["TimeToLiveSpecification"], want) {
		t.Errorf("TTL = %s, want %s", show(p["TimeToLiveSpecification"]), show(want))
	}
	if got := asString(asMap(p["StreamSpecification"])["StreamViewType"]); got != "NEW_AND_OLD_IMAGES" {
		t.Errorf("stream view = %q, want NEW_AND_OLD_IMAGES", got)
	}
	if on, _ := asBool(asMap(p["PointInTimeRecoverySpecification"])["PointInTimeRecoveryEnabled"]); !on {
		t.Errorf("point-in-time recovery is off: %s", show(p["PointInTimeRecoverySpecification"]))
	}
	// Kept when the stack goes, unless the stage lets a test
	// installation go whole (TestRetainedInProd checks both stages).
	wantPolicy := "Delete"
	if s.cfg.RetainData {
		wantPolicy = "Retain"
	}
	if table.DeletionPolicy != wantPolicy {
		t.Errorf("DeletionPolicy = %q, want %s", table.DeletionPolicy, wantPolicy)
	}

	// Encrypted with the stack's own key, which rotates.
	keyID := s.logicalID(s.stack.Data.Key)
	sse := asMap(p["SSESpecification"])
	if on, _ := asBool(sse["SSEEnabled"]); !on || asString(sse["SSEType"]) != "KMS" || !sameJSON(sse["KMSMasterKeyId"], getAtt(keyID, "Arn")) {
		t.Errorf("SSESpecification = %s, want KMS with key %s", show(sse), keyID)
	}
	key := s.resource(t, keyID, "AWS::KMS::Key")
	if on, _ := asBool(key.Properties["EnableKeyRotation"]); !on {
		t.Error("the table's KMS key does not rotate")
	}
	if key.DeletionPolicy != wantPolicy {
		t.Errorf("key DeletionPolicy = %q, want %s, the table's", key.DeletionPolicy, wantPolicy)
	}

	// The same checks through the assertions matchers, as a cross-check of
	// the decoding above.
	noPanic(t, "table properties", func() {
		s.template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), assertions.Match_ObjectLike(&map[string]any{
			"StreamSpecification":     map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"},
			"TimeToLiveSpecification": map[string]any{"AttributeName": def.TTLAttribute, "Enabled": true},
			"SSESpecification":        assertions.Match_ObjectLike(&map[string]any{"SSEEnabled": true, "SSEType": "KMS"}),
		}))
	})
}

func TestNoHardCodedResourceNames(t *testing.T) {
	s := mainStack(t)
	nameProps := map[string]string{
		"AWS::DynamoDB::Table":          "TableName",
		"AWS::Lambda::Function":         "FunctionName",
		"AWS::IAM::Role":                "RoleName",
		"AWS::Logs::LogGroup":           "LogGroupName",
		"AWS::SQS::Queue":               "QueueName",
		"AWS::SecretsManager::Secret":   "Name",
		"AWS::KMS::Key":                 "KeyName",
		"AWS::IAM::ManagedPolicy":       "ManagedPolicyName",
		"AWS::ApiGatewayV2::DomainName": "DomainName",
	}
	for id, r := range s.doc.Resources {
		if prop, ok := nameProps[r.Type]; ok {
			if v, set := r.Properties[prop]; set {
				t.Errorf("%s (%s) has a fixed %s %s", id, r.Type, prop, show(v))
			}
		}
	}
}

func TestEachTopologyFunctionIsDeployed(t *testing.T) {
	s := mainStack(t)
	// Besides, CDK's function that copies the console's pages into its
	// bucket at deployment.
	var others []string
	for _, id := range s.doc.ofType("AWS::Lambda::Function") {
		if !strings.HasPrefix(id, "CustomCDKBucketDeployment") {
			others = append(others, id)
		}
	}
	if got, want := len(others), len(s.service.Functions); got != want {
		t.Errorf("%d Lambda functions in the template besides the console's deployment, want %d (one per topology function, nothing else)", got, want)
	}
	for _, def := range s.service.Functions {
		t.Run(def.Name, func(t *testing.T) { checkFunction(t, s, def) })
	}
}

func checkFunction(t *testing.T, s *synthesized, def topology.Function) {
	fn, ok := s.stack.Functions.ByName[def.Name]
	if !ok {
		t.Fatalf("no function %q in the stack", def.Name)
	}
	r := s.resource(t, s.logicalID(fn.Lambda), "AWS::Lambda::Function")
	p := r.Properties
	if got := asString(p["Runtime"]); got != "provided.al2023" {
		t.Errorf("Runtime = %q, want provided.al2023", got)
	}
	if !sameJSON(p["Architectures"], []any{"arm64"}) {
		t.Errorf("Architectures = %s, want [arm64]", show(p["Architectures"]))
	}
	if got := asString(p["Handler"]); got != "bootstrap" {
		t.Errorf("Handler = %q, want bootstrap", got)
	}
	if got := asNumber(p["MemorySize"]); got != float64(def.Memory) {
		t.Errorf("MemorySize = %v, want %d", got, def.Memory)
	}
	if got := asNumber(p["Timeout"]); got != def.Timeout.Seconds() {
		t.Errorf("Timeout = %v, want %v", got, def.Timeout.Seconds())
	}
	if got := asString(p["Description"]); got != def.Purpose {
		t.Errorf("Description = %q, want the topology purpose %q", got, def.Purpose)
	}

	// Exactly the variables topology lists, with the stack's values.
	vars := asMap(asMap(p["Environment"])["Variables"])
	var got, want []string
	for k := range vars {
		got = append(got, k)
	}
	want = append(want, def.Env...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("environment = %v, want exactly topology's %v", got, want)
	}
	expected := map[string]any{
		topology.EnvTableName:     ref(s.logicalID(s.stack.Data.Table)),
		topology.EnvPepperSecret:  ref(s.logicalID(s.stack.Data.Pepper)),
		topology.EnvMailFrom:      s.cfg.MailFrom,
		topology.EnvReturnURL:     s.cfg.ReturnURL,
		topology.EnvAllowedOrigin: strings.Join(s.cfg.AllowedOrigins, ","),
		topology.EnvPublicBaseURL: s.cfg.PublicBaseURL,
		topology.EnvPolicyURL:     s.cfg.PolicyURL,
		topology.EnvPrivacyTeam:   s.cfg.PrivacyTeamEmail,
		topology.EnvStaffRoles:    strings.Join(s.cfg.StaffRoles, ","),
		topology.EnvPostalAddress: s.cfg.PostalAddress,
		topology.EnvSMSOrigin:     s.cfg.SMSOrigin,
		topology.EnvTimeZone:      s.cfg.TimeZone,
		topology.EnvMailConfigSet: ref(s.logicalID(s.stack.Mail.ConfigSet)),
		// AWS trusts the repository's register of agents only.
		topology.EnvDRPAgents:     "[]",
		topology.EnvDRPBusinessID: "CLARITRU",
		topology.EnvEdgeSecret: map[string]any{"Fn::Join": []any{"", []any{
			"{{resolve:secretsmanager:", ref(s.logicalID(s.stack.Edge.Secret)), ":SecretString:::}}",
		}}},
	}
	if s.cfg.PublicBaseURL == "" {
		// Mail links lead through the edge, like the forms.
		expected[topology.EnvPublicBaseURL] = map[string]any{"Fn::Join": []any{"", []any{
			"https://", getAtt(s.logicalID(s.stack.Edge.Distribution), "DomainName"),
		}}}
	}
	for _, k := range def.Env {
		if !sameJSON(vars[k], expected[k]) {
			t.Errorf("%s = %s, want %s", k, show(vars[k]), show(expected[k]))
		}
	}

	// Its own log group, with a retention.
	logsID := s.logicalID(fn.Logs)
	if !sameJSON(asMap(p["LoggingConfig"])["LogGroup"], ref(logsID)) {
		t.Errorf("LoggingConfig = %s, want its own log group %s", show(p["LoggingConfig"]), logsID)
	}
	if days := asNumber(s.resource(t, logsID, "AWS::Logs::LogGroup").Properties["RetentionInDays"]); days <= 0 {
		t.Error("the function's log group keeps logs forever")
	}
	if !sameJSON(p["Role"], getAtt(s.logicalID(fn.Role), "Arn")) {
		t.Errorf("Role = %s, want its own role", show(p["Role"]))
	}
}

func TestEachTopologyRouteIsServed(t *testing.T) {
	s := mainStack(t)
	checkRoutes(t, s)
}

func checkRoutes(t *testing.T, s *synthesized) {
	t.Helper()
	routes := map[string]cfnResource{}
	for _, id := range s.doc.ofType("AWS::ApiGatewayV2::Route") {
		r := s.doc.Resources[id]
		routes[asString(r.Properties["RouteKey"])] = r
	}
	if len(routes) != len(s.service.Routes) {
		t.Errorf("%d routes in the template, want the %d topology routes", len(routes), len(s.service.Routes))
	}
	apiID := s.logicalID(s.stack.API.HTTP)
	for _, want := range s.service.Routes {
		key := want.Method + " " + want.Path
		r, ok := routes[key]
		if !ok {
			t.Errorf("route %q missing", key)
			continue
		}
		if !sameJSON(r.Properties["ApiId"], ref(apiID)) {
			t.Errorf("%s: on API %s, want %s", key, show(r.Properties["ApiId"]), apiID)
		}
		wantAuth := map[topology.Auth]string{topology.Public: "NONE", topology.Staff: "JWT", topology.Machine: "AWS_IAM"}[want.Auth]
		if got := asString(r.Properties["AuthorizationType"]); got != wantAuth {
			t.Errorf("%s: AuthorizationType = %q, want %q for %s", key, got, wantAuth, want.Auth)
		}
		if want.Auth == topology.Staff {
			checkStaffAuthorizer(t, s, key, r.Properties["AuthorizerId"])
		} else if id, set := r.Properties["AuthorizerId"]; set {
			t.Errorf("%s: authorizer %s on a %s route", key, show(id), want.Auth)
		}
		// Target is integrations/<id>; that integration invokes the
		// function topology names.
		target := show(r.Properties["Target"])
		fnID := s.logicalID(s.stack.Functions.ByName[want.Function].Lambda)
		found := false
		for _, integID := range s.doc.ofType("AWS::ApiGatewayV2::Integration") {
			if !contains(target, `"`+integID+`"`) {
				continue
			}
			found = true
			ip := s.doc.Resources[integID].Properties
			if !sameJSON(ip["IntegrationUri"], getAtt(fnID, "Arn")) {
				t.Errorf("%s: integration calls %s, want function %s", key, show(ip["IntegrationUri"]), want.Function)
			}
			if got := asString(ip["PayloadFormatVersion"]); got != "2.0" {
				t.Errorf("%s: payload format %q, want 2.0 (the local runner sends v2 events)", key, got)
			}
		}
		if !found {
			t.Errorf("%s: target %s is no integration", key, target)
		}
	}
}

// checkStaffAuthorizer: a staff route's authorizer is the API's JWT
// authorizer that takes the bearer token and accepts only access tokens
// the staff user pool issued to the console's client.
func checkStaffAuthorizer(t *testing.T, s *synthesized, key string, authorizerID any) {
	t.Helper()
	id := asString(asMap(authorizerID)["Ref"])
	a, ok := s.doc.Resources[id]
	if !ok || a.Type != "AWS::ApiGatewayV2::Authorizer" {
		t.Errorf("%s: AuthorizerId %s is no authorizer of the template", key, show(authorizerID))
		return
	}
	p := a.Properties
	if !sameJSON(p["ApiId"], ref(s.logicalID(s.stack.API.HTTP))) || asString(p["AuthorizerType"]) != "JWT" {
		t.Errorf("%s: authorizer %s on %s, want a JWT authorizer of the API", key, asString(p["AuthorizerType"]), show(p["ApiId"]))
	}
	if !sameJSON(p["IdentitySource"], []any{"$request.header.Authorization"}) {
		t.Errorf("%s: identity source %s, want the Authorization header", key, show(p["IdentitySource"]))
	}
	jwt := asMap(p["JwtConfiguration"])
	poolID := s.logicalID(s.stack.Staff.Pool)
	wantIssuer := map[string]any{"Fn::Join": []any{"", []any{
		"https://cognito-idp.", map[string]any{"Ref": "AWS::Region"}, ".amazonaws.com/", ref(poolID),
	}}}
	if !sameJSON(jwt["Issuer"], wantIssuer) {
		t.Errorf("%s: issuer %s, want the staff pool's %s", key, show(jwt["Issuer"]), show(wantIssuer))
	}
	if want := []any{ref(s.logicalID(s.stack.Staff.Client))}; !sameJSON(jwt["Audience"], want) {
		t.Errorf("%s: audience %s, want only the console's client %s", key, show(jwt["Audience"]), show(want))
	}
}

func TestStaffRoutesNeedStaffTokens(t *testing.T) {
	// More staff routes on the admin function show that the stack
	// authorises every one of them with the staff pool's JWT authorizer,
	// and that cdk-nag then needs no exception for them.
	svc := topology.ClariTru
	admin, ok := svc.Function("admin")
	if !ok {
		t.Fatal("topology has no admin function")
	}
	svc.Routes = append([]topology.Route{}, topology.ClariTru.Routes...)
	svc.Routes = append(svc.Routes,
		// Paths no topology route has: a route added twice is a
		// construct-id clash, not the point of this test.
		topology.Route{Method: "GET", Path: "/v1/admin/test-only", Function: "admin", Auth: topology.Staff},
		topology.Route{Method: "POST", Path: "/v1/admin/test-only/{id}/thing", Function: "admin", Auth: topology.Staff},
	)
	app := testApp(t, svc.Functions, nil)
	cfg, err := ConfigFromContext(app)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicBaseURL = "https://privacy.example.org"
	stack, err := NewPrivacyStack(app, "Staff", PrivacyStackProps{Config: cfg, AssetRoot: assetRoot, ConsoleDir: consoleDir, Service: &svc})
	if err != nil {
		t.Fatal(err)
	}
	applyNag(app)
	s, err := synth(stack, cfg, svc)
	if err != nil {
		t.Fatal(err)
	}
	checkRoutes(t, s)
	t.Run("admin", func(t *testing.T) { checkFunction(t, s, admin) })
	// Signing in returns to the console under the configured address.
	t.Run("console client", func(t *testing.T) { checkConsoleClient(t, s, "https://privacy.example.org/console/") })
	checkNoNagErrors(t, stack)
}

func TestCORSAndStage(t *testing.T) {
	s := mainStack(t)
	api := s.resource(t, s.logicalID(s.stack.API.HTTP), "AWS::ApiGatewayV2::Api")
	cors := asMap(api.Properties["CorsConfiguration"])
	if !sameJSON(cors["AllowOrigins"], s.cfg.AllowedOrigins) {
		t.Errorf("CORS origins = %s, want the configured %v", show(cors["AllowOrigins"]), s.cfg.AllowedOrigins)
	}
	if on, _ := asBool(cors["AllowCredentials"]); on {
		t.Error("CORS allows credentials")
	}
	methods := map[string]bool{}
	for _, m := range asList(cors["AllowMethods"]) {
		methods[asString(m)] = true
	}
	for _, r := range s.service.Routes {
		if !methods[r.Method] {
			t.Errorf("CORS does not allow %s, which route %s uses", r.Method, r.Path)
		}
	}
	if methods["*"] {
		t.Error("CORS allows every method")
	}

	stages := s.doc.ofType("AWS::ApiGatewayV2::Stage")
	if len(stages) != 1 {
		t.Fatalf("stages = %v, want the default stage only", stages)
	}
	stage := s.doc.Resources[stages[0]].Properties
	if got := asString(stage["StageName"]); got != "$default" {
		t.Errorf("StageName = %q, want $default", got)
	}
	logs := asMap(stage["AccessLogSettings"])
	logsID := s.logicalID(s.stack.API.AccessLogs)
	if !sameJSON(logs["DestinationArn"], getAtt(logsID, "Arn")) {
		t.Errorf("access logs go to %s, want log group %s", show(logs["DestinationArn"]), logsID)
	}
	format := asString(logs["Format"])
	if !contains(format, "$context.requestId") {
		t.Errorf("access log format %q lacks the request id", format)
	}
	for _, personal := range []string{"$context.identity.sourceIp", "$context.identity.userAgent", "$context.path"} {
		if contains(format, personal) {
			t.Errorf("access log format logs %s", personal)
		}
	}
	if days := asNumber(s.resource(t, logsID, "AWS::Logs::LogGroup").Properties["RetentionInDays"]); days <= 0 {
		t.Error("access logs are kept forever")
	}
	throttle := asMap(stage["DefaultRouteSettings"])
	if asNumber(throttle["ThrottlingRateLimit"]) <= 0 || asNumber(throttle["ThrottlingBurstLimit"]) <= 0 {
		t.Errorf("default stage is not throttled: %s", show(throttle))
	}
}

func TestStreamConsumers(t *testing.T) {
	s := mainStack(t)
	mappings := s.doc.ofType("AWS::Lambda::EventSourceMapping")
	if len(mappings) != len(s.service.Streams) {
		t.Errorf("%d event source mappings, want the %d topology stream consumers", len(mappings), len(s.service.Streams))
	}
	tableID := s.logicalID(s.stack.Data.Table)
	for _, def := range s.service.Streams {
		t.Run(def.Function, func(t *testing.T) {
			fnID := s.logicalID(s.stack.Functions.ByName[def.Function].Lambda)
			var p map[string]any
			for _, id := range mappings {
				if sameJSON(s.doc.Resources[id].Properties["FunctionName"], ref(fnID)) {
					p = s.doc.Resources[id].Properties
				}
			}
			if p == nil {
				t.Fatalf("no event source mapping feeds %s", def.Function)
			}
			if !sameJSON(p["EventSourceArn"], getAtt(tableID, "StreamArn")) {
				t.Errorf("EventSourceArn = %s, want the table's stream", show(p["EventSourceArn"]))
			}
			if got := asString(p["StartingPosition"]); got != "TRIM_HORIZON" {
				t.Errorf("StartingPosition = %q, want TRIM_HORIZON", got)
			}
			if got := asNumber(p["BatchSize"]); got != float64(def.BatchSize) {
				t.Errorf("BatchSize = %v, want %d", got, def.BatchSize)
			}
			if got, ok := p["MaximumRetryAttempts"]; !ok || asNumber(got) != float64(def.MaxRetries) {
				t.Errorf("MaximumRetryAttempts = %v, want %d", got, def.MaxRetries)
			}
			if on, _ := asBool(p["BisectBatchOnFunctionError"]); !on {
				t.Error("BisectBatchOnFunctionError is off")
			}
			if !sameJSON(p["FunctionResponseTypes"], []any{"ReportBatchItemFailures"}) {
				t.Errorf("FunctionResponseTypes = %s, want [ReportBatchItemFailures]", show(p["FunctionResponseTypes"]))
			}

			dest := asMap(asMap(asMap(p["DestinationConfig"])["OnFailure"])["Destination"])
			queue := s.stack.Streams.ByFunction[def.Function].DeadLetters
			queueID := s.logicalID(queue)
			if !sameJSON(dest, getAtt(queueID, "Arn")) {
				t.Fatalf("on-failure destination = %s, want queue %s", show(dest), queueID)
			}
			q := s.resource(t, queueID, "AWS::SQS::Queue").Properties
			if q["KmsMasterKeyId"] == nil {
				if on, _ := asBool(q["SqsManagedSseEnabled"]); !on {
					t.Errorf("dead-letter queue is not encrypted: %s", show(q))
				}
			}
			// EnforceSSL: a queue policy denying any request not over TLS.
			tls := false
			for _, id := range s.doc.ofType("AWS::SQS::QueuePolicy") {
				qp := s.doc.Resources[id].Properties
				if !mentions(qp["Queues"], queueID) {
					continue
				}
				for _, st := range asList(asMap(qp["PolicyDocument"])["Statement"]) {
					st := asMap(st)
					cond := asMap(asMap(st["Condition"])["Bool"])
					if asString(st["Effect"]) == "Deny" && asString(cond["aws:SecureTransport"]) == "false" {
						tls = true
					}
				}
			}
			if !tls {
				t.Error("dead-letter queue accepts requests without TLS")
			}
		})
	}

	noPanic(t, "event source mapping", func() {
		for _, def := range s.service.Streams {
			s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), assertions.Match_ObjectLike(&map[string]any{
				"BatchSize":                  def.BatchSize,
				"MaximumRetryAttempts":       def.MaxRetries,
				"BisectBatchOnFunctionError": true,
				"FunctionResponseTypes":      []string{"ReportBatchItemFailures"},
				"DestinationConfig":          map[string]any{"OnFailure": map[string]any{"Destination": assertions.Match_AnyValue()}},
			}))
		}
	})
}

func TestMailIdentity(t *testing.T) {
	s := mainStack(t)
	id := s.logicalID(s.stack.Mail.Identity)
	r := s.resource(t, id, "AWS::SES::EmailIdentity")
	if got := asString(r.Properties["EmailIdentity"]); got != s.cfg.MailFrom {
		t.Errorf("SES identity = %q, want the configured sender %q", got, s.cfg.MailFrom)
	}
}

func TestOutputs(t *testing.T) {
	s := mainStack(t)
	api, ok := s.doc.Outputs["ApiUrl"]
	if !ok || !mentions(api["Value"], s.logicalID(s.stack.API.HTTP)) {
		t.Errorf("ApiUrl output = %s, want the HTTP API's URL", show(api))
	}
	table, ok := s.doc.Outputs["TableName"]
	if !ok || !sameJSON(table["Value"], ref(s.logicalID(s.stack.Data.Table))) {
		t.Errorf("TableName output = %s, want the table", show(table))
	}
}
