package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/settings"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/topology"
	"github.com/claritru/privacy/shared/wiring"
	"github.com/claritru/privacy/shared/wiring/admin"
	"github.com/claritru/privacy/shared/wiring/consent"
	"github.com/claritru/privacy/shared/wiring/intake"
	"github.com/claritru/privacy/shared/wiring/optout"
)

// benchAdminToken is the machine routes' bearer token in the service under
// measure (IAM in AWS).
const benchAdminToken = "bench-admin-token"

// service is the HTTP functions wired as the local cloud wires them
// (shared/wiring/<function> on a table of DynamoDB Local, each behind its
// table guard), behind the local cloud's gateway, which is called in
// process: in AWS no HTTP hop is part of a function's duration either.
type service struct {
	Table   string
	DB      *dynamodb.Client // unwatched
	gateway http.Handler
	// staffToken is a signed-in admin's access token.
	staffToken string
}

// newTable creates a table of the service's definition without a stream:
// DynamoDB Local keeps every stream record and slows down as they pile up,
// which would be Local's cost, not the service's.
func newTable(ctx context.Context, db *dynamodb.Client, prefix string) (string, error) {
	name := fmt.Sprintf("%s-%x", prefix, rand.Uint32())
	in := ddb.CreateTableInput(name, topology.PrivacyTable)
	in.StreamSpecification = nil
	if _, err := db.CreateTable(ctx, in); err != nil {
		return "", err
	}
	return name, dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute)
}

// localDB is a client of DynamoDB Local with the functions' own settings
// (timeouts, retries); opts add to it.
func localDB(endpoint string, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	env := settings.Env{AWS: localcloud.LocalAWS(), DynamoDBEndpoint: endpoint}
	return dynamodb.New(env.DynamoDB().Options(), opts...)
}

// startService wires the HTTP functions on a new table; watch, when not
// nil, sees every call they make.
func startService(ctx context.Context, endpoint string, watch *capture) (*service, error) {
	plain := localDB(endpoint)
	table, err := newTable(ctx, plain, "bench")
	if err != nil {
		return nil, err
	}
	var opts []func(*dynamodb.Options)
	if watch != nil {
		watch.plain = plain
		opts = append(opts, watch.option)
	}
	db := localDB(endpoint, opts...)
	keyer, err := subject.NewKeyer([]byte(benchPepper))
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1"
	env, err := settings.FromVars(localcloud.LocalAWS(), func(k string) string {
		return map[string]string{
			topology.EnvTableName: table, topology.EnvPublicBaseURL: base, topology.EnvReturnURL: base + "/thanks.html",
			topology.EnvAllowedOrigin: base, topology.EnvMailFrom: "privacy@example.com", topology.EnvPolicyURL: base + "/privacy-policy.html",
			topology.EnvPostalAddress: "100 Sample Street, Mobile, AL 36602, USA", settings.EnvDynamoDBEndpoint: endpoint,
		}[k]
	})
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	deps := func(function string) wiring.Deps {
		def, _ := topology.ClariTru.Function(function)
		return wiring.Deps{Env: env, DB: ddb.Guard(db, def), Keyer: keyer, Log: log, AdminToken: benchAdminToken}
	}
	pool, err := newBenchPool()
	if err != nil {
		return nil, err
	}
	gw := &localcloud.Gateway{
		JWT:     pool.verifier,
		Service: topology.ClariTru,
		Handlers: map[string]localcloud.HTTPHandler{
			"intake":  intake.Handler(deps("intake")).Handle,
			"optout":  optout.Handler(deps("optout")).Handle,
			"consent": consent.Handler(deps("consent")).Handle,
			"admin":   admin.Handler(deps("admin")).Handle,
		},
		AllowedOrigins: env.AllowedOrigins,
		Log:            log,
	}
	return &service{Table: table, DB: plain, gateway: gw, staffToken: pool.token}, nil
}

// do sends one request and returns its status and body.
func (s *service) do(ctx context.Context, method, path, body string, headers ...string) (int, string, error) {
	req := httptest.NewRequestWithContext(ctx, method, "http://127.0.0.1"+path, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.1:4000"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "bench/1.0")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	s.gateway.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String(), nil
}

// expect sends a request and fails unless it is answered with want.
func (s *service) expect(ctx context.Context, want int, method, path, body string, headers ...string) (string, error) {
	code, out, err := s.do(ctx, method, path, body, headers...)
	if err != nil {
		return "", err
	}
	if code != want {
		return out, fmt.Errorf("%s %s: %d, want %d: %.300s", method, path, code, want, out)
	}
	return out, nil
}
