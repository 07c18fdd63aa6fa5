package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`

// TestIdPStringsEscaped: names typed by customers or taken from IdP
// metadata are rendered as text, never as markup.
func TestIdPStringsEscaped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	now := h.clock.Now()
	if _, err := h.st.UpdateOrganization(ctx, h.org.ID, func(o *store.Organization) ([]store.Event, error) {
		o.Name = "Acme " + evil
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	must(t, h.st.CreateConnection(ctx, &store.Connection{
		ID: "conn_1", OrgID: h.org.ID, Protocol: store.ProtocolSAML, Provider: "okta", Name: "Okta " + evil,
		State: store.ConnectionActive, CreatedAt: now, UpdatedAt: now,
		SAML: &store.SAMLConfig{IdPEntityID: "http://idp.example/" + evil, SSOURL: "https://idp.example/sso", Certificates: []string{"x"}},
	}))
	must(t, h.st.CreateDirectory(ctx, &store.Directory{ID: "dir_1", OrgID: h.org.ID, Provider: "entra", Name: "Entra " + evil, State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}))
	must(t, h.st.CreateDomain(ctx, &store.Domain{ID: "dom_1", OrgID: h.org.ID, Name: "acme.example", State: store.DomainFailed, Method: store.DomainDNSTXT, Challenge: "ok-verify=" + evil, Failure: "lookup failed: " + evil, CreatedAt: now, UpdatedAt: now}))

	c := h.signIn(admin.LinkOptions{})
	_, tok := h.link(admin.LinkOptions{})
	for _, path := range []string{"/portal/", "/portal/sso", "/portal/directory-sync", "/portal/domains", "/portal/l/" + tok} {
		w := h.get(path, c)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", path, w.Code)
		}
		body := w.Body.String()
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s: unescaped markup in page", path)
		}
		doc := parse(t, w)
		if n := doc.Find("script").Length(); n != 2 {
			t.Errorf("%s: %d script elements, want only forms.js and portal.js", path, n)
		}
		if doc.Find("img:not(.provider-logo)").Length() != 0 {
			t.Errorf("%s: an injected img element", path)
		}
		if path == "/portal/" {
			if got := testID(doc, "home-title").Text(); got != "Acme "+evil {
				t.Errorf("org name rendered as %q", got)
			}
			if got := testID(doc, "connection-name").Text(); got != "Okta "+evil {
				t.Errorf("connection name rendered as %q", got)
			}
			if got := testID(doc, "directory-name").Text(); got != "Entra "+evil {
				t.Errorf("directory name rendered as %q", got)
			}
		}
	}
}

// TestHomeShowsStoreState: the overview shows what the Store holds, per
// section, with states.
func TestHomeShowsStoreState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	now := h.clock.Now()
	must(t, h.st.CreateConnection(ctx, &store.Connection{
		ID: "conn_1", OrgID: h.org.ID, Protocol: store.ProtocolOIDC, Provider: "entra", Name: "Staff",
		State: store.ConnectionTested, TestedAt: now, CreatedAt: now, UpdatedAt: now,
		OIDC: &store.OIDCConfig{Issuer: "https://login.microsoftonline.com/t/v2.0", ClientID: "c"},
	}))
	must(t, h.st.CreateDirectory(ctx, &store.Directory{ID: "dir_1", OrgID: h.org.ID, Provider: "okta", Name: "Okta SCIM", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}))
	for _, u := range []string{"ann@acme.example", "bob@acme.example"} {
		must(t, h.st.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: "u_" + u[:3], DirectoryID: "dir_1", UserName: u, Active: true, CreatedAt: now, UpdatedAt: now}))
	}
	must(t, h.st.CreateDomain(ctx, &store.Domain{ID: "dom_1", OrgID: h.org.ID, Name: "acme.example", State: store.DomainVerified, Method: store.DomainManual, VerifiedAt: now, VerifiedBy: "operator", CreatedAt: now, UpdatedAt: now}))
	must(t, h.st.CreateDomain(ctx, &store.Domain{ID: "dom_2", OrgID: h.org.ID, Name: "acme.test", State: store.DomainPending, Method: store.DomainDNSTXT, Challenge: "onboardkit-verify=abc", CreatedAt: now, UpdatedAt: now}))

	c := h.signIn(admin.LinkOptions{})
	doc := parse(t, h.get("/portal/", c))
	checks := []struct{ sel, want string }{
		{`[data-testid="connection-name"]`, "Staff"},
		{`[data-testid="connection-state"]`, "Tested, not active"},
		{`[data-testid="connection-detail"]`, "https://login.microsoftonline.com/t/v2.0"},
		{`[data-testid="directory-state"]`, "Active"},
		{`[data-testid="directory-users"]`, "2"},
		{`[data-testid="directory-groups"]`, "0"},
		{`[data-testid="domain"]:nth-child(1) [data-testid="domain-state"]`, "Verified"},
		{`[data-testid="domain"]:nth-child(2) [data-testid="domain-state"]`, "Pending verification"},
		{`[data-testid="domain-challenge"]`, "onboardkit-verify=abc"},
	}
	for _, ck := range checks {
		if got := strings.TrimSpace(doc.Find(ck.sel).Text()); got != ck.want {
			t.Errorf("%s = %q, want %q", ck.sel, got, ck.want)
		}
	}
	if st, _ := testID(doc, "connection-state").Attr("data-state"); st != "tested" {
		t.Errorf("connection data-state = %q", st)
	}
	// Another organization's session sees none of it.
	other := h.createOrg("org_other", "Other")
	_, tok := h.linkFor(other.ID, admin.LinkOptions{}, "")
	_, oc := h.redeem(tok)
	odoc := parse(t, h.get("/portal/", oc))
	for _, id := range []string{"sso-empty", "dir-sync-empty", "domains-empty"} {
		if testID(odoc, id).Length() != 1 {
			t.Errorf("other organization: %s missing", id)
		}
	}
}

func TestBrandingResolution(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config, ac *admin.Config) {
		ac.Branding = admin.Branding{ProductName: "Widgets", AccentColor: "#112233"}
	})
	ctx := context.Background()
	c := h.signIn(admin.LinkOptions{})
	css := func(cookie ...*http.Cookie) string {
		w := h.get("/portal/brand/style.css", cookie...)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
			t.Fatalf("brand css: %d %s", w.Code, w.Header().Get("Content-Type"))
		}
		return w.Body.String()
	}
	if got := css(c); !strings.Contains(got, "--accent:#112233") {
		t.Errorf("config branding: %s", got)
	}
	must(t, h.st.PutBranding(ctx, &store.Branding{Scope: "", AccentColor: "#445566", Logo: &store.Asset{ContentType: "image/png", Data: []byte("PNGDATA")}}))
	if got := css(c); !strings.Contains(got, "--accent:#445566") {
		t.Errorf("host-wide branding: %s", got)
	}
	must(t, h.st.PutBranding(ctx, &store.Branding{Scope: h.org.ID, AccentColor: "#ffff00"}))
	got := css(c)
	if !strings.Contains(got, "--accent:#ffff00") || !strings.Contains(got, "--on-accent:#111827") {
		t.Errorf("organization branding with a light accent: %s", got)
	}
	if got := css(); !strings.Contains(got, "--accent:#445566") {
		t.Errorf("without session the organization's branding must not apply: %s", got)
	}
	// The logo falls back to the host-wide one, field by field.
	w := h.get("/portal/brand/logo", c)
	if w.Code != http.StatusOK || w.Body.String() != "PNGDATA" || w.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("logo: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	for _, want := range []string{"sandbox", "default-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(w.Header().Get("Content-Security-Policy"), want) {
			t.Errorf("uploaded asset served with CSP %q, lacking %q", w.Header().Get("Content-Security-Policy"), want)
		}
	}
	doc := parse(t, h.get("/portal/", c))
	if src, _ := testID(doc, "logo").Attr("src"); src != "/portal/brand/logo" {
		t.Errorf("logo src = %q", src)
	}
	if alt, _ := testID(doc, "logo").Attr("alt"); alt != "Widgets" {
		t.Errorf("logo alt = %q", alt)
	}
	if title := doc.Find("title").Text(); title != "Overview · Widgets" {
		t.Errorf("title = %q", title)
	}
	if w := h.get("/portal/brand/favicon", c); w.Code != http.StatusNotFound {
		t.Errorf("favicon without one: %d", w.Code)
	}
}

func TestAssets(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	tests := []struct {
		path, ctype string
		status      int
	}{
		{"/portal/assets/portal.css", "text/css; charset=utf-8", http.StatusOK},
		{"/portal/assets/portal.js", "text/javascript; charset=utf-8", http.StatusOK},
		{"/portal/assets/secret.txt", "text/html; charset=utf-8", http.StatusNotFound},
		{"/portal/assets/missing.js", "text/html; charset=utf-8", http.StatusNotFound},
	}
	for _, tt := range tests {
		w := h.get(tt.path)
		if w.Code != tt.status || w.Header().Get("Content-Type") != tt.ctype {
			t.Errorf("%s: %d %q", tt.path, w.Code, w.Header().Get("Content-Type"))
		}
	}
	js := h.get("/portal/assets/portal.js").Body.String()
	// Messages go only to the configured origins: no wildcard target in any
	// quoting, and every postMessage call's target is an entry of the list
	// read from data-parent-origins.
	if wildcard := regexp.MustCompile("[\"'`]\\s*\\*\\s*[\"'`]"); wildcard.MatchString(js) {
		t.Errorf("portal.js contains a wildcard target origin: %q", wildcard.FindString(js))
	}
	calls := regexp.MustCompile(`postMessage\(([^)]*)\)`).FindAllStringSubmatch(js, -1)
	if len(calls) == 0 {
		t.Fatal("portal.js never calls postMessage; has the script changed?")
	}
	for _, c := range calls {
		if c[1] != "msg, origin" {
			t.Errorf("postMessage(%s): the target must be an origin of the configured list", c[1])
		}
	}
	for _, want := range []string{"ds.parentOrigins", "parentOrigins().forEach(function (origin)"} {
		if !strings.Contains(js, want) {
			t.Errorf("portal.js no longer reads the target origins from the configured list (%q)", want)
		}
	}
	css := h.get("/portal/assets/portal.css").Body.String()
	if strings.Contains(css, "http://") || strings.Contains(css, "https://") || strings.Contains(css, "@import") {
		t.Error("portal.css loads something from another host")
	}
}

