package request_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
)

func correctInput(items ...request.CorrectionInput) request.Input {
	in := validInput()
	in.Types = []string{"correct"}
	in.Corrections = items
	return in
}

func TestValidateCorrectionItems(t *testing.T) {
	item := request.CorrectionInput{Item: "postal address", CurrentValue: "1 Old Road", CorrectedValue: "2 New Street", Documentation: "utility bill"}
	r, err := request.Validate(testSubjects, correctInput(item), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []request.Correction{{Item: "postal address", CurrentValue: "1 Old Road", CorrectedValue: "2 New Street", Documentation: "utility bill"}}
	if !reflect.DeepEqual(r.Corrections, want) {
		t.Errorf("Corrections = %+v, want %+v", r.Corrections, want)
	}

	cases := []struct {
		name string
		in   request.Input
		want []string
	}{
		{"item and corrected value missing", correctInput(item, request.CorrectionInput{CurrentValue: "x"}),
			[]string{"corrections[1].corrected_value", "corrections[1].item"}},
		{"corrected value blank", correctInput(request.CorrectionInput{Item: "name", CorrectedValue: " \n "}),
			[]string{"corrections[0].corrected_value"}},
		{"item on two lines", correctInput(request.CorrectionInput{Item: "name\nand more", CorrectedValue: "Byron"}),
			[]string{"corrections[0].item"}},
		{"value too long", correctInput(request.CorrectionInput{Item: "name", CorrectedValue: strings.Repeat("b", 1001)}),
			[]string{"corrections[0].corrected_value"}},
		{"documentation with a control character", correctInput(request.CorrectionInput{Item: "name", CorrectedValue: "B", Documentation: "x\x07"}),
			[]string{"corrections[0].documentation"}},
		{"too many items", correctInput(make([]request.CorrectionInput, 21)...), []string{"corrections"}},
		{"items without the type", func() request.Input { in := correctInput(item); in.Types = []string{"know"}; return in }(),
			[]string{"corrections"}},
		{"type without anything to correct", correctInput(), []string{"correction"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := request.Validate(testSubjects, c.in, nil)
			if got := fieldNames(fieldErrors(t, err)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("fields = %v, want %v", got, c.want)
			}
		})
	}
}

// A client of the earlier form sends only free text: it is kept, and it
// becomes an item staff decide like any other; given beside items, it is
// one more item. Free text with another type is taken as before.
func TestValidateFreeTextCorrection(t *testing.T) {
	in := correctInput()
	in.Correction = "My surname is Byron."
	r, err := request.Validate(testSubjects, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Correction != "My surname is Byron." || len(r.Corrections) != 1 || r.Corrections[0].CorrectedValue != "My surname is Byron." {
		t.Errorf("Correction %q, Corrections %+v", r.Correction, r.Corrections)
	}
	in = correctInput(request.CorrectionInput{Item: "phone", CorrectedValue: "+1 415 555 0100"})
	in.Correction = "Also my practice's name."
	if r, err = request.Validate(testSubjects, in, nil); err != nil || len(r.Corrections) != 2 || r.Corrections[1].CorrectedValue != in.Correction {
		t.Errorf("items and free text: %+v, %v", r.Corrections, err)
	}
	in = validInput()
	in.Correction = "A note."
	if r, err = request.Validate(testSubjects, in, nil); err != nil || len(r.Corrections) != 0 {
		t.Errorf("free text with know: %+v, %v", r.Corrections, err)
	}
}

func TestDecodeCorrections(t *testing.T) {
	var errs fault.Fields
	got := request.DecodeCorrections(json.RawMessage(`[{"item":"name","corrected_value":"Byron","current_value":null},{"item":5,"colour":"red"},"text"]`), &errs)
	want := []string{"corrections[1].colour", "corrections[1].item", "corrections[2]"}
	var names []string
	for _, e := range errs {
		names = append(names, e.Field)
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("errors %v, want %v", names, want)
	}
	if len(got) != 3 || got[0].Item != "name" || got[0].CorrectedValue != "Byron" {
		t.Errorf("items %+v", got)
	}
	errs = nil
	if request.DecodeCorrections(json.RawMessage(`{"item":"name"}`), &errs); len(errs) != 1 || errs[0].Field != "corrections" {
		t.Errorf("an object for the list: %v", errs)
	}
}

// verifiedCorrection is a verified request to correct three items.
func verifiedCorrection() request.Request {
	return request.Request{
		ID: "01JREQUEST0000000000000000", Types: []request.Type{request.Correct}, Status: request.Verified, Version: 3,
		Email: "ada@example.com",
		Corrections: []request.Correction{
			{Item: "surname", CurrentValue: "Lovelace", CorrectedValue: "Byron"},
			{Item: "postal address", CorrectedValue: "2 New Street, Mobile AL"},
			{Item: "date of birth", CorrectedValue: "1815-12-10"},
		},
	}
}

func TestDecideCorrections(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	r := verifiedCorrection()
	next, ev, err := request.DecideCorrections(r, request.ActionInput{Actor: "staff-1", Version: 3, Decisions: []request.ItemDecision{
		{Item: 0, Decision: request.Accepted},
		{Item: 1, Decision: request.AcceptedInPart, AppliedValue: "2 New Street", Reason: "The city is on file already."},
		{Item: 2, Decision: request.Rejected, Reason: "Our records match your ID.", Contested: true, Statement: "I was born on the 10th."},
	}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if next.Status != request.InProgress || next.Version != 4 || ev.From != request.Verified || ev.To != request.InProgress || ev.Actor != "staff-1" {
		t.Errorf("status %s version %d event %+v", next.Status, next.Version, ev)
	}
	c := next.Corrections
	if c[0].Decision != request.Accepted || c[0].AppliedValue != "Byron" || !c[0].DecidedAt.Equal(now) || c[0].DecidedBy != "staff-1" {
		t.Errorf("item 0: %+v", c[0])
	}
	if c[1].AppliedValue != "2 New Street" || c[1].Reason != "The city is on file already." {
		t.Errorf("item 1: %+v", c[1])
	}
	if !c[2].Contested || c[2].Statement != "I was born on the 10th." || c[2].AppliedValue != "" {
		t.Errorf("item 2: %+v", c[2])
	}
	if r.Corrections[0].Decision != "" {
		t.Error("the request read was changed in place")
	}
	for _, v := range []string{"Byron", "New Street", "1815", "born", "ID"} {
		if strings.Contains(ev.Note, v) {
			t.Errorf("audit note %q carries a value (%q)", ev.Note, v)
		}
	}
	if ev.Note != "corrections decided: 0 accept; 1 accept_in_part; 2 deny (contested, statement kept)" {
		t.Errorf("note %q", ev.Note)
	}
}

func TestDecideCorrectionsRefuses(t *testing.T) {
	now := time.Now()
	d := func(ds ...request.ItemDecision) request.ActionInput {
		return request.ActionInput{Actor: "staff-1", Decisions: ds}
	}
	cases := []struct {
		name string
		in   request.ActionInput
		want []string
	}{
		{"no decisions", d(), []string{"decisions"}},
		{"item out of range", d(request.ItemDecision{Item: 3, Decision: request.Accepted}), []string{"decisions[0].item"}},
		{"item twice", d(request.ItemDecision{Item: 0, Decision: request.Accepted}, request.ItemDecision{Item: 0, Decision: request.Accepted}), []string{"decisions[1].item"}},
		{"unknown decision", d(request.ItemDecision{Item: 0, Decision: "maybe"}), []string{"decisions[0].decision"}},
		{"denial without basis", d(request.ItemDecision{Item: 0, Decision: request.Rejected}), []string{"decisions[0].reason"}},
		{"in part without value or reason", d(request.ItemDecision{Item: 1, Decision: request.AcceptedInPart}), []string{"decisions[0].applied_value", "decisions[0].reason"}},
		{"accepted with another value", d(request.ItemDecision{Item: 0, Decision: request.Accepted, AppliedValue: "Other"}), []string{"decisions[0].applied_value"}},
		{"accepted and contested", d(request.ItemDecision{Item: 0, Decision: request.Accepted, Contested: true}), []string{"decisions[0].contested"}},
		{"statement without contest", d(request.ItemDecision{Item: 0, Decision: request.Rejected, Reason: "r", Statement: "s"}), []string{"decisions[0].statement"}},
		{"statement of 251 words", d(request.ItemDecision{Item: 0, Decision: request.Rejected, Reason: "r", Contested: true,
			Statement: strings.Repeat("word ", 251)}), []string{"decisions[0].statement"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := request.DecideCorrections(verifiedCorrection(), c.in, now)
			if got := fieldNames(fieldErrors(t, err)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("fields = %v, want %v", got, c.want)
			}
		})
	}
	conflicts := map[string]request.Request{
		"pending verification": func() request.Request { r := verifiedCorrection(); r.Status = request.PendingVerification; return r }(),
		"denied":               func() request.Request { r := verifiedCorrection(); r.Status = request.Denied; return r }(),
		"no items":             func() request.Request { r := verifiedCorrection(); r.Corrections = nil; return r }(),
	}
	for name, r := range conflicts {
		_, _, err := request.DecideCorrections(r, d(request.ItemDecision{Item: 0, Decision: request.Accepted}), now)
		if fault.KindOf(err) != fault.Conflict {
			t.Errorf("%s: %v, want a conflict", name, err)
		}
	}
	_, _, err := request.DecideCorrections(verifiedCorrection(), request.ActionInput{Version: 2, Decisions: []request.ItemDecision{{Item: 0, Decision: request.Accepted}}}, now)
	if fault.KindOf(err) != fault.Conflict {
		t.Errorf("stale version: %v", err)
	}
}

// After the outcome mail, the person may dispute a denial: staff mark it
// contested with the statement; nothing else about the items changes.
func TestContestAfterCompletion(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	r := verifiedCorrection()
	r.Status = request.Completed
	r.Corrections[0].Decision, r.Corrections[0].AppliedValue = request.Accepted, "Byron"
	r.Corrections[2].Decision, r.Corrections[2].Reason = request.Rejected, "Our records match your ID."
	next, ev, err := request.DecideCorrections(r, request.ActionInput{Actor: "s", Decisions: []request.ItemDecision{
		{Item: 2, Decision: request.Rejected, Contested: true, Statement: "I dispute it."},
	}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if next.Status != request.Completed || ev.To != request.Completed || !next.Corrections[2].Contested || next.Corrections[2].Reason != "Our records match your ID." {
		t.Errorf("%s %+v", next.Status, next.Corrections[2])
	}
	for name, dec := range map[string]request.ItemDecision{
		"accepted item":  {Item: 0, Decision: request.Rejected, Reason: "changed my mind", Contested: true},
		"new basis":      {Item: 2, Decision: request.Rejected, Reason: "another basis", Contested: true},
		"undecided item": {Item: 1, Decision: request.Accepted},
	} {
		if _, _, err := request.DecideCorrections(r, request.ActionInput{Decisions: []request.ItemDecision{dec}}, now); fault.KindOf(err) != fault.Invalid {
			t.Errorf("%s: %v, want refused", name, err)
		}
	}
}

// Completion waits for every item, and its mail says what became of each
// in the company's and staff's words, never the person's values.
func TestCompleteCorrection(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	r := verifiedCorrection()
	r.Status = request.InProgress
	_, _, _, err := request.Transition(r, request.ActionInput{Action: request.Complete}, now)
	var fe *fault.Error
	if fault.KindOf(err) != fault.Conflict || !errors.As(err, &fe) || len(fe.Fields) != 1 || fe.Fields[0].Field != "corrections" ||
		!strings.Contains(fe.Fields[0].Message, "0, 1, 2") {
		t.Fatalf("complete with undecided items: %v", err)
	}
	r.Corrections[0].Decision, r.Corrections[0].AppliedValue = request.Accepted, "Byron"
	r.Corrections[1].Decision, r.Corrections[1].AppliedValue, r.Corrections[1].Reason = request.AcceptedInPart, "2 New Street", "City on file."
	r.Corrections[2].Decision, r.Corrections[2].Reason, r.Corrections[2].Contested = request.Rejected, "Records match.", true
	_, _, m, err := request.Transition(r, request.ActionInput{Action: request.Complete}, now)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(m.Data["corrections"], "\n")
	if len(lines) != 3 || lines[0] != "Item 1 of your correction: corrected as you asked." ||
		!strings.Contains(lines[1], "corrected in part. We now hold: 2 New Street. Why not in full: City on file.") ||
		!strings.Contains(lines[2], "not corrected. Why: Records match.") || !strings.Contains(lines[2], "contested") {
		t.Errorf("outcome:\n%s", m.Data["corrections"])
	}
	for _, v := range []string{"Byron", "surname", "1815", "Mobile AL"} {
		if strings.Contains(m.Data["corrections"], v) {
			t.Errorf("outcome repeats the person's text %q", v)
		}
	}
}
