package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/onboardkit/onboardkit/internal/web"
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
		if a != nil && (!web.AllowedImageType(a.ContentType) || len(a.Data) == 0) {
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
		if sb.Logo != nil && web.AllowedImageType(sb.Logo.ContentType) && len(sb.Logo.Data) > 0 {
			b.Logo = sb.Logo
		}
		if sb.Favicon != nil && web.AllowedImageType(sb.Favicon.ContentType) && len(sb.Favicon.Data) > 0 {
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
	_, _ = w.Write([]byte(web.BrandCSS(b.AccentColor)))
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
		web.WriteBrandAsset(w, a)
	}
}
