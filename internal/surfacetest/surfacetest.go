// Package surfacetest wires the admin service and every surface over it
// (the IT-admin portal, the operator dashboard and the management API) on
// a memstore, a settable clock, a captured log and a local DNS server, the
// way a host mounts them, for the tests of those packages. It is imported
// only by tests.
package surfacetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/dashboard"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/mgmtapi"
	"github.com/onboardkit/onboardkit/portal"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// Origin is the origin every surface is served from; PortalURL is where
// the portal is mounted.
const (
	Origin    = "https://app.example.com"
	PortalURL = Origin + "/portal"
)

// Operator is the staff member the stand-in staff middleware signs in.
const Operator = "jane@example.com"

// Config is what a test may change before the surfaces are built.
type Config struct {
	Admin     admin.Config
	Portal    portal.Config
	Dashboard dashboard.Config
	MgmtAPI   mgmtapi.Config // its Admin is set by New
	// Kits wires the real SSO and SCIM kits (Env.SSO at /sso, Env.SCIM at
	// /scim) as the admin service's Connections and Directories, instead
	// of testkit.Lifecycle. Their time is the Env's clock; the SSO kit
	// may reach identity providers on 127.0.0.1.
	Kits bool
	// Google, with Kits, returns the admin service's Google Workspace
	// syncer, built on the Env's Store and clock (a test wires it to a
	// simulator, which this package may not import).
	Google func(e *Env) admin.GoogleDirectories
}

// Env is the admin service with the portal mounted at /portal, the
// dashboard at /dashboard behind a stand-in for the host's staff
// middleware, and the management API at /api, on one handler. The service
// has a domains.Service on DNS and lifecycle rules from
// testkit.Lifecycle.
type Env struct {
	T            testing.TB
	Admin        *admin.Admin
	Store        *memstore.Store
	Clock        *testkit.Clock
	Logs         *testkit.LogBuffer
	DNS          *testkit.DNSServer
	testkit.Site                     // Get, Post and Do on the handler of every surface
	Key          string              // a live management API key
	Org          *store.Organization // "Acme Corp"
	SSO          *ssokit.SSO         // with Config.Kits
	SCIM         *scimkit.Server     // with Config.Kits

	// dashCSRF is the CSRF cookie of the dashboard posts, which a browser
	// keeps and sends again on each redirect's GET.
	dashMu   sync.Mutex
	dashCSRF *http.Cookie
}

// New builds an Env; mod, when not nil, changes the Configs first.
func New(t testing.TB, mod func(*Config)) *Env {
	t.Helper()
	e := &Env{T: t, Store: memstore.New(), Clock: testkit.NewClock(time.Time{}), Logs: &testkit.LogBuffer{}, DNS: testkit.NewDNSServer(t)}
	log := e.Logs.Logger()
	ds, err := domains.New(domains.Config{Store: e.Store, Resolver: e.DNS.Resolver(), Now: e.Clock.Now, LookupTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	lc := testkit.Lifecycle{Store: e.Store}
	c := Config{
		Admin:     admin.Config{Store: e.Store, PortalURL: PortalURL, Domains: ds, Connections: lc, Directories: lc, Now: e.Clock.Now, Logger: log},
		Portal:    portal.Config{Store: e.Store, Now: e.Clock.Now, Logger: log},
		Dashboard: dashboard.Config{Now: e.Clock.Now, Logger: log, Operator: staffFrom},
		MgmtAPI:   mgmtapi.Config{Logger: log},
	}
	if mod != nil {
		mod(&c)
	}
	if c.Kits {
		if e.SSO, err = ssokit.New(ssokit.Config{Store: e.Store, BaseURL: Origin + "/sso", Now: e.Clock.Now, Logger: log,
			InsecureAllowPrivateNetworks: true,
			OnLogin:                      func(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) { w.WriteHeader(http.StatusNoContent) },
		}); err != nil {
			t.Fatalf("ssokit.New: %v", err)
		}
		if e.SCIM, err = scimkit.New(scimkit.Config{Store: e.Store, BaseURL: Origin + "/scim", Now: e.Clock.Now, Logger: log}); err != nil {
			t.Fatalf("scimkit.New: %v", err)
		}
		c.Admin.Connections, c.Admin.Directories = e.SSO, e.SCIM
		c.Portal.SSO, c.Portal.SCIM = e.SSO, e.SCIM
		if c.Google != nil {
			c.Admin.Google = c.Google(e)
		}
	}
	if e.Admin, err = admin.New(c.Admin); err != nil {
		t.Fatalf("admin.New: %v", err)
	}
	c.Portal.Admin, c.Dashboard.Admin = e.Admin, e.Admin
	p, err := portal.New(c.Portal)
	if err != nil {
		t.Fatalf("portal.New: %v", err)
	}
	d, err := dashboard.New(c.Dashboard)
	if err != nil {
		t.Fatalf("dashboard.New: %v", err)
	}
	c.MgmtAPI.Admin = e.Admin
	api, err := mgmtapi.New(c.MgmtAPI)
	if err != nil {
		t.Fatalf("mgmtapi.New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/portal/", http.StripPrefix("/portal", p))
	mux.Handle("/dashboard/", RequireStaff(http.StripPrefix("/dashboard", d)))
	mux.Handle("/api/", http.StripPrefix("/api", api))
	if c.Kits {
		mux.Handle("/sso/", http.StripPrefix("/sso", e.SSO))
		mux.Handle("/scim/", http.StripPrefix("/scim", e.SCIM))
	}
	e.Site = testkit.Site{H: mux, Origin: Origin}
	k, err := e.Admin.CreateAPIKey(context.Background(), admin.APIKeyInput{Name: "tests"}, "operator:setup")
	if err != nil {
		t.Fatal(err)
	}
	e.Key = k.Key
	e.Org = e.CreateOrg("org_acme", "Acme Corp")
	return e
}

type staffKey struct{}

// RequireStaff stands in for a host's staff-authentication middleware: it
// signs Operator in.
func RequireStaff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), staffKey{}, Operator)))
	})
}

