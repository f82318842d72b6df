package localcloud

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStaticServesThePreviews: the gateway's static files are the sample
// pages at / and the mail previews at /previews/; before `make previews`
// the gallery's address says how to make them.
func TestStaticServesThePreviews(t *testing.T) {
	root := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("web/index.html", "the request form")
	srv := httptest.NewServer(staticFiles(root))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/previews/"); code != http.StatusNotFound || !strings.Contains(body, "make previews") {
		t.Errorf("/previews/ before any: %d %q, want 404 naming make previews", code, body)
	}
	write(PreviewsDir+"/index.html", "the gallery")
	write(PreviewsDir+"/verify.txt", "a mail")
	for path, want := range map[string]string{"/": "the request form", "/previews/": "the gallery", "/previews/verify.txt": "a mail"} {
		if code, body := get(path); code != http.StatusOK || body != want {
			t.Errorf("GET %s: %d %q, want %q", path, code, body, want)
		}
	}
	if code, _ := get("/previews/../../web/index.html"); code == http.StatusOK {
		t.Errorf("a path out of the previews is served")
	}
}
