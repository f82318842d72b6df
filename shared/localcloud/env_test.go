package localcloud

import (
	"maps"
	"slices"
	"testing"

	"github.com/claritru/privacy/shared/settings"
	"github.com/claritru/privacy/shared/topology"
)

// Locally each function sees the variables the topology lists for it (what
// the stack gives it in AWS) and the stand-ins' endpoints, nothing else.
func TestEachFunctionSeesOnlyItsEnvironment(t *testing.T) {
	all := map[string]string{
		settings.EnvDynamoDBEndpoint: "http://127.0.0.1:8000", settings.EnvSESEndpoint: "http://127.0.0.1:8005",
		settings.EnvSMSEndpoint: "http://127.0.0.1:8006", settings.EnvSecretsEndpoint: "http://127.0.0.1:8008",
		"UNLISTED": "x",
	}
	for _, f := range topology.ClariTru.Functions {
		for _, k := range f.Env {
			all[k] = "value of " + k
		}
	}
	for _, f := range topology.ClariTru.Functions {
		got := slices.Sorted(maps.Keys(functionEnv(f, all)))
		want := slices.Sorted(slices.Values(slices.Concat(f.Env, localOnly)))
		if !slices.Equal(got, want) {
			t.Errorf("%s sees %v, want %v", f.Name, got, want)
		}
	}
	watch, _ := topology.ClariTru.Function("watch")
	if env := functionEnv(watch, all); env[topology.EnvMailFrom] != "" || env[topology.EnvPrivacyTeam] == "" {
		t.Errorf("watch's environment %v", env)
	}
}