// TestUIEventsRendered: the documented mechanism for later pages.
func TestUIEventsRendered(t *testing.T) {
	t.Parallel()
	v := &view{Head: web.Head{Title: "SSO", ProductName: "X", CSSURL: "/a.css", JSURL: "/a.js", BrandCSSURL: "/b.css"},
		Events: []UIEvent{{Type: UIEventSSOEnabled, Data: map[string]string{"connectionId": `conn_"1"`}}}}
	var buf bytes.Buffer
	if err := problemPage(v, problemNotFound.problem()).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	el := doc.Find(`[data-testid="portal-event"]`)
	if typ, _ := el.Attr("data-portal-event"); typ != UIEventSSOEnabled {
		t.Fatalf("event type = %q", typ)
	}
	raw, _ := el.Attr("data-portal-event-data")
	var data map[string]string
	if err := json.Unmarshal([]byte(raw), &data); err != nil || data["connectionId"] != `conn_"1"` {
		t.Fatalf("event data = %q (%v)", raw, err)
	}
	if _, hidden := el.Attr("hidden"); !hidden {
		t.Error("event element is visible")
	}
}

// TestLandingComponent renders the templ component directly.
func TestLandingComponent(t *testing.T) {
	t.Parallel()
	v := &view{Head: web.Head{Title: "Continue", ProductName: "Widgets", CSSURL: "/p/assets/portal.css", JSURL: "/p/assets/portal.js", BrandCSSURL: "/p/brand/style.css"}}
	tests := []struct {
		name     string
		auto     bool
		features []section
		items    int
	}{
		{"shareable", false, sections(), 3},
		{"embedded sso only", true, sections()[:1], 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := landingPage(v, landingData{OrgName: "Acme", Action: "/p/l", Token: "tok", AutoContinue: tt.auto, Features: tt.features}).Render(context.Background(), &buf)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := goquery.NewDocumentFromReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if n := doc.Find(`[data-testid="landing-features"] li`).Length(); n != tt.items {
				t.Errorf("%d features listed, want %d", n, tt.items)
			}
			_, auto := doc.Find(`[data-testid="continue-form"]`).Attr("data-autocontinue")
			if auto != tt.auto {
				t.Errorf("autocontinue = %v", auto)
			}
			if doc.Find(`button[type="submit"]`).Text() == "" {
				t.Error("the continue button has no text")
			}
			if doc.Find(`html`).AttrOr("lang", "") != "en" || doc.Find(`meta[name="viewport"]`).Length() != 1 {
				t.Error("missing lang or viewport")
			}
		})
	}
}

