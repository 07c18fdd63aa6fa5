package portal

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

const testBaseURL = "https://app.example.com/portal"

// harness is a portal wired to a memstore, a fixed clock and a captured log,
// mounted under /portal as a host would mount it.
type harness struct {
	t     testing.TB
	p     *Portal
	admin *admin.Admin
	// domains is the admin service's domains.Service, when a mod set one.
	domains *domains.Service
	st      *memstore.Store
	clock   *testkit.Clock
	logs    *testkit.LogBuffer
	h       http.Handler
	org     *store.Organization
}

// newHarness builds the harness; mod may change the portal's Config and
// the admin service's before they are built. The service's lifecycles
// default to the portal's SSO and SCIM kits, as a host would pass them.
func newHarness(t testing.TB, mod func(*Config, *admin.Config)) *harness {
	t.Helper()
	st := memstore.New()
	clock := testkit.NewClock(time.Time{})
	logs := &testkit.LogBuffer{}
	cfg := Config{
		Store:   st,
		BaseURL: testBaseURL,
		Now:     clock.Now,
		Logger:  logs.Logger(),
	}
	var acfg admin.Config
	if mod != nil {
		mod(&cfg, &acfg)
	}
	p, err := newPortal(cfg, func(c *admin.Config) {
		c.Domains, c.Branding = acfg.Domains, acfg.Branding
		c.ShareableLinkTTL, c.EmbeddedLinkTTL = acfg.ShareableLinkTTL, acfg.EmbeddedLinkTTL
		c.Roles = acfg.Roles
		if acfg.Connections != nil {
			c.Connections = acfg.Connections
		}
		if acfg.Directories != nil {
			c.Directories = acfg.Directories
		}
		if acfg.Google != nil {
			c.Google = acfg.Google
		}
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a := p.admin
	mux := http.NewServeMux()
	mux.Handle("/portal/", http.StripPrefix("/portal", p))
	h := &harness{t: t, p: p, admin: a, domains: acfg.Domains, st: st, clock: clock, logs: logs, h: mux}
	h.org = h.createOrg("org_acme", "Acme Corp")
	return h
}

func (h *harness) createOrg(id, name string) *store.Organization {
	h.t.Helper()
	return testkit.CreateOrg(h.t, h.st, h.clock.Now(), id, name)
}

// link generates a link for the harness organization and returns it with
// its token.
func (h *harness) link(opts admin.LinkOptions) (*admin.Link, string) {
	h.t.Helper()
	return h.linkFor(h.org.ID, opts, "")
}

// linkFor generates a link for the organization orgID, by actor.
func (h *harness) linkFor(orgID string, opts admin.LinkOptions, actor string) (*admin.Link, string) {
	h.t.Helper()
	l, err := h.admin.GenerateLink(context.Background(), orgID, opts, actor)
	if err != nil {
		h.t.Fatalf("GenerateLink: %v", err)
	}
	return l, testkit.LinkToken(h.t, l.URL)
}

// do, get and post send requests as a browser on the portal's origin.
func (h *harness) do(r *http.Request) *httptest.ResponseRecorder { return h.site().Do(r) }

func (h *harness) get(path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	return h.site().Get(path, cookies...)
}

func (h *harness) post(path string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	return h.site().Post(path, form, cookies...)
}

func (h *harness) site() testkit.Site { return testkit.Site{H: h.h, Origin: "https://app.example.com"} }

// redeem posts the token and returns the response and the session cookie
// it set (nil if none).
func (h *harness) redeem(token string, cookies ...*http.Cookie) (*httptest.ResponseRecorder, *http.Cookie) {
	w := h.post("/portal/l", url.Values{"token": {token}}, cookies...)
	return w, sessionCookieOf(w)
}

// refusedPage checks that w, the answer to a refused redemption of token,
// is a 303 to the page of the refusal that names no secret and sets no
// cookie, and returns that page (the GET a browser follows with).
func (h *harness) refusedPage(w *httptest.ResponseRecorder, token string) *httptest.ResponseRecorder {
	h.t.Helper()
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/portal/link-refused/") {
		h.t.Fatalf("refused redemption: status %d, Location %q, want 303 to the refusal's page: %s", w.Code, loc, w.Body)
	}
	if token != "" && strings.Contains(loc, token[len(admin.LinkTokenPrefix):]) {
		h.t.Fatalf("the Location of a refused redemption holds the token: %q", loc)
	}
	if c := sessionCookieOf(w); c != nil {
		h.t.Fatal("a refused redemption set a session cookie")
	}
	return h.get(loc)
}

// signIn redeems a fresh link with opts and returns the session cookie.
func (h *harness) signIn(opts admin.LinkOptions) *http.Cookie {
	h.t.Helper()
	_, tok := h.link(opts)
	w, c := h.redeem(tok)
	if w.Code != http.StatusSeeOther || c == nil {
		h.t.Fatalf("redeem: status %d, cookie %v, body %s", w.Code, c, w.Body)
	}
	return c
}

// csrfOf returns the CSRF token the page rendered in its logout form.
func csrfOf(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	doc := parse(t, w)
	v, ok := doc.Find(`[data-testid="logout-form"] input[name="csrf"]`).Attr("value")
	if !ok || v == "" {
		t.Fatalf("no CSRF token in page: %s", w.Body)
	}
	return v
}

func sessionCookieOf(w *httptest.ResponseRecorder) *http.Cookie { return testkit.SessionCookie(w) }

func parse(t testing.TB, w *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	return testkit.Parse(t, w)
}

func testID(doc *goquery.Document, id string) *goquery.Selection { return testkit.TestID(doc, id) }

// countEvents returns how many outbox events of type typ exist.
func (h *harness) countEvents(typ string) int {
	h.t.Helper()
	evs, err := h.st.ListEvents(context.Background(), store.EventQuery{Types: []string{typ}, Limit: 1000})
	if err != nil {
		h.t.Fatalf("ListEvents: %v", err)
	}
	return len(evs)
}

func (h *harness) storedLink(id string) *store.PortalLink {
	h.t.Helper()
	l, err := h.st.GetPortalLink(context.Background(), id)
	if err != nil {
		h.t.Fatalf("GetPortalLink: %v", err)
	}
	return l
}

func (h *harness) sessionLive(c *http.Cookie) bool {
	_, err := h.st.GetPortalSession(context.Background(), secret.Digest(c.Value), h.clock.Now())
	return err == nil
}

type responseRecorder = httptest.ResponseRecorder

func httptestRequest(method, target string) *http.Request {
	return httptest.NewRequest(method, target, nil)
}

func ioNopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

// storeOf is the harness's Store, as a kit's Config takes it.
func storeOf(c *Config) store.Store {
	st, _ := c.Store.(store.Store)
	return st
}

// newPortal builds a portal over an admin service made as a host would:
// on cfg's Store, clock and logger, with PortalURL cfg.BaseURL and the
// portal's SSO and SCIM kits as lifecycles; mods change the service's
// Config before it is built.
func newPortal(cfg Config, mods ...func(*admin.Config)) (*Portal, error) {
	ac := admin.Config{Store: storeOf(&cfg), PortalURL: cfg.BaseURL, Now: cfg.Now, Logger: cfg.Logger}
	if cfg.SSO != nil {
		ac.Connections = cfg.SSO
	}
	if cfg.SCIM != nil {
		ac.Directories = cfg.SCIM
	}
	for _, m := range mods {
		m(&ac)
	}
	a, err := admin.New(ac)
	if err != nil {
		return nil, err
	}
	cfg.Admin = a
	return New(cfg)
}

// follow answers the redirect w as a browser does: a GET of its Location
// with cookies and the cookies w set (a flash).
func (h *harness) follow(w *httptest.ResponseRecorder, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	h.t.Helper()
	if w.Code != http.StatusSeeOther {
		h.t.Fatalf("status %d, want a 303 redirect: %s", w.Code, w.Body)
	}
	cs := append([]*http.Cookie(nil), cookies...)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge >= 0 && c.Value != "" {
			cs = append(cs, c)
		}
	}
	loc, _, _ := strings.Cut(w.Header().Get("Location"), "#")
	return h.get(loc, cs...)
}
