package topology_test

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/topology"
)

// root is the module's root, two levels above this package.
var root = filepath.Join("..", "..")

// deps lists the packages a package links as `make build` builds a
// bootstrap: for linux/arm64, with the lambda.norpc tag (without it
// aws-lambda-go's net/rpc brings in html/template).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", pkg)
	cmd.Dir = root
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list %s: %v\n%s", pkg, err, ee.Stderr)
		}
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// linked returns the packages of list that are prefix or under it.
func linked(list []string, prefix string) []string {
	var out []string
	for _, p := range list {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			out = append(out, p)
		}
	}
	return out
}

// Each function links only what it uses: a function that parses no phone
// number does not carry phonenumbers and its protobuf metadata, and one
// that renders nothing does not carry the template engines.
func TestFunctionsLinkOnlyWhatTheyUse(t *testing.T) {
	noPhone := []string{"notifier", "reach", "retention", "watch"}
	noTemplates := []string{"retention", "watch", "admin", "inbound", "reach", "agent"}
	for _, name := range slices.Concat(noPhone, noTemplates) {
		if _, ok := topology.ClariTru.Function(name); !ok {
			t.Fatalf("%s is not a function of the topology", name)
		}
	}
	all := map[string][]string{}
	for _, f := range topology.ClariTru.Functions {
		all[f.Name] = deps(t, "./functions/"+f.Name)
	}
	for _, name := range noPhone {
		if got := linked(all[name], "github.com/claritru/privacy/shared/subject/phone"); len(got) > 0 {
			t.Errorf("functions/%s links the phone number tables", name)
		}
	}
	// Numbers are read with plain Go tables (cmd/phonetables): no function
	// links the library, whose protobuf metadata is decoded at every cold
	// start and whose reflection keeps every exported method of the binary.
	for name, list := range all {
		for _, p := range []string{"github.com/nyaruka/phonenumbers", "google.golang.org/protobuf"} {
			if got := linked(list, p); len(got) > 0 {
				t.Errorf("functions/%s links %s", name, p)
			}
		}
	}
	for _, name := range noTemplates {
		for _, p := range []string{"html/template", "text/template"} {
			if got := linked(all[name], p); len(got) > 0 {
				t.Errorf("functions/%s links %s", name, p)
			}
		}
	}
}

// The domain knows nothing of Lambda or AWS: no domain package imports,
// even indirectly, the Lambda runtime or events or an AWS SDK package.
func TestDomainIsFreeOfAWS(t *testing.T) {
	domain := []string{"request", "consent", "optout", "subjectdata", "subject", "ledger", "deadline",
		"retention", "mail", "notifier", "watch", "sweep", "feed", "deliverability", "drp"}
	for _, name := range domain {
		list := deps(t, "./shared/"+name)
		for _, p := range []string{"github.com/aws/aws-lambda-go", "github.com/aws/aws-sdk-go-v2", "github.com/aws/aws-sdk-go", "github.com/aws/smithy-go"} {
			if got := linked(list, p); len(got) > 0 {
				t.Errorf("shared/%s imports %s", name, strings.Join(got, ", "))
			}
		}
	}
}

// The phone number tables are linked only through shared/subject/phone,
// which the wiring of a function that reads phone numbers passes in, and
// the phone number library (with its protobuf metadata) not at all;
// templates only where mail or pages are rendered. No domain package nor
// the table adapter may pull either in again.
func TestPhoneLibraryAndTemplatesStayAtTheEdge(t *testing.T) {
	for _, name := range []string{"request", "consent", "optout", "subjectdata", "subject", "ledger", "deadline",
		"retention", "mail", "notifier", "watch", "sweep", "feed", "deliverability", "drp", "ddb", "settings", "wiring"} {
		list := deps(t, "./shared/"+name)
		bad := []string{"github.com/nyaruka/phonenumbers", "google.golang.org/protobuf", "github.com/claritru/privacy/shared/subject/phone"}
		if name != "notifier" { // the notifier renders the mail it sends
			bad = append(bad, "html/template", "text/template")
		}
		for _, p := range bad {
			if got := linked(list, p); len(got) > 0 {
				t.Errorf("shared/%s links %s", name, p)
			}
		}
	}
	if got := linked(deps(t, "./functions/intake"), "github.com/claritru/privacy/shared/subject/phone"); len(got) == 0 {
		t.Error("functions/intake no longer links shared/subject/phone: the checks above prove nothing")
	}
}

// Only the notifier sends texts, so only it links the SMS client; the
// inbound function answers through the outbox.
func TestOnlyTheNotifierLinksTheSMSClient(t *testing.T) {
	const client = "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	if _, ok := topology.ClariTru.Function("inbound"); !ok {
		t.Fatal("inbound is not a function of the topology")
	}
	for _, f := range topology.ClariTru.Functions {
		got := linked(deps(t, "./functions/"+f.Name), client)
		if f.Name == "notifier" && len(got) == 0 {
			t.Error("functions/notifier does not link the SMS client: the check proves nothing")
		}
		if f.Name != "notifier" && len(got) > 0 {
			t.Errorf("functions/%s links %s", f.Name, client)
		}
	}
}
