package ssokit

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/onboardkit/onboardkit/store"
)

// Event types written by the management API.
const (
	EventConnectionCreated        = "sso.connection.created"
	EventConnectionConfigured     = "sso.connection.configured"
	EventConnectionMappingUpdated = "sso.connection.mapping_updated"
	EventConnectionDeleted        = "sso.connection.deleted"
	// EventConnectionOptionsUpdated: SetSAMLOptions changed a SAML
	// connection's SP options. Data: "from" and "to" (the five options by
	// their JSON names) and "weakened" (the options switched on that weaken
	// security, possibly empty).
	EventConnectionOptionsUpdated = "sso.connection.options_updated"
	// EventConnectionSecurityWeakened is written beside
	// sso.connection.options_updated, in the same Store write, when
	// SetSAMLOptions switches on an option that weakens security
	// (InsecureAllowIdPInitiated, InsecureAllowSHA1, or a wider
	// InsecureClockSkew), so that a host can
	// alert on it. Data: "weakened", the JSON names of those options.
	EventConnectionSecurityWeakened = "sso.connection.security_weakened"
)

// Providers lists the identity providers a connection may name, in the
// order a chooser shows them. "generic" is any standards-compliant IdP.
var providers = []string{"okta", "entra", "google", "onelogin", "jumpcloud", "ping", "adfs", "generic"}

// Providers returns the provider names a connection may have.
func Providers() []string { return slices.Clone(providers) }

// MappingFields returns the profile fields an attribute mapping may set, in
// display order.
func MappingFields() []string {
	return []string{FieldEmail, FieldFirstName, FieldLastName, FieldDisplayName, FieldGroups, FieldRoles}
}

// DefaultAttributeNames returns, per profile field, the attribute (SAML) or
// claim (OIDC) names tried in order when a connection of this protocol and
// provider has no explicit mapping for the field: the provider's own names
// first, then the generic ones. It is what Profile building uses.
func DefaultAttributeNames(protocol store.Protocol, provider string) map[string][]string {
	defaults, prov := defaultSAMLAttributes, providerSAMLAttributes[provider]
	if protocol == store.ProtocolOIDC {
		defaults, prov = defaultOIDCClaims, providerOIDCClaims[provider]
	}
	out := make(map[string][]string, len(defaults))
	for field, names := range defaults {
		var list []string
		for _, n := range slices.Concat(prov[field], names) {
			if !slices.Contains(list, n) {
				list = append(list, n)
			}
		}
		out[field] = list
	}
	return out
}

// ErrInvalidConfig matches every *ConfigError.
var ErrInvalidConfig = errors.New("ssokit: invalid connection configuration")

// ErrConnectionActive: the operation needs a connection that is not active
// (deleting one, for instance); deactivate it first.
var ErrConnectionActive = errors.New("ssokit: connection is active")

// ConfigError is a refused connection setting: Field names the input
// ("name", "provider", "metadata_url", "metadata_xml", "entity_id",
// "sso_url", "certificate", "issuer", "client_id", "client_secret",
// "scopes", "tenant_id", or "mapping.<field>") and Problem says, in one
// sentence an IT admin can act on, what is wrong with it. Nothing is
// written when a ConfigError is returned.
type ConfigError struct {
	Field   string
	Problem string
	Err     error
}

