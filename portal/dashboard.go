package portal

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

// dashboard is the operator dashboard: the host's staff manage
// organizations, links, domains, connections, directories, branding, API
// keys and read the audit log. It has no login of its own; the host wraps
// it in its staff-authentication middleware.
type dashboard struct {
	p      *Portal
	a      *Admin
	origin string // scheme://host[:port] of DashboardURL
	mount  string // path of DashboardURL without trailing slash
	secure bool
	csp    string
	mux    *http.ServeMux
}

// maxUploadBytes bounds a branding form: a logo, a favicon and the fields.
const maxUploadBytes = 2*MaxBrandingImageBytes + 64<<10

// Dashboard returns the operator dashboard, an http.Handler for the host's
// staff. It has no login of its own: mount it behind the host's
// staff-authentication middleware, with http.StripPrefix for the path of
// Config.DashboardURL:
//
//	mux.Handle("/dashboard/", requireStaff(http.StripPrefix("/dashboard", admin.Dashboard())))
//
// Config.Operator names the staff member of a request for the audit log:
//
//	Operator: func(r *http.Request) string { return staffFromContext(r.Context()).Email },
//
// Pages: GET / the organizations with search and their setup at a glance,
// GET /orgs/{id} one organization (details, portal links, domains,
// connections, directories, deletion), GET /branding and
// /orgs/{id}/branding the branding with a live preview, GET /events the
// audit log, GET /api-keys the management API keys. Every change is a form
// POST that must come from the dashboard's origin (Sec-Fetch-Site, else
// Origin) and carry the CSRF token of the page, a double-submit cookie
// compared in constant time. Responses carry the portal's security headers
// with frame-ancestors 'none' and script-src limited to the dashboard's own
// assets (DashboardURL + "/assets/"); pages have no inline script or style.
func (p *Portal) Dashboard() http.Handler { return p.dash }

func newDashboard(p *Portal, raw string) (*dashboard, error) {
	if raw == "" {
		raw = p.origin + "/dashboard"
	}
	u, err := web.ParseBaseURL("portal", "DashboardURL", raw)
	if err != nil {
		return nil, err
	}
	d := &dashboard{
		p:      p,
		a:      p.admin,
		origin: u.Scheme + "://" + u.Host,
		mount:  strings.TrimSuffix(u.Path, "/"),
		secure: u.Scheme == "https",
		mux:    http.NewServeMux(),
	}
	// Scripts only from the dashboard's own assets: mounted on the host's
	// origin, 'self' would let every script of the host application run in
	// the dashboard's pages.
	d.csp = web.ContentSecurityPolicy(d.origin, d.mount, nil)
	d.routes()
	return d, nil
}

// ServeHTTP serves the dashboard. Mount it with http.StripPrefix.
func (d *dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	web.SetSecureHeaders(w.Header(), d.csp, true)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			d.p.log.ErrorContext(r.Context(), "portal: panic serving dashboard", "path", r.URL.Path, "panic", v)
			d.renderProblem(w, r, http.StatusInternalServerError, "Something went wrong", "The server log has the cause.")
		}
	}()
	d.mux.ServeHTTP(w, r)
}

// path returns the absolute path of the dashboard route rel.
func (d *dashboard) path(rel string) string { return d.mount + rel }

// orgPath returns the path of a page of organization id.
func (d *dashboard) orgPath(id, rest string) string {
	return d.path("/orgs/" + url.PathEscape(id) + rest)
}

// actionHandler serves a state-changing request after the origin and CSRF
// checks; form holds the parsed form.
type actionHandler func(w http.ResponseWriter, r *http.Request, form url.Values)

func (d *dashboard) routes() {
	m := d.mux
	m.HandleFunc("GET /assets/{file}", func(w http.ResponseWriter, r *http.Request) {
		if !web.WriteAsset(w, r) {
			d.renderProblem(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
		}
	})
	m.HandleFunc("GET /brand/style.css", d.brandCSS)
	m.HandleFunc("GET /branding/{asset}", d.brandAsset)
	m.HandleFunc("GET /orgs/{id}/branding/{asset}", d.brandAsset)

	m.HandleFunc("GET /{$}", d.orgList)
	m.HandleFunc("GET /orgs/{id}", d.orgPage)
	m.HandleFunc("GET /branding", d.brandingPage)
	m.HandleFunc("GET /orgs/{id}/branding", d.brandingPage)
	m.HandleFunc("GET /events", d.eventsPage)
	m.HandleFunc("GET /api-keys", d.apiKeysPage)

	m.Handle("POST /orgs", d.action(d.createOrg))
	m.Handle("POST /orgs/{id}", d.action(d.updateOrg))
	m.Handle("POST /orgs/{id}/delete", d.action(d.deleteOrg))
	m.Handle("POST /orgs/{id}/links", d.action(d.generateLink))
	m.Handle("POST /orgs/{id}/links/{link}/revoke", d.action(d.revokeLink))
	m.Handle("POST /orgs/{id}/domains", d.action(d.addDomain))
	m.Handle("POST /orgs/{id}/domains/{domain}/verify", d.action(d.verifyDomain))
	m.Handle("POST /orgs/{id}/domains/{domain}/check", d.action(d.checkDomain))
	m.Handle("POST /orgs/{id}/domains/{domain}/remove", d.action(d.removeDomain))
	m.Handle("POST /orgs/{id}/connections/{conn}/{op}", d.action(d.setConnection))
	m.Handle("POST /orgs/{id}/directories/{dir}/{op}", d.action(d.setDirectory))
	m.Handle("POST /branding", d.action(d.updateBranding))
	m.Handle("POST /orgs/{id}/branding", d.action(d.updateBranding))
	m.Handle("POST /api-keys", d.action(d.createAPIKey))
	m.Handle("POST /api-keys/{key}/revoke", d.action(d.revokeAPIKey))

	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d.renderProblem(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
	})
}

