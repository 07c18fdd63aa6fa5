package portal

import (
	"bytes"
	"context"
	imgcolor "image/color"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

// orgIDFromLocation returns the organization id of a redirect to its page.
func orgIDFromLocation(t *testing.T, w *responseRecorder) string {
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
	h := newAdminHarness(t, func(c *Config) { c.FrameAncestors = []string{"https://app.example.com"} })
	pages := map[string]*responseRecorder{
		"orgs":      h.dashGet("/"),
		"org":       h.dashGet("/orgs/" + h.org.ID),
		"branding":  h.dashGet("/branding"),
		"org brand": h.dashGet("/orgs/" + h.org.ID + "/branding"),
		"events":    h.dashGet("/events"),
		"keys":      h.dashGet("/api-keys"),
		"not found": h.dashGet("/nope"),
		"no org":    h.dashGet("/orgs/org_nope"),
		"js":        h.dashGet("/assets/dashboard.js"),
		"css":       h.dashGet("/assets/portal.css"),
		"brand css": h.dashGet("/brand/style.css"),
		"csrf":      h.post("/dashboard/orgs", url.Values{"name": {"x"}}),
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
			parse(t, w).Find("script").Each(func(_ int, s *goquery.Selection) {
				if src, _ := s.Attr("src"); src != "/dashboard/assets/dashboard.js" || strings.TrimSpace(s.Text()) != "" {
					t.Errorf("%s: inline or foreign script %q", name, src)
				}
			})
			if n := parse(t, w).Find("h1").Length(); n != 1 {
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
	if got := pages["orgs"].Body.String(); !strings.Contains(got, "Signed in as "+testOperator) {
		t.Error("operator not shown")
	}
}

func TestDashboardCSRF(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t, nil)
	cookie, token := h.dashCSRF()
	other, _ := h.dashCSRF()
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
		{"cross-site with token", token, cookie, "https://evil.example", "cross-site", false},
		{"same-site sibling", token, cookie, "https://evil.example.com", "same-site", false},
		{"foreign origin, no fetch metadata", token, cookie, "https://evil.example", "", false},
		{"same origin", token, cookie, "https://app.example.com", "same-origin", true},
		{"null origin from the page", token, cookie, "null", "same-origin", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.eventCount()
			form := url.Values{"name": {"Org " + tt.name}, web.CSRFField: {tt.token}}
			r := httptestRequest(http.MethodPost, "https://app.example.com/dashboard/orgs")
			r.Body = ioNopCloser(form.Encode())
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Origin", tt.origin)
			if tt.site != "" {
				r.Header.Set("Sec-Fetch-Site", tt.site)
			}
			if tt.cookie != nil {
				r.AddCookie(tt.cookie)
			}
			w := h.do(r)
			page, _ := h.p.Admin().ListOrganizations(context.Background(), OrganizationQuery{Search: "Org " + tt.name})
			created := len(page.Organizations) == 1
			if tt.allowed != (w.Code == http.StatusSeeOther) || tt.allowed != created {
				t.Fatalf("status %d, created %v; want allowed=%v", w.Code, created, tt.allowed)
			}
			if !tt.allowed {
				if h.eventCount() != before {
					t.Error("a refused request wrote an event")
				}
				if testID(parse(t, w), "dash-problem").Length() != 1 {
					t.Error("no problem page")
				}
			}
		})
	}
	ev := h.lastEvent(EventOrganizationCreated)
	if ev.Actor != "operator:"+testOperator {
		t.Errorf("actor %q", ev.Actor)
	}
}

