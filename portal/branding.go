package portal

import (
	"context"
	"net/http"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/web"
)

// branding resolves the look for an organization (orgID "" for pages
// without a session): see admin.Admin.ResolveBranding.
func (p *Portal) branding(ctx context.Context, orgID string) (admin.Branding, error) {
	return p.admin.ResolveBranding(ctx, orgID)
}

// requestBranding is the branding for a request outside requireSession (the
// stylesheet and images): the session's organization when the request
// carries a live session, else host-wide. URLs never name an organization.
func (p *Portal) requestBranding(r *http.Request) (admin.Branding, error) {
	if s, err := p.loadSession(r.Context(), r); err == nil {
		return s.brand, nil
	}
	return p.branding(r.Context(), "")
}

// serveBrandCSS serves the branding stylesheet: the accent colour as CSS
// custom properties, with a text colour readable on it and a variant dark
// enough to be read as text on the page background and the white cards.
// The page's CSP forbids inline styles, so this is a stylesheet of its own.
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
