package memstore

import (
	"bytes"
	"maps"
	"slices"

	"github.com/onboardkit/onboardkit/store"
)

// The clone functions deep-copy values crossing the Store boundary. The in
// functions (storeX) also bring times to UTC at microsecond precision.

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

func cloneOrg(o *store.Organization) store.Organization { return *o }

func storeOrg(o *store.Organization) *store.Organization {
	c := cloneOrg(o)
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	return &c
}

func cloneDomain(d *store.Domain) store.Domain { return *d }

func storeDomain(d *store.Domain) *store.Domain {
	c := cloneDomain(d)
	c.VerifiedAt, c.CheckedAt, c.NextCheckAt = utc(c.VerifiedAt), utc(c.CheckedAt), utc(c.NextCheckAt)
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	return &c
}

func cloneConn(c *store.Connection) store.Connection {
	out := *c
	if c.SAML != nil {
		s := *c.SAML
		s.Certificates = slices.Clone(c.SAML.Certificates)
		out.SAML = &s
	}
	if c.OIDC != nil {
		o := *c.OIDC
		o.Scopes = slices.Clone(c.OIDC.Scopes)
		out.OIDC = &o
	}
	out.AttributeMapping = maps.Clone(c.AttributeMapping)
	return out
}

func storeConn(c *store.Connection) *store.Connection {
	out := cloneConn(c)
	if out.SAML != nil {
		out.SAML.MetadataFetchedAt = utc(out.SAML.MetadataFetchedAt)
	}
	out.TestedAt, out.CreatedAt, out.UpdatedAt = utc(out.TestedAt), utc(out.CreatedAt), utc(out.UpdatedAt)
	return &out
}

func cloneLink(l *store.PortalLink) store.PortalLink {
	out := *l
	out.Features = slices.Clone(l.Features)
	out.Digest = cloneBytes(l.Digest)
	return out
}

func storeLink(l *store.PortalLink) *store.PortalLink {
	out := cloneLink(l)
	out.Features = l.Features.Normalize()
	out.CreatedAt, out.ExpiresAt = utc(out.CreatedAt), utc(out.ExpiresAt)
	out.UsedAt, out.RevokedAt = utc(out.UsedAt), utc(out.RevokedAt)
	return &out
}

func cloneSession(s *store.PortalSession) store.PortalSession {
	out := *s
	out.Features = slices.Clone(s.Features)
	out.Digest = cloneBytes(s.Digest)
	return out
}

func cloneDirectory(d *store.Directory) store.Directory { return *d }

func storeDirectory(d *store.Directory) store.Directory {
	c := *d
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	return c
}

func cloneToken(t *store.DirectoryToken) store.DirectoryToken {
	out := *t
	out.Digest = cloneBytes(t.Digest)
	return out
}

func storeToken(t *store.DirectoryToken) *store.DirectoryToken {
	out := cloneToken(t)
	out.CreatedAt, out.ExpiresAt = utc(out.CreatedAt), utc(out.ExpiresAt)
	out.RevokedAt, out.LastUsedAt = utc(out.RevokedAt), utc(out.LastUsedAt)
	return &out
}

func cloneUser(u *store.DirectoryUser) store.DirectoryUser {
	out := *u
	out.Emails = slices.Clone(u.Emails)
	out.Roles = slices.Clone(u.Roles)
	out.Custom = u.Custom.Clone()
	if len(out.Custom) == 0 {
		out.Custom = nil // as the SQL Stores return it
	}
	out.Attributes = cloneBytes(u.Attributes)
	return out
}

func storeUser(u *store.DirectoryUser) *store.DirectoryUser {
	out := cloneUser(u)
	out.CreatedAt, out.UpdatedAt = utc(out.CreatedAt), utc(out.UpdatedAt)
	return &out
}

func cloneGroup(g *store.DirectoryGroup) store.DirectoryGroup {
	out := *g
	out.Attributes = cloneBytes(g.Attributes)
	return out
}

func storeGroup(g *store.DirectoryGroup) *store.DirectoryGroup {
	out := cloneGroup(g)
	out.CreatedAt, out.UpdatedAt = utc(out.CreatedAt), utc(out.UpdatedAt)
	return &out
}

func cloneEvent(e *store.Event) store.Event {
	out := *e
	out.Data = cloneBytes(e.Data)
	return out
}

func cloneLogin(r *store.LoginRequest) store.LoginRequest {
	out := *r
	out.Binding = cloneBytes(r.Binding)
	return out
}

func cloneAsset(a *store.Asset) *store.Asset {
	if a == nil {
		return nil
	}
	return &store.Asset{ContentType: a.ContentType, Data: cloneBytes(a.Data)}
}

func cloneBranding(b *store.Branding) store.Branding {
	out := *b
	out.Logo = cloneAsset(b.Logo)
	out.Favicon = cloneAsset(b.Favicon)
	return out
}

func cloneAPIKey(k *store.APIKey) store.APIKey {
	out := *k
	out.Digest = cloneBytes(k.Digest)
	return out
}