func TestDashboardOrganizations(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t, nil)
	ctx := context.Background()

	w := h.dashPost("/orgs", url.Values{"name": {"Globex " + evil}, "external_id": {"cus_7"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	id := orgIDFromLocation(t, w)
	if !strings.HasSuffix(w.Header().Get("Location"), "?done=org-created") {
		t.Errorf("Location %q", w.Header().Get("Location"))
	}
	now := h.clock.Now()
	must(t, h.st.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: id, Protocol: store.ProtocolSAML, Provider: "okta", Name: "Okta",
		State: store.ConnectionActive, CreatedAt: now, UpdatedAt: now, SAML: &store.SAMLConfig{IdPEntityID: "http://okta/x", SPKeyPEM: "PRIVATE-KEY-PEM"}}))
	must(t, h.st.CreateDomain(ctx, &store.Domain{ID: "dom_1", OrgID: id, Name: "globex.example", State: store.DomainVerified, Method: store.DomainManual, CreatedAt: now, UpdatedAt: now}))
	must(t, h.st.CreateDomain(ctx, &store.Domain{ID: "dom_2", OrgID: id, Name: "globex.test", State: store.DomainPending, Method: store.DomainDNSTXT, Challenge: "c", CreatedAt: now, UpdatedAt: now}))

	// The list: search, and the status at a glance.
	doc := parse(t, h.dashGet("/?q=globex"))
	rows := doc.Find(`[data-testid="org-row"]`)
	if rows.Length() != 1 {
		t.Fatalf("%d rows for the search", rows.Length())
	}
	checks := map[string]string{"org-link": "Globex " + evil, "org-external-id": "cus_7", "org-sso": "Active", "org-directory": "Not set up", "org-domains": "1 verified, 1 pending"}
	for tid, want := range checks {
		if got := strings.TrimSpace(rows.Find(`[data-testid="` + tid + `"]`).Text()); got != want {
			t.Errorf("%s = %q, want %q", tid, got, want)
		}
	}
	if doc.Find("img").Length() != 0 || strings.Contains(doc.Text(), "alert(") && doc.Find("script").Length() != 1 {
		t.Error("organization name rendered as markup")
	}
	if n := parse(t, h.dashGet("/?q=nomatch")).Find(`[data-testid="orgs-empty"]`).Length(); n != 1 {
		t.Error("no empty state for a search without results")
	}

	// The page.
	w = h.dashGet("/orgs/" + id)
	if w.Code != http.StatusOK {
		t.Fatalf("org page: %d", w.Code)
	}
	if strings.Contains(w.Body.String(), "PRIVATE-KEY-PEM") {
		t.Error("the page shows a connection's private key")
	}
	doc = parse(t, w)
	if got := testID(doc, "page-title").Text(); got != "Globex "+evil {
		t.Errorf("title %q", got)
	}
	if testID(doc, "domain").Length() != 2 || testID(doc, "connection").Length() != 1 || testID(doc, "disable-connection").Length() != 1 {
		t.Error("sections incomplete")
	}

	// Update, then a refused update keeps the page with the message.
	w = h.dashPost("/orgs/"+id, url.Values{"name": {"Globex"}, "external_id": {"cus_8"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("update: %d", w.Code)
	}
	o, err := h.st.GetOrganization(ctx, id)
	must(t, err)
	if o.Name != "Globex" || o.ExternalID != "cus_8" {
		t.Errorf("updated %+v", o)
	}
	w = h.dashPost("/orgs/"+id, url.Values{"name": {""}})
	if w.Code != http.StatusBadRequest || !strings.Contains(testID(parse(t, w), "error").Text(), "name is required") {
		t.Errorf("empty name: %d", w.Code)
	}

	// Delete needs the typed name.
	w = h.dashPost("/orgs/"+id+"/delete", url.Values{"confirm": {"globex"}})
	if w.Code != http.StatusBadRequest {
		t.Fatalf("delete without confirmation: %d", w.Code)
	}
	if _, err := h.st.GetOrganization(ctx, id); err != nil {
		t.Fatal("deleted without confirmation")
	}
	w = h.dashPost("/orgs/"+id+"/delete", url.Values{"confirm": {"Globex"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/dashboard/?done=org-deleted" {
		t.Fatalf("delete: %d %q", w.Code, w.Header().Get("Location"))
	}
	if _, err := h.st.GetConnection(ctx, "conn_1"); err == nil {
		t.Error("connection survived its organization")
	}
	if got := testID(parse(t, h.dashGet("/?done=org-deleted")), "flash").Text(); got != flashMessages["org-deleted"] {
		t.Errorf("flash %q", got)
	}
	if testID(parse(t, h.dashGet("/?done=<script>")), "flash").Length() != 0 {
		t.Error("an unknown notice code was shown")
	}
}

func TestDashboardLinks(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t, nil)
	w := h.dashPost("/orgs/"+h.org.ID+"/links", url.Values{"feature": {"sso", "domains"}, "kind": {"shareable"}})
	if w.Code != http.StatusCreated {
		t.Fatalf("generate: %d %s", w.Code, w.Body)
	}
	doc := parse(t, w)
	link, _ := testID(doc, "link-url").Attr("value")
	if !strings.HasPrefix(link, testBaseURL+"/l/okp_") {
		t.Fatalf("link %q", link)
	}
	if exp, _ := testID(doc, "link-expiry").Attr("datetime"); exp != "2026-03-09T09:00:00Z" {
		t.Errorf("expiry %q", exp)
	}
	if copyFor, _ := testID(doc, "copy-link").Attr("data-copy"); copyFor != "link-url" {
		t.Error("no copy button for the link")
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("the page with the token is cacheable")
	}
	_, c := h.redeem(link[strings.LastIndex(link, "/")+1:])
	if c == nil {
		t.Fatal("the generated link does not open the portal")
	}

	doc = parse(t, h.dashGet("/orgs/"+h.org.ID))
	item := testID(doc, "link")
	if item.Length() != 1 || strings.TrimSpace(item.Find(`[data-testid="link-status"]`).Text()) != "Active" {
		t.Fatalf("links list: %d", item.Length())
	}
	if strings.Contains(doc.Text(), "okp_") {
		t.Error("the organization page shows a link token")
	}
	revoke, _ := item.Find("form").Attr("action")
	w = h.dashPost(strings.TrimPrefix(revoke, "/dashboard"), url.Values{})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", w.Code)
	}
	if w := h.get("/portal/", c); w.Code != http.StatusUnauthorized {
		t.Errorf("session of a revoked link: %d", w.Code)
	}
	if got := strings.TrimSpace(testID(parse(t, h.dashGet("/orgs/"+h.org.ID)), "link-status").Text()); got != "Revoked" {
		t.Errorf("status after revocation %q", got)
	}
	if ev := h.lastEvent(EventLinkRevoked); ev.Actor != "operator:"+testOperator {
		t.Errorf("revocation actor %q", ev.Actor)
	}
	// No section chosen, or an unknown one: refused on the page.
	for _, form := range []url.Values{{"kind": {"shareable"}}, {"feature": {"billing"}}} {
		if w := h.dashPost("/orgs/"+h.org.ID+"/links", form); w.Code != http.StatusBadRequest || testID(parse(t, w), "error").Length() != 1 {
			t.Errorf("%v: %d", form, w.Code)
		}
	}
}

func TestDashboardDomains(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t, nil)
	base := "/orgs/" + h.org.ID
	w := h.dashPost(base+"/domains", url.Values{"name": {"acme.example"}, "method": {"dns_txt"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("add: %d %s", w.Code, w.Body)
	}
	doc := parse(t, h.dashGet(base))
	name := testID(doc, "domain-record-name").Text()
	value := testID(doc, "domain-record-value").Text()
	if name != "_onboardkit-verification.acme.example" || value == "" {
		t.Fatalf("record %q = %q", name, value)
	}
	check, _ := doc.Find(`[data-testid="check-domain"]`).Parent().Attr("action")
	h.dns.setTXT("acme.example", "v=spf1 -all")
	w = h.dashPost(strings.TrimPrefix(check, "/dashboard"), url.Values{})
	if w.Header().Get("Location") != "/dashboard"+base+"?done=domain-not-verified" {
		t.Fatalf("check without record: %d %q", w.Code, w.Header().Get("Location"))
	}
	doc = parse(t, h.dashGet(base))
	if !strings.Contains(testID(doc, "domain-failure").Text(), "no TXT record found") {
		t.Errorf("failure %q", testID(doc, "domain-failure").Text())
	}
	h.dns.setTXT(name, value)
	w = h.dashPost(strings.TrimPrefix(check, "/dashboard"), url.Values{})
	if w.Header().Get("Location") != "/dashboard"+base+"?done=domain-verified" {
		t.Fatalf("check with record: %q", w.Header().Get("Location"))
	}
	if st, _ := testID(parse(t, h.dashGet(base)), "domain-state").Attr("data-state"); st != "verified" {
		t.Errorf("state %q", st)
	}

	// Manual verification and removal.
	h.dashPost(base+"/domains", url.Values{"name": {"acme.test"}, "method": {"manual"}})
	doc = parse(t, h.dashGet(base))
	verify, _ := doc.Find(`[data-testid="verify-domain"]`).Parent().Attr("action")
	if w := h.dashPost(strings.TrimPrefix(verify, "/dashboard"), url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("verify: %d", w.Code)
	}
	if ev := h.lastEvent("domain.verified"); ev.Actor != "operator:"+testOperator {
		t.Errorf("actor %q", ev.Actor)
	}
	doms, _ := h.st.ListDomains(context.Background(), h.org.ID)
	if len(doms) != 2 || doms[1].State != store.DomainVerified || doms[1].VerifiedBy != "operator:"+testOperator {
		t.Fatalf("domains %+v", doms)
	}
	doc = parse(t, h.dashGet(base))
	remove, _ := doc.Find(`[data-testid="remove-domain"]`).First().Parent().Attr("action")
	if w := h.dashPost(strings.TrimPrefix(remove, "/dashboard"), url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d", w.Code)
	}
	if doms, _ := h.st.ListDomains(context.Background(), h.org.ID); len(doms) != 1 {
		t.Errorf("%d domains after removal", len(doms))
	}

	// Bad input is shown on the page.
	for _, tt := range []struct{ name, msg string }{
		{"not a domain", "not a valid domain name"},
		{"outlook.com", "consumer mail domain"},
		{"acme.test", "already has the domain"},
	} {
		w := h.dashPost(base+"/domains", url.Values{"name": {tt.name}, "method": {"dns_txt"}})
		if w.Code/100 != 4 || !strings.Contains(testID(parse(t, w), "error").Text(), tt.msg) {
			t.Errorf("%s: %d %q", tt.name, w.Code, testID(parse(t, w), "error").Text())
		}
	}
}

func TestDashboardConnectionsAndDirectories(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t, nil)
	ctx := context.Background()
	now := h.clock.Now()
	must(t, h.st.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: h.org.ID, Protocol: store.ProtocolSAML, State: store.ConnectionDraft,
		CreatedAt: now, UpdatedAt: now, SAML: &store.SAMLConfig{IdPEntityID: "x"}}))
	must(t, h.st.CreateDirectory(ctx, &store.Directory{ID: "dir_1", OrgID: h.org.ID, State: store.DirectoryInactive, CreatedAt: now, UpdatedAt: now}))
	base := "/orgs/" + h.org.ID
	w := h.dashPost(base+"/connections/conn_1/enable", url.Values{})
	if w.Code != http.StatusConflict || !strings.Contains(testID(parse(t, w), "error").Text(), "current state (draft)") {
		t.Fatalf("draft connection: %d", w.Code)
	}
	if w := h.dashPost(base+"/directories/dir_1/enable", url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("enable directory: %d", w.Code)
	}
	if d, _ := h.st.GetDirectory(ctx, "dir_1"); d.State != store.DirectoryActive {
		t.Errorf("directory state %s", d.State)
	}
	if testID(parse(t, h.dashGet(base)), "disable-directory").Length() != 1 {
		t.Error("no disable button on an active directory")
	}
	if w := h.dashPost(base+"/directories/dir_1/explode", url.Values{}); w.Code != http.StatusNotFound {
		t.Errorf("unknown operation: %d", w.Code)
	}
}

