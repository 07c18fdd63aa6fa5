package dashboard_test

import (
	"bytes"
	"context"
	imgcolor "image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

// orgIDFromLocation returns the organization id of a redirect to its page.
func orgIDFromLocation(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	loc := w.Header().Get("Location")
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(u.Path, "/dashboard/orgs/") {
		t.Fatalf("Location %q", loc)
	}
	return strings.TrimPrefix(u.Path, "/dashboard/orgs/")
}

func TestDashboardSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) { c.Portal.FrameAncestors = []string{"https://app.example.com"} })
	pages := map[string]*httptest.ResponseRecorder{
		"orgs":      h.DashGet("/"),
		"org":       h.DashGet("/orgs/" + h.Org.ID),
		"branding":  h.DashGet("/branding"),
		"org brand": h.DashGet("/orgs/" + h.Org.ID + "/branding"),
		"events":    h.DashGet("/events"),
		"keys":      h.DashGet("/api-keys"),
		"not found": h.DashGet("/nope"),
		"no org":    h.DashGet("/orgs/org_nope"),
		"js":        h.DashGet("/assets/dashboard.js"),
		"css":       h.DashGet("/assets/portal.css"),
		"brand css": h.DashGet("/brand/style.css"),
		"csrf":      h.Post("/dashboard/orgs", url.Values{"name": {"x"}}),
	}
	statuses := map[string]int{"not found": 404, "no org": 404, "csrf": 403}
	for name, w := range pages {
		want := statuses[name]
		if want == 0 {
			want = http.StatusOK
		}
		if w.Code != want {
			t.Errorf("%s: status %d, want %d", name, w.Code, want)
		}
		hd := w.Header()
		csp := hd.Get("Content-Security-Policy")
		for _, must := range []string{"default-src 'self';", "script-src https://app.example.com/dashboard/assets/;", "style-src 'self';", "frame-ancestors 'none';", "form-action 'self';"} {
			if !strings.Contains(csp, must) {
				t.Errorf("%s: CSP %q lacks %q", name, csp, must)
			}
		}
		if hd.Get("Cache-Control") != "no-store" || hd.Get("Referrer-Policy") != "strict-origin" || hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", name, hd)
		}
		if strings.HasPrefix(hd.Get("Content-Type"), "text/html") {
			body := w.Body.String()
			if strings.Contains(body, " style=") || strings.Contains(body, "<style") {
				t.Errorf("%s: inline style", name)
			}
			testkit.Parse(t, w).Find("script").Each(func(_ int, s *goquery.Selection) {
				if src, _ := s.Attr("src"); src != "/dashboard/assets/dashboard.js" && src != "/dashboard/assets/forms.js" || strings.TrimSpace(s.Text()) != "" {
					t.Errorf("%s: inline or foreign script %q", name, src)
				}
			})
			if n := testkit.Parse(t, w).Find("h1").Length(); n != 1 {
				t.Errorf("%s: %d h1", name, n)
			}
		}
	}
	// The CSRF cookie is host-only, Strict and HttpOnly.
	for _, c := range pages["orgs"].Result().Cookies() {
		if c.Name == "__Host-onboardkit_dashboard_csrf" && (!c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "") {
			t.Errorf("CSRF cookie %+v", c)
		}
	}
	if got := pages["orgs"].Body.String(); !strings.Contains(got, "Signed in as "+surfacetest.Operator) {
		t.Error("operator not shown")
	}
}

