package main

import (
	"bytes"
	"os"
	"testing"
)

// The committed tables are what the generator writes from the library's
// metadata in go.mod: updating phonenumbers without regenerating fails here.
func TestTablesAreUpToDate(t *testing.T) {
	want, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../shared/subject/phone/metadata.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("shared/subject/phone/metadata.go differs from the metadata: run go run ./cmd/phonetables")
	}
}
