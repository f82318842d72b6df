package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/claritru/privacy/shared/topology"
)

// assetRoot holds a fake <name>/bootstrap per function, standing in for
// `make build` so the tests need no cross-compilation; consoleDir holds a
// page standing in for the console's, so the tests check the stack, not
// the pages of the moment.
var assetRoot, consoleDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "infra-assets-")
	if err == nil {
		consoleDir = filepath.Join(dir, "console-pages")
		err = fakeConsole(consoleDir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	assetRoot = dir
	code := m.Run()
	jsii.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fakeConsole writes a console of one page, and the stylesheet beside it.
func fakeConsole(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "style.css"), []byte("body { margin: 0 }\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html><title>Console</title>\n"), 0o644)
}

// fakeAssets writes a bootstrap for each function.
func fakeAssets(fns []topology.Function) error {
	for _, f := range fns {
		dir := filepath.Join(assetRoot, f.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// cdkContext is the context of cdk.json (configuration and feature flags),
// so that the tests synthesize what `cdk synth` does.
func cdkContext() (map[string]any, error) {
	raw, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	if doc.App != "go run ./infra" {
		return nil, fmt.Errorf("cdk.json app = %q, want %q", doc.App, "go run ./infra")
	}
	doc.Context[ctxAssetRoot] = assetRoot
	doc.Context[ctxConsoleDir] = consoleDir
	return doc.Context, nil
}

// newTestApp is an app with cdk.json's context, plus overrides.
func newTestApp(overrides map[string]any) (awscdk.App, error) {
	ctx, err := cdkContext()
	if err != nil {
		return nil, err
	}
	for k, v := range overrides {
		ctx[k] = v
	}
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx}), nil
}

// testApp is newTestApp for a test, with the fake assets of fns.
func testApp(t *testing.T, fns []topology.Function, overrides map[string]any) awscdk.App {
	t.Helper()
	if err := fakeAssets(fns); err != nil {
		t.Fatal(err)
	}
	app, err := newTestApp(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// synthesized is a stack with its template, decoded for plain Go checks.
type synthesized struct {
	stack    *PrivacyStack
	cfg      Config
	service  topology.Service
	template assertions.Template
	doc      cfnTemplate
}

var (
	mainOnce    sync.Once
	mainFixture *synthesized
	mainErr     error
)

// mainStack is the stack exactly as main builds it from cdk.json,
// synthesized once for all tests.
func mainStack(t *testing.T) *synthesized {
	t.Helper()
	mainOnce.Do(func() {
		mainErr = fakeAssets(topology.ClariTru.Functions)
		if mainErr != nil {
			return
		}
		app, err := newTestApp(nil)
		if err != nil {
			mainErr = err
			return
		}
		stack, err := build(app)
		if err != nil {
			mainErr = err
			return
		}
		cfg, _ := ConfigFromContext(app)
		mainFixture, mainErr = synth(stack, cfg, topology.ClariTru)
	})
	if mainErr != nil {
		t.Fatalf("the main stack: %v", mainErr)
	}
	return mainFixture
}

// synth synthesizes the stack's app. A failure on the JavaScript side (a
// panic in Go) becomes an error; with cdk.json's flags an unsuppressed
// cdk-nag error is such a failure, and its findings are printed above.
func synth(stack *PrivacyStack, cfg Config, svc topology.Service) (out *synthesized, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis failed: %v", r)
		}
	}()
	tmpl := assertions.Template_FromStack(stack.Stack, nil)
	raw, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		return nil, err
	}
	var doc cfnTemplate
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	return &synthesized{stack: stack, cfg: cfg, service: svc, template: tmpl, doc: doc}, nil
}

type cfnTemplate struct {
	Resources map[string]cfnResource    `json:"Resources"`
	Outputs   map[string]map[string]any `json:"Outputs"`
}

type cfnResource struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	DeletionPolicy string         `json:"DeletionPolicy"`
}

// ofType returns the logical ids of every resource of a type, sorted.
func (d cfnTemplate) ofType(typ string) []string {
	var ids []string
	for id, r := range d.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// resource returns a resource that must exist with the given type.
func (s *synthesized) resource(t *testing.T, id, typ string) cfnResource {
	t.Helper()
	r, ok := s.doc.Resources[id]
	if !ok {
		t.Fatalf("no resource %s in the template", id)
	}
	if r.Type != typ {
		t.Fatalf("resource %s is a %s, want %s", id, r.Type, typ)
	}
	return r
}

// logicalID is the template id of a construct's CloudFormation resource.
func (s *synthesized) logicalID(c constructs.IConstruct) string {
	el, ok := c.(awscdk.CfnElement)
	if !ok {
		el = c.Node().DefaultChild().(awscdk.CfnElement)
	}
	return *s.stack.Stack.GetLogicalId(el)
}

func ref(id string) any              { return map[string]any{"Ref": id} }
func getAtt(id, attr string) any     { return map[string]any{"Fn::GetAtt": []any{id, attr}} }
func sameJSON(got, want any) bool    { return reflect.DeepEqual(normal(got), normal(want)) }
func show(v any) string              { b, _ := json.Marshal(v); return string(b) }
func contains(s, sub string) bool    { return strings.Contains(s, sub) }
func asList(v any) []any             { return listOf(v) }
func asMap(v any) map[string]any     { m, _ := v.(map[string]any); return m }
func asString(v any) string          { s, _ := v.(string); return s }
func asNumber(v any) float64         { n, _ := v.(float64); return n }
func asBool(v any) (bool, bool)      { b, ok := v.(bool); return b, ok }
func mentions(v any, id string) bool { return contains(show(v), `"`+id+`"`) }

// listOf treats a single value as a one-element list, as IAM does for
// Action and Resource.
func listOf(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

func normal(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}

// noPanic turns a failed jsii assertion (a JavaScript error, surfacing as a
// Go panic) into a test failure.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}
