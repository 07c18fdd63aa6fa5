package scimsim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// scimEnv is onboardkit's own SCIM server on memstore.
type scimEnv struct {
	st  *memstore.Store
	srv *scimkit.Server
	url string // base of the mounted server, e.g. http://127.0.0.1:x/scim
	org string
}

func newSCIMEnv(t *testing.T) *scimEnv {
	t.Helper()
	return newSCIMEnvRoles(t, nil)
}

// newSCIMEnvRoles is newSCIMEnv with the host's roles and custom
// attributes rc.
func newSCIMEnvRoles(t *testing.T, rc *roles.Config) *scimEnv {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := memstore.New()
	org := &store.Organization{ID: "org_ui", Name: "Example", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := scimkit.New(scimkit.Config{Store: st, BaseURL: "https://app.example.com/scim", Logger: quiet, Roles: rc})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.StripPrefix("/scim", srv))
	t.Cleanup(hs.Close)
	return &scimEnv{st: st, srv: srv, url: hs.URL + "/scim", org: org.ID}
}

// directory creates an active directory and returns its SCIM base URL,
// id and token.
func (e *scimEnv) directory(t *testing.T, provider string) (baseURL, id, token string) {
	t.Helper()
	ctx := context.Background()
	dir, err := e.srv.CreateDirectory(ctx, e.org, scimkit.DirectoryOptions{Provider: provider, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := e.srv.CreateToken(ctx, dir.ID, scimkit.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return e.url + "/" + dir.ID, dir.ID, tok
}

// uiHarness is the UI mounted below /dev/scim/ on a test server, and a
// browser-like client with a cookie jar.
type uiHarness struct {
	t      *testing.T
	base   string // http://127.0.0.1:x/dev/scim/
	client *http.Client
	logs   *testkit.LogBuffer
}

func newUI(t *testing.T, configure func(*scimsim.UIConfig)) *uiHarness {
	t.Helper()
	logs := &testkit.LogBuffer{}
	cfg := scimsim.UIConfig{
		Development: true,
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if configure != nil {
		configure(&cfg)
	}
	h, err := scimsim.NewUI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/dev/scim/", http.StripPrefix("/dev/scim", h))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	jar, _ := cookiejar.New(nil)
	return &uiHarness{t: t, base: hs.URL + "/dev/scim/", client: &http.Client{Jar: jar}, logs: logs}
}

type page struct {
	resp *http.Response
	body string
	doc  *goquery.Document
}

func (h *uiHarness) do(req *http.Request) page {
	h.t.Helper()
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		h.t.Fatal(err)
	}
	return page{resp: resp, body: string(b), doc: doc}
}

func (h *uiHarness) get(u string) page {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.do(req)
}

func (h *uiHarness) post(u string, v url.Values) page {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.do(req)
}

// csrf loads the home page and returns its form's CSRF token.
func (h *uiHarness) csrf() string {
	h.t.Helper()
	p := h.get(h.base)
	tok, ok := p.doc.Find(`[data-testid="run-form"] input[name="csrf"]`).Attr("value")
	if !ok || tok == "" {
		h.t.Fatalf("no CSRF token on the home page:\n%s", p.body)
	}
	return tok
}

// start posts the run form and returns the run page's URL.
func (h *uiHarness) start(v url.Values) string {
	h.t.Helper()
	v.Set("csrf", h.csrf())
	p := h.post(h.base+"runs", v)
	if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.resp.Request.URL.Path, "/dev/scim/runs/run_") {
		h.t.Fatalf("starting a run: %d at %s\n%s", p.resp.StatusCode, p.resp.Request.URL, p.body)
	}
	return p.resp.Request.URL.String()
}

// wait polls the run's status until it has finished, then returns its
// page.
func (h *uiHarness) wait(runURL string) page {
	h.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := h.client.Get(runURL + "/status")
		if err != nil {
			h.t.Fatal(err)
		}
		var s struct{ State string }
		err = json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		if err != nil {
			h.t.Fatal(err)
		}
		if s.State != "running" {
			return h.get(runURL)
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("run %s still running", runURL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func text(p page, testid string) string {
	return strings.TrimSpace(p.doc.Find(`[data-testid="` + testid + `"]`).First().Text())
}

var inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)

// checkPage asserts the banner, the single h1 and the strict headers of an
// HTML page.
func checkPage(t *testing.T, p page) {
	t.Helper()
	if text(p, "dev-banner") != scimsim.UIBanner {
		t.Errorf("page without the development banner:\n%s", p.body)
	}
	if n := p.doc.Find("h1").Length(); n != 1 {
		t.Errorf("%d h1 elements", n)
	}
	h := p.resp.Header
	csp := h.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "form-action 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	if h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "strict-origin" || h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", h)
	}
	if inlineScript.MatchString(p.body) || strings.Contains(p.body, " style=") || strings.Contains(p.body, "<style") {
		t.Errorf("inline script or style in page:\n%s", p.body)
	}
	p.doc.Find("script[src], link[href]").Each(func(_ int, s *goquery.Selection) {
		for _, a := range []string{"src", "href"} {
			if v, ok := s.Attr(a); ok && (strings.Contains(v, "//") || strings.HasPrefix(v, "/")) {
				t.Errorf("asset not relative to the UI: %s=%q", a, v)
			}
		}
	})
	// Every form control has a label.
	p.doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		if typ, _ := s.Attr("type"); typ == "hidden" {
			return
		}
		id, _ := s.Attr("id")
		if s.ParentsFiltered("label").Length() == 0 && (id == "" || p.doc.Find(`label[for="`+id+`"]`).Length() == 0) {
			name, _ := s.Attr("name")
			t.Errorf("control %q has no label", name)
		}
	})
}
