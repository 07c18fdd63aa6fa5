package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// hostPage is a host application's page embedding the portal. It records
// every message it receives.
func hostPage(w http.ResponseWriter, r *http.Request) {
	src := r.URL.Query().Get("src")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html><head><title>Host</title>
<script>
window.__msgs = [];
window.__loads = 0;
window.addEventListener("message", function (e) {
  window.__msgs.push({origin: e.origin, type: e.data && e.data.type, data: e.data && e.data.data});
});
</script></head><body><h1>Host settings</h1>
<iframe id="portal" src="%s" width="100%%" height="600" frameborder="0" allow="clipboard-write" onload="window.__loads++"></iframe>
</body></html>`, html.EscapeString(src))
}

type hostMsg struct {
	Origin string         `json:"origin"`
	Type   string         `json:"type"`
	Data   map[string]any `json:"data"`
}

// browserEnv is a portal served on localhost:A, a host allowed to embed it
// on 127.0.0.1:B (another site), and a host not allowed on 127.0.0.1:C.
type browserEnv struct {
	st           *memstore.Store
	p            *Portal
	short        *Portal // same store, short sessions, to see the timers
	org          *store.Organization
	portalOrigin string
	hostURL      string
	rogueURL     string
}

func newBrowserEnv(t *testing.T) *browserEnv {
	t.Helper()
	env := &browserEnv{st: memstore.New()}
	mux := http.NewServeMux()
	_, portalPort := testkit.Listen(t, mux)
	_, hostPort := testkit.Listen(t, http.HandlerFunc(hostPage))
	_, roguePort := testkit.Listen(t, http.HandlerFunc(hostPage))
	env.portalOrigin = "http://localhost:" + portalPort
	env.hostURL = "http://127.0.0.1:" + hostPort + "/host"
	env.rogueURL = "http://127.0.0.1:" + roguePort + "/host"

	logger := slog.New(slog.NewTextHandler(testkit.TestWriter{T: t}, nil))
	var err error
	env.p, err = newPortal(Config{
		Store:          env.st,
		BaseURL:        env.portalOrigin + "/portal",
		FrameAncestors: []string{"http://127.0.0.1:" + hostPort},
		Logger:         logger,
	}, func(c *admin.Config) {
		c.Branding = admin.Branding{ProductName: "Widgets Cloud", AccentColor: "#0f766e"}
	})
	if err != nil {
		t.Fatal(err)
	}
	env.short, err = newPortal(Config{
		Store:              env.st,
		BaseURL:            env.portalOrigin + "/short",
		FrameAncestors:     []string{"http://127.0.0.1:" + hostPort},
		EmbeddedSessionTTL: 8 * time.Second,
		SessionWarning:     6 * time.Second,
		Logger:             logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/portal/", http.StripPrefix("/portal", env.p))
	mux.Handle("/short/", http.StripPrefix("/short", env.short))

	ctx := context.Background()
	now := time.Now().UTC()
	env.org = &store.Organization{ID: "org_megacorp", Name: "MegaCorp", CreatedAt: now, UpdatedAt: now}
	must(t, env.st.CreateOrganization(ctx, env.org))
	must(t, env.st.CreateConnection(ctx, &store.Connection{
		ID: "conn_okta", OrgID: env.org.ID, Protocol: store.ProtocolSAML, Provider: "okta", Name: "Okta (employees)",
		State: store.ConnectionActive, TestedAt: now, CreatedAt: now, UpdatedAt: now,
		SAML: &store.SAMLConfig{IdPEntityID: "http://www.okta.com/exk1megacorp", SSOURL: "https://megacorp.okta.com/app/sso/saml", Certificates: []string{"x"}},
	}))
	must(t, env.st.CreateDirectory(ctx, &store.Directory{ID: "dir_okta", OrgID: env.org.ID, Provider: "okta", Name: "Okta directory", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}))
	must(t, env.st.CreateDomain(ctx, &store.Domain{ID: "dom_1", OrgID: env.org.ID, Name: "megacorp.com", State: store.DomainVerified, Method: store.DomainManual, VerifiedAt: now, VerifiedBy: "operator", CreatedAt: now, UpdatedAt: now}))
	must(t, env.st.CreateDomain(ctx, &store.Domain{ID: "dom_2", OrgID: env.org.ID, Name: "megacorp.io", State: store.DomainPending, Method: store.DomainDNSTXT, Challenge: "onboardkit-verification=4f9c2a", CreatedAt: now, UpdatedAt: now}))
	return env
}

func (env *browserEnv) embed(hostURL, src string) string {
	return hostURL + "?src=" + url.QueryEscape(src)
}

// embedLink generates an embedded portal link of p for env's organization.
func (env *browserEnv) embedLink(t *testing.T, p *Portal, opts admin.LinkOptions) *admin.Link {
	t.Helper()
	opts.Embedded = true
	link, err := p.admin.GenerateLink(context.Background(), env.org.ID, opts, "")
	if err != nil {
		t.Fatal(err)
	}
	return link
}

// openEmbedded loads the allowed host page embedding src.
func (env *browserEnv) openEmbedded(t *testing.T, ctx context.Context, src string) {
	t.Helper()
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Navigate(env.embed(env.hostURL, src)))
	}); err != nil {
		t.Fatal(err)
	}
}

// waitMessage waits until the host page has received a message of type
// typ, and returns every message received so far.
func waitMessage(ctx context.Context, typ string) ([]hostMsg, error) {
	var msgs []hostMsg
	err := testkit.Within(ctx, func(ctx context.Context) error {
		expr := fmt.Sprintf(`window.__msgs.some(function (m) { return m.type === %q; })`, typ)
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(testkit.BrowserWait))); err != nil {
			return fmt.Errorf("waiting for %s: %w", typ, err)
		}
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`window.__msgs`))
		if err != nil {
			return err
		}
		return json.Unmarshal(raw, &msgs)
	})
	return msgs, err
}

func TestBrowserEmbedded(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newBrowserEnv(t)
	link := env.embedLink(t, env.p, admin.LinkOptions{})

	// The allowed host embeds a fresh link: the iframe goes straight into
	// the portal and the parent hears PORTAL_LOAD_SUCCESS from the portal's
	// origin.
	env.openEmbedded(t, ctx, link.URL)
	msgs, err := waitMessage(ctx, UIEventLoadSuccess)
	if err != nil {
		t.Fatal(err)
	}
	var success *hostMsg
	for i, m := range msgs {
		if m.Origin != env.portalOrigin {
			t.Errorf("message from %q, want %q", m.Origin, env.portalOrigin)
		}
		if m.Type == UIEventLoadSuccess {
			success = &msgs[i]
		}
		if m.Type == UIEventLoadFailure {
			t.Errorf("unexpected failure message: %+v", m)
		}
	}
	if success.Data["organizationId"] != env.org.ID || success.Data["expiresAt"] == "" {
		t.Errorf("PORTAL_LOAD_SUCCESS data = %v", success.Data)
	}
	frames := frameURLs(t, ctx)
	if !slices.Contains(frames, env.portalOrigin+"/portal/") {
		t.Errorf("iframe is not on the portal's home (a clean URL): %v", frames)
	}
	// The same check as for the rogue host below, seen succeeding here.
	if n := portalFrames(t, ctx); n != 1 {
		t.Errorf("%d iframes show the portal, want 1", n)
	}
	l, err := env.st.GetPortalLink(context.Background(), link.ID)
	if err != nil || l.UsedAt.IsZero() {
		t.Fatalf("link not redeemed: %v %+v", err, l)
	}

	// Loading the same link again fails: single use.
	env.openEmbedded(t, ctx, link.URL)
	msgs, err = waitMessage(ctx, UIEventLoadFailure)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Type == UIEventLoadSuccess {
			t.Error("a used link loaded the portal")
		}
		if m.Type == UIEventLoadFailure && m.Data["reason"] != "link_used" {
			t.Errorf("failure reason = %v", m.Data["reason"])
		}
	}

	// A host not in FrameAncestors cannot frame the portal: the browser
	// blocks the frame, so the landing page never runs and the link stays
	// unused.
	fresh, err := env.p.admin.GenerateLink(context.Background(), env.org.ID, admin.LinkOptions{Embedded: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(env.embed(env.rogueURL, fresh.URL))); err != nil {
			return err
		}
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.__loads >= 1`, chromedp.WithPollingTimeout(testkit.BrowserWait)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := portalFrames(t, ctx); n != 0 {
		t.Errorf("the portal rendered in %d frame(s) of a host not allowed to embed it", n)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`window.__msgs`))
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != "[]" {
		t.Errorf("the rogue host received messages: %s", raw)
	}
	if l, err := env.st.GetPortalLink(context.Background(), fresh.ID); err != nil || !l.UsedAt.IsZero() {
		t.Errorf("the blocked frame consumed the link: %v", err)
	}
}

