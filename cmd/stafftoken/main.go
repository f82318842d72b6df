// Command stafftoken signs a seeded staff user in to the pool of the running
// `make dev` (cognito-local: password, then the authenticator's code) and
// prints the access token, for scripts and curl:
//
//	curl -H "Authorization: Bearer $(go run ./cmd/stafftoken -user handler)" \
//	  http://127.0.0.1:3000/v1/admin/requests
//
// With -code it prints the user's current authenticator code instead, to
// type into the console's sign-in form. It reads what `make dev` wrote in
// .localcloud/staff.json.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/claritru/privacy/shared/localcloud"
)

func main() {
	user := flag.String("user", "handler", "the seeded user: viewer, handler or admin")
	code := flag.Bool("code", false, "print the current authenticator code, not a token")
	file := flag.String("file", "", "the pool file `make dev` wrote (default .localcloud/staff.json at the repository root)")
	flag.Parse()
	if err := run(os.Stdout, *user, *code, *file); err != nil {
		fmt.Fprintln(os.Stderr, "stafftoken:", err)
		os.Exit(1)
	}
}

func run(out io.Writer, user string, codeOnly bool, file string) error {
	if file == "" {
		root, err := localcloud.Root()
		if err != nil {
			return err
		}
		file = filepath.Join(root, ".localcloud", "staff.json")
	}
	pool, err := localcloud.ReadStaffFile(file)
	if err != nil {
		return fmt.Errorf("%w (is `make dev` running?)", err)
	}
	code, err := pool.Code(user)
	if err != nil {
		return err
	}
	if codeOnly {
		_, err := fmt.Fprintln(out, code)
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tokens, err := pool.SignIn(ctx, user, pool.Password, code)
	if err != nil {
		return fmt.Errorf("sign in %s: %w (is `make dev` running?)", user, err)
	}
	_, err = fmt.Fprintln(out, tokens.AccessToken)
	return err
}