func TestDashboardBranding(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t, nil)
	ctx := context.Background()
	logo := testPNG(t, imgcolor.RGBA{G: 200, A: 255})
	w := h.dashUpload("/branding", map[string]string{"accent_color": "#B91C1C"}, map[string][]byte{"logo": logo, "favicon": testICO()})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/dashboard/branding?done=branding-updated" {
		t.Fatalf("save: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	b, err := h.st.GetBranding(ctx, "")
	must(t, err)
	if b.AccentColor != "#b91c1c" || b.Logo == nil || b.Logo.ContentType != "image/png" || !bytes.Equal(b.Logo.Data, logo) || b.Favicon.ContentType != "image/x-icon" {
		t.Fatalf("stored %+v", b)
	}
	// The portal picks it up.
	if css := h.get("/portal/brand/style.css").Body.String(); !strings.Contains(css, "--accent:#b91c1c") {
		t.Errorf("portal css %s", css)
	}
	if w := h.get("/portal/brand/logo"); !bytes.Equal(w.Body.Bytes(), logo) {
		t.Error("portal logo")
	}
	// The page shows the preview with the stored colour and images.
	doc := parse(t, h.dashGet("/branding"))
	if v, _ := testID(doc, "accent-input").Attr("value"); v != "#b91c1c" {
		t.Errorf("input %q", v)
	}
	if v, _ := testID(doc, "brand-preview").Attr("data-accent"); v != "#b91c1c" {
		t.Errorf("preview accent %q", v)
	}
	if src, _ := testID(doc, "preview-logo").Attr("src"); src != "/dashboard/branding/logo" {
		t.Errorf("preview logo %q", src)
	}
	if w := h.dashGet("/branding/logo"); !bytes.Equal(w.Body.Bytes(), logo) || !strings.Contains(w.Header().Get("Content-Security-Policy"), "sandbox") {
		t.Error("dashboard logo")
	}

	// Refusals leave the stored branding alone.
	tests := []struct {
		name   string
		fields map[string]string
		files  map[string][]byte
		msg    string
	}{
		{"svg logo", nil, map[string][]byte{"logo": []byte(testSVG)}, "SVG is not accepted"},
		{"svg with png name", nil, map[string][]byte{"favicon": []byte("<?xml version=\"1.0\"?>" + testSVG)}, "SVG is not accepted"},
		{"invalid colour", map[string]string{"accent_color": "blue"}, nil, "#RRGGBB"},
		{"too large", nil, map[string][]byte{"logo": append(testPNG(t, imgcolor.RGBA{A: 255}), make([]byte, MaxBrandingImageBytes)...)}, "at most 256 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.eventCount()
			w := h.dashUpload("/branding", tt.fields, tt.files)
			if w.Code != http.StatusBadRequest || !strings.Contains(testID(parse(t, w), "error").Text(), tt.msg) {
				t.Fatalf("%d %q", w.Code, testID(parse(t, w), "error").Text())
			}
			after, _ := h.st.GetBranding(ctx, "")
			if after.AccentColor != "#b91c1c" || !bytes.Equal(after.Logo.Data, logo) || h.eventCount() != before {
				t.Error("a refused change was stored")
			}
		})
	}
	// A body far over the limit is cut off.
	big := h.dashUpload("/branding", nil, map[string][]byte{"logo": make([]byte, 3*MaxBrandingImageBytes)})
	if big.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("huge upload: %d", big.Code)
	}

	// A malformed multipart body is a bad request, not an oversized one.
	c, tok := h.dashCSRF()
	r := httptestRequest(http.MethodPost, "https://app.example.com/dashboard/branding")
	r.Body = ioNopCloser("--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + tok + "\r\n--x")
	r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(c)
	if w := h.do(r); w.Code != http.StatusBadRequest {
		t.Errorf("malformed multipart: %d", w.Code)
	}
	for _, path := range []string{"/branding/secret", "/orgs/" + h.org.ID + "/branding/logo", "/orgs/org_nope/branding/favicon"} {
		if w := h.dashGet(path); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", path, w.Code)
		}
	}

	// An organization's branding overrides the host-wide one for its
	// sessions, and removing the logo is a change.
	w = h.dashUpload("/orgs/"+h.org.ID+"/branding", map[string]string{"accent_color": "#1d4ed8"}, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("org branding: %d %s", w.Code, w.Body)
	}
	c = h.signIn(LinkOptions{})
	if css := h.get("/portal/brand/style.css", c).Body.String(); !strings.Contains(css, "--accent:#1d4ed8") {
		t.Errorf("org css %s", css)
	}
	if v, _ := testID(parse(t, h.dashGet("/orgs/"+h.org.ID+"/branding")), "branding-scope").Html(); v != "Acme Corp" {
		t.Errorf("scope %q", v)
	}
	h.dashUpload("/branding", map[string]string{"remove_logo": "1"}, nil)
	if b, _ := h.st.GetBranding(ctx, ""); b.Logo != nil || b.Favicon == nil {
		t.Errorf("after removing the logo: %+v", b)
	}
	if ev := h.lastEvent(EventBrandingUpdated); ev.Actor != "operator:"+testOperator || !strings.Contains(string(ev.Data), `"logo":null`) {
		t.Errorf("event %+v %s", ev, ev.Data)
	}
}

