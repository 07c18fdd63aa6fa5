package dashboard_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/dashboard"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/portal"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// TestBrowserDashboard drives the operator dashboard in Chromium: create an
// organization, generate a shareable link and open it in a second browser
// context, revoke it and see it refused, verify a domain by DNS against a
// local DNS server, change the accent colour with its live preview and see
// the portal pick it up. With -update-screenshots it writes
// docs/screenshots/dashboard-*.png.
func TestBrowserDashboard(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	dnsSrv := testkit.NewDNSServer(t)
	st := memstore.New()
	mux := http.NewServeMux()
	_, port := testkit.Listen(t, mux)
	origin := "http://localhost:" + port
	logger := slog.New(slog.NewTextHandler(testkit.TestWriter{T: t}, nil))
	svc, err := domains.New(domains.Config{Store: st, Resolver: dnsSrv.Resolver(), LookupTimeout: 2 * time.Second, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	a, err := admin.New(admin.Config{
		Store:     st,
		PortalURL: origin + "/portal",
		Branding:  admin.Branding{ProductName: "Widgets Cloud", AccentColor: "#3452c7"},
		Domains:   svc,
		Logger:    logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := portal.New(portal.Config{Store: st, Admin: a, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	d, err := dashboard.New(dashboard.Config{
		Admin:    a,
		BaseURL:  origin + "/dashboard",
		Operator: func(*http.Request) string { return surfacetest.Operator },
		Logger:   logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/portal/", http.StripPrefix("/portal", p))
	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", d))
	// A few organizations, for the list.
	for _, n := range []string{"Initech", "Umbrella"} {
		if _, err := a.CreateOrganization(context.Background(), admin.OrganizationInput{Name: n}, "operator:setup"); err != nil {
			t.Fatal(err)
		}
	}

	// Create an organization.
	testkit.Do(t, ctx, "create organization",
		chromedp.EmulateViewport(1200, 900),
		chromedp.Navigate(origin+"/dashboard/"),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("create-org-form"))),
		chromedp.SendKeys(chromedp.CSS(testkit.TID("org-name-input")), "Globex"),
		chromedp.SendKeys(chromedp.CSS(testkit.TID("org-external-id-input")), "cus_42"),
		chromedp.Click(chromedp.CSS(testkit.TID("create-org"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("org-status"))),
	)
	if got := testkit.Text(t, ctx, testkit.TID("page-title")); got != "Globex" {
		t.Fatalf("organization page title %q", got)
	}
	if got := testkit.Text(t, ctx, testkit.TID("flash")); got != "Organization created." {
		t.Errorf("flash %q", got)
	}
	orgID := testkit.Text(t, ctx, testkit.TID("org-id"))
	if _, err := st.GetOrganization(context.Background(), orgID); err != nil {
		t.Fatalf("organization %q not stored: %v", orgID, err)
	}

	// Generate a shareable link: the page shows it with its expiry and a
	// copy button.
	testkit.Do(t, ctx, "generate link",
		chromedp.Click(chromedp.CSS(testkit.TID("generate-link"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("link-url"))),
	)
	link := testkit.Eval[string](t, ctx, `document.querySelector('[data-testid="link-url"]').value`)
	if !strings.HasPrefix(link, origin+"/portal/l/okp_") {
		t.Fatalf("link %q", link)
	}
	if exp := testkit.Text(t, ctx, testkit.TID("link-expiry")); !strings.Contains(exp, "UTC") {
		t.Errorf("expiry %q", exp)
	}
	testkit.Do(t, ctx, "copy", chromedp.Click(chromedp.CSS(testkit.TID("copy-link"))))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('[data-testid="copy-status"]').textContent !== ""`, chromedp.WithPollingTimeout(testkit.BrowserWait))); err != nil {
		t.Errorf("the copy button did nothing: %v", err)
	}
	testkit.Screenshot(t, ctx, "dashboard-link", 1200, 600)

	// Open it in a second browser context: another browser profile, as the
	// customer's IT admin would.
	itAdmin, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(itAdmin); err != nil {
		t.Fatalf("second browser context: %v", err)
	}
	testkit.Do(t, itAdmin, "open link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("continue"))),
		chromedp.Click(chromedp.CSS(testkit.TID("continue"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("home-title"))),
	)
	if got := testkit.Text(t, itAdmin, testkit.TID("home-title")); got != "Globex" {
		t.Fatalf("portal home %q", got)
	}

	// Revoke it from the dashboard; the admin's session and the link are
	// refused.
	testkit.Do(t, ctx, "revoke",
		chromedp.Click(chromedp.CSS(testkit.TID("back-to-org"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("revoke-link"))),
		chromedp.Click(chromedp.CSS(testkit.TID("revoke-link"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("confirm-button"))),
		chromedp.Click(chromedp.CSS(testkit.TID("confirm-button"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("flash"))),
	)
	if got := testkit.Text(t, ctx, testkit.TID("link-status")); got != "Revoked" {
		t.Errorf("link status %q", got)
	}
	testkit.Do(t, itAdmin, "session after revocation",
		chromedp.Navigate(origin+"/portal/"),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("problem-no-session"))),
	)
	testkit.Do(t, itAdmin, "link after revocation",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("problem-link-revoked"))),
	)

	// Verify a domain by DNS: add it, publish the record the page shows on
	// the local DNS server, check.
	testkit.Do(t, ctx, "add domain",
		chromedp.SendKeys(chromedp.CSS(testkit.TID("domain-input")), "globex.test"),
		chromedp.Click(chromedp.CSS(testkit.TID("add-domain"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("domain-record-value"))),
	)
	recName, recValue := testkit.Text(t, ctx, testkit.TID("domain-record-name")), testkit.Text(t, ctx, testkit.TID("domain-record-value"))
	if recName != "_onboardkit-verification.globex.test" || recValue == "" {
		t.Fatalf("record %q = %q", recName, recValue)
	}
	dnsSrv.SetTXT(recName, recValue)
	testkit.Do(t, ctx, "check domain",
		chromedp.Click(chromedp.CSS(testkit.TID("check-domain"))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="domain-state"][data-state="verified"]`)),
	)
	if got := testkit.Text(t, ctx, testkit.TID("status-domains")); got != "1 verified" {
		t.Errorf("domain status %q", got)
	}
	if d, err := st.GetVerifiedDomain(context.Background(), "globex.test"); err != nil || d.VerifiedBy != domains.VerifiedByDNS {
		t.Fatalf("domain not verified by DNS: %v %+v", err, d)
	}
	testkit.Screenshot(t, ctx, "dashboard-org", 1200, 1500)

	// Branding: the preview follows the colour input before saving, and the
	// portal shows the saved colour.
	testkit.Do(t, ctx, "branding page",
		chromedp.Navigate(origin+"/dashboard/branding"),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("accent-input"))),
		chromedp.Clear(chromedp.CSS(testkit.TID("accent-input"))),
		chromedp.SendKeys(chromedp.CSS(testkit.TID("accent-input")), "#b91c1c"),
	)
	preview := `getComputedStyle(document.querySelector('[data-testid="preview-button"]')).backgroundColor`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](preview+` === "rgb(185, 28, 28)"`, chromedp.WithPollingTimeout(testkit.BrowserWait))); err != nil {
		t.Fatalf("the preview did not follow the input: %s (%v)", testkit.Eval[string](t, ctx, preview), err)
	}
	if got := testkit.Eval[string](t, ctx, `getComputedStyle(document.querySelector('[data-testid="preview-topbar"]')).borderTopColor`); got != "rgb(185, 28, 28)" {
		t.Errorf("preview top bar %q", got)
	}
	if got := testkit.Eval[string](t, ctx, `getComputedStyle(document.querySelector('.topbar')).borderTopColor`); got != "rgb(52, 82, 199)" {
		t.Errorf("the dashboard's own accent changed before saving: %q", got)
	}
	testkit.Screenshot(t, ctx, "dashboard-branding", 1200, 760)
	testkit.Do(t, ctx, "save branding",
		chromedp.Click(chromedp.CSS(testkit.TID("save-branding"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("flash"))),
	)
	if b, err := st.GetBranding(context.Background(), ""); err != nil || b.AccentColor != "#b91c1c" {
		t.Fatalf("stored branding %+v (%v)", b, err)
	}
	fresh, err := a.GenerateLink(context.Background(), orgID, admin.LinkOptions{}, "operator:test")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Do(t, itAdmin, "portal with the new accent",
		chromedp.Navigate(fresh.URL),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("continue"))),
		chromedp.Click(chromedp.CSS(testkit.TID("continue"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("home-title"))),
	)
	// The brand stylesheet may still be loading when the title shows:
	// wait until the accent applies, then compare (a wrong accent fails
	// when the wait gives up).
	accent := `getComputedStyle(document.querySelector(".topbar")).borderTopColor`
	_, _ = chromedp.Run(itAdmin, chromedp.Poll[bool](accent+` === "rgb(185, 28, 28)"`, chromedp.WithPollingTimeout(testkit.BrowserWait)))
	if got := testkit.Eval[string](t, itAdmin, accent); got != "rgb(185, 28, 28)" {
		t.Errorf("the portal's accent is %q, want the saved #b91c1c", got)
	}

	// The audit log, filtered to the organization.
	testkit.Do(t, ctx, "events",
		chromedp.Navigate(origin+"/dashboard/events?"+url.Values{"org_id": {orgID}}.Encode()),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("events"))),
	)
	types := testkit.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="event-type"]')).map(e => e.textContent)`)
	for _, want := range []string{admin.EventOrganizationCreated, admin.EventLinkCreated, portal.EventSessionCreated, admin.EventLinkRevoked, domains.EventCreated, domains.EventVerified} {
		if !containsString(types, want) {
			t.Errorf("audit log lacks %s: %v", want, types)
		}
	}
	actors := testkit.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="event-actor"]')).map(e => e.textContent)`)
	if !containsString(actors, "operator:"+surfacetest.Operator) {
		t.Errorf("no event by the operator: %v", actors)
	}
	testkit.Screenshot(t, ctx, "dashboard-events", 1200, 760)

	testkit.Do(t, ctx, "organizations",
		chromedp.Navigate(origin+"/dashboard/"),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("orgs"))),
	)
	if n := testkit.Eval[int](t, ctx, `document.querySelectorAll('[data-testid="org-row"]').length`); n != 3 {
		t.Errorf("%d organizations listed", n)
	}
	// Nothing overflows the page at 360 px (tables scroll in their box).
	testkit.Do(t, ctx, "narrow", chromedp.EmulateViewport(360, 640))
	if testkit.Eval[bool](t, ctx, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
		t.Error("the dashboard overflows horizontally at 360 px")
	}
	testkit.Screenshot(t, ctx, "dashboard-orgs", 1200, 640)
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}
