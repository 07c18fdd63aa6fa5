package ssokit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit/internal/netutil"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

// Config configures an SSO handler. Store, BaseURL and OnLogin are required;
// every other field has a safe default.
type Config struct {
	// Store keeps connections, pending login requests, the replay cache and
	// events. Required.
	Store Store

	// BaseURL is the public URL where the handler is mounted, for example
	// "https://app.example.com/sso". ACS, metadata and callback URLs are
	// derived from it, so it must be exactly what browsers and IdPs see.
	// Required; https unless it is a loopback address.
	BaseURL string

	// OnLogin is called after a successful login with the verified profile.
	// The host signs its user in (sets its own session) and redirects,
	// typically to p.ReturnTo. Required.
	OnLogin func(w http.ResponseWriter, r *http.Request, p *Profile)

	// OnTestResult is called at the end of a "test connection" flow instead
	// of OnLogin, with the claims received or the diagnosis. Default: a
	// minimal page that lists the result. The result is also recorded as an
	// sso.connection.tested or sso.connection.test_failed event.
	OnTestResult func(w http.ResponseWriter, r *http.Request, res *TestResult)

	// ErrorHandler renders failures to the browser. err is a *LoginError or
	// one of the sentinel errors; use StatusCode(err) for the status. It must
	// not show err's text to the user. Default: a generic page with
	// StatusCode(err).
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// Logger receives operator diagnostics. Default: slog.Default().
	Logger *slog.Logger

	// Now is the clock. Default: time.Now.
	Now func() time.Time

	// Rand is the source of ids, nonces and browser-binding secrets.
	// Default: crypto/rand.Reader.
	Rand io.Reader

	// HTTPClient is used for OIDC discovery, token and JWKS requests and for
	// IdP metadata. Its transport is wrapped to refuse private addresses
	// unless InsecureAllowPrivateNetworks is set, and every response body is
	// capped at 1 MiB (or MaxResponseSize when larger); a client with no
	// Timeout gets 10 seconds. Default: a client with a 10 second timeout.
	HTTPClient *http.Client

	// ClockSkew is the tolerance applied to every time check (NotBefore,
	// NotOnOrAfter, IssueInstant, exp, nbf, iat). Default: 3 minutes.
	ClockSkew time.Duration

	// ReturnToAllowlist lists origins ("https://app.example.com") that
	// return_to and RelayState may point to besides same-origin paths.
	// Default: none, only paths.
	ReturnToAllowlist []string

	// RequestTTL is how long a started login may take. Default: 10 minutes.
	RequestTTL time.Duration

	// MaxResponseSize caps the SAML POST body and the metadata documents.
	// Default: 256 KiB.
	MaxResponseSize int64

	// MetadataRefreshInterval is how often Run refreshes IdP metadata URLs
	// and cleans the Store up (Cleanup). Default: 1 hour.
	MetadataRefreshInterval time.Duration

	// CertificateExpiryWarning is how long before an IdP certificate expires
	// Run starts reporting it with sso.connection.certificate_expiring
	// events. Default: 30 days.
	CertificateExpiryWarning time.Duration

	// EventRetention is how long Run keeps events in the outbox: each run
	// removes the events older than this that every durable consumer
	// (events.Subscriber, events.WebhookSender) has processed, and never
	// one that a consumer has not. Pull API clients must read within this
	// period. Default: 90 days. A negative value keeps events forever.
	EventRetention time.Duration

	// Limits are the request rates of each connection's endpoints. A
	// request over a limit gets 429 with Retry-After (through
	// ErrorHandler, with ErrTooManyRequests). Each field's zero value is
	// its default (see DefaultLimits).
	Limits Limits

	// InsecureAllowPrivateNetworks lets metadata URLs and OIDC issuers use
	// plain http and resolve to loopback, private or link-local addresses.
	// For development and tests against local IdPs only. Default: false.
	InsecureAllowPrivateNetworks bool

	// Roles, when set, makes onboardkit give Profile.Roles from the
	// organization's role mappings (see roles.Config.ForLogin): the roles
	// the Store computed for the user's directory user when the directory
	// provisioned one, else the roles mapped from the group values the
	// identity provider sent (Profile.Groups and the values of its roles
	// attribute), falling back to the default role. An unmapped value
	// reaches the host only with Roles.PassThrough. When nil, Profile.Roles
	// are the identity provider's role values as received. Its Fields
	// give Profile.Custom (see "Custom attributes" in the package doc).
	Roles *roles.Config

	// TracerProvider receives the spans of logins: onboardkit.sso.start
	// (with onboardkit.sso.idp_redirect), onboardkit.sso.acs and
	// onboardkit.sso.oidc_callback (with onboardkit.sso.verify and
	// onboardkit.sso.commit); see "Telemetry" in docs/operations.md.
	// Default: otel.GetTracerProvider(), a no-op unless the host set one.
	TracerProvider trace.TracerProvider

	// MeterProvider receives the login metrics (onboardkit.sso.logins by
	// protocol, result and reason; onboardkit.sso.login.duration); the
	// Store counts onboardkit.events.produced. Default:
	// otel.GetMeterProvider(), a no-op unless the host set one.
	MeterProvider metric.MeterProvider
}

