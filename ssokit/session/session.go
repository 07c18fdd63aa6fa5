package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/sessions"

	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// Store is what the session layer needs of onboardkit's Store. Every
// store.Store (memstore, sqlitestore, pgstore) implements it.
type Store interface {
	CreateSession(ctx context.Context, s *store.Session, events ...store.Event) error
	GetSession(ctx context.Context, digest []byte, now time.Time) (*store.Session, error)
	TouchSession(ctx context.Context, id string, now, idleExpiresAt time.Time) error
	EndSessions(ctx context.Context, sel store.SessionSelector, end store.SessionEnd) (int, error)
}

// Config configures a Manager. Store is required; every other field has a
// safe default.
type Config struct {
	// Store keeps the sessions, shared by every instance of the app.
	// Required.
	Store Store

	// Cookies, if set, is a gorilla sessions.Store of the host's (for
	// example a sessions.CookieStore) that carries the session id under
	// the key "onboardkit.session" beside the host's own values. The
	// session is still recorded in Store, so that it can be revoked.
	// Default: nil, the Manager sets its own cookie holding only the id.
	Cookies sessions.Store

	// CookieName names the session cookie (or the host session of
	// Cookies). Default: "__Host-onboardkit_session", or
	// "onboardkit_session" with InsecureCookies.
	CookieName string

	// InsecureCookies drops the Secure flag and the __Host- prefix, so
	// that the cookie works on plain http. For local development only.
	// Default: false.
	InsecureCookies bool

	// IdleTimeout ends a session not used for this long. Default: 1 hour.
	IdleTimeout time.Duration

	// AbsoluteTimeout ends a session this long after login, however
	// active. Default: 12 hours.
	AbsoluteTimeout time.Duration

	// CacheTTL is how long an instance trusts what it last read of a
	// session: a warm request within CacheTTL reads nothing from Store,
	// and a revocation is seen by every instance within CacheTTL.
	// Default: 1 second.
	CacheTTL time.Duration

	// Roles, when set, is the host's roles configuration (the one given to
	// ssokit.Config.Roles): the Profile.Roles of a session of a directory
	// user then follow the roles the Store computes for the user (with the
	// default role when none is mapped), seen within CacheTTL of a group
	// membership or mapping change, without a new login. Default: nil,
	// the roles of the login.
	Roles *roles.Config

	// LoginURL is where RequireLogin sends a browser without a session,
	// with return_to (and organization, when the route pins one) added to
	// its query: typically the SSO handler's start URL. Default:
	// "/sso/start".
	LoginURL string

	// LogoutRedirect is where Logout sends the browser afterwards.
	// Default: "/".
	LogoutRedirect string

	// IdPLogout, when set, is called by Logout once a browser's session
	// has ended, to end the user's session at the identity provider too
	// (SAML Single Logout, OIDC RP-initiated logout): pass the SSO
	// handler's StartLogout. It gets the session's connection, NameID,
	// SessionIndex and ID token, and LogoutRedirect as ReturnTo. When it
	// returns an error (ssokit.ErrNoIdPLogout: the IdP has no logout
	// endpoint) Logout redirects to LogoutRedirect itself. Default: nil,
	// the IdP session is left alone.
	IdPLogout func(w http.ResponseWriter, r *http.Request, opts ssokit.LogoutOptions) error

	// Org, if set, returns the organization a request addresses (from the
	// host's route, say /orgs/{org}/...), or "" for none. RequireLogin
	// accepts only a session of that organization: a session of
	// organization A is never accepted for organization B's pages.
	// Default: nil, any organization.
	Org func(r *http.Request) string

	// Logger receives operator diagnostics. Default: slog.Default().
	Logger *slog.Logger

	// Now is the clock. Default: time.Now.
	Now func() time.Time

	// Rand is the source of session ids. Default: crypto/rand.Reader.
	Rand io.Reader
}

// Manager starts, checks and ends end-user sessions. It is safe for
// concurrent use. It implements gorilla's sessions.Store.
type Manager struct {
	cfg    Config
	st     Store
	log    *slog.Logger
	now    func() time.Time
	rand   io.Reader
	name   string
	csrf   *http.CrossOriginProtection
	touchy time.Duration // minimum interval between two touches of a session

	mu    sync.Mutex
	cache map[string]*entry // by digest
}

