package localcloud

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// A consumer fed only inserted items of some kinds sees nothing else, as
// the event source mapping's filter lets through in AWS.
func TestStreamPollerFiltersInserts(t *testing.T) {
	rec := func(event string, kind *events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
		img := map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute("JOB#1")}
		if kind != nil {
			img["kind"] = *kind
		}
		return events.DynamoDBEventRecord{EventName: event, Change: events.DynamoDBStreamRecord{NewImage: img}}
	}
	job, mail, num := events.NewStringAttribute("reach_job"), events.NewStringAttribute("mail"), events.NewNumberAttribute("1")
	filtered := &StreamPoller{Inserts: []string{"reach_job"}}
	for _, c := range []struct {
		r    events.DynamoDBEventRecord
		want bool
	}{
		{rec("INSERT", &job), true},
		{rec("MODIFY", &job), false},
		{rec("REMOVE", nil), false},
		{rec("INSERT", &mail), false},
		{rec("INSERT", &num), false},
		{rec("INSERT", nil), false},
	} {
		if got := filtered.admits(c.r); got != c.want {
			t.Errorf("%s of %v: admitted %v, want %v", c.r.EventName, c.r.Change.NewImage["kind"], got, c.want)
		}
		if !(&StreamPoller{}).admits(c.r) {
			t.Errorf("an unfiltered consumer refused %s", c.r.EventName)
		}
	}
}
