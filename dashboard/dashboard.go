package dashboard

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/a-h/templ"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/netutil"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

// Config configures a Dashboard. Admin is required; every other field has
// a safe default.
type Config struct {
	// Admin is the service every page reads from and every change goes
	// through. Its Branding is the dashboard's look too. Required.
	Admin *admin.Admin

	// BaseURL is the public URL at which the host mounts the dashboard, such
	// as "https://app.example.com/dashboard". Its path prefixes the
	// dashboard's links and form actions, and its origin is the only origin
	// allowed to post the dashboard's forms. It must be https, except on
	// localhost, 127.0.0.1 or [::1] for development. Default: the origin of
	// the Admin's PortalURL followed by "/dashboard".
	BaseURL string

	// Operator names the staff member behind a request, as the host's
	// staff-authentication middleware knows them (an email, a user id). It
	// is recorded as "operator:<name>" in the Actor of every event the
	// dashboard's changes write. Default nil: the actor is "operator".
	Operator func(*http.Request) string

	// Now is the clock: it tells expired links apart. Default time.Now.
	Now func() time.Time
	// Rand is the source of CSRF tokens. Default crypto/rand.
	Rand io.Reader
	// Logger receives operator diagnostics. Default slog.Default().
	Logger *slog.Logger

	// TracerProvider receives a span per request, each page and action
	// (onboardkit.dashboard.request: route, method, status,
	// organization); see "Telemetry" in docs/operations.md. Default:
	// otel.GetTracerProvider(), a no-op unless the host set one.
	TracerProvider trace.TracerProvider

	// MeterProvider receives onboardkit.dashboard.requests and
	// onboardkit.dashboard.request.duration by route, method and status.
	// Default: otel.GetMeterProvider(), a no-op unless the host set one.
	MeterProvider metric.MeterProvider
}

// Dashboard is the operator dashboard, an http.Handler for the host's
// staff: they manage organizations, portal links, domains, connections,
// directories, branding and management API keys, and read the audit log.
// It has no login of its own: mount it behind the host's
// staff-authentication middleware, with http.StripPrefix for the path of
// Config.BaseURL:
//
//	dash, err := dashboard.New(dashboard.Config{Admin: svc, BaseURL: "https://app.example.com/dashboard",
//		Operator: func(r *http.Request) string { return staffFromContext(r.Context()).Email }})
//	mux.Handle("/dashboard/", requireStaff(http.StripPrefix("/dashboard", dash)))
//
// Pages: GET / the organizations with search and their setup at a glance,
// GET /orgs/{id} one organization (details, portal links, domains,
// connections, directories, deletion), GET /orgs/{id}/connections/{conn}
// one SSO connection (its identity provider by metadata URL, metadata XML,
// by hand or OIDC discovery, its security options, attribute mapping, test
// links and their outcome), GET /orgs/{id}/directories/{dir} one directory
// (SCIM endpoint and tokens, or Google Workspace settings, key, test and
// sync), GET /branding and /orgs/{id}/branding the branding with a live
// preview, GET /events the audit log, GET /api-keys the management API
// keys. Every change is a form POST that must come from the dashboard's
// origin (Sec-Fetch-Site, else Origin) and carry the CSRF token of the
// page, a double-submit cookie compared in constant time, and answers with
// a redirect to a page, refusals included: a secret shown once, or the
// problem of a refused form (an error summary linking to the field) with
// the values entered (never a secret), travels in a short-lived, sealed,
// path-scoped HttpOnly cookie, never in the URL, so a reload sends nothing
// again. Creation forms carry a token used as the idempotency key, so a
// double click or a re-sent POST creates nothing more; destructive changes
// go through a confirmation page. Responses carry the portal's security headers
// with frame-ancestors 'none' and script-src limited to the dashboard's own
// assets (BaseURL + "/assets/"); pages have no inline script or style.
type Dashboard struct {
	cfg    Config
	a      *admin.Admin
	now    func() time.Time
	rand   io.Reader
	log    *slog.Logger
	origin string // scheme://host[:port] of BaseURL
	mount  string // path of BaseURL without trailing slash
	secure bool
	csp    string
	mux    *http.ServeMux
	tel    *telemetry.Requests
}

