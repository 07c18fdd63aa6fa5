package portal

import (
	"net/http"

	"github.com/onboardkit/onboardkit/store"
)

// routes registers every route of the portal. Pages under a session go
// through page, which names the feature they need; a new page is one more
// line here and a handler in its own file.
func (p *Portal) routes() {
	mux := http.NewServeMux()
	p.mux = mux

	// Public: assets, branding, link landing and redemption.
	mux.HandleFunc("GET /assets/{file}", p.serveAsset)
	mux.HandleFunc("GET /brand/style.css", p.serveBrandCSS)
	mux.HandleFunc("GET /brand/logo", p.serveBrandAsset("logo"))
	mux.HandleFunc("GET /brand/favicon", p.serveBrandAsset("favicon"))
	mux.HandleFunc("GET /l/{token}", p.landing)
	mux.HandleFunc("GET /l", p.landing)
	mux.HandleFunc("POST /l", p.redeem)
	mux.HandleFunc("GET /link-refused/{reason}", p.linkRefused)
	mux.HandleFunc("GET /signed-out", p.signedOut)

	// Under a session. The organization always comes from the session.
	p.page("GET /{$}", "", p.home)
	p.page("POST /logout", "", p.logout)
	p.page("POST /sessions/end", store.FeatureSSO, p.endSessions)
	p.page("GET /problems", "", p.problems)
	p.ssoRoutes()
	p.directoryAndDomainRoutes()
	p.rolesRoutes()

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		p.renderProblem(w, r, http.StatusNotFound, problemNotFound)
	})
}

// page registers a handler that runs under a live session having feature
// (any session when feature is ""), with the CSRF check on state-changing
// methods. See requireSession.
func (p *Portal) page(pattern string, feature store.Feature, h sessionHandler) {
	p.mux.Handle(pattern, p.requireSession(feature, h))
}
