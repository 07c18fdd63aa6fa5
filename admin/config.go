package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/events"
	"github.com/onboardkit/onboardkit/internal/netutil"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

// Default link lifetimes. Each is the value a zero field of Config takes.
const (
	DefaultShareableLinkTTL = 7 * 24 * time.Hour
	DefaultEmbeddedLinkTTL  = time.Minute
)

// DefaultAccentColor is the accent colour used when neither the Store nor
// Config.Branding sets one.
const DefaultAccentColor = "#3452c7"

// Store is what the service reads and writes: organizations, domains,
// connections and directories (read; their changes go through the kits),
// portal links, branding, API keys, end-user sessions (ended) and the
// event outbox. store.Store is one.
type Store interface {
	store.OrganizationStore
	events.Source

	GetDomain(ctx context.Context, id string) (*store.Domain, error)
	ListDomains(ctx context.Context, orgID string) ([]store.Domain, error)

	GetConnection(ctx context.Context, id string) (*store.Connection, error)
	ListConnections(ctx context.Context, orgID string) ([]store.Connection, error)

	GetDirectory(ctx context.Context, id string) (*store.Directory, error)
	ListDirectories(ctx context.Context, orgID string) ([]store.Directory, error)
	ListDirectoryUsers(ctx context.Context, directoryID string, q store.UserQuery) ([]store.DirectoryUser, int, error)
	ListDirectoryGroups(ctx context.Context, directoryID string, q store.GroupQuery) ([]store.DirectoryGroup, int, error)

	CreatePortalLink(ctx context.Context, l *store.PortalLink, events ...store.Event) error
	GetPortalLink(ctx context.Context, id string) (*store.PortalLink, error)
	ListPortalLinks(ctx context.Context, orgID string) ([]store.PortalLink, error)
	RevokePortalLink(ctx context.Context, id string, now time.Time, events ...store.Event) error

	GetBranding(ctx context.Context, scope string) (*store.Branding, error)
	UpdateBranding(ctx context.Context, scope string, fn func(b *store.Branding) ([]store.Event, error)) (*store.Branding, error)

	store.APIKeyStore

	// EndSessions ends end-user sessions (package ssokit/session).
	EndSessions(ctx context.Context, sel store.SessionSelector, end store.SessionEnd) (int, error)
	store.RoleStore
	store.PolicyStore
	store.AttributeStore
	GetDirectoryGroup(ctx context.Context, directoryID, id string) (*store.DirectoryGroup, error)
	ListDirectoryTokens(ctx context.Context, directoryID string) ([]store.DirectoryToken, error)

	// Test links are single-use login requests marked Test.
	CreateLoginRequest(ctx context.Context, r *store.LoginRequest) error
	ConsumeLoginRequest(ctx context.Context, id string, match store.LoginRequestMatch, now time.Time, events ...store.Event) (*store.LoginRequest, error)
}

var _ Store = store.Store(nil)

// Config configures the service. Store and PortalURL are required; every
// other field has a safe default.
type Config struct {
	// Store keeps everything the service manages. Required.
	Store Store

	// PortalURL is the public URL at which the host mounts the IT-admin
	// portal (package portal), such as "https://app.example.com/portal".
	// Portal links are built from it. It must be https, except on
	// localhost, 127.0.0.1 or [::1] for development. Required.
	PortalURL string

	// Domains verifies organizations' email domains. Default nil: domains
	// are listed, and adding, verifying, checking or removing one fails
	// with ErrNotConfigured.
	Domains *domains.Service

	// Connections activates and deactivates SSO connections under the SSO
	// kit's rules: pass the *ssokit.SSO, or a wrapper of it. Default nil:
	// connections are listed, and enabling or disabling one fails with
	// ErrNotConfigured.
	Connections ConnectionLifecycle

	// Directories activates and deactivates SCIM directories under the SCIM
	// kit's rules: pass the *scimkit.Server, or a wrapper of it. Default
	// nil: directories are listed, and enabling or disabling one fails with
	// ErrNotConfigured.
	Directories DirectoryLifecycle

	// Google syncs Google Workspace directories through the Admin SDK:
	// pass the *gworkspace.Syncer. Enabling a Google directory asks for
	// its first sync. Default nil: the Google operations fail with
	// ErrNotConfigured.
	Google GoogleDirectories

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

	// Roles are the host's roles, which organizations map their groups
	// to, and its custom attributes (Fields), which they map to their
	// identity provider's attributes and directory's SCIM paths. Nil: no
	// role or attribute mappings can be made.
	Roles *roles.Config

	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Rand is the source of ids, link tokens and API keys. Default
	// crypto/rand.
	Rand io.Reader
	// Logger receives operator diagnostics. Secrets are never logged.
	// Default slog.Default().
	Logger *slog.Logger
}

