package devui

import (
	"embed"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

//go:embed static/style.css
var staticFiles embed.FS

// Branding is the host's look, as a simulator's Config carries it.
type Branding struct {
	// Name is shown in the page header and title. Default
	// ThemeConfig.DefaultName.
	Name string
	// AccentColor is a CSS hex colour ("#0a7" or "#00aa77"). Default
	// "#4f46e5".
	AccentColor string
	// LogoURL is an http(s) URL or an absolute path of the host's logo. Its
	// origin is added to the pages' img-src policy. Default: no logo.
	LogoURL string
}

// DefaultAccent is the accent colour when Branding.AccentColor is empty.
const DefaultAccent = "#4f46e5"

// ThemeConfig configures NewTheme.
type ThemeConfig struct {
	// Branding is the host's branding. Its zero value gives neutral colours
	// and no logo.
	Branding Branding
	// DefaultName replaces an empty Branding.Name. Default "Development
	// simulator".
	DefaultName string
	// FormActionSelf adds form-action 'self' to the Content-Security-Policy.
	// Leave it false for pages that post to another origin (the IdP
	// simulator's auto-submitted SAML response). Default false.
	FormActionSelf bool
}

// Theme is validated branding ready to serve: the page header, the
// Content-Security-Policy and the theme stylesheet. It is immutable.
type Theme struct {
	brand    Branding
	csp      string
	themeCSS []byte
}

var hexColor = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// NewTheme validates cfg.Branding. Errors name the offending field
// ("Branding.AccentColor ...") so that callers can prefix their package.
func NewTheme(cfg ThemeConfig) (*Theme, error) {
	b := cfg.Branding
	if b.Name == "" {
		b.Name = cfg.DefaultName
	}
	if b.Name == "" {
		b.Name = "Development simulator"
	}
	if len(b.Name) > 200 || strings.ContainsAny(b.Name, "\r\n") {
		return nil, errors.New("Branding.Name must be one line of at most 200 bytes")
	}
	if b.AccentColor == "" {
		b.AccentColor = DefaultAccent
	}
	if !hexColor.MatchString(b.AccentColor) {
		return nil, fmt.Errorf("Branding.AccentColor must be a hex colour like #4f46e5, got %q", b.AccentColor)
	}
	imgSrc := "'self'"
	if b.LogoURL != "" {
		u, err := url.Parse(b.LogoURL)
		switch {
		case err != nil:
			return nil, fmt.Errorf("Branding.LogoURL: %w", err)
		case strings.ContainsAny(b.LogoURL, " ;,'\"\\\r\n"):
			return nil, fmt.Errorf("Branding.LogoURL %q contains characters not allowed in a URL", b.LogoURL)
		case u.Scheme == "http" || u.Scheme == "https":
			if u.Host == "" {
				return nil, fmt.Errorf("Branding.LogoURL %q has no host", b.LogoURL)
			}
			imgSrc += " " + u.Scheme + "://" + u.Host
		case u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(b.LogoURL, "//"):
		default:
			return nil, fmt.Errorf("Branding.LogoURL must be an http(s) URL or an absolute path, got %q", b.LogoURL)
		}
	}
	csp := "default-src 'self'; img-src " + imgSrc + "; base-uri 'none'; "
	if cfg.FormActionSelf {
		csp += "form-action 'self'; "
	}
	csp += "frame-ancestors 'none'"
	return &Theme{
		brand:    b,
		csp:      csp,
		themeCSS: []byte(":root{--accent:" + b.AccentColor + ";--accent-text:" + textOn(b.AccentColor) + "}\n"),
	}, nil
}

// Branding returns the branding with its defaults applied.
func (t *Theme) Branding() Branding { return t.brand }

// CSP returns the Content-Security-Policy of the pages.
func (t *Theme) CSP() string { return t.csp }

// ThemeCSS returns the theme stylesheet (the accent colour and a text
// colour readable on it).
func (t *Theme) ThemeCSS() []byte { return append([]byte(nil), t.themeCSS...) }

// SetHeaders sets the security headers every page carries.
func (t *Theme) SetHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", t.csp)
	h.Set("X-Frame-Options", "DENY")
	// strict-origin, not no-referrer: under no-referrer browsers send
	// "Origin: null" on the pages' own form posts, which CSRF.Verify
	// refuses. strict-origin keeps the Origin header and never sends a
	// path or query in Referer, to any site.
	h.Set("Referrer-Policy", "strict-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// ServeAsset writes the shared asset name ("style.css" or "theme.css") and
// reports true, or reports false without writing for any other name.
func (t *Theme) ServeAsset(w http.ResponseWriter, name string) bool {
	var b []byte
	switch name {
	case "style.css":
		b, _ = staticFiles.ReadFile("static/style.css")
	case "theme.css":
		b = t.themeCSS
	default:
		return false
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
	return true
}

// textOn returns black or white, whichever contrasts more with the hex
// colour c (WCAG relative luminance).
func textOn(c string) string {
	h := strings.TrimPrefix(c, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	lum := 0.0
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			s /= 12.92
		} else {
			s = math.Pow((s+0.055)/1.055, 2.4)
		}
		lum += w * s
	}
	// Contrast with white: 1.05/(lum+0.05); with black: (lum+0.05)/0.05.
	if 1.05/(lum+0.05) >= (lum+0.05)/0.05 {
		return "#ffffff"
	}
	return "#111827"
}
