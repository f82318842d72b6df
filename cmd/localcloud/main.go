// Command localcloud is `make dev`: the whole service on this machine with no
// AWS account. Ports come from API_PORT (3000), DYNAMODB_PORT (8000) and
// SES_PORT (8005); data is kept in .localcloud/ across restarts. Ctrl-C or
// SIGTERM stops everything it started.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/claritru/privacy/shared/localcloud"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "localcloud:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer foreground()()
	root, err := localcloud.Root()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, ".localcloud")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	pepper, err := secret(dir, "SUBJECT_PEPPER", "pepper")
	if err != nil {
		return err
	}
	adminToken, err := secret(dir, "ADMIN_TOKEN", "admin_token")
	if err != nil {
		return err
	}
	procLog, err := os.OpenFile(filepath.Join(dir, "standins.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer procLog.Close()
	o := localcloud.Options{
		Root:         root,
		APIPort:      port("API_PORT", 3000),
		DynamoDBPort: port("DYNAMODB_PORT", 8000),
		SESPort:      port("SES_PORT", 8005),
		SMSPort:      port("SMS_PORT", 8006),
		MailTapPort:  port("MAIL_TAP_PORT", 8007),
		SecretsPort:  port("SECRETS_PORT", 8008),
		ReceiverPort: port("RECEIVER_PORT", 8009),
		CognitoPort:  port("COGNITO_PORT", 9229),
		DataDir:      filepath.Join(dir, "dynamodb"),
		CognitoDir:   filepath.Join(dir, "cognito"),
		Pepper:       pepper,
		AdminToken:   string(adminToken),
		MailFrom:     os.Getenv("MAIL_FROM"),
		// The deadline digest goes here; its mails show in the local inbox.
		PrivacyTeamEmail: os.Getenv("PRIVACY_TEAM_EMAIL"),
		// Every mail's footer; empty is a sample address.
		PostalAddress: os.Getenv("POSTAL_ADDRESS"),
		TimeZone:      os.Getenv("COMPANY_TIME_ZONE"),
		ProcessLog:    procLog,
		Log:           slog.New(slog.NewJSONHandler(os.Stderr, nil)),
	}
	fmt.Println("Starting DynamoDB Local, the SES stand-in, cognito-local, the SMS sink, the Secrets Manager stand-in, the sample webhook receiver and the local gateway...")
	c, err := localcloud.Start(ctx, o)
	if err != nil {
		c.Stop()
		return err
	}
	staffFile := filepath.Join(dir, "staff.json")
	if err := c.WriteStaffFile(staffFile); err != nil {
		c.Stop()
		return err
	}
	defer os.Remove(staffFile)
	fmt.Print(c.Describe())
	fmt.Print(c.DescribeStaff("go run ./cmd/stafftoken"))
	if os.Getenv("ADMIN_TOKEN") == "" {
		fmt.Printf("Machine routes' token (ADMIN_TOKEN, kept in .localcloud/admin_token; IAM in AWS):\n  %s\n", adminToken)
		fmt.Printf("  e.g. curl -H 'Authorization: Bearer %s' %s/v1/machine/suppression?format=csv\n", adminToken, c.APIURL)
	}
	<-ctx.Done()
	fmt.Println("\nStopping...")
	c.Stop()
	return nil
}

func port(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// secret is the environment variable env, or a value generated on first run
// and kept in .localcloud/<file>, so subject keys and the staff token stay
// stable across restarts.
func secret(dir, env, file string) ([]byte, error) {
	if p := os.Getenv(env); p != "" {
		return []byte(p), nil
	}
	path := filepath.Join(dir, file)
	b, err := os.ReadFile(path)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	b = []byte(hex.EncodeToString(raw))
	return b, os.WriteFile(path, b, 0o600)
}
