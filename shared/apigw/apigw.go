// Package apigw adapts API Gateway HTTP API (payload v2.0) events: reading
// bodies of either media type a form or fetch sends, and writing JSON, HTML,
// redirects and RFC 9457 problem details. Fault kinds become HTTP statuses
// here and nowhere else.
package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/claritru/privacy/shared/fault"
)

// MaxBody is the largest body accepted, 64 KiB: a larger body is refused
// with 413 before it is decoded, so no handler reads an unbounded body
// ("Limits" in api/openapi.yaml).
const MaxBody = 64 << 10

// Request is an HTTP API v2 request.
type Request = events.APIGatewayV2HTTPRequest

// Response is an HTTP API v2 response.
type Response = events.APIGatewayV2HTTPResponse

// Header returns a request header; API Gateway lower-cases header names, the
// lookup tolerates either.
func Header(r Request, name string) string {
	if v, ok := r.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Media types.
const (
	JSON = "application/json"
	Form = "application/x-www-form-urlencoded"
)

// Body returns the decoded body and its media type (JSON or Form). Bodies over
// MaxBody are TooLarge; other media types are Unsupported. A body holding
// invalid UTF-8 (a form's once percent-decoded), an unpaired surrogate escape
// or a JSON key given twice is Invalid (CheckJSON, checkForm), whatever
// decoder reads it next.
func Body(r Request) ([]byte, string, error) {
	if len(r.Body) > MaxBody*4/3+4 {
		return nil, "", tooLarge
	}
	body := []byte(r.Body)
	if r.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(r.Body)
		if err != nil {
			return nil, "", fault.New(fault.Invalid, "The body is not valid base64.")
		}
		body = b
	}
	if len(body) > MaxBody {
		return nil, "", tooLarge
	}
	mt, params, err := mime.ParseMediaType(Header(r, "Content-Type"))
	if err != nil || (mt != JSON && mt != Form) {
		return nil, "", fault.New(fault.Unsupported, "Send application/json or application/x-www-form-urlencoded.")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, "", fault.New(fault.Unsupported, "Only UTF-8 bodies are accepted.")
	}
	check := CheckJSON
	if mt == Form {
		check = checkForm
	}
	if err := check(body); err != nil {
		return nil, "", err
	}
	return body, mt, nil
}

var tooLarge = fault.New(fault.TooLarge, "The body is larger than 64 KiB.")

// WantsHTML reports whether the caller is a browser form post that should be
// answered with a redirect or a page rather than JSON: an urlencoded body (or
// none) and an Accept header that prefers text/html over JSON.
func WantsHTML(r Request, mediaType string) bool {
	if mediaType == JSON {
		return false
	}
	return prefersHTML(Header(r, "Accept"))
}

func prefersHTML(accept string) bool {
	best := func(want string) float64 {
		q := 0.0
		for _, part := range strings.Split(accept, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if mt == want || mt == "*/*" || (strings.HasSuffix(mt, "/*") && strings.HasPrefix(want, strings.TrimSuffix(mt, "*"))) {
				v := 1.0
				if s, ok := params["q"]; ok {
					f, err := strconv.ParseFloat(s, 64)
					if err != nil {
						f = 0
					}
					v = f
				}
				// An exact match outranks a wildcard at the same q.
				if mt == want {
					v += 0.0001
				}
				if v > q {
					q = v
				}
			}
		}
		return q
	}
	return best("text/html") > best(JSON)
}

// JSONResponse writes v as JSON.
func JSONResponse(status int, v any, headers map[string]string) Response {
	b, err := json.Marshal(v)
	if err != nil {
		return Problem(fault.Wrap(fault.Internal, "encode response", err), headers)
	}
	h := withHeaders(headers, "Content-Type", "application/json")
	return Response{StatusCode: status, Headers: h, Body: string(b)}
}

// HTMLResponse writes a page.
func HTMLResponse(status int, page string, headers map[string]string) Response {
	h := withHeaders(headers, "Content-Type", "text/html; charset=utf-8")
	h["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
	// No page of the API may be framed (clickjacking of its buttons):
	// frame-ancestors for browsers that read CSP, X-Frame-Options for
	// those that do not. A mail's link opens in a window of its own.
	h["X-Frame-Options"] = "DENY"
	h["Referrer-Policy"] = "no-referrer"
	return Response{StatusCode: status, Headers: h, Body: page}
}

// SeeOther redirects a browser after a form post.
func SeeOther(location string, headers map[string]string) Response {
	h := withHeaders(headers, "Location", location)
	return Response{StatusCode: http.StatusSeeOther, Headers: h}
}

// ProblemDoc is an RFC 9457 problem document; Errors lists every wrong field
// of a validation failure (components.schemas.Problem in api/openapi.yaml).
type ProblemDoc struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Detail string             `json:"detail,omitempty"`
	Errors []fault.FieldError `json:"errors,omitempty"`
}

