package portal

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

// csrfHeader is the header that carries the session's CSRF token on
// state-changing requests sent by scripts (forms use web.CSRFField).
const csrfHeader = "X-CSRF-Token"

// session is the signed-in visitor of a request under requireSession: the
// stored session, its organization and the branding to show.
type session struct {
	s     *store.PortalSession
	org   *store.Organization
	brand admin.Branding
	// token is the session secret of the request's cookie: the key of the
	// session's flashes (see flash.go).
	token string
}

type sessionKey struct{}

// sessionFrom returns the session requireSession put in ctx, or nil.
func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}

// cookieName is the session cookie's name: with the __Secure- prefix when
// the portal is served over https.
func (p *Portal) cookieName() string {
	if p.secure {
		return "__Secure-onboardkit_portal"
	}
	return "onboardkit_portal"
}

func (p *Portal) cookiePath() string {
	if p.mount == "" {
		return "/"
	}
	return p.mount
}

// sessionCookie is the cookie carrying a session secret. First-party
// sessions are SameSite=Lax. An embedded session, when a configured frame
// ancestor is cross-site to the portal, is SameSite=None; Secure;
// Partitioned: the browser sends it only inside iframes under that top-level
// site (CHIPS), and never from other sites' pages.
func (p *Portal) sessionCookie(value string, embedded bool, expires time.Time) *http.Cookie {
	c := &http.Cookie{
		Name:     p.cookieName(),
		Value:    value,
		Path:     p.cookiePath(),
		HttpOnly: true,
		Secure:   p.secure,
		SameSite: http.SameSiteLaxMode,
	}
	if embedded && p.crossSite {
		c.SameSite = http.SameSiteNoneMode
		c.Secure = true
		c.Partitioned = true
	}
	if value == "" {
		c.MaxAge = -1
	} else {
		// Max-Age rather than Expires: it does not depend on the browser's
		// clock. The Store judges expiry in any case.
		c.MaxAge = max(1, int(expires.Sub(p.now()).Seconds()))
	}
	return c
}

// clearSessionCookies removes the session cookie in both of its forms.
func (p *Portal) clearSessionCookies(w http.ResponseWriter) {
	http.SetCookie(w, p.sessionCookie("", false, time.Time{}))
	if p.crossSite {
		http.SetCookie(w, p.sessionCookie("", true, time.Time{}))
	}
}

// maxSessionCookies bounds how many session cookies of a request are looked
// up; a request with more is refused.
const maxSessionCookies = 4

// readSessionTokens returns the well-formed session secrets of the
// request's cookies. A browser normally sends one; a second can come from a
// cookie planted by a sibling subdomain (Domain=.example.com) or from a
// partitioned and an unpartitioned cookie under the same name.
func (p *Portal) readSessionTokens(r *http.Request) []string {
	var out []string
	for _, c := range r.CookiesNamed(p.cookieName()) {
		if secret.Valid(c.Value, sessionTokenPrefix) && !slices.Contains(out, c.Value) {
			out = append(out, c.Value)
		}
	}
	return out
}

// errAmbiguousSession is returned by loadSession when the request's cookies
// carry more than one live session: which one the visitor meant cannot be
// told, and picking one would let a planted cookie choose the organization.
var errAmbiguousSession = errors.New("portal: several live session cookies")

// liveSession returns the one live session among the request's session
// cookies. It returns store.ErrNotFound when there is none (store.ErrExpired
// when the only ones found have expired), and errAmbiguousSession when
// several are live: the visitor is then treated as signed out rather than
// signed into whichever cookie came first.
func (p *Portal) liveSession(ctx context.Context, r *http.Request) (*store.PortalSession, error) {
	s, _, err := p.liveSessionToken(ctx, r)
	return s, err
}

// liveSessionToken is liveSession, with the secret of the live session's
// cookie.
func (p *Portal) liveSessionToken(ctx context.Context, r *http.Request) (*store.PortalSession, string, error) {
	toks := p.readSessionTokens(r)
	if len(toks) == 0 {
		return nil, "", store.ErrNotFound
	}
	if len(toks) > maxSessionCookies {
		return nil, "", errAmbiguousSession
	}
	var live *store.PortalSession
	var liveTok string
	expired := false
	for _, tok := range toks {
		s, err := p.st.GetPortalSession(ctx, secret.Digest(tok), p.now().UTC())
		switch {
		case err == nil:
			if live != nil && live.ID != s.ID {
				return nil, "", errAmbiguousSession
			}
			live, liveTok = s, tok
		case errors.Is(err, store.ErrExpired):
			expired = true
		case errors.Is(err, store.ErrNotFound):
		default:
			return nil, "", err
		}
	}
	switch {
	case live != nil:
		return live, liveTok, nil
	case expired:
		return nil, "", store.ErrExpired
	}
	return nil, "", store.ErrNotFound
}

