package portal

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/limits"
)

// TestLinkAttemptsLimited: link openings and redemptions of one client
// address are counted in the Store, so two app instances share one
// allowance; past it the visitor gets a 429 page with Retry-After, no
// session and no consumed link; another address is not affected.
func TestLinkAttemptsLimited(t *testing.T) {
	window := limits.Window{Attempts: 3, Period: time.Minute}
	h := newHarness(t, func(c *Config, _ *admin.Config) { c.LinkAttempts = window })
	other, err := newPortal(Config{Store: h.st, BaseURL: testBaseURL, Now: h.clock.Now, Logger: h.logs.Logger(), LinkAttempts: window})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/portal/", http.StripPrefix("/portal", other))
	second := testkit.Site{H: mux, Origin: "https://app.example.com"}

	l, tok := h.link(admin.LinkOptions{})
	if w := h.get("/portal/l/" + tok); w.Code != http.StatusOK {
		t.Fatalf("landing: %d", w.Code)
	}
	if w := second.Get("/portal/l/junk"); w.Code != http.StatusNotFound {
		t.Fatalf("landing of a junk token on the second instance: %d", w.Code)
	}
	if w := second.Get("/portal/l/" + tok); w.Code != http.StatusOK {
		t.Fatalf("landing on the second instance: %d", w.Code)
	}
	refused, _ := h.redeem(tok)
	if got := refused.Header().Get("Retry-After"); got != "60" {
		t.Fatalf("Retry-After %q, want 60 (the window's end)", got)
	}
	// The page of the refusal is a GET that counts no attempt: reloading
	// it neither posts the link again nor uses up the next window.
	var w *httptest.ResponseRecorder
	for range 5 {
		if w = h.refusedPage(refused, tok); w.Code != http.StatusTooManyRequests {
			t.Fatalf("fourth attempt: %d", w.Code)
		}
	}
	if testID(parse(t, w), "problem-rate-limited").Length() != 1 {
		t.Fatalf("no rate-limited problem page: %s", w.Body)
	}
	if !h.storedLink(l.ID).UsedAt.IsZero() {
		t.Fatal("a refused redemption consumed the link")
	}
	// Another client address has its own allowance.
	r := httptestRequest(http.MethodGet, "https://app.example.com/portal/l/"+tok)
	r.RemoteAddr = "198.51.100.9:4000"
	if w := h.do(r); w.Code != http.StatusOK {
		t.Fatalf("another address: %d", w.Code)
	}
	// The next window opens the door again.
	h.clock.Add(time.Minute)
	if w, c := h.redeem(tok); w.Code != http.StatusSeeOther || c == nil {
		t.Fatalf("redemption in the next window: %d", w.Code)
	}
	if got := h.post("/portal/l", url.Values{"token": {tok}}); got.Code == http.StatusTooManyRequests {
		t.Fatal("the window's count did not start again")
	}
}
