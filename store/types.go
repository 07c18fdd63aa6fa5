package store

import (
	"crypto/subtle"
	"encoding/json"
	"slices"
	"time"
)

// All times handed to and returned by a Store are UTC. Implementations keep at
// least microsecond precision; callers should not rely on finer precision.

// Organization is one enterprise customer of the host application.
type Organization struct {
	ID         string
	Name       string
	ExternalID string // the host's own id for this customer; optional, unique when set
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// OrganizationSetup counts an organization's connections, directories and
// domains by state (store.OrganizationStore.OrganizationSetups). A state
// without any is absent from its map.
type OrganizationSetup struct {
	Connections map[ConnectionState]int
	Directories map[DirectoryState]int
	Domains     map[DomainState]int
}

// MaxSetupOrganizations is the most organizations one OrganizationSetups
// call counts: a page of organizations.
const MaxSetupOrganizations = 1000

// DomainState is where a domain is in its verification lifecycle.
type DomainState string

const (
	DomainPending  DomainState = "pending"
	DomainVerified DomainState = "verified"
	DomainFailed   DomainState = "failed"
)

// Valid reports whether s is one of the defined states.
func (s DomainState) Valid() bool {
	return s == DomainPending || s == DomainVerified || s == DomainFailed
}

// DomainMethod is how a domain was (or is to be) verified.
type DomainMethod string

const (
	DomainManual DomainMethod = "manual"
	DomainDNSTXT DomainMethod = "dns_txt"
)

// Valid reports whether m is one of the defined methods.
func (m DomainMethod) Valid() bool { return m == DomainManual || m == DomainDNSTXT }

// Domain is an email domain claimed by an organization. Name is normalised by
// the caller (lower case, no trailing dot, IDN as punycode); the Store compares
// names byte for byte. Any number of organizations may hold the same name as
// pending or failed; at most one may hold it as verified.
type Domain struct {
	ID        string
	OrgID     string
	Name      string
	State     DomainState
	Method    DomainMethod
	Challenge string // value of the TXT record that proves ownership

	VerifiedAt  time.Time // zero unless verified
	VerifiedBy  string    // operator or "dns"; empty unless verified
	CheckedAt   time.Time // last DNS check; zero if never
	NextCheckAt time.Time // when a background verifier should look next; zero = never
	Failure     string    // last failure message, for display; empty when none
	// FailureKind classifies the last failure (the domains package defines
	// the kinds); empty when none.
	FailureKind string
	// CheckFailures counts consecutive failed re-checks of a verified
	// domain; 0 after a successful check.
	CheckFailures int

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Protocol is an SSO protocol.
type Protocol string

const (
	ProtocolSAML Protocol = "saml"
	ProtocolOIDC Protocol = "oidc"
)

// Valid reports whether p is one of the defined protocols.
func (p Protocol) Valid() bool { return p == ProtocolSAML || p == ProtocolOIDC }

// ConnectionState is where a connection is in its lifecycle:
// draft -> tested -> active <-> inactive. Only active connections log users in.
type ConnectionState string

const (
	ConnectionDraft    ConnectionState = "draft"
	ConnectionTested   ConnectionState = "tested"
	ConnectionActive   ConnectionState = "active"
	ConnectionInactive ConnectionState = "inactive"
)

// Valid reports whether s is one of the defined states.
func (s ConnectionState) Valid() bool {
	switch s {
	case ConnectionDraft, ConnectionTested, ConnectionActive, ConnectionInactive:
		return true
	}
	return false
}

// Connection is one SSO connection of an organization to its identity provider.
// Exactly one of SAML and OIDC is set, matching Protocol.
type Connection struct {
	ID       string
	OrgID    string
	Protocol Protocol
	Provider string // okta, entra, google, onelogin, jumpcloud, ping, adfs, generic
	Name     string
	State    ConnectionState

	SAML *SAMLConfig
	OIDC *OIDCConfig

	// AttributeMapping maps profile fields (email, first_name, last_name,
	// display_name, groups, roles) to the IdP's attribute or claim names.
	// Missing keys use the provider's defaults.
	AttributeMapping map[string]string

	// AllowEmailOutsideDomains lets the connection log in users whose email is
	// not in a verified domain of the organization. Off by default.
	AllowEmailOutsideDomains bool

	TestedAt time.Time // last successful test; zero if none
	// Version is 1 on create and incremented by the Store on every update,
	// so that (ID, Version) identifies one state of the connection.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SAMLConfig is the identity provider side of a SAML connection plus the
// per-connection SP options.
type SAMLConfig struct {
	IdPEntityID string
	SSOURL      string // HTTP-Redirect binding endpoint
	SSOPostURL  string // HTTP-POST binding endpoint, if the IdP has one
	// SLOURL and SLOPostURL are the IdP's Single Logout endpoints
	// (HTTP-Redirect and HTTP-POST bindings), set by hand; when empty they
	// are taken from the metadata. A connection with neither does not send
	// logout requests to the IdP.
	SLOURL     string `json:",omitempty"`
	SLOPostURL string `json:",omitempty"`
	// Certificates are the IdP's signing certificates, PEM encoded. Several may
	// be trusted at once during a rotation.
	Certificates []string

	MetadataURL       string
	MetadataXML       string
	MetadataFetchedAt time.Time

	AllowIdPInitiated  bool
	SignRequests       bool
	EncryptedAssertion bool // require encrypted assertions
	AllowSHA1          bool // accept SHA-1 signatures (legacy IdPs)
	// ClockSkew widens the time checks' tolerance for this connection
	// beyond the SSO kit's configured one; zero keeps that one.
	ClockSkew time.Duration `json:",omitempty"`

	// SP key pair used for signing AuthnRequests and decrypting assertions,
	// PEM encoded. Generated per connection.
	SPKeyPEM  string
	SPCertPEM string
}

// OIDCConfig is the identity provider side of an OpenID Connect connection.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	Scopes       []string
	// TenantID pins the tenant of a multi-tenant issuer (Entra ID's /common or
	// /organizations): only tokens whose tid claim equals it are accepted.
	TenantID string
}

// Feature is a portal capability a link or session grants.
type Feature string

const (
	FeatureSSO     Feature = "sso"
	FeatureDirSync Feature = "dir_sync"
	FeatureDomains Feature = "domains"
)

// Valid reports whether f is one of the defined features.
func (f Feature) Valid() bool {
	return f == FeatureSSO || f == FeatureDirSync || f == FeatureDomains
}

// Features is a set of features, kept sorted and without duplicates by the
// Store.
type Features []Feature

// Has reports whether f is in fs.
func (fs Features) Has(f Feature) bool { return slices.Contains(fs, f) }

// LinkKind is the kind of a portal link.
type LinkKind string

const (
	// LinkShareable: reusable until it expires (7 days by default), revocable.
	LinkShareable LinkKind = "shareable"
	// LinkEmbedded: single-use, expires a minute after it is generated.
	LinkEmbedded LinkKind = "embedded"
)

// Valid reports whether k is one of the defined kinds.
func (k LinkKind) Valid() bool { return k == LinkShareable || k == LinkEmbedded }

// PortalLink grants access to the admin portal of one organization. Only the
// SHA-256 digest of its token is stored.
type PortalLink struct {
	ID        string
	OrgID     string
	Kind      LinkKind
	Features  Features
	Digest    []byte // SHA-256 of the token
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // first redemption; zero if never redeemed
	RevokedAt time.Time // zero unless revoked
}

// PortalSession is a signed-in portal visitor. Only the SHA-256 digest of the
// session id is stored.
type PortalSession struct {
	ID        string
	OrgID     string
	LinkID    string
	Features  Features
	Embedded  bool
	Digest    []byte // SHA-256 of the session secret
	CSRF      string // per-session CSRF secret
	CreatedAt time.Time
	ExpiresAt time.Time // absolute
}

// DirectoryState is the state of a SCIM directory.
type DirectoryState string

const (
	DirectoryInactive DirectoryState = "inactive"
	DirectoryActive   DirectoryState = "active"
)

// Valid reports whether s is one of the defined states.
func (s DirectoryState) Valid() bool { return s == DirectoryInactive || s == DirectoryActive }

// Directory is a SCIM directory: the provisioned view of one identity provider
// of an organization.
type Directory struct {
	ID        string
	OrgID     string
	Provider  string // okta, entra, google, onelogin, jumpcloud, ping, generic
	Name      string
	State     DirectoryState
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DirectoryToken is a bearer token of a directory's SCIM endpoint. Only the
// SHA-256 digest is stored; Hint (the last characters) helps admins tell
// tokens apart.
type DirectoryToken struct {
	ID          string
	DirectoryID string
	Digest      []byte
	Hint        string
	CreatedAt   time.Time
	ExpiresAt   time.Time // zero = never
	RevokedAt   time.Time // zero unless revoked
	LastUsedAt  time.Time
}

// ActiveAt reports whether the token is usable at now.
func (t *DirectoryToken) ActiveAt(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// MaxActiveDirectoryTokens is how many tokens a directory may have active at
// once: two, so a customer can rotate without downtime.
const MaxActiveDirectoryTokens = 2

// Email is one of a directory user's email addresses.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// DirectoryUser is a user provisioned by a directory. The normalised fields
// are what the Store indexes and filters on; Attributes keeps the whole SCIM
// resource as the client sent it (minus id, meta and password).
type DirectoryUser struct {
	ID          string
	DirectoryID string
	OrgID       string
	UserName    string // unique per directory, case-insensitively
	ExternalID  string // unique per directory when set, case-sensitively
	Active      bool
	DisplayName string
	GivenName   string
	FamilyName  string
	Emails      []Email
	// OutsideDomains marks a user whose emails are not in a verified domain
	// of the organization (accepted under the "mark" policy).
	OutsideDomains bool
	// Roles are the roles the organization's directory-group mappings give
	// the user, sorted, computed by the Store (see RoleStore); empty when
	// none applies or the user is not active. The Store ignores the value
	// a caller sets.
	Roles []string
	// Custom are the values of the host's custom attributes the directory
	// sent, read from Attributes through the organization's attribute
	// mappings by whoever writes the user (the SCIM server).
	Custom     CustomValues
	Attributes json.RawMessage
	Version    int64 // incremented on every update; starts at 1
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// PrimaryEmail returns the primary email, else the first, else "".
func (u *DirectoryUser) PrimaryEmail() string {
	for _, e := range u.Emails {
		if e.Primary {
			return e.Value
		}
	}
	if len(u.Emails) > 0 {
		return u.Emails[0].Value
	}
	return ""
}

// DirectoryGroup is a group provisioned by a directory. Members are kept by
// the Store separately (see DirectoryStore).
type DirectoryGroup struct {
	ID          string
	DirectoryID string
	OrgID       string
	DisplayName string // unique per directory, case-insensitively
	ExternalID  string
	Attributes  json.RawMessage
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Member is one member of a group, with the member's display name joined in.
type Member struct {
	ID      string // a DirectoryUser or DirectoryGroup id
	Type    MemberType
	Display string
}

// MemberType tells whether a member is a user or a nested group.
type MemberType string

const (
	MemberUser  MemberType = "User"
	MemberGroup MemberType = "Group"
)

// MemberOpKind is the kind of a membership change.
type MemberOpKind int

const (
	MembersAdd MemberOpKind = iota + 1
	MembersRemove
	MembersReplace
)

// MemberOp is one membership change, applied in order with the others of an
// update. IDs are user or group ids of the same directory. Adding a present
// member or removing an absent one is not an error.
type MemberOp struct {
	Kind MemberOpKind
	IDs  []string
}

// Event is an entry of the append-only outbox. The Store assigns Cursor: a
// strictly increasing, gap-free sequence number (the first event has cursor
// 1). A reader that has seen cursor n never later sees a new event with a
// cursor <= n.
type Event struct {
	Cursor int64
	// ID identifies the event to consumers. It is unique by the caller's
	// construction (random, e.g. "evt_..." from 256 random bits); Stores
	// need not enforce or index its uniqueness, and a reused id never fails
	// the write it accompanies.
	ID        string
	Type      string // e.g. "directory.user.created", see the kits for the list
	OrgID     string
	Subject   string // id of the entity the event is about
	Actor     string // who caused it: "scim:<directory>", "operator:<name>", "portal:<session>", "system"
	Data      json.RawMessage
	CreatedAt time.Time
}

// LoginRequest is a pending SSO login: a SAML AuthnRequest or an OIDC
// authorization request. It is consumed exactly once.
type LoginRequest struct {
	ID           string // SAML request id, or OIDC state
	ConnectionID string
	OrgID        string
	Protocol     Protocol
	// Binding is the SHA-256 digest of the browser-binding cookie set when
	// the login started; the callback must present the same cookie.
	Binding      []byte
	Nonce        string // OIDC
	CodeVerifier string // OIDC PKCE
	ReturnTo     string
	Test         bool // a "test connection" flow: report, do not log in
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// LoginRequestMatch names whose pending login request a conditional
// ConsumeLoginRequest may take. The zero value matches every request.
type LoginRequestMatch struct {
	// ConnectionID, when set, must be the request's ConnectionID, and
	// Binding its Binding (an empty Binding, on either side, never
	// matches).
	ConnectionID string
	Binding      []byte
}

// Matches reports whether the pending request r may be consumed under m:
// when m names a connection, r must be of that connection and carry m's
// non-empty Binding. The bindings are compared in constant time.
func (m LoginRequestMatch) Matches(r *LoginRequest) bool {
	if m.ConnectionID == "" {
		return true
	}
	return r.ConnectionID == m.ConnectionID && len(m.Binding) > 0 &&
		subtle.ConstantTimeCompare(r.Binding, m.Binding) == 1
}

// LoginCompletion names what CompleteLogin checks and writes at once.
type LoginCompletion struct {
	ConnectionID string // required
	// ConnectionVersion, when not 0, is the Version of the connection the
	// login was verified against; it must still be current.
	ConnectionVersion int64
	// RequestID is the pending request to consume, if any. It is consumed
	// only if its ConnectionID is ConnectionID and its Binding is Binding
	// (an empty Binding never matches): the request of another connection
	// or browser is left pending.
	RequestID string
	Binding   []byte
	// AssertionID, when set, is recorded in the replay cache until
	// AssertionExpiresAt (required with it).
	AssertionID        string
	AssertionExpiresAt time.Time
	Now                time.Time // required
	// EmailDomain, when set, names a domain whose verified row accept gets
	// (as GetVerifiedDomain returns it).
	EmailDomain string
	// Email, when set, is an address whose directory users in OrgID
	// (required with it) accept gets (as FindDirectoryUsersByEmail returns
	// them).
	Email string
	OrgID string
	// OrgFacts, with OrgID, asks for the organization's provisioning
	// policy, its role mappings of identity-provider groups and its
	// attribute mappings.
	OrgFacts bool
}

// LoginFacts is the state a login is accepted against, read by
// CompleteLogin inside its write.
type LoginFacts struct {
	Request        *LoginRequest   // the consumed request; nil without RequestID
	Domain         *Domain         // the verified domain EmailDomain; nil when there is none
	DirectoryUsers []DirectoryUser // the directory users of Email in OrgID
	// Deprovisioned is the record a directory of OrgID left of a user of
	// Email it deleted; nil when there is none.
	Deprovisioned *Deprovisioned
	// Policy is OrgID's provisioning policy and RoleMappings its mappings
	// of source RoleFromIdPGroup, when OrgFacts asked for them.
	Policy       *ProvisioningPolicy
	RoleMappings []RoleMapping
	// AttributeMappings are OrgID's attribute mappings, when OrgFacts
	// asked for them.
	AttributeMappings []AttributeMapping
}

// Branding is how the portal and dashboard look. Scope "" is the host-wide
// default; an organization id scopes an override to that organization.
type Branding struct {
	Scope       string
	AccentColor string // "#RRGGBB"
	Logo        *Asset
	Favicon     *Asset
	UpdatedAt   time.Time
}

// Asset is a small uploaded file.
type Asset struct {
	ContentType string
	Data        []byte
}

// APIKey authenticates a client of the management API. Only the SHA-256
// digest of the key is stored.
type APIKey struct {
	ID         string
	Name       string
	Digest     []byte
	Hint       string
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}
