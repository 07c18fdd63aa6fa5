package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/dashboard"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/events"
	"github.com/onboardkit/onboardkit/examples/internal/startup"
	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/gworkspace/gwsim"
	"github.com/onboardkit/onboardkit/health"
	"github.com/onboardkit/onboardkit/mgmtapi"
	"github.com/onboardkit/onboardkit/portal"
	"github.com/onboardkit/onboardkit/portal/simsync"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
	"github.com/onboardkit/onboardkit/ssokit/session"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
)

// appConfig is what the quickstart app is built from.
type appConfig struct {
	Store   store.Store
	BaseURL string // "http://127.0.0.1:8080", no trailing slash
	Logger  *slog.Logger
	// SecretsPath is the demo secrets file (see demoSecrets).
	SecretsPath string
	// SCIMLimits are scimkit's request limits; zero: its defaults.
	SCIMLimits scimkit.Limits
}

// app is the host application: its own pages and sessions, with the
// onboardkit handlers mounted beside them.
type app struct {
	store   store.Store
	baseURL string
	logger  *slog.Logger

	sso     *ssokit.SSO
	scim    *scimkit.Server
	admin   *admin.Admin
	portal  *portal.Portal
	dash    *dashboard.Dashboard
	mgmt    *mgmtapi.API
	domains *domains.Service
	idp     *idpsim.IdP
	dirsim  http.Handler
	gsim    *gwsim.Server
	gkey    *gwsim.Key
	google  *gworkspace.Syncer
	pull    *events.PullHandler
	reseal  *seal.Resealer
	health  *health.Checker

	sessions *session.Manager
	pages    *template.Template

	// The demo's plaintext secrets and their file: development only.
	secrets     *demoSecrets
	secretsPath string

	// The demo organization, set by setUpDemo. Its SCIMToken is the
	// plaintext token, for the directory simulator.
	mu   sync.Mutex
	demo *demo
}