// Error names the field and the problem.
func (e *ConfigError) Error() string {
	s := "ssokit: " + e.Field + ": " + e.Problem
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

func configErr(field, problem string, err error) *ConfigError {
	return &ConfigError{Field: field, Problem: problem, Err: err}
}

// NewConnection describes a connection to create.
type NewConnection struct {
	Protocol store.Protocol
	// Provider is one of Providers(); "" means "generic".
	Provider string
	// Name is shown to people; "" means the provider's name.
	Name string
	// ID is the new connection's id. Default "": a random one. A caller
	// that retries a creation (an idempotency key, say) passes an id
	// derived from its key, so that the Store refuses a second connection
	// (store.ErrAlreadyExists) instead of creating one.
	ID string
}

// CreateConnection creates a draft connection for the organization. A SAML
// connection gets its own SP key pair (NewSAMLKeyPair), used to sign
// AuthnRequests and decrypt assertions when the connection asks for it.
// The connection and its sso.connection.created event are one Store write.
// Errors: *ConfigError for a bad protocol, provider or name;
// ErrConnectionNotFound wrapped with store.ErrNotFound when the
// organization does not exist.
func (s *SSO) CreateConnection(ctx context.Context, orgID string, nc NewConnection, actor string) (*store.Connection, error) {
	if nc.Provider == "" {
		nc.Provider = "generic"
	}
	if !nc.Protocol.Valid() {
		return nil, configErr("protocol", "choose SAML or OpenID Connect", nil)
	}
	if !slices.Contains(providers, nc.Provider) {
		return nil, configErr("provider", "choose one of the listed identity providers", nil)
	}
	nc.Name = strings.TrimSpace(nc.Name)
	if err := checkText(nc.Name, 100); err != nil {
		return nil, configErr("name", err.Error(), nil)
	}
	id := nc.ID
	if id == "" {
		var err error
		if id, err = s.newID("conn"); err != nil {
			return nil, err
		}
	}
	now := s.now().UTC()
	c := &store.Connection{
		ID: id, OrgID: orgID, Protocol: nc.Protocol, Provider: nc.Provider, Name: nc.Name,
		State: store.ConnectionDraft, CreatedAt: now, UpdatedAt: now,
	}
	switch nc.Protocol {
	case store.ProtocolSAML:
		key, cert, err := NewSAMLKeyPair(s.rand, now, "onboardkit SP "+id)
		if err != nil {
			return nil, fmt.Errorf("ssokit: generating SP key pair: %w", err)
		}
		c.SAML = &store.SAMLConfig{SPKeyPEM: key, SPCertPEM: cert}
	case store.ProtocolOIDC:
		c.OIDC = &store.OIDCConfig{}
	}
	ev, err := s.event(EventConnectionCreated, orgID, id, actorOr(actor), map[string]any{
		"protocol": nc.Protocol, "provider": nc.Provider, "name": nc.Name,
	})
	if err != nil {
		return nil, err
	}
	if err := s.st.CreateConnection(ctx, c, ev); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: organization %s: %w", ErrConnectionNotFound, orgID, err)
		}
		return nil, fmt.Errorf("ssokit: creating connection: %w", err)
	}
	return c, nil
}

// ClockSkew returns the tolerance applied to every time check of every
// connection (Config.ClockSkew, 3 minutes by default).
func (s *SSO) ClockSkew() time.Duration { return s.cfg.ClockSkew }

// SAMLManual is a SAML IdP entered by hand.
type SAMLManual struct {
	EntityID string
	// SSOURL is the IdP's single sign-on URL (HTTP-Redirect binding).
	SSOURL string
	// Certificates are the IdP's signing certificates, PEM (or bare
	// base64 DER). At least one.
	Certificates []string
	// SLOURL is the IdP's Single Logout URL (HTTP-Redirect binding), if it
	// has one. Optional: without it logout stays in the application.
	SLOURL string
}

// ConfigureSAMLMetadataURL fetches the IdP metadata at metadataURL through
// the guarded client (https, no private addresses unless
// Config.InsecureAllowPrivateNetworks), and stores the URL and the document;
// Run keeps it fresh. See the reset rule on ConfigureOIDC.
func (s *SSO) ConfigureSAMLMetadataURL(ctx context.Context, orgID, connectionID, metadataURL, actor string) (*store.Connection, error) {
	metadataURL = strings.TrimSpace(metadataURL)
	if metadataURL == "" {
		return nil, configErr("metadata_url", "enter the metadata URL your identity provider shows", nil)
	}
	if err := checkIdPURL(metadataURL, s.cfg.InsecureAllowPrivateNetworks); err != nil {
		return nil, configErr("metadata_url", urlProblem(err), err)
	}
	md, body, err := s.FetchMetadata(ctx, metadataURL, "")
	if err != nil {
		return nil, configErr("metadata_url", fetchProblem(err), err)
	}
	now := s.now().UTC()
	return s.configure(ctx, orgID, connectionID, store.ProtocolSAML, actor, "metadata_url", func(c *store.Connection) {
		c.SAML.MetadataURL = metadataURL
		c.SAML.MetadataXML = string(body)
		c.SAML.MetadataFetchedAt = now
		c.SAML.IdPEntityID = md.EntityID
		c.SAML.SSOURL, c.SAML.SSOPostURL, c.SAML.Certificates = "", "", nil
		c.SAML.SLOURL, c.SAML.SLOPostURL = "", "" // from the metadata
	})
}

