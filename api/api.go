// Package api is the public HTTP contract of the service: the
// OpenAPI document openapi.yaml, which is the source of truth, and a Checker
// with which tests hold every request and response to it.
package api

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Spec is the OpenAPI 3.1 document of the public API, as written.
//
//go:embed openapi.yaml
var Spec []byte

// Load parses Spec and validates it as an OpenAPI document, examples
// included. Every call returns a new document, which the caller may change.
func Load() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(Spec)
	if err != nil {
		return nil, fmt.Errorf("api: load openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("api: openapi.yaml is not valid: %w", err)
	}
	return doc, nil
}

// Checker holds exchanges with the service to the document. It is safe for
// concurrent use.
type Checker struct {
	doc    *openapi3.T
	router routers.Router
}

var registerDecoders sync.Once

// NewChecker returns a Checker for the embedded document.
func NewChecker() (*Checker, error) {
	doc, err := Load()
	if err != nil {
		return nil, err
	}
	// Routes are matched on method and path alone: the document's servers
	// name the local cloud, while tests reach the service on whatever host
	// and port they started it. A document without servers matches any.
	anyHost := *doc
	anyHost.Servers = nil
	router, err := gorillamux.NewRouter(&anyHost)
	if err != nil {
		return nil, fmt.Errorf("api: route the document: %w", err)
	}
	// The error and confirm pages are text/html: read them as plain text so
	// their schema is checked. application/problem+json is decoded as JSON
	// by kin-openapi already.
	registerDecoders.Do(func() {
		if openapi3filter.RegisteredBodyDecoder("text/html") == nil {
			openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
		}
	})
	return &Checker{doc: &anyHost, router: router}, nil
}

// Document returns the document the Checker checks against. It must not be
// changed.
func (c *Checker) Document() *openapi3.T { return c.doc }

// Check reports whether one exchange keeps the contract. req is the request
// as sent (its body is not read; reqBody is the body) and resp the response
// with its body respBody; req may be nil when resp.Request is set.
//
// The route must be in the document. The response must be one the document
// lists for the operation: a documented status, with its required headers and
// a body of a documented media type matching its schema. The request is
// checked too; a request the document does not allow must be refused with a
// 4xx status, since the service must not accept what the contract forbids. A
// request the document allows may still be refused (4xx): some rules, such as
// a correction being required with type correct, the schema does not express.
func (c *Checker) Check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) error {
	if resp == nil {
		return errors.New("api: no response to check")
	}
	if req == nil {
		req = resp.Request
	}
	if req == nil {
		return errors.New("api: no request to check")
	}
	ctx := req.Context()
	r := req.Clone(ctx)
	r.Body = http.NoBody
	if len(reqBody) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		r.ContentLength = int64(len(reqBody))
	}
	exchange := fmt.Sprintf("%s %s -> %d", r.Method, r.URL.Path, resp.StatusCode)

	route, params, err := c.router.FindRoute(r)
	if err != nil {
		return fmt.Errorf("api: %s: no operation in openapi.yaml: %w", exchange, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:          true,
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true,
		},
	}
	reqErr := openapi3filter.ValidateRequest(ctx, in)

	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options: &openapi3filter.Options{
			MultiError:            true,
			IncludeResponseStatus: true,
		},
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("api: %s: response breaks the contract: %w", exchange, err)
	}
	if reqErr != nil && (resp.StatusCode < 400 || resp.StatusCode > 499) {
		return fmt.Errorf("api: %s: the service did not refuse a request the contract does not allow: %w", exchange, reqErr)
	}
	return nil
}