func TestDashboardEvents(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t, nil)
	other := h.createOrg("org_other", "Other")
	for i := 0; i < 3; i++ {
		h.link(LinkOptions{CreatedBy: "operator:x"})
	}
	h.linkFor(other.ID, LinkOptions{})
	h.dashUpload("/branding", map[string]string{"accent_color": "#000000"}, nil)

	doc := parse(t, h.dashGet("/events?org="+h.org.ID+"&type=portal.link"))
	rows := testID(doc, "event")
	if rows.Length() != 3 {
		t.Fatalf("%d rows", rows.Length())
	}
	rows.Each(func(_ int, s *goquery.Selection) {
		if s.Find(`[data-testid="event-type"]`).Text() != EventLinkCreated {
			t.Errorf("row type %q", s.Find(`[data-testid="event-type"]`).Text())
		}
	})
	if v, _ := testID(doc, "filter-org").Attr("value"); v != h.org.ID {
		t.Errorf("filter kept %q", v)
	}
	doc = parse(t, h.dashGet("/events?type=branding"))
	if testID(doc, "event").Length() != 1 || testID(doc, "event-actor").Text() != "operator:"+testOperator {
		t.Errorf("branding events: %d", testID(doc, "event").Length())
	}
	// Pages: more events than a page hold.
	for i := 0; i < DefaultPageSize; i++ {
		h.link(LinkOptions{})
	}
	doc = parse(t, h.dashGet("/events"))
	next, ok := testID(doc, "next-page").Attr("href")
	if !ok || testID(doc, "event").Length() != DefaultPageSize {
		t.Fatalf("first page: %d rows, next %q", testID(doc, "event").Length(), next)
	}
	doc = parse(t, h.dashGet(strings.TrimPrefix(next, "/dashboard")))
	if n := testID(doc, "event").Length(); n == 0 || n == DefaultPageSize && testID(doc, "next-page").Length() == 0 {
		t.Errorf("second page: %d rows", n)
	}
	if testID(doc, "first-page").Length() != 1 {
		t.Error("no link back to the first page")
	}
	for _, q := range []string{"after=x", "after=-3", "type=Bad%20Type"} {
		if w := h.dashGet("/events?" + q); w.Code != http.StatusBadRequest || testID(parse(t, w), "error").Length() != 1 {
			t.Errorf("%s: %d", q, w.Code)
		}
	}
}

