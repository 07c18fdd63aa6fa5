package dashboard_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/store"
)

// refusedPage follows the redirect that a refused form answers with and
// returns the page it leads to, whose error summary must say msg.
func refusedPage(t *testing.T, h *surfacetest.Env, w *httptest.ResponseRecorder, msg string) *goquery.Document {
	t.Helper()
	if w.Code != http.StatusSeeOther {
		t.Fatalf("a refused form answered %d, want a redirect: %s", w.Code, w.Body)
	}
	doc := testkit.Parse(t, h.Follow(w))
	if s := testkit.TestID(doc, "error-summary"); s.Length() != 1 || !strings.Contains(s.Text(), msg) {
		t.Fatalf("error summary %q, want %q", s.Text(), msg)
	}
	return doc
}

// TestDashboardRefusedFormsKeepValues: a refused form comes back with the
// error and with what was typed into it, not with the stored values, so
// nothing has to be typed again; a sync interval that is not a number is
// refused with its own message instead of being read as zero.
func TestDashboardRefusedFormsKeepValues(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		c.Kits = true
		c.Google = func(e *surfacetest.Env) admin.GoogleDirectories {
			// Nothing here reaches Google: every form below is refused first.
			g, err := gworkspace.New(gworkspace.Config{Store: e.Store, Endpoint: "http://127.0.0.1:1", TokenURL: "http://127.0.0.1:1/token",
				Now: e.Clock.Now, Logger: slog.New(slog.DiscardHandler)})
			testkit.Must(t, err)
			return g
		}
	})
	ctx := context.Background()
	org := "/orgs/" + h.Org.ID
	page := testkit.Parse(t, h.DashGet(org))
	idem, _ := page.Find(`[data-testid="create-connection-form"] input[name="idem"]`).Attr("value")
	w := h.DashPost(org+"/connections", url.Values{"protocol": {"saml"}, "provider": {"okta"}, "name": {"Okta"}, "idem": {idem}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("connection: %d", w.Code)
	}
	cs, _ := h.Store.ListConnections(ctx, h.Org.ID)
	conn := org + "/connections/" + cs[0].ID

	manual := url.Values{"entity_id": {"http://www.okta.com/exk-typed"}, "sso_url": {"https://acme.okta.com/app/sso/typed"},
		"slo_url": {"https://acme.okta.com/app/slo/typed"}, "certificate": {"-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----"}}
	w = h.DashPost(conn+"/manual", manual)
	doc := refusedPage(t, h, w, "")
	if href, _ := doc.Find(`[data-testid="error-summary-item"] a`).Attr("href"); href != "#certificate" {
		t.Errorf("the summary links to %q, not the certificate", href)
	}
	for id, want := range map[string]string{"entity-id": manual.Get("entity_id"), "sso-url": manual.Get("sso_url"), "slo-url": manual.Get("slo_url")} {
		if got, _ := doc.Find("#" + id).Attr("value"); got != want {
			t.Errorf("%s after a refusal = %q, want %q", id, got, want)
		}
	}
	if got := doc.Find("#certificate").Text(); got != manual.Get("certificate") {
		t.Errorf("certificate after a refusal = %q", got)
	}

	w = h.DashPost(conn+"/security", url.Values{"sign_requests": {"on"}, "insecure_allow_sha1": {"on"}, "clock_skew_seconds": {"ninety"}})
	doc = refusedPage(t, h, w, "whole number of seconds")
	if v, _ := doc.Find("#clock-skew").Attr("value"); v != "ninety" {
		t.Errorf("clock skew after a refusal = %q", v)
	}
	if doc.Find(`input[name="sign_requests"][checked]`).Length() != 1 || doc.Find(`input[name="insecure_allow_sha1"][checked]`).Length() != 1 {
		t.Error("the ticked boxes are not kept")
	}
	if c, _ := h.Store.GetConnection(ctx, cs[0].ID); c.SAML.AllowSHA1 {
		t.Error("a refused security form changed the connection")
	}

	idem, _ = page.Find(`[data-testid="create-directory-form"] input[name="idem"]`).Attr("value")
	w = h.DashPost(org+"/directories", url.Values{"provider": {gworkspace.Provider}, "name": {"Google"}, "idem": {idem}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("directory: %d %s", w.Code, w.Body)
	}
	dir := strings.TrimPrefix(w.Header().Get("Location"), "/dashboard")
	dir, _, _ = strings.Cut(dir, "?")
	for _, interval := range []string{"hourly", "-5", "1.5"} {
		w = h.DashPost(dir+"/google/settings", url.Values{"admin_email": {"admin@acme.example"}, "domain": {"acme.example"}, "sync_interval_minutes": {interval}})
		doc = refusedPage(t, h, w, "whole number of minutes")
		if v, _ := doc.Find("#g-interval").Attr("value"); v != interval {
			t.Errorf("interval after a refusal = %q, want %q", v, interval)
		}
		if v, _ := doc.Find("#g-admin").Attr("value"); v != "admin@acme.example" {
			t.Errorf("admin email after a refusal = %q", v)
		}
	}
}

// TestDashboardCreateOnceOrgKeyLink: the organization, API key and portal
// link forms carry a token: posted twice, they create one; the second
// answer says the secret was shown once instead of showing another.
func TestDashboardCreateOnceOrgKeyLink(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	tokenOf := func(page, form string) string {
		t.Helper()
		v, _ := testkit.Parse(t, h.DashGet(page)).Find(`[data-testid="` + form + `"] input[name="idem"]`).Attr("value")
		if len(v) != 32 {
			t.Fatalf("%s on %s: token %q", form, page, v)
		}
		return v
	}

	form := url.Values{"name": {"Globex"}, "idem": {tokenOf("/", "create-org-form")}}
	first, second := h.DashPost("/orgs", form), h.DashPost("/orgs", form)
	if first.Code != http.StatusSeeOther || first.Header().Get("Location") != second.Header().Get("Location") {
		t.Fatalf("%d %q / %d %q", first.Code, first.Header().Get("Location"), second.Code, second.Header().Get("Location"))
	}
	page, err := h.Admin.ListOrganizations(ctx, admin.OrganizationQuery{Search: "Globex"})
	testkit.Must(t, err)
	if len(page.Organizations) != 1 {
		t.Fatalf("%d organizations after a double submission", len(page.Organizations))
	}

	form = url.Values{"name": {"ci"}, "idem": {tokenOf("/api-keys", "create-key-form")}}
	first, second = h.DashPost("/api-keys", form), h.DashPost("/api-keys", form)
	if key, _ := testkit.TestID(testkit.Parse(t, h.Follow(first)), "new-key-value").Attr("value"); !strings.HasPrefix(key, admin.APIKeyPrefix) {
		t.Fatalf("the first answer shows key %q", key)
	}
	again := testkit.Parse(t, h.Follow(second))
	if testkit.TestID(again, "new-key").Length() != 0 || !strings.Contains(testkit.TestID(again, "flash").Text(), "already created") {
		t.Errorf("the second answer: %q", testkit.TestID(again, "flash").Text())
	}
	keys, err := h.Admin.ListAPIKeys(ctx)
	testkit.Must(t, err)
	if n := len(slices.DeleteFunc(keys, func(k store.APIKey) bool { return k.Name != "ci" })); n != 1 {
		t.Fatalf("%d keys after a double submission", n)
	}

	org := "/orgs/" + h.Org.ID
	links := func() int {
		ov, err := h.Admin.Overview(ctx, h.Org.ID)
		testkit.Must(t, err)
		return len(ov.Links)
	}
	before := links()
	form = url.Values{"feature": {"sso"}, "kind": {"shareable"}, "idem": {tokenOf(org, "generate-link-form")}}
	first, second = h.DashPost(org+"/links", form), h.DashPost(org+"/links", form)
	if u, _ := testkit.TestID(testkit.Parse(t, h.Follow(first)), "link-url").Attr("value"); !strings.Contains(u, "/l/") {
		t.Fatalf("the first answer shows link %q", u)
	}
	if loc := second.Header().Get("Location"); second.Code != http.StatusSeeOther || !strings.Contains(loc, "done=link-shown") {
		t.Errorf("the second answer: %d %q", second.Code, loc)
	}
	if n := links(); n != before+1 {
		t.Fatalf("%d links after a double submission, want %d", n, before+1)
	}
}

// TestDashboardRefusalKeepsNoSecret: a refused OIDC form comes back with
// what was typed, but the client secret empty, with a note, and not in the
// flash cookie.
func TestDashboardRefusalKeepsNoSecret(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) { c.Kits = true })
	ctx := context.Background()
	info, err := h.Admin.CreateConnection(ctx, h.Org.ID, admin.ConnectionInput{Protocol: "oidc", Provider: "okta"}, "")
	testkit.Must(t, err)
	conn := "/orgs/" + h.Org.ID + "/connections/" + info.Connection.ID
	const secret = "s3cret-client-value"
	w := h.DashPost(conn+"/oidc", url.Values{"issuer": {"not a url"}, "client_id": {"cid-typed"}, "client_secret": {secret}})
	for _, c := range w.Result().Cookies() {
		if strings.Contains(c.Value, secret) {
			t.Fatal("the secret is readable in a cookie")
		}
	}
	doc := refusedPage(t, h, w, "")
	if v, _ := doc.Find("#client-id").Attr("value"); v != "cid-typed" {
		t.Errorf("client id after a refusal = %q", v)
	}
	if v, _ := doc.Find("#client-secret").Attr("value"); v != "" {
		t.Errorf("client secret after a refusal = %q", v)
	}
	if testkit.TestID(doc, "client-secret-note").Length() != 1 {
		t.Error("no note says the secret was not kept")
	}
	if strings.Contains(doc.Text(), secret) {
		t.Error("the secret is on the page")
	}
	// A reload shows the page without the refusal.
	if testkit.TestID(testkit.Parse(t, h.DashGet(conn)), "error-summary").Length() != 0 {
		t.Error("the refusal is shown again")
	}
}

