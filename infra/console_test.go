package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// TestStaffPool: staff sign in to a pool of their own that no one joins by
// themselves, with an authenticator app's code (TOTP, never SMS) at every
// sign-in, a strong password, recovery by email only and threat
// protection; its three groups are the roles.
func TestStaffPool(t *testing.T) {
	s := mainStack(t)
	pools := s.doc.ofType("AWS::Cognito::UserPool")
	if len(pools) != 1 || pools[0] != s.logicalID(s.stack.Staff.Pool) {
		t.Fatalf("user pools %v, want the staff pool only", pools)
	}
	p := s.doc.Resources[pools[0]].Properties
	if asString(p["MfaConfiguration"]) != "ON" {
		t.Errorf("MfaConfiguration %v, want ON (required)", p["MfaConfiguration"])
	}
	if !sameJSON(p["EnabledMfas"], []any{"SOFTWARE_TOKEN_MFA"}) {
		t.Errorf("EnabledMfas %s, want the authenticator app (TOTP) only", show(p["EnabledMfas"]))
	}
	if on, _ := asBool(asMap(p["AdminCreateUserConfig"])["AllowAdminCreateUserOnly"]); !on {
		t.Errorf("self sign-up is open: %s", show(p["AdminCreateUserConfig"]))
	}
	pw := asMap(asMap(p["Policies"])["PasswordPolicy"])
	if asNumber(pw["MinimumLength"]) < 12 {
		t.Errorf("passwords of %v characters", pw["MinimumLength"])
	}
	for _, k := range []string{"RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"} {
		if on, _ := asBool(pw[k]); !on {
			t.Errorf("password policy without %s: %s", k, show(pw))
		}
	}
	if d := asNumber(pw["TemporaryPasswordValidityDays"]); d < 1 || d > 7 {
		t.Errorf("a temporary password lasts %v days", pw["TemporaryPasswordValidityDays"])
	}
	recovery := []any{map[string]any{"Name": "verified_email", "Priority": 1}}
	if !sameJSON(asMap(p["AccountRecoverySetting"])["RecoveryMechanisms"], recovery) {
		t.Errorf("account recovery %s, want by verified email only", show(p["AccountRecoverySetting"]))
	}
	if asString(p["UserPoolTier"]) != "PLUS" || asString(asMap(p["UserPoolAddOns"])["AdvancedSecurityMode"]) != "ENFORCED" {
		t.Errorf("tier %v, add-ons %s: want threat protection enforced (the Plus plan)", p["UserPoolTier"], show(p["UserPoolAddOns"]))
	}

	var groups []string
	for _, id := range s.doc.ofType("AWS::Cognito::UserPoolGroup") {
		g := s.doc.Resources[id].Properties
		if !sameJSON(g["UserPoolId"], ref(pools[0])) {
			t.Errorf("group %s in %s, want the staff pool", id, show(g["UserPoolId"]))
		}
		groups = append(groups, asString(g["GroupName"]))
	}
	sort.Strings(groups)
	if want := []string{"privacy-admin", "privacy-handler", "privacy-viewer"}; !sameJSON(groups, want) {
		t.Errorf("groups %v, want %v", groups, want)
	}

	domains := s.doc.ofType("AWS::Cognito::UserPoolDomain")
	if len(domains) != 1 {
		t.Fatalf("pool domains %v, want one", domains)
	}
	d := s.doc.Resources[domains[0]].Properties
	if asString(d["Domain"]) != s.cfg.StaffAuthDomain || !sameJSON(d["UserPoolId"], ref(pools[0])) {
		t.Errorf("domain %s, want prefix %q of the staff pool", show(d), s.cfg.StaffAuthDomain)
	}
}

// TestConsoleClient: the console's app client is public (no secret) and
// signs in with the authorization code grant only, back to the console on
// the edge, with short-lived tokens.
func TestConsoleClient(t *testing.T) {
	s := mainStack(t)
	edgeConsole := map[string]any{"Fn::Join": []any{"", []any{
		"https://", getAtt(s.logicalID(s.stack.Edge.Distribution), "DomainName"), "/console/",
	}}}
	checkConsoleClient(t, s, edgeConsole)
}

