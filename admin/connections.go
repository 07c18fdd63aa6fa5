package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// ConnectionSetup creates and configures SSO connections under the SSO
// kit's rules: an *ssokit.SSO is one. The service finds it on
// Config.Connections by type assertion; without it the operations below
// return ErrNotConfigured. Implementations write their own events, with
// actor as the Actor, and return *ssokit.ConfigError for a refused
// setting.
type ConnectionSetup interface {
	ConnectionLifecycle
	CreateConnection(ctx context.Context, orgID string, nc ssokit.NewConnection, actor string) (*store.Connection, error)
	ConfigureSAMLMetadataURL(ctx context.Context, orgID, connectionID, metadataURL, actor string) (*store.Connection, error)
	ConfigureSAMLMetadataXML(ctx context.Context, orgID, connectionID string, doc []byte, actor string) (*store.Connection, error)
	ConfigureSAMLManual(ctx context.Context, orgID, connectionID string, m ssokit.SAMLManual, actor string) (*store.Connection, error)
	ConfigureOIDC(ctx context.Context, orgID, connectionID string, o ssokit.OIDCSettings, actor string) (*store.Connection, error)
	SetAttributeMapping(ctx context.Context, orgID, connectionID string, mapping map[string]string, actor string) (*store.Connection, error)
	SetSAMLOptions(ctx context.Context, orgID, connectionID string, o ssokit.SAMLOptions, actor string) (*store.Connection, error)
	DeleteConnection(ctx context.Context, orgID, connectionID, actor string) error
	// ClockSkew is the tolerance every connection's time checks get.
	ClockSkew() time.Duration
	SAMLEntityID(connectionID string) string
	SAMLACSURL(connectionID string) string
	SAMLSLOURL(connectionID string) string
	OIDCRedirectURL(connectionID string) string
}

var _ ConnectionSetup = (*ssokit.SSO)(nil)

// ConnectionInput is a new SSO connection.
type ConnectionInput struct {
	// Protocol is store.ProtocolSAML or store.ProtocolOIDC. Required.
	Protocol store.Protocol
	// Provider is one of ssokit.Providers(); "" means "generic".
	Provider string
	// Name is shown to people; "" means the provider's name.
	Name string
	// IdempotencyKey, when set, makes the creation safe to retry: a second
	// call with the same key for the same organization returns the
	// connection the first one created (ConnectionInfo.Replayed) and
	// creates nothing. At most MaxIdempotencyKeyLength printable ASCII
	// characters.
	IdempotencyKey string
}

// SecurityOptions are a connection's security options. The zero value is
// the safe choice; fields named Insecure... weaken security and are
// changed only through SetSecurityOptions, which records the change (and a
// weakening) in the audit log. OpenID Connect connections have none of the
// SAML options; their time checks use the host-wide clock skew.
type SecurityOptions struct {
	// SignRequests signs the SAML AuthnRequests with the connection's SP
	// key.
	SignRequests bool
	// RequireEncryptedAssertion refuses SAML assertions that are not
	// encrypted to the connection's SP certificate.
	RequireEncryptedAssertion bool
	// InsecureAllowIdPInitiated accepts SAML responses without a request
	// (an IdP's app launcher): login CSRF becomes possible.
	InsecureAllowIdPInitiated bool
	// InsecureAllowSHA1 accepts SHA-1 signatures and digests.
	InsecureAllowSHA1 bool
	// InsecureClockSkew widens this connection's time checks beyond the
	// host-wide tolerance, up to ssokit.MaxClockSkew; 0 keeps the host's.
	InsecureClockSkew time.Duration
}

// ConnectionInfo is a connection as the service shows it: without its
// secrets, with its security options and what the IT admin enters in the
// identity provider.
type ConnectionInfo struct {
	// Connection is the stored connection without its OIDC client secret
	// and SAML SP private key.
	Connection store.Connection
	// Security holds its security options.
	Security SecurityOptions
	// ClockSkew is the tolerance its time checks apply: the host-wide one,
	// or Security.InsecureClockSkew when wider. 0 without
	// Config.Connections.
	ClockSkew time.Duration
	// ClientSecretSet says an OIDC client secret is stored.
	ClientSecretSet bool
	// ServiceProvider is what the IT admin enters in the identity
	// provider; empty without Config.Connections.
	ServiceProvider ServiceProvider
	// Replayed is set by CreateConnection when an earlier call with the
	// same idempotency key created the connection.
	Replayed bool
}

// ServiceProvider is this server's side of a connection, as the identity
// provider's settings name it.
type ServiceProvider struct {
	EntityID    string // SAML: SP entity id (Audience), also the SP metadata URL
	ACSURL      string // SAML: assertion consumer service URL (Reply URL)
	SLOURL      string // SAML: Single Logout URL
	RedirectURL string // OIDC: redirect URI
}