// maxUploadBytes bounds a branding form: a logo, a favicon and the fields.
const maxUploadBytes = 2*admin.MaxBrandingImageBytes + 64<<10

// New validates cfg and returns a Dashboard.
func New(cfg Config) (*Dashboard, error) {
	if cfg.Admin == nil {
		return nil, errors.New("dashboard: Config.Admin is required")
	}
	raw := cfg.BaseURL
	if raw == "" {
		pu, err := url.Parse(cfg.Admin.PortalURL())
		if err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		raw = web.Origin(pu) + "/dashboard"
	}
	u, err := netutil.ParseBaseURL("dashboard", "BaseURL", raw)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{
		cfg:    cfg,
		a:      cfg.Admin,
		now:    cfg.Now,
		rand:   cfg.Rand,
		log:    cfg.Logger,
		origin: web.Origin(u),
		mount:  u.Path,
		secure: u.Scheme == "https",
		mux:    http.NewServeMux(),
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.rand == nil {
		d.rand = rand.Reader
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	// Scripts only from the dashboard's own assets: mounted on the host's
	// origin, 'self' would let every script of the host application run in
	// the dashboard's pages.
	d.csp = web.ContentSecurityPolicy(d.origin, d.mount, nil)
	d.routes()
	if d.tel, err = telemetry.NewRequests(cfg.TracerProvider, cfg.MeterProvider, telemetry.SpanDashboardRequest,
		telemetry.MetricDashboardRequests, telemetry.MetricDashboardDuration, "dashboard"); err != nil {
		return nil, fmt.Errorf("dashboard: telemetry: %w", err)
	}
	return d, nil
}

// ServeHTTP serves the dashboard. Mount it with http.StripPrefix.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.tel.Serve(w, r, http.HandlerFunc(d.serve), describeRequest)
}

func (d *Dashboard) serve(w http.ResponseWriter, r *http.Request) {
	web.SetSecureHeaders(w.Header(), d.csp, true)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			d.log.ErrorContext(r.Context(), "dashboard: panic serving dashboard", "path", r.URL.Path, "panic", v)
			d.renderProblem(w, r, http.StatusInternalServerError, "Something went wrong", "The server log has the cause.")
		}
	}()
	d.mux.ServeHTTP(w, r)
}

// path returns the absolute path of the dashboard route rel.
func (d *Dashboard) path(rel string) string { return d.mount + rel }

// orgPath returns the path of a page of organization id.
func (d *Dashboard) orgPath(id, rest string) string {
	return d.path("/orgs/" + url.PathEscape(id) + rest)
}

// actionHandler serves a state-changing request after the origin and CSRF
// checks; form holds the parsed form.
type actionHandler func(w http.ResponseWriter, r *http.Request, form url.Values)

func (d *Dashboard) routes() {
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
	m.Handle("POST /orgs/{id}/sessions/end", d.action(d.endSessions))
	m.Handle("POST /orgs/{id}/domains", d.action(d.addDomain))
	m.Handle("POST /orgs/{id}/domains/{domain}/verify", d.action(d.verifyDomain))
	m.Handle("POST /orgs/{id}/domains/{domain}/check", d.action(d.checkDomain))
	m.Handle("POST /orgs/{id}/domains/{domain}/remove", d.action(d.removeDomain))
	m.Handle("POST /orgs/{id}/connections/{conn}/{op}", d.action(switchHandler(d, "connection", "conn", d.a.EnableConnection, d.a.DisableConnection)))
	m.Handle("POST /orgs/{id}/directories/{dir}/{op}", d.action(switchHandler(d, "directory", "dir", d.a.EnableDirectory, d.a.DisableDirectory)))
	m.Handle("POST /orgs/{id}/policy", d.action(d.updatePolicy))
	m.Handle("POST /orgs/{id}/roles", d.action(d.addMapping))
	m.Handle("POST /orgs/{id}/roles/remove", d.action(d.removeMapping))
	m.Handle("POST /orgs/{id}/attributes", d.action(d.setAttribute))
	m.Handle("POST /branding", d.action(d.updateBranding))
	m.Handle("POST /orgs/{id}/branding", d.action(d.updateBranding))
	m.Handle("POST /api-keys", d.action(d.createAPIKey))
	m.Handle("POST /api-keys/{key}/revoke", d.action(d.revokeAPIKey))
	d.controlRoutes()

	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d.renderProblem(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
	})
}

