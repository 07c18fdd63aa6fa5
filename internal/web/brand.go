package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/store"
)

// BrandCSS returns the stylesheet of an accent colour, which must be valid
// (#RRGGBB): nothing else is ever written into it.
func BrandCSS(accent string) string {
	rgb, ok := parseColor(accent)
	if !ok {
		rgb, _ = parseColor(admin.DefaultAccentColor)
	}
	on := readableOn(rgb)
	ink := inkOnPage(rgb)
	return ":root{--accent:" + rgb.hex() + ";--on-accent:" + on.hex() + ";--accent-ink:" + ink.hex() + "}\n"
}

// brandAssetCSP replaces the page CSP on uploaded images: nothing may load
// or run (sandbox, default-src 'none'), and the image opened as a document
// may not be framed by anyone (frame-ancestors 'none').
const brandAssetCSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"

// WriteBrandAsset writes an uploaded image with its stored type (from an
// allowlist) and a sandboxing CSP, so that an SVG opened directly cannot run
// script.
func WriteBrandAsset(w http.ResponseWriter, a *store.Asset) {
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
