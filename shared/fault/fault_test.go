package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	cause := errors.New("throttled")
	tests := []struct {
		err  error
		want Kind
	}{
		{nil, Internal},
		{errors.New("plain"), Internal},
		{New(Gone, "gone"), Gone},
		{Wrap(TooMany, "slow down", cause), TooMany},
		{fmt.Errorf("context: %w", New(Conflict, "again")), Conflict},
		{fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", New(NotFound, "none"))), NotFound},
	}
	for _, tt := range tests {
		if got := KindOf(tt.err); got != tt.want {
			t.Errorf("KindOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	cause := errors.New("ProvisionedThroughputExceededException")
	e := Wrap(Internal, "write request", cause)
	if e.Error() != "write request: ProvisionedThroughputExceededException" {
		t.Errorf("Error() = %q", e.Error())
	}
	if !errors.Is(e, cause) {
		t.Error("the cause is not reachable with errors.Is")
	}
	if New(Invalid, "bad").Error() != "bad" {
		t.Errorf("Error() = %q", New(Invalid, "bad").Error())
	}
}

func TestFields(t *testing.T) {
	var f Fields
	if f.Err() != nil {
		t.Fatal("no fields, but an error")
	}
	f.Add("email", "not a valid email address")
	f.Add("types", "choose at least one request type")
	if !f.Has("email") || !f.Has("types") || f.Has("phone") {
		t.Errorf("Has: %v", f)
	}
	err := f.Err()
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != Invalid || len(fe.Fields) != 2 || fe.Detail == "" {
		t.Fatalf("Err() = %#v", err)
	}
	if fe.Fields[0] != (FieldError{Field: "email", Message: "not a valid email address"}) {
		t.Errorf("first field = %+v", fe.Fields[0])
	}
}