// actor is the Actor of the events a request's changes write.
func (d *Dashboard) actor(r *http.Request) string {
	if d.cfg.Operator != nil {
		if name := strings.TrimSpace(d.cfg.Operator(r)); name != "" {
			return "operator:" + name
		}
	}
	return "operator"
}

// ----- CSRF -----

// csrfCookieName is the double-submit cookie. Over https it has the
// __Host- prefix: Secure, Path=/ and no Domain, so a sibling subdomain
// cannot plant one.
func (d *Dashboard) csrfCookieName() string {
	if d.secure {
		return "__Host-onboardkit_dashboard_csrf"
	}
	return "onboardkit_dashboard_csrf"
}

// csrfToken returns the request's CSRF token, setting a new cookie when it
// has none.
func (d *Dashboard) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(d.csrfCookieName()); err == nil && secret.Valid(c.Value, "") {
		return c.Value
	}
	tok, err := secret.New(d.rand, "")
	if err != nil {
		d.log.ErrorContext(r.Context(), "dashboard: generating dashboard CSRF token", "error", err)
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
func (d *Dashboard) action(h actionHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if !web.FromOrigin(r, d.origin, true) {
			d.log.WarnContext(ctx, "dashboard: cross-origin dashboard request refused", "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "path", r.URL.Path)
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
			d.log.WarnContext(ctx, "dashboard: dashboard CSRF token missing or wrong", "path", r.URL.Path, "actor", d.actor(r))
			d.renderProblem(w, r, http.StatusForbidden, "This request couldn't be verified", "Reload the page and try again.")
			return
		}
		h(w, r, form)
	})
}

// ----- Rendering -----

// render writes a page, logging a rendering error.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	if err := web.Render(w, r, status, c); err != nil {
		d.log.ErrorContext(r.Context(), "dashboard: rendering page", "path", r.URL.Path, "error", err)
	}
}

// dashView is what the dashboard layout needs on every page.
type dashView struct {
	web.Head
	CSRF     string
	Nav      []web.NavItem
	Operator string
	Flash    string // a success notice
	Error    string // an error notice of the page itself (a bad search)
	// Errors is the error summary of a refused form, whose flash form is.
	Errors []web.FieldError
	form   *flash
}

