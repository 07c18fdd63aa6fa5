package mgmtapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/limits"
)

// TestMgmtAPIRateLimit: one client address over its rate gets 429 with
// Retry-After and the code rate_limited, before its key is looked at, and
// nothing changes; another address is not affected.
func TestMgmtAPIRateLimit(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		c.MgmtAPI.Limit = limits.Rate{PerSecond: 1, Burst: 2}
		c.MgmtAPI.Now = clock.Now
	})
	if w, _ := h.APIWith("", http.MethodGet, "/organizations", nil); w.Code != http.StatusUnauthorized {
		t.Fatalf("first request: %d", w.Code)
	}
	if w, _ := h.API(http.MethodGet, "/organizations", nil); w.Code != http.StatusOK {
		t.Fatalf("second request: %d", w.Code)
	}
	before := h.EventCount()
	w, body := h.API(http.MethodPost, "/organizations", map[string]any{"name": "Flood"})
	if w.Code != http.StatusTooManyRequests || surfacetest.ErrorCode(body) != "rate_limited" || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("third request: %d %v Retry-After %q", w.Code, body, w.Header().Get("Retry-After"))
	}
	if h.EventCount() != before {
		t.Fatal("a refused request wrote an event")
	}
	if !strings.Contains(h.Logs.String(), "mgmtapi: client over its request rate") {
		t.Fatalf("no log of the refusal:\n%s", h.Logs)
	}
	r := httptest.NewRequest(http.MethodGet, surfacetest.Origin+"/api/organizations", nil)
	r.RemoteAddr = "198.51.100.7:9000"
	r.Header.Set("Authorization", "Bearer "+h.Key)
	if w := h.Do(r); w.Code != http.StatusOK {
		t.Fatalf("another address: %d", w.Code)
	}
	clock.Add(time.Second)
	if w, _ := h.API(http.MethodGet, "/organizations", nil); w.Code != http.StatusOK {
		t.Fatalf("after Retry-After: %d", w.Code)
	}
}
