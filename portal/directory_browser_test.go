package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// setupEnv is a portal with the SCIM server and a domains service, served
// with the SCIM endpoints on the same test server, as a host mounts them.
type setupEnv struct {
	st           *memstore.Store
	p            *Portal
	scim         *scimkit.Server
	dns          *testkit.DNSServer
	org          *store.Organization
	portalOrigin string
}

func newSetupEnv(t *testing.T) *setupEnv {
	t.Helper()
	return newSetupEnvRoles(t, nil)
}

// newSetupEnvRoles is newSetupEnv with the host's roles and custom
// attributes rc given to the SCIM server and the service.
func newSetupEnvRoles(t *testing.T, rc *roles.Config) *setupEnv {
	t.Helper()
	env := &setupEnv{st: memstore.New(), dns: testkit.NewDNSServer(t)}
	mux := http.NewServeMux()
	_, port := testkit.Listen(t, mux)
	env.portalOrigin = "http://localhost:" + port
	logger := slog.New(slog.NewTextHandler(testkit.TestWriter{T: t}, nil))
	var err error
	env.scim, err = scimkit.New(scimkit.Config{Store: env.st, BaseURL: env.portalOrigin + "/scim", Logger: logger, Roles: rc})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := domains.New(domains.Config{Store: env.st, Resolver: env.dns.Resolver(), Logger: logger, LookupTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	env.p, err = newPortal(Config{
		Store:   env.st,
		BaseURL: env.portalOrigin + "/portal",
		SCIM:    env.scim,
		Logger:  logger,
	}, func(c *admin.Config) {
		c.Domains = svc
		c.Branding = admin.Branding{ProductName: "Widgets Cloud"}
		c.Roles = rc
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/portal/", http.StripPrefix("/portal", env.p))
	mux.Handle("/scim/", http.StripPrefix("/scim", env.scim))
	now := time.Now().UTC()
	env.org = &store.Organization{ID: "org_megacorp", Name: "MegaCorp", CreatedAt: now, UpdatedAt: now}
	must(t, env.st.CreateOrganization(context.Background(), env.org))
	return env
}

// signIn opens a shareable link with features at the top level and clicks
// Continue.
func (env *setupEnv) signIn(t *testing.T, ctx context.Context, features ...store.Feature) {
	t.Helper()
	link, err := env.p.admin.GenerateLink(context.Background(), env.org.ID, admin.LinkOptions{Features: features}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.EmulateViewport(1024, 800),
			chromedp.Navigate(link.URL),
			chromedp.Click(chromedp.CSS(testkit.TID("continue"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("home-title"))),
		)
	}); err != nil {
		t.Fatal(err)
	}
}

// waitJS waits until expr is true in the page, across navigations (an
// evaluation cut by a navigation is retried).
func waitJS(ctx context.Context, expr string) error {
	deadline := time.Now().Add(testkit.BrowserWait)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("%s stayed false", expr)
			}
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// noOverflow checks the page fits 360 px.
func noOverflow(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(360, 740))
	}); err != nil {
		t.Fatal(err)
	}
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`))
	if err != nil || overflow {
		t.Errorf("%s overflows horizontally at 360 px (%v)", what, err)
	}
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1024, 800))
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserDirectorySync sets up directory sync the way an IT admin
// does, provisions users with the simulator through the real SCIM handler,
// and sees them in the portal.
func TestBrowserDirectorySync(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newSetupEnv(t)
	if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "clipboard-read"}, Setting: browser.PermissionSettingGranted, Origin: env.portalOrigin,
	}); err != nil {
		t.Fatalf("granting clipboard-read: %v", err)
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "clipboard-write"}, Setting: browser.PermissionSettingGranted, Origin: env.portalOrigin,
	}); err != nil {
		t.Fatalf("granting clipboard-write: %v", err)
	}
	env.signIn(t, ctx, store.FeatureDirSync)

	// Create an Okta directory: the token is shown once, with the endpoint.
	err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(testkit.TID("nav-dir-sync"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("dir-create-form"))),
			chromedp.SetValue(chromedp.CSS(testkit.TID("dir-provider")), "okta"),
			chromedp.SendKeys(chromedp.CSS(testkit.TID("dir-name")), "Okta <employees>"),
			chromedp.Click(chromedp.CSS(testkit.TID("dir-create-submit"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("token-value"))),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	token, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(testkit.TID("token-value"))))
	if err != nil || !strings.HasPrefix(token, scimkit.TokenPrefix) {
		t.Fatalf("token = %q (%v)", token, err)
	}
	endpoint, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(testkit.TID("endpoint-value"))))
	if err != nil || !strings.HasPrefix(endpoint, env.portalOrigin+"/scim/dir_") {
		t.Fatalf("endpoint = %q (%v)", endpoint, err)
	}
	title, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID("page-title"))))
	if title != "Okta <employees>" {
		t.Errorf("title = %q: the name must show as typed, as text", title)
	}
	noOverflow(t, ctx, "the directory page with its token")

	// The copy buttons put the values on the clipboard.
	for _, c := range []struct{ button, status, want string }{
		{"copy-token", "copy-token-status", token},
		{"copy-endpoint", "copy-endpoint-status", endpoint},
	} {
		err := testkit.Within(ctx, func(ctx context.Context) error {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(testkit.TID(c.button)))); err != nil {
				return err
			}
			_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector(%q).textContent !== ""`, testkit.TID(c.status)), chromedp.WithPollingTimeout(testkit.BrowserWait)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID(c.status))))
		if status != "Copied." {
			t.Errorf("%s: status %q", c.button, status)
			continue
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		if err != nil || got != c.want {
			t.Errorf("%s: clipboard holds %q (%v), want %q", c.button, got, err, c.want)
		}
	}

	// Turn it on, then provision with the simulator, as Okta would.
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(testkit.TID("dir-activate"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("dir-deactivate"))),
		)
	}); err != nil {
		t.Fatal(err)
	}
	sim, err := scimsim.New(scimsim.Config{BaseURL: endpoint, Token: token, Dialect: scimsim.Okta})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), testkit.BrowserWait)
	rep, err := sim.FullSync(sctx, scimsim.SyncSpec{Users: 6, Groups: 2, Domain: "megacorp.example", Seed: 7})
	cancel()
	if err != nil || rep.UsersCreated != 6 || rep.GroupsCreated != 2 {
		t.Fatalf("simulated sync: %v %+v", err, rep)
	}

	// The test sync view shows what arrived; the users page lists them.
	dirURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(testkit.TID("dir-back"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("directory-name"))),
			chromedp.Click(chromedp.CSS(testkit.TID("directory-name"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("activity-events"))),
		)
	}); err != nil {
		t.Fatal(err)
	}
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Contains(html, token) {
		t.Fatal("the token is shown again after leaving the page")
	}
	if users, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID("activity-users")))); users != "6" {
		t.Errorf("activity users = %q, want 6", users)
	}
	if used, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID("activity-last-used")))); strings.Contains(used, "None") {
		t.Errorf("last request = %q after a sync", used)
	}
	counts, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID("activity-counts"))))
	if !strings.Contains(counts, "User created: 6") || !strings.Contains(counts, "Group created: 2") {
		t.Errorf("activity counts = %q", counts)
	}
	noOverflow(t, ctx, "the test sync view")
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(testkit.TID("dir-users-link"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("users-table"))),
		)
	}); err != nil {
		t.Fatal(err)
	}
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-testid="user-name"]')).map(e => e.textContent)`))
	if err != nil || len(names) != 6 || names[0] != "user0001@megacorp.example" {
		t.Errorf("users listed: %v (%v)", names, err)
	}
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS(testkit.TID("dir-search")), "user0004"),
			chromedp.Click(chromedp.CSS(testkit.TID("dir-search-submit"))),
		)
	}); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `location.search.indexOf("q=user0004") >= 0 && document.readyState === "complete"`); err != nil {
		t.Fatal(err)
	}
	if total, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID("users-total")))); total != "1 user" {
		t.Errorf("search result = %q", total)
	}
	noOverflow(t, ctx, "the users page")
	if dirURL == "" {
		t.Error("no directory URL")
	}
}

