package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "github.com/onboardkit/onboardkit/internal/browsertest"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// TestBrowserDeactivationSignsOut: in Chromium, sign in through the IdP
// simulator, open the protected profile page, deactivate the user from
// the directory simulator, reload: signed out.
func TestBrowserDeactivationSignsOut(t *testing.T) {
	ctx := bt.New(t)
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "quickstart.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := newApp(appConfig{Store: st, BaseURL: base, Logger: logger, SecretsPath: filepath.Join(t.TempDir(), "secrets.json")})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	d, err := a.setUpDemo(t.Context()) // tests the connections through the server
	if err != nil {
		t.Fatal(err)
	}

	// dirsim runs one action of the directory simulator's form and waits
	// for it to succeed.
	dirsim := func(button string, fill ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		bt.Do(t, ctx, "open the directory simulator", chromedp.Navigate(base+"/dirsim/"), chromedp.WaitVisible(bt.TID("run-form")))
		bt.Do(t, ctx, "fill in the form", append([]chromedp.Action[chromedp.Void]{
			chromedp.SetValue(bt.TID("target-select"), d.OrgName+" (demo directory)"),
			chromedp.Click(bt.TID("dialect-okta")),
		}, fill...)...)
		bt.Do(t, ctx, "press "+button, chromedp.Click(bt.TID(button)))
		bt.WaitFor(t, ctx, "the run finished", `(function () {
  var s = document.querySelector('[data-testid="run-state"]');
  return s !== null && s.textContent.trim() !== "running";
})()`)
		if got := strings.TrimSpace(bt.Eval[string](t, ctx, `document.querySelector('[data-testid="run-state"]').textContent`)); got != "succeeded" {
			t.Fatalf("%s: run %s\n%s", button, got, bt.Body(t, ctx))
		}
	}
	dirsim("run-create", chromedp.SetValue(chromedp.CSS("#user_name"), "bob@example.com"))

	// Sign in as bob through the OIDC connection.
	bt.Do(t, ctx, "start the login", chromedp.Navigate(base+"/login?connection="+d.OIDCConnectionID), chromedp.WaitVisible(bt.TID("login-form")))
	bt.Do(t, ctx, "sign in as bob", chromedp.SetValue(bt.TID("seed"), "1"), chromedp.Click(chromedp.CSS(`[data-testid="login-form"] button[type="submit"]`)))
	bt.WaitFor(t, ctx, "the profile page", `document.querySelector('[data-testid="email"]') !== null`)
	if got := strings.TrimSpace(bt.Eval[string](t, ctx, `document.querySelector('[data-testid="email"]').textContent`)); got != "bob@example.com" {
		t.Fatalf("signed in as %q", got)
	}

	dirsim("run-deactivate", chromedp.SetValue(chromedp.CSS("#ident"), "bob@example.com"))

	// Reload the profile page: within the session cache TTL (1 second)
	// the app sends the browser to the sign-in page.
	deadline := time.Now().Add(5 * time.Second)
	for {
		bt.Do(t, ctx, "reload the profile page", chromedp.Navigate(base+"/me"), chromedp.WaitReady(chromedp.CSS("body")))
		if !strings.HasSuffix(bt.Eval[string](t, ctx, `location.pathname`), "/me") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deactivated user still sees the profile page:\n%s", bt.Body(t, ctx))
		}
		time.Sleep(250 * time.Millisecond)
	}
	if bt.Eval[int](t, ctx, `document.querySelectorAll('[data-testid="sso-form"]').length`) != 1 {
		t.Fatalf("signed out, but not on the sign-in page:\n%s", bt.Body(t, ctx))
	}
}
