package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/portal"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
	"github.com/onboardkit/onboardkit/ssokit/session"
	"github.com/onboardkit/onboardkit/store"
)

// instanceConfig is one app instance's configuration. Everything but Name
// and Store is the same for every instance.
type instanceConfig struct {
	Name      string
	Store     store.Store
	PublicURL string // the proxy's URL, which browsers and IdPs see
	Logger    *slog.Logger
}

// instance is one app instance with onboardkit mounted.
type instance struct {
	name      string
	publicURL string
	store     store.Store
	sso       *ssokit.SSO
	scim      *scimkit.Server
	admin     *admin.Admin
	portal    *portal.Portal
	domains   *domains.Service
	sessions  *session.Manager
	logger    *slog.Logger
	pages     *template.Template
}

func newInstance(cfg instanceConfig) (*instance, error) {
	in := &instance{name: cfg.Name, publicURL: cfg.PublicURL, store: cfg.Store, logger: cfg.Logger}
	// Sessions live in the shared Store: a session started on one instance
	// is honoured by the other, and a SCIM deactivation received by either
	// ends it on both within a second (the session cache TTL).
	var err error
	in.sessions, err = session.New(session.Config{
		Store:    cfg.Store,
		LoginURL: "/",
		// The example serves plain http on loopback. Never in production.
		InsecureCookies: true,
		Logger:          cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	in.sso, err = ssokit.New(ssokit.Config{
		Store:   cfg.Store,
		BaseURL: cfg.PublicURL + "/sso",
		OnLogin: in.sessions.OnLogin, // starts the session, redirects to ReturnTo
		Logger:  cfg.Logger,
		// The IdP simulator listens on a loopback address. Never set
		// this in production.
		InsecureAllowPrivateNetworks: true,
	})
	if err != nil {
		return nil, err
	}
	if in.scim, err = scimkit.New(scimkit.Config{Store: cfg.Store, BaseURL: cfg.PublicURL + "/scim", Logger: cfg.Logger}); err != nil {
		return nil, err
	}
	if in.domains, err = domains.New(domains.Config{Store: cfg.Store, Logger: cfg.Logger}); err != nil {
		return nil, err
	}
	in.admin, err = admin.New(admin.Config{Store: cfg.Store, PortalURL: cfg.PublicURL + "/portal", Domains: in.domains, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	in.portal, err = portal.New(portal.Config{Store: cfg.Store, Admin: in.admin, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	if in.pages, err = template.New("pages").Parse(pagesHTML); err != nil {
		return nil, err
	}
	return in, nil
}

func (in *instance) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", in.home)
	mux.HandleFunc("GET /login", in.login)
	mux.Handle("GET /me", in.sessions.RequireLogin(http.HandlerFunc(in.me)))
	mux.Handle("POST /logout", in.sessions.Logout())
	mux.HandleFunc("GET /connections/test", in.startTest)
	mux.Handle("/sso/", http.StripPrefix("/sso", in.sso))
	mux.Handle("/scim/", http.StripPrefix("/scim", in.scim))
	mux.Handle("/portal/", http.StripPrefix("/portal", in.portal))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Instance", in.name)
		mux.ServeHTTP(w, r)
	})
}

func (in *instance) home(w http.ResponseWriter, r *http.Request) {
	in.render(w, r, "home", map[string]string{"Instance": in.name, "Domain": demoDomain})
}

func (in *instance) login(w http.ResponseWriter, r *http.Request) {
	err := in.sso.StartLogin(w, r, ssokit.StartOptions{Email: r.FormValue("email"), ReturnTo: "/me"})
	switch {
	case err == nil:
	case errors.Is(err, ssokit.ErrNoSSO), errors.Is(err, ssokit.ErrInvalidEmail):
		http.Error(w, "No single sign-on for this address; try one @"+demoDomain+".", http.StatusNotFound)
	default:
		in.logger.ErrorContext(r.Context(), "starting a login", "err", err)
		http.Error(w, "Sign-in is unavailable.", ssokit.StatusCode(err))
	}
}

// me is behind RequireLogin: the session was checked against the Store
// (at most CacheTTL ago, by this instance).
func (in *instance) me(w http.ResponseWriter, r *http.Request) {
	p, _ := session.ProfileFromContext(r.Context())
	s, _ := session.SessionFromContext(r.Context())
	in.render(w, r, "me", map[string]string{"Instance": in.name, "ProfileID": p.ID, "Email": p.Email,
		"Started": s.CreatedAt.Format(time.RFC3339), "CSRF": in.sessions.CSRFToken(r)})
}

func (in *instance) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := in.pages.ExecuteTemplate(w, name, data); err != nil {
		in.logger.ErrorContext(r.Context(), "rendering", "page", name, "err", err)
	}
}

const pagesHTML = `
{{define "home"}}<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Globex app</title></head><body>
<p>Served by instance <strong data-testid="instance">{{.Instance}}</strong>. Reload: the proxy alternates.</p>
<form method="get" action="/login"><label>Work email <input type="email" name="email" value="ada@{{.Domain}}"></label>
<button type="submit">Sign in with SSO</button></form></body></html>{{end}}
{{define "me"}}<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed in</title></head><body>
<p>Signed in as <strong data-testid="email">{{.Email}}</strong> (<code>{{.ProfileID}}</code>).</p>
<p>Session started {{.Started}}; this page is served by instance <strong data-testid="instance">{{.Instance}}</strong>.
Deactivate the user through SCIM on either instance and reload: both sign you out.</p>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{.CSRF}}"><button type="submit">Sign out</button></form>
</body></html>{{end}}`

// Demo organization set up at start.
const (
	demoExternalID = "globex"
	demoDomain     = "globex.example"
	demoActor      = "operator:multiinstance"
	connectionName = "IdP simulator"
	directoryName  = "Directory"
)

// setup is what the example prints.
type setup struct {
	OrgID       string
	PortalLink  string
	SCIMBaseURL string
	SCIMToken   string
}

// setUp finds or creates the demo organization, its verified domain, a
// SAML connection to idp and a SCIM directory, and issues a new SCIM token
// and portal link (the previous start's are revoked: secrets are stored as
// digests and cannot be printed again).
func (in *instance) setUp(ctx context.Context, idp *idpsim.IdP) (*setup, error) {
	org, err := in.store.GetOrganizationByExternalID(ctx, demoExternalID)
	if errors.Is(err, store.ErrNotFound) {
		org, err = in.admin.CreateOrganization(ctx, admin.OrganizationInput{Name: "Globex", ExternalID: demoExternalID}, demoActor)
	}
	if err != nil {
		return nil, err
	}
	if err := in.verifiedDomain(ctx, org.ID); err != nil {
		return nil, err
	}
	conn, err := in.samlConnection(ctx, org.ID, idp)
	if err != nil {
		return nil, err
	}
	if err := idp.RegisterSP(idpsim.SP{EntityID: in.sso.SAMLEntityID(conn.ID), ACSURL: in.sso.SAMLACSURL(conn.ID), Preset: idpsim.PresetEntra}); err != nil {
		return nil, err
	}
	dir, err := in.directory(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	tokens, err := in.scim.ListTokens(ctx, dir.ID)
	if err != nil {
		return nil, err
	}
	for _, t := range tokens {
		if t.ActiveAt(time.Now()) {
			if err := in.scim.RevokeToken(ctx, dir.ID, t.ID); err != nil {
				return nil, err
			}
		}
	}
	token, _, err := in.scim.CreateToken(ctx, dir.ID, scimkit.TokenOptions{Actor: demoActor})
	if err != nil {
		return nil, err
	}
	links, err := in.admin.ListLinks(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if l.CreatedBy == demoActor && l.RevokedAt.IsZero() {
			if _, err := in.admin.RevokeLink(ctx, l.ID, demoActor); err != nil {
				return nil, err
			}
		}
	}
	link, err := in.admin.GenerateLink(ctx, org.ID, admin.LinkOptions{}, demoActor)
	if err != nil {
		return nil, err
	}
	return &setup{OrgID: org.ID, PortalLink: link.URL, SCIMBaseURL: in.scim.EndpointURL(dir.ID), SCIMToken: token}, nil
}

func (in *instance) verifiedDomain(ctx context.Context, orgID string) error {
	ds, err := in.store.ListDomains(ctx, orgID)
	if err != nil {
		return err
	}
	var d *store.Domain
	if i := slices.IndexFunc(ds, func(d store.Domain) bool { return d.Name == demoDomain }); i >= 0 {
		d = &ds[i]
	} else if d, err = in.domains.Add(ctx, orgID, demoDomain, store.DomainManual, demoActor); err != nil {
		return err
	}
	if d.State != store.DomainVerified {
		_, err = in.domains.VerifyManually(ctx, d.ID, demoActor)
	}
	return err
}

// samlConnection creates the SAML connection on first start, points it at
// idp (whose key and URL are new on every start: a change sends the
// connection back to draft) and activates it after a test login.
func (in *instance) samlConnection(ctx context.Context, orgID string, idp *idpsim.IdP) (*store.Connection, error) {
	conns, err := in.store.ListConnections(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var conn *store.Connection
	if i := slices.IndexFunc(conns, func(c store.Connection) bool { return c.Name == connectionName }); i >= 0 {
		conn = &conns[i]
	} else if conn, err = in.sso.CreateConnection(ctx, orgID, ssokit.NewConnection{Protocol: store.ProtocolSAML, Provider: "entra", Name: connectionName}, demoActor); err != nil {
		return nil, err
	}
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idp.Certificate().Raw}))
	conn, err = in.sso.ConfigureSAMLManual(ctx, orgID, conn.ID, ssokit.SAMLManual{EntityID: idp.EntityID(), SSOURL: idp.SSOURL(), Certificates: []string{cert}}, demoActor)
	if err != nil {
		return nil, err
	}
	if err := idp.RegisterSP(idpsim.SP{EntityID: in.sso.SAMLEntityID(conn.ID), ACSURL: in.sso.SAMLACSURL(conn.ID), Preset: idpsim.PresetEntra}); err != nil {
		return nil, err
	}
	if conn.State == store.ConnectionActive {
		return conn, nil
	}
	if err := in.testConnection(ctx, conn.ID, idp); err != nil {
		return nil, fmt.Errorf("testing the SAML connection: %w", err)
	}
	return in.sso.Activate(ctx, conn.ID, demoActor)
}

// testConnection runs a "test connection" flow through the proxy (so it
// starts on one instance and finishes on the other), with the simulator
// answering at once.
func (in *instance) testConnection(ctx context.Context, connID string, idp *idpsim.IdP) error {
	if err := idp.SetAutoLogin(&idpsim.AutoLogin{User: idpsim.User{Email: "ada@" + demoDomain}}); err != nil {
		return err
	}
	defer idp.SetAutoLogin(nil)
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.publicURL+"/connections/test?connection="+url.QueryEscape(connID), nil)
	if err != nil {
		return err
	}
	body, pageURL, status, err := send(browser, req)
	if err != nil {
		return err
	}
	form, err := idpsim.ParsePostForm(body, pageURL) // the SAML HTTP-POST binding's auto-posting form
	if err != nil {
		return fmt.Errorf("status %d: %w", status, err)
	}
	if req, err = http.NewRequestWithContext(ctx, http.MethodPost, form.Action, strings.NewReader(form.Values.Encode())); err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, _, status, err = send(browser, req); err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("the test ended with status %d; see the sso.connection.test_failed event", status)
	}
	return nil
}

func send(c *http.Client, req *http.Request) (body []byte, pageURL string, status int, err error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", 0, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return body, resp.Request.URL.String(), resp.StatusCode, err
}

// startTest starts a "test connection" flow; ssokit's default result page
// shows the outcome.
func (in *instance) startTest(w http.ResponseWriter, r *http.Request) {
	if err := in.sso.StartTest(w, r, r.FormValue("connection"), "/"); err != nil {
		http.Error(w, "This connection cannot be tested.", ssokit.StatusCode(err))
	}
}

func (in *instance) directory(ctx context.Context, orgID string) (*store.Directory, error) {
	dirs, err := in.store.ListDirectories(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(dirs, func(d store.Directory) bool { return d.Name == directoryName }); i >= 0 {
		return &dirs[i], nil
	}
	return in.scim.CreateDirectory(ctx, orgID, scimkit.DirectoryOptions{Provider: "entra", Name: directoryName, Active: true})
}

// newID returns prefix + "_" + 128 random bits in hex.
func newID(prefix string) string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (Go 1.24+)
	return prefix + "_" + hex.EncodeToString(b)
}
