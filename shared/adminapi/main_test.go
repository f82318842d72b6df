package adminapi_test

import (
	"os"
	"testing"

	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// The store-backed routes run against DynamoDB Local.
func TestMain(m *testing.M) { os.Exit(localtest.Main(m, false)) }
