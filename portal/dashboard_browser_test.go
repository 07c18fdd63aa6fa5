package portal

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// screenshot writes docs/screenshots/<name>.png under -update-screenshots.
func screenshot(t *testing.T, ctx context.Context, name string, width, height int64) {
	t.Helper()
	if !*updateScreenshots {
		return
	}
	var buf []byte
	err := within(ctx, func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
			return err
		}
		var err error
		buf, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
		return err
	})
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if !bytes.HasPrefix(buf, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s is not a PNG", name)
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// css selects by data-testid.
func tid(id string) string { return `[data-testid="` + id + `"]` }

// do runs actions under browserWait.
func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := within(ctx, func(ctx context.Context) error { return chromedp.Do(ctx, actions...) }); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	err := within(ctx, func(ctx context.Context) error {
		var err error
		s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		return err
	})
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	var v T
	err := within(ctx, func(ctx context.Context) error {
		var err error
		v, err = chromedp.Run(ctx, chromedp.Evaluate[T](expr))
		return err
	})
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// TestBrowserDashboard drives the operator dashboard in Chromium: create an
// organization, generate a shareable link and open it in a second browser
// context, revoke it and see it refused, verify a domain by DNS against a
// local DNS server, change the accent colour with its live preview and see
// the portal pick it up. With -update-screenshots it writes
// docs/screenshots/dashboard-*.png.
func TestBrowserDashboard(t *testing.T) {
	ctx := newBrowser(t)
	dnsSrv := newDNSServer(t)
	st := memstore.New()
	mux := http.NewServeMux()
	_, port := listen(t, mux)
	origin := "http://localhost:" + port
	logger := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	svc, err := domains.New(domains.Config{Store: st, Resolver: dnsSrv.resolver(), LookupTimeout: 2 * time.Second, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Config{
		Store:        st,
		BaseURL:      origin + "/portal",
		DashboardURL: origin + "/dashboard",
		Branding:     Branding{ProductName: "Widgets Cloud", AccentColor: "#3452c7"},
		Domains:      svc,
		Operator:     staffFrom,
		Logger:       logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/portal/", http.StripPrefix("/portal", p))
	mux.Handle("/dashboard/", requireStaff(http.StripPrefix("/dashboard", p.Dashboard())))
	// A few organizations, for the list.
	for _, n := range []string{"Initech", "Umbrella"} {
		if _, err := p.Admin().CreateOrganization(context.Background(), OrganizationInput{Name: n}, "operator:setup"); err != nil {
			t.Fatal(err)
		}
	}

	// Create an organization.
	do(t, ctx, "create organization",
		chromedp.EmulateViewport(1200, 900),
		chromedp.Navigate(origin+"/dashboard/"),
		chromedp.WaitVisible(chromedp.CSS(tid("create-org-form"))),
		chromedp.SendKeys(chromedp.CSS(tid("org-name-input")), "Globex"),
		chromedp.SendKeys(chromedp.CSS(tid("org-external-id-input")), "cus_42"),
		chromedp.Click(chromedp.CSS(tid("create-org"))),
		chromedp.WaitVisible(chromedp.CSS(tid("org-status"))),
	)
	if got := text(t, ctx, tid("page-title")); got != "Globex" {
		t.Fatalf("organization page title %q", got)
	}
	if got := text(t, ctx, tid("flash")); got != flashMessages["org-created"] {
		t.Errorf("flash %q", got)
	}
	orgID := text(t, ctx, tid("org-id"))
	if _, err := st.GetOrganization(context.Background(), orgID); err != nil {
		t.Fatalf("organization %q not stored: %v", orgID, err)
	}

	// Generate a shareable link: the page shows it with its expiry and a
	// copy button.
	do(t, ctx, "generate link",
		chromedp.Click(chromedp.CSS(tid("generate-link"))),
		chromedp.WaitVisible(chromedp.CSS(tid("link-url"))),
	)
	link := eval[string](t, ctx, `document.querySelector('[data-testid="link-url"]').value`)
	if !strings.HasPrefix(link, origin+"/portal/l/okp_") {
		t.Fatalf("link %q", link)
	}
	if exp := text(t, ctx, tid("link-expiry")); !strings.Contains(exp, "UTC") {
		t.Errorf("expiry %q", exp)
	}
	do(t, ctx, "copy", chromedp.Click(chromedp.CSS(tid("copy-link"))))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('[data-testid="copy-status"]').textContent !== ""`, chromedp.WithPollingTimeout(browserWait))); err != nil {
		t.Errorf("the copy button did nothing: %v", err)
	}
	screenshot(t, ctx, "dashboard-link", 1200, 600)

	// Open it in a second browser context: another browser profile, as the
	// customer's IT admin would.
	admin, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(admin); err != nil {
		t.Fatalf("second browser context: %v", err)
	}
	do(t, admin, "open link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(tid("continue"))),
		chromedp.Click(chromedp.CSS(tid("continue"))),
		chromedp.WaitVisible(chromedp.CSS(tid("home-title"))),
	)
	if got := text(t, admin, tid("home-title")); got != "Globex" {
		t.Fatalf("portal home %q", got)
	}

	// Revoke it from the dashboard; the admin's session and the link are
	// refused.
	do(t, ctx, "revoke",
		chromedp.Click(chromedp.CSS(tid("back-to-org"))),
		chromedp.WaitVisible(chromedp.CSS(tid("revoke-link"))),
		chromedp.Click(chromedp.CSS(tid("revoke-link"))),
		chromedp.WaitVisible(chromedp.CSS(tid("flash"))),
	)
	if got := text(t, ctx, tid("link-status")); got != "Revoked" {
		t.Errorf("link status %q", got)
	}
	do(t, admin, "session after revocation",
		chromedp.Navigate(origin+"/portal/"),
		chromedp.WaitVisible(chromedp.CSS(tid("problem-no-session"))),
	)
	do(t, admin, "link after revocation",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(tid("problem-link-revoked"))),
	)

	// Verify a domain by DNS: add it, publish the record the page shows on
	// the local DNS server, check.
	do(t, ctx, "add domain",
		chromedp.SendKeys(chromedp.CSS(tid("domain-input")), "globex.test"),
		chromedp.Click(chromedp.CSS(tid("add-domain"))),
		chromedp.WaitVisible(chromedp.CSS(tid("domain-record-value"))),
	)
	recName, recValue := text(t, ctx, tid("domain-record-name")), text(t, ctx, tid("domain-record-value"))
	if recName != "_onboardkit-verification.globex.test" || recValue == "" {
		t.Fatalf("record %q = %q", recName, recValue)
	}
	dnsSrv.setTXT(recName, recValue)
	do(t, ctx, "check domain",
		chromedp.Click(chromedp.CSS(tid("check-domain"))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="domain-state"][data-state="verified"]`)),
	)
	if got := text(t, ctx, tid("status-domains")); got != "1 verified" {
		t.Errorf("domain status %q", got)
	}
	if d, err := st.GetVerifiedDomain(context.Background(), "globex.test"); err != nil || d.VerifiedBy != domains.VerifiedByDNS {
		t.Fatalf("domain not verified by DNS: %v %+v", err, d)
	}
	screenshot(t, ctx, "dashboard-org", 1200, 1500)

	// Branding: the preview follows the colour input before saving, and the
	// portal shows the saved colour.
	do(t, ctx, "branding page",
		chromedp.Navigate(origin+"/dashboard/branding"),
		chromedp.WaitVisible(chromedp.CSS(tid("accent-input"))),
		chromedp.Clear(chromedp.CSS(tid("accent-input"))),
		chromedp.SendKeys(chromedp.CSS(tid("accent-input")), "#b91c1c"),
	)
	preview := `getComputedStyle(document.querySelector('[data-testid="preview-button"]')).backgroundColor`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](preview+` === "rgb(185, 28, 28)"`, chromedp.WithPollingTimeout(browserWait))); err != nil {
		t.Fatalf("the preview did not follow the input: %s (%v)", eval[string](t, ctx, preview), err)
	}
	if got := eval[string](t, ctx, `getComputedStyle(document.querySelector('[data-testid="preview-topbar"]')).borderTopColor`); got != "rgb(185, 28, 28)" {
		t.Errorf("preview top bar %q", got)
	}
	if got := eval[string](t, ctx, `getComputedStyle(document.querySelector('.topbar')).borderTopColor`); got != "rgb(52, 82, 199)" {
		t.Errorf("the dashboard's own accent changed before saving: %q", got)
	}
	screenshot(t, ctx, "dashboard-branding", 1200, 760)
	do(t, ctx, "save branding",
		chromedp.Click(chromedp.CSS(tid("save-branding"))),
		chromedp.WaitVisible(chromedp.CSS(tid("flash"))),
	)
	if b, err := st.GetBranding(context.Background(), ""); err != nil || b.AccentColor != "#b91c1c" {
		t.Fatalf("stored branding %+v (%v)", b, err)
	}
	fresh, err := p.Admin().GenerateLink(context.Background(), orgID, LinkRequest{}, "operator:test")
	if err != nil {
		t.Fatal(err)
	}
	do(t, admin, "portal with the new accent",
		chromedp.Navigate(fresh.URL),
		chromedp.WaitVisible(chromedp.CSS(tid("continue"))),
		chromedp.Click(chromedp.CSS(tid("continue"))),
		chromedp.WaitVisible(chromedp.CSS(tid("home-title"))),
	)
	if got := eval[string](t, admin, `getComputedStyle(document.querySelector(".topbar")).borderTopColor`); got != "rgb(185, 28, 28)" {
		t.Errorf("the portal's accent is %q, want the saved #b91c1c", got)
	}

	// The audit log, filtered to the organization.
	do(t, ctx, "events",
		chromedp.Navigate(origin+"/dashboard/events?"+url.Values{"org": {orgID}}.Encode()),
		chromedp.WaitVisible(chromedp.CSS(tid("events"))),
	)
	types := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="event-type"]')).map(e => e.textContent)`)
	for _, want := range []string{EventOrganizationCreated, EventLinkCreated, EventSessionCreated, EventLinkRevoked, domains.EventCreated, domains.EventVerified} {
		if !containsString(types, want) {
			t.Errorf("audit log lacks %s: %v", want, types)
		}
	}
	actors := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="event-actor"]')).map(e => e.textContent)`)
	if !containsString(actors, "operator:"+testOperator) {
		t.Errorf("no event by the operator: %v", actors)
	}
	screenshot(t, ctx, "dashboard-events", 1200, 760)

	do(t, ctx, "organizations",
		chromedp.Navigate(origin+"/dashboard/"),
		chromedp.WaitVisible(chromedp.CSS(tid("orgs"))),
	)
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="org-row"]').length`); n != 3 {
		t.Errorf("%d organizations listed", n)
	}
	// Nothing overflows the page at 360 px (tables scroll in their box).
	do(t, ctx, "narrow", chromedp.EmulateViewport(360, 640))
	if eval[bool](t, ctx, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
		t.Error("the dashboard overflows horizontally at 360 px")
	}
	screenshot(t, ctx, "dashboard-orgs", 1200, 640)
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}
