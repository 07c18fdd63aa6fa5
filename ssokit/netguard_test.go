package ssokit

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestAllowedAddress(t *testing.T) {
	cases := []struct {
		addr string
		ok   bool
	}{
		{"8.8.8.8", true},
		{"2606:4700:4700::1111", true},
		{"2002:808:808::1", true}, // 6to4 of a public address
		{"10.0.0.1", false},
		{"127.0.0.1", false},
		{"0.0.0.0", false},
		{"169.254.169.254", false},
		{"100.64.0.1", false},
		{"::ffff:127.0.0.1", false}, // IPv4-mapped
		{"::ffff:10.0.0.1", false},
		{"::127.0.0.1", false},         // IPv4-compatible
		{"::8.8.8.8", false},           // IPv4-compatible, deprecated
		{"::ffff:0:127.0.0.1", false},  // SIIT
		{"64:ff9b::a00:1", false},      // NAT64 well-known
		{"64:ff9b:1::a00:1", false},    // NAT64 local-use
		{"2002:a00:1::1", false},       // 6to4 of 10.0.0.1
		{"2002:7f00:1::1", false},      // 6to4 of 127.0.0.1
		{"2002:a9fe:a9fe::1", false},   // 6to4 of 169.254.169.254
		{"fec0::1", false},             // site-local
		{"fd00::1", false},             // unique local
		{"fe80::1", false},             // link-local
		{"::1", false},                 // loopback
		{"::", false},                  // unspecified
		{"2001:0:4136:e378::1", false}, // Teredo
		{"2001:db8::1", false},         // documentation
		{"ff02::1", false},             // multicast
	}
	for _, tc := range cases {
		if got := allowedAddress(netip.MustParseAddr(tc.addr)); got != tc.ok {
			t.Errorf("allowedAddress(%s) = %v, want %v", tc.addr, got, tc.ok)
		}
	}
}

// TestGuardedClientRefusesPrivateTargets: literal private addresses,
// IPv6-mapped ones, 0.0.0.0 and decimal forms never reach a socket, and
// the dialer refuses what a name resolves to when it is private (the check
// a redirect or DNS rebinding meets).
func TestGuardedClientRefusesPrivateTargets(t *testing.T) {
	c := guardedClient(nil, false, 0)
	for _, u := range []string{
		"https://10.0.0.1/", "https://[::ffff:127.0.0.1]/", "https://0.0.0.0/", "https://[::ffff:0:a00:1]/",
		"https://[2002:a00:1::1]/", "https://localhost:1/", "https://2130706433/", "https://0x7f000001/",
		"http://8.8.8.8/",
	} {
		resp, err := c.Get(u)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: request made", u)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	guardTransport(tr)
	for _, a := range []string{"127.0.0.1:443", "[::1]:443", "[::ffff:10.1.2.3]:443", "0.0.0.0:443"} {
		conn, err := tr.DialContext(t.Context(), "tcp", a)
		if err == nil {
			conn.Close()
			t.Errorf("dialled %s", a)
		} else if !errors.Is(err, errForbiddenAddress) {
			t.Errorf("dial %s: %v, want errForbiddenAddress", a, err)
		}
	}
}

// TestGuardedClientRedirectToPrivate: a redirect is a new request through
// the same guard.
func TestGuardedClientRedirectToPrivate(t *testing.T) {
	hops := 0
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		hops++
		return &http.Response{StatusCode: http.StatusFound, Header: http.Header{"Location": {"https://169.254.169.254/latest/meta-data/"}},
			Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	})
	c := guardedClient(&http.Client{Transport: rt}, false, 0)
	_, err := c.Get("https://idp.example.com/.well-known/openid-configuration")
	if !errors.Is(err, errForbiddenAddress) || hops != 1 {
		t.Fatalf("err = %v after %d hops, want errForbiddenAddress after 1", err, hops)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestGuardedClientCapsBodies(t *testing.T) {
	big := bytes.Repeat([]byte("a"), maxIdPBody+1)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte("a"), 64<<20))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write(big)
		case "/exact":
			w.Write(big[:maxIdPBody])
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "application/json")
			w.Write(gz.Bytes())
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		client *http.Client
	}{
		{"default client", guardedClient(nil, true, 0)},
		{"host client, gzip-decoding transport", guardedClient(&http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := http.DefaultTransport.RoundTrip(r)
			if err == nil && resp.Header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(resp.Body)
				if err != nil {
					return nil, err
				}
				resp.Body = io.NopCloser(zr)
			}
			return resp, err
		})}, true, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := func(path string) (int, error) {
				resp, err := tc.client.Get(srv.URL + path)
				if err != nil {
					return 0, err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				return len(b), err
			}
			if _, err := read("/big"); !errors.Is(err, errBodyTooLarge) {
				t.Errorf("big body: %v", err)
			}
			if n, err := read("/exact"); err != nil || n != maxIdPBody {
				t.Errorf("body at the limit: %d, %v", n, err)
			}
			if n, err := read("/gzip"); n > maxIdPBody || (err == nil && n != gz.Len()) {
				t.Errorf("gzip bomb: read %d bytes, %v", n, err)
			}
		})
	}
	if c := guardedClient(&http.Client{}, false, 0); c.Timeout != idpTimeout {
		t.Errorf("host client without timeout: Timeout = %v", c.Timeout)
	}
	if c := guardedClient(&http.Client{Timeout: time.Minute}, false, 0); c.Timeout != time.Minute {
		t.Errorf("host timeout not kept: %v", c.Timeout)
	}
}
