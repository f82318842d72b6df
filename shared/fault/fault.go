// Package fault holds the few kinds of error the service distinguishes. Domain
// packages return them; shared/apigw maps each kind to an HTTP status in one
// place.
package fault

import (
	"errors"
	"fmt"
)

// Kind is what went wrong, in terms a caller can act on.
type Kind int

const (
	// Internal is anything the caller cannot fix.
	Internal Kind = iota
	// Invalid input; FieldErrors say which fields.
	Invalid
	// NotFound: the thing asked for does not exist.
	NotFound
	// Conflict with the current state (an action not allowed now, a
	// concurrent change, an idempotency key reused with another body).
	Conflict
	// Gone: a token that was used, expired or never existed.
	Gone
	// TooMany requests.
	TooMany
	// TooLarge: the body is over the limit.
	TooLarge
	// Unsupported media type.
	Unsupported
	// Unauthorized: credentials missing or wrong. Says nothing of what
	// exists.
	Unauthorized
	// Unprocessable: well-formed, but a rule forbids it; Fields say why.
	Unprocessable
	// Unavailable: a service the answer depends on (the table) cannot be
	// reached or fails on its side; nothing was changed, and the same call
	// may succeed shortly.
	Unavailable
	// Forbidden: the caller is known, and their role does not allow this.
	Forbidden
)

// FieldError names one wrong field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a classified error. Detail is safe to show to the caller; it never
// carries personal data.
type Error struct {
	Kind   Kind
	Detail string
	Fields []FieldError
	Err    error // the cause, for logs; never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Detail, e.Err)
	}
	return e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of the given kind.
func New(kind Kind, detail string) *Error { return &Error{Kind: kind, Detail: detail} }

// Wrap classifies a cause.
func Wrap(kind Kind, detail string, err error) *Error {
	return &Error{Kind: kind, Detail: detail, Err: err}
}

// KindOf returns the kind of err; unclassified errors are Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Fields collects field errors during validation.
type Fields []FieldError

// Add records that field is wrong. A field keeps its first error: the first
// problem found is the one to fix.
func (f *Fields) Add(field, message string) {
	if len(*f) < MaxFieldErrors && !f.Has(field) {
		*f = append(*f, FieldError{field, message})
	}
}

// MaxFieldErrors bounds how many field errors one answer lists, so a hostile
// body cannot make the answer larger than the question.
const MaxFieldErrors = 50

// Has reports whether field already has an error.
func (f Fields) Has(field string) bool {
	for _, e := range f {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Refuse returns nil when no field is wrong, else an Unprocessable error
// naming them: the input is well-formed but a rule forbids it.
func (f Fields) Refuse(detail string) error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: Unprocessable, Detail: detail, Fields: f}
}

// Err returns nil when no field is wrong, else an Invalid error naming them.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Detail: "The request has invalid fields.", Fields: f}
}
