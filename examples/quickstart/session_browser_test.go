package main

import (
	"context"
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
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// testKeyring seals the secrets of every Store a test of this package
// opens, so that two instances or a reopened file open each other's.
var testKeyring = seal.NewEphemeralKeyring()

// browserQuickstart is the quickstart served on loopback with its demo set
// up, and a Chromium tab.
type browserQuickstart struct {
	ctx  context.Context
	base string
	d    *demo
}

func newBrowserQuickstart(t *testing.T) *browserQuickstart {
	ctx := bt.New(t)
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "quickstart.db"), sqlitestore.Options{Keyring: testKeyring})
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
	return &browserQuickstart{ctx: ctx, base: base, d: d}
}

// dirsim runs one action of the directory simulator's form and waits for
// it to succeed.
func (q *browserQuickstart) dirsim(t *testing.T, button string, fill ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx := q.ctx
	bt.Do(t, ctx, "open the directory simulator", chromedp.Navigate(q.base+"/dirsim/"), chromedp.WaitVisible(bt.TID("run-form")))
	bt.Do(t, ctx, "fill in the form", append([]chromedp.Action[chromedp.Void]{
		chromedp.SetValue(bt.TID("target-select"), q.d.OrgName+" (demo directory)"),
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

// signInBob signs bob@example.com in through the OIDC connection and
// waits for the profile page.
func (q *browserQuickstart) signInBob(t *testing.T) {
	t.Helper()
	ctx := q.ctx
	bt.Do(t, ctx, "start the login", chromedp.Navigate(q.base+"/login?connection="+q.d.OIDCConnectionID), chromedp.WaitVisible(bt.TID("login-form")))
	bt.Do(t, ctx, "sign in as bob", chromedp.SetValue(bt.TID("seed"), "1"), chromedp.Click(chromedp.CSS(`[data-testid="login-form"] button[type="submit"]`)))
	bt.WaitFor(t, ctx, "the profile page", `document.querySelector('[data-testid="email"]') !== null`)
	if got := strings.TrimSpace(bt.Eval[string](t, ctx, `document.querySelector('[data-testid="email"]').textContent`)); got != "bob@example.com" {
		t.Fatalf("signed in as %q", got)
	}
}

// TestBrowserDeactivationSignsOut: in Chromium, sign in through the IdP
// simulator, open the protected profile page, deactivate the user from
// the directory simulator, reload: signed out.
func TestBrowserDeactivationSignsOut(t *testing.T) {
	q := newBrowserQuickstart(t)
	ctx, base := q.ctx, q.base
	q.dirsim(t, "run-create", chromedp.SetValue(chromedp.CSS("#user_name"), "bob@example.com"))
	q.signInBob(t)
	q.dirsim(t, "run-deactivate", chromedp.SetValue(chromedp.CSS("#ident"), "bob@example.com"))
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

// TestBrowserRolesFromPortal: in Chromium, the directory simulator puts
// bob in the group Admins, the IT admin maps Admins to the Administrator
// role on the portal's roles page, bob signs in through the IdP simulator
// and the host page shows the role; when the simulator takes bob out of
// the group, a reload shows the default role, without a new login.
func TestBrowserRolesFromPortal(t *testing.T) {
	q := newBrowserQuickstart(t)
	ctx, base := q.ctx, q.base
	q.dirsim(t, "run-create", chromedp.SetValue(chromedp.CSS("#user_name"), "bob@example.com"))
	q.dirsim(t, "run-add-member", chromedp.SetValue(chromedp.CSS("#group"), "Admins"), chromedp.SetValue(chromedp.CSS("#member"), "bob@example.com"))

	// The IT admin opens the portal link and maps the group.
	bt.Do(t, ctx, "open the portal link", chromedp.Navigate(q.d.PortalLink), chromedp.WaitVisible(bt.TID("continue")))
	bt.Do(t, ctx, "continue", chromedp.Click(bt.TID("continue")))
	bt.WaitFor(t, ctx, "the portal home", `document.querySelector('[data-testid="home-title"]') !== null`)
	bt.Do(t, ctx, "open roles and access", chromedp.Navigate(base+"/portal/roles"), chromedp.WaitVisible(bt.TID("group-search")))
	bt.Do(t, ctx, "search the group", chromedp.SetValue(bt.TID("group-search"), "Adm"), chromedp.Click(bt.TID("group-search-submit")))
	bt.WaitFor(t, ctx, "the group found", `(function () {
  var n = document.querySelector('[data-testid="group-choice-name"]');
  return n !== null && n.textContent.trim() === "Admins";
})()`)
	bt.Do(t, ctx, "map it to Administrator",
		chromedp.SetValue(chromedp.CSS(`[data-testid="group-choice"] [data-testid="role-select"]`), "admin"),
		chromedp.Click(bt.TID("group-choice-map")))
	bt.WaitFor(t, ctx, "the mapping saved", `document.querySelectorAll('[data-testid="mapping-row"]').length === 1 && location.search.indexOf("saved=mapping") >= 0`)

	// Bob signs in: the host page shows the role.
	q.signInBob(t)
	role := func() string {
		return strings.TrimSpace(bt.Eval[string](t, ctx, `document.querySelector('[data-testid="roles"]').textContent`))
	}
	if got := role(); got != "admin" {
		t.Fatalf("the host page shows roles %q, want admin\n%s", got, bt.Body(t, ctx))
	}

	// Out of the group: the next reload after the session cache TTL
	// shows the default role.
	q.dirsim(t, "run-remove-member", chromedp.SetValue(chromedp.CSS("#group"), "Admins"), chromedp.SetValue(chromedp.CSS("#member"), "bob@example.com"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		bt.Do(t, ctx, "reload the profile page", chromedp.Navigate(base+"/me"), chromedp.WaitVisible(bt.TID("roles")))
		if role() == "viewer" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the host page still shows %q after the removal", role())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestBrowserCustomFromDirectorySimulator: in Chromium, the directory
// simulator creates bob with a department (the enterprise extension) and
// an employee number (a field of the app's own SCIM extension); bob signs
// in and the host page shows the directory's values, not the identity
// provider's.
func TestBrowserCustomFromDirectorySimulator(t *testing.T) {
	q := newBrowserQuickstart(t)
	ctx := q.ctx
	bt.Do(t, ctx, "open the directory simulator", chromedp.Navigate(q.base+"/dirsim/"), chromedp.WaitVisible(bt.TID("run-form")))
	label := strings.TrimSpace(bt.Eval[string](t, ctx, `(function () {
  var l = document.querySelector('label[for="ext_1"]');
  var f = document.querySelector('#ext_1[data-testid="ext-field"]');
  return l === null || f === null ? "" : l.textContent + " " + f.getAttribute("data-schema");
})()`))
	if !strings.Contains(label, "Employee number") || !strings.Contains(label, appRoles.SCIMExtension) {
		t.Fatalf("no field for the extension's employee number (%q)\n%s", label, bt.Body(t, ctx))
	}
	q.dirsim(t, "run-create", chromedp.SetValue(chromedp.CSS("#user_name"), "bob@example.com"),
		chromedp.SetValue(chromedp.CSS("#department"), "Finance"), chromedp.SetValue(chromedp.CSS("#ext_1"), "4242"))
	q.signInBob(t)
	got := func(key string) string {
		return strings.TrimSpace(bt.Eval[string](t, ctx, `document.querySelector('[data-testid="custom-`+key+`"]').textContent`))
	}
	if d, n := got("department"), got("employee_number"); d != "Finance" || n != "4242" {
		t.Fatalf("the host page shows department %q, employee number %q; want the directory's Finance and 4242\n%s", d, n, bt.Body(t, ctx))
	}
}