func TestDashboardCSRF(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	cookie, token := h.DashCSRF()
	other, _ := h.DashCSRF()
	tests := []struct {
		name    string
		token   string
		cookie  *http.Cookie
		origin  string
		site    string
		allowed bool
	}{
		{"no token", "", cookie, "https://app.example.com", "same-origin", false},
		{"wrong token", token + "x", cookie, "https://app.example.com", "same-origin", false},
		{"token without cookie", token, nil, "https://app.example.com", "same-origin", false},
		{"token of another cookie", token, other, "https://app.example.com", "same-origin", false},
		{"cross-site with token", token, cookie, "https://testkit.Evil.example", "cross-site", false},
		{"same-site sibling", token, cookie, "https://testkit.Evil.example.com", "same-site", false},
		{"foreign origin, no fetch metadata", token, cookie, "https://testkit.Evil.example", "", false},
		{"same origin", token, cookie, "https://app.example.com", "same-origin", true},
		{"null origin from the page", token, cookie, "null", "same-origin", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.EventCount()
			form := url.Values{"name": {"Org " + tt.name}, web.CSRFField: {tt.token}}
			r := httptest.NewRequest(http.MethodPost, "https://app.example.com/dashboard/orgs", nil)
			r.Body = io.NopCloser(strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Origin", tt.origin)
			if tt.site != "" {
				r.Header.Set("Sec-Fetch-Site", tt.site)
			}
			if tt.cookie != nil {
				r.AddCookie(tt.cookie)
			}
			w := h.Do(r)
			page, _ := h.Admin.ListOrganizations(context.Background(), admin.OrganizationQuery{Search: "Org " + tt.name})
			created := len(page.Organizations) == 1
			if tt.allowed != (w.Code == http.StatusSeeOther) || tt.allowed != created {
				t.Fatalf("status %d, created %v; want allowed=%v", w.Code, created, tt.allowed)
			}
			if !tt.allowed {
				if h.EventCount() != before {
					t.Error("a refused request wrote an event")
				}
				if testkit.TestID(testkit.Parse(t, w), "dash-problem").Length() != 1 {
					t.Error("no problem page")
				}
			}
		})
	}
	ev := h.LastEvent(admin.EventOrganizationCreated)
	if ev.Actor != "operator:"+surfacetest.Operator {
		t.Errorf("actor %q", ev.Actor)
	}
}