// Limits are the rates of Config.Limits, local to each app instance:
// they keep one connection (a misbehaving IdP, or junk posted to its URLs)
// from taking every cycle, and the Store from filling with its refusals.
type Limits struct {
	// PerConnection is the rate of one connection's ACS or OIDC callback
	// requests, and separately of its logout requests (SAML SLO, OIDC
	// back-channel logout). It is checked once the connection is known,
	// before the message is parsed or its signature checked. Default 25
	// per second, bursts of 100: a whole company signing in at 9 o'clock
	// stays well under it.
	PerConnection limits.Rate
	// RefusalEvents is the rate at which a connection's refused logout
	// messages are recorded as sso.logout.failed events. Anyone can post
	// junk to a logout URL; past this rate a refusal is only logged, so
	// junk cannot flood the Store. Default one a minute, bursts of 10.
	RefusalEvents limits.Rate
}

// DefaultLimits are the limits of a zero Config.Limits.
var DefaultLimits = Limits{
	PerConnection: limits.Rate{PerSecond: 25, Burst: 100},
	RefusalEvents: limits.Rate{PerSecond: 1.0 / 60, Burst: 10},
}

// SSO is the SSO handler. It is an http.Handler serving, under its mount
// point:
//
//	GET  /start?connection=|organization=|email=&return_to=   start a login
//	GET  /saml/{connection}/metadata                          SP metadata
//	POST /saml/{connection}/acs                               assertion consumer service
//	GET  /oidc/{connection}/callback                          OIDC redirect URI
//	GET|POST /saml/{connection}/slo                           SAML Single Logout (both bindings)
//	GET  /oidc/{connection}/logout                            OIDC post_logout_redirect_uri
//	POST /oidc/{connection}/backchannel-logout                OIDC Back-Channel Logout
type SSO struct {
	cfg    Config
	base   *url.URL
	st     Store
	log    *slog.Logger
	now    func() time.Time
	rand   io.Reader
	client *http.Client
	mux    *http.ServeMux
	allow  map[string]bool

	perConn  *limits.Keyed // "login:" or "logout:" + connection id
	refusals *limits.Keyed // connection id
	logged   *limits.Keyed // which refusals over a limit to log
	tel      *telemetry.Logins

	mu   sync.Mutex
	saml map[string]*samlSP
	oidc map[string]*oidcRP
	// conns caches connection rows for the ACS (see handleACS).
	conns map[string]*store.Connection
}

