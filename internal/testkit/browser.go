package testkit

import (
	"bytes"
	"context"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// UpdateScreenshots is the -update-screenshots flag.
var UpdateScreenshots = flag.Bool("update-screenshots", false, "write docs/screenshots/*.png from the browser tests")

// BrowserWait bounds every wait for the browser.
const BrowserWait = 60 * time.Second

// ChromiumPath finds a Chromium or Chrome binary. Without one the browser
// tests are skipped, except under CI=true where they must run.
func ChromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CHROMIUM_PATH"), "/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	for _, c := range candidates {
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

// NewBrowser starts a headless Chromium with a fixed set of flags and
// returns a context for one tab.
func NewBrowser(t *testing.T) context.Context {
	t.Helper()
	path := ChromiumPath(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
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
	// Start the browser with a context without deadline: a deadline on the
	// first run would bound the browser's whole life.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// Within runs fn with a context bounded by browserWait.
func Within(ctx context.Context, fn func(ctx context.Context) error) error {
	tctx, cancel := context.WithTimeout(ctx, BrowserWait)
	defer cancel()
	return fn(tctx)
}

// Listen returns a server on 127.0.0.1 and its port.
func Listen(t *testing.T, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return srv, port
}

// TestWriter writes each log record to the test log.
type TestWriter struct{ T *testing.T }

// Write logs p.
func (w TestWriter) Write(p []byte) (int, error) {
	w.T.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Screenshot writes docs/screenshots/<name>.png under -update-screenshots.
func Screenshot(t *testing.T, ctx context.Context, name string, width, height int64) {
	t.Helper()
	if !*UpdateScreenshots {
		return
	}
	var buf []byte
	err := Within(ctx, func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
			return err
		}
		var err error
		buf, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
		return err
	})
	if err != nil {
		t.Fatalf("Screenshot %s: %v", name, err)
	}
	if !bytes.HasPrefix(buf, []byte("\x89PNG")) {
		t.Fatalf("Screenshot %s is not a PNG", name)
	}
	dir := filepath.Join("..", "docs", "screenshots") // from a package directory
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TID is the CSS selector of data-testid id.
func TID(id string) string { return `[data-testid="` + id + `"]` }

// Do runs actions under browserWait.
func Do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := Within(ctx, func(ctx context.Context) error { return chromedp.Do(ctx, actions...) }); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Text returns the trimmed text of the element sel.
func Text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	err := Within(ctx, func(ctx context.Context) error {
		var err error
		s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		return err
	})
	if err != nil {
		t.Fatalf("Text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// Eval evaluates expr in the page.
func Eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	var v T
	err := Within(ctx, func(ctx context.Context) error {
		var err error
		v, err = chromedp.Run(ctx, chromedp.Evaluate[T](expr))
		return err
	})
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}
