package portal

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
	"github.com/onboardkit/onboardkit/store"
)

// ssoHarness is a portal harness with ssokit wired in as Config.SSO.
type ssoHarness struct {
	*harness
	sso *ssokit.SSO
}

func newSSOHarness(t *testing.T, insecure bool, mods ...func(*Config, *admin.Config)) *ssoHarness {
	t.Helper()
	var sso *ssokit.SSO
	h := newHarness(t, func(c *Config, ac *admin.Config) {
		for _, m := range mods {
			m(c, ac)
		}
		var err error
		sso, err = ssokit.New(ssokit.Config{
			Store:                        storeOf(c),
			BaseURL:                      "https://app.example.com/sso",
			OnLogin:                      func(http.ResponseWriter, *http.Request, *ssokit.Profile) {},
			Now:                          c.Now,
			Logger:                       slog.New(slog.NewTextHandler(io.Discard, nil)),
			InsecureAllowPrivateNetworks: insecure,
		})
		if err != nil {
			t.Fatal(err)
		}
		c.SSO = sso
	})
	return &ssoHarness{harness: h, sso: sso}
}

// ssoSession signs in with the sso feature and returns the cookie and the
// CSRF token.
func (h *ssoHarness) ssoSession() (*http.Cookie, string) {
	h.t.Helper()
	c := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureSSO}})
	w := h.get("/portal/sso", c)
	if w.Code != http.StatusOK {
		h.t.Fatalf("GET /sso: %d %s", w.Code, w.Body)
	}
	return c, csrfOf(h.t, w)
}

func (h *ssoHarness) createConn(c *http.Cookie, csrf string, protocol, provider string) string {
	h.t.Helper()
	w := h.post("/portal/sso/connections", url.Values{"csrf": {csrf}, "protocol": {protocol}, "provider": {provider}, "name": {"Main"}}, c)
	if w.Code != http.StatusSeeOther {
		h.t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	id, ok := strings.CutPrefix(loc, "/portal/sso/")
	id, ok2 := strings.CutSuffix(id, "/setup/guide")
	if !ok || !ok2 {
		h.t.Fatalf("create redirected to %q", loc)
	}
	return id
}

func (h *ssoHarness) conn(id string) *store.Connection {
	h.t.Helper()
	c, err := h.st.GetConnection(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func TestSSOFeatureRequired(t *testing.T) {
	h := newSSOHarness(t, false)
	c := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDirSync}})
	home := h.get("/portal/", c)
	csrf := csrfOf(t, home)
	if w := h.get("/portal/sso", c); w.Code != http.StatusForbidden {
		t.Errorf("GET /sso with a dir_sync session: %d", w.Code)
	}
	w := h.post("/portal/sso/connections", url.Values{"csrf": {csrf}, "protocol": {"saml"}, "provider": {"okta"}}, c)
	if w.Code != http.StatusForbidden {
		t.Errorf("POST /sso/connections with a dir_sync session: %d", w.Code)
	}
	if conns, _ := h.st.ListConnections(context.Background(), h.org.ID); len(conns) != 0 {
		t.Errorf("a dir_sync session created %d connections", len(conns))
	}
}

