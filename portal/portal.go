package portal

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/net/publicsuffix"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/netutil"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
)

// Default session durations. Each is the value a zero field of Config
// takes.
const (
	DefaultEmbeddedSessionTTL  = 6 * time.Hour
	DefaultShareableSessionTTL = 6 * time.Hour
	DefaultSessionWarning      = 5 * time.Minute
)

// Config configures a Portal. Store and Admin are required; every other
// field has a safe default.
type Config struct {
	// Store keeps the portal's sessions and what its pages show. Required;
	// usually the Store the Admin service was given.
	Store Store

	// Admin is the service the portal's changes go through: domains,
	// connection and directory activation. Its PortalURL is where the links
	// it issues point. Required.
	Admin *admin.Admin

	// BaseURL is the public URL at which the host mounts the portal, such as
	// "https://app.example.com/portal". Its path is the session cookie's
	// Path, and its origin is the only origin allowed to post the portal's
	// forms. It must be https, except on localhost, 127.0.0.1 or [::1] for
	// development. Default: Admin.PortalURL(), which it must equal when
	// set.
	BaseURL string

	// FrameAncestors are the origins of host pages allowed to embed the
	// portal in an iframe, such as "https://app.example.com". Each must be an
	// https origin (scheme, host, optional port, nothing else), or an http
	// origin on localhost, 127.0.0.1 or [::1]. "*" is refused. Empty (the
	// default) forbids framing: frame-ancestors 'none'.
	FrameAncestors []string

	// EmbeddedSessionTTL is the absolute lifetime of a session started from
	// an embedded link. Default 6 hours.
	EmbeddedSessionTTL time.Duration
	// ShareableSessionTTL is the absolute lifetime of a session started from
	// a shareable link. Default 6 hours: the link stays valid for days, so an
	// admin whose session ends simply opens the link again.
	ShareableSessionTTL time.Duration
	// SessionWarning is how long before a session's expiry the page warns
	// the user and posts PORTAL_SESSION_WARNING. Default 5 minutes. It must
	// be shorter than both session lifetimes.
	SessionWarning time.Duration

	// LinkAttempts limits how often one client address may open (GET /l)
	// or redeem (POST /l) portal links. The attempts are counted in the
	// Store (store.RateStore), so every app instance shares one count and
	// spreading guesses over instances gains nothing. Over the limit the
	// visitor gets a 429 page with Retry-After. Default
	// DefaultLinkAttempts.
	LinkAttempts limits.Window

	// TrustedProxies are the addresses of the host's reverse proxies and
	// load balancers, whose X-Forwarded-For is believed when counting per
	// client address (see limits.ClientIP). Default: none, the connection's
	// address counts.
	TrustedProxies []netip.Prefix

	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Rand is the source of session ids, session secrets and CSRF tokens.
	// Default crypto/rand.
	Rand io.Reader
	// Logger receives operator diagnostics. Tokens are never logged.
	// Default slog.Default().
	Logger *slog.Logger

	// SCIM is the SCIM server whose directories the portal's directory-sync
	// section sets up: creating a directory, its endpoint URL, bearer
	// tokens (shown once, rotated, revoked). Default nil: the section only
	// lists the organization's directories and their users and groups.
	SCIM *scimkit.Server

	// SSO is the SSO kit whose connections the portal's single sign-on
	// section sets up: provider guides with this server's ACS, entity id and
	// redirect URLs, the IdP settings, attribute mapping and "Test
	// connection". Default nil: the section only lists the organization's
	// connections.
	SSO *ssokit.SSO

	// SimulatedSync adds a "run a simulated sync" button to a directory's
	// page: the portal creates a SCIM token that expires within minutes,
	// calls SimulatedSync with the directory's endpoint URL and the token,
	// shows its report, and revokes the token. It writes made-up people into
	// the organization's directory: for development and demos only. The
	// portal never runs a simulator itself; simsync.New (package
	// portal/simsync) returns one that runs scimkit/scimsim. It needs SCIM,
	// and the endpoint URL must be reachable from the server. Default nil:
	// no button.
	SimulatedSync SimulatedSync

	// TracerProvider receives a span per portal request
	// (onboardkit.portal.request: route, method, status, organization);
	// see "Telemetry" in docs/operations.md. Default:
	// otel.GetTracerProvider(), a no-op unless the host set one.
	TracerProvider trace.TracerProvider

	// MeterProvider receives onboardkit.portal.requests and
	// onboardkit.portal.request.duration by route, method and status.
	// Default: otel.GetMeterProvider(), a no-op unless the host set one.
	MeterProvider metric.MeterProvider
}

// DefaultLinkAttempts is the limit of a zero Config.LinkAttempts: 60 link
// openings and redemptions per minute from one address, 30 embedded
// portals loaded a minute (each opens and redeems one link).
var DefaultLinkAttempts = limits.Window{Attempts: 60, Period: time.Minute}