func TestDashboardAPIKeys(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t, nil)
	w := h.dashPost("/api-keys", url.Values{"name": {"CI"}})
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d", w.Code)
	}
	key, _ := testID(parse(t, w), "new-key-value").Attr("value")
	if !strings.HasPrefix(key, apiKeyPrefix) {
		t.Fatalf("key %q", key)
	}
	if w, _ := h.apiWith("Bearer "+key, http.MethodGet, "/organizations", nil); w.Code != http.StatusOK {
		t.Fatalf("new key refused: %d", w.Code)
	}
	doc := parse(t, h.dashGet("/api-keys"))
	if strings.Contains(doc.Text(), key) {
		t.Error("the key is shown again")
	}
	var revoke string
	testID(doc, "key").Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), "CI") {
			revoke, _ = s.Find("form").Attr("action")
		}
	})
	if w := h.dashPost(strings.TrimPrefix(revoke, "/dashboard"), url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", w.Code)
	}
	if w, _ := h.apiWith("Bearer "+key, http.MethodGet, "/organizations", nil); w.Code != http.StatusUnauthorized {
		t.Errorf("revoked key: %d", w.Code)
	}
}

// TestDashboardOrgListComponent renders the list component directly.
func TestDashboardOrgListComponent(t *testing.T) {
	t.Parallel()
	dv := &dashView{Head: web.Head{Title: "Organizations", ProductName: "Widgets", CSSURL: "/d/assets/portal.css", JSURL: "/d/assets/dashboard.js",
		BrandCSSURL: "/d/brand/style.css"}, CSRF: "tok", Nav: []web.NavItem{{Label: "Organizations", Href: "/d/", TestID: "nav-orgs", Current: true}},
		Operator: "jane", Error: "bad " + evil}
	data := orgListData{ListHref: "/d/", CreateAction: "/d/orgs", Rows: []orgRow{
		{ID: "org_1", Name: "A", Href: "/d/orgs/org_1", SSO: badge{"Active", "active"}, Directory: badge{"Not set up", "none"}, Domains: badge{"None", "none"}},
	}, NextHref: "/d/?after=org_1"}
	var buf bytes.Buffer
	if err := orgListPage(dv, data).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if testID(doc, "org-row").Length() != 1 || testID(doc, "next-page").AttrOr("href", "") != "/d/?after=org_1" {
		t.Error("rows or pager")
	}
	if st, _ := testID(doc, "org-sso").Attr("data-state"); st != "active" {
		t.Errorf("sso state %q", st)
	}
	if testID(doc, "error").Text() != "bad "+evil || doc.Find("img").Length() != 0 {
		t.Error("error notice not escaped")
	}
	if doc.Find(`[aria-current="page"]`).Text() != "Organizations" {
		t.Error("current navigation entry")
	}
	if v, _ := doc.Find(`[data-testid="create-org-form"] input[name="csrf"]`).Attr("value"); v != "tok" {
		t.Error("CSRF field")
	}
}

