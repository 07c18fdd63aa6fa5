package web

import (
	"time"

	"github.com/onboardkit/onboardkit/admin"

	"github.com/onboardkit/onboardkit/store"
)

// Feature is a part of the portal a link can grant, with its name for
// people.
type Feature struct {
	Feature store.Feature
	Label   string
}

// Features lists the portal's features in navigation order.
func Features() []Feature {
	return []Feature{
		{store.FeatureSSO, "Single sign-on"},
		{store.FeatureDirSync, "Directory sync"},
		{store.FeatureDomains, "Domains"},
	}
}

// Plural returns one when n is 1, else many.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// FormatTime writes a time for people, in UTC; "" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// ProviderLabel names an identity provider id for people.
func ProviderLabel(p string) string {
	if n := admin.ProviderName(p); n != "" {
		return n
	}
	if p == "generic" || p == "" {
		return "Other identity provider"
	}
	return p
}

// ConnectionStateLabel names a connection state for people.
func ConnectionStateLabel(s store.ConnectionState) string {
	switch s {
	case store.ConnectionDraft:
		return "Draft"
	case store.ConnectionTested:
		return "Tested, not active"
	case store.ConnectionActive:
		return "Active"
	case store.ConnectionInactive:
		return "Inactive"
	}
	return string(s)
}

// DirectoryStateLabel names a directory state for people.
func DirectoryStateLabel(s store.DirectoryState) string {
	switch s {
	case store.DirectoryActive:
		return "Active"
	case store.DirectoryInactive:
		return "Inactive"
	}
	return string(s)
}

// DomainStateLabel names a domain state for people.
func DomainStateLabel(s store.DomainState) string {
	switch s {
	case store.DomainPending:
		return "Pending verification"
	case store.DomainVerified:
		return "Verified"
	case store.DomainFailed:
		return "Verification failed"
	}
	return string(s)
}

// ConnectionProtocol names a connection's protocol for people and returns
// the detail that tells its identity provider apart: the IdP entity id or
// the OIDC issuer.
func ConnectionProtocol(c *store.Connection) (protocol, detail string) {
	switch c.Protocol {
	case store.ProtocolSAML:
		if c.SAML != nil {
			detail = c.SAML.IdPEntityID
		}
		return "SAML", detail
	case store.ProtocolOIDC:
		if c.OIDC != nil {
			detail = c.OIDC.Issuer
		}
		return "OpenID Connect", detail
	}
	return string(c.Protocol), ""
}