// entry is what an instance last read of a session.
type entry struct {
	s       *store.Session
	profile *ssokit.Profile
	fetched time.Time // when s was read from the Store
	touched time.Time // when this instance last wrote a touch
}

// maxCache bounds the cache; beyond it, entries that need a read anyway
// are dropped first.
const maxCache = 100_000

// valueKey is the key of the session id in a host's gorilla session.
const valueKey = "onboardkit.session"

// New validates cfg and returns a Manager.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("session: Config.Store is required")
	}
	if cfg.IdleTimeout < 0 || cfg.AbsoluteTimeout < 0 || cfg.CacheTTL < 0 {
		return nil, errors.New("session: timeouts must not be negative")
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = time.Hour
	}
	if cfg.AbsoluteTimeout == 0 {
		cfg.AbsoluteTimeout = 12 * time.Hour
	}
	if cfg.IdleTimeout > cfg.AbsoluteTimeout {
		cfg.IdleTimeout = cfg.AbsoluteTimeout
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = time.Second
	}
	if cfg.LoginURL == "" {
		cfg.LoginURL = "/sso/start"
	}
	if cfg.LogoutRedirect == "" {
		cfg.LogoutRedirect = "/"
	}
	if ssokit.SanitizeReturnTo(cfg.LogoutRedirect, nil) != cfg.LogoutRedirect {
		return nil, errors.New("session: Config.LogoutRedirect must be a same-origin path")
	}
	m := &Manager{cfg: cfg, st: cfg.Store, log: cfg.Logger, now: cfg.Now, rand: cfg.Rand, name: cfg.CookieName,
		csrf: http.NewCrossOriginProtection(), cache: map[string]*entry{}}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.rand == nil {
		m.rand = rand.Reader
	}
	if m.name == "" {
		m.name = "__Host-onboardkit_session"
		if cfg.InsecureCookies {
			m.name = "onboardkit_session"
		}
	}
	if strings.HasPrefix(m.name, "__Host-") && cfg.InsecureCookies {
		return nil, errors.New("session: a __Host- cookie needs Secure: drop the prefix or InsecureCookies")
	}
	// A touch moves the idle expiry; writing it at most every tenth of the
	// idle timeout (and at most once a minute) keeps warm requests
	// write-free while costing at most a tenth of the idle timeout.
	m.touchy = min(cfg.IdleTimeout/10, time.Minute)
	return m, nil
}

type ctxKey struct{}

// info is what RequireLogin puts in the request's context.
type info struct {
	s       *store.Session
	profile *ssokit.Profile
}

// ProfileFromContext returns the profile of the signed-in user of a
// request that went through RequireLogin.
func ProfileFromContext(ctx context.Context) (*ssokit.Profile, bool) {
	in, ok := ctx.Value(ctxKey{}).(*info)
	if !ok {
		return nil, false
	}
	p := *in.profile
	return &p, true
}

// SessionFromContext returns the stored session of a request that went
// through RequireLogin: its id, organization, NameID, SessionIndex, sid
// and expiry times. Its Digest is not set.
func SessionFromContext(ctx context.Context) (*store.Session, bool) {
	in, ok := ctx.Value(ctxKey{}).(*info)
	if !ok {
		return nil, false
	}
	s := *in.s
	s.Digest, s.Profile = nil, nil
	return &s, true
}