// actor is the Actor of the events a request's changes write.
func (d *dashboard) actor(r *http.Request) string {
	if d.p.cfg.Operator != nil {
		if name := strings.TrimSpace(d.p.cfg.Operator(r)); name != "" {
			return "operator:" + name
		}
	}
	return "operator"
}

// ----- CSRF -----

// csrfCookieName is the double-submit cookie. Over https it has the
// __Host- prefix: Secure, Path=/ and no Domain, so a sibling subdomain
// cannot plant one.
func (d *dashboard) csrfCookieName() string {
	if d.secure {
		return "__Host-onboardkit_dashboard_csrf"
	}
	return "onboardkit_dashboard_csrf"
}

// csrfToken returns the request's CSRF token, setting a new cookie when it
// has none.
func (d *dashboard) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(d.csrfCookieName()); err == nil && secret.Valid(c.Value, "") {
		return c.Value
	}
	tok, err := secret.New(d.p.rand, "")
	if err != nil {
		d.p.log.ErrorContext(r.Context(), "portal: generating dashboard CSRF token", "error", err)
		return ""
	}
	http.SetCookie(w, &http.Cookie{
		Name:     d.csrfCookieName(),
		Value:    tok,
		Path:     "/",
		HttpOnly: true,
		Secure:   d.secure,
		SameSite: http.SameSiteStrictMode,
	})
	return tok
}

// action wraps a state-changing handler: the request must come from the
// dashboard's origin and carry the CSRF token of its cookie in the form
// field "csrf". Bodies are size-limited; multipart bodies (branding
// uploads) are parsed here too.
func (d *dashboard) action(h actionHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if !web.FromOrigin(r, d.origin, true) {
			d.p.log.WarnContext(ctx, "portal: cross-origin dashboard request refused", "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "path", r.URL.Path)
			d.renderProblem(w, r, http.StatusForbidden, "This request couldn't be verified", "Reload the page and try again.")
			return
		}
		var form url.Values
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "multipart/form-data" {
			r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
			if err := r.ParseMultipartForm(maxUploadBytes); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					d.renderProblem(w, r, http.StatusRequestEntityTooLarge, "This upload is too large", "Logos and favicons may be at most 256 KiB each.")
					return
				}
				d.renderProblem(w, r, http.StatusBadRequest, "This request couldn't be read", "Reload the page and try again.")
				return
			}
			defer func() { _ = r.MultipartForm.RemoveAll() }()
			form = url.Values(r.MultipartForm.Value)
		} else {
			r.Body = http.MaxBytesReader(w, r.Body, web.MaxFormBytes)
			if err := r.ParseForm(); err != nil {
				d.renderProblem(w, r, http.StatusBadRequest, "This request couldn't be read", "Reload the page and try again.")
				return
			}
			form = r.PostForm
		}
		got := form.Get(web.CSRFField)
		c, err := r.Cookie(d.csrfCookieName())
		if err != nil || got == "" || !secret.Valid(c.Value, "") || !secret.Equal([]byte(got), []byte(c.Value)) {
			d.p.log.WarnContext(ctx, "portal: dashboard CSRF token missing or wrong", "path", r.URL.Path, "actor", d.actor(r))
			d.renderProblem(w, r, http.StatusForbidden, "This request couldn't be verified", "Reload the page and try again.")
			return
		}
		h(w, r, form)
	})
}

// ----- Rendering -----

// dashView is what the dashboard layout needs on every page.
type dashView struct {
	web.Head
	CSRF     string
	Nav      []web.NavItem
	Operator string
	Flash    string // a success notice
	Error    string // an error notice
}

