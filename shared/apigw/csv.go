package apigw

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
)

// CSVResponse answers with rows (the header first) as a CSV attachment named
// filename. Every cell goes through SafeCell, whatever its column holds: a
// column that can only hold hashes today is not trusted to stay that way.
func CSVResponse(filename string, rows [][]string) Response {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for _, row := range rows {
		safe := make([]string, len(row))
		for i, cell := range row {
			safe[i] = SafeCell(cell)
		}
		_ = w.Write(safe)
	}
	w.Flush()
	return Response{StatusCode: http.StatusOK, Body: b.String(), Headers: map[string]string{
		"Content-Type":           "text/csv; charset=utf-8",
		"Content-Disposition":    `attachment; filename="` + filename + `"`,
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
	}}
}

// SafeCell neutralises a cell that a spreadsheet would run as a formula
// (CSV injection, as OWASP describes it): one that starts with '=', '+',
// '-', '@', a tab or a carriage return gets a leading single quote, which
// spreadsheets show as text and do not evaluate. So "+15551234567" is
// written "'+15551234567": the reader of the file sees the number, and a
// program reading it must drop the quote.
func SafeCell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}
