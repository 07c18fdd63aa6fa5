package portal

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

// view is what the layout needs on every page.
type view struct {
	web.Head

	// Set on pages under a session.
	OrgID        string
	OrgName      string
	CSRF         string
	LogoutAction string
	Nav          []web.NavItem
	// Errors are the problems of a refused form, summarised at the top of
	// the page.
	Errors []web.FieldError

	// Read by portal.js (data attributes of <body>).
	ParentOrigins string // space-separated FrameAncestors
	Load          string // "success" or "failure": the load event to post
	Reason        string // failure reason posted with PORTAL_LOAD_FAILURE
	Expired       bool   // post PORTAL_SESSION_EXPIRY on load
	Features      string // space-separated features of the session
	ExpiresAt     string // RFC 3339 session expiry
	ExpiresInMS   string // milliseconds from render to expiry
	WarnBeforeMS  string // milliseconds before expiry to warn
	Events        []UIEvent
}

// section is a part of the portal gated by a feature. Pages of a section
// are routed with p.page(..., feature, ...), and the section appears in the
// navigation only for sessions that have the feature.
type section struct {
	Feature store.Feature
	Label   string
	Path    string // relative to the mount point
	TestID  string
}

// sections lists the portal's sections, in navigation order.
func sections() []section {
	paths := map[store.Feature][2]string{
		store.FeatureSSO:     {"/sso", "nav-sso"},
		store.FeatureDirSync: {"/directory-sync", "nav-dir-sync"},
		store.FeatureDomains: {"/domains", "nav-domains"},
	}
	var out []section
	for _, f := range web.Features() {
		out = append(out, section{f.Feature, f.Label, paths[f.Feature][0], paths[f.Feature][1]})
	}
	return out
}

// sectionsFor returns the sections whose feature is in fs.
func (p *Portal) sectionsFor(fs store.Features) []section {
	var out []section
	for _, s := range sections() {
		if fs.Has(s.Feature) {
			out = append(out, s)
		}
	}
	return out
}

// baseView is the view of a page without a session.
func (p *Portal) baseView(_ *http.Request, b admin.Branding, title string) *view {
	v := &view{
		Head: web.Head{
			Title:       title,
			ProductName: b.ProductName,
			CSSURL:      p.path("/assets/portal.css"),
			JSURL:       p.path("/assets/portal.js"),
			FormsJSURL:  p.path("/assets/forms.js"),
			BrandCSSURL: p.path("/brand/style.css"),
		},
		ParentOrigins: strings.Join(p.ancestors, " "),
	}
	if b.Logo != nil {
		v.LogoURL = p.path("/brand/logo")
	}
	if b.Favicon != nil {
		v.FaviconURL = p.path("/brand/favicon")
	}
	return v
}

// sessionView is the view of a page under session s; current is the path
// of the section the page belongs to ("" for home).
func (p *Portal) sessionView(r *http.Request, s *session, title, current string) *view {
	v := p.baseView(r, s.brand, title)
	v.OrgID = s.org.ID
	v.OrgName = s.org.Name
	v.CSRF = s.s.CSRF
	v.LogoutAction = p.path("/logout")
	v.Load = "success"
	v.Features = joinFeatures(s.s.Features)
	v.ExpiresAt = s.s.ExpiresAt.UTC().Format(time.RFC3339)
	v.ExpiresInMS = strconv.FormatInt(max(0, s.s.ExpiresAt.Sub(p.now()).Milliseconds()), 10)
	v.WarnBeforeMS = strconv.FormatInt(p.cfg.SessionWarning.Milliseconds(), 10)
	v.Nav = append(v.Nav, web.NavItem{Label: "Overview", Href: p.path("/"), TestID: "nav-home", Current: current == ""})
	for _, sec := range p.sectionsFor(s.s.Features) {
		v.Nav = append(v.Nav, web.NavItem{Label: sec.Label, Href: p.path(sec.Path), TestID: sec.TestID, Current: current == sec.Path})
	}
	if len(p.admin.Roles()) > 0 || len(p.admin.CustomFields()) > 0 {
		v.Nav = append(v.Nav, web.NavItem{Label: "Roles and access", Href: p.path("/roles"), TestID: "nav-roles", Current: current == "/roles"})
	}
	if s.s.Features.Has(store.FeatureSSO) || s.s.Features.Has(store.FeatureDirSync) {
		v.Nav = append(v.Nav, web.NavItem{Label: "What went wrong", Href: p.path("/problems"), TestID: "nav-problems", Current: current == "/problems"})
	}
	return v
}

func joinFeatures(fs store.Features) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = string(f)
	}
	return strings.Join(parts, " ")
}

// secureHeaders sets the headers every response carries.
func (p *Portal) secureHeaders(w http.ResponseWriter) {
	web.SetSecureHeaders(w.Header(), p.csp, len(p.ancestors) == 0)
}

// render writes a component with status, buffered so that a rendering error
// becomes a clean 500 rather than half a page.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	if err := web.Render(w, r, status, c); err != nil {
		p.log.ErrorContext(r.Context(), "portal: rendering page", "path", logPath(r), "error", err)
	}
}

// renderProblem writes a problem page outside a session, with host-wide
// branding.
func (p *Portal) renderProblem(w http.ResponseWriter, r *http.Request, status int, pk problemKind) {
	b, err := p.branding(r.Context(), "")
	if err != nil {
		p.log.ErrorContext(r.Context(), "portal: loading branding", "error", err)
		b = p.admin.DefaultBranding()
	}
	v := p.baseView(r, b, "")
	p.renderProblemView(w, r, status, pk, v)
}

