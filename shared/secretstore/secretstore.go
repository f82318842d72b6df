// Package secretstore reads secrets from AWS Secrets Manager for the
// functions that sign with them (the reach function's webhook keys), and
// keeps each for a few minutes: a key rotated in Secrets Manager is in use
// within that time, without a read per webhook.
package secretstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Keep is how long a secret read is used before it is read again.
const Keep = 5 * time.Minute

// Store reads secrets by name.
type Store struct {
	client *secretsmanager.Client
	now    func() time.Time
	mu     sync.Mutex
	kept   map[string]kept
}

type kept struct {
	value string
	until time.Time
}

// New returns a store on cfg; endpoint, when set, overrides Secrets
// Manager's (the local cloud's stand-in).
func New(cfg aws.Config, endpoint string) *Store {
	c := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	return &Store{client: c, now: time.Now, kept: map[string]kept{}}
}

// Secret returns the secret's current string value.
func (s *Store) Secret(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	k, ok := s.kept[name]
	s.mu.Unlock()
	if ok && s.now().Before(k.until) {
		return k.value, nil
	}
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	v := aws.ToString(out.SecretString)
	s.mu.Lock()
	s.kept[name] = kept{value: v, until: s.now().Add(Keep)}
	s.mu.Unlock()
	return v, nil
}