// TestDashboardDatesLabelled: every time a page prints is in a <time
// datetime> element (RFC 3339), after a word that says what it is.
func TestDashboardDatesLabelled(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) { c.Kits = true })
	ctx := context.Background()
	h.Link(h.Org.ID, admin.LinkOptions{}, "operator:x")
	_, err := h.Admin.CreateAPIKey(ctx, admin.APIKeyInput{Name: "ci"}, "")
	testkit.Must(t, err)
	nd, err := h.Admin.CreateDirectory(ctx, h.Org.ID, admin.DirectoryInput{Provider: "okta"}, "")
	testkit.Must(t, err)
	printed := regexp.MustCompile(`\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC`)
	for _, page := range []string{"/", "/orgs/" + h.Org.ID, "/api-keys", "/events", "/orgs/" + h.Org.ID + "/directories/" + nd.Directory.ID} {
		doc := testkit.Parse(t, h.DashGet(page))
		times := doc.Find("time")
		if times.Length() == 0 {
			t.Errorf("%s prints no time", page)
		}
		times.Each(func(_ int, s *goquery.Selection) {
			if dt, ok := s.Attr("datetime"); !ok || !strings.HasSuffix(dt, "Z") || !printed.MatchString(s.Text()) {
				t.Errorf("%s: <time datetime=%q>%s</time>", page, dt, s.Text())
			}
		})
		times.Remove()
		if m := printed.FindString(doc.Find("main").Text()); m != "" {
			t.Errorf("%s prints %q outside a <time> element", page, m)
		}
	}
}
