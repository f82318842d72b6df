package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claritru/privacy/shared/localcloud"
)

// TestInterruptStopsCleanly builds the command, runs it as `make dev` does
// (on spare ports, in a repository root of its own so that its data stays
// apart), presses Ctrl-C, and expects exit status 0 with every stand-in
// stopped and no error logged: make reports any other status as an error.
func TestInterruptStopsCleanly(t *testing.T) {
	root, err := localcloud.Root()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "localcloud")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := filepath.Join(tmp, "repo")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"go.mod", "package.json", "node_modules", "web"} {
		if err := os.Symlink(filepath.Join(root, name), filepath.Join(work, name)); err != nil {
			t.Fatal(err)
		}
	}

	env := append(os.Environ(), "ADMIN_TOKEN=test-admin-token", "SUBJECT_PEPPER="+strings.Repeat("p", 32))
	var ports []string
	for _, name := range []string{"API_PORT", "DYNAMODB_PORT", "SES_PORT", "SMS_PORT", "MAIL_TAP_PORT", "SECRETS_PORT", "RECEIVER_PORT", "COGNITO_PORT"} {
		p, err := localcloud.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, fmt.Sprintf("%s=%d", name, p))
		ports = append(ports, fmt.Sprintf("127.0.0.1:%d", p))
	}
	cmd := exec.Command(bin)
	cmd.Dir, cmd.Env = work, env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	lines := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	waitLine(t, lines, "Press Ctrl-C to stop.", 2*time.Minute, &stderr)
	for _, addr := range ports {
		if !listening(addr) {
			t.Fatalf("nothing answers on %s after the start", addr)
		}
	}
	// cmd/stafftoken reads the running pool from here.
	staffFile := filepath.Join(work, ".localcloud", "staff.json")
	if _, err := localcloud.ReadStaffFile(staffFile); err != nil {
		t.Errorf("the pool's file: %v", err)
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lines, "Stopping...", 10*time.Second, &stderr)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) || err != nil {
			t.Fatalf("after Ctrl-C: %v, want exit status 0\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30s after Ctrl-C")
	}
	t.Logf("stopped %s after Ctrl-C", time.Since(start).Round(time.Millisecond))
	// A stop is no failure: nothing in flight may log an error for it.
	if strings.Contains(stderr.String(), `"level":"ERROR"`) {
		t.Errorf("errors logged around Ctrl-C:\n%s", stderr.String())
	}
	for _, addr := range ports {
		if listening(addr) {
			t.Errorf("%s still answers after the exit: a stand-in was left running", addr)
		}
	}
	if _, err := os.Stat(staffFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the pool's file outlives the pool: %v", err)
	}
}

func waitLine(t *testing.T, lines <-chan string, want string, within time.Duration, stderr *strings.Builder) {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the command ended before printing %q\n%s", want, stderr.String())
			}
			if strings.TrimSpace(l) == want {
				return
			}
		case <-timeout:
			t.Fatalf("no %q within %s\n%s", want, within, stderr.String())
		}
	}
}

func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
