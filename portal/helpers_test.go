package portal

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

const testBaseURL = "https://app.example.com/portal"

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a portal wired to a memstore, a fixed clock and a captured log,
// mounted under /portal as a host would mount it.
type harness struct {
	t     testing.TB
	p     *Portal
	st    *memstore.Store
	clock *testClock
	logs  *syncBuffer
	h     http.Handler
	org   *store.Organization
}

func newHarness(t testing.TB, mod func(*Config)) *harness {
	t.Helper()
	st := memstore.New()
	clock := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	logs := &syncBuffer{}
	cfg := Config{
		Store:   st,
		BaseURL: testBaseURL,
		Now:     clock.Now,
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/portal/", http.StripPrefix("/portal", p))
	h := &harness{t: t, p: p, st: st, clock: clock, logs: logs, h: mux}
	h.org = h.createOrg("org_acme", "Acme Corp")
	return h
}

func (h *harness) createOrg(id, name string) *store.Organization {
	h.t.Helper()
	o := &store.Organization{ID: id, Name: name, CreatedAt: h.clock.Now(), UpdatedAt: h.clock.Now()}
	if err := h.st.CreateOrganization(context.Background(), o); err != nil {
		h.t.Fatalf("CreateOrganization: %v", err)
	}
	return o
}

// link generates a link for the harness organization and returns it with
// its token.
func (h *harness) link(opts LinkOptions) (*Link, string) {
	h.t.Helper()
	return h.linkFor(h.org.ID, opts)
}

func (h *harness) linkFor(orgID string, opts LinkOptions) (*Link, string) {
	h.t.Helper()
	l, err := h.p.GenerateLink(context.Background(), orgID, opts)
	if err != nil {
		h.t.Fatalf("GenerateLink: %v", err)
	}
	i := strings.LastIndex(l.URL, "/l/")
	if i < 0 {
		h.t.Fatalf("link URL %q has no /l/ segment", l.URL)
	}
	return l, l.URL[i+len("/l/"):]
}

// do serves one request and returns the recorded response.
func (h *harness) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	return w
}

func (h *harness) get(path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "https://app.example.com"+path, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return h.do(r)
}

// post sends a form as a same-origin browser would.
func (h *harness) post(path string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "https://app.example.com"+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return h.do(r)
}

// redeem posts the token and returns the response and the session cookie
// it set (nil if none).
func (h *harness) redeem(token string, cookies ...*http.Cookie) (*httptest.ResponseRecorder, *http.Cookie) {
	w := h.post("/portal/l", url.Values{"token": {token}}, cookies...)
	return w, sessionCookieOf(w)
}

// signIn redeems a fresh link with opts and returns the session cookie.
func (h *harness) signIn(opts LinkOptions) *http.Cookie {
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

func sessionCookieOf(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if strings.HasSuffix(c.Name, "onboardkit_portal") && c.Value != "" {
			return c
		}
	}
	return nil
}

func parse(t testing.TB, w *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("parsing HTML: %v", err)
	}
	return doc
}

func testID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

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
