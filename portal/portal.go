package portal

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/netutil"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// Default durations. Each is the value a zero field of Config takes.
const (
	DefaultShareableLinkTTL    = 7 * 24 * time.Hour
	DefaultEmbeddedLinkTTL     = time.Minute
	DefaultEmbeddedSessionTTL  = 6 * time.Hour
	DefaultShareableSessionTTL = 6 * time.Hour
	DefaultSessionWarning      = 5 * time.Minute
)

// DefaultAccentColor is the accent colour used when neither the Store nor
// Config.Branding sets one.
const DefaultAccentColor = web.DefaultAccentColor

// Config configures a Portal. Store and BaseURL are required; every other
// field has a safe default.
type Config struct {
	// Store keeps links, sessions and everything the portal shows.
	// Required.
	Store store.Store

	// BaseURL is the public URL at which the host mounts the portal, such as
	// "https://app.example.com/portal". Links are built from it, its path is
	// the session cookie's Path, and its origin is the only origin allowed to
	// post the portal's forms. It must be https, except on localhost,
	// 127.0.0.1 or [::1] for development. Required.
	BaseURL string

	// FrameAncestors are the origins of host pages allowed to embed the
	// portal in an iframe, such as "https://app.example.com". Each must be an
	// https origin (scheme, host, optional port, nothing else), or an http
	// origin on localhost, 127.0.0.1 or [::1]. "*" is refused. Empty (the
	// default) forbids framing: frame-ancestors 'none'.
	FrameAncestors []string

	// Branding is the look used where the Store has none: neither for the
	// organization nor host-wide (scope ""). Zero value: the product name
	// "Admin portal", DefaultAccentColor, no logo, no favicon.
	Branding Branding

	// ShareableLinkTTL is how long a shareable link can be redeemed.
	// Default 7 days.
	ShareableLinkTTL time.Duration
	// EmbeddedLinkTTL is how long an embedded (single-use) link can be
	// redeemed. Default 1 minute: generate one on every page load.
	EmbeddedLinkTTL time.Duration
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

	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Rand is the source of tokens, session ids and CSRF secrets. Default
	// crypto/rand.
	Rand io.Reader
	// Logger receives operator diagnostics. Tokens are never logged.
	// Default slog.Default().
	Logger *slog.Logger

	// DashboardURL is the public URL at which the host mounts the operator
	// dashboard (Portal.Dashboard), such as
	// "https://app.example.com/dashboard". Its path prefixes the dashboard's
	// links and form actions, and its origin is the only origin allowed to
	// post the dashboard's forms. Same rules as BaseURL. Default: BaseURL's
	// origin followed by "/dashboard".
	DashboardURL string

	// Operator names the staff member behind a dashboard request, as the
	// host's staff-authentication middleware knows them (an email, a user
	// id). It is recorded as "operator:<name>" in the Actor of every event
	// the dashboard's changes write. Default nil: the actor is "operator".
	Operator func(*http.Request) string

	// Domains verifies organizations' email domains for the dashboard and
	// the management API. Default nil: domains are listed, and adding,
	// verifying, checking or removing one fails with ErrNotConfigured.
	Domains *domains.Service

	// Connections activates and deactivates SSO connections (ssokit's
	// lifecycle rules) for the dashboard and the management API. Set it
	// only to wrap or replace the SSO kit's rules. Default: SSO when SSO is
	// set (*ssokit.SSO is a ConnectionLifecycle); with neither, connections
	// are listed, and enabling or disabling one fails with
	// ErrNotConfigured.
	Connections ConnectionLifecycle

	// Directories activates and deactivates SCIM directories (scimkit's
	// lifecycle rules) for the dashboard, the management API and the
	// portal's directory pages, recording the session or operator as the
	// actor. Set it only to wrap or replace the SCIM kit's rules. Default:
	// SCIM when SCIM is set (*scimkit.Server is a DirectoryLifecycle); with
	// neither, directories are listed, and enabling or disabling one fails
	// with ErrNotConfigured.
	Directories DirectoryLifecycle

	// SCIM is the SCIM server whose directories the portal's directory-sync
	// section sets up: creating a directory, its endpoint URL, bearer
	// tokens (shown once, rotated, revoked) and activation. Default nil:
	// the section only lists the organization's directories and their
	// users and groups.
	SCIM *scimkit.Server

	// SSO is the SSO kit whose connections the portal's single sign-on
	// section sets up: provider guides with this server's ACS, entity id and
	// redirect URLs, the IdP settings, attribute mapping, "Test connection"
	// and activation. Default nil: the section only lists the
	// organization's connections.
	SSO *ssokit.SSO

	// DevSimulatedSync adds a "run a simulated sync" button to a directory's
	// page: the portal provisions a few generated users and groups into the
	// directory through its own SCIM endpoint, as Okta or Entra ID would,
	// with a token that expires within minutes and is revoked afterwards.
	// It writes made-up people into the organization's directory: for
	// development and demos only. It needs SCIM, and the endpoint URL must
	// be reachable from the server. Default false.
	DevSimulatedSync bool

	// HTTPClient sends the simulated sync's SCIM requests. Default: a client
	// with a 30-second timeout.
	HTTPClient *http.Client
}