func TestSSOCreateAndGuide(t *testing.T) {
	h := newSSOHarness(t, false)
	c, csrf := h.ssoSession()

	// Without the CSRF token nothing is written.
	w := h.post("/portal/sso/connections", url.Values{"protocol": {"saml"}, "provider": {"okta"}}, c)
	if w.Code != http.StatusForbidden {
		t.Fatalf("no CSRF: %d", w.Code)
	}
	// A provider that is not offered (the form never sends one) is refused.
	w = h.post("/portal/sso/connections", url.Values{"csrf": {csrf}, "protocol": {"saml"}, "provider": {"auth0"}}, c)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad provider: %d", w.Code)
	}
	if w := h.get("/portal/sso/new/auth0", c); w.Code != http.StatusNotFound {
		t.Fatalf("GET an unknown provider's page: %d", w.Code)
	}
	// Another provider must be named: the name is what people see.
	w = h.follow(h.post("/portal/sso/connections", url.Values{"csrf": {csrf}, "protocol": {"saml"}, "provider": {"generic"}, "name": {" "}}, c), c)
	doc := parse(t, w)
	if msg := testID(doc, "f-name-error").Text(); w.Code != http.StatusOK || !strings.Contains(msg, "name of your identity provider") {
		t.Errorf("unnamed generic provider: %d %q", w.Code, msg)
	}
	if ad, _ := doc.Find("#f-name").Attr("aria-describedby"); !strings.Contains(ad, "f-name-error") {
		t.Errorf("aria-describedby %q", ad)
	}
	// A bad protocol is refused on its field.
	w = h.follow(h.post("/portal/sso/connections", url.Values{"csrf": {csrf}, "protocol": {"ws-fed"}, "provider": {"okta"}}, c), c)
	if msg := testID(parse(t, w), "f-protocol-error").Text(); w.Code != http.StatusOK || msg == "" {
		t.Errorf("bad protocol: %d %q", w.Code, msg)
	}
	if conns, _ := h.st.ListConnections(context.Background(), h.org.ID); len(conns) != 0 {
		t.Fatalf("refusals created %d connections", len(conns))
	}

	for _, tc := range []struct {
		protocol, provider string
		values             map[string]string
		step               string
		logout             string // in the guide's signing-out paragraph; "" for none
	}{
		{"saml", "okta", map[string]string{"v-acs": "/acs", "v-entity": "/metadata", "v-slo": "/slo"}, "Okta Admin Console", "Enable Single Logout"},
		{"saml", "entra", map[string]string{"v-acs": "/acs", "v-slo": "/slo"}, "Reply URL", "Logout Url"},
		{"saml", "google", map[string]string{"v-acs": "/acs"}, "Add custom SAML app", ""},
		{"saml", "adfs", map[string]string{"v-metadata": "/metadata", "v-slo": "/slo"}, "Relying Party Trust", "SAML Logout"},
		{"oidc", "okta", map[string]string{"v-redirect": "/callback", "v-post-logout": "/logout"}, "Sign-in redirect URIs", "Sign-out redirect URIs"},
		{"oidc", "entra", map[string]string{"v-redirect": "/callback"}, "App registrations", "Post-logout redirect URI"},
		{"oidc", "generic", map[string]string{"v-redirect": "/callback", "v-backchannel": "/backchannel-logout"}, "openid-configuration", "Back-Channel Logout"},
	} {
		t.Run(tc.protocol+"/"+tc.provider, func(t *testing.T) {
			id := h.createConn(c, csrf, tc.protocol, tc.provider)
			conn := h.conn(id)
			if conn.State != store.ConnectionDraft || string(conn.Protocol) != tc.protocol || conn.Provider != tc.provider {
				t.Fatalf("stored %+v", conn)
			}
			w := h.get("/portal/sso/"+id+"/setup/guide", c)
			if w.Code != http.StatusOK {
				t.Fatalf("GET: %d", w.Code)
			}
			doc := parse(t, w)
			if n := doc.Find("h1").Length(); n != 1 {
				t.Errorf("%d h1", n)
			}
			if src, _ := testID(doc, "provider-logo").Attr("src"); src != "/portal/assets/provider-"+tc.provider+".svg" {
				t.Errorf("provider logo %q", src)
			}
			if cur := doc.Find(`[aria-current="step"]`); !strings.Contains(cur.Text(), "Set up the app") {
				t.Errorf("current step %q", cur.Text())
			}
			for vid, suffix := range tc.values {
				v, _ := testID(doc, vid).Attr("value")
				if !strings.HasPrefix(v, "https://app.example.com/sso/") || !strings.HasSuffix(v, suffix) || !strings.Contains(v, id) {
					t.Errorf("%s = %q", vid, v)
				}
				if _, ok := testID(doc, "copy-"+vid).Attr("data-copy"); !ok {
					t.Errorf("no copy button for %s", vid)
				}
				if doc.Find(`label[for="`+vid+`"]`).Length() != 1 {
					t.Errorf("no label for %s", vid)
				}
			}
			if !strings.Contains(testID(doc, "guide-steps").Text(), tc.step) {
				t.Errorf("guide lacks %q", tc.step)
			}
			if got := testID(doc, "guide-logout"); tc.logout == "" && got.Length() != 0 || !strings.Contains(got.Text(), tc.logout) {
				t.Errorf("guide's logout paragraph %q, want it to mention %q", got.Text(), tc.logout)
			}
			if doc.Find(`script[src="/portal/assets/sso.js"]`).Length() != 1 || doc.Find(`link[href="/portal/assets/sso.css"]`).Length() != 1 {
				t.Error("sso.js not loaded")
			}
		})
	}
	// The Okta guide names the attributes ssokit reads by default.
	okta := ssokit.DefaultAttributeNames(store.ProtocolSAML, "okta")
	for _, a := range ssoGuideFor("okta", store.ProtocolSAML).Attributes {
		found := false
		for _, names := range okta {
			for _, n := range names {
				found = found || n == a.Name
			}
		}
		if !found {
			t.Errorf("guide attribute %q is not read by default", a.Name)
		}
	}
	if w := h.get("/portal/assets/sso.js", c); w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") {
		t.Errorf("sso.js: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestSSOConfigureRefusals(t *testing.T) {
	idp := idpsim.NewServer(t, nil)
	resp, err := http.Get(idp.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	good, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	jsMeta := strings.Replace(string(good), `Location="`+idp.SSOURL()+`"`, `Location="javascript:alert(1)"`, 1)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()

	h := newSSOHarness(t, false)
	c, csrf := h.ssoSession()
	saml := h.createConn(c, csrf, "saml", "generic")
	oidc := h.createConn(c, csrf, "oidc", "generic")
	before := h.conn(saml)

	cases := []struct {
		name, conn, path, field, want string
		form                          url.Values
	}{
		{"private metadata URL", saml, "/saml/metadata-url", "f-metadata_url", "private, loopback or link-local",
			url.Values{"metadata_url": {"https://127.0.0.1:8443/metadata"}}},
		{"plain http metadata URL", saml, "/saml/metadata-url", "f-metadata_url", "must start with https://",
			url.Values{"metadata_url": {idp.MetadataURL()}}},
		{"javascript metadata URL", saml, "/saml/metadata-url", "f-metadata_url", "https://",
			url.Values{"metadata_url": {"javascript:alert(document.cookie)"}}},
		{"bad metadata XML", saml, "/saml/metadata-xml", "f-metadata_xml", "not usable SAML IdP metadata",
			url.Values{"metadata_xml": {"<md:EntityDescriptor"}}},
		{"metadata with a javascript: location", saml, "/saml/metadata-xml", "f-metadata_xml", "javascript",
			url.Values{"metadata_xml": {jsMeta}}},
		{"bad PEM", saml, "/saml/manual", "f-certificate", "Certificate 1 is not a PEM",
			url.Values{"entity_id": {"https://idp.example.com"}, "sso_url": {"https://idp.example.com/sso"}, "certificate": {"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----"}}},
		{"javascript SSO URL", saml, "/saml/manual", "f-sso_url", "https://",
			url.Values{"entity_id": {"https://idp.example.com"}, "sso_url": {"javascript:alert(1)"}, "certificate": {"x"}}},
		{"javascript SLO URL", saml, "/saml/manual", "f-slo_url", "https://",
			url.Values{"entity_id": {"https://idp.example.com"}, "sso_url": {"https://idp.example.com/sso"}, "certificate": {"x"}, "slo_url": {"javascript:alert(1)"}}},
		{"loopback issuer", oidc, "/oidc", "f-issuer", "private",
			url.Values{"issuer": {"https://127.0.0.1:9/"}, "client_id": {"app"}}},
		{"missing client id", oidc, "/oidc", "f-client_id", "client ID",
			url.Values{"issuer": {"https://idp.example.com"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("csrf", csrf)
			w := h.follow(h.post("/portal/sso/"+tc.conn+tc.path, tc.form, c), c)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", w.Code, w.Body)
			}
			doc := parse(t, w)
			if link, _ := testID(doc, "error-summary").Find("a").Attr("href"); link != "#"+tc.field {
				t.Errorf("error summary links to %q, want #%s", link, tc.field)
			}
			msg := testID(doc, tc.field+"-error").Text()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error on %s = %q, want it to say %q", tc.field, msg, tc.want)
			}
			if inv, _ := doc.Find("#" + tc.field).Attr("aria-invalid"); inv != "true" && doc.Find("#"+tc.field).Length() > 0 {
				t.Errorf("%s not marked aria-invalid", tc.field)
			}
			if strings.Contains(w.Body.String(), "<script>alert") {
				t.Error("input echoed unescaped")
			}
		})
	}
	w := h.follow(h.post("/portal/sso/"+saml+"/mapping", url.Values{"csrf": {csrf}, "map_email": {"mail"}, "map_password": {"pwd"}}, c), c)
	if msg := testID(parse(t, w), "error-summary").Text(); w.Code != http.StatusOK || !strings.Contains(msg, "“password” is not a profile field") {
		t.Errorf("unknown mapping key: %d %q", w.Code, msg)
	}
	if n := h.countEvents(ssokit.EventConnectionConfigured) + h.countEvents(ssokit.EventConnectionMappingUpdated); n != 0 {
		t.Errorf("refusals wrote %d events", n)
	}
	if after := h.conn(saml); !after.UpdatedAt.Equal(before.UpdatedAt) || after.SAML.IdPEntityID != "" {
		t.Errorf("refusals changed the connection")
	}

	// An issuer that does not answer, reachable in principle (the insecure
	// switch lets a test use a loopback address).
	ih := newSSOHarness(t, true)
	ic, icsrf := ih.ssoSession()
	ioidc := ih.createConn(ic, icsrf, "oidc", "generic")
	w = ih.follow(ih.post("/portal/sso/"+ioidc+"/oidc", url.Values{"csrf": {icsrf}, "issuer": {dead.URL}, "client_id": {"app"}}, ic), ic)
	if w.Code != http.StatusOK {
		t.Fatalf("unreachable issuer: %d", w.Code)
	}
	if msg := testID(parse(t, w), "f-issuer-error").Text(); !strings.Contains(msg, "OpenID discovery at "+dead.URL+"/.well-known/openid-configuration failed") {
		t.Errorf("unreachable issuer error %q", msg)
	}
	if n := ih.countEvents(ssokit.EventConnectionConfigured); n != 0 {
		t.Errorf("unreachable issuer wrote %d events", n)
	}

	// The uploaded metadata, good this time, is saved.
	isaml := ih.createConn(ic, icsrf, "saml", "generic")
	w = ih.post("/portal/sso/"+isaml+"/saml/metadata-xml", url.Values{"csrf": {icsrf}, "metadata_xml": {string(good)}}, ic)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("good metadata: %d %s", w.Code, w.Body)
	}
	if got := ih.conn(isaml); got.SAML.IdPEntityID != idp.EntityID() || got.SAML.MetadataXML != string(good) {
		t.Errorf("uploaded metadata not stored: %+v", got.SAML.IdPEntityID)
	}
	if n := ih.countEvents(ssokit.EventConnectionConfigured); n != 1 {
		t.Errorf("%d configured events, want 1", n)
	}
}