// ConfigureSAMLMetadataXML stores uploaded IdP metadata. See the reset
// rule on ConfigureOIDC.
func (s *SSO) ConfigureSAMLMetadataXML(ctx context.Context, orgID, connectionID string, doc []byte, actor string) (*store.Connection, error) {
	if len(strings.TrimSpace(string(doc))) == 0 {
		return nil, configErr("metadata_xml", "choose the metadata file your identity provider offers for download", nil)
	}
	md, err := ParseIdPMetadata(doc, "", s.cfg.MaxResponseSize, s.cfg.InsecureAllowPrivateNetworks)
	if err != nil {
		return nil, configErr("metadata_xml", metadataProblem(err), err)
	}
	return s.configure(ctx, orgID, connectionID, store.ProtocolSAML, actor, "metadata_xml", func(c *store.Connection) {
		c.SAML.MetadataURL, c.SAML.MetadataFetchedAt = "", s.now().UTC()
		c.SAML.MetadataXML = string(doc)
		c.SAML.IdPEntityID = md.EntityID
		c.SAML.SSOURL, c.SAML.SSOPostURL, c.SAML.Certificates = "", "", nil
		c.SAML.SLOURL, c.SAML.SLOPostURL = "", "" // from the metadata
	})
}

// ConfigureSAMLManual stores an IdP entered field by field: entity id, SSO
// URL and optional Single Logout URL (https unless
// InsecureAllowPrivateNetworks) and signing certificates (each must parse
// and be within its validity). See the reset rule on
// ConfigureOIDC.
func (s *SSO) ConfigureSAMLManual(ctx context.Context, orgID, connectionID string, m SAMLManual, actor string) (*store.Connection, error) {
	m.EntityID = strings.TrimSpace(m.EntityID)
	m.SSOURL = strings.TrimSpace(m.SSOURL)
	if m.EntityID == "" {
		return nil, configErr("entity_id", "enter the identity provider's entity ID (also called Issuer)", nil)
	}
	if err := checkText(m.EntityID, 1024); err != nil {
		return nil, configErr("entity_id", err.Error(), nil)
	}
	if m.SSOURL == "" {
		return nil, configErr("sso_url", "enter the identity provider's single sign-on URL", nil)
	}
	if err := checkIdPURL(m.SSOURL, s.cfg.InsecureAllowPrivateNetworks); err != nil {
		return nil, configErr("sso_url", urlProblem(err), err)
	}
	m.SLOURL = strings.TrimSpace(m.SLOURL)
	if m.SLOURL != "" {
		if err := checkIdPURL(m.SLOURL, s.cfg.InsecureAllowPrivateNetworks); err != nil {
			return nil, configErr("slo_url", urlProblem(err), err)
		}
	}
	var pems []string
	now := s.now()
	for i, raw := range splitPEMs(m.Certificates) {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		crt, err := parseCertPEM(raw)
		if err != nil {
			return nil, configErr("certificate", fmt.Sprintf("certificate %d is not a PEM or base64 X.509 certificate", i+1), err)
		}
		if now.After(crt.NotAfter) {
			return nil, configErr("certificate", fmt.Sprintf("certificate %d expired on %s; download the current one", i+1, crt.NotAfter.UTC().Format("2 Jan 2006")), nil)
		}
		pems = append(pems, certPEM(crt))
	}
	if len(pems) == 0 {
		return nil, configErr("certificate", "paste the identity provider's signing certificate", nil)
	}
	return s.configure(ctx, orgID, connectionID, store.ProtocolSAML, actor, "manual", func(c *store.Connection) {
		c.SAML.MetadataURL, c.SAML.MetadataXML, c.SAML.MetadataFetchedAt = "", "", now.UTC()
		c.SAML.IdPEntityID, c.SAML.SSOURL, c.SAML.SSOPostURL = m.EntityID, m.SSOURL, ""
		c.SAML.SLOURL, c.SAML.SLOPostURL = m.SLOURL, ""
		c.SAML.Certificates = pems
	})
}

