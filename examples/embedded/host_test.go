package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/store/memstore"
)

// newTestHost serves the host app on an httptest server and returns its
// origin.
func newTestHost(t *testing.T) string {
	t.Helper()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := newHost(t.Context(), hostConfig{Store: memstore.New(), Origin: srv.URL, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	handler = h.routes()
	return srv.URL
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, *goquery.Document) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, doc
}

func TestSettingsPageEmbedsAFreshLink(t *testing.T) {
	origin := newTestHost(t)
	c := &http.Client{Timeout: 10 * time.Second}

	frameSrc := func() string {
		resp, doc := get(t, c, origin+"/settings")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("settings: status %d", resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("settings page Cache-Control %q, want no-store", cc)
		}
		frame := doc.Find(`iframe[data-testid="portal-frame"]`)
		if frame.Length() != 1 {
			t.Fatal("no portal iframe on the settings page")
		}
		for attr, want := range map[string]string{"allow": "clipboard-write", "height": "600"} {
			if got, _ := frame.Attr(attr); got != want {
				t.Errorf("iframe %s=%q, want %q", attr, got, want)
			}
		}
		src, _ := frame.Attr("src")
		if !strings.HasPrefix(src, origin+"/portal/l/") {
			t.Fatalf("iframe src %q is not a portal link", src)
		}
		return src
	}
	first, second := frameSrc(), frameSrc()
	if first == second {
		t.Fatal("two page loads embedded the same link")
	}

	// The portal lets only the host's origin frame it.
	resp, _ := get(t, c, first)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("link landing: status %d", resp.StatusCode)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors "+origin) {
		t.Errorf("portal CSP %q does not let %s frame it", csp, origin)
	}

	// The link works once.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if status := redeem(t, browser, origin, first); status != http.StatusOK {
		t.Fatalf("redeeming the embedded link: status %d", status)
	}
	if status := redeem(t, &http.Client{Timeout: 10 * time.Second}, origin, first); status == http.StatusOK {
		t.Fatal("an embedded link was redeemed twice")
	}
}

// redeem posts a link's token as the landing page's Continue button does
// and returns the status of the page it ends on.
func redeem(t *testing.T, c *http.Client, origin, link string) int {
	t.Helper()
	token := link[strings.LastIndex(link, "/")+1:]
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, origin+"/portal/l", strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSettingsPageShowsPortalEvents loads the settings page in headless
// Chromium and waits for the portal's PORTAL_LOAD_SUCCESS message to show
// on the page. It is skipped without Chromium, except under CI=true.
func TestSettingsPageShowsPortalEvents(t *testing.T) {
	chromium := chromiumPath(t)
	origin := newTestHost(t)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Flag("headless", true), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.NoFirstRun)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil { // start the browser without a deadline
		t.Fatalf("starting Chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(browser, 30*time.Second)
	defer cancel()

	err := chromedp.Do(ctx,
		chromedp.Navigate(origin+"/settings"),
		chromedp.WaitVisible(`#portal-events li[data-type="PORTAL_LOAD_SUCCESS"]`),
	)
	if err != nil {
		t.Fatalf("waiting for the portal's load event: %v", err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Text(`#portal-events`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(shown, `"organizationId":"org_`) {
		t.Errorf("the load event does not name the organization: %s", shown)
	}
}

// chromiumPath finds a Chromium binary, or skips the test (fails it under
// CI=true).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, c := range []string{os.Getenv("CHROMIUM_PATH"), "chromium", "chromium-browser", "google-chrome"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (set CHROMIUM_PATH); the browser test must run under CI=true")
	}
	t.Skip("no Chromium found; set CHROMIUM_PATH to run the browser test")
	return ""
}
