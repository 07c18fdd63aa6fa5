package ssokit

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

// Profile is the normalized identity of a user who signed in through a
// connection. ID is stable for one (connection, subject) pair: users must be
// keyed by it (or by ConnectionID and Subject), never by Email alone.
type Profile struct {
	// ID is "prf_" and 32 hex characters derived from ConnectionID and
	// Subject: stable across logins, different per connection.
	ID string
	// Subject is the SAML NameID or the OIDC sub, as sent by the IdP.
	Subject string
	// SubjectFormat is the NameID Format (SAML), empty for OIDC.
	SubjectFormat string

	// Email is the address the IdP asserted, lower-cased. For OIDC it is
	// set only when the provider vouches for it: email_verified true, or,
	// for provider "entra" (which never sends email_verified), the "email"
	// claim of a token of the connection's tenant whose domain is a
	// verified domain of the organization. An address in another
	// organization's verified domain refuses the login.
	Email string
	// EmailVerified is true when Email is in a verified domain of the
	// organization (for OIDC, on top of the provider's verification above).
	// Only then may a host link the profile to an existing account by email.
	EmailVerified bool
	FirstName     string
	LastName      string
	DisplayName   string
	Groups        []string
	Roles         []string

	OrgID        string
	ConnectionID string
	Protocol     store.Protocol
	Provider     string

	// ReturnTo is the sanitized place to send the browser ("/" when none).
	ReturnTo string
	// IdPInitiated is true for an unsolicited SAML response.
	IdPInitiated bool
	// SessionIndex is the SAML session index, if any.
	SessionIndex string
	// SID is the OIDC sid claim of the ID token, if any: the IdP's session,
	// named again by a back-channel logout_token.
	SID string `json:",omitempty"`
	// IDToken is the raw OIDC ID token, kept by a session layer to send as
	// id_token_hint at logout (StartLogout). It is a credential of the
	// user at this application: never log it or show it. ssokit/session
	// keeps it in store.Session.IDToken, which the Store seals at rest, and
	// not in the stored profile, so ProfileFromContext's profile lacks it.
	IDToken string `json:",omitempty"`

	// Attributes are the raw SAML attributes or OIDC claims, as received.
	// An OIDC claim that is not a string is rendered as its JSON: a number
	// as written (an exp of 1796639439 stays 1796639439), true or false,
	// an array as one value per element, an object as compact JSON.
	Attributes map[string][]string

	// DirectoryUser is the SCIM-provisioned user of the organization with
	// this email, when there is one. A deactivated one refuses the login.
	DirectoryUser *store.DirectoryUser

	// Custom are the values of the host's custom attributes
	// (Config.Roles.Fields), by key: a string, bool, int64 or []string as
	// the field declares. Each comes from the directory user when it holds
	// one (the directory is the record), else from the SAML attribute or
	// OIDC claim the organization maps the field to
	// (store.AttributeMapping). Nil when there are none.
	Custom store.CustomValues `json:",omitempty"`
	// CustomRefused lists the values the identity provider sent for a
	// custom attribute that are not of the field's type (an integer field
	// sent "n/a", two values for a single-valued field): they are left
	// out of Custom, the login goes on, and the refusal is logged and
	// recorded on the sso.login.succeeded event.
	CustomRefused []roles.ValueError `json:",omitempty"`

	claims   map[string]any    // OIDC: the claims as decoded, numbers as json.Number
	friendly map[string]string // SAML: attribute FriendlyName -> Name

	unverifiedEmail  bool // OIDC: an email was asserted but not verified by the provider
	emailNeedsDomain bool // OIDC (Entra): Email trusted only in a verified domain of the org
}

// ProfileID returns the stable profile id of subject at a connection.
func ProfileID(connectionID, subject string) string {
	h := sha256.New()
	h.Write([]byte(connectionID))
	h.Write([]byte{0})
	h.Write([]byte(subject))
	return "prf_" + hex.EncodeToString(h.Sum(nil)[:16])
}

// Profile fields that AttributeMapping may set.
const (
	FieldEmail       = "email"
	FieldFirstName   = "first_name"
	FieldLastName    = "last_name"
	FieldDisplayName = "display_name"
	FieldGroups      = "groups"
	FieldRoles       = "roles"
)

const (
	claimsXMLSoap = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
	claimsMS      = "http://schemas.microsoft.com/identity/claims/"
	claimsMS2008  = "http://schemas.microsoft.com/ws/2008/06/identity/claims/"
)

// defaultSAMLAttributes lists, per field, the attribute names tried in order
// when the connection has no explicit mapping: the names Okta, Entra ID,
// Google Workspace, OneLogin, JumpCloud, Ping and ADFS send by default, then
// the eduPerson / X.500 OIDs.
var defaultSAMLAttributes = map[string][]string{
	FieldEmail: {"email", "Email", "mail", "emailAddress", "EmailAddress", "User.email",
		claimsXMLSoap + "emailaddress", "urn:oid:0.9.2342.19200300.100.1.3"},
	FieldFirstName: {"firstName", "first_name", "FirstName", "givenName", "given_name", "User.FirstName",
		claimsXMLSoap + "givenname", "urn:oid:2.5.4.42"},
	FieldLastName: {"lastName", "last_name", "LastName", "surname", "sn", "familyName", "User.LastName",
		claimsXMLSoap + "surname", "urn:oid:2.5.4.4"},
	FieldDisplayName: {"displayName", "display_name", "DisplayName", "name", "cn",
		claimsMS + "displayname", "urn:oid:2.16.840.1.113730.3.1.241", "urn:oid:2.5.4.3"},
	FieldGroups: {"groups", "Groups", "memberOf", "group", "memberof",
		claimsMS2008 + "groups", "http://schemas.xmlsoap.org/claims/Group", "urn:oid:1.3.6.1.4.1.5923.1.5.1.1"},
	FieldRoles: {"roles", "Roles", "role", "Role", claimsMS2008 + "role"},
}