func staffFrom(r *http.Request) string {
	s, _ := r.Context().Value(staffKey{}).(string)
	return s
}

// CreateOrg stores an organization directly.
func (e *Env) CreateOrg(id, name string) *store.Organization {
	e.T.Helper()
	return testkit.CreateOrg(e.T, e.Store, e.Clock.Now(), id, name)
}

// AddConnection makes conn_x an active OIDC connection of the organization
// Org, written straight to the Store.
func (e *Env) AddConnection() {
	e.T.Helper()
	now := time.Now().UTC()
	if err := e.Store.CreateConnection(context.Background(), &store.Connection{ID: "conn_x", OrgID: e.Org.ID, Protocol: store.ProtocolOIDC,
		Provider: "okta", Name: "Okta", State: store.ConnectionActive,
		OIDC:      &store.OIDCConfig{Issuer: "https://idp.example.com", ClientID: "c", Scopes: []string{"openid"}},
		CreatedAt: now, UpdatedAt: now}); err != nil {
		e.T.Fatal(err)
	}
}

// AddUsers makes ids active directory users of the organization Org, in a
// new directory, written straight to the Store.
func (e *Env) AddUsers(ids ...string) {
	e.T.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	dir := &store.Directory{ID: "dir_" + e.Org.ID, OrgID: e.Org.ID, Provider: "okta", Name: "Okta", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}
	if err := e.Store.CreateDirectory(ctx, dir); err != nil {
		e.T.Fatal(err)
	}
	for _, id := range ids {
		if err := e.Store.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: id, DirectoryID: dir.ID, UserName: id + "@example.com", Active: true,
			CreatedAt: now, UpdatedAt: now}); err != nil {
			e.T.Fatal(err)
		}
	}
}

// Link generates a link for the organization orgID by actor and returns
// its token.
func (e *Env) Link(orgID string, opts admin.LinkOptions, actor string) string {
	e.T.Helper()
	l, err := e.Admin.GenerateLink(context.Background(), orgID, opts, actor)
	testkit.Must(e.T, err)
	return testkit.LinkToken(e.T, l.URL)
}

// Redeem posts a link token to the portal and returns the response and
// the session cookie it set (nil if none).
func (e *Env) Redeem(token string) (*httptest.ResponseRecorder, *http.Cookie) {
	w := e.Post("/portal/l", url.Values{"token": {token}})
	return w, testkit.SessionCookie(w)
}

// SignIn redeems a fresh link of Org with opts and returns the session
// cookie.
func (e *Env) SignIn(opts admin.LinkOptions) *http.Cookie {
	e.T.Helper()
	w, c := e.Redeem(e.Link(e.Org.ID, opts, ""))
	if w.Code != http.StatusSeeOther || c == nil {
		e.T.Fatalf("redeem: status %d, cookie %v, body %s", w.Code, c, w.Body)
	}
	return c
}

// API sends a management API request with the Env's key.
func (e *Env) API(method, path string, body any) (*httptest.ResponseRecorder, map[string]any) {
	e.T.Helper()
	return e.APIWith("Bearer "+e.Key, method, path, body)
}