func checkConsoleClient(t *testing.T, s *synthesized, consoleURL any) {
	t.Helper()
	clients := s.doc.ofType("AWS::Cognito::UserPoolClient")
	if len(clients) != 1 {
		t.Fatalf("app clients %v, want the console's only", clients)
	}
	p := s.doc.Resources[clients[0]].Properties
	if !sameJSON(p["UserPoolId"], ref(s.logicalID(s.stack.Staff.Pool))) {
		t.Errorf("client of %s, want the staff pool", show(p["UserPoolId"]))
	}
	if secret, set := asBool(p["GenerateSecret"]); !set || secret {
		t.Errorf("GenerateSecret %v, want false (a browser keeps no secret)", p["GenerateSecret"])
	}
	if on, _ := asBool(p["AllowedOAuthFlowsUserPoolClient"]); !on || !sameJSON(p["AllowedOAuthFlows"], []any{"code"}) {
		t.Errorf("OAuth flows %s, want the authorization code grant only", show(p["AllowedOAuthFlows"]))
	}
	scopes := []string{}
	for _, sc := range asList(p["AllowedOAuthScopes"]) {
		scopes = append(scopes, asString(sc))
	}
	sort.Strings(scopes)
	if want := []string{"email", "openid", "profile"}; !sameJSON(scopes, want) {
		t.Errorf("scopes %v, want %v", scopes, want)
	}
	for _, k := range []string{"CallbackURLs", "LogoutURLs"} {
		if !sameJSON(p[k], []any{consoleURL}) {
			t.Errorf("%s %s, want only the console %s", k, show(p[k]), show(consoleURL))
		}
	}
	if !sameJSON(p["SupportedIdentityProviders"], []any{"COGNITO"}) {
		t.Errorf("identity providers %s, want the pool's own sign-in", show(p["SupportedIdentityProviders"]))
	}
	if asString(p["PreventUserExistenceErrors"]) != "ENABLED" {
		t.Errorf("PreventUserExistenceErrors %v", p["PreventUserExistenceErrors"])
	}
	for _, f := range asList(p["ExplicitAuthFlows"]) {
		if f == "ALLOW_USER_PASSWORD_AUTH" || f == "ALLOW_ADMIN_USER_PASSWORD_AUTH" {
			t.Errorf("auth flow %v sends the password itself", f)
		}
	}
	minutes := func(kind string, v any) float64 {
		unit := asString(asMap(p["TokenValidityUnits"])[kind])
		return asNumber(v) * map[string]float64{"minutes": 1, "hours": 60, "days": 1440}[unit]
	}
	if a, id := minutes("AccessToken", p["AccessTokenValidity"]), minutes("IdToken", p["IdTokenValidity"]); a <= 0 || a > 60 || id <= 0 || id > 60 {
		t.Errorf("access and id tokens last %v and %v minutes, want an hour at most", a, id)
	}
	if r := minutes("RefreshToken", p["RefreshTokenValidity"]); r <= 0 || r > 24*60 {
		t.Errorf("a refresh token lasts %v minutes, want a day at most", r)
	}
	if on, _ := asBool(p["EnableTokenRevocation"]); !on {
		t.Error("refresh tokens cannot be revoked")
	}
}

// consoleBehaviours are the distribution's cache behaviours by path.
func consoleBehaviours(t *testing.T, s *synthesized) (map[string]map[string]any, []string, map[string]any) {
	t.Helper()
	cfg := asMap(s.resource(t, s.logicalID(s.stack.Edge.Distribution), "AWS::CloudFront::Distribution").Properties["DistributionConfig"])
	out := map[string]map[string]any{}
	var order []string
	for _, b := range asList(cfg["CacheBehaviors"]) {
		path := asString(asMap(b)["PathPattern"])
		out[path] = asMap(b)
		order = append(order, path)
	}
	return out, order, cfg
}

