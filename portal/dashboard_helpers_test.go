package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	imgcolor "image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

// dnsServer is an authoritative DNS server on 127.0.0.1 (UDP and TCP)
// whose TXT records a test sets while it runs. Names it does not know get
// NXDOMAIN.
type dnsServer struct {
	udpAddr, tcpAddr string
	mu               sync.Mutex
	txt              map[string][]string
}

func newDNSServer(t testing.TB) *dnsServer {
	t.Helper()
	s := &dnsServer{txt: map[string][]string{}}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	s.udpAddr, s.tcpAddr = pc.LocalAddr().String(), l.Addr().String()
	udp := &dns.Server{PacketConn: pc, Handler: s}
	tcp := &dns.Server{Listener: l, Handler: s}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() {
		_ = udp.Shutdown()
		_ = tcp.Shutdown()
	})
	return s
}

// resolver returns a pure-Go resolver that sends every query to s.
func (s *dnsServer) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			if strings.HasPrefix(network, "tcp") {
				return d.DialContext(ctx, "tcp", s.tcpAddr)
			}
			return d.DialContext(ctx, "udp", s.udpAddr)
		},
	}
}

// setTXT publishes values at name (a zone is implied: the parent exists).
func (s *dnsServer) setTXT(name string, values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.txt[dns.Fqdn(strings.ToLower(name))] = values
}

func (s *dnsServer) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(req.Question) == 1 {
		q := req.Question[0]
		name := strings.ToLower(q.Name)
		vals, ok := s.txt[name]
		exists := ok
		for k := range s.txt {
			if strings.HasSuffix(k, "."+name) {
				exists = true
			}
		}
		switch {
		case !exists:
			m.Rcode = dns.RcodeNameError
		case q.Qtype == dns.TypeTXT:
			for _, v := range vals {
				m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{v}})
			}
		}
	}
	_ = w.WriteMsg(m)
}

// fakeLifecycle stands in for ssokit's and scimkit's lifecycle rules in
// tests: a connection activates only from tested or inactive, a directory
// from inactive; each change writes an event.
type fakeLifecycle struct{ st store.Store }

func (f fakeLifecycle) event(typ, orgID, subject, actor string) store.Event {
	id, _ := secret.NewID(nil, "evt")
	return store.Event{ID: id, Type: typ, OrgID: orgID, Subject: subject, Actor: actor, CreatedAt: time.Now().UTC()}
}

var errTransition = fmt.Errorf("%w: transition not allowed", store.ErrConflict)

func (f fakeLifecycle) ActivateConnection(ctx context.Context, id, actor string) (*store.Connection, error) {
	return f.st.UpdateConnection(ctx, id, func(c *store.Connection) ([]store.Event, error) {
		if c.State != store.ConnectionTested && c.State != store.ConnectionInactive {
			return nil, errTransition
		}
		c.State = store.ConnectionActive
		return []store.Event{f.event("connection.activated", c.OrgID, c.ID, actor)}, nil
	})
}

func (f fakeLifecycle) DeactivateConnection(ctx context.Context, id, actor string) (*store.Connection, error) {
	return f.st.UpdateConnection(ctx, id, func(c *store.Connection) ([]store.Event, error) {
		if c.State != store.ConnectionActive {
			return nil, errTransition
		}
		c.State = store.ConnectionInactive
		return []store.Event{f.event("connection.deactivated", c.OrgID, c.ID, actor)}, nil
	})
}

func (f fakeLifecycle) ActivateDirectory(ctx context.Context, id, actor string) (*store.Directory, error) {
	return f.st.UpdateDirectory(ctx, id, func(d *store.Directory) ([]store.Event, error) {
		if d.State != store.DirectoryInactive {
			return nil, errTransition
		}
		d.State = store.DirectoryActive
		return []store.Event{f.event("directory.activated", d.OrgID, d.ID, actor)}, nil
	})
}

func (f fakeLifecycle) DeactivateDirectory(ctx context.Context, id, actor string) (*store.Directory, error) {
	return f.st.UpdateDirectory(ctx, id, func(d *store.Directory) ([]store.Event, error) {
		if d.State != store.DirectoryActive {
			return nil, errTransition
		}
		d.State = store.DirectoryInactive
		return []store.Event{f.event("directory.deactivated", d.OrgID, d.ID, actor)}, nil
	})
}

// adminHarness is a portal with a domains.Service on a local DNS server,
// fake lifecycles, the dashboard mounted at /dashboard behind a stand-in
// for the host's staff middleware, and the management API at /api.
type adminHarness struct {
	*harness
	dns *dnsServer
	key string // a live management API key
}

const testOperator = "jane@example.com"

