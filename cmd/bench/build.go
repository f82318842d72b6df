package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// The programs measured besides the functions, built the same way.
const (
	baselineName = "baseline"
	helloName    = "hello"
	// phonePackage is the package that reads phone numbers: a function
	// linking it is held to the looser init target.
	phonePackage = "github.com/claritru/privacy/shared/subject/phone"
)

// Program is one bootstrap measured.
type Program struct {
	Name string `json:"name"`
	// Pkg is its Go package, relative to the repository root.
	Pkg string `json:"package"`
	// Function is false for the baseline and hello world.
	Function bool `json:"function"`
	// Phones says whether it links the phone number package.
	Phones bool `json:"parses_phones"`
	// Size and Zip are the arm64 bootstrap's and its zip's bytes.
	Size int64 `json:"bootstrap_bytes"`
	Zip  int64 `json:"zip_bytes"`
	// Host is the bootstrap built for this machine, for the cold starts.
	Host string `json:"-"`
}

// programs lists every function under functions/, then the baseline and
// hello world.
func programs(root string) ([]*Program, error) {
	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, err
	}
	var out []*Program
	for _, d := range dirs {
		if d.IsDir() {
			out = append(out, &Program{Name: d.Name(), Pkg: "./functions/" + d.Name(), Function: true})
		}
	}
	out = append(out, &Program{Name: baselineName, Pkg: "./cmd/bench/" + baselineName},
		&Program{Name: helloName, Pkg: "./cmd/bench/" + helloName})
	return out, nil
}

// buildAll builds every program as the Makefile builds a function, for
// Lambda's arm64 and for this machine, into dir, then sizes and zips the
// arm64 bootstraps as a deployment package holds them.
func buildAll(root, dir string, ps []*Program) error {
	for _, arch := range []string{"arm64", runtime.GOARCH} {
		out := filepath.Join(dir, arch)
		if err := goBuild(root, out, arch, ps); err != nil {
			return err
		}
		if arch == runtime.GOARCH {
			for _, p := range ps {
				p.Host = filepath.Join(out, p.Name)
			}
		}
		if arch != "arm64" {
			continue
		}
		for _, p := range ps {
			bin, err := os.ReadFile(filepath.Join(out, p.Name))
			if err != nil {
				return err
			}
			z, err := zipped(bin)
			if err != nil {
				return err
			}
			p.Size, p.Zip = int64(len(bin)), int64(len(z))
		}
	}
	return linksPhones(root, ps)
}

// goBuild runs one go build for every program (the go command builds them
// in parallel); each binary is named after its program.
func goBuild(root, out, arch string, ps []*Program) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	args := []string{"build", "-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", out + "/"}
	for _, p := range ps {
		args = append(args, p.Pkg)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build (%s): %w\n%s", arch, err, stderr.String())
	}
	// go build names a binary after its package's folder, which is the
	// program's name.
	for _, p := range ps {
		if _, err := os.Stat(filepath.Join(out, p.Name)); err != nil {
			return fmt.Errorf("go build (%s) left no %s: %w", arch, p.Name, err)
		}
	}
	return nil
}

// zipped is a deployment package holding the bootstrap, deflated.
func zipped(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(w, bytes.NewReader(bin)); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// linksPhones marks the programs whose linux/arm64 build depends on the
// phone number package.
func linksPhones(root string, ps []*Program) error {
	args := []string{"list", "-tags", "lambda.norpc", "-f", `{{.ImportPath}} {{join .Deps " "}}`}
	for _, p := range ps {
		args = append(args, p.Pkg)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go list: %w", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		for _, p := range ps {
			if strings.HasSuffix(fields[0], strings.TrimPrefix(p.Pkg, ".")) {
				p.Phones = slices.Contains(fields[1:], phonePackage)
			}
		}
	}
	return nil
}