// newView builds the layout data of a dashboard page; current is the
// navigation entry to mark.
func (d *dashboard) newView(w http.ResponseWriter, r *http.Request, title, current string) *dashView {
	b, err := d.p.branding(r.Context(), "")
	if err != nil {
		d.p.log.ErrorContext(r.Context(), "portal: loading branding", "error", err)
		b = d.p.brand
	}
	v := &dashView{
		Head: web.Head{
			Title:       title,
			ProductName: b.ProductName,
			CSSURL:      d.path("/assets/portal.css"),
			JSURL:       d.path("/assets/dashboard.js"),
			BrandCSSURL: d.path("/brand/style.css"),
		},
		CSRF: d.csrfToken(w, r),
	}
	if b.Logo != nil {
		v.LogoURL = d.path("/branding/logo")
	}
	if b.Favicon != nil {
		v.FaviconURL = d.path("/branding/favicon")
	}
	for _, n := range []web.NavItem{
		{Label: "Organizations", Href: d.path("/"), TestID: "nav-orgs"},
		{Label: "Branding", Href: d.path("/branding"), TestID: "nav-branding"},
		{Label: "Audit log", Href: d.path("/events"), TestID: "nav-events"},
		{Label: "API keys", Href: d.path("/api-keys"), TestID: "nav-api-keys"},
	} {
		n.Current = n.TestID == current
		v.Nav = append(v.Nav, n)
	}
	dv := v
	dv.Operator = strings.TrimPrefix(d.actor(r), "operator:")
	if dv.Operator == "operator" {
		dv.Operator = ""
	}
	dv.Flash = flashMessage(r.URL.Query().Get("done"))
	return dv
}

// flashMessages are the notices a redirect after a change may ask for with
// ?done=: a fixed table, so that nothing from the URL is echoed.
var flashMessages = map[string]string{
	"org-created":          "Organization created.",
	"org-updated":          "Organization updated.",
	"org-deleted":          "Organization deleted with all its data.",
	"link-revoked":         "Link revoked. Sessions started from it end at their next request.",
	"domain-added":         "Domain added.",
	"domain-verified":      "Domain verified.",
	"domain-not-verified":  "The TXT record was not found: the domain is not verified yet. See the domain's last check below.",
	"domain-removed":       "Domain removed.",
	"connection-enabled":   "Connection enabled.",
	"connection-disabled":  "Connection disabled.",
	"directory-enabled":    "Directory enabled.",
	"directory-disabled":   "Directory disabled.",
	"branding-updated":     "Branding saved. The portal shows it from its next page load.",
	"api-key-revoked":      "API key revoked.",
	"nothing-changed":      "Nothing to change.",
	"organization-missing": "That organization no longer exists.",
}

func flashMessage(code string) string { return flashMessages[code] }

// redirect answers a successful change with 303 to path, with the notice
// done.
func (d *dashboard) redirect(w http.ResponseWriter, r *http.Request, path, done string) {
	if done != "" {
		path += "?done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// renderProblem writes a dashboard page that only says what went wrong.
func (d *dashboard) renderProblem(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	dv := d.newView(w, r, title, "")
	d.p.render(w, r, status, dashProblemPage(dv, title, msg))
}

// fail answers a refused or failed change. A refused one (an *AdminError)
// gets its message; anything else is logged and gets a generic page.
// retry, when not nil, re-renders the page the form was on with the error
// notice and the status.
func (d *dashboard) fail(w http.ResponseWriter, r *http.Request, err error, retry func(status int, msg string)) {
	status, _, msg, ok := describeError(err)
	if !ok {
		if context.Cause(r.Context()) != nil {
			d.p.log.InfoContext(r.Context(), "portal: dashboard request cancelled", "path", r.URL.Path, "error", err)
		} else {
			d.p.log.ErrorContext(r.Context(), "portal: dashboard", "path", r.URL.Path, "actor", d.actor(r), "error", err)
		}
		d.renderProblem(w, r, http.StatusInternalServerError, "Something went wrong", "The server log has the cause.")
		return
	}
	if retry == nil {
		title := "This change was refused"
		switch status {
		case http.StatusNotFound:
			title = "Not found"
		case http.StatusNotImplemented:
			title = "Not configured"
		}
		d.renderProblem(w, r, status, title, msg)
		return
	}
	retry(status, msg)
}

// ----- Branding assets -----

func (d *dashboard) brandCSS(w http.ResponseWriter, r *http.Request) {
	b, err := d.p.branding(r.Context(), "")
	if err != nil {
		d.fail(w, r, err, nil)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write([]byte(web.BrandCSS(b.AccentColor)))
}

// brandAsset serves the stored logo or favicon ({asset}) of the host-wide
// scope or of organization {id}: what the scope itself holds, not the
// resolved branding, since the branding page shows the scope's own images.
func (d *dashboard) brandAsset(w http.ResponseWriter, r *http.Request) {
	scope, which := r.PathValue("id"), r.PathValue("asset")
	if which != "logo" && which != "favicon" {
		d.renderProblem(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
		return
	}
	b, err := d.p.st.GetBranding(r.Context(), scope)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		d.fail(w, r, err, nil)
		return
	}
	var a *store.Asset
	if b != nil {
		a = b.Logo
		if which == "favicon" {
			a = b.Favicon
		}
	}
	if a == nil && scope == "" {
		// Host-wide: fall back to Config.Branding, as the portal does.
		a = d.p.brand.Logo
		if which == "favicon" {
			a = d.p.brand.Favicon
		}
	}
	if a == nil || !web.AllowedImageType(a.ContentType) {
		d.renderProblem(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
		return
	}
	web.WriteBrandAsset(w, a)
}