// providerSAMLAttributes are tried before the defaults for a provider.
var providerSAMLAttributes = map[string]map[string][]string{
	"entra": {
		FieldEmail: {claimsXMLSoap + "emailaddress", claimsXMLSoap + "name"},
	},
	"adfs": {
		FieldEmail:       {claimsXMLSoap + "emailaddress", claimsXMLSoap + "upn"},
		FieldDisplayName: {claimsXMLSoap + "name", "http://schemas.xmlsoap.org/claims/CommonName"},
	},
	"ping": {
		FieldEmail: {"mail", "email", "subject"},
	},
	"onelogin": {
		FieldEmail: {"User.email", "email"},
	},
	"jumpcloud": {
		FieldEmail: {"email", "Email"},
	},
}

var defaultOIDCClaims = map[string][]string{
	FieldEmail:       {"email"},
	FieldFirstName:   {"given_name"},
	FieldLastName:    {"family_name"},
	FieldDisplayName: {"name"},
	FieldGroups:      {"groups"},
	FieldRoles:       {"roles"},
}

var providerOIDCClaims = map[string]map[string][]string{
	"entra": {FieldEmail: {"email", "upn", "preferred_username"}},
}

// mapAttributes fills p's fields from attrs following the connection's
// AttributeMapping, else the provider's defaults.
func mapAttributes(conn *store.Connection, p *Profile, attrs map[string][]string, friendly map[string]string) {
	defaults, prov := defaultSAMLAttributes, providerSAMLAttributes[conn.Provider]
	if conn.Protocol == store.ProtocolOIDC {
		defaults, prov = defaultOIDCClaims, providerOIDCClaims[conn.Provider]
	}
	get := func(field string) []string {
		if name, ok := conn.AttributeMapping[field]; ok && name != "" {
			if v, ok := attrs[name]; ok {
				return v
			}
			if n, ok := friendly[name]; ok {
				return attrs[n]
			}
			return nil
		}
		for _, list := range [][]string{prov[field], defaults[field]} {
			for _, name := range list {
				if v, ok := attrs[name]; ok && len(v) > 0 && v[0] != "" {
					return v
				}
			}
		}
		for _, name := range defaults[field] {
			if n, ok := friendly[name]; ok && len(attrs[n]) > 0 {
				return attrs[n]
			}
		}
		return nil
	}
	first := func(field string) string {
		if v := get(field); len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	p.Email = first(FieldEmail)
	p.FirstName = first(FieldFirstName)
	p.LastName = first(FieldLastName)
	p.DisplayName = first(FieldDisplayName)
	p.Groups = nonEmpty(get(FieldGroups))
	p.Roles = nonEmpty(get(FieldRoles))
	if p.DisplayName == "" && (p.FirstName != "" || p.LastName != "") {
		p.DisplayName = strings.TrimSpace(p.FirstName + " " + p.LastName)
	}
}

func nonEmpty(v []string) []string {
	var out []string
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// samlProfile builds the profile of a verified SAML response.
func samlProfile(conn *store.Connection, res *samlResponse) *Profile {
	p := &Profile{
		ID:            ProfileID(conn.ID, res.NameID),
		Subject:       res.NameID,
		SubjectFormat: res.NameIDFormat,
		OrgID:         conn.OrgID,
		ConnectionID:  conn.ID,
		Protocol:      store.ProtocolSAML,
		Provider:      conn.Provider,
		SessionIndex:  res.SessionIndex,
		Attributes:    res.Attributes,
		friendly:      res.FriendlyNames,
	}
	mapAttributes(conn, p, res.Attributes, res.FriendlyNames)
	if p.Email == "" && (res.NameIDFormat == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" || strings.Contains(res.NameID, "@")) {
		p.Email = res.NameID
	}
	return p
}

// customFromIdP reads the values of the host's custom attributes that the
// identity provider sent, through the organization's mappings ms: the SAML
// attribute (by Name, else FriendlyName) or the OIDC claim (with its JSON
// type) each field is mapped to. It returns the values of the right type
// and the refusals of the others.
func (p *Profile) customFromIdP(rc *roles.Config, ms []store.AttributeMapping) (store.CustomValues, []roles.ValueError) {
	var out store.CustomValues
	var refused []roles.ValueError
	for _, m := range ms {
		f, ok := rc.Field(m.Field)
		if !ok {
			continue
		}
		var v any
		var err error
		switch {
		case p.Protocol == store.ProtocolOIDC && m.OIDCClaim != "":
			raw, ok := p.claims[m.OIDCClaim]
			if !ok || raw == nil {
				continue
			}
			v, err = f.FromJSON(m.OIDCClaim, raw)
		case p.Protocol == store.ProtocolSAML && m.SAMLAttribute != "":
			vals, ok := p.Attributes[m.SAMLAttribute]
			if !ok {
				if name, found := p.friendly[m.SAMLAttribute]; found {
					vals, ok = p.Attributes[name]
				}
			}
			if !ok || len(vals) == 0 {
				continue
			}
			v, err = f.FromStrings(m.SAMLAttribute, vals)
		default:
			continue
		}
		if ve := (*roles.ValueError)(nil); errors.As(err, &ve) {
			refused = append(refused, *ve)
			continue
		}
		if out == nil {
			out = store.CustomValues{}
		}
		out[f.Key] = v
	}
	return out, refused
}
