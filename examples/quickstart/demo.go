package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
	"github.com/onboardkit/onboardkit/store"
)

const (
	// demoExternalID is the host's own id of the demo customer: how the
	// quickstart finds its organization again after a restart.
	demoExternalID = "quickstart-demo"
	demoOrgName    = "Example Corp"
	demoDomain     = "example.com"
	// demoActor is recorded on the events of everything the quickstart
	// sets up by itself.
	demoActor = "operator:quickstart"

	samlConnectionName = "IdP simulator (SAML)"
	oidcConnectionName = "IdP simulator (OIDC)"
	directoryName      = "Directory simulator"
	oidcClientID       = "quickstart-demo"
)

// demoUsers are the identities the IdP simulator offers on its login page.
func demoUsers() []idpsim.User {
	return []idpsim.User{
		{Email: "alice@example.com", GivenName: "Alice", FamilyName: "Liddell", Groups: []string{"Engineering", "Admins"},
			Attributes: map[string][]string{"department": {"Engineering"}, "employeeNumber": {"1001"}},
			Claims:     map[string]any{"employee_number": 1001}},
		{Email: "bob@example.com", GivenName: "Bob", FamilyName: "Builder", Groups: []string{"Sales"},
			Attributes: map[string][]string{"department": {"Sales"}, "employeeNumber": {"1002"}},
			Claims:     map[string]any{"employee_number": 1002}},
	}
}

// demo is what setUpDemo prints and the pages link to.
type demo struct {
	OrgID, OrgName    string
	SAMLConnectionID  string
	OIDCConnectionID  string
	DirectoryID       string
	SCIMBaseURL       string
	SCIMToken         string // plaintext; only the demo secrets file keeps it
	PortalLink        string // plaintext; only the demo secrets file keeps it
	PortalLinkExpires time.Time
}

