package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/settings"
	"github.com/claritru/privacy/shared/topology"
)

// benchPepper is the subject pepper every function that keys subjects is
// given (SUBJECT_PEPPER, the local way to give it): with it their init
// reads no secret, as in AWS, where the read is one Secrets Manager call.
const benchPepper = "bench-pepper-0123456789abcdef0123456789abcdef"

// benchEdgeSecret is what the edge sends the public functions; the warm
// HTTP events carry it, so they reach the handler as through CloudFront.
const benchEdgeSecret = "bench-edge-secret"

// lambdaEnv is what every bootstrap starts with: Lambda's own variables,
// credentials that need no lookup, and every setting the functions read at
// init (each reads only its own); the table is on DynamoDB Local.
func lambdaEnv(p *Program, table, dynamoDB string) []string {
	base := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		// The local cloud's credentials: DynamoDB Local keeps a database per
		// access key and region.
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_NAME=" + p.Name, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512", "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + p.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=bench", "AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"LAMBDA_TASK_ROOT=/var/task", "TZ=:UTC",
		topology.EnvTableName + "=" + table,
		topology.EnvPublicBaseURL + "=https://api.example.com",
		topology.EnvReturnURL + "=https://www.example.com/thanks.html",
		topology.EnvAllowedOrigin + "=https://www.example.com",
		topology.EnvMailFrom + "=privacy@example.com",
		topology.EnvPostalAddress + "=100 Sample Street, Mobile, AL 36602, USA",
		topology.EnvPolicyURL + "=https://www.example.com/privacy-policy",
		topology.EnvPrivacyTeam + "=privacy-team@example.com",
		topology.EnvEdgeSecret + "=" + benchEdgeSecret,
		"SUBJECT_PEPPER=" + benchPepper,
		settings.EnvDynamoDBEndpoint + "=" + dynamoDB,
		// Nothing the warm events reach sends mail, texts or reads a
		// secret; these only keep every client off AWS.
		settings.EnvSESEndpoint + "=http://127.0.0.1:9",
		settings.EnvSMSEndpoint + "=http://127.0.0.1:9",
		settings.EnvSecretsEndpoint + "=http://127.0.0.1:9",
	}
	return base
}

// warmEvent is the event each program is invoked with warm: one it answers
// without AWS where the function allows (an HTTP request its validation
// refuses, a stream record that is not its kind, an empty SNS batch); the
// scheduled functions do their real run on an empty table in DynamoDB
// Local.
func warmEvent(p *Program) (event []byte, what string) {
	switch p.Name {
	case "intake":
		return httpEvent("POST /v1/requests", "/v1/requests", `{}`), "POST /v1/requests, body {} (400: fields missing)"
	case "optout":
		return httpEvent("POST /v1/opt-out", "/v1/opt-out", `{}`), "POST /v1/opt-out, body {} (400: no identifier)"
	case "consent":
		return httpEvent("POST /v1/consents", "/v1/consents", `{}`), "POST /v1/consents, body {} (400: fields missing)"
	case "admin":
		return httpEvent("GET /v1/admin/requests", "/v1/admin/requests", ""), "GET /v1/admin/requests without a staff sign-in (401)"
	case "agent":
		return httpEvent("GET /v1/data-rights-request/{id}", "/v1/data-rights-request/bench", ""), "GET /v1/data-rights-request/{id} without an agent's token (403)"
	case "notifier", "reach":
		return strangerRecord(), "a stream record of an item that is neither mail nor job (ignored)"
	case "inbound":
		return []byte(`{"Records":[]}`), "an SNS event with no record"
	}
	if scheduled(p) {
		return []byte(`{"execution_id":"bench","scheduled_time":"2026-01-01T06:00:00Z"}`), "its scheduled run, on the bench's own (nearly empty) table in DynamoDB Local"
	}
	return []byte(`{}`), "{} (trivial handler)"
}

// scheduled says whether a program's warm event is its real scheduled run.
func scheduled(p *Program) bool { return p.Name == "retention" || p.Name == "watch" }

// httpEvent is an API Gateway HTTP API v2.0 event.
func httpEvent(routeKey, path, body string) []byte {
	h := map[string]string{"content-type": "application/json", "user-agent": "bench/1.0", strings.ToLower(apigw.EdgeHeader): benchEdgeSecret}
	method, _, _ := strings.Cut(routeKey, " ")
	ev := map[string]any{
		"version": "2.0", "routeKey": routeKey, "rawPath": path, "rawQueryString": "",
		"headers": h, "body": body, "isBase64Encoded": false,
		"requestContext": map[string]any{
			"accountId": "111122223333", "apiId": "bench", "domainName": "api.example.com", "stage": "$default",
			"requestId": "bench", "routeKey": routeKey, "timeEpoch": time.Now().UnixMilli(),
			"http": map[string]any{"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "bench/1.0"},
		},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

// strangerRecord is a stream event with one INSERT of an item that no
// stream consumer acts on.
func strangerRecord() []byte {
	return []byte(fmt.Sprintf(`{"Records":[{"eventID":"1","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1",`+
		`"dynamodb":{"Keys":{"pk":{"S":"BENCH#1"},"sk":{"S":"BENCH"}},"NewImage":{"pk":{"S":"BENCH#1"},"sk":{"S":"BENCH"}},`+
		`"SequenceNumber":"1","SizeBytes":20,"StreamViewType":"NEW_AND_OLD_IMAGES","ApproximateCreationDateTime":%d}}]}`, time.Now().Unix()))
}