func TestDashboardOrganizations(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()

	w := h.DashPost("/orgs", url.Values{"name": {"Globex " + testkit.Evil}, "external_id": {"cus_7"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	id := orgIDFromLocation(t, w)
	if !strings.HasSuffix(w.Header().Get("Location"), "?done=org-created") {
		t.Errorf("Location %q", w.Header().Get("Location"))
	}
	now := h.Clock.Now()
	testkit.Must(t, h.Store.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: id, Protocol: store.ProtocolSAML, Provider: "okta", Name: "Okta",
		State: store.ConnectionActive, CreatedAt: now, UpdatedAt: now, SAML: &store.SAMLConfig{IdPEntityID: "http://okta/x", SPKeyPEM: "PRIVATE-KEY-PEM"}}))
	testkit.Must(t, h.Store.CreateDomain(ctx, &store.Domain{ID: "dom_1", OrgID: id, Name: "globex.example", State: store.DomainVerified, Method: store.DomainManual, CreatedAt: now, UpdatedAt: now}))
	testkit.Must(t, h.Store.CreateDomain(ctx, &store.Domain{ID: "dom_2", OrgID: id, Name: "globex.test", State: store.DomainPending, Method: store.DomainDNSTXT, Challenge: "c", CreatedAt: now, UpdatedAt: now}))

	// The list: search, and the status at a glance.
	doc := testkit.Parse(t, h.DashGet("/?q=globex"))
	rows := doc.Find(`[data-testid="org-row"]`)
	if rows.Length() != 1 {
		t.Fatalf("%d rows for the search", rows.Length())
	}
	checks := map[string]string{"org-link": "Globex " + testkit.Evil, "org-external-id": "cus_7", "org-sso": "Active", "org-directory": "Not set up", "org-domains": "1 verified, 1 pending"}
	for tid, want := range checks {
		if got := strings.TrimSpace(rows.Find(`[data-testid="` + tid + `"]`).Text()); got != want {
			t.Errorf("%s = %q, want %q", tid, got, want)
		}
	}
	if doc.Find("img").Length() != 0 || strings.Contains(doc.Text(), "alert(") && doc.Find("script").Length() != 2 {
		t.Error("organization name rendered as markup")
	}
	if n := testkit.Parse(t, h.DashGet("/?q=nomatch")).Find(`[data-testid="orgs-empty"]`).Length(); n != 1 {
		t.Error("no empty state for a search without results")
	}

	// The page.
	w = h.DashGet("/orgs/" + id)
	if w.Code != http.StatusOK {
		t.Fatalf("org page: %d", w.Code)
	}
	if strings.Contains(w.Body.String(), "PRIVATE-KEY-PEM") {
		t.Error("the page shows a connection's private key")
	}
	doc = testkit.Parse(t, w)
	if got := testkit.TestID(doc, "page-title").Text(); got != "Globex "+testkit.Evil {
		t.Errorf("title %q", got)
	}
	if testkit.TestID(doc, "domain").Length() != 2 || testkit.TestID(doc, "connection").Length() != 1 || testkit.TestID(doc, "disable-connection").Length() != 1 {
		t.Error("sections incomplete")
	}

	// Update, then a refused update keeps the page with the message.
	w = h.DashPost("/orgs/"+id, url.Values{"name": {"Globex"}, "external_id": {"cus_8"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("update: %d", w.Code)
	}
	o, err := h.Store.GetOrganization(ctx, id)
	testkit.Must(t, err)
	if o.Name != "Globex" || o.ExternalID != "cus_8" {
		t.Errorf("updated %+v", o)
	}
	w = h.DashPost("/orgs/"+id, url.Values{"name": {""}})
	refusedPage(t, h, w, "name is required")

	// Delete needs the typed name.
	w = h.DashPost("/orgs/"+id+"/delete", url.Values{"confirm": {"globex"}})
	if v, _ := refusedPage(t, h, w, "type its name exactly").Find("#confirm").Attr("value"); v != "globex" {
		t.Errorf("the confirmation typed comes back as %q", v)
	}
	if _, err := h.Store.GetOrganization(ctx, id); err != nil {
		t.Fatal("deleted without confirmation")
	}
	w = h.DashPost("/orgs/"+id+"/delete", url.Values{"confirm": {"Globex"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/dashboard/?done=org-deleted" {
		t.Fatalf("delete: %d %q", w.Code, w.Header().Get("Location"))
	}
	if _, err := h.Store.GetConnection(ctx, "conn_1"); err == nil {
		t.Error("connection survived its organization")
	}
	if got := testkit.TestID(testkit.Parse(t, h.DashGet("/?done=org-deleted")), "flash").Text(); got != "Organization deleted with all its data." {
		t.Errorf("flash %q", got)
	}
	if testkit.TestID(testkit.Parse(t, h.DashGet("/?done=<script>")), "flash").Length() != 0 {
		t.Error("an unknown notice code was shown")
	}
}

func TestDashboardLinks(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	post := h.DashPost("/orgs/"+h.Org.ID+"/links", url.Values{"feature": {"sso", "domains"}, "kind": {"shareable"}})
	w := h.Follow(post)
	if w.Code != http.StatusOK {
		t.Fatalf("generate: %d %s", w.Code, w.Body)
	}
	doc := testkit.Parse(t, w)
	if strings.Contains(post.Header().Get("Location"), "okp_") {
		t.Error("the token is in the redirect's URL")
	}
	// A reload shows the link no more.
	if again := h.DashGet("/orgs/" + h.Org.ID + "/links/created"); again.Code != http.StatusSeeOther || strings.Contains(again.Body.String(), "okp_") {
		t.Errorf("reload: %d", again.Code)
	}
	link, _ := testkit.TestID(doc, "link-url").Attr("value")
	if !strings.HasPrefix(link, surfacetest.PortalURL+"/l/okp_") {
		t.Fatalf("link %q", link)
	}
	if exp, _ := testkit.TestID(doc, "link-expiry").Attr("datetime"); exp != "2026-03-09T09:00:00Z" {
		t.Errorf("expiry %q", exp)
	}
	if copyFor, _ := testkit.TestID(doc, "copy-link").Attr("data-copy"); copyFor != "link-url" {
		t.Error("no copy button for the link")
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("the page with the token is cacheable")
	}
	_, c := h.Redeem(link[strings.LastIndex(link, "/")+1:])
	if c == nil {
		t.Fatal("the generated link does not open the portal")
	}

	doc = testkit.Parse(t, h.DashGet("/orgs/"+h.Org.ID))
	item := testkit.TestID(doc, "link")
	if item.Length() != 1 || strings.TrimSpace(item.Find(`[data-testid="link-status"]`).Text()) != "Active" {
		t.Fatalf("links list: %d", item.Length())
	}
	if strings.Contains(doc.Text(), "okp_") {
		t.Error("the organization page shows a link token")
	}
	revoke, _ := item.Find(`[data-testid="revoke-link"]`).Attr("href")
	w = h.DashPost(strings.TrimPrefix(revoke, "/dashboard"), url.Values{})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", w.Code)
	}
	if w := h.Get("/portal/", c); w.Code != http.StatusUnauthorized {
		t.Errorf("session of a revoked link: %d", w.Code)
	}
	if got := strings.TrimSpace(testkit.TestID(testkit.Parse(t, h.DashGet("/orgs/"+h.Org.ID)), "link-status").Text()); got != "Revoked" {
		t.Errorf("status after revocation %q", got)
	}
	if ev := h.LastEvent(admin.EventLinkRevoked); ev.Actor != "operator:"+surfacetest.Operator {
		t.Errorf("revocation actor %q", ev.Actor)
	}
	// No section chosen, or an unknown one: refused on the page.
	for _, form := range []url.Values{{"kind": {"shareable"}}, {"feature": {"billing"}}} {
		refusedPage(t, h, h.DashPost("/orgs/"+h.Org.ID+"/links", form), "")
	}
}

func TestDashboardDomains(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	base := "/orgs/" + h.Org.ID
	w := h.DashPost(base+"/domains", url.Values{"name": {"acme.example"}, "method": {"dns_txt"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("add: %d %s", w.Code, w.Body)
	}
	doc := testkit.Parse(t, h.DashGet(base))
	name := testkit.TestID(doc, "domain-record-name").Text()
	value := testkit.TestID(doc, "domain-record-value").Text()
	if name != "_onboardkit-verification.acme.example" || value == "" {
		t.Fatalf("record %q = %q", name, value)
	}
	check, _ := doc.Find(`[data-testid="check-domain"]`).Parent().Attr("action")
	h.DNS.SetTXT("acme.example", "v=spf1 -all")
	w = h.DashPost(strings.TrimPrefix(check, "/dashboard"), url.Values{})
	if w.Header().Get("Location") != "/dashboard"+base+"?done=domain-not-verified" {
		t.Fatalf("check without record: %d %q", w.Code, w.Header().Get("Location"))
	}
	doc = testkit.Parse(t, h.DashGet(base))
	if !strings.Contains(testkit.TestID(doc, "domain-failure").Text(), "no TXT record found") {
		t.Errorf("failure %q", testkit.TestID(doc, "domain-failure").Text())
	}
	h.DNS.SetTXT(name, value)
	w = h.DashPost(strings.TrimPrefix(check, "/dashboard"), url.Values{})
	if w.Header().Get("Location") != "/dashboard"+base+"?done=domain-verified" {
		t.Fatalf("check with record: %q", w.Header().Get("Location"))
	}
	if st, _ := testkit.TestID(testkit.Parse(t, h.DashGet(base)), "domain-state").Attr("data-state"); st != "verified" {
		t.Errorf("state %q", st)
	}

	// Manual verification and removal.
	h.DashPost(base+"/domains", url.Values{"name": {"acme.test"}, "method": {"manual"}})
	doc = testkit.Parse(t, h.DashGet(base))
	verify, _ := doc.Find(`[data-testid="verify-domain"]`).Parent().Attr("action")
	if w := h.DashPost(strings.TrimPrefix(verify, "/dashboard"), url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("verify: %d", w.Code)
	}
	if ev := h.LastEvent("domain.verified"); ev.Actor != "operator:"+surfacetest.Operator {
		t.Errorf("actor %q", ev.Actor)
	}
	doms, _ := h.Store.ListDomains(context.Background(), h.Org.ID)
	if len(doms) != 2 || doms[1].State != store.DomainVerified || doms[1].VerifiedBy != "operator:"+surfacetest.Operator {
		t.Fatalf("domains %+v", doms)
	}
	doc = testkit.Parse(t, h.DashGet(base))
	remove, _ := doc.Find(`[data-testid="remove-domain"]`).First().Attr("href")
	if c := h.DashGet(strings.TrimPrefix(remove, "/dashboard")); c.Code != http.StatusOK || testkit.TestID(testkit.Parse(t, c), "confirm-form").Length() != 1 {
		t.Fatalf("the removal is not confirmed first: %d", c.Code)
	}
	if w := h.DashPost(strings.TrimPrefix(remove, "/dashboard"), url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d", w.Code)
	}
	if doms, _ := h.Store.ListDomains(context.Background(), h.Org.ID); len(doms) != 1 {
		t.Errorf("%d domains after removal", len(doms))
	}

	// Bad input is shown on the page.
	for _, tt := range []struct{ name, msg string }{
		{"not a domain", "not a valid domain name"},
		{"outlook.com", "consumer mail domain"},
		{"acme.test", "already has the domain"},
	} {
		doc := refusedPage(t, h, h.DashPost(base+"/domains", url.Values{"name": {tt.name}, "method": {"dns_txt"}}), tt.msg)
		if v, _ := doc.Find("#domain-name").Attr("value"); v != tt.name {
			t.Errorf("the domain typed comes back as %q", v)
		}
	}
}

func TestDashboardConnectionsAndDirectories(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	now := h.Clock.Now()
	testkit.Must(t, h.Store.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: h.Org.ID, Protocol: store.ProtocolSAML, State: store.ConnectionDraft,
		CreatedAt: now, UpdatedAt: now, SAML: &store.SAMLConfig{IdPEntityID: "x"}}))
	testkit.Must(t, h.Store.CreateDirectory(ctx, &store.Directory{ID: "dir_1", OrgID: h.Org.ID, State: store.DirectoryInactive, CreatedAt: now, UpdatedAt: now}))
	base := "/orgs/" + h.Org.ID
	refusedPage(t, h, h.DashPost(base+"/connections/conn_1/enable", url.Values{}), "current state (draft)")
	if w := h.DashPost(base+"/directories/dir_1/enable", url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("enable directory: %d", w.Code)
	}
	if d, _ := h.Store.GetDirectory(ctx, "dir_1"); d.State != store.DirectoryActive {
		t.Errorf("directory state %s", d.State)
	}
	if testkit.TestID(testkit.Parse(t, h.DashGet(base)), "disable-directory").Length() != 1 {
		t.Error("no disable button on an active directory")
	}
	if w := h.DashPost(base+"/directories/dir_1/explode", url.Values{}); w.Code != http.StatusNotFound {
		t.Errorf("unknown operation: %d", w.Code)
	}
}

func TestDashboardBranding(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	logo := testkit.PNG(t, imgcolor.RGBA{G: 200, A: 255})
	w := h.DashUpload("/branding", map[string]string{"accent_color": "#B91C1C"}, map[string][]byte{"logo": logo, "favicon": testkit.ICO()})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/dashboard/branding?done=branding-updated" {
		t.Fatalf("save: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	b, err := h.Store.GetBranding(ctx, "")
	testkit.Must(t, err)
	if b.AccentColor != "#b91c1c" || b.Logo == nil || b.Logo.ContentType != "image/png" || !bytes.Equal(b.Logo.Data, logo) || b.Favicon.ContentType != "image/x-icon" {
		t.Fatalf("stored %+v", b)
	}
	// The portal picks it up.
	if css := h.Get("/portal/brand/style.css").Body.String(); !strings.Contains(css, "--accent:#b91c1c") {
		t.Errorf("portal css %s", css)
	}
	if w := h.Get("/portal/brand/logo"); !bytes.Equal(w.Body.Bytes(), logo) {
		t.Error("portal logo")
	}
	// The page shows the preview with the stored colour and images.
	doc := testkit.Parse(t, h.DashGet("/branding"))
	if v, _ := testkit.TestID(doc, "accent-input").Attr("value"); v != "#b91c1c" {
		t.Errorf("input %q", v)
	}
	if v, _ := testkit.TestID(doc, "brand-preview").Attr("data-accent"); v != "#b91c1c" {
		t.Errorf("preview accent %q", v)
	}
	if src, _ := testkit.TestID(doc, "preview-logo").Attr("src"); src != "/dashboard/branding/logo" {
		t.Errorf("preview logo %q", src)
	}
	if w := h.DashGet("/branding/logo"); !bytes.Equal(w.Body.Bytes(), logo) || !strings.Contains(w.Header().Get("Content-Security-Policy"), "sandbox") {
		t.Error("dashboard logo")
	}

	// Refusals leave the stored branding alone.
	tests := []struct {
		name   string
		fields map[string]string
		files  map[string][]byte
		msg    string
	}{
		{"svg logo", nil, map[string][]byte{"logo": []byte(testkit.SVG)}, "SVG is not accepted"},
		{"svg with png name", nil, map[string][]byte{"favicon": []byte("<?xml version=\"1.0\"?>" + testkit.SVG)}, "SVG is not accepted"},
		{"invalid colour", map[string]string{"accent_color": "blue"}, nil, "#RRGGBB"},
		{"too large", nil, map[string][]byte{"logo": append(testkit.PNG(t, imgcolor.RGBA{A: 255}), make([]byte, admin.MaxBrandingImageBytes)...)}, "at most 256 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.EventCount()
			refusedPage(t, h, h.DashUpload("/branding", tt.fields, tt.files), tt.msg)
			after, _ := h.Store.GetBranding(ctx, "")
			if after.AccentColor != "#b91c1c" || !bytes.Equal(after.Logo.Data, logo) || h.EventCount() != before {
				t.Error("a refused change was stored")
			}
		})
	}
	// A body far over the limit is cut off.
	big := h.DashUpload("/branding", nil, map[string][]byte{"logo": make([]byte, 3*admin.MaxBrandingImageBytes)})
	if big.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("huge upload: %d", big.Code)
	}

	// A malformed multipart body is a bad request, not an oversized one.
	c, tok := h.DashCSRF()
	r := httptest.NewRequest(http.MethodPost, "https://app.example.com/dashboard/branding", nil)
	r.Body = io.NopCloser(strings.NewReader("--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + tok + "\r\n--x"))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(c)
	if w := h.Do(r); w.Code != http.StatusBadRequest {
		t.Errorf("malformed multipart: %d", w.Code)
	}
	for _, path := range []string{"/branding/secret", "/orgs/" + h.Org.ID + "/branding/logo", "/orgs/org_nope/branding/favicon"} {
		if w := h.DashGet(path); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", path, w.Code)
		}
	}

	// An organization's branding overrides the host-wide one for its
	// sessions, and removing the logo is a change.
	w = h.DashUpload("/orgs/"+h.Org.ID+"/branding", map[string]string{"accent_color": "#1d4ed8"}, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("org branding: %d %s", w.Code, w.Body)
	}
	c = h.SignIn(admin.LinkOptions{})
	if css := h.Get("/portal/brand/style.css", c).Body.String(); !strings.Contains(css, "--accent:#1d4ed8") {
		t.Errorf("org css %s", css)
	}
	if v, _ := testkit.TestID(testkit.Parse(t, h.DashGet("/orgs/"+h.Org.ID+"/branding")), "branding-scope").Html(); v != "Acme Corp" {
		t.Errorf("scope %q", v)
	}
	h.DashUpload("/branding", map[string]string{"remove_logo": "1"}, nil)
	if b, _ := h.Store.GetBranding(ctx, ""); b.Logo != nil || b.Favicon == nil {
		t.Errorf("after removing the logo: %+v", b)
	}
	if ev := h.LastEvent(admin.EventBrandingUpdated); ev.Actor != "operator:"+surfacetest.Operator || !strings.Contains(string(ev.Data), `"logo":null`) {
		t.Errorf("event %+v %s", ev, ev.Data)
	}
}

func TestDashboardEvents(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	other := h.CreateOrg("org_other", "Other")
	for i := 0; i < 3; i++ {
		h.Link(h.Org.ID, admin.LinkOptions{}, "operator:x")
	}
	h.Link(other.ID, admin.LinkOptions{}, "")
	h.DashUpload("/branding", map[string]string{"accent_color": "#000000"}, nil)

	doc := testkit.Parse(t, h.DashGet("/events?org_id="+h.Org.ID+"&types=portal.link"))
	rows := testkit.TestID(doc, "event")
	if rows.Length() != 3 {
		t.Fatalf("%d rows", rows.Length())
	}
	rows.Each(func(_ int, s *goquery.Selection) {
		if s.Find(`[data-testid="event-type"]`).Text() != admin.EventLinkCreated {
			t.Errorf("row type %q", s.Find(`[data-testid="event-type"]`).Text())
		}
	})
	if v, _ := testkit.TestID(doc, "filter-org").Attr("value"); v != h.Org.ID {
		t.Errorf("filter kept %q", v)
	}
	doc = testkit.Parse(t, h.DashGet("/events?types=branding"))
	if testkit.TestID(doc, "event").Length() != 1 || testkit.TestID(doc, "event-actor").Text() != "operator:"+surfacetest.Operator {
		t.Errorf("branding events: %d", testkit.TestID(doc, "event").Length())
	}
	// Pages, newest first: more events than two pages hold, paged older
	// to the oldest, then newer to the newest, while events are written;
	// full ids and labelled dates.
	for i := 0; i < 2*admin.DefaultPageSize; i++ {
		h.Link(h.Org.ID, admin.LinkOptions{}, "")
	}
	cursorsOf := func(doc *goquery.Document) []int64 {
		var cs []int64
		testkit.TestID(doc, "event").Each(func(_ int, s *goquery.Selection) {
			c, _ := strconv.ParseInt(s.AttrOr("data-cursor", ""), 10, 64)
			cs = append(cs, c)
		})
		return cs
	}
	doc = testkit.Parse(t, h.DashGet("/events"))
	first := cursorsOf(doc)
	if last, _ := h.Store.LastEventCursor(context.Background()); len(first) != admin.DefaultPageSize || first[0] != last {
		t.Fatalf("first page %v, newest event %d", first, last)
	}
	if testkit.TestID(doc, "newer-page").Length() != 0 || testkit.TestID(doc, "first-page").Length() != 0 {
		t.Error("the newest page links to newer ones")
	}
	row := testkit.TestID(doc, "event").First()
	if id := row.Find(`[data-testid="event-id"]`).Text(); !strings.HasPrefix(id, "evt_") || row.Find(`button[data-copy]`).Length() == 0 {
		t.Errorf("event id %q without a copy button", id)
	}
	if dt, _ := row.Find("time").Attr("datetime"); !strings.HasSuffix(dt, "Z") || !strings.Contains(row.Find("dt").First().Text(), "Occurred") {
		t.Errorf("the date is not labelled: %q", dt)
	}
	seen := slices.Clone(first)
	for {
		older, ok := testkit.TestID(doc, "older-page").Attr("href")
		if !ok {
			break
		}
		h.Link(h.Org.ID, admin.LinkOptions{}, "") // written while paging
		doc = testkit.Parse(t, h.DashGet(strings.TrimPrefix(older, "/dashboard")))
		seen = append(seen, cursorsOf(doc)...)
	}
	for i, c := range seen {
		if c != first[0]-int64(i) || seen[len(seen)-1] != 1 {
			t.Fatalf("paging older read %v", seen)
		}
	}
	if testkit.TestID(doc, "first-page").Length() != 1 {
		t.Error("no link back to the newest events")
	}
	var back []int64
	for {
		newer, ok := testkit.TestID(doc, "newer-page").Attr("href")
		if !ok {
			break
		}
		doc = testkit.Parse(t, h.DashGet(strings.TrimPrefix(newer, "/dashboard")))
		back = append(cursorsOf(doc), back...)
	}
	last, _ := h.Store.LastEventCursor(context.Background())
	for i, c := range back {
		if c != last-int64(i) {
			t.Fatalf("paging newer read %v up to %d", back, last)
		}
	}
	for _, q := range []string{"after=x", "after=-3", "before=y", "types=Bad%20Type"} {
		if w := h.DashGet("/events?" + q); w.Code != http.StatusBadRequest || testkit.TestID(testkit.Parse(t, w), "error").Length() != 1 {
			t.Errorf("%s: %d", q, w.Code)
		}
	}
}

func TestDashboardAPIKeys(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	w := h.Follow(h.DashPost("/api-keys", url.Values{"name": {"CI"}}))
	if w.Code != http.StatusOK {
		t.Fatalf("create: %d", w.Code)
	}
	key, _ := testkit.TestID(testkit.Parse(t, w), "new-key-value").Attr("value")
	if !strings.HasPrefix(key, admin.APIKeyPrefix) {
		t.Fatalf("key %q", key)
	}
	if w, _ := h.APIWith("Bearer "+key, http.MethodGet, "/organizations", nil); w.Code != http.StatusOK {
		t.Fatalf("new key refused: %d", w.Code)
	}
	doc := testkit.Parse(t, h.DashGet("/api-keys"))
	if strings.Contains(doc.Text(), key) {
		t.Error("the key is shown again")
	}
	var revoke string
	testkit.TestID(doc, "key").Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), "CI") {
			revoke, _ = s.Find(`[data-testid="revoke-key"]`).Attr("href")
		}
	})
	if w := h.DashPost(strings.TrimPrefix(revoke, "/dashboard"), url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", w.Code)
	}
	if w, _ := h.APIWith("Bearer "+key, http.MethodGet, "/organizations", nil); w.Code != http.StatusUnauthorized {
		t.Errorf("revoked key: %d", w.Code)
	}
}

