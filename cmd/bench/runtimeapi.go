package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// runtimeAPI stands in for Lambda's Runtime API on 127.0.0.1, for one
// bootstrap at a time: it notes when the bootstrap first asks for work
// (GET /2018-06-01/runtime/invocation/next, the end of its init), hands it
// the events it is given, and notes each answer.
type runtimeAPI struct {
	addr   string
	server *http.Server

	mu     sync.Mutex
	ready  chan time.Time // the first /next of the current bootstrap
	events chan []byte    // what the next /next hands out
	done   chan answer    // each /response or /error
	seq    int
}

// answer is a bootstrap's answer to one event.
type answer struct {
	at    time.Time
	error bool
	body  []byte
}

const runtimePrefix = "/2018-06-01/runtime/"

func startRuntimeAPI() (*runtimeAPI, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &runtimeAPI{addr: l.Addr().String()}
	r.reset()
	r.server = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.server.Serve(l) }()
	return r, nil
}

func (r *runtimeAPI) close() { _ = r.server.Close() }

// reset readies the stand-in for a new bootstrap.
func (r *runtimeAPI) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ready = make(chan time.Time, 1)
	r.events = make(chan []byte)
	r.done = make(chan answer, 1)
}

func (r *runtimeAPI) channels() (chan time.Time, chan []byte, chan answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready, r.events, r.done
}

func (r *runtimeAPI) serve(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	ready, events, done := r.channels()
	path := strings.TrimPrefix(req.URL.Path, runtimePrefix)
	switch {
	case req.Method == http.MethodGet && path == "invocation/next":
		select {
		case ready <- at:
		default:
		}
		var ev []byte
		select {
		case ev = <-events:
		case <-req.Context().Done():
			return
		}
		r.mu.Lock()
		r.seq++
		id := "bench-" + strconv.Itoa(r.seq)
		r.mu.Unlock()
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:111122223333:function:bench")
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(ev)
	case req.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		body, _ := io.ReadAll(req.Body)
		w.WriteHeader(http.StatusAccepted)
		select {
		case done <- answer{at: at, error: strings.HasSuffix(path, "/error"), body: body}:
		default:
		}
	case req.Method == http.MethodPost && path == "init/error":
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, req)
	}
}

// started is a bootstrap running against the stand-in.
type started struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	exited chan struct{}
	// Init is the time from exec to its first /next.
	Init time.Duration
}

// start executes a bootstrap with env and waits for its first /next.
func (r *runtimeAPI) start(bin string, env []string) (*started, error) {
	r.reset()
	ready, _, _ := r.channels()
	cmd := exec.Command(bin)
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+r.addr)
	stderr := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s := &started{cmd: cmd, stderr: stderr, exited: make(chan struct{})}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	select {
	case at := <-ready:
		s.Init = at.Sub(t0)
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("%s exited during init: %s", bin, lastLines(stderr.String()))
	case <-time.After(20 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s did not ask for work within 20s", bin)
	}
}

// invoke hands the running bootstrap one event and waits for its answer.
func (r *runtimeAPI) invoke(s *started, event []byte) (time.Duration, answer, error) {
	_, events, done := r.channels()
	t0 := time.Now()
	select {
	case events <- event:
	case <-s.exited:
		return 0, answer{}, errors.New("exited: " + lastLines(s.stderr.String()))
	case <-time.After(20 * time.Second):
		return 0, answer{}, errors.New("did not ask for the next event within 20s")
	}
	select {
	case a := <-done:
		return a.at.Sub(t0), a, nil
	case <-s.exited:
		return 0, answer{}, errors.New("exited: " + lastLines(s.stderr.String()))
	case <-time.After(30 * time.Second):
		return 0, answer{}, errors.New("no answer within 30s")
	}
}

func (s *started) stop() {
	_ = s.cmd.Process.Signal(os.Kill)
	<-s.exited
}

func lastLines(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		s = "..." + s[len(s)-600:]
	}
	return s
}

// coldStarts starts every program n times, round-robin so that the
// machine's state drifts alike for all, and keeps each exec -> first /next.
func coldStarts(ctx context.Context, r *runtimeAPI, ps []*Program, env func(*Program) []string, n int) (map[string][]time.Duration, error) {
	out := map[string][]time.Duration{}
	for i := range n {
		for _, p := range ps {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			s, err := r.start(p.Host, env(p))
			if err != nil {
				return nil, fmt.Errorf("cold start %d of %s: %w", i+1, p.Name, err)
			}
			s.stop()
			out[p.Name] = append(out[p.Name], s.Init)
		}
	}
	return out, nil
}
