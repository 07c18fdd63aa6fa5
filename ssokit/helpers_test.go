package ssokit

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// testNow is the pinned clock of the tests.
var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const (
	testBase   = "https://app.example.com/sso"
	testOrg    = "org_a"
	testOrgB   = "org_b"
	connSAML   = "conn_saml"
	connSAMLB  = "conn_saml_b"
	connOIDC   = "conn_oidc"
	testDomain = "example.com"
	idpEntity  = "https://idp.example.net/metadata"
	idpEntityB = "https://idp-b.example.org/metadata"
	idpSSO     = "https://idp.example.net/sso"
)

// env is an SSO handler wired to a memstore with two organizations, their
// verified domains and connections, a pinned clock and a captured log.
type env struct {
	t     testing.TB
	st    store.Store
	sso   *SSO
	logs  *testkit.LogBuffer
	mu    sync.Mutex
	now   time.Time
	login []*Profile
	tests []*TestResult
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func (e *env) logins() []*Profile {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Profile(nil), e.login...)
}

func (e *env) testResults() []*TestResult {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*TestResult(nil), e.tests...)
}

func newEnv(t testing.TB, mutate func(*Config)) *env {
	t.Helper()
	return newEnvWithStore(t, memstore.New(), true, mutate)
}

func newEnvWithStore(t testing.TB, st store.Store, seed bool, mutate func(*Config)) *env {
	t.Helper()
	keys(t)
	e := &env{t: t, st: st, logs: &testkit.LogBuffer{}, now: testNow}
	if seed {
		seedStore(t, st)
	}
	cfg := Config{
		Store:   st,
		BaseURL: testBase,
		OnLogin: func(w http.ResponseWriter, r *http.Request, p *Profile) {
			e.mu.Lock()
			e.login = append(e.login, p)
			e.mu.Unlock()
			http.SetCookie(w, &http.Cookie{Name: "host_session", Value: "s-" + p.ID, Path: "/"})
			http.Redirect(w, r, p.ReturnTo, http.StatusSeeOther)
		},
		OnTestResult: func(w http.ResponseWriter, r *http.Request, res *TestResult) {
			e.mu.Lock()
			e.tests = append(e.tests, res)
			e.mu.Unlock()
			w.WriteHeader(http.StatusOK)
		},
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    e.clock,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.sso = s
	return e
}

func seedStore(t testing.TB, st store.Store) {
	t.Helper()
	ctx := context.Background()
	created := testNow.Add(-24 * time.Hour)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateOrganization(ctx, &store.Organization{ID: testOrg, Name: "Org A", CreatedAt: created, UpdatedAt: created}))
	must(st.CreateOrganization(ctx, &store.Organization{ID: testOrgB, Name: "Org B", CreatedAt: created, UpdatedAt: created}))
	for _, d := range []store.Domain{
		{ID: "dom_a", OrgID: testOrg, Name: testDomain, State: store.DomainVerified, Method: store.DomainManual, VerifiedAt: created},
		{ID: "dom_a2", OrgID: testOrg, Name: "pending.example", State: store.DomainPending, Method: store.DomainDNSTXT},
		{ID: "dom_b", OrgID: testOrgB, Name: "orgb.example", State: store.DomainVerified, Method: store.DomainManual, VerifiedAt: created},
	} {
		d.CreatedAt, d.UpdatedAt = created, created
		must(st.CreateDomain(ctx, &d))
	}
	must(st.CreateConnection(ctx, &store.Connection{
		ID: connSAML, OrgID: testOrg, Protocol: store.ProtocolSAML, Provider: "okta", Name: "Okta",
		State: store.ConnectionActive,
		SAML: &store.SAMLConfig{
			IdPEntityID:  idpEntity,
			SSOURL:       idpSSO,
			Certificates: []string{idpKey.CertPEM},
			SPKeyPEM:     spKey.KeyPEM,
			SPCertPEM:    spKey.CertPEM,
		},
		TestedAt: created, CreatedAt: created, UpdatedAt: created,
	}))
	must(st.CreateConnection(ctx, &store.Connection{
		ID: connSAMLB, OrgID: testOrgB, Protocol: store.ProtocolSAML, Provider: "generic", Name: "B",
		State: store.ConnectionActive,
		SAML: &store.SAMLConfig{
			IdPEntityID:       idpEntityB,
			SSOURL:            "https://idp-b.example.org/sso",
			Certificates:      []string{idpB.CertPEM},
			AllowIdPInitiated: true,
		},
		TestedAt: created, CreatedAt: created, UpdatedAt: created,
	}))
}

// updateConn changes a connection in the store, bumping UpdatedAt.
func (e *env) updateConn(id string, fn func(c *store.Connection)) {
	e.t.Helper()
	_, err := e.st.UpdateConnection(context.Background(), id, func(c *store.Connection) ([]store.Event, error) {
		fn(c)
		c.UpdatedAt = c.UpdatedAt.Add(time.Second)
		return nil, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// browser keeps cookies across requests to the handler.
type browser struct {
	e       *env
	h       http.Handler
	cookies map[string]*http.Cookie
}

func (e *env) browser() *browser {
	return &browser{e: e, h: e.sso, cookies: map[string]*http.Cookie{}}
}

func (b *browser) do(r *http.Request) *httptest.ResponseRecorder {
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return w
}

func (b *browser) get(path string) *httptest.ResponseRecorder {
	return b.do(httptest.NewRequest(http.MethodGet, path, nil))
}

func (b *browser) postForm(path string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(r)
}

func (b *browser) postSAML(conn string, raw []byte, relay string) *httptest.ResponseRecorder {
	return b.postForm("/saml/"+conn+"/acs", url.Values{
		"SAMLResponse": {base64.StdEncoding.EncodeToString(raw)},
		"RelayState":   {relay},
	})
}

// startSAML starts an SP-initiated login and returns the AuthnRequest id.
// startTest starts a test flow of conn in this browser and returns the
// pending request id (SAML) or state (OIDC).
func (b *browser) startTest(t testing.TB, conn, returnTo string) string {
	t.Helper()
	w := httptestRecorder()
	if err := b.e.sso.StartTest(w, newGet("/start"), conn, returnTo); err != nil {
		t.Fatal(err)
	}
	b.absorb(w)
	return requestIDFromRedirect(t, w)
}

func (b *browser) startSAML(t testing.TB, query string) string {
	t.Helper()
	w := b.get("/start?" + query)
	if w.Code != http.StatusFound {
		t.Fatalf("start: status %d, body %s", w.Code, w.Body)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	req := decodeRedirectRequest(t, loc.Query().Get("SAMLRequest"))
	return req.Root().SelectAttrValue("ID", "")
}

func decodeRedirectRequest(t testing.TB, v string) *etree.Document {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	xmlb, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xmlb); err != nil {
		t.Fatal(err)
	}
	return doc
}

// events returns the store's events of the given types.
func (e *env) events(types ...string) []store.Event {
	e.t.Helper()
	evs, err := e.st.ListEvents(context.Background(), store.EventQuery{Types: types, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func httptestRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func newGet(path string) *http.Request { return httptest.NewRequest(http.MethodGet, path, nil) }

// absorb takes the cookies a response outside b.do set.
func (b *browser) absorb(w *httptest.ResponseRecorder) {
	for _, c := range w.Result().Cookies() {
		b.cookies[c.Name] = c
	}
}

func requestIDFromRedirect(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil || w.Code != http.StatusFound {
		t.Fatalf("not a redirect: %d", w.Code)
	}
	return decodeRedirectRequest(t, loc.Query().Get("SAMLRequest")).Root().SelectAttrValue("ID", "")
}
