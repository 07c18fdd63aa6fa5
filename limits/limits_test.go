package limits_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/store/memstore"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func TestKeyed(t *testing.T) {
	c := newClock()
	k := limits.NewKeyed(limits.Rate{PerSecond: 2, Burst: 3}, c.now)
	for i := range 3 {
		if d := k.Allow("dir_a"); d != 0 {
			t.Fatalf("request %d within the burst refused for %v", i+1, d)
		}
	}
	d := k.Allow("dir_a")
	if d != 500*time.Millisecond {
		t.Fatalf("request past the burst: wait %v, want 500ms", d)
	}
	if p := k.Peek("dir_a"); p != d {
		t.Fatalf("Peek = %v, want %v", p, d)
	}
	if d := k.Allow("dir_b"); d != 0 {
		t.Fatalf("another key refused for %v", d)
	}
	if p := k.Peek("dir_never"); p != 0 {
		t.Fatalf("Peek of an unknown key = %v", p)
	}
	// A refused request takes nothing: after the wait, one goes through.
	c.add(500 * time.Millisecond)
	if d := k.Allow("dir_a"); d != 0 {
		t.Fatalf("request after Retry-After refused for %v", d)
	}
	if d := k.Allow("dir_a"); d == 0 {
		t.Fatal("second request after one refill allowed")
	}
	c.add(time.Hour)
	for i := range 3 {
		if d := k.Allow("dir_a"); d != 0 {
			t.Fatalf("request %d after a quiet hour refused", i+1)
		}
	}
}

func TestKeyedUnlimitedAndNil(t *testing.T) {
	k := limits.NewKeyed(limits.Rate{Unlimited: true}, nil)
	for range 1000 {
		if k.Allow("a") != 0 {
			t.Fatal("Unlimited refused a request")
		}
	}
	var none *limits.Keyed
	if none.Allow("a") != 0 || none.Peek("a") != 0 {
		t.Fatal("a nil Keyed refused a request")
	}
}

// TestKeyedBounded: a flood of distinct keys (spoofed or rotating
// addresses) neither grows memory without bound nor lets a busy key
// escape its limit for long.
func TestKeyedBounded(t *testing.T) {
	c := newClock()
	k := limits.NewKeyed(limits.Rate{PerSecond: 1, Burst: 1}, c.now)
	for i := range 300000 {
		k.Allow(fmt.Sprintf("key-%d", i))
	}
	// The keys are bounded: count by probing; an evicted key starts with a
	// full bucket, so at most 65,536 of them can still be refused.
	refused := 0
	for i := range 300000 {
		if k.Peek(fmt.Sprintf("key-%d", i)) > 0 {
			refused++
		}
	}
	if refused == 0 || refused > 1<<16 {
		t.Fatalf("%d keys still remembered, want between 1 and 65536", refused)
	}
}

func TestRateValidate(t *testing.T) {
	for _, r := range []limits.Rate{{PerSecond: -1, Burst: 1}, {PerSecond: 1}, {Burst: 1}, {PerSecond: 1, Burst: -1}} {
		if r.Validate("X") == nil {
			t.Errorf("Validate(%+v) = nil", r)
		}
	}
	if err := (limits.Rate{Unlimited: true}).Validate("X"); err != nil {
		t.Error(err)
	}
	def := limits.Rate{PerSecond: 5, Burst: 10}
	if got := (limits.Rate{}).Or(def); got != def {
		t.Errorf("zero Rate Or = %+v", got)
	}
	for _, w := range []limits.Window{{Attempts: 1}, {Period: time.Minute}, {Attempts: -1, Period: time.Minute}} {
		if w.Validate("W") == nil {
			t.Errorf("Validate(%+v) = nil", w)
		}
	}
}

// TestShared: attempts are counted in the Store, so two limiters (two app
// instances) over one Store share one allowance.
func TestShared(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	st := memstore.New()
	w := limits.Window{Attempts: 3, Period: time.Minute}
	a, b := limits.NewShared(st, w, c.now), limits.NewShared(st, w, c.now)
	for i, l := range []*limits.Shared{a, b, a} {
		if d, err := l.Allow(ctx, "redeem:192.0.2.1"); err != nil || d != 0 {
			t.Fatalf("attempt %d: %v, %v", i+1, d, err)
		}
	}
	c.add(15 * time.Second)
	d, err := b.Allow(ctx, "redeem:192.0.2.1")
	if err != nil || d != 45*time.Second {
		t.Fatalf("fourth attempt: wait %v, %v; want 45s until the window ends", d, err)
	}
	if d, _ := a.Allow(ctx, "redeem:192.0.2.2"); d != 0 {
		t.Fatal("another key refused")
	}
	c.add(45 * time.Second)
	if d, err := a.Allow(ctx, "redeem:192.0.2.1"); err != nil || d != 0 {
		t.Fatalf("attempt in the next window: %v, %v", d, err)
	}
	if _, err := a.Allow(ctx, string(make([]byte, 201))); err == nil {
		t.Fatal("a key too long for the Store was accepted")
	}
}