func newApp(cfg appConfig) (*app, error) {
	a := &app{store: cfg.Store, baseURL: cfg.BaseURL, logger: cfg.Logger, secretsPath: cfg.SecretsPath}
	var err error
	if a.secrets, err = loadSecrets(cfg.SecretsPath, cfg.Logger.Warn); err != nil {
		return nil, err
	}
	// The simulator signs with the saved key, so that the SAML connection,
	// which trusts its certificate, stays active across restarts.
	idpKey, idpCert, err := a.secrets.idpKeyPair(time.Now(), cfg.Logger.Warn)
	if err != nil {
		return nil, fmt.Errorf("the IdP simulator key: %w", err)
	}

	// End-user sessions: the cookie holds a random id, the Store the
	// session, so that a directory deactivating a user signs them out at
	// their next request, and a group change gives them their new roles
	// within a second, without signing in again.
	a.sessions, err = session.New(session.Config{
		Store:    cfg.Store,
		Roles:    appRoles,
		LoginURL: "/", // the sign-in form
		// The quickstart serves plain http on loopback: no Secure cookie.
		InsecureCookies: strings.HasPrefix(cfg.BaseURL, "http://"),
		Logger:          cfg.Logger,
		// Signing out also ends the IdP session (SAML Single Logout,
		// OIDC RP-initiated logout) when the IdP has an endpoint for it.
		IdPLogout: func(w http.ResponseWriter, r *http.Request, o ssokit.LogoutOptions) error {
			return a.sso.StartLogout(w, r, o)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if a.pages, err = parsePages(); err != nil {
		return nil, err
	}

	a.sso, err = ssokit.New(ssokit.Config{
		Store:        cfg.Store,
		Roles:        appRoles,
		BaseURL:      cfg.BaseURL + "/sso",
		OnLogin:      a.onLogin,
		OnTestResult: a.onTestResult,
		Logger:       cfg.Logger,
		// The IdP simulator runs in this process on a loopback address
		// over plain http. Never set this in production.
		InsecureAllowPrivateNetworks: true,
	})
	if err != nil {
		return nil, fmt.Errorf("ssokit: %w", err)
	}
	a.scim, err = scimkit.New(scimkit.Config{Store: cfg.Store, BaseURL: cfg.BaseURL + "/scim", Logger: cfg.Logger, Roles: appRoles, Limits: cfg.SCIMLimits})
	if err != nil {
		return nil, fmt.Errorf("scimkit: %w", err)
	}
	a.domains, err = domains.New(domains.Config{Store: cfg.Store, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("domains: %w", err)
	}
	// Google Workspace directories sync through the Admin SDK; here against
	// the Google simulator mounted at /gwsim, with a service account whose
	// key file the IT admin downloads from /gwsim/key.json and uploads in
	// the portal (as they would download it from Google Cloud).
	if err := a.setUpGoogle(cfg); err != nil {
		return nil, err
	}
	// The service layer: every operation of the portal, the dashboard and
	// the management API. Connections and directories are switched on and
	// off through the kits, under their rules.
	a.admin, err = admin.New(admin.Config{
		Store:       cfg.Store,
		PortalURL:   cfg.BaseURL + "/portal",
		Branding:    admin.Branding{ProductName: "Quickstart SaaS", AccentColor: "#0f766e"},
		Domains:     a.domains,
		Connections: a.sso,
		Directories: a.scim,
		Google:      a.google,
		Roles:       appRoles,
		Logger:      cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	a.portal, err = portal.New(portal.Config{
		Store:  cfg.Store,
		Admin:  a.admin,
		Logger: cfg.Logger,
		// The portal's SSO and directory-sync sections set up connections
		// and directories through the kits.
		SSO:  a.sso,
		SCIM: a.scim,
		// A "run a simulated sync" button on directory pages, running the
		// directory simulator: demos only.
		SimulatedSync: simsync.New(simsync.Config{Logger: cfg.Logger}),
	})
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	a.dash, err = dashboard.New(dashboard.Config{
		Admin:   a.admin,
		BaseURL: cfg.BaseURL + "/dashboard",
		// A real app names the signed-in staff member.
		Operator: func(*http.Request) string { return "quickstart-developer" },
		Logger:   cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	a.mgmt, err = mgmtapi.New(mgmtapi.Config{Admin: a.admin, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("mgmtapi: %w", err)
	}
	a.idp, err = idpsim.New(idpsim.Config{
		Development: true,
		BaseURL:     cfg.BaseURL + "/idp",
		Key:         idpKey,
		Certificate: idpCert,
		Users:       demoUsers(),
		Branding:    idpsim.Branding{Name: "Example Corp IdP (simulator)", AccentColor: "#7c3aed"},
		// Connections an IT admin sets up in the portal are not registered
		// with the simulator: let it answer any SP. Development only.
		InsecureAllowAnySP: true,
		Logger:             cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("idpsim: %w", err)
	}
	a.dirsim, err = scimsim.NewUI(scimsim.UIConfig{
		Development: true,
		// The demo directory, with this run's token (the UI never shows it).
		TargetsFunc: func(context.Context) ([]scimsim.Target, error) {
			d, err := a.currentDemo()
			if err != nil {
				return nil, err
			}
			return []scimsim.Target{{Name: d.OrgName + " (demo directory)", BaseURL: d.SCIMBaseURL, Token: d.SCIMToken}}, nil
		},
		Branding: scimsim.Branding{Name: "Example Corp directory (simulator)", AccentColor: "#7c3aed"},
		// A field per attribute of the app's SCIM extension in "Create a
		// user": its value reaches Profile.Custom.
		ExtensionAttributes: scimsim.ExtensionAttributesOf(appRoles),
		Logger:              cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("scimsim: %w", err)
	}
	a.pull, err = events.NewPullHandler(events.PullConfig{Store: cfg.Store})
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	// Readiness: the Store answers and is migrated, and the background
	// workers run (startup.Background runs them; a Google sync beats per
	// page, the re-seal once an hour).
	a.reseal = startup.Resealer(cfg.Store, cfg.Logger)
	a.health, err = health.New(health.Config{Store: cfg.Store, Logger: cfg.Logger, Workers: []health.Worker{
		{Name: "gworkspace", Source: a.google, StaleAfter: time.Hour},
		{Name: "reseal", Source: a.reseal, StaleAfter: 2 * time.Hour},
	}})
	if err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	return a, nil
}

// routes is the app's router: its own pages, and each kit under its prefix.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()

	// The host's own pages. /me needs a session; the logout form is a
	// POST protected against cross-site requests.
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.login)
	mux.Handle("GET /me", a.sessions.RequireLogin(http.HandlerFunc(a.me)))
	mux.HandleFunc("GET /connections/test", a.testConnection) // a real app lets only admins test

	mux.Handle("POST /logout", a.sessions.Logout())
	mux.HandleFunc("GET /events", a.eventsPage)

	// onboardkit.
	// Liveness and readiness for an orchestrator (see package health).
	mux.Handle("GET /healthz", a.health.Live())
	mux.Handle("GET /readyz", a.health.Ready())
	mux.Handle("/sso/", http.StripPrefix("/sso", a.sso))
	mux.Handle("/scim/", http.StripPrefix("/scim", a.scim))
	mux.Handle("/portal/", http.StripPrefix("/portal", a.portal))
	// A real app puts its staff authentication in front of the dashboard
	// and of the events API; the quickstart listens on loopback only.
	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", a.dash))
	mux.Handle("GET /api/events", a.pull)
	// The management API authenticates its own callers with API keys,
	// created on the dashboard's "API keys" page.
	mux.Handle("/api/onboardkit/", http.StripPrefix("/api/onboardkit", a.mgmt))

	// Development only: the IdP and directory simulators.
	mux.Handle("/idp/", http.StripPrefix("/idp", a.idp))
	mux.Handle("/dirsim/", http.StripPrefix("/dirsim", a.dirsim))
	mux.Handle("/gwsim/", http.StripPrefix("/gwsim", a.gsim))
	mux.HandleFunc("GET /gwsim/key.json", a.googleKeyFile)
	return mux
}

// currentDemo returns the demo set up at start.
func (a *app) currentDemo() (*demo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.demo == nil {
		return nil, errors.New("the demo organization is not set up")
	}
	return a.demo, nil
}

// setUpGoogle starts the Google Workspace simulator with a few people and
// groups, a service account delegated the sync's scopes, and the Syncer.
func (a *app) setUpGoogle(cfg appConfig) error {
	a.gsim = gwsim.New(demoDomain)
	admin := a.gsim.Populate(25, 3)
	key, err := a.gsim.NewServiceAccountKey()
	if err != nil {
		return fmt.Errorf("gwsim: %w", err)
	}
	a.gkey = key
	a.gsim.Delegate(key.ClientID, gworkspace.Scopes...)
	a.logger.Info("quickstart: Google simulator ready", "admin_to_impersonate", admin)
	// The Store seals the service-account key uploaded here under the
	// host's keyring, like every secret it keeps.
	a.google, err = gworkspace.New(gworkspace.Config{
		Store:        cfg.Store,
		Endpoint:     cfg.BaseURL + "/gwsim/",
		TokenURL:     cfg.BaseURL + "/gwsim/token",
		PollInterval: 2 * time.Second,
		Logger:       cfg.Logger,
	})
	if err != nil {
		return fmt.Errorf("gworkspace: %w", err)
	}
	return nil
}

// googleKeyFile serves the simulator's service-account key file, the way
// Google Cloud's console offers it for download. Development only.
func (a *app) googleKeyFile(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="sim-project-key.json"`)
	w.Write(a.gkey.JSON)
}

// appRoles are the app's roles: the IT admin maps their directory's groups
// (or their identity provider's group values) to them in the portal, and
// Profile.Roles carries them at sign-in. Its Fields are the app's custom
// attributes: the IT admin maps each to a SAML attribute, an OIDC claim
// and a SCIM path on the same page, and Profile.Custom carries them.
var appRoles = &roles.Config{
	Fields: []roles.Field{
		{Key: "department", Name: "Department", Type: roles.FieldString},
		{Key: "employee_number", Name: "Employee number", Type: roles.FieldInteger},
	},
	SCIMExtension: "urn:ietf:params:scim:schemas:extension:quickstart:2.0:User",
	Roles: []roles.Role{
		{Key: "admin", Name: "Administrator", Description: "Manages the workspace and its members."},
		{Key: "editor", Name: "Editor", Description: "Creates and edits content."},
		{Key: "viewer", Name: "Viewer", Description: "Reads content."},
	},
	Default: "viewer",
}