// OnLogin is an ssokit.Config.OnLogin: it starts the session of p (a new
// session id at every login) and redirects the browser to p.ReturnTo.
func (m *Manager) OnLogin(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) {
	if _, err := m.Start(w, r, p); err != nil {
		if errors.Is(err, store.ErrConflict) {
			// The connection or the user was deactivated, or the domain
			// lost, while the login was in flight.
			m.log.InfoContext(r.Context(), "session: access taken away during the login", "err", err, "org", p.OrgID, "connection", p.ConnectionID)
			http.Error(w, "Your access has changed. Please sign in again or contact your administrator.", http.StatusForbidden)
			return
		}
		m.log.ErrorContext(r.Context(), "session: starting a session failed", "err", err, "org", p.OrgID, "connection", p.ConnectionID)
		http.Error(w, "Sign-in could not be completed. Please try again.", http.StatusInternalServerError)
		return
	}
	// ssokit sanitized ReturnTo (same-origin paths, or origins of its
	// ReturnToAllowlist).
	to := p.ReturnTo
	if to == "" {
		to = "/"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// Start starts a session for the verified profile p and sets its cookie. A
// session the browser already holds ends first (reason "replaced"): every
// login gets a new id, so that an id planted before the login (session
// fixation) is worth nothing after it. It returns the stored session, or
// an error wrapping store.ErrConflict when the profile's connection or
// directory user was deactivated, or its email domain stopped being
// verified, since the login was accepted.
func (m *Manager) Start(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) (*store.Session, error) {
	if p == nil || p.OrgID == "" || p.ConnectionID == "" {
		return nil, errors.New("session: a profile with organization and connection is required")
	}
	ctx := r.Context()
	if id, ok := m.cookieID(r); ok {
		m.end(ctx, id, store.SessionEnd{Reason: "replaced", Actor: actorOf(p), At: m.now()})
	}
	var raw [32]byte
	if _, err := io.ReadFull(m.rand, raw[:]); err != nil {
		return nil, fmt.Errorf("session: reading randomness: %w", err)
	}
	var rowID [16]byte
	if _, err := io.ReadFull(m.rand, rowID[:]); err != nil {
		return nil, fmt.Errorf("session: reading randomness: %w", err)
	}
	// The ID token, a credential, is kept apart from the profile: the
	// Store seals it at rest (store/seal), and ProfileFromContext does not
	// carry it.
	stored := *p
	stored.DirectoryUser, stored.IDToken = nil, ""
	profile, err := json.Marshal(&stored)
	if err != nil {
		return nil, fmt.Errorf("session: encoding profile: %w", err)
	}
	now := m.now().UTC()
	s := &store.Session{
		ID:           "ses_" + hex.EncodeToString(rowID[:]),
		Digest:       digest(raw[:]),
		OrgID:        p.OrgID,
		ConnectionID: p.ConnectionID,
		Subject:      p.Subject,
		Profile:      profile,
		IDToken:      p.IDToken,
		CreatedAt:    now, LastSeenAt: now,
		IdleExpiresAt: now.Add(m.cfg.IdleTimeout),
		ExpiresAt:     now.Add(m.cfg.AbsoluteTimeout),
	}
	if p.DirectoryUser != nil {
		s.UserID = p.DirectoryUser.ID
	}
	if p.EmailVerified {
		if _, dom, ok := strings.Cut(p.Email, "@"); ok {
			s.EmailDomain = strings.ToLower(dom)
		}
	}
	switch p.Protocol {
	case store.ProtocolSAML:
		s.NameID, s.SessionIndex = p.Subject, p.SessionIndex
	case store.ProtocolOIDC:
		s.SID = p.SID
		if v := p.Attributes["sid"]; s.SID == "" && len(v) > 0 {
			s.SID = v[0]
		}
	}
	ev := store.Event{
		ID: "evt_" + hex.EncodeToString(rowID[:]), Type: "session.started", OrgID: s.OrgID, Subject: s.ID,
		Actor: actorOf(p), CreatedAt: now,
	}
	ev.Data, _ = json.Marshal(map[string]string{"connection_id": s.ConnectionID, "user_id": s.UserID, "profile_id": p.ID})
	if err := m.st.CreateSession(ctx, s, ev); err != nil {
		return nil, err
	}
	if err := m.setCookie(w, r, base64.RawURLEncoding.EncodeToString(raw[:]), m.cfg.AbsoluteTimeout); err != nil {
		return nil, err
	}
	m.remember(string(s.Digest), &entry{s: s, profile: &stored, fetched: now, touched: now})
	return s, nil
}

func actorOf(p *ssokit.Profile) string { return "user:" + p.ID }

func digest(raw []byte) []byte {
	d := sha256.Sum256(raw)
	return d[:]
}

// cookieID returns the session id the request carries, decoded. A value
// that is not 32 bytes of base64url is no session.
func (m *Manager) cookieID(r *http.Request) ([]byte, bool) {
	var v string
	if m.cfg.Cookies != nil {
		hs, err := m.cfg.Cookies.Get(r, m.name)
		if err != nil || hs == nil {
			return nil, false
		}
		v, _ = hs.Values[valueKey].(string)
	} else {
		c, err := r.Cookie(m.name)
		if err != nil {
			return nil, false
		}
		v = c.Value
	}
	if len(v) != 43 {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil || len(raw) != 32 {
		return nil, false
	}
	return raw, true
}

// setCookie stores the session id value in the browser for maxAge; a
// negative maxAge deletes it.
func (m *Manager) setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge time.Duration) error {
	secs := int(maxAge / time.Second)
	if maxAge < 0 {
		secs = -1
	}
	if m.cfg.Cookies != nil {
		hs, err := m.cfg.Cookies.Get(r, m.name)
		if hs == nil {
			return fmt.Errorf("session: host session store: %w", err)
		}
		if value == "" {
			delete(hs.Values, valueKey)
		} else {
			hs.Values[valueKey] = value
		}
		return hs.Save(r, w)
	}
	http.SetCookie(w, &http.Cookie{
		Name: m.name, Value: value, Path: "/", MaxAge: secs,
		HttpOnly: true, Secure: !m.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// lookup returns the active session of the request, from the cache when
// it was read within CacheTTL, else from the Store. ok is false when the
// request has no session or it ended or expired; bad is true when a cookie
// was presented that names no active session.
func (m *Manager) lookup(r *http.Request) (e entry, ok, bad bool) {
	raw, present := m.cookieID(r)
	if !present {
		_, err := r.Cookie(m.name)
		return entry{}, false, err == nil && m.cfg.Cookies == nil
	}
	key := string(digest(raw))
	now := m.now()
	m.mu.Lock()
	c := m.cache[key]
	if c != nil && now.Sub(c.fetched) < m.cfg.CacheTTL && now.Sub(c.fetched) >= 0 {
		e = *c
		m.mu.Unlock()
		if !e.s.Active(now) {
			return entry{}, false, true
		}
		m.maybeTouch(r.Context(), key, &e, now)
		return e, true, false
	}
	m.mu.Unlock()
	s, err := m.st.GetSession(r.Context(), []byte(key), now)
	if err != nil {
		m.forget(key)
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrRevoked) && !errors.Is(err, store.ErrExpired) {
			m.log.ErrorContext(r.Context(), "session: reading a session failed", "err", err)
		}
		return entry{}, false, true
	}
	var p ssokit.Profile
	if err := json.Unmarshal(s.Profile, &p); err != nil {
		m.log.ErrorContext(r.Context(), "session: stored profile does not decode", "session", s.ID, "err", err)
		return entry{}, false, true
	}
	if m.cfg.Roles != nil && s.UserID != "" {
		p.Roles = m.cfg.Roles.Effective(s.UserRoles)
	}
	e = entry{s: s, profile: &p, fetched: now}
	if c != nil {
		e.touched = c.touched
	}
	m.maybeTouch(r.Context(), key, &e, now)
	m.remember(key, &e)
	return e, true, false
}

// maybeTouch moves the session's idle expiry when it was last moved by
// this instance more than touchy ago; the write is skipped otherwise, so
// that a warm request writes nothing.
func (m *Manager) maybeTouch(ctx context.Context, key string, e *entry, now time.Time) {
	if now.Sub(e.touched) < m.touchy && !e.touched.IsZero() {
		return
	}
	idle := now.Add(m.cfg.IdleTimeout)
	if err := m.st.TouchSession(ctx, e.s.ID, now, idle); err != nil {
		m.log.WarnContext(ctx, "session: touch failed", "session", e.s.ID, "err", err)
		return
	}
	s := *e.s
	s.LastSeenAt = now
	if idle.After(s.ExpiresAt) {
		idle = s.ExpiresAt
	}
	if idle.After(s.IdleExpiresAt) {
		s.IdleExpiresAt = idle
	}
	e.s, e.touched = &s, now
	m.mu.Lock()
	if c := m.cache[key]; c != nil {
		c.s, c.touched = &s, now
	}
	m.mu.Unlock()
}

func (m *Manager) remember(key string, e *entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.cache) >= maxCache {
		now := m.now()
		for k, c := range m.cache {
			if now.Sub(c.fetched) >= m.cfg.CacheTTL {
				delete(m.cache, k)
			}
		}
		for k := range m.cache {
			if len(m.cache) < maxCache {
				break
			}
			delete(m.cache, k)
		}
	}
	m.cache[key] = e
}

func (m *Manager) forget(key string) {
	m.mu.Lock()
	delete(m.cache, key)
	m.mu.Unlock()
}

// end ends the session with this raw id. An empty end.Actor becomes the
// session's user.
func (m *Manager) end(ctx context.Context, raw []byte, end store.SessionEnd) (*store.Session, error) {
	d := digest(raw)
	m.forget(string(d))
	s, err := m.st.GetSession(ctx, d, end.At)
	if s == nil {
		return nil, err
	}
	if end.Actor == "" {
		end.Actor = "system"
		var p ssokit.Profile
		if json.Unmarshal(s.Profile, &p) == nil && p.ID != "" {
			end.Actor = actorOf(&p)
		}
	}
	if _, err := m.st.EndSessions(ctx, store.SessionSelector{SessionDigest: d}, end); err != nil {
		return nil, err
	}
	return s, nil
}

// End ends the request's session and deletes its cookie, for a host's own
// logout flow (an SLO that must send the browser on to the IdP, say). It
// returns the session as it was (with its NameID, SessionIndex or sid) or
// nil when the request had none. It performs no CSRF check: call it only
// from a POST the host has checked, such as Logout's.
func (m *Manager) End(w http.ResponseWriter, r *http.Request, reason string) (*store.Session, error) {
	raw, ok := m.cookieID(r)
	if !ok {
		return nil, nil
	}
	s, err := m.end(r.Context(), raw, store.SessionEnd{Reason: reason, At: m.now()})
	if cerr := m.setCookie(w, r, "", -1); err == nil {
		err = cerr
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return s, err
}

// CSRFToken returns the token a logout form of this request's session
// must post as "csrf_token", or "" when the request has no session. It is
// derived from the session id, which only the browser's HttpOnly cookie
// holds.
func (m *Manager) CSRFToken(r *http.Request) string {
	raw, ok := m.cookieID(r)
	if !ok {
		return ""
	}
	return csrfToken(raw)
}

func csrfToken(raw []byte) string {
	h := sha256.New()
	h.Write([]byte("onboardkit session csrf\x00"))
	h.Write(raw)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// Logout returns the logout handler: a POST that ends the session and
// deletes its cookie, then redirects to LogoutRedirect (303), or answers
// 204 to an API client. It refuses (403) a cross-origin request (by
// Sec-Fetch-Site or Origin, see http.CrossOriginProtection) and a request
// whose form field csrf_token, or header X-CSRF-Token, is not CSRFToken's.
// Any other method is 405: a GET never logs out (link prefetchers would).
func (m *Manager) Logout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
			return
		}
		if err := m.csrf.Check(r); err != nil {
			http.Error(w, "Forbidden.", http.StatusForbidden)
			return
		}
		raw, ok := m.cookieID(r)
		if ok {
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" {
				tok = r.PostFormValue("csrf_token")
			}
			if subtle.ConstantTimeCompare([]byte(tok), []byte(csrfToken(raw))) != 1 {
				http.Error(w, "Forbidden.", http.StatusForbidden)
				return
			}
			s, err := m.End(w, r, store.SessionEndedLogout)
			if err != nil {
				m.log.ErrorContext(r.Context(), "session: logout failed", "err", err)
				http.Error(w, "Sign-out failed. Please try again.", http.StatusInternalServerError)
				return
			}
			if s != nil && m.cfg.IdPLogout != nil && !isAPI(r) {
				err := m.cfg.IdPLogout(w, r, idpLogoutOptions(s, m.cfg.LogoutRedirect))
				if err == nil {
					return
				}
				if !errors.Is(err, ssokit.ErrNoIdPLogout) {
					m.log.WarnContext(r.Context(), "session: IdP logout failed; signed out locally", "connection", s.ConnectionID, "err", err)
				}
			}
		}
		if isAPI(r) {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		http.Redirect(w, r, m.cfg.LogoutRedirect, http.StatusSeeOther)
	})
}

// idpLogoutOptions names the IdP session of s for ssokit.StartLogout.
func idpLogoutOptions(s *store.Session, returnTo string) ssokit.LogoutOptions {
	o := ssokit.LogoutOptions{ConnectionID: s.ConnectionID, NameID: s.NameID, SessionIndex: s.SessionIndex, ReturnTo: returnTo, IDToken: s.IDToken}
	var p ssokit.Profile
	if json.Unmarshal(s.Profile, &p) == nil {
		o.NameIDFormat = p.SubjectFormat
	}
	return o
}

// RequireLogin is middleware that lets through only requests with an
// active session (of the organization Config.Org names, when set), with
// its profile in the context (ProfileFromContext). Without one, a browser
// is redirected (303) to LoginURL with return_to set to the request's path
// and query (GET and HEAD only), and an API client (Accept:
// application/json without text/html, or X-Requested-With) gets 401 with a
// JSON body {"error":"login_required","login_url":...}. A cookie that
// names no active session is deleted.
func (m *Manager) RequireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, ok, bad := m.lookup(r)
		org := ""
		if m.cfg.Org != nil {
			org = m.cfg.Org(r)
		}
		if ok && org != "" && e.s.OrgID != org {
			ok = false
		}
		if !ok {
			if bad {
				_ = m.setCookie(w, r, "", -1)
			}
			m.unauthenticated(w, r, org)
			return
		}
		ctx := context.WithValue(r.Context(), ctxKey{}, &info{s: e.s, profile: e.profile})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Current returns the profile of the request's active session, for a page
// that shows more to a signed-in user but is open to everyone. It does not
// check Config.Org: a route of one organization uses RequireLogin.
func (m *Manager) Current(r *http.Request) (*ssokit.Profile, bool) {
	e, ok, _ := m.lookup(r)
	if !ok {
		return nil, false
	}
	p := *e.profile
	return &p, true
}

// LoginURLFor returns where RequireLogin sends a browser without a session
// for r: LoginURL with return_to and, when org is not empty, organization.
func (m *Manager) LoginURLFor(r *http.Request, org string) string {
	q := url.Values{}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		q.Set("return_to", ssokit.SanitizeReturnTo(r.URL.RequestURI(), nil))
	}
	if org != "" {
		q.Set("organization", org)
	}
	sep := "?"
	if strings.Contains(m.cfg.LoginURL, "?") {
		sep = "&"
	}
	if len(q) == 0 {
		return m.cfg.LoginURL
	}
	return m.cfg.LoginURL + sep + q.Encode()
}