// BenchmarkDashboardOrgPage serves an organization's page (Store reads of
// the overview, rendering) on memstore.
func BenchmarkDashboardOrgPage(b *testing.B) {
	h := newAdminHarness(b, nil)
	ctx := context.Background()
	now := h.clock.Now()
	for i := 0; i < 5; i++ {
		h.link(LinkOptions{})
	}
	must(b, h.st.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: h.org.ID, Protocol: store.ProtocolSAML, State: store.ConnectionActive,
		CreatedAt: now, UpdatedAt: now, SAML: &store.SAMLConfig{IdPEntityID: "http://okta/x"}}))
	must(b, h.st.CreateDirectory(ctx, &store.Directory{ID: "dir_1", OrgID: h.org.ID, State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}))
	must(b, h.st.CreateDomain(ctx, &store.Domain{ID: "dom_1", OrgID: h.org.ID, Name: "acme.example", State: store.DomainPending, Method: store.DomainDNSTXT, Challenge: "c", CreatedAt: now, UpdatedAt: now}))
	c, _ := h.dashCSRF()
	r := httptestRequest(http.MethodGet, "https://app.example.com/dashboard/orgs/"+h.org.ID)
	r.AddCookie(c)
	b.ReportAllocs()
	for b.Loop() {
		if w := h.do(r); w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
