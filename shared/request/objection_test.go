package request_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/request/requesttest"
	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/subject/phone"
)

type marketingCall struct{ email, phone, requestID string }

type fakeMarketing struct{ calls []marketingCall }

func (f *fakeMarketing) StopDirectMarketing(_ context.Context, email, phone, requestID string) (time.Time, error) {
	f.calls = append(f.calls, marketingCall{email, phone, requestID})
	return t0, nil
}

type fakeOptOuts struct{ applied [][]request.Type }

func (f *fakeOptOuts) ApplyRequest(_ context.Context, r request.Request) (time.Time, error) {
	f.applied = append(f.applied, r.Immediate())
	return t0, nil
}

// An objection stops direct marketing when the request is taken, before
// verification: for the address and the number given, with an opt-out of
// sale and sharing; the request waits for verification for the rest.
func TestObjectionAppliedAtIntake(t *testing.T) {
	k, err := subject.NewKeyer(bytes.Repeat([]byte("pepper-"), 5))
	if err != nil {
		t.Fatal(err)
	}
	st := requesttest.New()
	mk, oo := &fakeMarketing{}, &fakeOptOuts{}
	svc := request.NewService(st, request.Config{PublicBaseURL: testBaseURL, Keyer: k, Phone: phone.E164,
		Marketing: mk, OptOuts: oo, Now: (&fixedClock{t: t0}).Now})
	sub := submission("object")
	sub.Input.Phone = "+1 415 555 0100"
	rc, err := svc.Submit(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Status != request.PendingVerification {
		t.Errorf("status %s, want pending verification", rc.Status)
	}
	if len(mk.calls) != 1 || mk.calls[0] != (marketingCall{"ada@example.com", "+14155550100", rc.ID}) {
		t.Errorf("marketing calls %+v", mk.calls)
	}
	if len(oo.applied) != 1 || !slices.Equal(oo.applied[0], []request.Type{request.OptOut}) {
		t.Errorf("opt-outs applied %+v, want sale and sharing once", oo.applied)
	}
	c := st.Creations()[0]
	if !strings.Contains(c.Event.Note, "objection to direct marketing applied") || c.Mail.Data["marketing_stopped"] == "" {
		t.Errorf("note %q, mail data %v", c.Event.Note, c.Mail.Data)
	}

	// A request without an objection stops nothing; one with an opt-out
	// already asked for is not opted out twice.
	mk.calls, oo.applied = nil, nil
	if _, err := svc.Submit(context.Background(), submission("access")); err != nil || len(mk.calls) != 0 || len(oo.applied) != 0 {
		t.Errorf("access: %v, %+v, %+v", err, mk.calls, oo.applied)
	}
	sub = submission("object", "opt_out")
	sub.Input.FirstName = "Augusta"
	if _, err := svc.Submit(context.Background(), sub); err != nil || len(mk.calls) != 1 || len(oo.applied) != 1 {
		t.Errorf("object with opt_out: %v, %+v, %+v", err, mk.calls, oo.applied)
	}
}
