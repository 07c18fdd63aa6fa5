package scimkit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/store"
)

// TestDirectoryRateLimit: a directory over its rate gets 429 with
// Retry-After and a SCIM error body, writes nothing, and leaves another
// directory's requests alone.
func TestDirectoryRateLimit(t *testing.T) {
	e := newTestEnv(t, func(c *Config) {
		c.Limits.PerDirectory = limits.Rate{PerSecond: 0.5, Burst: 2}
	})
	other, err := e.srv.CreateDirectory(context.Background(), e.org.ID, DirectoryOptions{Provider: "entra", Name: "Entra", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	otherTok, _, err := e.srv.CreateToken(context.Background(), other.ID, TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.must(http.StatusCreated, e.do("POST", "/Users", e.token, map[string]any{"userName": "a@example.com"}))
	e.must(http.StatusOK, e.do("GET", "/Users", e.token, nil))
	r := e.do("POST", "/Users", e.token, map[string]any{"userName": "b@example.com"})
	e.scimErr(r, http.StatusTooManyRequests, "")
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Fatalf("Retry-After %q, want 2 (one request every two seconds)", got)
	}
	if _, n, err := e.st.ListDirectoryUsers(context.Background(), e.dir.ID, store.UserQuery{}); err != nil || n != 1 {
		t.Fatalf("after a refused create: %d users (%v), want 1", n, err)
	}
	// The other directory is not slowed down.
	for range 2 {
		e.must(http.StatusOK, e.doDir(other.ID, "GET", "/Users", otherTok, nil))
	}
	e.clock.Add(2 * time.Second)
	e.must(http.StatusCreated, e.do("POST", "/Users", e.token, map[string]any{"userName": "b@example.com"}))
	e.scimErr(e.do("GET", "/Users", e.token, nil), http.StatusTooManyRequests, "")
}

// TestUnauthenticatedRateLimit: a client address whose requests fail
// authentication is refused with 429 before its tokens are looked at; one
// whose requests authenticate is never charged; X-Forwarded-For counts
// only from a trusted proxy.
func TestUnauthenticatedRateLimit(t *testing.T) {
	e := newTestEnv(t, func(c *Config) {
		c.Limits.Unauthenticated = limits.Rate{PerSecond: 1, Burst: 3}
		c.TrustedProxies, _ = limits.ParsePrefixes([]string{"10.0.0.0/8"})
	})
	send := func(remote, xff, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/"+e.dir.ID+"/Users", nil)
		r.RemoteAddr = remote
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, r)
		return w
	}
	wrong := TokenPrefix + strings.Repeat("A", 43)
	// Authenticated requests take nothing from the allowance.
	for range 10 {
		if w := send("203.0.113.1:1", "", e.token); w.Code != http.StatusOK {
			t.Fatalf("authenticated request: %d", w.Code)
		}
	}
	for i, tok := range []string{"", "garbage", wrong} {
		if w := send("203.0.113.1:1", "", tok); w.Code != http.StatusUnauthorized {
			t.Fatalf("failed authentication %d: %d", i+1, w.Code)
		}
	}
	lookups := e.logs()
	for _, tok := range []string{wrong, e.token} {
		w := send("203.0.113.1:1", "", tok)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
			t.Fatalf("request after the allowance: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
		if !strings.Contains(w.Body.String(), `"status":"429"`) || !strings.Contains(w.Body.String(), errorURI) {
			t.Fatalf("429 body is not a SCIM error: %s", w.Body)
		}
	}
	if strings.Count(e.logs(), "unknown bearer token") != strings.Count(lookups, "unknown bearer token") {
		t.Fatal("a refused request's token was looked up")
	}
	// Another address, and a spoofed header from an untrusted peer, are
	// not affected; the header of a trusted proxy is believed.
	if w := send("203.0.113.2:1", "", e.token); w.Code != http.StatusOK {
		t.Fatalf("another address: %d", w.Code)
	}
	if w := send("203.0.113.2:1", "203.0.113.1", e.token); w.Code != http.StatusOK {
		t.Fatalf("X-Forwarded-For believed from an untrusted peer: %d", w.Code)
	}
	if w := send("10.0.0.5:1", "203.0.113.1", e.token); w.Code != http.StatusTooManyRequests {
		t.Fatalf("the client behind a trusted proxy escaped its limit: %d", w.Code)
	}
	if w := send("10.0.0.5:1", "203.0.113.9", e.token); w.Code != http.StatusOK {
		t.Fatalf("another client behind the proxy: %d", w.Code)
	}
	e.clock.Add(time.Second)
	if w := send("203.0.113.1:1", "", e.token); w.Code != http.StatusOK {
		t.Fatalf("after Retry-After: %d", w.Code)
	}
}

func TestLimitsValidated(t *testing.T) {
	st := newTestEnv(t, nil).st
	for _, l := range []Limits{
		{PerDirectory: limits.Rate{PerSecond: -1, Burst: 1}},
		{Unauthenticated: limits.Rate{PerSecond: 1}},
	} {
		if _, err := New(Config{Store: st, BaseURL: "https://app.example.com/scim", Limits: l}); err == nil {
			t.Fatalf("New accepted Limits %+v", l)
		}
	}
	if _, err := New(Config{Store: st, BaseURL: "https://app.example.com/scim", Limits: Limits{PerDirectory: limits.Rate{Unlimited: true}}}); err != nil {
		t.Fatal(err)
	}
}