// manualCert returns a PEM certificate valid at the harness clock.
func manualCert(t *testing.T, now time.Time) string {
	t.Helper()
	_, crt, err := ssokit.NewSAMLKeyPair(nil, now, "idp.example.com")
	if err != nil {
		t.Fatal(err)
	}
	return crt
}

func TestSSOManualEscapedAndActivation(t *testing.T) {
	h := newSSOHarness(t, false)
	c, csrf := h.ssoSession()
	id := h.createConn(c, csrf, "saml", "generic")
	evil := `https://idp.example.com/"><script>alert(1)</script>`
	w := h.post("/portal/sso/"+id+"/saml/manual", url.Values{"csrf": {csrf}, "entity_id": {evil},
		"sso_url": {"https://idp.example.com/sso"}, "certificate": {manualCert(t, h.clock.Now())}, "slo_url": {"https://idp.example.com/slo"}}, c)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/portal/sso/"+id+"/setup/mapping?saved=idp" {
		t.Fatalf("manual: %d %s %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if !strings.Contains(testID(parse(t, h.get(w.Header().Get("Location"), c)), "flash").Text(), "test the connection") {
		t.Error("no confirmation on the next step")
	}
	page := h.get("/portal/sso/"+id+"/setup/idp", c)
	body := page.Body.String()
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatal("IdP entity id rendered unescaped")
	}
	doc := parse(t, page)
	if got := testID(doc, "current-entity-id").Text(); got != evil {
		t.Errorf("entity id shown as %q", got)
	}
	if got := testID(doc, "current-slo-url").Text(); got != "https://idp.example.com/slo" {
		t.Errorf("IdP SLO URL shown as %q", got)
	}
	if v, _ := doc.Find("#f-slo_url").Attr("value"); v != "https://idp.example.com/slo" {
		t.Errorf("SLO URL field holds %q", v)
	}
	if cur, _ := testID(doc, "method-manual").Attr("aria-current"); cur != "page" || testID(doc, "form-metadata-url").Length() != 0 {
		t.Error("the idp step does not show the method the connection was set up with, alone")
	}

	// Activation is refused before a passing test.
	w = h.follow(h.post("/portal/sso/"+id+"/activate", url.Values{"csrf": {csrf}}, c), c)
	if w.Code != http.StatusOK {
		t.Fatalf("activate untested: %d", w.Code)
	}
	if !strings.Contains(testID(parse(t, w), "error-summary").Text(), "Test connection") {
		t.Errorf("alert %q", testID(parse(t, w), "error-summary").Text())
	}
	if st := h.conn(id).State; st != store.ConnectionDraft {
		t.Fatalf("state %s after refused activation", st)
	}
	if n := h.countEvents(ssokit.EventConnectionActivated); n != 0 {
		t.Fatalf("%d activation events", n)
	}

	// Once tested, activation works and asks the page to tell the parent.
	if _, err := h.st.UpdateConnection(context.Background(), id, func(c *store.Connection) ([]store.Event, error) {
		c.State, c.TestedAt = store.ConnectionTested, h.clock.Now()
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	w = h.post("/portal/sso/"+id+"/activate", url.Values{"csrf": {csrf}}, c)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/portal/sso/"+id+"?saved=activated" {
		t.Fatalf("activate: %d %s", w.Code, w.Header().Get("Location"))
	}
	doc = parse(t, h.get(w.Header().Get("Location"), c))
	ev := testID(doc, "portal-event")
	if typ, _ := ev.Attr("data-portal-event"); typ != UIEventSSOEnabled {
		t.Errorf("UI event %q", typ)
	}
	if data, _ := ev.Attr("data-portal-event-data"); !strings.Contains(data, id) {
		t.Errorf("UI event data %q", data)
	}
	if st := h.conn(id).State; st != store.ConnectionActive {
		t.Fatalf("state %s", st)
	}
	w = h.post("/portal/sso/"+id+"/deactivate", url.Values{"csrf": {csrf}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", w.Code)
	}
	if typ, _ := testID(parse(t, h.get(w.Header().Get("Location"), c)), "portal-event").Attr("data-portal-event"); typ != UIEventSSODisabled {
		t.Errorf("deactivate: %q", typ)
	}
	// An inactive connection can't be tested (a stale page's button): the
	// connection's page says why.
	w = h.post("/portal/sso/"+id+"/test", url.Values{"csrf": {csrf}}, c)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/portal/sso/"+id {
		t.Fatalf("test of an inactive connection: %d %s", w.Code, w.Header().Get("Location"))
	}
	if got := testID(parse(t, h.follow(w, c)), "error-summary").Text(); !strings.Contains(got, "Inactive connections can't be tested") {
		t.Errorf("test of an inactive connection: summary %q", got)
	}

	// Another organization's session sees nothing of it.
	other := h.createOrg("org_other", "Other")
	_, tok := h.linkFor(other.ID, admin.LinkOptions{Features: []store.Feature{store.FeatureSSO}}, "")
	_, oc := h.redeem(tok)
	ocsrf := csrfOf(t, h.get("/portal/sso", oc))
	if w := h.get("/portal/sso/"+id, oc); w.Code != http.StatusNotFound {
		t.Errorf("other org GET: %d", w.Code)
	}
	if w := h.post("/portal/sso/"+id+"/delete", url.Values{"csrf": {ocsrf}}, oc); w.Code != http.StatusNotFound {
		t.Errorf("other org delete: %d", w.Code)
	}
	// Deleting works for the owner once inactive.
	w = h.post("/portal/sso/"+id+"/delete", url.Values{"csrf": {csrf}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d", w.Code)
	}
	if _, err := h.st.GetConnection(context.Background(), id); err == nil {
		t.Fatal("not deleted")
	}
}

func TestSSOTestTicketAndResult(t *testing.T) {
	h := newSSOHarness(t, false)
	c, csrf := h.ssoSession()
	id := h.createConn(c, csrf, "saml", "okta")
	w := h.post("/portal/sso/"+id+"/saml/manual", url.Values{"csrf": {csrf}, "entity_id": {"https://idp.example.com"},
		"sso_url": {"https://idp.example.com/sso"}, "certificate": {manualCert(t, h.clock.Now())}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("manual: %d %s", w.Code, w.Body)
	}
	w = h.post("/portal/sso/"+id+"/test", url.Values{"csrf": {csrf}}, c)
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/portal/sso/"+id+"/test/run?after=") {
		t.Fatalf("test: %d %s", w.Code, w.Header().Get("Location"))
	}
	w = h.get(w.Header().Get("Location"), c)
	if w.Code != http.StatusOK {
		t.Fatalf("test page: %d %s", w.Code, w.Body)
	}
	if w := h.get("/portal/sso/"+id+"/test/run?after=0&ticket=nope", c); w.Code != http.StatusBadRequest {
		t.Errorf("test page with a malformed ticket: %d", w.Code)
	}
	doc := parse(t, w)
	open, _ := testID(doc, "test-open").Attr("href")
	statusURL, _ := testID(doc, "test-run").Attr("data-status-url")
	resultURL, _ := testID(doc, "test-run").Attr("data-result-url")
	if !strings.HasPrefix(open, "/portal/sso/test/ptt_") || statusURL == "" || resultURL == "" {
		t.Fatalf("test page: %q %q %q", open, statusURL, resultURL)
	}
	// The ticket opens the IdP without a portal session, once; a HEAD
	// (a link preview) does not spend it.
	if w := h.do(httptestRequest(http.MethodHead, "https://app.example.com"+open)); w.Code != http.StatusOK {
		t.Fatalf("HEAD: %d", w.Code)
	}
	w = h.get(open)
	if w.Code != http.StatusFound || !strings.HasPrefix(w.Header().Get("Location"), "https://idp.example.com/sso?SAMLRequest=") {
		t.Fatalf("ticket: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := h.get(open); w.Code != http.StatusGone {
		t.Errorf("second use of the ticket: %d", w.Code)
	}
	if w := h.get("/portal/sso/test/ptt_" + strings.Repeat("A", 43)); w.Code != http.StatusGone {
		t.Errorf("unknown ticket: %d", w.Code)
	}

	status := func() map[string]bool {
		w := h.get(statusURL, c)
		var s map[string]bool
		if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil {
			t.Fatalf("status %d %s", w.Code, w.Body)
		}
		return s
	}
	if s := status(); s["done"] {
		t.Fatal("done before any result")
	}
	if !testID(parse(t, h.get(resultURL, c)), "result-pending").Is("section") {
		t.Error("no pending state")
	}

	// A failed test, as ssokit records it.
	le := &ssokit.LoginError{Reason: ssokit.ReasonAudience, Detail: "audience is not this connection",
		ExpectedAudience: h.sso.SAMLEntityID(id), Audiences: []string{"<b>urn:other</b>"}}
	raw, _ := json.Marshal(le)
	appendEvent(t, h.harness, store.Event{ID: "evt_f1", Type: ssokit.EventConnectionTestFailed, OrgID: h.org.ID, Subject: id, Actor: "system", Data: raw, CreatedAt: h.clock.Now()})
	if s := status(); !s["done"] || s["ok"] {
		t.Fatalf("status after failure %v", s)
	}
	w = h.get(resultURL, c)
	doc = parse(t, w)
	if testID(doc, "result-reason").Text() != "audience_mismatch" || !strings.Contains(testID(doc, "result-hint").Text(), "SP entity ID") {
		t.Errorf("failure page: %q %q", testID(doc, "result-reason").Text(), testID(doc, "result-hint").Text())
	}
	if !strings.Contains(w.Body.String(), "&lt;b&gt;urn:other&lt;/b&gt;") || !strings.Contains(w.Body.String(), h.sso.SAMLEntityID(id)) {
		t.Error("facts missing or unescaped")
	}

	// A later success shows the claims, on a result page that starts after
	// the failure.
	evs, _ := h.st.ListEvents(context.Background(), store.EventQuery{Limit: 1000})
	cursor := evs[len(evs)-1].Cursor
	raw, _ = json.Marshal(map[string]any{"from": "draft", "to": "tested", "subject": "ada@megacorp.example", "email": "ada@megacorp.example",
		"attributes": map[string][]string{"groups": {"<img src=x onerror=alert(1)>"}, "email": {"ada@megacorp.example"}}})
	appendEvent(t, h.harness, store.Event{ID: "evt_ok", Type: ssokit.EventConnectionTested, OrgID: h.org.ID, Subject: id, Actor: "system", Data: raw, CreatedAt: h.clock.Now()})
	w = h.get("/portal/sso/"+id+"/test/result?after="+itoa(cursor), c)
	doc = parse(t, w)
	if testID(doc, "result-email").Text() != "ada@megacorp.example" || testID(doc, "result-attribute").Length() != 2 {
		t.Errorf("success page: %s", w.Body)
	}
	if strings.Contains(w.Body.String(), "<img src=x") {
		t.Error("claims rendered unescaped")
	}
	if w := h.get("/portal/sso/"+id+"/test/result?after=-1", c); w.Code != http.StatusBadRequest {
		t.Errorf("bad cursor: %d", w.Code)
	}
}

func appendEvent(t *testing.T, h *harness, ev store.Event) {
	t.Helper()
	if _, err := h.st.AppendEvents(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