// newView builds the layout data of a dashboard page; current is the
// navigation entry to mark.
func (d *Dashboard) newView(w http.ResponseWriter, r *http.Request, title, current string) *dashView {
	b, err := d.a.ResolveBranding(r.Context(), "")
	if err != nil {
		d.log.ErrorContext(r.Context(), "dashboard: loading branding", "error", err)
		b = d.a.DefaultBranding()
	}
	v := &dashView{
		Head: web.Head{
			Title:       title,
			ProductName: b.ProductName,
			CSSURL:      d.path("/assets/portal.css"),
			JSURL:       d.path("/assets/dashboard.js"),
			FormsJSURL:  d.path("/assets/forms.js"),
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
	"org-created":           "Organization created.",
	"org-updated":           "Organization updated.",
	"org-deleted":           "Organization deleted with all its data.",
	"link-revoked":          "Link revoked. Sessions started from it end at their next request.",
	"sessions-ended":        "Everyone in this organization is signed out of the app, on every instance within a second.",
	"domain-added":          "Domain added.",
	"domain-verified":       "Domain verified.",
	"domain-not-verified":   "The TXT record was not found: the domain is not verified yet. See the domain's last check below.",
	"domain-removed":        "Domain removed.",
	"connection-enabled":    "Connection enabled.",
	"connection-disabled":   "Connection disabled.",
	"directory-enabled":     "Directory enabled.",
	"directory-disabled":    "Directory disabled.",
	"branding-updated":      "Branding saved. The portal shows it from its next page load.",
	"api-key-revoked":       "API key revoked.",
	"api-key-replayed":      "This key was already created by the same form, and shown once; revoke it and create another if it was not copied.",
	"policy-updated":        "Provisioning policy saved.",
	"mapping-saved":         "Role mapping saved; the roles of the users it concerns are updated.",
	"mapping-removed":       "Role mapping removed; the roles of the users it concerned are updated.",
	"attribute-saved":       "Attribute mapping saved; directory users follow at their next update.",
	"nothing-changed":       "Nothing to change.",
	"api-key-created":       "API key created. Copy it now: it is shown only once.",
	"link-shown":            "That link was shown once already; generate a new one if it was not copied.",
	"connection-created":    "Connection created. Enter the identity provider's settings, test it, then enable it.",
	"connection-saved":      "Connection saved.",
	"connection-deleted":    "Connection deleted.",
	"directory-created":     "Directory created.",
	"token-created":         "Token created. Copy it now: it is shown only once.",
	"token-replayed":        "This token was already created by the same form, and shown once; revoke it and create another if it was not copied.",
	"token-revoked":         "Token revoked.",
	"google-saved":          "Google Workspace settings saved.",
	"google-key-saved":      "Service account key saved.",
	"google-sync-requested": "A sync was requested; it starts within a minute.",
	"organization-missing":  "That organization no longer exists.",
}

func flashMessage(code string) string { return flashMessages[code] }

// redirect answers a successful change with 303 to path, with the notice
// done.
func (d *Dashboard) redirect(w http.ResponseWriter, r *http.Request, path, done string) {
	if done != "" {
		path += "?done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// renderProblem writes a dashboard page that only says what went wrong.
func (d *Dashboard) renderProblem(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	dv := d.newView(w, r, title, "")
	d.render(w, r, status, dashProblemPage(dv, title, msg))
}

// fail answers a change that could not be made, at the POST's URL: a
// refused one (an *admin.AdminError) with its message, anything else
// logged and with a generic page. Forms whose page exists use refuseErr.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, _, msg, ok := web.DescribeError(err)
	if !ok {
		if context.Cause(r.Context()) != nil {
			d.log.InfoContext(r.Context(), "dashboard: dashboard request cancelled", "path", r.URL.Path, "error", err)
		} else {
			d.log.ErrorContext(r.Context(), "dashboard: dashboard", "path", r.URL.Path, "actor", d.actor(r), "error", err)
		}
		d.renderProblem(w, r, http.StatusInternalServerError, "Something went wrong", "The server log has the cause.")
		return
	}
	title := "This change was refused"
	switch status {
	case http.StatusNotFound:
		title = "Not found"
	case http.StatusNotImplemented:
		title = "Not configured"
	}
	d.renderProblem(w, r, status, title, msg)
}

// refuseErr answers a form the service refused with a redirect to page,
// the page the form is on, which shows why and the values entered
// (refuse); anything else is a failure (fail).
func (d *Dashboard) refuseErr(w http.ResponseWriter, r *http.Request, err error, page string, form url.Values) {
	var ae *admin.AdminError
	if _, _, msg, ok := web.DescribeError(err); ok && errors.As(err, &ae) {
		d.refuse(w, r, page, form, ae.Field, msg)
		return
	}
	d.fail(w, r, err)
}

// ----- Branding assets -----

func (d *Dashboard) brandCSS(w http.ResponseWriter, r *http.Request) {
	b, err := d.a.ResolveBranding(r.Context(), "")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write([]byte(web.BrandCSS(b.AccentColor)))
}

// brandAsset serves the stored logo or favicon ({asset}) of the host-wide
// scope or of organization {id}: what the scope itself holds, not the
// resolved branding, since the branding page shows the scope's own images.
func (d *Dashboard) brandAsset(w http.ResponseWriter, r *http.Request) {
	scope, which := r.PathValue("id"), r.PathValue("asset")
	if which != "logo" && which != "favicon" {
		d.renderProblem(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
		return
	}
	b, err := d.a.GetBranding(r.Context(), scope)
	if err != nil {
		d.fail(w, r, err)
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
		a = d.a.DefaultBranding().Logo
		if which == "favicon" {
			a = d.a.DefaultBranding().Favicon
		}
	}
	if a == nil || !admin.AllowedImageType(a.ContentType) {
		d.renderProblem(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
		return
	}
	web.WriteBrandAsset(w, a)
}