// TestConsoleBehaviours: the edge serves /console/ from the private bucket
// through origin access control (signed requests, no identity, no public
// access), with the security headers, config.json never cached, and a
// folder's address serving its index.html.
func TestConsoleBehaviours(t *testing.T) {
	s := mainStack(t)
	behaviours, order, cfg := consoleBehaviours(t, s)
	if !sameJSON(order, []string{"/console/config.json", "/console/*", "/console"}) {
		t.Fatalf("cache behaviours %v, want config.json's before the console's (CloudFront takes the first match), and /console", order)
	}
	bucketID := s.logicalID(s.stack.Console.Bucket)
	var origin map[string]any
	for _, o := range asList(cfg["Origins"]) {
		if mentions(asMap(o)["DomainName"], bucketID) {
			origin = asMap(o)
		}
	}
	if origin == nil {
		t.Fatalf("no origin on the console bucket: %s", show(cfg["Origins"]))
	}
	if !sameJSON(origin["DomainName"], getAtt(bucketID, "RegionalDomainName")) {
		t.Errorf("origin %s, want the bucket's REST endpoint", show(origin["DomainName"]))
	}
	if oai := asString(asMap(origin["S3OriginConfig"])["OriginAccessIdentity"]); oai != "" {
		t.Errorf("origin access identity %q, want origin access control only", oai)
	}
	oacID := asString(asList(asMap(origin["OriginAccessControlId"])["Fn::GetAtt"])[0])
	oac := asMap(s.resource(t, oacID, "AWS::CloudFront::OriginAccessControl").Properties["OriginAccessControlConfig"])
	if asString(oac["OriginAccessControlOriginType"]) != "s3" || asString(oac["SigningBehavior"]) != "always" || asString(oac["SigningProtocol"]) != "sigv4" {
		t.Errorf("origin access control %s, want S3, always signed with SigV4", show(oac))
	}
	headersID := s.logicalID(s.stack.Console.Headers)
	for path, b := range behaviours {
		if b["TargetOriginId"] != origin["Id"] {
			t.Errorf("%s: origin %v, want the console bucket's", path, b["TargetOriginId"])
		}
		if !sameJSON(b["ResponseHeadersPolicyId"], ref(headersID)) {
			t.Errorf("%s: response headers %s, want the console's policy", path, show(b["ResponseHeadersPolicyId"]))
		}
		if asString(b["ViewerProtocolPolicy"]) != "https-only" || !sameJSON(b["AllowedMethods"], []any{"GET", "HEAD"}) {
			t.Errorf("%s: %v, methods %s; want https only, GET and HEAD", path, b["ViewerProtocolPolicy"], show(b["AllowedMethods"]))
		}
	}
	// CloudFront's managed CachingDisabled policy.
	if id := asString(behaviours["/console/config.json"]["CachePolicyId"]); id != "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" {
		t.Errorf("config.json's cache policy %v, want caching disabled", behaviours["/console/config.json"]["CachePolicyId"])
	}
	pages := behaviours["/console/*"]
	if bare := behaviours["/console"]; !sameJSON(bare["FunctionAssociations"], pages["FunctionAssociations"]) || !sameJSON(bare["CachePolicyId"], pages["CachePolicyId"]) {
		t.Errorf("/console is served as %s, want as the pages (the function redirects it)", show(bare))
	}
	cacheID := asString(asMap(pages["CachePolicyId"])["Ref"])
	cache := asMap(s.resource(t, cacheID, "AWS::CloudFront::CachePolicy").Properties["CachePolicyConfig"])
	if asNumber(cache["MinTTL"]) != 0 || asNumber(cache["DefaultTTL"]) != 0 {
		t.Errorf("the pages' cache %s, want kept only as long as the bucket's Cache-Control says", show(cache))
	}
	assoc := asList(pages["FunctionAssociations"])
	if len(assoc) != 1 || asString(asMap(assoc[0])["EventType"]) != "viewer-request" {
		t.Fatalf("function associations %s, want the index function on viewer requests", show(assoc))
	}
	fnID := asString(asList(asMap(asMap(assoc[0])["FunctionARN"])["Fn::GetAtt"])[0])
	checkIndexFunction(t, asString(s.resource(t, fnID, "AWS::CloudFront::Function").Properties["FunctionCode"]))
	checkConsoleBuckets(t, s)
}

