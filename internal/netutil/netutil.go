// Package netutil holds small network helpers shared by the kits.
package netutil

import (
	"net/netip"
	"strings"
)

// IsLoopbackHost reports whether the host part of a URL (no port, no
// brackets) names this machine: "localhost" in any case, or a loopback IPv4
// or IPv6 address. The kits allow plain http only for such hosts.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