// New validates cfg and returns the handler.
func New(cfg Config) (*SSO, error) {
	if cfg.Store == nil {
		return nil, errors.New("ssokit: Config.Store is required")
	}
	if cfg.OnLogin == nil {
		return nil, errors.New("ssokit: Config.OnLogin is required")
	}
	base, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") ||
		base.RawQuery != "" || base.Fragment != "" || base.User != nil {
		return nil, fmt.Errorf("ssokit: Config.BaseURL %q must be an absolute http(s) URL without query", cfg.BaseURL)
	}
	if base.Scheme == "http" && !netutil.IsLoopbackHost(base.Hostname()) {
		return nil, fmt.Errorf("ssokit: Config.BaseURL %q must use https", cfg.BaseURL)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = 3 * time.Minute
	}
	if cfg.ClockSkew < 0 {
		return nil, errors.New("ssokit: Config.ClockSkew must not be negative")
	}
	cfg.Limits.PerConnection = cfg.Limits.PerConnection.Or(DefaultLimits.PerConnection)
	cfg.Limits.RefusalEvents = cfg.Limits.RefusalEvents.Or(DefaultLimits.RefusalEvents)
	if err := errors.Join(cfg.Limits.PerConnection.Validate("ssokit: Config.Limits.PerConnection"),
		cfg.Limits.RefusalEvents.Validate("ssokit: Config.Limits.RefusalEvents")); err != nil {
		return nil, err
	}
	if cfg.Roles != nil {
		if err := cfg.Roles.Validate(); err != nil {
			return nil, fmt.Errorf("ssokit: Config.Roles: %w", err)
		}
	}
	if cfg.RequestTTL <= 0 {
		cfg.RequestTTL = 10 * time.Minute
	}
	if cfg.MaxResponseSize <= 0 {
		cfg.MaxResponseSize = 256 << 10
	}
	if cfg.MetadataRefreshInterval <= 0 {
		cfg.MetadataRefreshInterval = time.Hour
	}
	if cfg.CertificateExpiryWarning <= 0 {
		cfg.CertificateExpiryWarning = 30 * 24 * time.Hour
	}
	if cfg.EventRetention == 0 {
		cfg.EventRetention = store.DefaultEventRetention
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = defaultErrorHandler
	}
	if cfg.OnTestResult == nil {
		cfg.OnTestResult = defaultTestResult
	}
	allow := map[string]bool{}
	for _, o := range cfg.ReturnToAllowlist {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("ssokit: Config.ReturnToAllowlist entry %q must be an origin like https://app.example.com", o)
		}
		allow[strings.ToLower(u.Scheme+"://"+u.Host)] = true
	}
	allow[strings.ToLower(base.Scheme+"://"+base.Host)] = true
	tel, err := telemetry.NewLogins(cfg.TracerProvider, cfg.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("ssokit: telemetry: %w", err)
	}

	s := &SSO{
		tel:   tel,
		cfg:   cfg,
		base:  base,
		st:    cfg.Store,
		log:   cfg.Logger,
		now:   cfg.Now,
		rand:  cfg.Rand,
		allow: allow,
		saml:  map[string]*samlSP{},
		oidc:  map[string]*oidcRP{},
		conns: map[string]*store.Connection{},

		perConn:  limits.NewKeyed(cfg.Limits.PerConnection, cfg.Now),
		refusals: limits.NewKeyed(cfg.Limits.RefusalEvents, cfg.Now),
		logged:   limits.NewLogSampler(cfg.Now),
	}
	s.client = guardedClient(cfg.HTTPClient, cfg.InsecureAllowPrivateNetworks, cfg.MaxResponseSize+1)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /start", s.handleStart)
	mux.HandleFunc("GET /saml/{connection}/metadata", s.handleSAMLMetadata)
	mux.HandleFunc("POST /saml/{connection}/acs", s.handleACS)
	mux.HandleFunc("GET /saml/{connection}/acs", s.handleACSGet)
	mux.HandleFunc("GET /oidc/{connection}/callback", s.handleOIDCCallback)
	mux.HandleFunc("GET /saml/{connection}/slo", s.handleSLO)
	mux.HandleFunc("POST /saml/{connection}/slo", s.handleSLO)
	mux.HandleFunc("GET /oidc/{connection}/logout", s.handleOIDCLogoutReturn)
	mux.HandleFunc("POST /oidc/{connection}/backchannel-logout", s.handleBackChannelLogout)
	s.mux = mux
	return s, nil
}