// OIDCSettings is the IdP side of an OpenID Connect connection.
type OIDCSettings struct {
	Issuer   string
	ClientID string
	// ClientSecret is stored as given; "" keeps the stored secret, so an
	// edit form need not show it back.
	ClientSecret string
	// Scopes requested besides openid. Empty means "email profile".
	Scopes []string
	// TenantID pins the tenant of a multi-tenant Entra ID issuer
	// (/common, /organizations); required for those.
	TenantID string
}

// ConfigureOIDC validates the issuer by running OpenID discovery through
// the guarded client (go-oidc checks that the document names the same
// issuer), and stores the settings.
//
// Reset rule, for every Configure method: when the IdP configuration
// actually changes, a connection that is tested, active or inactive goes
// back to draft and loses TestedAt, so that nothing untested can sign
// people in and Activate asks for a new test. (An active connection stops
// signing people in until it is tested and activated again.) Saving the
// same configuration changes nothing. The change, its
// sso.connection.configured event (with "from" and "to" states) and the new
// UpdatedAt, which invalidates ssokit's per-connection cache on every app
// instance, are one Store write.
func (s *SSO) ConfigureOIDC(ctx context.Context, orgID, connectionID string, o OIDCSettings, actor string) (*store.Connection, error) {
	o.Issuer = strings.TrimSuffix(strings.TrimSpace(o.Issuer), "/")
	o.ClientID = strings.TrimSpace(o.ClientID)
	o.TenantID = strings.TrimSpace(o.TenantID)
	if o.Issuer == "" {
		return nil, configErr("issuer", "enter the issuer URL of your identity provider", nil)
	}
	if err := checkIdPURL(o.Issuer, s.cfg.InsecureAllowPrivateNetworks); err != nil {
		return nil, configErr("issuer", urlProblem(err), err)
	}
	if o.ClientID == "" {
		return nil, configErr("client_id", "enter the client ID of the application you created", nil)
	}
	if err := checkText(o.ClientID, 256); err != nil {
		return nil, configErr("client_id", err.Error(), nil)
	}
	if len(o.ClientSecret) > 1024 || strings.ContainsFunc(o.ClientSecret, unicode.IsControl) {
		return nil, configErr("client_secret", "the client secret has characters a secret cannot have", nil)
	}
	if o.TenantID != "" && !validToken(o.TenantID, 128, "-._") {
		return nil, configErr("tenant_id", "a tenant ID is a GUID or a domain name", nil)
	}
	var scopes []string
	for _, sc := range o.Scopes {
		if sc == "" || sc == oidc.ScopeOpenID || slices.Contains(scopes, sc) {
			continue
		}
		if !validToken(sc, 128, "-._:/") {
			return nil, configErr("scopes", fmt.Sprintf("%q is not a valid scope", truncate(sc, 40)), nil)
		}
		scopes = append(scopes, sc)
	}
	if len(scopes) > 20 {
		return nil, configErr("scopes", "at most 20 scopes", nil)
	}
	issuer, err := pinnedIssuer(o.Issuer, o.TenantID)
	if err != nil {
		return nil, configErr("tenant_id", "this issuer serves every tenant: enter your tenant ID to accept only your organization's sign-ins", err)
	}
	p, err := oidc.NewProvider(s.clientCtx(ctx), issuer)
	if err != nil {
		return nil, configErr("issuer", discoveryProblem(issuer, err), err)
	}
	for _, ep := range []string{p.Endpoint().AuthURL, p.Endpoint().TokenURL} {
		if err := checkIdPURL(ep, s.cfg.InsecureAllowPrivateNetworks); err != nil {
			return nil, configErr("issuer", "the discovery document names an endpoint that is not allowed: "+urlProblem(err), err)
		}
	}
	return s.configure(ctx, orgID, connectionID, store.ProtocolOIDC, actor, "oidc", func(c *store.Connection) {
		secret := o.ClientSecret
		if secret == "" {
			secret = c.OIDC.ClientSecret
		}
		c.OIDC.Issuer, c.OIDC.ClientID, c.OIDC.ClientSecret = o.Issuer, o.ClientID, secret
		c.OIDC.Scopes, c.OIDC.TenantID = scopes, o.TenantID
	})
}