// TestSessionTimerData: the page tells the script when to warn and expire,
// relative to the server clock.
func TestSessionTimerData(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.signIn(admin.LinkOptions{Embedded: true})
	h.clock.Add(time.Hour)
	body := parse(t, h.get("/portal/", c)).Find("body")
	want := map[string]string{
		"data-load":        "success",
		"data-org":         h.org.ID,
		"data-expires-in":  "18000000",
		"data-warn-before": "300000",
		"data-expires-at":  "2026-03-02T15:00:00Z",
		"data-features":    "dir_sync domains sso",
	}
	for attr, v := range want {
		if got, _ := body.Attr(attr); got != v {
			t.Errorf("%s = %q, want %q", attr, got, v)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkRenderHome renders the overview of an organization with a few
// connections, directories and domains to io.Discard.
func BenchmarkRenderHome(b *testing.B) {
	p, err := newPortal(Config{Store: nopStore{}, BaseURL: testBaseURL, FrameAncestors: []string{"https://app.example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	s := &session{
		s:     &store.PortalSession{ID: "psess_1", OrgID: "org_1", Features: store.Features{store.FeatureSSO, store.FeatureDirSync, store.FeatureDomains}, CSRF: strings.Repeat("c", 43), ExpiresAt: time.Now().Add(time.Hour)},
		org:   &store.Organization{ID: "org_1", Name: "Acme Corp"},
		brand: p.admin.DefaultBranding(),
	}
	d := homeData{
		OrgName: "Acme Corp",
		SSO: &ssoData{Href: "/portal/sso", Connections: []connRow{
			{Name: "Okta", Protocol: "SAML", Provider: "Okta", State: "active", Label: "Active", Detail: "http://www.okta.com/exk1", TestedAt: timeStamp("Last tested", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))},
			{Name: "Entra", Protocol: "OpenID Connect", Provider: "Microsoft Entra ID", State: "draft", Label: "Draft"},
		}},
		Dir: &dirData{Href: "/portal/directory-sync", Directories: []dirRow{{Name: "Okta SCIM", Provider: "Okta", State: "active", Label: "Active", Users: 1200, Groups: 40}}},
		Domains: &domainsData{Href: "/portal/domains", Domains: []domainRow{
			{Name: "acme.example", State: "verified", Label: "Verified", Method: "DNS TXT record", VerifiedAt: dayStamp("Verified", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))},
			{Name: "acme.test", State: "pending", Label: "Pending verification", Method: "DNS TXT record", Challenge: "onboardkit-verify=abc"},
		}},
	}
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := homePage(p.sessionView(r, s, "Overview", ""), d).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// nopStore satisfies store.Store for the benchmark, which reads nothing.
type nopStore struct{ store.Store }

// BenchmarkServeHome serves the overview over the handler: session lookup,
// link and organization checks, branding and the sections' Store reads,
// on memstore.
func BenchmarkServeHome(b *testing.B) {
	h := newHarness(b, nil)
	c := h.signIn(admin.LinkOptions{})
	r := httptestRequest(http.MethodGet, "https://app.example.com/portal/")
	r.AddCookie(c)
	b.ReportAllocs()
	for b.Loop() {
		w := h.do(r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
