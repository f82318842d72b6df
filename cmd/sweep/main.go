// Command sweep is `make sweep`: one run of the retention sweep against the
// table of `make dev` (DynamoDB Local on 127.0.0.1:8000, or DYNAMODB_PORT),
// with a progress line as it goes and the run's report as JSON at the end.
// When DynamoDB Local is not running it is started on the data of `make dev`
// (.localcloud/dynamodb) for the length of the run.
//
// The progress line goes to standard error, rewritten in place on a
// terminal; the report goes to standard output. The exit status is 1 when
// the run failed or could not start.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/settings"
	"github.com/claritru/privacy/shared/topology"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		os.Exit(1)
	}
}

func run() error {
	port := flag.Int("port", envPort("DYNAMODB_PORT", 8000), "port of DynamoDB Local on 127.0.0.1 ($DYNAMODB_PORT when set)")
	endpoint := flag.String("endpoint", "", "DynamoDB endpoint URL (default http://127.0.0.1:<port>); only a local one is started when not running")
	table := flag.String("table", localcloud.DefaultTable, "table to sweep")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (see -h)", flag.Args())
	}
	if *endpoint == "" {
		*endpoint = "http://127.0.0.1:" + strconv.Itoa(*port)
	}
	u, err := url.Parse(*endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-endpoint %q is not a URL such as http://127.0.0.1:8000", *endpoint)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if !answers(u.Host) {
		p, err := startDynamoDB(ctx, u)
		if err != nil {
			return err
		}
		defer p.Stop()
	}

	db := settings.Env{AWS: localcloud.LocalAWS(), DynamoDBEndpoint: *endpoint}.DynamoDB()
	if err := checkTable(ctx, db, *table, *endpoint); err != nil {
		return err
	}

	s := ddb.NewSweeper(db, *table)
	line := newProgressLine(os.Stderr)
	s.Progress = line.show
	fmt.Fprintf(os.Stderr, "Sweeping table %s on %s\n", *table, *endpoint)
	rep, err := s.Run(ctx)
	if errors.Is(err, retention.ErrBusy) {
		return fmt.Errorf("another sweep holds the lease on %s: the schedule of a running `make dev` "+
			"(every five minutes), or a run killed less than %s ago; try again shortly", *table, s.Lease)
	}
	if rep.RunID != "" {
		line.show(rep)
		line.done()
		out, merr := json.MarshalIndent(rep, "", "  ")
		if merr != nil {
			return merr
		}
		fmt.Println(string(out))
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; the next run continues where this one stopped: %w", err)
		}
		return fmt.Errorf("run %s %s: %w", rep.RunID, rep.Status, err)
	}
	return nil
}

// answers says whether something listens at host:port.
func answers(hostport string) bool {
	c, err := net.DialTimeout("tcp", hostport, 500*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// startDynamoDB starts DynamoDB Local on the data of `make dev`, when the
// endpoint is a port of this machine and that data exists.
func startDynamoDB(ctx context.Context, u *url.URL) (*localcloud.Process, error) {
	host, p, err := net.SplitHostPort(u.Host)
	port, perr := strconv.Atoi(p)
	if err != nil || perr != nil || (host != "127.0.0.1" && host != "localhost") {
		return nil, fmt.Errorf("nothing answers on %s; start DynamoDB there, or run `make dev` and sweep its table", u)
	}
	root, err := localcloud.Root()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, ".localcloud")
	data := filepath.Join(dir, "dynamodb")
	if _, err := os.Stat(data); err != nil {
		return nil, fmt.Errorf("DynamoDB Local is not running on %s and there is no local data in %s: run `make dev` first", u.Host, data)
	}
	log, err := os.OpenFile(filepath.Join(dir, "standins.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	// The process keeps its own copy of the descriptor.
	defer log.Close()
	fmt.Fprintf(os.Stderr, "DynamoDB Local is not running on %s; starting it on %s for this sweep\n", u.Host, data)
	proc, err := localcloud.StartDynamoDB(ctx, root, port, data, log)
	if err != nil {
		return nil, fmt.Errorf("start DynamoDB Local (or run `make dev` first): %w", err)
	}
	return proc, nil
}

// checkTable makes sure the table is there with the sweep's index, so a
// missing one is told plainly rather than as the sweep's first error.
func checkTable(ctx context.Context, db *dynamodb.Client, table, endpoint string) error {
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return fmt.Errorf("no table %s on %s: run `make dev` once to create it, or name another with -table", table, endpoint)
	}
	if err != nil {
		return fmt.Errorf("read table %s on %s: %w", table, endpoint, err)
	}
	for _, ix := range out.Table.GlobalSecondaryIndexes {
		if aws.ToString(ix.IndexName) == topology.IndexExpiry {
			return nil
		}
	}
	// A table made before the index existed: add it, as `make dev` does.
	fmt.Fprintf(os.Stderr, "adding the %s index to %s (made before the index existed)\n", topology.IndexExpiry, table)
	return ddb.EnsureTable(ctx, db, table, topology.PrivacyTable)
}

// progressLine shows a run's counts on one line, rewritten in place on a
// terminal and one line per update elsewhere.
type progressLine struct {
	mu   sync.Mutex
	w    io.Writer
	tty  bool
	last int // width of the line shown, to blank what is left of it
}

func newProgressLine(f *os.File) *progressLine {
	st, err := f.Stat()
	return &progressLine{w: f, tty: err == nil && st.Mode()&os.ModeCharDevice != 0}
}

func (p *progressLine) show(r retention.Report) {
	var kinds []string
	for _, k := range slices.Sorted(maps.Keys(r.Removed)) {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, r.Removed[k]))
	}
	s := fmt.Sprintf("%s: %d removed", r.Status, r.Total())
	if len(kinds) > 0 {
		s += " (" + strings.Join(kinds, ", ") + ")"
	}
	s += fmt.Sprintf(", %d dependents, %d kept, %d buckets read", r.Dependents, r.Kept, r.Buckets)
	if n := errorCount(r); n > 0 {
		s += fmt.Sprintf(", %d errors", n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		fmt.Fprintln(p.w, s)
		return
	}
	pad := max(p.last-len(s), 0)
	fmt.Fprintf(p.w, "\r%s%s", s, strings.Repeat(" ", pad))
	p.last = len(s)
}

// done ends the line on a terminal.
func (p *progressLine) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.last > 0 {
		fmt.Fprintln(p.w)
		p.last = 0
	}
}

func errorCount(r retention.Report) int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

func envPort(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