// BenchmarkDashboardOrgPage serves an organization's page (Store reads of
// the overview, rendering) on memstore.
func BenchmarkDashboardOrgPage(b *testing.B) {
	h := surfacetest.New(b, nil)
	ctx := context.Background()
	now := h.Clock.Now()
	for i := 0; i < 5; i++ {
		h.Link(h.Org.ID, admin.LinkOptions{}, "")
	}
	testkit.Must(b, h.Store.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: h.Org.ID, Protocol: store.ProtocolSAML, State: store.ConnectionActive,
		CreatedAt: now, UpdatedAt: now, SAML: &store.SAMLConfig{IdPEntityID: "http://okta/x"}}))
	testkit.Must(b, h.Store.CreateDirectory(ctx, &store.Directory{ID: "dir_1", OrgID: h.Org.ID, State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}))
	testkit.Must(b, h.Store.CreateDomain(ctx, &store.Domain{ID: "dom_1", OrgID: h.Org.ID, Name: "acme.example", State: store.DomainPending, Method: store.DomainDNSTXT, Challenge: "c", CreatedAt: now, UpdatedAt: now}))
	c, _ := h.DashCSRF()
	r := httptest.NewRequest(http.MethodGet, "https://app.example.com/dashboard/orgs/"+h.Org.ID, nil)
	r.AddCookie(c)
	b.ReportAllocs()
	for b.Loop() {
		if w := h.Do(r); w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