func (a *Admin) connectionSetup() (ConnectionSetup, error) {
	cs, ok := a.cfg.Connections.(ConnectionSetup)
	if !ok {
		return nil, notConfigured("creating and configuring SSO connections (Config.Connections: the *ssokit.SSO)")
	}
	return cs, nil
}

// SecurityOf returns the security options of c.
func SecurityOf(c *store.Connection) SecurityOptions {
	o := ssokit.SAMLOptionsOf(c)
	return SecurityOptions{SignRequests: o.SignRequests, RequireEncryptedAssertion: o.RequireEncryptedAssertion,
		InsecureAllowIdPInitiated: o.InsecureAllowIdPInitiated, InsecureAllowSHA1: o.InsecureAllowSHA1,
		InsecureClockSkew: o.InsecureClockSkew}
}

// ConnectionInfo describes c (which may hold its secrets) as the service
// shows it.
func (a *Admin) ConnectionInfo(c *store.Connection) ConnectionInfo {
	info := ConnectionInfo{Connection: *c, Security: SecurityOf(c)}
	info.ClientSecretSet = c.OIDC != nil && c.OIDC.ClientSecret != ""
	redactConnection(&info.Connection)
	if cs, err := a.connectionSetup(); err == nil {
		info.ClockSkew = cs.ClockSkew()
		if c.Protocol == store.ProtocolSAML {
			info.ClockSkew = max(info.ClockSkew, info.Security.InsecureClockSkew)
			info.ServiceProvider = ServiceProvider{EntityID: cs.SAMLEntityID(c.ID), ACSURL: cs.SAMLACSURL(c.ID), SLOURL: cs.SAMLSLOURL(c.ID)}
		} else {
			info.ServiceProvider = ServiceProvider{RedirectURL: cs.OIDCRedirectURL(c.ID)}
		}
	}
	return info
}

// GetConnection returns the connection id. ErrNotFound when absent.
func (a *Admin) GetConnection(ctx context.Context, id string) (*ConnectionInfo, error) {
	c, err := a.loadConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	info := a.ConnectionInfo(c)
	return &info, nil
}

func (a *Admin) loadConnection(ctx context.Context, id string) (*store.Connection, error) {
	if strings.TrimSpace(id) == "" || len(id) > 200 {
		return nil, notFound("connection", id)
	}
	c, err := a.st.GetConnection(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("connection", id)
	}
	if err != nil {
		return nil, fmt.Errorf("admin: loading connection: %w", err)
	}
	return c, nil
}