// New validates cfg and returns the service.
func New(cfg Config) (*Admin, error) {
	if cfg.Store == nil {
		return nil, errors.New("admin: Config.Store is required")
	}
	u, err := netutil.ParseBaseURL("admin", "PortalURL", cfg.PortalURL)
	if err != nil {
		return nil, err
	}
	if cfg.Roles != nil {
		if err := cfg.Roles.Validate(); err != nil {
			return nil, fmt.Errorf("admin: Config.Roles: %w", err)
		}
	}
	a := &Admin{cfg: cfg, st: cfg.Store, now: cfg.Now, rand: cfg.Rand, log: cfg.Logger, portalURL: u.String()}
	if a.now == nil {
		a.now = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"ShareableLinkTTL", &a.cfg.ShareableLinkTTL, DefaultShareableLinkTTL},
		{"EmbeddedLinkTTL", &a.cfg.EmbeddedLinkTTL, DefaultEmbeddedLinkTTL},
	} {
		if *d.v < 0 {
			return nil, fmt.Errorf("admin: Config.%s must not be negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if a.brand, err = defaultBranding(cfg.Branding); err != nil {
		return nil, err
	}
	return a, nil
}

// PortalURL returns Config.PortalURL without a trailing slash: where the
// portal that redeems the service's links is mounted.
func (a *Admin) PortalURL() string { return a.portalURL }

// Branding is a resolved look of the portal and the dashboard.
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

// defaultBranding validates the configured branding and fills its defaults.
func defaultBranding(b Branding) (Branding, error) {
	if b.ProductName == "" {
		b.ProductName = "Admin portal"
	}
	if b.AccentColor == "" {
		b.AccentColor = DefaultAccentColor
	}
	if !store.ValidColor(b.AccentColor) {
		return b, fmt.Errorf("admin: Config.Branding.AccentColor %q must be #RRGGBB", b.AccentColor)
	}
	for name, a := range map[string]*store.Asset{"Logo": b.Logo, "Favicon": b.Favicon} {
		if a != nil && (!AllowedImageType(a.ContentType) || len(a.Data) == 0) {
			return b, fmt.Errorf("admin: Config.Branding.%s must be a non-empty PNG, JPEG, GIF, WebP, SVG or ICO image", name)
		}
	}
	return b, nil
}

// DefaultBranding returns Config.Branding with its defaults filled in: the
// look where the Store holds none.
func (a *Admin) DefaultBranding() Branding { return a.brand }

// ResolveBranding returns the look for an organization (orgID "" for the
// host-wide look): field by field, the organization's stored branding, then
// the host-wide stored branding (scope ""), then Config.Branding. Stored
// images of a type pages do not show are skipped.
func (a *Admin) ResolveBranding(ctx context.Context, orgID string) (Branding, error) {
	b := a.brand
	scopes := []string{""}
	if orgID != "" {
		scopes = []string{orgID, ""}
	}
	// Apply the least specific first so the most specific wins.
	for i := len(scopes) - 1; i >= 0; i-- {
		sb, err := a.st.GetBranding(ctx, scopes[i])
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return b, fmt.Errorf("admin: loading branding: %w", err)
		}
		if store.ValidColor(sb.AccentColor) {
			b.AccentColor = sb.AccentColor
		}
		if usable(sb.Logo) {
			b.Logo = sb.Logo
		}
		if usable(sb.Favicon) {
			b.Favicon = sb.Favicon
		}
	}
	return b, nil
}

func usable(a *store.Asset) bool {
	return a != nil && AllowedImageType(a.ContentType) && len(a.Data) > 0
}

// AllowedImageType reports whether ct is an image type the pages show as a
// logo or favicon.
func AllowedImageType(ct string) bool {
	switch strings.ToLower(strings.TrimSpace(ct)) {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml",
		"image/x-icon", "image/vnd.microsoft.icon":
		return true
	}
	return false
}

// Capabilities says which optional operations the service can carry out.
type Capabilities struct {
	Domains     bool // Config.Domains is set: domains can be added, verified, checked and removed
	Connections bool // Config.Connections is set: connections can be enabled and disabled
	Directories bool // Config.Directories is set: directories can be enabled and disabled
}

// Capabilities reports which optional operations are configured, so that a
// page offers only what will work.
func (a *Admin) Capabilities() Capabilities {
	return Capabilities{
		Domains:     a.cfg.Domains != nil,
		Connections: a.cfg.Connections != nil,
		Directories: a.cfg.Directories != nil,
	}
}
