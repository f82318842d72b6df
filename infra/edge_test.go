package main

import (
	"testing"

	"github.com/claritru/privacy/shared/apigw"
)

// TestEdge: the public routes sit behind CloudFront with AWS WAF: per-IP
// rate limits (writes on their own), AWS's managed rule groups, staff
// routes blocked at the edge, and the origin secret the functions check.
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
	blocksStaff := false
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
		if bm := asMap(st["ByteMatchStatement"]); bm != nil && asString(bm["SearchString"]) == "/v1/admin" {
			_, block := asMap(asMap(r)["Action"])["Block"]
			blocksStaff = block && asString(bm["PositionalConstraint"]) == "STARTS_WITH"
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
	if !blocksStaff {
		t.Error("staff routes are not blocked at the edge")
	}

	dists := s.doc.ofType("AWS::CloudFront::Distribution")
	if len(dists) != 1 {
		t.Fatalf("%d distributions, want 1", len(dists))
	}
	cfg := asMap(s.doc.Resources[dists[0]].Properties["DistributionConfig"])
	if !sameJSON(cfg["WebACLId"], getAtt(aclID, "Arn")) {
		t.Errorf("WebACLId %s, want the firewall", show(cfg["WebACLId"]))
	}
	origins := asList(cfg["Origins"])
	if len(origins) != 1 {
		t.Fatalf("origins %s", show(origins))
	}
	o := asMap(origins[0])
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