// renderSessionProblem writes a problem page within a session's layout.
func (p *Portal) renderSessionProblem(w http.ResponseWriter, r *http.Request, s *session, status int, pk problemKind) {
	v := p.sessionView(r, s, "", "-")
	v.Load = ""
	p.renderProblemView(w, r, status, pk, v)
}

func (p *Portal) renderProblemView(w http.ResponseWriter, r *http.Request, status int, pk problemKind, v *view) {
	pr := pk.problem()
	v.Title = pr.Title
	if pr.Failure {
		v.Load = "failure"
		v.Reason = pk.reason()
	}
	v.Expired = pk == problemSessionExpired
	p.render(w, r, status, problemPage(v, pr))
}

// serverError logs the cause for the operator and shows a generic page.
func (p *Portal) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if ctxErr := context.Cause(r.Context()); ctxErr != nil {
		p.log.InfoContext(r.Context(), "portal: request cancelled", "while", what, "error", err)
	} else {
		p.log.ErrorContext(r.Context(), "portal: "+what, "path", logPath(r), "error", err)
	}
	p.renderProblem(w, r, http.StatusInternalServerError, problemServerError)
}

// recoverPanic turns a panic into a logged error and a generic page.
func (p *Portal) recoverPanic(w http.ResponseWriter, r *http.Request) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		p.log.ErrorContext(r.Context(), "portal: panic serving request", "path", logPath(r), "panic", v)
		p.renderProblem(w, r, http.StatusInternalServerError, problemServerError)
	}
}

// logPath is the request's path as the log may show it: the route pattern
// when the mux has matched one (GET /l/{token}, never the token itself),
// else the path with the segment after /l/ redacted. Link tokens travel in
// landing URLs, so a raw path must never reach the log.
func logPath(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return redactPath(r.URL.Path)
}

// redactPath replaces what follows "/l/" in path, wherever the portal is
// mounted, with "{token}".
func redactPath(path string) string {
	if i := strings.Index(path, "/l/"); i >= 0 {
		return path[:i] + "/l/{token}"
	}
	return path
}

// problemKind is a reason a page cannot be shown.
type problemKind int

const (
	problemNone problemKind = iota
	problemLinkInvalid
	problemLinkExpired
	problemLinkUsed
	problemLinkRevoked
	problemNoSession
	problemSessionExpired
	problemForbidden
	problemCSRF
	problemBadRequest
	problemNotFound
	problemServerError
	problemSignedOut
	problemTooMany
)

// problem is what a problem page says.
type problem struct {
	Title   string
	Message string
	TestID  string
	// Failure makes the page post PORTAL_LOAD_FAILURE to the parent.
	Failure bool
}

// reason is the machine-readable reason posted to the parent and logged.
func (k problemKind) reason() string {
	switch k {
	case problemLinkInvalid:
		return "link_invalid"
	case problemLinkExpired:
		return "link_expired"
	case problemLinkUsed:
		return "link_used"
	case problemLinkRevoked:
		return "link_revoked"
	case problemNoSession:
		return "no_session"
	case problemSessionExpired:
		return "session_expired"
	case problemForbidden:
		return "forbidden"
	case problemCSRF:
		return "csrf"
	case problemBadRequest:
		return "bad_request"
	case problemNotFound:
		return "not_found"
	case problemServerError:
		return "server_error"
	case problemSignedOut:
		return "signed_out"
	case problemTooMany:
		return "rate_limited"
	}
	return ""
}

func (k problemKind) problem() problem {
	pr := problem{TestID: "problem-" + strings.ReplaceAll(k.reason(), "_", "-")}
	switch k {
	case problemLinkInvalid:
		pr.Title = "This link isn't valid"
		pr.Message = "Check that you opened the whole link, or ask the person who sent it for a new one."
		pr.Failure = true
	case problemLinkExpired:
		pr.Title = "This link has expired"
		pr.Message = "Portal links are valid for a limited time. Ask the person who sent it for a new one, or reload the page that shows the portal."
		pr.Failure = true
	case problemLinkUsed:
		pr.Title = "This link has already been used"
		pr.Message = "An embedded portal link opens one session only. Reload the page that shows the portal to continue."
		pr.Failure = true
	case problemLinkRevoked:
		pr.Title = "This link has been revoked"
		pr.Message = "Access through this link was withdrawn. Ask the person who sent it for a new one."
		pr.Failure = true
	case problemNoSession:
		pr.Title = "You're not signed in"
		pr.Message = "Open the admin portal with the link you were given."
		pr.Failure = true
	case problemSessionExpired:
		pr.Title = "Your session has expired"
		pr.Message = "For your security, portal sessions end after a few hours. Open your portal link again, or reload the page that shows the portal."
	case problemForbidden:
		pr.Title = "This section isn't included in your access"
		pr.Message = "Your portal link doesn't cover this section. Ask for a link that does."
	case problemCSRF:
		pr.Title = "This request couldn't be verified"
		pr.Message = "Reload the page and try again."
	case problemBadRequest:
		pr.Title = "This request couldn't be read"
		pr.Message = "Reload the page and try again."
	case problemNotFound:
		pr.Title = "Page not found"
		pr.Message = "There is nothing at this address."
	case problemServerError:
		pr.Title = "Something went wrong"
		pr.Message = "Please try again in a moment."
		pr.Failure = true
	case problemSignedOut:
		pr.Title = "You've signed out"
		pr.Message = "To come back, open your portal link again."
	case problemTooMany:
		pr.Title = "Too many attempts"
		pr.Message = "Portal links were opened too often from your network. Wait a minute, then open your link again."
		pr.Failure = true
	}
	return pr
}