// APIWith sends a management API request with the Authorization header
// auth ("" for none); body is a string sent as is, or a value encoded as
// JSON. It returns the response and its JSON object.
func (e *Env) APIWith(auth, method, path string, body any) (*httptest.ResponseRecorder, map[string]any) {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	r := httptest.NewRequest(method, Origin+"/api"+path, rd)
	if rd != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := e.Do(r)
	var out map[string]any
	if w.Code != http.StatusNoContent {
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			e.T.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, w.Body)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			e.T.Fatalf("%s %s: body is not a JSON object: %v: %s", method, path, err, w.Body)
		}
	}
	return w, out
}

// ErrorMessage and ErrorCode read a management API error body.
func ErrorMessage(body map[string]any) string {
	m, _ := errorField(body)["message"].(string)
	return m
}

// ErrorCode reads the code of a management API error body.
func ErrorCode(body map[string]any) string {
	c, _ := errorField(body)["code"].(string)
	return c
}

func errorField(body map[string]any) map[string]any {
	e, _ := body["error"].(map[string]any)
	return e
}

// DashGet fetches a dashboard page.
func (e *Env) DashGet(path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	return e.Get("/dashboard"+path, cookies...)
}

// DashCSRF returns a CSRF cookie and its token, as a first page load sets.
func (e *Env) DashCSRF() (*http.Cookie, string) {
	e.T.Helper()
	w := e.DashGet("/")
	for _, c := range w.Result().Cookies() {
		if c.Name == "__Host-onboardkit_dashboard_csrf" {
			tok, _ := testkit.Parse(e.T, w).Find(`[data-testid="create-org-form"] input[name="csrf"]`).Attr("value")
			if tok != c.Value {
				e.T.Fatalf("form token %q does not match cookie %q", tok, c.Value)
			}
			return c, tok
		}
	}
	e.T.Fatalf("no CSRF cookie set: %v", w.Result().Cookies())
	return nil, ""
}

// dashCookie returns the CSRF cookie the dashboard posts share, and its
// token.
func (e *Env) dashCookie() (*http.Cookie, string) {
	e.T.Helper()
	e.dashMu.Lock()
	defer e.dashMu.Unlock()
	if e.dashCSRF == nil {
		e.dashCSRF, _ = e.DashCSRF()
	}
	return e.dashCSRF, e.dashCSRF.Value
}

// DashPost posts a form to the dashboard as a same-origin browser would.
func (e *Env) DashPost(path string, form url.Values) *httptest.ResponseRecorder {
	e.T.Helper()
	c, tok := e.dashCookie()
	form.Set(web.CSRFField, tok)
	return e.Post("/dashboard"+path, form, c)
}

// Follow follows the redirect w answered with, as a browser would: a GET
// of its Location carrying the cookies w set (a dashboard page's reveal)
// and the dashboard's CSRF cookie.
func (e *Env) Follow(w *httptest.ResponseRecorder) *httptest.ResponseRecorder {
	e.T.Helper()
	if w.Code != http.StatusSeeOther {
		e.T.Fatalf("status %d, want a 303 redirect: %s", w.Code, w.Body)
	}
	var cs []*http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.MaxAge >= 0 {
			cs = append(cs, c)
		}
	}
	e.dashMu.Lock()
	if e.dashCSRF != nil {
		cs = append(cs, e.dashCSRF)
	}
	e.dashMu.Unlock()
	return e.Get(w.Header().Get("Location"), cs...)
}

// DashUpload posts a multipart form with files to the dashboard.
func (e *Env) DashUpload(path string, fields map[string]string, files map[string][]byte) *httptest.ResponseRecorder {
	e.T.Helper()
	c, tok := e.dashCookie()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField(web.CSRFField, tok)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for k, data := range files {
		fw, err := mw.CreateFormFile(k, k+".bin")
		if err != nil {
			e.T.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, Origin+"/dashboard"+path, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Origin", Origin)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(c)
	return e.Do(r)
}

// EventCount is the number of events in the outbox.
func (e *Env) EventCount() int64 {
	e.T.Helper()
	n, err := e.Store.LastEventCursor(context.Background())
	if err != nil {
		e.T.Fatal(err)
	}
	return n
}

// LastEvent returns the newest event of type typ.
func (e *Env) LastEvent(typ string) store.Event {
	e.T.Helper()
	evs, err := e.Store.ListEvents(context.Background(), store.EventQuery{Types: []string{typ}, Limit: 1000})
	if err != nil || len(evs) == 0 {
		e.T.Fatalf("no %s event (%v)", typ, err)
	}
	return evs[len(evs)-1]
}