// StatusOf maps a fault kind to its HTTP status.
func StatusOf(k fault.Kind) int {
	switch k {
	case fault.Invalid:
		return http.StatusBadRequest
	case fault.NotFound:
		return http.StatusNotFound
	case fault.Conflict:
		return http.StatusConflict
	case fault.Gone:
		return http.StatusGone
	case fault.TooMany:
		return http.StatusTooManyRequests
	case fault.TooLarge:
		return http.StatusRequestEntityTooLarge
	case fault.Unsupported:
		return http.StatusUnsupportedMediaType
	case fault.Unauthorized:
		return http.StatusUnauthorized
	case fault.Forbidden:
		return http.StatusForbidden
	case fault.Unprocessable:
		return http.StatusUnprocessableEntity
	case fault.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ProblemOf returns the problem document for an error. Internal errors say
// nothing about their cause.
func ProblemOf(err error) ProblemDoc {
	status := StatusOf(fault.KindOf(err))
	p := ProblemDoc{Type: "about:blank", Title: http.StatusText(status), Status: status}
	var fe *fault.Error
	if status != http.StatusInternalServerError && errors.As(err, &fe) {
		p.Detail, p.Errors = fe.Detail, fe.Fields
	} else {
		p.Detail = "Something went wrong on our side. Please try again later."
	}
	if len(p.Errors) > 0 {
		p.Type = "https://claritru.com/problems/validation"
	}
	return p
}

// Problem writes an error as application/problem+json.
func Problem(err error, headers map[string]string) Response {
	p := ProblemOf(err)
	b, _ := json.Marshal(p)
	h := withHeaders(headers, "Content-Type", "application/problem+json")
	if after := RetryAfter(p.Status); after != "" {
		h["Retry-After"] = after
	}
	return Response{StatusCode: p.Status, Headers: h, Body: string(b)}
}

// RetryAfter is the Retry-After header (seconds) of an answer with the given
// status: a throttled call may be repeated after a second; an unavailable
// store is given a little longer to come back. Empty for other statuses.
func RetryAfter(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "1"
	case http.StatusServiceUnavailable:
		return "5"
	}
	return ""
}

// Fail answers an error as problem+json (shared/apipage.Fail answers a
// browser form post with a page). Internal errors are logged by their cause.
func Fail(ctx context.Context, log *slog.Logger, err error, headers map[string]string) Response {
	LogInternal(ctx, log, err)
	return Problem(err, headers)
}

// LogInternal logs an internal error, or an unavailable store, by its
// cause, which names an operation or an SDK error, never a person; other
// kinds are the caller's and are not logged.
func LogInternal(ctx context.Context, log *slog.Logger, err error) {
	switch fault.KindOf(err) {
	case fault.Internal:
		log.ErrorContext(ctx, "internal error", "error", err.Error())
	case fault.Unavailable:
		log.WarnContext(ctx, "store unavailable", "error", err.Error())
	}
}

func withHeaders(base map[string]string, k, v string) map[string]string {
	h := map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
	for bk, bv := range base {
		h[bk] = bv
	}
	h[k] = v
	return h
}

// CORS returns the CORS response headers for an allowed Origin, none for any
// other.
func CORS(r Request, allowed []string) map[string]string {
	origin := Header(r, "Origin")
	if origin == "" {
		return nil
	}
	for _, a := range allowed {
		if a == origin {
			return map[string]string{"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
		}
	}
	return map[string]string{"Vary": "Origin"}
}

// ReturnURL picks the page a browser is sent back to: the requested one if it
// is on the allow-list, else the first allowed page. ref is added as ?ref=.
// A static page cannot know its own origin without a script, so a request
// may also name an allowed page by its path alone ("/do-not-sell.html").
func ReturnURL(allowed []string, requested, ref string, extra url.Values) string {
	target := ""
	if len(allowed) > 0 {
		target = allowed[0]
	}
	byPath := strings.HasPrefix(requested, "/") && !strings.HasPrefix(requested, "//")
	for _, a := range allowed {
		if requested == "" {
			break
		}
		if a == requested {
			target = a
			break
		}
		if u, err := url.Parse(a); byPath && err == nil && u.Path == requested {
			target = a
			break
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return "/"
	}
	q := u.Query()
	q.Set("ref", ref)
	for k, vs := range extra {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
