package topology_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// packageLevelCompile is a regular expression compiled in a package-level
// declaration: `var x = regexp.MustCompile(...)`, or `x = ...` inside a
// var block.
var packageLevelCompile = regexp.MustCompile(`(?m)^(?:var |\t)\w+\s*=\s*regexp\.MustCompile\(`)

// TestNoRegexpCompiledAtInit: a function's cold start pays for every
// package-level initialiser of every package it links, and most calls use
// none of these expressions; each is compiled on first use (sync.OnceValue)
// instead. The local cloud, which runs on a developer's machine, is exempt.
func TestNoRegexpCompiledAtInit(t *testing.T) {
	checked := 0
	for _, dir := range []string{"shared", "functions"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && strings.Contains(path, string(filepath.Separator)+"localcloud") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			checked++
			if loc := packageLevelCompile.FindIndex(src); loc != nil {
				line := 1 + strings.Count(string(src[:loc[0]]), "\n")
				t.Errorf("%s:%d compiles a regular expression at init; compile it on first use", path, line)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 100 {
		t.Fatalf("checked %d files, want the whole service", checked)
	}
}
