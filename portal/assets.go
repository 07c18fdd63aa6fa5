package portal

import (
	"embed"
	"net/http"

	"github.com/onboardkit/onboardkit/internal/web"
)

// ssoAssetFS holds the script and stylesheet of the SSO setup pages and
// the identity providers' signs (simple SVGs drawn for this project); the
// shared stylesheet and scripts are internal/web's.
//
//go:embed assets/sso.js assets/sso.css assets/provider-*.svg
var ssoAssetFS embed.FS

// serveAsset serves GET /assets/{file}.
func (p *Portal) serveAsset(w http.ResponseWriter, r *http.Request) {
	if !web.WriteAsset(w, r) && !web.WriteAssetFrom(ssoAssetFS, w, r) {
		p.renderProblem(w, r, http.StatusNotFound, problemNotFound)
	}
}
