package drp

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// sharedSpace is the carrier-grade NAT range (RFC 6598), private in all
// but name.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// PublicAddress is a dialer's Control that refuses to connect a callback
// anywhere but a public unicast address. A status_callback is the agent's
// word, and the name in it may resolve to the service's own network (the
// instance metadata at 169.254.169.254, private ranges); the check is made
// on the address actually dialled, after the name was resolved. Loopback is
// allowed only where plain http to it is (the local cloud).
func PublicAddress(loopback bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("callback address %q is not an IP address", host)
		}
		ip = ip.Unmap()
		switch {
		case ip.IsLoopback() && loopback:
			return nil
		case !ip.IsGlobalUnicast(), ip.IsPrivate(), sharedSpace.Contains(ip):
			return fmt.Errorf("callback address %s is not a public one", ip)
		}
		return nil
	}
}
