// Package browsertest starts a headless Chromium for the browser tests of
// onboardkit's development simulators, and holds the few helpers they share.
//
// Browser tests need a Chromium or Chrome binary (CHROMIUM_PATH, or chromium
// on the PATH). Without one they are skipped, except under CI=true, where
// they fail. No test downloads a browser.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Wait bounds every wait for the browser.
const Wait = 60 * time.Second

// path finds a Chromium or Chrome binary, or skips (fails under CI=true).
func path(t testing.TB) string {
	t.Helper()
	for _, c := range []string{os.Getenv("CHROMIUM_PATH"), "/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium binary found (set CHROMIUM_PATH); browser tests are required under CI=true")
	}
	t.Skip("skipping browser test: no Chromium binary found (install chromium or set CHROMIUM_PATH)")
	return ""
}

// New starts a headless Chromium, stopped at the end of the test, and
// returns a context for one tab.
func New(t testing.TB) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// A deadline on the first run would bound the browser's whole life.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// TID selects the element whose data-testid is id.
func TID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// Do runs actions within Wait, failing the test with what on error.
func Do(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Eval evaluates a JavaScript expression in the page.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// Body returns the text of the page's body, trimmed.
func Body(t testing.TB, ctx context.Context) string {
	t.Helper()
	return strings.TrimSpace(Eval[string](t, ctx, `document.body ? document.body.innerText : ""`))
}

// WaitFor evaluates a JavaScript condition until it is true, through the
// navigations that happen meanwhile, failing the test with the page's text
// when it stays false for Wait.
func WaitFor(t testing.TB, ctx context.Context, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still false after %v (last error %v)\npage %s:\n%s", what, Wait, err, Eval[string](t, ctx, `location.href`), Body(t, ctx))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
