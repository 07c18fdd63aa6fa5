package limits

import (
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds the X-Forwarded-For entries ClientIP reads.
const maxForwardedHops = 32

// ClientIP returns the address a request came from: the connection's
// (r.RemoteAddr), or, when that is one of trusted, the rightmost address of
// X-Forwarded-For that is not trusted (see the package documentation). It
// returns the zero Addr when RemoteAddr is not an address (a test's
// request, a Unix socket).
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	var addr netip.Addr
	if err == nil {
		addr = ap.Addr().Unmap()
	} else if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		addr = a.Unmap()
	}
	if !addr.IsValid() || !contains(trusted, addr) {
		return addr
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
		if len(hops) > 4*maxForwardedHops {
			break
		}
	}
	for i, n := len(hops)-1, 0; i >= 0 && n < maxForwardedHops; i, n = i-1, n+1 {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// A hop the proxies did not write: stop at the last one
			// they vouch for.
			return addr
		}
		addr = a.Unmap()
		if !contains(trusted, addr) {
			return addr
		}
	}
	return addr
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientKey returns the key a client's requests are counted under: its
// IPv4 address, or the /64 of its IPv6 address. Requests without an
// address share the key "unknown".
func ClientKey(r *http.Request, trusted []netip.Prefix) string {
	a := ClientIP(r, trusted)
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is4():
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}

// ParsePrefixes parses addresses ("10.0.0.1") and CIDR blocks
// ("10.0.0.0/8", "fd00::/8") for a TrustedProxies setting read from the
// environment or flags.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, err
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, err
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