// configure applies change to the connection of orgID under the reset
// rule of ConfigureOIDC.
func (s *SSO) configure(ctx context.Context, orgID, id string, proto store.Protocol, actor, method string, change func(*store.Connection)) (*store.Connection, error) {
	c, err := s.update(ctx, orgID, id, func(c *store.Connection) ([]store.Event, error) {
		if c.Protocol != proto || (proto == store.ProtocolSAML && c.SAML == nil) || (proto == store.ProtocolOIDC && c.OIDC == nil) {
			return nil, configErr("protocol", fmt.Sprintf("this is not a %s connection", protocolName(proto)), nil)
		}
		before := idpConfigJSON(c)
		change(c)
		if idpConfigJSON(c) == before {
			return nil, errNoChange
		}
		from := c.State
		c.State, c.TestedAt = store.ConnectionDraft, time.Time{}
		c.UpdatedAt = s.now().UTC()
		data := map[string]any{"method": method, "from": from, "to": c.State}
		if c.SAML != nil {
			data["idp_entity_id"] = c.SAML.IdPEntityID
		} else {
			data["issuer"], data["client_id"] = c.OIDC.Issuer, c.OIDC.ClientID
		}
		ev, err := s.event(EventConnectionConfigured, c.OrgID, c.ID, actorOr(actor), data)
		if err != nil {
			return nil, err
		}
		return []store.Event{ev}, nil
	})
	return c, err
}

