package drp

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestPublicAddress(t *testing.T) {
	for _, c := range []struct {
		addr     string
		loopback bool
		ok       bool
	}{
		{"93.184.215.14:443", false, true},
		{"[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443", false, true},
		{"127.0.0.1:443", false, false},
		{"127.0.0.1:8080", true, true},
		{"[::1]:443", false, false},
		{"10.0.0.8:443", true, false},
		{"172.16.3.4:443", false, false},
		{"192.168.1.1:443", false, false},
		{"100.64.0.9:443", false, false},
		{"169.254.169.254:80", false, false},
		{"[fe80::1]:443", false, false},
		{"[fd00::1]:443", false, false},
		{"[::ffff:10.0.0.1]:443", false, false},
		{"0.0.0.0:443", false, false},
		{"224.0.0.1:443", false, false},
	} {
		err := PublicAddress(c.loopback)("tcp", c.addr, nil)
		if (err == nil) != c.ok {
			t.Errorf("%s (loopback %v): %v, want allowed %v", c.addr, c.loopback, err, c.ok)
		}
	}
}

// A client dialling through the check cannot reach a server on the
// loopback host unless loopback is allowed.
func TestPublicAddressStopsTheDial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	client := func(loopback bool) *http.Client {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = (&net.Dialer{Control: PublicAddress(loopback)}).DialContext
		return &http.Client{Transport: tr}
	}
	if _, err := client(false).Get(srv.URL); err == nil {
		t.Error("reached a loopback server with loopback refused")
	}
	resp, err := client(true).Get(srv.URL)
	if err != nil {
		t.Fatalf("loopback allowed: %v", err)
	}
	resp.Body.Close()
}
