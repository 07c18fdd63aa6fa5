package ssokit

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

func TestSanitizeReturnTo(t *testing.T) {
	t.Parallel()
	allow := []string{"https://app.example.com", "https://admin.example.com/"}
	cases := map[string]string{
		"":                                 "/",
		"/":                                "/",
		"/dashboard?tab=1#x":               "/dashboard?tab=1#x",
		"/a/b%20c":                         "/a/b%20c",
		"https://app.example.com/x":        "https://app.example.com/x",
		"https://ADMIN.example.com/y":      "https://ADMIN.example.com/y",
		"https://evil.example/x":           "/",
		"//evil.example":                   "/",
		"///evil.example":                  "/",
		"/\\evil.example":                  "/",
		"\\\\evil.example":                 "/",
		"https:evil.example":               "/",
		"https:/evil.example":              "/",
		"http://app.example.com/x":         "/", // scheme is part of the origin
		"javascript:alert(1)":              "/",
		"JaVaScRiPt:alert(1)":              "/",
		"data:text/html,x":                 "/",
		"/%2F%2Fevil.example":              "/",
		"/%2fevil":                         "/",
		"/%5Cevil":                         "/",
		"/a\r\nSet-Cookie: x=y":            "/",
		"/a%0d%0aSet-Cookie:x":             "/",
		"/a\tb":                            "/",
		"https://app.example.com@evil.ex/": "/",
		"https://user@app.example.com/":    "/",
		"https://app.example.com//evil":    "/",
		"evil.example":                     "/",
		"/ok%":                             "/",
	}
	for in, want := range cases {
		if got := SanitizeReturnTo(in, allow); got != want {
			t.Errorf("SanitizeReturnTo(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSanitizeReturnTo(f *testing.F) {
	for _, s := range []string{"/", "//evil", "/\\evil", "https:evil", "/%2f", "https://app.example.com/x", "javascript:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SanitizeReturnTo(s, []string{"https://app.example.com"})
		if got == "/" {
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("%q -> unparsable %q", s, got)
		}
		if strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t") {
			t.Fatalf("%q -> unsafe %q", s, got)
		}
		if u.Host != "" && !strings.EqualFold(u.Scheme+"://"+u.Host, "https://app.example.com") {
			t.Fatalf("%q -> foreign origin %q", s, got)
		}
		if u.Host == "" && (u.Scheme != "" || !strings.HasPrefix(got, "/")) {
			t.Fatalf("%q -> not a path %q", s, got)
		}
	})
}

func TestStartRouting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	// A second active connection for org B to exercise the chooser.
	if err := e.st.CreateConnection(ctx, &store.Connection{
		ID: "conn_b2", OrgID: testOrgB, Protocol: store.ProtocolSAML, Name: "Backup <IdP>", State: store.ConnectionActive,
		SAML:      &store.SAMLConfig{IdPEntityID: "x", SSOURL: "https://idp-b2.example.org/sso", Certificates: []string{idpB.CertPEM}},
		CreatedAt: testNow, UpdatedAt: testNow,
	}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		query string
		code  int
		want  string // Location prefix or body fragment
	}{
		{"by connection", "connection=" + connSAML, http.StatusFound, idpSSO + "?SAMLRequest="},
		{"by organization", "organization=" + testOrg, http.StatusFound, idpSSO},
		{"by email in a verified domain", "email=Jane@EXAMPLE.com", http.StatusFound, idpSSO},
		{"by email, unknown domain", "email=jane@unknown.example", http.StatusNotFound, "not set up"},
		{"by email, pending domain", "email=jane@pending.example", http.StatusNotFound, "not set up"},
		{"by email, suffix trick", "email=jane@example.com.evil.example", http.StatusNotFound, "not set up"},
		{"by email, two @", "email=a@evil.example@example.com", http.StatusBadRequest, "Invalid email"},
		{"by email, trailing dot", "email=jane@example.com.", http.StatusBadRequest, "Invalid email"},
		{"by email, guest", "email=x%23EXT%23@example.com", http.StatusBadRequest, "Invalid email"},
		{"unknown connection", "connection=nope", http.StatusNotFound, "Unknown"},
		{"nothing", "", http.StatusBadRequest, "Sign-in failed"},
		{"chooser by organization", "organization=" + testOrgB, http.StatusOK, "Backup &lt;IdP&gt;"},
		{"chooser by email", "email=x@orgb.example&return_to=/r", http.StatusOK, "return_to=%2Fr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := e.browser().get("/start?" + tc.query)
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			got := w.Header().Get("Location") + w.Body.String()
			if !strings.Contains(got, tc.want) {
				t.Errorf("response lacks %q: %s", tc.want, got)
			}
		})
	}
	// The Go API reports outcomes as errors for the host to render.
	r := newGet("/")
	if err := e.sso.StartLogin(httptestRecorder(), r, StartOptions{Email: "a@unknown.example"}); !errors.Is(err, ErrNoSSO) {
		t.Errorf("StartLogin unknown domain: %v", err)
	}
	if err := e.sso.StartLogin(httptestRecorder(), r, StartOptions{OrgID: testOrgB}); !errors.Is(err, ErrChooseConnection) {
		t.Errorf("StartLogin several connections: %v", err)
	}
	if err := e.sso.StartLogin(httptestRecorder(), r, StartOptions{ConnectionID: connSAMLB, OrgID: testOrg}); !errors.Is(err, ErrConnectionNotFound) {
		t.Errorf("StartLogin connection of another org: %v", err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	ok := func(w http.ResponseWriter, r *http.Request, p *Profile) {}
	e := newEnv(t, nil)
	for name, cfg := range map[string]Config{
		"no store":        {BaseURL: testBase, OnLogin: ok},
		"no OnLogin":      {Store: e.st, BaseURL: testBase},
		"no base":         {Store: e.st, OnLogin: ok},
		"http base":       {Store: e.st, OnLogin: ok, BaseURL: "http://app.example.com/sso"},
		"base with query": {Store: e.st, OnLogin: ok, BaseURL: "https://app.example.com/sso?x=1"},
		"bad allowlist":   {Store: e.st, OnLogin: ok, BaseURL: testBase, ReturnToAllowlist: []string{"javascript:x"}},
		"negative skew":   {Store: e.st, OnLogin: ok, BaseURL: testBase, ClockSkew: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	if _, err := New(Config{Store: e.st, OnLogin: ok, BaseURL: "http://127.0.0.1:8080/sso"}); err != nil {
		t.Errorf("loopback http base refused: %v", err)
	}
}

func TestSPMetadataEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	w := e.browser().get("/saml/" + connSAML + "/metadata")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	body := w.Body.String()
	for _, want := range []string{
		`entityID="` + testBase + `/saml/` + connSAML + `/metadata"`,
		`Location="` + testBase + `/saml/` + connSAML + `/acs"`,
		`validUntil="2026-03-04T10:00:00`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metadata lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "HTTP-Artifact") {
		t.Error("artifact binding advertised but not served")
	}
	// Neither signed requests nor encrypted assertions: an advertised
	// encryption key would make IdPs (ADFS) encrypt to a connection that
	// refuses encrypted assertions.
	if strings.Contains(body, "X509Certificate") {
		t.Errorf("SP key advertised by a connection that neither signs nor decrypts:\n%s", body)
	}
	if w := e.browser().get("/saml/nope/metadata"); w.Code != http.StatusNotFound {
		t.Errorf("unknown connection: %d", w.Code)
	}
}