// Portal is the IT-admin portal: an http.Handler to mount under
// Config.BaseURL's path.
type Portal struct {
	cfg       Config
	st        Store
	now       func() time.Time
	rand      io.Reader
	log       *slog.Logger
	base      *url.URL
	origin    string // scheme://host[:port] of BaseURL
	mount     string // path of BaseURL without trailing slash ("" at the root)
	secure    bool
	crossSite bool // some frame ancestor is cross-site to BaseURL
	ancestors []string
	csp       string
	mux       *http.ServeMux
	admin     *admin.Admin
	attempts  *limits.Shared
	tel       *telemetry.Requests
}

// New validates cfg and returns a Portal.
func New(cfg Config) (*Portal, error) {
	if cfg.Store == nil {
		return nil, errors.New("portal: Config.Store is required")
	}
	if cfg.Admin == nil {
		return nil, errors.New("portal: Config.Admin is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = cfg.Admin.PortalURL()
	}
	base, err := netutil.ParseBaseURL("portal", "BaseURL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if base.String() != cfg.Admin.PortalURL() {
		return nil, fmt.Errorf("portal: Config.BaseURL %q must be the Admin's PortalURL %q, where its links point", cfg.BaseURL, cfg.Admin.PortalURL())
	}
	p := &Portal{
		cfg:    cfg,
		admin:  cfg.Admin,
		st:     cfg.Store,
		now:    cfg.Now,
		rand:   cfg.Rand,
		log:    cfg.Logger,
		base:   base,
		origin: base.Scheme + "://" + base.Host,
		mount:  strings.TrimSuffix(base.Path, "/"),
		secure: base.Scheme == "https",
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.rand == nil {
		p.rand = rand.Reader
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	p.cfg.LinkAttempts = cfg.LinkAttempts.Or(DefaultLinkAttempts)
	if err := p.cfg.LinkAttempts.Validate("portal: Config.LinkAttempts"); err != nil {
		return nil, err
	}
	p.cfg.TrustedProxies = slices.Clone(cfg.TrustedProxies)
	p.attempts = limits.NewShared(cfg.Store, p.cfg.LinkAttempts, p.now)
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"EmbeddedSessionTTL", &p.cfg.EmbeddedSessionTTL, DefaultEmbeddedSessionTTL},
		{"ShareableSessionTTL", &p.cfg.ShareableSessionTTL, DefaultShareableSessionTTL},
		{"SessionWarning", &p.cfg.SessionWarning, DefaultSessionWarning},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return nil, fmt.Errorf("portal: Config.%s must not be negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if p.cfg.SessionWarning >= min(p.cfg.EmbeddedSessionTTL, p.cfg.ShareableSessionTTL) {
		return nil, errors.New("portal: Config.SessionWarning must be shorter than the session lifetimes")
	}
	for _, a := range cfg.FrameAncestors {
		o, err := parseFrameAncestor(a)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(p.ancestors, o.String()) {
			p.ancestors = append(p.ancestors, o.String())
		}
		if !sameSite(base, o) {
			p.crossSite = true
		}
	}
	p.csp = web.ContentSecurityPolicy(p.origin, p.mount, p.ancestors)
	if p.tel, err = telemetry.NewRequests(cfg.TracerProvider, cfg.MeterProvider, telemetry.SpanPortalRequest,
		telemetry.MetricPortalRequests, telemetry.MetricPortalDuration, "portal"); err != nil {
		return nil, fmt.Errorf("portal: telemetry: %w", err)
	}
	p.routes()
	return p, nil
}

// ServeHTTP serves the portal. Mount it with http.StripPrefix so that the
// request paths it sees are relative to BaseURL's path. Each request runs
// under an onboardkit.portal.request span (see describeRequest).
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.tel.Serve(w, r, http.HandlerFunc(p.serve), describeRequest)
}

// serve serves one request of ServeHTTP.
func (p *Portal) serve(w http.ResponseWriter, r *http.Request) {
	p.secureHeaders(w)
	defer p.recoverPanic(w, r)
	p.mux.ServeHTTP(w, r)
}

// path returns the absolute path of the portal route rel ("/..." relative to
// the mount point), for links and form actions in pages.
func (p *Portal) path(rel string) string { return p.mount + rel }

// parseFrameAncestor checks that s is a bare origin allowed to embed the
// portal and returns it normalised.
func parseFrameAncestor(s string) (*url.URL, error) {
	bad := func(why string) error {
		return fmt.Errorf("portal: Config.FrameAncestors: %q %s", s, why)
	}
	if strings.ContainsAny(s, "* \t\r\n;,'\"") {
		return nil, bad("must be one origin such as https://app.example.com, without wildcards")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, bad("is not an origin (scheme://host[:port])")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, bad("must be an origin without path, query or user info")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !netutil.IsLoopbackHost(u.Hostname()) {
			return nil, bad("must be https (http only on localhost, 127.0.0.1 or [::1])")
		}
	default:
		return nil, bad("must be an https origin")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return nil, bad("has an invalid port")
		}
	}
	return &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host)}, nil
}

// sameSite reports whether two URLs are schemefully same-site: same scheme
// and same registrable domain (eTLD+1), or the same IP address or host when
// there is none.
func sameSite(a, b *url.URL) bool {
	if a.Scheme != b.Scheme {
		return false
	}
	return siteOf(a.Hostname()) == siteOf(b.Hostname())
}

func siteOf(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if net.ParseIP(host) != nil {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}
