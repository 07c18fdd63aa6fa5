package storetest

import (
	"encoding/json"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// tick returns a distinct, increasing time for each call, so that rows
// created one after another have increasing CreatedAt.
func (f *fixture) tick() time.Time {
	return t0.Add(time.Duration(f.n.Add(1)) * time.Second)
}

func (f *fixture) mkOrg() *store.Organization {
	f.Helper()
	id := f.id("org")
	now := f.tick()
	o := &store.Organization{ID: id, Name: "Org " + id, CreatedAt: now, UpdatedAt: now}
	f.ok(f.s.CreateOrganization(f.ctx, o), "CreateOrganization %s", id)
	return o
}

func (f *fixture) mkDomain(org, name string, state store.DomainState) *store.Domain {
	f.Helper()
	now := f.tick()
	d := &store.Domain{
		ID: f.id("dom"), OrgID: org, Name: name, State: state, Method: store.DomainDNSTXT,
		Challenge: "okit-verify=" + name, CreatedAt: now, UpdatedAt: now,
	}
	if state == store.DomainVerified {
		d.VerifiedAt, d.VerifiedBy = now, "dns"
	}
	f.ok(f.s.CreateDomain(f.ctx, d), "CreateDomain %s for %s", name, org)
	return d
}

func samlConfig() *store.SAMLConfig {
	return &store.SAMLConfig{
		IdPEntityID:  "https://idp.example.com/entity",
		SSOURL:       "https://idp.example.com/sso",
		SLOURL:       "https://idp.example.com/slo",
		SLOPostURL:   "https://idp.example.com/slo-post",
		Certificates: []string{"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "cert-2"},
		MetadataURL:  "https://idp.example.com/metadata",
		SignRequests: true,
		SPKeyPEM:     "key",
		SPCertPEM:    "cert",
	}
}

func oidcConfig() *store.OIDCConfig {
	return &store.OIDCConfig{
		Issuer: "https://login.example.com", ClientID: "client", ClientSecret: "secret",
		Scopes: []string{"openid", "email", "profile"},
	}
}

func (f *fixture) mkConn(org string, p store.Protocol) *store.Connection {
	f.Helper()
	return f.mkConnWith(org, p, nil)
}

// mkConnWith stores a draft connection of org after applying mod.
func (f *fixture) mkConnWith(org string, p store.Protocol, mod func(*store.Connection)) *store.Connection {
	f.Helper()
	now := f.tick()
	c := &store.Connection{
		ID: f.id("conn"), OrgID: org, Protocol: p, Provider: "okta", Name: "Okta",
		State: store.ConnectionDraft, AttributeMapping: map[string]string{"email": "mail"},
		CreatedAt: now, UpdatedAt: now,
	}
	if p == store.ProtocolSAML {
		c.SAML = samlConfig()
	} else {
		c.OIDC = oidcConfig()
	}
	if mod != nil {
		mod(c)
	}
	f.ok(f.s.CreateConnection(f.ctx, c), "CreateConnection")
	return c
}

func (f *fixture) mkLink(org string, kind store.LinkKind, expires time.Time) *store.PortalLink {
	f.Helper()
	id := f.id("link")
	l := &store.PortalLink{
		ID: id, OrgID: org, Kind: kind, Features: store.Features{store.FeatureSSO},
		Digest: digest(id), CreatedBy: "operator:test", CreatedAt: f.tick(), ExpiresAt: expires,
	}
	f.ok(f.s.CreatePortalLink(f.ctx, l), "CreatePortalLink")
	return l
}

func (f *fixture) newSession(expires time.Time) *store.PortalSession {
	id := f.id("ps")
	return &store.PortalSession{ID: id, Digest: digest(id), CSRF: "csrf-" + id, CreatedAt: t0, ExpiresAt: expires}
}

func (f *fixture) mkDir(org string) *store.Directory {
	f.Helper()
	now := f.tick()
	d := &store.Directory{ID: f.id("dir"), OrgID: org, Provider: "okta", Name: "Okta", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}
	f.ok(f.s.CreateDirectory(f.ctx, d), "CreateDirectory")
	return d
}

func (f *fixture) mkToken(dir string, created, expires time.Time) *store.DirectoryToken {
	f.Helper()
	id := f.id("tok")
	t := &store.DirectoryToken{ID: id, DirectoryID: dir, Digest: digest(id), Hint: "abcd", CreatedAt: created, ExpiresAt: expires}
	f.ok(f.s.CreateDirectoryToken(f.ctx, t), "CreateDirectoryToken")
	return t
}

// mkUser creates a user of dir; mod, when set, adjusts it first.
func (f *fixture) mkUser(dir, userName string, mod func(*store.DirectoryUser)) *store.DirectoryUser {
	f.Helper()
	now := f.tick()
	u := &store.DirectoryUser{
		ID: f.id("usr"), DirectoryID: dir, UserName: userName, Active: true,
		Attributes: json.RawMessage(`{"userName":` + quote(userName) + `}`),
		CreatedAt:  now, UpdatedAt: now,
	}
	if mod != nil {
		mod(u)
	}
	f.ok(f.s.CreateDirectoryUser(f.ctx, u), "CreateDirectoryUser %s", userName)
	return u
}

func (f *fixture) mkGroup(dir, name string, members ...string) *store.DirectoryGroup {
	f.Helper()
	now := f.tick()
	g := &store.DirectoryGroup{ID: f.id("grp"), DirectoryID: dir, DisplayName: name, CreatedAt: now, UpdatedAt: now}
	var ops []store.MemberOp
	if len(members) > 0 {
		ops = []store.MemberOp{{Kind: store.MembersAdd, IDs: members}}
	}
	f.ok(f.s.CreateDirectoryGroup(f.ctx, g, ops, nil), "CreateDirectoryGroup %s", name)
	return g
}

func (f *fixture) getUser(dir, id string) *store.DirectoryUser {
	f.Helper()
	u, err := f.s.GetDirectoryUser(f.ctx, dir, id)
	f.ok(err, "GetDirectoryUser %s", id)
	return u
}

func (f *fixture) memberIDs(dir, group string) []string {
	f.Helper()
	ms, err := f.s.ListGroupMembers(f.ctx, dir, group)
	f.ok(err, "ListGroupMembers %s", group)
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// errFn is the error an update function returns to abort.
var errFn = errorString("storetest: update function refused")

type errorString string

func (e errorString) Error() string { return string(e) }