// ServeHTTP routes the SSO endpoints.
func (s *SSO) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SAMLEntityID returns the SP entity id of a SAML connection: the URL of its
// SP metadata. It is what the IT admin enters as "Audience" or "Entity ID"
// in the IdP.
func (s *SSO) SAMLEntityID(connectionID string) string {
	return s.base.String() + "/saml/" + url.PathEscape(connectionID) + "/metadata"
}

// SAMLACSURL returns the assertion consumer service URL of a SAML
// connection ("Single sign-on URL" / "Reply URL" in the IdP).
func (s *SSO) SAMLACSURL(connectionID string) string {
	return s.base.String() + "/saml/" + url.PathEscape(connectionID) + "/acs"
}

// SAMLSLOURL returns the Single Logout URL of a SAML connection, for both
// the HTTP-Redirect and HTTP-POST bindings ("Single Logout URL" / "SLO
// Response URL" in the IdP). It is also in the SP metadata.
func (s *SSO) SAMLSLOURL(connectionID string) string {
	return s.base.String() + "/saml/" + url.PathEscape(connectionID) + "/slo"
}

// OIDCPostLogoutRedirectURL returns the post_logout_redirect_uri of an OIDC
// connection, to be registered exactly in the IdP's client for
// RP-initiated logout.
func (s *SSO) OIDCPostLogoutRedirectURL(connectionID string) string {
	return s.base.String() + "/oidc/" + url.PathEscape(connectionID) + "/logout"
}

// OIDCBackChannelLogoutURL returns the Back-Channel Logout URI of an OIDC
// connection, to be registered in the IdP's client
// (backchannel_logout_uri).
func (s *SSO) OIDCBackChannelLogoutURL(connectionID string) string {
	return s.base.String() + "/oidc/" + url.PathEscape(connectionID) + "/backchannel-logout"
}

// OIDCRedirectURL returns the redirect URI of an OIDC connection, to be
// registered exactly in the IdP's client.
func (s *SSO) OIDCRedirectURL(connectionID string) string {
	return s.base.String() + "/oidc/" + url.PathEscape(connectionID) + "/callback"
}

// overLimit takes one request of kind ("login" or "logout") from conn's
// allowance (Config.Limits.PerConnection). When there is none left it
// sets Retry-After, logs, and reports how long to wait; the caller answers
// 429.
func (s *SSO) overLimit(w http.ResponseWriter, r *http.Request, kind string, conn *store.Connection) bool {
	key := kind + ":" + conn.ID
	wait := s.perConn.Allow(key)
	if wait <= 0 {
		return false
	}
	limits.SetRetryAfter(w, wait)
	if s.logged.Allow(key) == 0 {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "ssokit: connection over its request rate (logged once a minute)",
			slog.String("endpoint", kind), slog.String("connection", conn.ID), slog.String("org", conn.OrgID))
	}
	return true
}