// The SSO and SCIM kits are the lifecycles Config defaults to.
var (
	_ ConnectionLifecycle = (*ssokit.SSO)(nil)
	_ DirectoryLifecycle  = (*scimkit.Server)(nil)
)

// Branding is the default look of the portal. The Store's branding
// (store.GetBranding for the organization, then for scope "") takes
// precedence field by field.
type Branding struct {
	// ProductName is shown in the header and the page title when there is no
	// logo, and is the logo's alternative text. Default "Admin portal".
	ProductName string
	// AccentColor is "#RRGGBB". Default DefaultAccentColor.
	AccentColor string
	// Logo is shown in the header. Default none.
	Logo *store.Asset
	// Favicon is the tab icon. Default none.
	Favicon *store.Asset
}

// Portal is the admin portal: an http.Handler to mount under Config.BaseURL's
// path, and the methods that issue and revoke links.
type Portal struct {
	cfg       Config
	st        store.Store
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
	brand     Branding
	mux       *http.ServeMux

	dash  *dashboard // the operator dashboard, built by New
	mgmt  *mgmtAPI   // the management API, built by New
	admin *Admin
}

// New validates cfg and returns a Portal.
func New(cfg Config) (*Portal, error) {
	if cfg.Store == nil {
		return nil, errors.New("portal: Config.Store is required")
	}
	base, err := web.ParseBaseURL("portal", "BaseURL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	p := &Portal{
		cfg:    cfg,
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
	if p.cfg.Connections == nil && p.cfg.SSO != nil {
		p.cfg.Connections = p.cfg.SSO
	}
	if p.cfg.Directories == nil && p.cfg.SCIM != nil {
		p.cfg.Directories = p.cfg.SCIM
	}
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"ShareableLinkTTL", &p.cfg.ShareableLinkTTL, DefaultShareableLinkTTL},
		{"EmbeddedLinkTTL", &p.cfg.EmbeddedLinkTTL, DefaultEmbeddedLinkTTL},
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
	p.brand, err = defaultBranding(cfg.Branding)
	if err != nil {
		return nil, err
	}
	p.csp = web.ContentSecurityPolicy(p.origin, p.mount, p.ancestors)
	p.routes()
	p.admin = &Admin{p: p}
	if p.dash, err = newDashboard(p, cfg.DashboardURL); err != nil {
		return nil, err
	}
	p.mgmt = newMgmtAPI(p)
	return p, nil
}

// ServeHTTP serves the portal. Mount it with http.StripPrefix so that the
// request paths it sees are relative to BaseURL's path.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
