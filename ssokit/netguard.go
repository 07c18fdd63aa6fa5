package ssokit

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// errForbiddenAddress is returned when an outbound request to an IdP would
// reach a private, loopback or link-local address.
var errForbiddenAddress = errors.New("ssokit: address not allowed (private, loopback or link-local)")

var forbiddenPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated), ::, ::1
	netip.MustParsePrefix("::ffff:0:0:0/96"), // SIIT IPv4-translated
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 can reach IPv4 internals
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/32"),       // Teredo
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

var prefix6to4 = netip.MustParsePrefix("2002::/16")

// allowedAddress reports whether an IdP endpoint may be reached at a.
// IPv4-mapped addresses are judged as IPv4, 6to4 addresses by the IPv4
// address they embed.
func allowedAddress(a netip.Addr) bool {
	a = a.Unmap()
	if a.Is6() && prefix6to4.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
	}
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range forbiddenPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// guardedClient returns the client used for every request to an IdP
// (metadata, discovery, JWKS, token, userinfo). Unless insecure, it only
// speaks https and refuses to connect to private, loopback and link-local
// addresses; the check runs on the address actually dialled, so DNS
// rebinding cannot bypass it. Environment proxies are not used by the
// guarded client; a host that needs an egress proxy passes an HTTPClient
// whose Transport is not an *http.Transport, in which case only the scheme
// is checked.
//
// Whatever the client, every response body is capped at maxBody bytes
// (at least maxIdPBody; counted after any decompression, and the guarded
// transports do not ask for gzip),
// and a client without a Timeout gets idpTimeout.
func guardedClient(base *http.Client, insecure bool, maxBody int64) *http.Client {
	c := &http.Client{}
	if base != nil {
		cp := *base
		c = &cp
	}
	if c.Timeout == 0 {
		c.Timeout = idpTimeout
	}
	var rt http.RoundTripper
	switch t := c.Transport.(type) {
	case nil:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DisableCompression = true
		if !insecure {
			guardTransport(tr)
		}
		rt = tr
	case *http.Transport:
		tr := t.Clone()
		tr.DisableCompression = true
		if !insecure {
			guardTransport(tr)
		}
		rt = tr
	default:
		rt = t
	}
	if !insecure {
		rt = httpsOnly{rt}
	}
	c.Transport = cappedBody{rt, max(maxBody, maxIdPBody)}
	return c
}

const (
	maxIdPBody = 1 << 20 // discovery, JWKS, token and userinfo responses
	idpTimeout = 10 * time.Second
)

// errBodyTooLarge is returned by a capped response body past its limit.
var errBodyTooLarge = errors.New("ssokit: identity provider response too large")

// cappedBody limits every response body to max bytes; reading past the
// limit fails instead of truncating.
type cappedBody struct {
	rt  http.RoundTripper
	max int64
}

func (c cappedBody) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: c.max}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One more byte tells a body of exactly the limit from a larger one.
		var one [1]byte
		if n, _ := l.rc.Read(one[:]); n > 0 {
			return 0, errBodyTooLarge
		}
		return l.rc.Read(p[:0])
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

func guardTransport(tr *http.Transport) {
	tr.Proxy = nil
	d := &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", errForbiddenAddress, address)
			}
			if !allowedAddress(ap.Addr()) {
				return fmt.Errorf("%w: %s", errForbiddenAddress, ap.Addr())
			}
			return nil
		},
	}
	tr.DialContext = d.DialContext
}

type httpsOnly struct{ rt http.RoundTripper }

func (h httpsOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "https" {
		return nil, fmt.Errorf("ssokit: %s: only https is allowed for identity provider endpoints", r.URL.Redacted())
	}
	if a, err := netip.ParseAddr(r.URL.Hostname()); err == nil && !allowedAddress(a) {
		return nil, fmt.Errorf("%w: %s", errForbiddenAddress, a)
	}
	return h.rt.RoundTrip(r)
}

// checkIdPURL validates a URL configured or published for an IdP (metadata
// URL, SSO location, issuer): absolute http(s), https unless insecure, no
// user info. It refuses javascript:, data: and every other scheme.
func checkIdPURL(raw string, insecure bool) error {
	u, err := parseAbsURL(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" && !(insecure && u.Scheme == "http") {
		return fmt.Errorf("ssokit: URL %q must use https", truncate(raw, 200))
	}
	if !insecure {
		if a, err := netip.ParseAddr(u.Hostname()); err == nil && !allowedAddress(a) {
			return fmt.Errorf("%w: %s", errForbiddenAddress, a)
		}
		if u.Hostname() == "localhost" {
			return fmt.Errorf("%w: localhost", errForbiddenAddress)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