// TestBrowserSessionTimers: the embedded page warns before expiry and
// reports the expiry to the parent.
func TestBrowserSessionTimers(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newBrowserEnv(t)
	link := env.embedLink(t, env.short, admin.LinkOptions{Features: []store.Feature{store.FeatureSSO}})
	env.openEmbedded(t, ctx, link.URL)
	if _, err := waitMessage(ctx, UIEventLoadSuccess); err != nil {
		t.Fatal(err)
	}
	msgs, err := waitMessage(ctx, UIEventSessionWarning)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Type == UIEventSessionWarning && (m.Data["organizationId"] != env.org.ID || m.Data["expiresAt"] == "") {
			t.Errorf("warning data = %v", m.Data)
		}
	}
	msgs, err = waitMessage(ctx, UIEventSessionExpiry)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, m := range msgs {
		order = append(order, m.Type)
	}
	want := []string{UIEventLoadSuccess, UIEventSessionWarning, UIEventSessionExpiry}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("messages %v, want %v", order, want)
	}
}

// TestBrowserShareable walks the shareable link flow at the top level, and
// takes the screenshots with -update-screenshots.
func TestBrowserShareable(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	env := newBrowserEnv(t)
	link, err := env.p.admin.GenerateLink(context.Background(), env.org.ID, admin.LinkOptions{}, "")
	if err != nil {
		t.Fatal(err)
	}
	shot := func(name string, width, height int64) {
		t.Helper()
		testkit.Screenshot(t, ctx, name, width, height)
	}

	err = testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.EmulateViewport(1024, 700),
			chromedp.Navigate(link.URL),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="continue"]`)),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	shot("landing", 1024, 700)
	err = testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`[data-testid="continue"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="home-title"]`)),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if loc != env.portalOrigin+"/portal/" {
		t.Errorf("location after redemption = %q, want the clean home URL", loc)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="home-title"]`)))
	if err != nil || title != "MegaCorp" {
		t.Errorf("home title = %q (%v)", title, err)
	}
	// The branding stylesheet applied the accent colour.
	bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".topbar")).borderTopColor`))
	if err != nil || bg != "rgb(15, 118, 110)" {
		t.Errorf("accent colour = %q (%v)", bg, err)
	}
	// Nothing overflows at 360 px.
	if err := testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(360, 640))
	}); err != nil {
		t.Fatal(err)
	}
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`))
	if err != nil || overflow {
		t.Errorf("page overflows horizontally at 360 px (%v)", err)
	}
	shot("home-mobile", 360, 900)
	shot("home", 1024, 840)

	// An expired link shows a clear page. The link's expiry is set by the
	// clock of the portal that generated it: this one's runs two minutes
	// behind.
	past, err := newPortal(Config{Store: env.st, BaseURL: env.portalOrigin + "/portal", Now: func() time.Time { return time.Now().Add(-2 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	old, err := past.admin.GenerateLink(context.Background(), env.org.ID, admin.LinkOptions{Embedded: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	err = testkit.Within(ctx, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.EmulateViewport(1024, 700),
			chromedp.Navigate(old.URL),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="problem-link-expired"]`)),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	shot("expired-link", 1024, 700)
}

// frameURLs returns the URLs of the page's frames: those in the page's
// process from the frame tree, and cross-site ones (out-of-process iframes,
// separate targets) from the target list.
func frameURLs(t *testing.T, ctx context.Context) []string {
	t.Helper()
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		t.Fatalf("GetFrameTree: %v", err)
	}
	var out []string
	var walk func(ft *page.FrameTree)
	walk = func(ft *page.FrameTree) {
		for _, c := range ft.ChildFrames {
			out = append(out, c.Frame.URL)
			walk(c)
		}
	}
	walk(tree.FrameTree)
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatalf("Targets: %v", err)
	}
	for _, info := range infos {
		if info.Type == "iframe" {
			out = append(out, info.URL)
		}
	}
	return out
}

// portalFrames returns how many of the page's cross-site iframes show a
// rendered portal page, by looking into each iframe's own target.
func portalFrames(t *testing.T, ctx context.Context) int {
	t.Helper()
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatalf("Targets: %v", err)
	}
	n := 0
	for _, info := range infos {
		if info.Type != "iframe" {
			continue
		}
		fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
		err := testkit.Within(fctx, func(ctx context.Context) error {
			rendered, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="topbar"]') !== null`))
			if rendered {
				n++
			}
			return err
		})
		cancel()
		if err != nil {
			t.Fatalf("looking into iframe %s: %v", info.URL, err)
		}
	}
	return n
}
