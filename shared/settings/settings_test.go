package settings

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/claritru/privacy/shared/topology"
)

func TestCheckReturnURL(t *testing.T) {
	good := []string{
		"https://claritru.com/privacy/thanks.html",
		"https://www.claritru.com/thanks?lang=en",
		"http://127.0.0.1:3000/thanks.html",
		"http://localhost:3000/do-not-sell.html",
	}
	for _, u := range good {
		if err := CheckReturnURL(u); err != nil {
			t.Errorf("CheckReturnURL(%q) = %v, want it accepted", u, err)
		}
	}
	bad := []string{
		"/thanks.html",                       // relative
		"//claritru.com/thanks.html",         // scheme-relative
		"claritru.com/thanks.html",           // no scheme
		"http://claritru.com/thanks.html",    // http off the loopback host
		"http://127.0.0.2:3000/thanks.html",  // another loopback address is not the local cloud
		"http://localhost.evil.example/",     // a name that only begins like localhost
		"javascript:alert(1)",                // not http(s)
		"ftp://claritru.com/thanks.html",     // not http(s)
		"https://claritru.com@evil.example/", // user info
		"https://user:pw@claritru.com/",      // user info
		"https://claritru.com/thanks.html#x", // fragment
		"https://claritru.com/thanks.html#",  // empty fragment
		"https:///thanks.html",               // no host
		"https://claritru.com/%zz",           // does not parse
	}
	for _, u := range bad {
		if err := CheckReturnURL(u); err == nil {
			t.Errorf("CheckReturnURL(%q) accepted it", u)
		}
	}
}

func TestFromVarsRefusesABadReturnURL(t *testing.T) {
	vars := map[string]string{
		topology.EnvTableName: "t",
		topology.EnvReturnURL: "https://claritru.com/thanks.html, https://claritru.com@evil.example/",
	}
	_, err := FromVars(aws.Config{}, func(k string) string { return vars[k] })
	if err == nil || !strings.Contains(err.Error(), topology.EnvReturnURL) {
		t.Fatalf("FromVars = %v, want an error naming %s", err, topology.EnvReturnURL)
	}
	vars[topology.EnvReturnURL] = "https://claritru.com/thanks.html, http://127.0.0.1:3000/subscribe.html"
	env, err := FromVars(aws.Config{}, func(k string) string { return vars[k] })
	if err != nil || len(env.ReturnURLs) != 2 {
		t.Fatalf("FromVars = %v, %v; want both pages", env.ReturnURLs, err)
	}
}

func TestFromVarsReadsTheZone(t *testing.T) {
	vars := map[string]string{topology.EnvTableName: "t"}
	get := func(k string) string { return vars[k] }
	env, err := FromVars(aws.Config{}, get)
	if err != nil || env.Zone.String() != "America/Los_Angeles" {
		t.Fatalf("no zone set: %s, %v; want America/Los_Angeles", env.Zone, err)
	}
	vars[topology.EnvTimeZone] = "Europe/Zurich"
	if env, err = FromVars(aws.Config{}, get); err != nil || env.Zone.String() != "Europe/Zurich" {
		t.Fatalf("Europe/Zurich: %s, %v", env.Zone, err)
	}
	// A name the tz database does not know stops the function at start.
	for _, bad := range []string{"Pacific Time", "Local", "America/Atlantis"} {
		vars[topology.EnvTimeZone] = bad
		if _, err := FromVars(aws.Config{}, get); err == nil || !strings.Contains(err.Error(), topology.EnvTimeZone) {
			t.Errorf("%q: %v, want an error naming %s", bad, err, topology.EnvTimeZone)
		}
	}
}