func (m *Manager) unauthenticated(w http.ResponseWriter, r *http.Request, org string) {
	login := m.LoginURLFor(r, org)
	w.Header().Add("Vary", "Accept")
	w.Header().Set("Cache-Control", "no-store")
	if isAPI(r) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "login_required", "login_url": login})
		return
	}
	http.Redirect(w, r, login, http.StatusSeeOther)
}

// isAPI tells an API client from a browser navigation.
func isAPI(r *http.Request) bool {
	if r.Header.Get("X-Requested-With") != "" {
		return true
	}
	acc := r.Header.Get("Accept")
	return strings.Contains(acc, "application/json") && !strings.Contains(acc, "text/html")
}

// EndUserSessions ends every session of the organization's directory user
// (an operator's or IT admin's "sign this user out"), on every instance
// within CacheTTL. actor is recorded in the events.
func EndUserSessions(ctx context.Context, st Store, orgID, userID, actor string, now time.Time) (int, error) {
	if orgID == "" || userID == "" {
		return 0, errors.New("session: organization and user are required")
	}
	return st.EndSessions(ctx, store.SessionSelector{OrgID: orgID, UserID: userID},
		store.SessionEnd{Reason: store.SessionEndedRevoked, Actor: actor, At: now})
}

// EndOrganizationSessions ends every session of the organization ("sign
// everyone out").
func EndOrganizationSessions(ctx context.Context, st Store, orgID, actor string, now time.Time) (int, error) {
	if orgID == "" {
		return 0, errors.New("session: organization is required")
	}
	return st.EndSessions(ctx, store.SessionSelector{OrgID: orgID},
		store.SessionEnd{Reason: store.SessionEndedRevoked, Actor: actor, At: now})
}
