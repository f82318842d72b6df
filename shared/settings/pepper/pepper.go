// Package pepper reads the secret of the subject keys, for the functions that
// key subjects; the others do not link the Secrets Manager client.
package pepper

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/claritru/privacy/shared/subject"
	"github.com/claritru/privacy/shared/topology"
)

// Read returns the secret of the subject keys: SUBJECT_PEPPER locally, else
// the Secrets Manager secret named by SUBJECT_PEPPER_SECRET_ARN, read once.
func Read(ctx context.Context, cfg aws.Config) ([]byte, error) {
	if p := os.Getenv("SUBJECT_PEPPER"); p != "" {
		return []byte(p), nil
	}
	arn := os.Getenv(topology.EnvPepperSecret)
	if arn == "" {
		return nil, errors.New("neither SUBJECT_PEPPER nor " + topology.EnvPepperSecret + " is set")
	}
	out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("read subject pepper: %w", err)
	}
	return []byte(aws.ToString(out.SecretString)), nil
}

// Keyer reads the pepper once and returns the subject keyer built on it.
func Keyer(ctx context.Context, cfg aws.Config) (*subject.Keyer, error) {
	p, err := Read(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return subject.NewKeyer(p)
}