// checkIndexFunction runs the viewer-request function's code in Node.js.
func checkIndexFunction(t *testing.T, code string) {
	t.Helper()
	script := code + `
const cases = {"/console/": "/console/index.html", "/console/queue/": "/console/queue/index.html",
  "/console/app.js": "/console/app.js", "/console/config.json": "/console/config.json",
  "/console": "301 /console/"};
for (const [uri, want] of Object.entries(cases)) {
  const r = handler({request: {uri: uri, method: "GET"}});
  const got = r.statusCode ? r.statusCode + " " + r.headers.location.value : r.uri;
  if (got !== want) { console.log(uri + " -> " + got + ", want " + want); process.exitCode = 1; }
}`
	out, err := exec.Command("node", "-e", script).CombinedOutput()
	if err != nil {
		t.Errorf("the index function: %v\n%s", err, out)
	}
}

// checkConsoleBuckets: the pages' bucket and its access logs' bucket are
// private, TLS-only and encrypted; only this distribution may read the
// pages, and the bucket logs every access.
func checkConsoleBuckets(t *testing.T, s *synthesized) {
	t.Helper()
	bucketID, logsID := s.logicalID(s.stack.Console.Bucket), s.logicalID(s.stack.Console.AccessLogs)
	distArn := map[string]any{"Fn::Join": []any{"", []any{
		"arn:", ref("AWS::Partition"), ":cloudfront::", ref("AWS::AccountId"), ":distribution/", ref(s.logicalID(s.stack.Edge.Distribution)),
	}}}
	for _, id := range []string{bucketID, logsID} {
		p := s.resource(t, id, "AWS::S3::Bucket").Properties
		block := asMap(p["PublicAccessBlockConfiguration"])
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if on, _ := asBool(block[k]); !on {
				t.Errorf("bucket %s: %s off", id, k)
			}
		}
		if sse := show(p["BucketEncryption"]); !contains(sse, "AES256") && !contains(sse, "aws:kms") {
			t.Errorf("bucket %s: encryption %s", id, sse)
		}
		tlsOnly, allows := false, []map[string]any{}
		for _, pid := range s.doc.ofType("AWS::S3::BucketPolicy") {
			bp := s.doc.Resources[pid].Properties
			if !sameJSON(bp["Bucket"], ref(id)) {
				continue
			}
			for _, st := range asList(asMap(bp["PolicyDocument"])["Statement"]) {
				st := asMap(st)
				cond := asMap(asMap(st["Condition"])["Bool"])
				if asString(st["Effect"]) == "Deny" && asString(cond["aws:SecureTransport"]) == "false" && sameJSON(st["Principal"], map[string]any{"AWS": "*"}) {
					tlsOnly = true
				}
				if asString(st["Effect"]) == "Allow" {
					allows = append(allows, st)
				}
			}
		}
		if !tlsOnly {
			t.Errorf("bucket %s accepts requests without TLS", id)
		}
		if id != bucketID {
			continue
		}
		// CloudFront's service principal, for this distribution, read only.
		if len(allows) != 1 || !sameJSON(allows[0]["Principal"], map[string]any{"Service": "cloudfront.amazonaws.com"}) ||
			!sameJSON(allows[0]["Action"], "s3:GetObject") ||
			!sameJSON(asMap(asMap(allows[0]["Condition"])["StringEquals"])["AWS:SourceArn"], distArn) {
			t.Errorf("the pages' bucket allows %s, want only this distribution to read", show(allows))
		}
		logging := asMap(p["LoggingConfiguration"])
		if !sameJSON(logging["DestinationBucketName"], ref(logsID)) {
			t.Errorf("the pages' bucket logs to %s, want its access log bucket", show(logging))
		}
	}
}

