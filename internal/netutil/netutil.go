// Package netutil holds small network helpers shared by the kits.
package netutil

import (
	"fmt"
	"net/netip"
	"net/url"
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

// ParseBaseURL checks the URL at which a surface is mounted (the
// Config field named field of package pkg) and returns it without a
// trailing slash. It must be absolute, without user info, query or
// fragment, and https except on localhost, 127.0.0.1 or [::1].
func ParseBaseURL(pkg, field, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%s: Config.%s is required", pkg, field)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: Config.%s: %w", pkg, field, err)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("%s: Config.%s %q must be an absolute URL without user info, query or fragment", pkg, field, raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("%s: Config.%s %q must be https (http only on localhost)", pkg, field, raw)
		}
	default:
		return nil, fmt.Errorf("%s: Config.%s %q must be https", pkg, field, raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}