// setUpDemo finds or creates the demo organization with its verified
// domain, its SSO connections to the IdP simulator and its SCIM directory,
// registers the connections with the simulator (which forgets them when
// the process ends), and reuses the SCIM token and the portal link saved in
// the demo secrets file while the Store still accepts them, else issues new
// ones. The connections are reconfigured, and tested again, only when the
// simulator's URL or key changed.
func (a *app) setUpDemo(ctx context.Context) (*demo, error) {
	org, err := a.demoOrganization(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.demoVerifiedDomain(ctx, org.ID); err != nil {
		return nil, err
	}
	// Where the demo IdP and directory send the custom attributes: the
	// simulators send department as a SAML attribute, an OIDC claim and the
	// enterprise extension's department, and the employee number as the
	// SAML attribute employeeNumber, the OIDC claim employee_number (an
	// integer) and the app's own SCIM extension (the default path).
	if _, err := a.admin.SetAttributeMappings(ctx, org.ID, []admin.AttributeMappingInput{
		{Field: "department", SAMLAttribute: "department", OIDCClaim: "department", SCIMPath: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
		{Field: "employee_number", SAMLAttribute: "employeeNumber", OIDCClaim: "employee_number"},
	}, demoActor); err != nil {
		return nil, err
	}
	samlConn, err := a.demoSAMLConnection(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	oidcConn, err := a.demoOIDCConnection(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	dir, err := a.demoDirectory(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	token, err := a.demoSCIMToken(ctx, dir.ID)
	if err != nil {
		return nil, err
	}
	linkToken, linkExpires, err := a.demoPortalLink(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	a.secrets.OrgID, a.secrets.SCIMToken, a.secrets.PortalLinkToken = org.ID, token, linkToken
	if err := a.secrets.save(a.secretsPath); err != nil {
		return nil, err
	}
	d := &demo{
		OrgID: org.ID, OrgName: org.Name,
		SAMLConnectionID: samlConn.ID, OIDCConnectionID: oidcConn.ID,
		DirectoryID: dir.ID, SCIMBaseURL: a.scim.EndpointURL(dir.ID), SCIMToken: token,
		PortalLink: a.baseURL + "/portal/l/" + linkToken, PortalLinkExpires: linkExpires,
	}
	a.mu.Lock()
	a.demo = d
	a.mu.Unlock()
	return d, nil
}

func (a *app) demoOrganization(ctx context.Context) (*store.Organization, error) {
	org, err := a.store.GetOrganizationByExternalID(ctx, demoExternalID)
	if errors.Is(err, store.ErrNotFound) {
		return a.admin.CreateOrganization(ctx, admin.OrganizationInput{Name: demoOrgName, ExternalID: demoExternalID}, demoActor)
	}
	return org, err
}

// demoVerifiedDomain claims example.com for the organization and verifies
// it manually, as an operator would after checking with the customer.
func (a *app) demoVerifiedDomain(ctx context.Context, orgID string) error {
	ds, err := a.store.ListDomains(ctx, orgID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ds, func(d store.Domain) bool { return d.Name == demoDomain })
	var d *store.Domain
	if i >= 0 {
		d = &ds[i]
	} else if d, err = a.domains.Add(ctx, orgID, demoDomain, store.DomainManual, demoActor); err != nil {
		return fmt.Errorf("adding %s: %w", demoDomain, err)
	}
	if d.State == store.DomainVerified {
		return nil
	}
	if _, err := a.domains.VerifyManually(ctx, d.ID, demoActor); err != nil {
		return fmt.Errorf("verifying %s: %w", demoDomain, err)
	}
	return nil
}

// demoSAMLConnection creates the SAML connection to the simulator on first
// start, points it at this run's simulator (whose signing key and URL may be
// new), registers it with the simulator as a service provider, and makes
// sure it is active.
func (a *app) demoSAMLConnection(ctx context.Context, orgID string) (*store.Connection, error) {
	conn, err := a.findOrCreateConnection(ctx, orgID, ssokit.NewConnection{Protocol: store.ProtocolSAML, Provider: "okta", Name: samlConnectionName})
	if err != nil {
		return nil, err
	}
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.idp.Certificate().Raw}))
	// What an IT admin types into the portal. A change sends the
	// connection back to draft until it passes a test again.
	conn, err = a.sso.ConfigureSAMLManual(ctx, orgID, conn.ID, ssokit.SAMLManual{
		EntityID: a.idp.EntityID(), SSOURL: a.idp.SSOURL(), Certificates: []string{certPEM}, SLOURL: a.idp.SLOURL(),
	}, demoActor)
	if err != nil {
		return nil, fmt.Errorf("configuring the SAML connection: %w", err)
	}
	if !conn.SAML.AllowIdPInitiated {
		// So that the simulator's IdP-initiated launcher works. This
		// weakens the connection (no request binds the response to the
		// browser), so ssokit records it with an
		// sso.connection.security_weakened event. Development only.
		opts := ssokit.SAMLOptionsOf(conn)
		opts.InsecureAllowIdPInitiated = true
		if conn, err = a.sso.SetSAMLOptions(ctx, orgID, conn.ID, opts, demoActor); err != nil {
			return nil, fmt.Errorf("allowing IdP-initiated sign-in: %w", err)
		}
	}
	spCert, err := parseCertificatePEM(conn.SAML.SPCertPEM)
	if err != nil {
		return nil, err
	}
	err = a.idp.RegisterSP(idpsim.SP{
		EntityID:    a.sso.SAMLEntityID(conn.ID),
		ACSURL:      a.sso.SAMLACSURL(conn.ID),
		SLOURL:      a.sso.SAMLSLOURL(conn.ID),
		Certificate: spCert,
		Preset:      idpsim.PresetOkta,
		Name:        "Quickstart SaaS (SAML)",
	})
	if err != nil {
		return nil, err
	}
	return a.testAndActivate(ctx, conn)
}

// demoOIDCConnection does the same for the OIDC connection, registered with
// the simulator as a client.
func (a *app) demoOIDCConnection(ctx context.Context, orgID string) (*store.Connection, error) {
	conn, err := a.findOrCreateConnection(ctx, orgID, ssokit.NewConnection{Protocol: store.ProtocolOIDC, Provider: "generic", Name: oidcConnectionName})
	if err != nil {
		return nil, err
	}
	secret := conn.OIDC.ClientSecret
	if secret == "" {
		secret = newID("secret")
	}
	err = a.idp.RegisterClient(idpsim.Client{
		ID:           oidcClientID,
		Secret:       secret,
		RedirectURIs: []string{a.sso.OIDCRedirectURL(conn.ID)},
		Name:         "Quickstart SaaS (OIDC)",
		// RP-initiated and back-channel logout.
		PostLogoutRedirectURIs: []string{a.sso.OIDCPostLogoutRedirectURL(conn.ID)},
		BackChannelLogoutURI:   a.sso.OIDCBackChannelLogoutURL(conn.ID),
	})
	if err != nil {
		return nil, err
	}
	// ConfigureOIDC runs OpenID discovery against the simulator, which
	// this process serves already.
	conn, err = a.sso.ConfigureOIDC(ctx, orgID, conn.ID, ssokit.OIDCSettings{
		Issuer: a.idp.Issuer(), ClientID: oidcClientID, ClientSecret: secret, Scopes: []string{"email", "profile"},
	}, demoActor)
	if err != nil {
		return nil, fmt.Errorf("configuring the OIDC connection: %w", err)
	}
	return a.testAndActivate(ctx, conn)
}

func (a *app) findOrCreateConnection(ctx context.Context, orgID string, nc ssokit.NewConnection) (*store.Connection, error) {
	conns, err := a.store.ListConnections(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for _, c := range conns {
		if c.Name == nc.Name {
			return &c, nil
		}
	}
	return a.sso.CreateConnection(ctx, orgID, nc, demoActor)
}

// testAndActivate makes the connection active. A connection that is not
// active yet must pass a test login first: the quickstart runs one
// through its own HTTP server against the simulator, as an IT admin does
// from the portal, with the simulator answering at once as alice.
func (a *app) testAndActivate(ctx context.Context, conn *store.Connection) (*store.Connection, error) {
	if conn.State == store.ConnectionActive {
		return conn, nil
	}
	if err := a.idp.SetAutoLogin(&idpsim.AutoLogin{User: idpsim.User{Email: "alice@" + demoDomain}}); err != nil {
		return nil, err
	}
	defer a.idp.SetAutoLogin(nil)

	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := getFull(ctx, browser, a.baseURL+"/connections/test?connection="+url.QueryEscape(conn.ID))
	if err != nil {
		return nil, err
	}
	if conn.Protocol == store.ProtocolSAML {
		// The simulator answers with the auto-posting form of the HTTP-POST
		// binding; a browser's script submits it.
		form, err := idpsim.ParsePostForm(resp.body, resp.url)
		if err != nil {
			return nil, fmt.Errorf("testing the SAML connection: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, form.Action, strings.NewReader(form.Values.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, err = doFull(browser, req); err != nil {
			return nil, err
		}
	}
	if resp.status != http.StatusOK {
		return nil, fmt.Errorf("testing the %s connection: status %d", conn.Protocol, resp.status)
	}
	active, err := a.sso.Activate(ctx, conn.ID, demoActor)
	if err != nil {
		return nil, fmt.Errorf("activating the %s connection (see the sso.connection.test_failed event for the diagnosis): %w", conn.Protocol, err)
	}
	return active, nil
}

// fullResponse is a response read in full.
type fullResponse struct {
	status int
	url    string
	body   []byte
}

func getFull(ctx context.Context, c *http.Client, u string) (*fullResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return doFull(c, req)
}

func doFull(c *http.Client, req *http.Request) (*fullResponse, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return &fullResponse{status: resp.StatusCode, url: resp.Request.URL.String(), body: body}, nil
}

func (a *app) demoDirectory(ctx context.Context, orgID string) (*store.Directory, error) {
	dirs, err := a.store.ListDirectories(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if d.Name == directoryName {
			return &d, nil
		}
	}
	return a.scim.CreateDirectory(ctx, orgID, scimkit.DirectoryOptions{Provider: "okta", Name: directoryName, Active: true})
}

// demoSCIMToken returns the saved SCIM token while the Store still has it
// active for the directory. Otherwise it revokes the directory's active
// tokens and creates a new one. onboardkit shows a token once and keeps
// only its digest: only the demo secrets file lets a restart print it
// again.
func (a *app) demoSCIMToken(ctx context.Context, directoryID string) (string, error) {
	tokens, err := a.scim.ListTokens(ctx, directoryID)
	if err != nil {
		return "", err
	}
	now := time.Now()
	if saved := a.secrets.SCIMToken; saved != "" {
		for _, t := range tokens {
			if subtle.ConstantTimeCompare(t.Digest, digest(saved)) == 1 && t.ActiveAt(now) {
				return saved, nil
			}
		}
		a.logger.Info("quickstart: the saved SCIM token is no longer active; rotating it")
	}
	for _, t := range tokens {
		if t.ActiveAt(now) {
			if err := a.scim.RevokeToken(ctx, directoryID, t.ID); err != nil {
				return "", fmt.Errorf("revoking the previous SCIM token: %w", err)
			}
		}
	}
	token, _, err := a.scim.CreateToken(ctx, directoryID, scimkit.TokenOptions{Actor: demoActor})
	if err != nil {
		return "", fmt.Errorf("creating a SCIM token: %w", err)
	}
	return token, nil
}

// demoPortalLink returns the saved shareable portal link's token and
// expiry while the Store still accepts it: the link of this organization,
// neither revoked nor expired. Otherwise it revokes the shareable links
// earlier starts generated and generates a new one, valid for the portal's
// ShareableLinkTTL (7 days).
func (a *app) demoPortalLink(ctx context.Context, orgID string) (string, time.Time, error) {
	now := time.Now()
	if saved := a.secrets.PortalLinkToken; saved != "" {
		l, err := a.store.GetPortalLinkByDigest(ctx, digest(saved))
		switch {
		case err == nil && l.OrgID == orgID && l.Kind == store.LinkShareable && l.RevokedAt.IsZero() && now.Before(l.ExpiresAt):
			return saved, l.ExpiresAt, nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return "", time.Time{}, fmt.Errorf("looking up the saved portal link: %w", err)
		}
		a.logger.Info("quickstart: the saved portal link expired or was revoked; generating a new one")
	}
	links, err := a.admin.ListLinks(ctx, orgID)
	if err != nil {
		return "", time.Time{}, err
	}
	for _, l := range links {
		if l.CreatedBy == demoActor && l.Kind == store.LinkShareable && l.RevokedAt.IsZero() && now.Before(l.ExpiresAt) {
			if _, err := a.admin.RevokeLink(ctx, l.ID, demoActor); err != nil {
				return "", time.Time{}, fmt.Errorf("revoking the previous portal link: %w", err)
			}
		}
	}
	link, err := a.admin.GenerateLink(ctx, orgID, admin.LinkOptions{}, demoActor)
	if err != nil {
		return "", time.Time{}, err
	}
	token, ok := strings.CutPrefix(link.URL, a.baseURL+"/portal/l/")
	if !ok {
		return "", time.Time{}, fmt.Errorf("unexpected portal link %q", link.URL)
	}
	return token, link.ExpiresAt, nil
}

// newID returns prefix + "_" + 128 random bits in hex.
func newID(prefix string) string {
	return prefix + "_" + hex.EncodeToString(randomBytes(16))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

func parseCertificatePEM(s string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("the SAML connection has no SP certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}