// TestConsoleHeaders: every console response carries a Content-Security-
// Policy that admits the console's own origin and, for the token exchange
// and the sign-in form, the staff sign-in domain only; HSTS, nosniff, no
// framing, no referrer and a Permissions-Policy.
func TestConsoleHeaders(t *testing.T) {
	s := mainStack(t)
	p := asMap(s.resource(t, s.logicalID(s.stack.Console.Headers), "AWS::CloudFront::ResponseHeadersPolicy").Properties["ResponseHeadersPolicyConfig"])
	sec := asMap(p["SecurityHeadersConfig"])
	for _, k := range []string{"ContentSecurityPolicy", "ContentTypeOptions", "FrameOptions", "ReferrerPolicy", "StrictTransportSecurity"} {
		if on, _ := asBool(asMap(sec[k])["Override"]); !on {
			t.Errorf("%s does not override the origin's: %s", k, show(sec[k]))
		}
	}
	csp := joined(asMap(sec["ContentSecurityPolicy"])["ContentSecurityPolicy"])
	signIn := "https://" + s.cfg.StaffAuthDomain + ".auth.{AWS::Region}.amazoncognito.com"
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 {
			directives[f[0]] = strings.Join(f[1:], " ")
		}
	}
	want := map[string]string{
		"default-src":     "'none'",
		"script-src":      "'self'",
		"style-src":       "'self'",
		"img-src":         "'self'",
		"connect-src":     "'self' " + signIn,
		"form-action":     "'self' " + signIn,
		"frame-ancestors": "'none'",
		"base-uri":        "'none'",
	}
	for k, v := range want {
		if directives[k] != v {
			t.Errorf("CSP %s %q, want %q (policy %q)", k, directives[k], v, csp)
		}
	}
	for k, v := range directives {
		if _, ok := want[k]; !ok {
			t.Errorf("CSP %s %q: a directive the console does not need", k, v)
		}
		if regexp.MustCompile(`unsafe-|\*|data:|http:`).MatchString(v) {
			t.Errorf("CSP %s %q admits more than named origins", k, v)
		}
	}
	if hsts := asMap(sec["StrictTransportSecurity"]); asNumber(hsts["AccessControlMaxAgeSec"]) < 365*24*3600 {
		t.Errorf("HSTS %s, want a year at least", show(hsts))
	}
	if f := asString(asMap(sec["FrameOptions"])["FrameOption"]); f != "DENY" {
		t.Errorf("X-Frame-Options %q", f)
	}
	if r := asString(asMap(sec["ReferrerPolicy"])["ReferrerPolicy"]); r != "no-referrer" && r != "strict-origin" {
		t.Errorf("Referrer-Policy %q, want no-referrer or strict-origin", r)
	}
	custom := map[string]string{}
	for _, h := range asList(asMap(p["CustomHeadersConfig"])["Items"]) {
		custom[asString(asMap(h)["Header"])] = asString(asMap(h)["Value"])
	}
	for _, feature := range []string{"camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"} {
		if !contains(custom["Permissions-Policy"], feature) {
			t.Errorf("Permissions-Policy %q does not turn off %s", custom["Permissions-Policy"], feature)
		}
	}
}

// joined renders a string or an Fn::Join of strings and pseudo
// parameters, the parameters as {AWS::Region}.
func joined(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	parts := asList(asMap(v)["Fn::Join"])
	var b strings.Builder
	for _, p := range asList(parts[1]) {
		if r := asString(asMap(p)["Ref"]); r != "" {
			b.WriteString("{" + r + "}")
			continue
		}
		b.WriteString(asString(p))
	}
	return b.String()
}

