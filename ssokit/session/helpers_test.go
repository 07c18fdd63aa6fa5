package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/teststores"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/session"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/seal"
)

// testKeyring seals the secrets of every Store a test of this package
// opens, so that two instances or a reopened file open each other's.
var testKeyring = seal.NewEphemeralKeyring()

var t0 = time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)

// annIDToken is the ID token of ann's login, a credential that only the
// sealed Session.IDToken may hold.
const annIDToken = "eyJhbGciOiJSUzI1NiJ9.ann-id-token-credential.sig"

// clock is a test clock shared by the instances of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// backends are the Stores every test runs on; PostgreSQL only when a test
// database is configured.
var backends = []struct {
	name string
	open func(t testing.TB) store.Store
}{
	{"memstore", func(t testing.TB) store.Store { return memstore.New() }},
	{"sqlite", func(t testing.TB) store.Store { return teststores.SQLite(t, testKeyring) }},
	{"postgres", func(t testing.TB) store.Store { return teststores.Postgres(t, testKeyring, "oks") }},
}

// counting wraps a Store and counts session reads and writes.
type counting struct {
	session.Store
	reads, touches atomic.Int64
}

func (c *counting) GetSession(ctx context.Context, d []byte, now time.Time) (*store.Session, error) {
	c.reads.Add(1)
	return c.Store.GetSession(ctx, d, now)
}

func (c *counting) TouchSession(ctx context.Context, id string, now, idle time.Time) error {
	c.touches.Add(1)
	return c.Store.TouchSession(ctx, id, now, idle)
}

// world is an organization with an active connection, a verified domain,
// and a directory with one user, ann.
type world struct {
	st   store.Store
	org  *store.Organization
	conn *store.Connection
	dom  *store.Domain
	dir  *store.Directory
	ann  *store.DirectoryUser
}

func newWorld(t testing.TB, st store.Store, orgID string) *world {
	t.Helper()
	ctx := t.Context()
	w := &world{st: st}
	w.org = &store.Organization{ID: orgID, Name: "Org " + orgID, CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateOrganization(ctx, w.org))
	w.conn = &store.Connection{ID: "conn_" + orgID, OrgID: orgID, Protocol: store.ProtocolOIDC, Provider: "okta", Name: "Okta",
		State: store.ConnectionActive, OIDC: &store.OIDCConfig{Issuer: "https://idp.example.com", ClientID: "c", Scopes: []string{"openid"}},
		CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateConnection(ctx, w.conn))
	w.dom = &store.Domain{ID: "dom_" + orgID, OrgID: orgID, Name: orgID + ".example", State: store.DomainVerified,
		Method: store.DomainDNSTXT, Challenge: "x", VerifiedAt: t0, VerifiedBy: "dns", CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateDomain(ctx, w.dom))
	w.dir = &store.Directory{ID: "dir_" + orgID, OrgID: orgID, Provider: "okta", Name: "Okta", State: store.DirectoryActive, CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateDirectory(ctx, w.dir))
	w.ann = &store.DirectoryUser{ID: "usr_ann_" + orgID, DirectoryID: w.dir.ID, UserName: "ann@" + w.dom.Name, Active: true, CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateDirectoryUser(ctx, w.ann))
	return w
}

// profile is ann's verified profile, as ssokit gives it to OnLogin.
func (w *world) profile() *ssokit.Profile {
	return &ssokit.Profile{
		ID: ssokit.ProfileID(w.conn.ID, "ann-sub"), Subject: "ann-sub", Email: w.ann.UserName, EmailVerified: true,
		OrgID: w.org.ID, ConnectionID: w.conn.ID, Protocol: store.ProtocolOIDC, Provider: "okta",
		ReturnTo: "/app/home", DirectoryUser: w.ann, Attributes: map[string][]string{"sid": {"sid-1"}},
		IDToken: annIDToken,
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// app is one app instance: a Manager and its routes.
type app struct {
	m   *session.Manager
	h   http.Handler
	log func(w http.ResponseWriter, r *http.Request) // logs the world's ann in (stands in for ssokit)
}

func newApp(t testing.TB, st session.Store, clk *clock, w *world, mod func(*session.Config)) *app {
	t.Helper()
	cfg := session.Config{Store: st, Now: clk.Now, LoginURL: "/sso/start"}
	if mod != nil {
		mod(&cfg)
	}
	m, err := session.New(cfg)
	must(t, err)
	a := &app{m: m}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /test/login", func(rw http.ResponseWriter, r *http.Request) {
		m.OnLogin(rw, r, w.profile())
	})
	mux.Handle("POST /logout", m.Logout())
	mux.Handle("/app/", m.RequireLogin(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		p, ok := session.ProfileFromContext(r.Context())
		if !ok {
			http.Error(rw, "no profile", 500)
			return
		}
		rw.Write([]byte("hello " + p.Email + " of " + p.OrgID + " csrf=" + m.CSRFToken(r)))
	})))
	a.h = mux
	return a
}

// browser keeps cookies between requests to apps.
type browser struct {
	jar map[string]*http.Cookie
}

func newBrowser() *browser { return &browser{jar: map[string]*http.Cookie{}} }

func (b *browser) do(t testing.TB, a *app, method, target string, body string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, "https://app.example.com"+target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, "https://app.example.com"+target, nil)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	for _, c := range b.jar {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, r)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c
		}
	}
	return rec
}

// get requests target and returns the status and body.
func (b *browser) get(t testing.TB, a *app, target string) (int, string) {
	t.Helper()
	rec := b.do(t, a, "GET", target, "", nil)
	return rec.Code, rec.Body.String()
}