// CreateConnection creates a draft SSO connection of the organization
// through Config.Connections (with its sso.connection.created event).
// ErrInvalidInput for a bad protocol, provider or name; see
// ConnectionInput.IdempotencyKey for retries.
func (a *Admin) CreateConnection(ctx context.Context, orgID string, in ConnectionInput, actor string) (*ConnectionInfo, error) {
	cs, err := a.connectionSetup()
	if err != nil {
		return nil, err
	}
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	id, err := idempotentID("conn", orgID, in.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	replay := func() (*ConnectionInfo, error) {
		c, err := replayed(ctx, "connection", id, orgID, a.st.GetConnection, func(c *store.Connection) string { return c.OrgID })
		if c == nil || err != nil {
			return nil, err
		}
		info := a.ConnectionInfo(c)
		info.Replayed = true
		return &info, nil
	}
	if info, err := replay(); info != nil || err != nil {
		return info, err
	}
	c, err := cs.CreateConnection(ctx, orgID, ssokit.NewConnection{Protocol: in.Protocol, Provider: in.Provider, Name: in.Name, ID: id}, actorOr(actor))
	if id != "" && errors.Is(err, store.ErrAlreadyExists) {
		// A concurrent call with the same key won.
		if info, err := replay(); info != nil || err != nil {
			return info, err
		}
	}
	if err != nil {
		return nil, connectionError(err, "")
	}
	info := a.ConnectionInfo(c)
	return &info, nil
}

// configureConnection runs one of the SSO kit's configure calls on the
// connection id after checking it exists, and describes the result.
func (a *Admin) configureConnection(ctx context.Context, id string, fn func(cs ConnectionSetup, c *store.Connection) (*store.Connection, error)) (*ConnectionInfo, error) {
	cs, err := a.connectionSetup()
	if err != nil {
		return nil, err
	}
	c, err := a.loadConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	nc, err := fn(cs, c)
	if err != nil {
		return nil, connectionError(err, id)
	}
	info := a.ConnectionInfo(nc)
	return &info, nil
}

// ConfigureSAMLMetadataURL fetches the IdP metadata at metadataURL and
// stores it (the SSO kit keeps it fresh). Like every Configure operation,
// a change of the IdP settings returns a tested or active connection to
// draft: it must be tested again before it signs anyone in.
func (a *Admin) ConfigureSAMLMetadataURL(ctx context.Context, id, metadataURL, actor string) (*ConnectionInfo, error) {
	return a.configureConnection(ctx, id, func(cs ConnectionSetup, c *store.Connection) (*store.Connection, error) {
		return cs.ConfigureSAMLMetadataURL(ctx, c.OrgID, c.ID, metadataURL, actorOr(actor))
	})
}

// ConfigureSAMLMetadataXML stores uploaded IdP metadata.
func (a *Admin) ConfigureSAMLMetadataXML(ctx context.Context, id string, doc []byte, actor string) (*ConnectionInfo, error) {
	return a.configureConnection(ctx, id, func(cs ConnectionSetup, c *store.Connection) (*store.Connection, error) {
		return cs.ConfigureSAMLMetadataXML(ctx, c.OrgID, c.ID, doc, actorOr(actor))
	})
}

// ConfigureSAMLManual stores an IdP entered field by field.
func (a *Admin) ConfigureSAMLManual(ctx context.Context, id string, m ssokit.SAMLManual, actor string) (*ConnectionInfo, error) {
	return a.configureConnection(ctx, id, func(cs ConnectionSetup, c *store.Connection) (*store.Connection, error) {
		return cs.ConfigureSAMLManual(ctx, c.OrgID, c.ID, m, actorOr(actor))
	})
}

// ConfigureOIDC runs OpenID discovery on the issuer and stores the
// settings. An empty ClientSecret keeps the stored one.
func (a *Admin) ConfigureOIDC(ctx context.Context, id string, o ssokit.OIDCSettings, actor string) (*ConnectionInfo, error) {
	return a.configureConnection(ctx, id, func(cs ConnectionSetup, c *store.Connection) (*store.Connection, error) {
		return cs.ConfigureOIDC(ctx, c.OrgID, c.ID, o, actorOr(actor))
	})
}

// SetConnectionMapping replaces the connection's attribute mapping: which
// IdP attribute or claim fills each profile field (keys are
// ssokit.MappingFields(); an empty value uses the provider's default).
func (a *Admin) SetConnectionMapping(ctx context.Context, id string, mapping map[string]string, actor string) (*ConnectionInfo, error) {
	return a.configureConnection(ctx, id, func(cs ConnectionSetup, c *store.Connection) (*store.Connection, error) {
		return cs.SetAttributeMapping(ctx, c.OrgID, c.ID, mapping, actorOr(actor))
	})
}

// SetSecurityOptions replaces the security options of a SAML connection:
// every option left false (or zero) in o is switched off. This is the only
// way the options change: the change is one Store write with an
// sso.connection.options_updated event and, when an Insecure... option is
// switched on (or the clock skew widened), an
// sso.connection.security_weakened event, both with actor. Setting the
// options a connection has changes nothing. ErrInvalidInput for an OpenID
// Connect connection or a clock skew out of range.
func (a *Admin) SetSecurityOptions(ctx context.Context, id string, o SecurityOptions, actor string) (*ConnectionInfo, error) {
	return a.configureConnection(ctx, id, func(cs ConnectionSetup, c *store.Connection) (*store.Connection, error) {
		return cs.SetSAMLOptions(ctx, c.OrgID, c.ID, ssokit.SAMLOptions{
			SignRequests: o.SignRequests, RequireEncryptedAssertion: o.RequireEncryptedAssertion,
			InsecureAllowIdPInitiated: o.InsecureAllowIdPInitiated, InsecureAllowSHA1: o.InsecureAllowSHA1,
			InsecureClockSkew: o.InsecureClockSkew,
		}, actorOr(actor))
	})
}

// DeleteConnection deletes a connection that is not active (ErrConflict
// otherwise: disable it first), with its sso.connection.deleted event.
func (a *Admin) DeleteConnection(ctx context.Context, id, actor string) error {
	_, err := a.configureConnection(ctx, id, func(cs ConnectionSetup, c *store.Connection) (*store.Connection, error) {
		return c, cs.DeleteConnection(ctx, c.OrgID, c.ID, actorOr(actor))
	})
	return err
}

// connectionError turns the SSO kit's refusals into the service's errors.
func connectionError(err error, id string) error {
	var ce *ssokit.ConfigError
	switch {
	case errors.As(err, &ce):
		return &AdminError{Kind: ErrInvalidInput, Field: ce.Field, Message: ce.Problem, Err: ssokit.ErrInvalidConfig}
	case errors.Is(err, ssokit.ErrConnectionNotFound), errors.Is(err, store.ErrNotFound):
		if id == "" {
			return &AdminError{Kind: ErrNotFound, Message: "organization not found", Err: store.ErrNotFound}
		}
		return notFound("connection", id)
	case errors.Is(err, ssokit.ErrConnectionActive):
		return conflict(ssokit.ErrConnectionActive, "connection %q is active: disable it first", id)
	}
	return fmt.Errorf("admin: changing connection: %w", err)
}