// fail logs err for operators and renders it through ErrorHandler. It
// returns err, what the request ended with (see traceLogin).
func (s *SSO) fail(w http.ResponseWriter, r *http.Request, err error) error {
	var le *LoginError
	if errors.As(err, &le) {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "ssokit: login refused",
			slog.String("reason", string(le.Reason)),
			slog.String("connection", le.ConnectionID),
			slog.String("org", le.OrgID),
			slog.String("detail", le.Detail),
			slog.Any("err", le.Err))
	} else {
		lvl := slog.LevelInfo
		if StatusCode(err) >= 500 {
			lvl = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), lvl, "ssokit: request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	s.cfg.ErrorHandler(w, r, err)
	return err
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in</title></head>
<body><h1>{{.Title}}</h1><p data-testid="advice">{{.Advice}}</p></body></html>
`))

// UserMessage returns what to tell the person whose sign-in failed with
// err: a title and what they can do. It names no internal cause; the
// refusals that only the person's organization can lift (not provisioned,
// deactivated or removed by its directory) say so, so that the person asks
// their IT admin rather than retrying.
func UserMessage(err error) (title, advice string) {
	title, advice = "Sign-in failed", "Please try again, or contact your administrator."
	var le *LoginError
	switch {
	case errors.Is(err, ErrNoSSO):
		title = "Single sign-on is not set up for this email domain"
	case errors.Is(err, ErrConnectionNotFound):
		title = "Unknown sign-in connection"
	case errors.Is(err, ErrInvalidEmail):
		title = "Invalid email address"
	case errors.Is(err, ErrTooManyRequests):
		title, advice = "Too many sign-in attempts", "Wait a moment, then try again."
	case !errors.As(err, &le):
	case le.Reason == ReasonNotProvisioned:
		title = "Your account has not been set up for this application"
		advice = "Your organization lets in only people its directory has assigned to this application. Ask your IT admin to assign you."
	case le.Reason == ReasonUserDeactivated, le.Reason == ReasonUserDeprovisioned:
		title = "Your access to this application has been removed"
		advice = "Your organization's directory has removed your access. Signing in again will not restore it: ask your IT admin if you think this is a mistake."
	}
	return title, advice
}

func defaultErrorHandler(w http.ResponseWriter, r *http.Request, err error) {
	code := StatusCode(err)
	title, advice := UserMessage(err)
	setNoStore(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	w.WriteHeader(code)
	_ = errorPage.Execute(w, struct{ Title, Advice string }{title, advice})
}

func setNoStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

// newID returns an id for events and requests.
func (s *SSO) newID(prefix string) (string, error) { return secret.NewID(s.rand, prefix) }

func (s *SSO) getConnection(ctx context.Context, id string) (*store.Connection, error) {
	if id == "" || len(id) > 200 {
		return nil, ErrConnectionNotFound
	}
	c, err := s.st.GetConnection(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrConnectionNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("ssokit: loading connection: %w", err)
	}
	return c, nil
}

func cryptoRand() io.Reader { return rand.Reader }

// cachedConnection returns the connection id from the cache (cached is
// true) or from the Store. A cached row is shared: it must not be changed,
// and it may be stale, which the final write of a login detects (its
// Version is checked). Rows of a Store that keeps no Version are never
// cached.
func (s *SSO) cachedConnection(ctx context.Context, id string) (c *store.Connection, cached bool, err error) {
	s.mu.Lock()
	c = s.conns[id]
	s.mu.Unlock()
	if c != nil {
		return c, true, nil
	}
	c, err = s.getConnection(ctx, id)
	if err != nil {
		return nil, false, err
	}
	s.rememberConnection(c)
	return c, false, nil
}

// rememberConnection caches c (see cachedConnection).
func (s *SSO) rememberConnection(c *store.Connection) {
	if c.Version == 0 {
		return
	}
	s.mu.Lock()
	putBounded(s.conns, c.ID, c)
	s.mu.Unlock()
}

// forgetConnection drops the cached row of connection id.
func (s *SSO) forgetConnection(id string) {
	s.mu.Lock()
	delete(s.conns, id)
	s.mu.Unlock()
}

// storedConnection reads the SAML connection c from the Store again, for
// a decision reached with a cached copy, and reports whether it changed
// (caching the stored row).
func (s *SSO) storedConnection(ctx context.Context, c *store.Connection) (*store.Connection, bool, error) {
	fresh, err := s.getConnection(ctx, c.ID)
	if err == nil && fresh.Protocol != store.ProtocolSAML {
		err = ErrConnectionNotFound
	}
	if err != nil {
		s.forgetConnection(c.ID)
		return nil, false, err
	}
	if revOf(fresh).matches(c) {
		return c, false, nil
	}
	s.rememberConnection(fresh)
	return fresh, true, nil
}
