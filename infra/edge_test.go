package main

import (
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/apigw"
)

// TestEdge: the public and staff routes sit behind CloudFront with AWS
// WAF: per-IP rate limits (writes on their own), AWS's managed rule
// groups, machine routes blocked at the edge (the company's systems sign
// their calls to the API's own endpoint), and the origin secret the
// functions check.
func TestEdge(t *testing.T) {
	s := mainStack(t)
	acls := s.doc.ofType("AWS::WAFv2::WebACL")
	if len(acls) != 1 {
		t.Fatalf("%d web ACLs, want 1", len(acls))
	}
	aclID := acls[0]
	acl := s.doc.Resources[aclID].Properties
	if asString(acl["Scope"]) != "CLOUDFRONT" {
		t.Errorf("scope %v, want CLOUDFRONT (WAF cannot attach to an HTTP API)", acl["Scope"])
	}
	if _, ok := asMap(acl["DefaultAction"])["Allow"]; !ok {
		t.Errorf("default action %s", show(acl["DefaultAction"]))
	}
	managed := map[string]bool{}
	var rates []map[string]any
	blocksMachines, blocksStaff := false, false
	for _, r := range asList(acl["Rules"]) {
		st := asMap(asMap(r)["Statement"])
		if g := asMap(st["ManagedRuleGroupStatement"]); g != nil && asString(g["VendorName"]) == "AWS" {
			managed[asString(g["Name"])] = true
			if _, ok := asMap(asMap(r)["OverrideAction"])["None"]; !ok {
				t.Errorf("managed group %s does not block: %s", g["Name"], show(asMap(r)["OverrideAction"]))
			}
		}
		if rb := asMap(st["RateBasedStatement"]); rb != nil {
			if asString(rb["AggregateKeyType"]) != "IP" || asNumber(rb["Limit"]) <= 0 {
				t.Errorf("rate rule %s", show(rb))
			}
			if _, ok := asMap(asMap(r)["Action"])["Block"]; !ok {
				t.Errorf("rate rule does not block: %s", show(r))
			}
			rates = append(rates, rb)
		}
		if bm := asMap(st["ByteMatchStatement"]); bm != nil && asMap(bm["FieldToMatch"])["UriPath"] != nil {
			_, block := asMap(asMap(r)["Action"])["Block"]
			path := asString(bm["SearchString"])
			blocksMachines = blocksMachines || (block && path == "/v1/machine/" && asString(bm["PositionalConstraint"]) == "STARTS_WITH")
			blocksStaff = blocksStaff || (block && strings.HasPrefix("/v1/admin/", path))
		}
	}
	for _, g := range []string{"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"} {
		if !managed[g] {
			t.Errorf("managed rule group %s missing", g)
		}
	}
	scoped := false
	for _, rb := range rates {
		bm := asMap(asMap(rb["ScopeDownStatement"])["ByteMatchStatement"])
		if asString(bm["SearchString"]) == "POST" && asMap(bm["FieldToMatch"])["Method"] != nil {
			scoped = true
		}
	}
	if len(rates) < 2 || !scoped {
		t.Errorf("rate rules %s, want one for every request and one for POSTs", show(rates))
	}
	if !blocksMachines {
		t.Error("machine routes are not blocked at the edge")
	}
	if blocksStaff {
		t.Error("staff routes are blocked at the edge, where the console calls them")
	}

	dists := s.doc.ofType("AWS::CloudFront::Distribution")
	if len(dists) != 1 {
		t.Fatalf("%d distributions, want 1", len(dists))
	}
	cfg := asMap(s.doc.Resources[dists[0]].Properties["DistributionConfig"])
	if !sameJSON(cfg["WebACLId"], getAtt(aclID, "Arn")) {
		t.Errorf("WebACLId %s, want the firewall", show(cfg["WebACLId"]))
	}
	// The API, and the console's bucket (TestConsoleBehaviours).
	var o map[string]any
	for _, origin := range asList(cfg["Origins"]) {
		if asMap(origin)["CustomOriginConfig"] != nil {
			o = asMap(origin)
		}
	}
	if origins := asList(cfg["Origins"]); len(origins) != 2 || o == nil {
		t.Fatalf("origins %s, want the API and the console's bucket", show(origins))
	}
	if !mentions(o["DomainName"], s.logicalID(s.stack.API.HTTP)) {
		t.Errorf("origin %s, want the HTTP API", show(o["DomainName"]))
	}
	if asString(asMap(o["CustomOriginConfig"])["OriginProtocolPolicy"]) != "https-only" {
		t.Errorf("origin protocol %s", show(o["CustomOriginConfig"]))
	}
	secret := false
	for _, h := range asList(o["OriginCustomHeaders"]) {
		h := asMap(h)
		if asString(h["HeaderName"]) == apigw.EdgeHeader && mentions(h["HeaderValue"], s.logicalID(s.stack.Edge.Secret)) {
			secret = true
		}
	}
	if !secret {
		t.Errorf("origin headers %s, want %s from the edge secret", show(o["OriginCustomHeaders"]), apigw.EdgeHeader)
	}
	behavior := asMap(cfg["DefaultCacheBehavior"])
	// CloudFront's managed CachingDisabled policy: answers name people.
	if asString(behavior["CachePolicyId"]) != "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" {
		t.Errorf("cache policy %v, want caching disabled", behavior["CachePolicyId"])
	}
	if len(asList(behavior["AllowedMethods"])) != 7 {
		t.Errorf("allowed methods %s, want all (the forms POST)", show(behavior["AllowedMethods"]))
	}
}