// TestBrowserDomainVerification adds a domain, fails to verify it with the
// precise reason, publishes the record on the local DNS server and verifies.
func TestBrowserDomainVerification(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newSetupEnv(t)
	env.signIn(t, ctx, store.FeatureDomains)
	err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(testkit.TID("nav-domains"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("domain-add-form"))),
			chromedp.SendKeys(chromedp.CSS(testkit.TID("domain-input")), "MegaCorp.example"),
			chromedp.Click(chromedp.CSS(testkit.TID("domain-add-submit"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("record-value"))),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	name, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(testkit.TID("record-name"))))
	value, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(testkit.TID("record-value"))))
	if name != "_onboardkit-verification.megacorp.example" || value == "" {
		t.Fatalf("record %q = %q", name, value)
	}
	noOverflow(t, ctx, "the domains page")

	// The zone exists but has no record yet.
	env.dns.SetTXT("megacorp.example", "v=spf1 -all")
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(testkit.TID("domain-verify"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("domain-fix"))),
		)
	}); err != nil {
		t.Fatal(err)
	}
	kind, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="domain-failure"]').dataset.kind`))
	fix, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID("domain-fix"))))
	if kind != string(domains.KindNoRecord) || !strings.Contains(fix, name) || !strings.Contains(fix, value) {
		t.Errorf("failure kind %q, fix %q", kind, fix)
	}

	env.dns.SetTXT(name, value)
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(testkit.TID("domain-verify"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("domain-verified-now"))),
		)
	}); err != nil {
		t.Fatal(err)
	}
	state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="domain-state"]').dataset.state`))
	if state != "verified" {
		t.Errorf("state = %q", state)
	}
	if d, err := env.st.GetVerifiedDomain(context.Background(), "megacorp.example"); err != nil || d.OrgID != env.org.ID {
		t.Errorf("domain not verified in the store: %v", err)
	}
}

