package request_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/request/requesttest"
)

// fixedJobs is a request's jobs as the store would return them.
type fixedJobs []reach.Job

func (f fixedJobs) OfRequest(_ context.Context, subjectKey, requestID string) ([]reach.Job, error) {
	var out []reach.Job
	for _, j := range f {
		if j.SubjectKey == subjectKey && j.RequestID == requestID {
			out = append(out, j)
		}
	}
	return out, nil
}

// Only an open deletion job holds a completion back: an answered one, or
// an open job of another action or another request, does not. The refusal
// names the field and the one system in the singular.
func TestCompletionRuleReadsOnlyOpenDeletions(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	store := requesttest.New()
	r := request.Request{ID: "01JREQ00000000000000000000", Types: []request.Type{request.Delete, request.Access},
		Status: request.Verified, Email: "ada@example.com", SubjectKey: "k", ReceivedAt: now, DueAt: now.AddDate(0, 0, 45), Version: 1}
	if err := store.Create(context.Background(), request.Creation{Request: r,
		Event: request.Event{ID: "e1", At: now, Action: "received", To: request.Verified, Actor: "requester"}}); err != nil {
		t.Fatal(err)
	}
	jobs := fixedJobs{
		{ID: "j1", System: "crm", Action: reach.Delete, RequestID: r.ID, SubjectKey: "k", Status: reach.Answered},
		{ID: "j2", System: "billing", Action: reach.Delete, RequestID: r.ID, SubjectKey: "k", Status: reach.Told},
		{ID: "j3", System: "hosting", Action: reach.Access, RequestID: r.ID, SubjectKey: "k", Status: reach.Told},
		{ID: "j4", System: "hosting", Action: reach.Delete, RequestID: "01JOTHER000000000000000000", SubjectKey: "k", Status: reach.Told},
	}
	svc := request.NewService(store, request.Config{Jobs: jobs, Now: func() time.Time { return now }})
	_, err := svc.Act(context.Background(), r.ID, request.ActionInput{Action: request.Complete, Actor: "staff"})
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Kind != fault.Conflict || len(fe.Fields) != 1 || fe.Fields[0].Field != request.OverrideField ||
		!strings.HasPrefix(fe.Fields[0].Message, "1 system has not answered the deletion (billing)") {
		t.Fatalf("Act = %v, want a conflict naming override_reason and billing alone", err)
	}
	done, err := svc.Act(context.Background(), r.ID, request.ActionInput{Action: request.Complete, Actor: "staff", OverrideReason: "Legal hold."})
	if err != nil || done.Status != request.Completed {
		t.Fatalf("Act with a reason = %+v, %v", done, err)
	}
	evs, err := store.Events(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if note := evs[len(evs)-1].Note; note != "completed before billing answered the deletion: Legal hold." {
		t.Errorf("audit note %q", note)
	}
}
