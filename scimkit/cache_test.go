package scimkit

import (
	"context"
	"testing"
	"time"
)

// TestAuthCache: a token revoked or a directory deactivated through this
// Server is refused at once; changed behind its back (another instance,
// the Store), within CacheTTL; with CacheTTL negative, at once.
func TestAuthCache(t *testing.T) {
	ctx := context.Background()
	t.Run("through this Server", func(t *testing.T) {
		e := newTestEnv(t, nil)
		e.must(200, e.do("GET", "/Users", e.token, nil))
		if _, err := e.srv.DeactivateDirectory(ctx, e.dir.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		e.scimErr(e.do("GET", "/Users", e.token, nil), 403, "")
		if _, err := e.srv.ActivateDirectory(ctx, e.dir.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		e.must(200, e.do("GET", "/Users", e.token, nil))
		toks, err := e.srv.ListTokens(ctx, e.dir.ID)
		if err != nil || len(toks) != 1 {
			t.Fatalf("ListTokens: %v %v", toks, err)
		}
		if err := e.srv.RevokeToken(ctx, e.dir.ID, toks[0].ID); err != nil {
			t.Fatal(err)
		}
		e.scimErr(e.do("GET", "/Users", e.token, nil), 401, "")
	})
	t.Run("behind its back", func(t *testing.T) {
		e := newTestEnv(t, nil)
		other, err := New(Config{Store: e.st, BaseURL: "https://app.example.com/scim", Now: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		e.must(200, e.do("GET", "/Users", e.token, nil))
		if _, err := other.DeactivateDirectory(ctx, e.dir.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		e.must(200, e.do("GET", "/Users", e.token, nil)) // within CacheTTL
		e.clock.Add(DefaultCacheTTL)
		e.scimErr(e.do("GET", "/Users", e.token, nil), 403, "")
		if _, err := other.ActivateDirectory(ctx, e.dir.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(DefaultCacheTTL)
		e.must(200, e.do("GET", "/Users", e.token, nil))
		toks, _ := e.srv.ListTokens(ctx, e.dir.ID)
		if err := other.RevokeToken(ctx, e.dir.ID, toks[0].ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(DefaultCacheTTL - time.Millisecond)
		e.must(200, e.do("GET", "/Users", e.token, nil))
		e.clock.Add(time.Millisecond)
		e.scimErr(e.do("GET", "/Users", e.token, nil), 401, "")
	})
	t.Run("recording use does not extend a cached entry", func(t *testing.T) {
		e := newTestEnv(t, func(c *Config) { c.CacheTTL = 5 * time.Minute })
		e.must(200, e.do("GET", "/Users", e.token, nil)) // read, then its first use recorded
		toks, _ := e.srv.ListTokens(ctx, e.dir.ID)
		if err := e.st.RevokeDirectoryToken(ctx, toks[0].ID, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		// Past the minute after which a use is recorded again, within the
		// TTL: still the cached answer.
		e.clock.Add(2 * time.Minute)
		e.must(200, e.do("GET", "/Users", e.token, nil))
		// The TTL counts from the read, not from the recorded use.
		e.clock.Add(3 * time.Minute)
		e.scimErr(e.do("GET", "/Users", e.token, nil), 401, "")
	})
	t.Run("expiry is checked on every request", func(t *testing.T) {
		e := newTestEnv(t, nil)
		tok, _, err := e.srv.CreateToken(ctx, e.dir.ID, TokenOptions{ExpiresAt: e.clock.Now().Add(100 * time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
		e.must(200, e.do("GET", "/Users", tok, nil))
		e.clock.Add(100 * time.Millisecond)
		e.scimErr(e.do("GET", "/Users", tok, nil), 401, "")
	})
	t.Run("off", func(t *testing.T) {
		e := newTestEnv(t, func(c *Config) { c.CacheTTL = -1 })
		e.must(200, e.do("GET", "/Users", e.token, nil))
		toks, _ := e.srv.ListTokens(ctx, e.dir.ID)
		if err := e.st.RevokeDirectoryToken(ctx, toks[0].ID, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.scimErr(e.do("GET", "/Users", e.token, nil), 401, "")
	})
}

func TestTTLCache(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newTTLCache[string](time.Second)
	c.put("a", "1", t0, c.generation())
	if v, ok := c.get("a", t0.Add(999*time.Millisecond)); !ok || v != "1" {
		t.Fatalf("get within the TTL: %q %v", v, ok)
	}
	if _, ok := c.get("a", t0.Add(time.Second)); ok {
		t.Fatal("kept past the TTL")
	}
	if _, ok := c.get("a", t0.Add(500*time.Millisecond)); ok {
		t.Fatal("an expired entry came back")
	}
	c.put("b", "2", t0, c.generation())
	if _, ok := c.get("b", t0.Add(-time.Second)); ok {
		t.Fatal("an entry from the future of a clock set back was used")
	}
	// A value read before a drop is not kept: it may predate the change.
	gen := c.generation()
	c.drop(func(string) bool { return false })
	c.put("c", "3", t0, gen)
	if _, ok := c.get("c", t0); ok {
		t.Fatal("a value read before a drop was kept")
	}
	c.put("d", "x", t0, c.generation())
	c.put("e", "y", t0, c.generation())
	c.drop(func(v string) bool { return v == "x" })
	if _, ok := c.get("d", t0); ok {
		t.Fatal("drop kept a matching entry")
	}
	if _, ok := c.get("e", t0); !ok {
		t.Fatal("drop removed another entry")
	}
	// Bounded.
	for i := range 2 * maxCached {
		c.put(string(rune(i+1000)), "v", t0, c.generation())
	}
	if n := len(c.m); n > maxCached {
		t.Fatalf("%d entries, want at most %d", n, maxCached)
	}
	off := newTTLCache[string](-1)
	off.put("a", "1", t0, off.generation())
	if _, ok := off.get("a", t0); ok {
		t.Fatal("a cache with a negative TTL kept a value")
	}
}