// TestBrowserBackAfterSignOut: after redeeming a link and signing out, the
// Back button must not lead to a page holding the link's token.
func TestBrowserBackAfterSignOut(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newBrowserEnv(t)
	link, err := env.p.admin.GenerateLink(context.Background(), env.org.ID, admin.LinkOptions{}, "")
	if err != nil {
		t.Fatal(err)
	}
	tok := link.URL[strings.LastIndex(link.URL, "/")+1:]
	err = testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Navigate(link.URL),
			chromedp.Click(chromedp.CSS(testkit.TID("continue"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("home-title"))),
			chromedp.Click(chromedp.CSS(testkit.TID("logout"))),
			chromedp.WaitVisible(chromedp.CSS(testkit.TID("problem-signed-out"))),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Back, Back: with history.back() rather than a wait for a load event,
	// which a page restored from the back/forward cache does not fire.
	for _, want := range []string{"/portal/", "/portal/l"} {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`history.back(), true`))
		if err == nil {
			err = waitJS(ctx, fmt.Sprintf(`location.pathname === %q && document.readyState === "complete" && document.querySelector("h1") !== null`, want))
		}
		if err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("going back to %s: %v (at %s)", want, err, loc)
		}
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Contains(loc, tok) || strings.Contains(html, tok) {
		t.Fatalf("Back after sign-out leads to the link's token: %s", loc)
	}
	if loc != env.portalOrigin+"/portal/l" {
		t.Errorf("location after Back, Back = %q", loc)
	}
	// The history holds no entry with the token.
	hist, err := chromedp.Run(ctx, chromedp.Evaluate[int](`history.length`))
	if err != nil || hist < 3 {
		t.Errorf("history length %d (%v)", hist, err)
	}
}