// TestConsoleDeployment: the deployment copies the console's folder and a
// config.json under console/ in the pages' bucket, which the browser
// revalidates; config.json names the staff sign-in domain's endpoints, the
// console's client and its callback, as the console's contract reads them.
func TestConsoleDeployment(t *testing.T) {
	s := mainStack(t)
	deployments := s.doc.ofType("Custom::CDKBucketDeployment")
	if len(deployments) != 1 {
		t.Fatalf("deployments %v, want one", deployments)
	}
	p := s.doc.Resources[deployments[0]].Properties
	if !sameJSON(p["DestinationBucketName"], ref(s.logicalID(s.stack.Console.Bucket))) || asString(p["DestinationBucketKeyPrefix"]) != "console/" {
		t.Errorf("deploys to %s %v, want console/ in the pages' bucket", show(p["DestinationBucketName"]), p["DestinationBucketKeyPrefix"])
	}
	if asString(asMap(p["SystemMetadata"])["cache-control"]) != "no-cache" {
		t.Errorf("metadata %s, want Cache-Control no-cache", show(p["SystemMetadata"]))
	}
	dir := *awscdk.Stage_Of(s.stack.Stack).Synth(nil).Directory()
	keys, markers := asList(p["SourceObjectKeys"]), asList(p["SourceMarkers"])
	// CDK leaves out the markers of trailing sources that have none.
	if len(keys) != 3 || len(markers) > 3 {
		t.Fatalf("sources %s, want the console's folder, config.json and the stylesheet", show(keys))
	}
	var page, css []byte
	var config map[string]string
	for i, k := range keys {
		asset := filepath.Join(dir, "asset."+strings.TrimSuffix(asString(k), ".zip"))
		if b, err := os.ReadFile(filepath.Join(asset, "index.html")); err == nil {
			page = b
		}
		if b, err := os.ReadFile(filepath.Join(asset, "style.css")); err == nil {
			css = b
		}
		if b, err := os.ReadFile(filepath.Join(asset, "config.json")); err == nil && i < len(markers) {
			config = resolveMarkers(t, b, asMap(markers[i]))
		}
	}
	if want, _ := os.ReadFile(filepath.Join(consoleDir, "index.html")); len(want) == 0 || string(page) != string(want) {
		t.Errorf("deployed index.html %q, want the console folder's %q", page, want)
	}
	if want, _ := os.ReadFile(filepath.Join(filepath.Dir(consoleDir), "style.css")); len(want) == 0 || string(css) != string(want) {
		t.Errorf("deployed style.css %q, want the pages' stylesheet %q", css, want)
	}

	region := map[string]any{"Ref": "AWS::Region"}
	hosted := func(path string) string {
		return show(map[string]any{"Fn::Join": []any{"", []any{
			"https://", ref(s.logicalID(s.stack.Staff.Domain)), ".auth.", region, ".amazoncognito.com" + path,
		}}})
	}
	client := s.doc.Resources[s.logicalID(s.stack.Staff.Client)].Properties
	want := map[string]string{
		"authorize_url": hosted("/oauth2/authorize"),
		"token_url":     hosted("/oauth2/token"),
		"logout_url":    hosted("/logout"),
		"client_id":     show(ref(s.logicalID(s.stack.Staff.Client))),
		"redirect_uri":  show(asList(client["CallbackURLs"])[0]),
		"scope":         "openid email profile",
	}
	if !sameJSON(config, want) {
		t.Errorf("config.json\n%v\nwant\n%v", config, want)
	}
}

// resolveMarkers reads a deployed JSON object whose values CDK replaces at
// deployment (its markers); each such value is given as the JSON of what
// replaces it.
func resolveMarkers(t *testing.T, raw []byte, markers map[string]any) map[string]string {
	t.Helper()
	var doc map[string]string
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	for k, v := range doc {
		if m, ok := markers[v]; ok {
			doc[k] = show(m)
		}
	}
	return doc
}