// loadSession returns the live session of the request. It returns
// store.ErrNotFound when there is none (revoking a link deletes its sessions
// in the same write, so a revoked link's session is simply gone),
// store.ErrExpired when it has expired, and errAmbiguousSession when the
// cookies carry several live sessions.
func (p *Portal) loadSession(ctx context.Context, r *http.Request) (*session, error) {
	s, tok, err := p.liveSessionToken(ctx, r)
	if err != nil {
		return nil, err
	}
	org, err := p.st.GetOrganization(ctx, s.OrgID)
	if err != nil {
		return nil, err
	}
	brand, err := p.branding(ctx, s.OrgID)
	if err != nil {
		return nil, err
	}
	return &session{s: s, org: org, brand: brand, token: tok}, nil
}

// sessionHandler is a page handler run under a live session.
type sessionHandler func(w http.ResponseWriter, r *http.Request, s *session)

// requireSession wraps h: the request must carry a live session whose
// features include feature (any session when feature is ""), and a
// state-changing request must come from the portal's origin and carry the
// session's CSRF token. The organization comes only from the session.
func (p *Portal) requireSession(feature store.Feature, h sessionHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		s, err := p.loadSession(ctx, r)
		switch {
		case err == nil:
		case errors.Is(err, store.ErrExpired):
			p.clearSessionCookies(w)
			p.renderProblem(w, r, http.StatusUnauthorized, problemSessionExpired)
			return
		case errors.Is(err, store.ErrNotFound):
			p.renderProblem(w, r, http.StatusUnauthorized, problemNoSession)
			return
		case errors.Is(err, errAmbiguousSession):
			p.log.WarnContext(ctx, "portal: request refused: several live session cookies", "path", logPath(r))
			p.clearSessionCookies(w)
			p.renderProblem(w, r, http.StatusUnauthorized, problemNoSession)
			return
		default:
			p.serverError(w, r, "loading session", err)
			return
		}
		traceOrganization(ctx, s.s.OrgID)
		if feature != "" && !s.s.Features.Has(feature) {
			p.log.InfoContext(ctx, "portal: feature not granted to session", "session_id", s.s.ID, "org_id", s.s.OrgID, "feature", feature, "path", logPath(r))
			p.renderSessionProblem(w, r, s, http.StatusForbidden, problemForbidden)
			return
		}
		if !web.IsSafeMethod(r.Method) {
			if !p.sameOrigin(r, true) {
				p.log.WarnContext(ctx, "portal: cross-origin request refused", "session_id", s.s.ID, "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
				p.renderSessionProblem(w, r, s, http.StatusForbidden, problemCSRF)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, web.MaxFormBytes)
			got := r.Header.Get(csrfHeader)
			if got == "" {
				parse := r.ParseForm
				if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
					parse = func() error { return r.ParseMultipartForm(web.MaxFormBytes) }
				}
				if err := parse(); err != nil {
					p.renderSessionProblem(w, r, s, http.StatusBadRequest, problemBadRequest)
					return
				}
				got = r.PostForm.Get(web.CSRFField)
			}
			if got == "" || s.s.CSRF == "" || !secret.Equal([]byte(got), []byte(s.s.CSRF)) {
				p.log.WarnContext(ctx, "portal: CSRF token missing or wrong", "session_id", s.s.ID, "org_id", s.s.OrgID, "path", logPath(r))
				p.renderSessionProblem(w, r, s, http.StatusForbidden, problemCSRF)
				return
			}
		}
		h(w, r.WithContext(context.WithValue(ctx, sessionKey{}, s)), s)
	})
}

// sameOrigin reports whether a state-changing request comes from a page of
// the portal's own origin. Sec-Fetch-Site decides when present. Without it
// (older browsers, plain http to a host other than localhost) the Origin
// header must be the portal's, which the pages' Referrer-Policy
// strict-origin keeps on their form posts. "Origin: null" (an opaque
// origin such as a sandboxed frame, or a tab opened while the portal still
// sent no-referrer) is accepted only when nullOK (requests that also carry
// the session's CSRF token). Requests with neither header are not from a
// browser and pass: they cannot carry a victim's cookies against the
// victim's will.
func (p *Portal) sameOrigin(r *http.Request, nullOK bool) bool {
	return web.FromOrigin(r, p.origin, nullOK)
}

// logout ends the session and shows a signed-out page.
func (p *Portal) logout(w http.ResponseWriter, r *http.Request, s *session) {
	ev, err := p.event(EventSessionEnded, s.s.OrgID, s.s.ID, "portal:"+s.s.ID, map[string]any{"reason": "signed_out", "link_id": s.s.LinkID})
	if err != nil {
		p.serverError(w, r, "building the sign-out event", err)
		return
	}
	if err := p.st.DeletePortalSession(r.Context(), s.s.ID, ev); err != nil {
		p.serverError(w, r, "deleting session", err)
		return
	}
	p.log.InfoContext(r.Context(), "portal: signed out", "session_id", s.s.ID, "org_id", s.s.OrgID)
	http.SetCookie(w, p.sessionCookie("", s.s.Embedded, time.Time{}))
	http.Redirect(w, r, p.path("/signed-out"), http.StatusSeeOther)
}

// signedOut is the page a sign-out redirects to.
func (p *Portal) signedOut(w http.ResponseWriter, r *http.Request) {
	p.renderProblem(w, r, http.StatusOK, problemSignedOut)
}
