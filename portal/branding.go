package portal

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/onboardkit/onboardkit/store"
)

// defaultBranding validates the configured branding and fills its defaults.
func defaultBranding(b Branding) (Branding, error) {
	if b.ProductName == "" {
		b.ProductName = "Admin portal"
	}
	if b.AccentColor == "" {
		b.AccentColor = DefaultAccentColor
	}
	if !store.ValidColor(b.AccentColor) {
		return b, fmt.Errorf("portal: Config.Branding.AccentColor %q must be #RRGGBB", b.AccentColor)
	}
	for name, a := range map[string]*store.Asset{"Logo": b.Logo, "Favicon": b.Favicon} {
		if a != nil && (!allowedImageType(a.ContentType) || len(a.Data) == 0) {
			return b, fmt.Errorf("portal: Config.Branding.%s must be a non-empty PNG, JPEG, GIF, WebP, SVG or ICO image", name)
		}
	}
	return b, nil
}

// branding resolves the look for an organization (orgID "" for pages
// without a session): field by field, the organization's branding, then the
// host-wide branding (scope ""), then Config.Branding.
func (p *Portal) branding(ctx context.Context, orgID string) (Branding, error) {
	b := p.brand
	scopes := []string{""}
	if orgID != "" {
		scopes = []string{orgID, ""}
	}
	// Apply the least specific first so the most specific wins.
	for i := len(scopes) - 1; i >= 0; i-- {
		sb, err := p.st.GetBranding(ctx, scopes[i])
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return b, err
		}
		if store.ValidColor(sb.AccentColor) {
			b.AccentColor = sb.AccentColor
		}
		if sb.Logo != nil && allowedImageType(sb.Logo.ContentType) && len(sb.Logo.Data) > 0 {
			b.Logo = sb.Logo
		}
		if sb.Favicon != nil && allowedImageType(sb.Favicon.ContentType) && len(sb.Favicon.Data) > 0 {
			b.Favicon = sb.Favicon
		}
	}
	return b, nil
}

// requestBranding is the branding for a request outside requireSession (the
// stylesheet and images): the session's organization when the request
// carries a live session, else host-wide. URLs never name an organization.
func (p *Portal) requestBranding(r *http.Request) (Branding, error) {
	if s, err := p.loadSession(r.Context(), r); err == nil {
		return s.brand, nil
	}
	return p.branding(r.Context(), "")
}

func allowedImageType(ct string) bool {
	switch strings.ToLower(strings.TrimSpace(ct)) {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml",
		"image/x-icon", "image/vnd.microsoft.icon":
		return true
	}
	return false
}

// serveBrandCSS serves the branding stylesheet: the accent colour as CSS
// custom properties, with a text colour readable on it and a variant dark
// enough to be read as text on the page background and the white cards. The page's CSP forbids inline
// styles, so this is a stylesheet of its own.
func (p *Portal) serveBrandCSS(w http.ResponseWriter, r *http.Request) {
	b, err := p.requestBranding(r)
	if err != nil {
		p.serverError(w, r, "loading branding", err)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write([]byte(brandCSS(b.AccentColor)))
}

// brandCSS returns the stylesheet of an accent colour, which must be valid
// (#RRGGBB): nothing else is ever written into it.
func brandCSS(accent string) string {
	rgb, ok := parseColor(accent)
	if !ok {
		rgb, _ = parseColor(DefaultAccentColor)
	}
	on := readableOn(rgb)
	ink := inkOnPage(rgb)
	return ":root{--accent:" + rgb.hex() + ";--on-accent:" + on.hex() + ";--accent-ink:" + ink.hex() + "}\n"
}

// serveBrandAsset serves the logo or favicon. Uploaded files are served with
// their stored type from an allowlist of image types, and a sandboxing CSP so
// that an SVG opened directly cannot run script.
func (p *Portal) serveBrandAsset(which string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := p.requestBranding(r)
		if err != nil {
			p.serverError(w, r, "loading branding", err)
			return
		}
		a := b.Logo
		if which == "favicon" {
			a = b.Favicon
		}
		if a == nil {
			p.renderProblem(w, r, http.StatusNotFound, problemNotFound)
			return
		}
		writeBrandAsset(w, a)
	}
}

// brandAssetCSP replaces the page CSP on uploaded images: nothing may load
// or run (sandbox, default-src 'none'), and the image opened as a document
// may not be framed by anyone (frame-ancestors 'none').
const brandAssetCSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"

// writeBrandAsset writes an uploaded image with its stored type (from an
// allowlist) and a sandboxing CSP, so that an SVG opened directly cannot run
// script.
func writeBrandAsset(w http.ResponseWriter, a *store.Asset) {
	w.Header().Set("Content-Type", strings.ToLower(strings.TrimSpace(a.ContentType)))
	w.Header().Set("Content-Security-Policy", brandAssetCSP)
	w.Header().Set("Content-Length", strconv.Itoa(len(a.Data)))
	_, _ = w.Write(a.Data)
}

// color is an sRGB colour.
type color struct{ r, g, b uint8 }

func parseColor(s string) (color, bool) {
	if !store.ValidColor(s) {
		return color{}, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return color{}, false
	}
	return color{uint8(v >> 16), uint8(v >> 8), uint8(v)}, true
}

func (c color) hex() string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

// luminance is the WCAG 2 relative luminance.
func (c color) luminance() float64 {
	ch := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(c.r) + 0.7152*ch(c.g) + 0.0722*ch(c.b)
}

// contrast is the WCAG 2 contrast ratio of two colours, from 1 to 21.
func contrast(a, b color) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// white is the cards' background, pageBg the page's (--page in
// portal.css, the darkest surface accent-coloured text is on); ink the
// default text colour.
func white() color  { return color{0xff, 0xff, 0xff} }
func pageBg() color { return color{0xf6, 0xf7, 0xf9} }
func ink() color    { return color{0x11, 0x18, 0x27} }

// readableOn returns the text colour for background bg: white, else the
// page's near-black ink, else black, the first reaching a 4.5:1 contrast.
// White or black always does (the worst case is about 4.58:1).
func readableOn(bg color) color {
	best := white()
	for _, c := range []color{white(), ink(), {0, 0, 0}} {
		if contrast(c, bg) >= 4.5 {
			return c
		}
		if contrast(c, bg) > contrast(best, bg) {
			best = c
		}
	}
	return best
}

// inkOnPage returns c, darkened just enough to reach a 4.5:1 contrast on
// the page background (so also on the lighter white cards), for links and
// focus rings in the accent colour.
func inkOnPage(c color) color {
	for i := 0; i <= 20 && contrast(c, pageBg()) < 4.5; i++ {
		c = color{uint8(float64(c.r) * 0.9), uint8(float64(c.g) * 0.9), uint8(float64(c.b) * 0.9)}
	}
	return c
}