// idpConfigJSON is the IdP side of a connection, for change detection (the
// fetch time and the SP key pair are not part of it).
func idpConfigJSON(c *store.Connection) string {
	var v any
	if c.SAML != nil {
		cp := *c.SAML
		cp.MetadataFetchedAt, cp.SPKeyPEM, cp.SPCertPEM = time.Time{}, "", ""
		v = cp
	} else if c.OIDC != nil {
		v = *c.OIDC
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// SetAttributeMapping replaces the connection's attribute mapping: keys are
// MappingFields(), values the IdP's attribute or claim names; an empty value
// removes the key, which then uses DefaultAttributeNames. It does not reset
// the connection's state (the mapping changes what a profile holds, not whom
// the connection trusts). The change and its sso.connection.mapping_updated
// event are one Store write.
func (s *SSO) SetAttributeMapping(ctx context.Context, orgID, connectionID string, mapping map[string]string, actor string) (*store.Connection, error) {
	clean := map[string]string{}
	for k, v := range mapping {
		if !slices.Contains(MappingFields(), k) {
			return nil, configErr("mapping."+k, "is not a profile field that can be mapped", nil)
		}
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if err := checkText(v, 256); err != nil {
			return nil, configErr("mapping."+k, err.Error(), nil)
		}
		clean[k] = v
	}
	return s.update(ctx, orgID, connectionID, func(c *store.Connection) ([]store.Event, error) {
		if maps.Equal(c.AttributeMapping, clean) || (len(c.AttributeMapping) == 0 && len(clean) == 0) {
			return nil, errNoChange
		}
		c.AttributeMapping = clean
		c.UpdatedAt = s.now().UTC()
		ev, err := s.event(EventConnectionMappingUpdated, c.OrgID, c.ID, actorOr(actor), map[string]any{"mapping": clean})
		if err != nil {
			return nil, err
		}
		return []store.Event{ev}, nil
	})
}

// SAMLOptions are the service-provider options of a SAML connection. The
// zero value is the safe choice for every field. Fields named Insecure...
// weaken security: switch them on only for the identity provider that
// needs it, and only as long as it does.
type SAMLOptions struct {
	// SignRequests signs the AuthnRequests sent to the IdP with the
	// connection's SP key (its certificate is in the SP metadata). Some IdPs
	// require it; it does not weaken anything. Default false.
	SignRequests bool `json:"sign_requests"`
	// RequireEncryptedAssertion refuses assertions that the IdP did not
	// encrypt to the connection's SP certificate. It strengthens the
	// connection, and every login fails until the IdP encrypts. Default
	// false.
	RequireEncryptedAssertion bool `json:"require_encrypted_assertion"`
	// InsecureAllowIdPInitiated accepts responses the IdP sends without a
	// request from this server (a tile in the IdP's app launcher). Such a
	// response has no InResponseTo to bind it to the browser that started
	// the login, so a stolen or injected response can sign a victim in to
	// the attacker's account (login CSRF). Security-weakening. Default
	// false.
	InsecureAllowIdPInitiated bool `json:"allow_idp_initiated"`
	// InsecureAllowSHA1 accepts RSA-SHA1 signatures and SHA-1 digests, which
	// only legacy IdPs still send. SHA-1 collisions are practical, so a
	// signature over SHA-1 is weaker evidence that the IdP wrote the
	// assertion. Security-weakening. Default false.
	InsecureAllowSHA1 bool `json:"allow_sha1"`
	// InsecureClockSkew widens the tolerance of this connection's time
	// checks (NotBefore, NotOnOrAfter, IssueInstant) beyond
	// Config.ClockSkew, for an IdP whose clock drifts; at most
	// MaxClockSkew. A wider window lets an old or captured assertion be
	// accepted for longer. Security-weakening when it raises the tolerance.
	// Default 0: Config.ClockSkew.
	InsecureClockSkew time.Duration `json:"clock_skew"`
}

// MaxClockSkew is the widest SAMLOptions.InsecureClockSkew.
const MaxClockSkew = 15 * time.Minute

// SAMLOptionsOf returns the connection's SAML SP options; the zero value
// for a connection that is not SAML.
func SAMLOptionsOf(c *store.Connection) SAMLOptions {
	if c == nil || c.SAML == nil {
		return SAMLOptions{}
	}
	return SAMLOptions{
		SignRequests:              c.SAML.SignRequests,
		RequireEncryptedAssertion: c.SAML.EncryptedAssertion,
		InsecureAllowIdPInitiated: c.SAML.AllowIdPInitiated,
		InsecureAllowSHA1:         c.SAML.AllowSHA1,
		InsecureClockSkew:         c.SAML.ClockSkew,
	}
}

// weakenedBy returns the JSON names of the security-weakening options o
// switches on that from had off.
func (o SAMLOptions) weakenedBy(from SAMLOptions) []string {
	out := []string{}
	if o.InsecureAllowIdPInitiated && !from.InsecureAllowIdPInitiated {
		out = append(out, "allow_idp_initiated")
	}
	if o.InsecureAllowSHA1 && !from.InsecureAllowSHA1 {
		out = append(out, "allow_sha1")
	}
	if o.InsecureClockSkew > from.InsecureClockSkew {
		out = append(out, "clock_skew")
	}
	return out
}

// SetSAMLOptions replaces all five SP options of a SAML connection of orgID
// with o: an option left false in o is switched off, so a weakening option
// stays on only while every call asks for it. Setting the options a
// connection already has changes nothing and writes no event.
//
// A change writes, in one Store write, the new options, a current
// UpdatedAt (the Store increments Version, which invalidates ssokit's
// per-connection cache on every app instance), an
// sso.connection.options_updated event and, when an Insecure... option is
// switched on, an sso.connection.security_weakened event; a weakening is
// also logged at Warn level. The connection keeps its state: the options
// change how its IdP's responses are checked, not which IdP it trusts.
//
// Errors: ErrConnectionNotFound (also for a connection of another
// organization); a *ConfigError with Field "protocol" for an OpenID
// Connect connection, or "sp_key" when SignRequests or
// RequireEncryptedAssertion is asked of a connection without an SP key
// pair.
func (s *SSO) SetSAMLOptions(ctx context.Context, orgID, connectionID string, o SAMLOptions, actor string) (*store.Connection, error) {
	if o.InsecureClockSkew < 0 || o.InsecureClockSkew > MaxClockSkew {
		return nil, configErr("clock_skew", fmt.Sprintf("the clock skew must be between 0 and %s", MaxClockSkew), nil)
	}
	o.InsecureClockSkew = o.InsecureClockSkew.Truncate(time.Second)
	var weakened []string
	c, err := s.update(ctx, orgID, connectionID, func(c *store.Connection) ([]store.Event, error) {
		if c.Protocol != store.ProtocolSAML || c.SAML == nil {
			return nil, configErr("protocol", "these options apply to SAML connections only", nil)
		}
		if (o.SignRequests || o.RequireEncryptedAssertion) && (c.SAML.SPKeyPEM == "" || c.SAML.SPCertPEM == "") {
			return nil, configErr("sp_key", "the connection has no service provider key pair to sign requests or decrypt assertions with", nil)
		}
		from := SAMLOptionsOf(c)
		if from == o {
			return nil, errNoChange
		}
		c.SAML.SignRequests = o.SignRequests
		c.SAML.EncryptedAssertion = o.RequireEncryptedAssertion
		c.SAML.AllowIdPInitiated = o.InsecureAllowIdPInitiated
		c.SAML.AllowSHA1 = o.InsecureAllowSHA1
		c.SAML.ClockSkew = o.InsecureClockSkew
		c.UpdatedAt = s.now().UTC()
		weakened = o.weakenedBy(from)
		a := actorOr(actor)
		ev, err := s.event(EventConnectionOptionsUpdated, c.OrgID, c.ID, a, map[string]any{"from": from, "to": o, "weakened": weakened})
		if err != nil {
			return nil, err
		}
		evs := []store.Event{ev}
		if len(weakened) > 0 {
			wev, err := s.event(EventConnectionSecurityWeakened, c.OrgID, c.ID, a, map[string]any{"weakened": weakened})
			if err != nil {
				return nil, err
			}
			evs = append(evs, wev)
		}
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	if len(weakened) > 0 {
		s.log.WarnContext(ctx, "ssokit: security-weakening SAML options switched on", "connection_id", c.ID, "org_id", c.OrgID, "actor", actorOr(actor), "weakened", weakened)
	}
	return c, nil
}

// DeleteConnection removes a connection of orgID that is not active
// (ErrConnectionActive otherwise), with its sso.connection.deleted event.
// Deleting an absent connection returns ErrConnectionNotFound.
func (s *SSO) DeleteConnection(ctx context.Context, orgID, connectionID, actor string) error {
	c, err := s.ownConnection(ctx, orgID, connectionID)
	if err != nil {
		return err
	}
	if c.State == store.ConnectionActive {
		return ErrConnectionActive
	}
	ev, err := s.event(EventConnectionDeleted, c.OrgID, c.ID, actorOr(actor), map[string]any{
		"protocol": c.Protocol, "provider": c.Provider, "name": c.Name,
	})
	if err != nil {
		return err
	}
	if err := s.st.DeleteConnection(ctx, c.ID, ev); err != nil {
		return fmt.Errorf("ssokit: deleting connection: %w", err)
	}
	return nil
}

// TestResultFromEvent reads back the outcome of a test flow from its
// sso.connection.tested or sso.connection.test_failed event, so that a page
// served by any app instance can show it. On success Profile holds the
// subject, email and attributes received (the other fields are not
// recorded); on failure Err holds the diagnosis (its Err is a plain error
// carrying the recorded text).
func TestResultFromEvent(ev store.Event) (*TestResult, error) {
	res := &TestResult{ConnectionID: ev.Subject, OrgID: ev.OrgID}
	switch ev.Type {
	case EventConnectionTested:
		var d struct {
			To         store.ConnectionState `json:"to"`
			Subject    string                `json:"subject"`
			Email      string                `json:"email"`
			Attributes map[string][]string   `json:"attributes"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return nil, fmt.Errorf("ssokit: reading test event: %w", err)
		}
		res.State = d.To
		res.Profile = &Profile{Subject: d.Subject, Email: d.Email, Attributes: d.Attributes,
			ConnectionID: ev.Subject, OrgID: ev.OrgID}
	case EventConnectionTestFailed:
		le := &LoginError{}
		if err := json.Unmarshal(ev.Data, le); err != nil {
			return nil, fmt.Errorf("ssokit: reading test event: %w", err)
		}
		le.ConnectionID, le.OrgID = ev.Subject, ev.OrgID
		res.Err = le
	default:
		return nil, fmt.Errorf("ssokit: %s is not a test event", ev.Type)
	}
	return res, nil
}

// update loads the connection of orgID and applies fn; errNoChange from fn
// returns the connection unchanged.
func (s *SSO) update(ctx context.Context, orgID, id string, fn func(*store.Connection) ([]store.Event, error)) (*store.Connection, error) {
	if _, err := s.ownConnection(ctx, orgID, id); err != nil {
		return nil, err
	}
	c, err := s.st.UpdateConnection(ctx, id, func(c *store.Connection) ([]store.Event, error) {
		if c.OrgID != orgID {
			return nil, ErrConnectionNotFound
		}
		return fn(c)
	})
	var ce *ConfigError
	switch {
	case errors.Is(err, errNoChange):
		return s.st.GetConnection(ctx, id)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, ErrConnectionNotFound):
		return nil, ErrConnectionNotFound
	case errors.As(err, &ce):
		return nil, ce
	case err != nil:
		return nil, fmt.Errorf("ssokit: updating connection: %w", err)
	}
	return c, nil
}

// ownConnection returns the connection id if it belongs to orgID, else
// ErrConnectionNotFound: a caller scoped to one organization cannot tell
// another organization's connections from absent ones.
func (s *SSO) ownConnection(ctx context.Context, orgID, id string) (*store.Connection, error) {
	if orgID == "" {
		return nil, ErrConnectionNotFound
	}
	c, err := s.getConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.OrgID != orgID {
		return nil, ErrConnectionNotFound
	}
	return c, nil
}

func actorOr(a string) string {
	if a == "" {
		return "system"
	}
	return a
}

func protocolName(p store.Protocol) string {
	if p == store.ProtocolOIDC {
		return "OpenID Connect"
	}
	return "SAML"
}

// checkText accepts a single line of printable text of at most n bytes.
func checkText(s string, n int) error {
	switch {
	case len(s) > n:
		return fmt.Errorf("must be at most %d characters", n)
	case store.ValidateLine("", s) != nil:
		// The Stores' rule for text.
		return errors.New("must be a single line of valid text, without control characters")
	}
	return nil
}

// validToken accepts ASCII letters, digits and the extra characters.
func validToken(s string, n int, extra string) bool {
	if s == "" || len(s) > n {
		return false
	}
	for _, r := range s {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(extra, r))) {
			return false
		}
	}
	return true
}

func urlProblem(err error) string {
	switch {
	case errors.Is(err, errForbiddenAddress):
		return "this address is on a private, loopback or link-local network, which is not allowed; use the public URL of your identity provider"
	case strings.Contains(err.Error(), "must use https"):
		return "the URL must start with https://"
	}
	return "enter a complete URL starting with https://"
}

func fetchProblem(err error) string {
	switch {
	case errors.Is(err, ErrBadMetadata):
		return metadataProblem(err)
	case errors.Is(err, errForbiddenAddress):
		return urlProblem(err)
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "Timeout"):
		return "the identity provider did not answer in time; check the URL or try again"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "the metadata could not be downloaded from this URL; check that it is reachable from the internet"
	}
	if msg := err.Error(); strings.Contains(msg, "HTTP ") {
		return "the metadata could not be downloaded: the server answered " + msg[strings.LastIndex(msg, "HTTP "):]
	}
	return "the metadata could not be downloaded from this URL"
}

func metadataProblem(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ErrBadMetadata.Error()+": "); i >= 0 {
		msg = msg[i+len(ErrBadMetadata.Error())+2:]
	}
	msg = strings.ReplaceAll(msg, "ssokit: ", "")
	return "this is not usable SAML IdP metadata: " + truncate(msg, 200)
}

func discoveryProblem(issuer string, err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, errForbiddenAddress):
		return urlProblem(err)
	case strings.Contains(msg, "issuer did not match"):
		return "the discovery document names a different issuer; copy the issuer URL exactly as your identity provider shows it"
	case strings.Contains(msg, "404"):
		return "no OpenID configuration was found at " + issuer + "/.well-known/openid-configuration"
	}
	return "OpenID discovery at " + issuer + "/.well-known/openid-configuration failed; check the issuer URL and that it is reachable"
}

func certPEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// splitPEMs returns the certificates of entries, an entry holding several
// PEM blocks (text pasted from an IdP's download) giving one each.
func splitPEMs(entries []string) []string {
	const begin = "-----BEGIN"
	var out []string
	for _, e := range entries {
		if strings.Count(e, begin) <= 1 {
			out = append(out, e)
			continue
		}
		for part := range strings.SplitSeq(e, begin) {
			if strings.TrimSpace(part) != "" {
				out = append(out, begin+part)
			}
		}
	}
	return out
}
