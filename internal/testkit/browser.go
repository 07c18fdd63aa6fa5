package testkit

import (
	"bytes"
	"context"
	"flag"
	"github.com/onboardkit/onboardkit/internal/browsertest"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// UpdateScreenshots is the -update-screenshots flag.
var UpdateScreenshots = flag.Bool("update-screenshots", false, "write docs/screenshots/*.png from the browser tests")

// BrowserWait bounds every wait for the browser.
const BrowserWait = browsertest.Wait

// NewBrowser starts a headless Chromium with a fixed set of flags and
// returns a context for one tab (see internal/browsertest).
func NewBrowser(t *testing.T) context.Context { return browsertest.New(t) }

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

// Do runs actions within BrowserWait, failing the test with what on
// error.
func Do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	browsertest.Do(t, ctx, what, actions...)
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
	return browsertest.Eval[T](t, ctx, expr)
}
