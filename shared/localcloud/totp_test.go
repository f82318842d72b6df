package localcloud

import (
	"encoding/base32"
	"testing"
	"time"
)

// TestTOTPMatchesRFC6238: the SHA-1 test vectors of RFC 6238 appendix B
// (the 8-digit codes' last six digits).
func TestTOTPMatchesRFC6238(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, tc := range []struct {
		at   int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}} {
		got, err := TOTP(secret, time.Unix(tc.at, 0))
		if err != nil || got != tc.want {
			t.Errorf("at %d: %q %v, want %q", tc.at, got, err, tc.want)
		}
	}
	if _, err := TOTP("not base32!", time.Now()); err == nil {
		t.Error("a secret that is not base32 gave a code")
	}
}