func newAdminHarness(t testing.TB, mod func(*Config)) *adminHarness {
	t.Helper()
	srv := newDNSServer(t)
	h := newHarness(t, func(c *Config) {
		svc, err := domains.New(domains.Config{Store: c.Store, Resolver: srv.resolver(), Now: c.Now, LookupTimeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		c.Domains = svc
		c.Connections = fakeLifecycle{c.Store}
		c.Directories = fakeLifecycle{c.Store}
		c.Operator = func(r *http.Request) string { return staffFrom(r) }
		if mod != nil {
			mod(c)
		}
	})
	mux := h.h.(*http.ServeMux)
	mux.Handle("/dashboard/", requireStaff(http.StripPrefix("/dashboard", h.p.Dashboard())))
	mux.Handle("/api/", http.StripPrefix("/api", h.p.ManagementAPI()))
	k, err := h.p.Admin().CreateAPIKey(context.Background(), "tests", "operator:setup")
	if err != nil {
		t.Fatal(err)
	}
	return &adminHarness{harness: h, dns: srv, key: k.Key}
}

type staffKey struct{}

// requireStaff stands in for a host's staff-authentication middleware.
func requireStaff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), staffKey{}, testOperator)))
	})
}

func staffFrom(r *http.Request) string {
	s, _ := r.Context().Value(staffKey{}).(string)
	return s
}

// api sends a management API request with the harness key.
func (h *adminHarness) api(method, path string, body any) (*httptest.ResponseRecorder, map[string]any) {
	h.t.Helper()
	return h.apiWith("Bearer "+h.key, method, path, body)
}

func (h *adminHarness) apiWith(auth, method, path string, body any) (*httptest.ResponseRecorder, map[string]any) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	r := httptest.NewRequest(method, "https://app.example.com/api"+path, rd)
	if rd != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := h.do(r)
	var out map[string]any
	if w.Code != http.StatusNoContent {
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			h.t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, w.Body)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			h.t.Fatalf("%s %s: body is not a JSON object: %v: %s", method, path, err, w.Body)
		}
	}
	return w, out
}

// dashGet fetches a dashboard page with the harness's CSRF cookie jar.
func (h *adminHarness) dashGet(path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	return h.get("/dashboard"+path, cookies...)
}

// dashCSRF returns a CSRF cookie and its token, as a first page load sets.
func (h *adminHarness) dashCSRF() (*http.Cookie, string) {
	h.t.Helper()
	w := h.dashGet("/")
	for _, c := range w.Result().Cookies() {
		if c.Name == "__Host-onboardkit_dashboard_csrf" {
			tok, _ := parse(h.t, w).Find(`[data-testid="create-org-form"] input[name="csrf"]`).Attr("value")
			if tok != c.Value {
				h.t.Fatalf("form token %q does not match cookie %q", tok, c.Value)
			}
			return c, tok
		}
	}
	h.t.Fatalf("no CSRF cookie set: %v", w.Result().Cookies())
	return nil, ""
}

// dashPost posts a form to the dashboard as a same-origin browser would.
func (h *adminHarness) dashPost(path string, form url.Values) *httptest.ResponseRecorder {
	h.t.Helper()
	c, tok := h.dashCSRF()
	form.Set(web.CSRFField, tok)
	return h.post("/dashboard"+path, form, c)
}

// dashUpload posts a multipart form with files.
func (h *adminHarness) dashUpload(path string, fields map[string]string, files map[string][]byte) *httptest.ResponseRecorder {
	h.t.Helper()
	c, tok := h.dashCSRF()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField(web.CSRFField, tok)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for k, data := range files {
		fw, err := mw.CreateFormFile(k, k+".bin")
		if err != nil {
			h.t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, "https://app.example.com/dashboard"+path, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(c)
	return h.do(r)
}

// eventCount is the number of events in the outbox.
func (h *adminHarness) eventCount() int64 {
	h.t.Helper()
	n, err := h.st.LastEventCursor(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// lastEvent returns the newest event of type typ.
func (h *adminHarness) lastEvent(typ string) store.Event {
	h.t.Helper()
	evs, err := h.st.ListEvents(context.Background(), store.EventQuery{Types: []string{typ}, Limit: 1000})
	if err != nil || len(evs) == 0 {
		h.t.Fatalf("no %s event (%v)", typ, err)
	}
	return evs[len(evs)-1]
}

func testPNG(t testing.TB, c imgcolor.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for x := 0; x < 4; x++ {
		for y := 0; y < 4; y++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testICO is a minimal ICO header: what sniffing recognises.
func testICO() []byte {
	return append([]byte{0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0}, bytes.Repeat([]byte{0}, 64)...)
}

const testSVG = `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`

func errorMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}
