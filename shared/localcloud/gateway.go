package localcloud

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/claritru/privacy/shared/apigw"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/staffauth"
	"github.com/claritru/privacy/shared/topology"
)

// HTTPHandler is the signature of every HTTP function's handler.
type HTTPHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Gateway is the local stand-in for the HTTP API: it serves the routes of the
// topology by handing each request, as an API Gateway v2.0 event, to the
// handler of the route's function. Other paths are served from Static.
type Gateway struct {
	Service  topology.Service
	Handlers map[string]HTTPHandler // by function name
	// AllowedOrigins answer CORS preflights, as the HTTP API's CORS
	// configuration does in AWS.
	AllowedOrigins []string
	Static         http.Handler
	// JWT plays the HTTP API's JWT authorizer on the staff routes
	// (topology.Staff): without a verified token they answer 401, as API
	// Gateway does, and none of them is served when JWT is nil.
	JWT TokenVerifier
	Log *slog.Logger
}

// TokenVerifier verifies a bearer token (staffauth.Verifier).
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (staffauth.Claims, error)
}

// maxPayload is API Gateway's own request limit; the handlers enforce the
// service's smaller one.
const maxPayload = 10 << 20

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions && g.preflight(w, r) {
		return
	}
	route, params, ok := g.match(r.Method, r.URL.Path)
	if !ok {
		if g.Static != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			g.Static.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message":"Not Found"}`)
		return
	}
	h, ok := g.Handlers[route.Function]
	if !ok {
		writeResponse(w, apigw.Problem(fault.New(fault.Internal, "function "+route.Function+" is not running"), nil))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil || len(body) > maxPayload {
		writeResponse(w, apigw.Problem(fault.New(fault.TooLarge, "The body is too large."), nil))
		return
	}
	ev := Event(r, route, params, body)
	if route.Auth == topology.Staff && !g.authorize(r, &ev) {
		// API Gateway's own answer: the function is never called.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("WWW-Authenticate", "Bearer")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"message":"Unauthorized"}`)
		return
	}
	ctx := lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{AwsRequestID: ev.RequestContext.RequestID})
	// The function's timeout, as Lambda gives it: the handler sees the
	// same deadline it has in AWS.
	if fn, ok := g.Service.Function(route.Function); ok && fn.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, fn.Timeout)
		defer cancel()
	}
	resp, err := h(ctx, ev)
	if err != nil {
		g.Log.Error("function error", "function", route.Function, "error", err.Error())
		writeResponse(w, apigw.Problem(err, nil))
		return
	}
	writeResponse(w, resp)
}

// authorize checks the request's bearer token and, when it verifies, hands
// the function its claims as API Gateway's JWT authorizer does.
func (g *Gateway) authorize(r *http.Request, ev *events.APIGatewayV2HTTPRequest) bool {
	if g.JWT == nil {
		return false
	}
	// API Gateway takes the token with or without the Bearer prefix.
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		token = h
	}
	if token == "" {
		return false
	}
	claims, err := g.JWT.Verify(r.Context(), token)
	if err != nil {
		// Why, not the token: it is a credential.
		g.Log.Info("token refused", "path", r.URL.Path, "reason", err.Error())
		return false
	}
	rendered, scopes := staffauth.Rendered(claims)
	ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: rendered, Scopes: scopes},
	}
	return true
}

// Event builds the API Gateway HTTP API v2.0 event of a request.
func Event(r *http.Request, route topology.Route, params map[string]string, body []byte) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	if r.Host != "" {
		headers["host"] = r.Host
	}
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, v := range q {
			query[k] = strings.Join(v, ",")
		}
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.Key(),
		RawPath:               r.URL.Path,
		RawQueryString:        r.URL.RawQuery,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:   route.Key(),
			AccountID:  "000000000000",
			Stage:      "$default",
			RequestID:  newRequestID(),
			APIID:      "local",
			DomainName: r.Host,
			Time:       time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  time.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: ip, UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

func writeResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err == nil {
			body = b
		}
	}
	if w.Header().Get("Content-Type") == "" && len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// match finds the route of a method and path; {name} segments capture path
// parameters and a final {name+} the rest.
func (g *Gateway) match(method, path string) (topology.Route, map[string]string, bool) {
	for _, rt := range g.Service.Routes {
		if rt.Method != method {
			continue
		}
		if params, ok := matchPath(rt.Path, path); ok {
			return rt, params, true
		}
	}
	return topology.Route{}, nil, false
}

func matchPath(pattern, path string) (map[string]string, bool) {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	var params map[string]string
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}") {
			if i >= len(xs) {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:len(p)-2]] = strings.Join(xs[i:], "/")
			return params, true
		}
		if i >= len(xs) {
			return nil, false
		}
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if xs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:len(p)-1]] = xs[i]
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	return params, len(ps) == len(xs)
}

// preflight answers a CORS preflight for a route, as API Gateway does.
func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request) bool {
	want := r.Header.Get("Access-Control-Request-Method")
	if want == "" {
		return false
	}
	if _, _, ok := g.match(want, r.URL.Path); !ok {
		return false
	}
	origin := r.Header.Get("Origin")
	for _, a := range g.AllowedOrigins {
		if a == origin {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Methods", want)
			w.Header().Set("Access-Control-Allow-Headers", "content-type,idempotency-key")
			w.Header().Set("Access-Control-Max-Age", "600")
			break
		}
	}
	w.Header().Set("Vary", "Origin")
	w.WriteHeader(http.StatusNoContent)
	return true
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