// TestBrowserEmbeddedLinkAtTopLevel: an embedded link opened outside a
// frame waits for the click instead of signing the visitor in.
func TestBrowserEmbeddedLinkAtTopLevel(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newBrowserEnv(t)
	link := env.embedLink(t, env.p, admin.LinkOptions{})
	err := testkit.Within(ctx, func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(link.URL), chromedp.WaitVisible(chromedp.CSS(testkit.TID("continue")))); err != nil {
			return err
		}
		// The script has run once the token is gone from the address.
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`location.pathname === "/portal/l"`, chromedp.WithPollingTimeout(testkit.BrowserWait)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="continue"]').disabled`))
	if err != nil || disabled {
		t.Errorf("continue button disabled = %v (%v)", disabled, err)
	}
	if l, err := env.st.GetPortalLink(context.Background(), link.ID); err != nil || !l.UsedAt.IsZero() {
		t.Fatalf("the embedded link was consumed at the top level: %v", err)
	}
	// The click still works.
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(testkit.TID("continue"))), chromedp.WaitVisible(chromedp.CSS(testkit.TID("home-title"))))
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserTargetOrigin: the script posts only to the configured
// origin that is the actual parent. Re-run inside the frame with the
// configured list set to another (allowed-looking) origin, it posts
// nothing the parent receives; set back to the parent's origin, it does.
func TestBrowserTargetOrigin(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newBrowserEnv(t)
	link := env.embedLink(t, env.p, admin.LinkOptions{})
	env.openEmbedded(t, ctx, link.URL)
	if _, err := waitMessage(ctx, UIEventLoadSuccess); err != nil {
		t.Fatal(err)
	}
	hostOrigin := env.hostURL[:strings.Index(env.hostURL[len("http://"):], "/")+len("http://")]
	rogueOrigin := env.rogueURL[:strings.Index(env.rogueURL[len("http://"):], "/")+len("http://")]
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var frame context.Context
	for _, info := range infos {
		if info.Type == "iframe" && strings.HasPrefix(info.URL, env.portalOrigin) {
			fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
			defer cancel()
			frame = fctx
		}
	}
	if frame == nil {
		t.Fatal("no portal iframe target")
	}
	// Two more runs of the script in the frame, one after the other (the
	// second starts when the first has loaded): first with the list set to
	// the other origin, then to the parent's.
	// One Evaluate: the frame's session lives as long as its first call.
	js := fmt.Sprintf(`(function () {
  function run(origins, marker) {
    var s = document.createElement("script");
    s.async = false;
    s.src = "/portal/assets/portal.js";
    return [origins, marker, s];
  }
  var runs = [run(%q, "marker-other"), run(%q, "marker-parent")];
  var i = 0;
  function next() {
    if (i >= runs.length) {
      return;
    }
    var r = runs[i++];
    document.body.dataset.parentOrigins = r[0];
    document.body.dataset.features = r[1];
    r[2].addEventListener("load", next);
    document.head.appendChild(r[2]);
  }
  next();
  return true;
})()`, rogueOrigin, hostOrigin)
	if err := testkit.Within(frame, func(ctx context.Context) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Messages arrive in order: once the second run's message is in, the
	// first run's would be too.
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.__msgs.some(function (m) { return m.data && m.data.features && m.data.features[0] === "marker-parent"; })`, chromedp.WithPollingTimeout(testkit.BrowserWait)))
		return err
	}); err != nil {
		raw, _ := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`window.__msgs`))
		t.Fatalf("the parent's own origin got no message: %v; messages: %s", err, raw)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`window.__msgs`))
	if err != nil {
		t.Fatal(err)
	}
	var msgs []hostMsg
	if err := json.Unmarshal(raw, &msgs); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if fs, _ := m.Data["features"].([]any); len(fs) > 0 && fs[0] == "marker-other" {
			t.Fatalf("a message meant for %s reached the parent %s", rogueOrigin, hostOrigin)
		}
	}
}