func TestSetRetryAfter(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "1", time.Millisecond: "1", time.Second: "1", 1500 * time.Millisecond: "2", time.Minute: "60"} {
		w := httptest.NewRecorder()
		limits.SetRetryAfter(w, d)
		if got := w.Header().Get("Retry-After"); got != want {
			t.Errorf("SetRetryAfter(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestClientIP(t *testing.T) {
	proxies, err := limits.ParsePrefixes([]string{"10.0.0.0/8", " 192.0.2.10 ", "fd00::/8", ""})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string
	}{
		{"no proxies configured: the header is ignored", "203.0.113.7:5000", []string{"198.51.100.1"}, nil, "203.0.113.7"},
		{"an untrusted peer's header is ignored", "203.0.113.7:5000", []string{"198.51.100.1"}, proxies, "203.0.113.7"},
		{"trusted proxy", "10.1.2.3:443", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"spoofed left entries are skipped", "10.1.2.3:443", []string{"1.1.1.1, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"chain of trusted proxies", "10.1.2.3:443", []string{"198.51.100.1, 192.0.2.10", "10.9.9.9"}, proxies, "198.51.100.1"},
		{"garbage hop: stop at the last trusted", "10.1.2.3:443", []string{"198.51.100.1, not-an-ip"}, proxies, "10.1.2.3"},
		{"all trusted: the leftmost", "10.1.2.3:443", []string{"10.0.0.1, 10.0.0.2"}, proxies, "10.0.0.1"},
		{"no header from a trusted proxy", "10.1.2.3:443", nil, proxies, "10.1.2.3"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, proxies, "2001:db8::1"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.7]:443", nil, nil, "203.0.113.7"},
		{"IPv6 trusted proxy", "[fd00::1]:443", []string{"2001:db8::5"}, proxies, "2001:db8::5"},
		{"no address", "pipe", nil, proxies, "invalid IP"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.remote
		for _, h := range tc.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := limits.ClientIP(r, tc.trusted).String(); got != tc.want {
			t.Errorf("%s: ClientIP = %s, want %s", tc.name, got, tc.want)
		}
	}
	if _, err := limits.ParsePrefixes([]string{"10.0.0.0/99"}); err == nil {
		t.Error("ParsePrefixes accepted a bad prefix")
	}
	if _, err := limits.ParsePrefixes([]string{"proxy.internal"}); err == nil {
		t.Error("ParsePrefixes accepted a host name")
	}
}

func TestClientKey(t *testing.T) {
	for remote, want := range map[string]string{
		"203.0.113.7:1":             "203.0.113.7",
		"[2001:db8:1:2:3:4:5:6]:1":  "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::9]:1":  "2001:db8:1:2::/64",
		"[fe80::1%eth0]:1":          "fe80::/64",
		"@":                         "unknown",
		"[::ffff:203.0.113.7]:8443": "203.0.113.7",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		if got := limits.ClientKey(r, nil); got != want {
			t.Errorf("ClientKey(%s) = %s, want %s", remote, got, want)
		}
	}
}

func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:1", "198.51.100.1, 10.0.0.2")
	f.Add("[fd00::1]:1", "x, , ::1%zone,1.2.3.4")
	trusted, _ := limits.ParsePrefixes([]string{"10.0.0.0/8", "fd00::/8"})
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		a := limits.ClientIP(r, trusted)
		if a.IsValid() && a.Is4In6() {
			t.Fatalf("ClientIP returned a mapped address %v", a)
		}
		if direct := limits.ClientIP(r, nil); a != direct && !contains(trusted, direct) {
			t.Fatalf("ClientIP believed the header of an untrusted peer %v: %v", direct, a)
		}
		_ = limits.ClientKey(r, trusted)
	})
}

func contains(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
