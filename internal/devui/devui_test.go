package devui

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestNewTheme(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     ThemeConfig
		wantErr string // "" for success
		csp     string // substring of the CSP
		css     string // substring of theme.css
		brand   string // applied name
	}{
		{"defaults", ThemeConfig{}, "", "img-src 'self'; base-uri 'none'; frame-ancestors 'none'", "--accent:#4f46e5;--accent-text:#ffffff", "Development simulator"},
		{"default name", ThemeConfig{DefaultName: "IdP simulator"}, "", "", "", "IdP simulator"},
		{"form-action", ThemeConfig{FormActionSelf: true}, "", "form-action 'self'; frame-ancestors 'none'", "", ""},
		{"short colour", ThemeConfig{Branding: Branding{AccentColor: "#0a7"}}, "", "", "--accent:#0a7;", ""},
		{"light accent gets dark text", ThemeConfig{Branding: Branding{AccentColor: "#fde047"}}, "", "", "--accent-text:#111827", ""},
		{"dark accent gets white text", ThemeConfig{Branding: Branding{AccentColor: "#1e3a8a"}}, "", "", "--accent-text:#ffffff", ""},
		{"https logo", ThemeConfig{Branding: Branding{LogoURL: "https://cdn.acme.example/a/logo.png"}}, "", "img-src 'self' https://cdn.acme.example;", "", ""},
		{"path logo", ThemeConfig{Branding: Branding{LogoURL: "/assets/logo.svg"}}, "", "img-src 'self';", "", ""},
		{"css injection", ThemeConfig{Branding: Branding{AccentColor: "red;}body{x"}}, "AccentColor", "", "", ""},
		{"named colour", ThemeConfig{Branding: Branding{AccentColor: "red"}}, "AccentColor", "", "", ""},
		{"javascript logo", ThemeConfig{Branding: Branding{LogoURL: "javascript:alert(1)"}}, "LogoURL", "", "", ""},
		{"data logo", ThemeConfig{Branding: Branding{LogoURL: "data:image/svg+xml,<svg/>"}}, "LogoURL", "", "", ""},
		{"protocol-relative logo", ThemeConfig{Branding: Branding{LogoURL: "//evil.example/x.png"}}, "LogoURL", "", "", ""},
		{"csp injection in logo", ThemeConfig{Branding: Branding{LogoURL: "https://a.example/x;script-src *"}}, "LogoURL", "", "", ""},
		{"relative logo", ThemeConfig{Branding: Branding{LogoURL: "logo.png"}}, "LogoURL", "", "", ""},
		{"multi-line name", ThemeConfig{Branding: Branding{Name: "a\nb"}}, "Name", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, err := NewTheme(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(th.CSP(), "default-src 'self'; ") || !strings.Contains(th.CSP(), tt.csp) {
				t.Errorf("CSP %q", th.CSP())
			}
			if !strings.Contains(string(th.ThemeCSS()), tt.css) {
				t.Errorf("theme.css %q", th.ThemeCSS())
			}
			if tt.brand != "" && th.Branding().Name != tt.brand {
				t.Errorf("name %q", th.Branding().Name)
			}
		})
	}
}

type testPage struct {
	Chrome
	Body string
}

func TestRender(t *testing.T) {
	t.Parallel()
	th, err := NewTheme(ThemeConfig{Branding: Branding{Name: "Acme <dev>", LogoURL: "/logo.png"}})
	if err != nil {
		t.Fatal(err)
	}
	page := template.Must(Parse(nil, `{{define "content"}}<h1>Hi</h1><p data-testid="body">{{.Body}}</p>{{end}}`))
	w := httptest.NewRecorder()
	d := &testPage{Chrome: Chrome{Title: "T", Banner: "Development only", StaticURL: "/sim/static", HomeURL: "/sim/"}, Body: "<script>x</script>"}
	if err := Render(w, page, th, http.StatusTeapot, d); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	for _, want := range []string{
		`data-testid="dev-banner">Development only<`, `href="/sim/static/style.css"`, `href="/sim/static/theme.css"`,
		`<a href="/sim/">Acme &lt;dev&gt;</a>`, `<img src="/logo.png" alt="">`, `&lt;script&gt;x&lt;/script&gt;`, `<a class="skip" href="#main">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	h := w.Result().Header
	if w.Code != http.StatusTeapot || h.Get("Content-Security-Policy") != th.CSP() || h.Get("Cache-Control") != "no-store" ||
		h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "strict-origin" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("%d %v", w.Code, h)
	}

	// A failing template writes a generic 500, not a half page.
	bad := template.Must(Parse(nil, `{{define "content"}}{{.Missing}}{{end}}`))
	w = httptest.NewRecorder()
	if err := Render(w, bad, th, 200, d); err == nil || w.Code != 500 || strings.Contains(w.Body.String(), "Missing") {
		t.Fatalf("err %v, %d %q", err, w.Code, w.Body.String())
	}
}

func TestServeAsset(t *testing.T) {
	t.Parallel()
	th, _ := NewTheme(ThemeConfig{Branding: Branding{AccentColor: "#0a7"}})
	for name, want := range map[string]string{"style.css": ".devbanner", "theme.css": "--accent:#0a7"} {
		w := httptest.NewRecorder()
		if !th.ServeAsset(w, name) || !strings.Contains(w.Body.String(), want) || w.Header().Get("Content-Type") != "text/css; charset=utf-8" {
			t.Errorf("%s: %q", name, w.Body.String())
		}
	}
	w := httptest.NewRecorder()
	if th.ServeAsset(w, "../theme.go") || w.Body.Len() != 0 {
		t.Error("served an unknown asset")
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	c, err := NewCSRF(nil, "test_csrf")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewCSRF(nil, "test_csrf")

	// A GET issues the cookie and a token bound to it.
	w := httptest.NewRecorder()
	tok, err := c.Token(w, httptest.NewRequest(http.MethodGet, "http://sim.example/", nil))
	if err != nil {
		t.Fatal(err)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != "test_csrf" || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookies %+v", cookies)
	}
	ck := cookies[0]
	// The same cookie gives the same token and no new cookie.
	r := httptest.NewRequest(http.MethodGet, "http://sim.example/", nil)
	r.AddCookie(ck)
	w = httptest.NewRecorder()
	if tok2, _ := c.Token(w, r); tok2 != tok || len(w.Result().Cookies()) != 0 {
		t.Fatal("token not stable for one cookie")
	}
	otherTok, _ := other.Token(httptest.NewRecorder(), r)

	post := func(token string, cookie bool, hdr map[string]string) *http.Request {
		v := url.Values{}
		if token != "" {
			v.Set(CSRFField, token)
		}
		r := httptest.NewRequest(http.MethodPost, "http://sim.example/runs", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie {
			r.AddCookie(ck)
		}
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		return r
	}
	// The first character changed (the last one's low bits may be
	// padding, which a lenient decoder ignores).
	tampered := "A" + tok[1:]
	if tok[0] == 'A' {
		tampered = "B" + tok[1:]
	}
	tests := []struct {
		name string
		r    *http.Request
		ok   bool
	}{
		{"good", post(tok, true, nil), true},
		{"same origin", post(tok, true, map[string]string{"Origin": "http://sim.example", "Sec-Fetch-Site": "same-origin"}), true},
		{"missing token", post("", true, nil), false},
		{"no cookie", post(tok, false, nil), false},
		{"token of another key", post(otherTok, true, nil), false},
		{"tampered token", post(tampered, true, nil), false},
		{"cross-site", post(tok, true, map[string]string{"Sec-Fetch-Site": "cross-site"}), false},
		{"same-site subdomain", post(tok, true, map[string]string{"Sec-Fetch-Site": "same-site"}), false},
		{"other origin", post(tok, true, map[string]string{"Origin": "http://evil.example"}), false},
		{"null origin", post(tok, true, map[string]string{"Origin": "null"}), false},
	}
	for _, tt := range tests {
		if err := tt.r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		err := c.Verify(tt.r)
		if tt.ok != (err == nil) {
			t.Errorf("%s: %v", tt.name, err)
		}
		if err != nil && !errors.Is(err, ErrCSRF) {
			t.Errorf("%s: %v is not ErrCSRF", tt.name, err)
		}
	}
}

func TestCSRFHostPrefixOverTLS(t *testing.T) {
	t.Parallel()
	c, _ := NewCSRF(bytes.NewReader(bytes.Repeat([]byte{7}, 256)), "x")
	w := httptest.NewRecorder()
	if _, err := c.Token(w, httptest.NewRequest(http.MethodGet, "https://sim.example/", nil)); err != nil {
		t.Fatal(err)
	}
	ck := w.Result().Cookies()
	if len(ck) != 1 || ck[0].Name != "__Host-x" || !ck[0].Secure || ck[0].Path != "/" {
		t.Fatalf("%+v", ck)
	}
	if _, err := NewCSRF(bytes.NewReader(nil), "x"); err == nil {
		t.Fatal("no error from an empty random source")
	}
}
