package storetest

import (
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

func connIDs(cs []store.Connection) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

var connectionTests = []subtest{
	{"CreateGet", func(f *fixture) {
		org := f.mkOrg()
		saml := &store.Connection{
			ID: "conn_saml", OrgID: org.ID, Protocol: store.ProtocolSAML, Provider: "entra", Name: "Entra ID",
			State: store.ConnectionActive, SAML: samlConfig(),
			AttributeMapping:         map[string]string{"email": "http://schemas/email", "groups": "groups"},
			AllowEmailOutsideDomains: true,
			TestedAt:                 at(time.Hour).In(elsewhere), CreatedAt: t0.In(elsewhere), UpdatedAt: at(time.Hour),
		}
		saml.SAML.MetadataFetchedAt = at(time.Minute).In(elsewhere)
		saml.SAML.AllowIdPInitiated, saml.SAML.EncryptedAssertion, saml.SAML.AllowSHA1 = true, true, true
		saml.SAML.ClockSkew = 7 * time.Minute
		oidc := &store.Connection{
			ID: "conn_oidc", OrgID: org.ID, Protocol: store.ProtocolOIDC, Provider: "google", Name: "Google",
			State: store.ConnectionDraft, OIDC: oidcConfig(), CreatedAt: t0, UpdatedAt: t0,
		}
		oidc.OIDC.TenantID = "tenant-1"
		c := f.lastCursor()
		f.ok(f.s.CreateConnection(f.ctx, saml, f.ev("connection.created", org.ID, saml.ID)), "CreateConnection SAML")
		f.ok(f.s.CreateConnection(f.ctx, oidc), "CreateConnection OIDC")
		f.wantEventTypes(c, "CreateConnection", "connection.created")
		for _, want := range []*store.Connection{saml, oidc} {
			got, err := f.s.GetConnection(f.ctx, want.ID)
			f.ok(err, "GetConnection %s", want.ID)
			f.utcOnly("GetConnection", got)
			f.equal("GetConnection "+want.ID, got, want)
		}
	}},
	{"Copies", func(f *fixture) {
		org := f.mkOrg()
		c := f.mkConn(org.ID, store.ProtocolSAML)
		want := normalized(c).(*store.Connection)
		// Mutating the input after the write does not reach the Store.
		c.SAML.Certificates[0] = "mutated"
		c.AttributeMapping["email"] = "mutated"
		got, err := f.s.GetConnection(f.ctx, c.ID)
		f.ok(err, "GetConnection")
		f.equal("connection after mutating the input", got, want)
		got.SAML.Certificates[0], got.SAML.SSOURL = "mutated", "mutated"
		got.AttributeMapping["email"] = "mutated"
		got.AttributeMapping["new"] = "mutated"
		again, err := f.s.GetConnection(f.ctx, c.ID)
		f.ok(err, "GetConnection")
		f.equal("connection after mutating a returned copy", again, want)

		o := f.mkConn(org.ID, store.ProtocolOIDC)
		got, err = f.s.GetConnection(f.ctx, o.ID)
		f.ok(err, "GetConnection")
		got.OIDC.Scopes[0] = "mutated"
		again, err = f.s.GetConnection(f.ctx, o.ID)
		f.ok(err, "GetConnection")
		if again.OIDC.Scopes[0] != "openid" {
			f.Fatalf("OIDC scopes changed through a returned copy: %v", again.OIDC.Scopes)
		}
		list, err := f.s.ListConnections(f.ctx, org.ID)
		f.ok(err, "ListConnections")
		list[0].SAML.Certificates[1] = "mutated"
		again, err = f.s.GetConnection(f.ctx, c.ID)
		f.ok(err, "GetConnection")
		f.equal("connection after mutating a listed copy", again, want)
	}},
	{"Invalid", func(f *fixture) {
		org := f.mkOrg()
		good := store.Connection{ID: "conn_1", OrgID: org.ID, Protocol: store.ProtocolSAML, State: store.ConnectionDraft, SAML: samlConfig(), CreatedAt: t0}
		for name, mod := range map[string]func(*store.Connection){
			"no id":               func(c *store.Connection) { c.ID = "" },
			"no org":              func(c *store.Connection) { c.OrgID = "" },
			"unknown protocol":    func(c *store.Connection) { c.Protocol = "ldap" },
			"unknown state":       func(c *store.Connection) { c.State = "enabled" },
			"SAML without config": func(c *store.Connection) { c.SAML = nil },
			"SAML with OIDC":      func(c *store.Connection) { c.OIDC = oidcConfig() },
			"OIDC with SAML":      func(c *store.Connection) { c.Protocol = store.ProtocolOIDC },
		} {
			c := good
			mod(&c)
			f.is(f.s.CreateConnection(f.ctx, &c, f.ev("connection.created", org.ID, c.ID)), store.ErrInvalid, "CreateConnection with %s", name)
		}
		f.is(f.s.CreateConnection(f.ctx, nil), store.ErrInvalid, "CreateConnection(nil)")
		_, err := f.s.GetConnection(f.ctx, "")
		f.is(err, store.ErrInvalid, "GetConnection(\"\")")
		_, err = f.s.ListConnections(f.ctx, "")
		f.is(err, store.ErrInvalid, "ListConnections(\"\")")
		_, err = f.s.ListConnectionsByProtocol(f.ctx, "ldap")
		f.is(err, store.ErrInvalid, "ListConnectionsByProtocol of an unknown protocol")
		f.is(f.s.DeleteConnection(f.ctx, ""), store.ErrInvalid, "DeleteConnection(\"\")")
		f.noEventsSince(0, "invalid connection writes")

		f.ok(f.s.CreateConnection(f.ctx, &good), "CreateConnection")
		_, err = f.s.UpdateConnection(f.ctx, good.ID, func(c *store.Connection) ([]store.Event, error) {
			c.OIDC = oidcConfig()
			return nil, nil
		})
		f.is(err, store.ErrInvalid, "UpdateConnection adding an OIDC config to a SAML connection")
		got, err := f.s.GetConnection(f.ctx, good.ID)
		f.ok(err, "GetConnection")
		f.equal("connection after an invalid update", got, &good)
	}},
	{"NotFoundAndDuplicates", func(f *fixture) {
		org := f.mkOrg()
		err := f.s.CreateConnection(f.ctx, &store.Connection{ID: "conn_1", OrgID: "org_missing", Protocol: store.ProtocolOIDC, State: store.ConnectionDraft, OIDC: oidcConfig(), CreatedAt: t0})
		f.is(err, store.ErrNotFound, "CreateConnection for an unknown organization")
		_, err = f.s.GetConnection(f.ctx, "conn_1")
		f.is(err, store.ErrNotFound, "GetConnection of an unknown id")
		c := f.mkConn(org.ID, store.ProtocolOIDC)
		cur := f.lastCursor()
		dup := *c
		dup.Name = "duplicate"
		f.is(f.s.CreateConnection(f.ctx, &dup, f.ev("connection.created", org.ID, c.ID)), store.ErrAlreadyExists, "CreateConnection with a taken id")
		f.noEventsSince(cur, "duplicate create")
		got, err := f.s.GetConnection(f.ctx, c.ID)
		f.ok(err, "GetConnection")
		f.equal("connection after a duplicate create", got, c)
		none, err := f.s.ListConnections(f.ctx, "org_missing")
		f.ok(err, "ListConnections of an unknown organization")
		if len(none) != 0 {
			f.Fatalf("ListConnections of an unknown organization: %v", connIDs(none))
		}
	}},
	{"Lists", func(f *fixture) {
		a, b := f.mkOrg(), f.mkOrg()
		mk := func(id, org string, p store.Protocol, created time.Time) {
			c := &store.Connection{ID: id, OrgID: org, Protocol: p, State: store.ConnectionDraft, CreatedAt: created}
			if p == store.ProtocolSAML {
				c.SAML = samlConfig()
			} else {
				c.OIDC = oidcConfig()
			}
			f.ok(f.s.CreateConnection(f.ctx, c), "CreateConnection %s", id)
		}
		mk("conn_d", a.ID, store.ProtocolSAML, at(2*time.Second))
		mk("conn_b", a.ID, store.ProtocolOIDC, at(3*time.Second))
		mk("conn_c", a.ID, store.ProtocolSAML, at(1*time.Second))
		mk("conn_a", a.ID, store.ProtocolSAML, at(2*time.Second))
		mk("conn_e", b.ID, store.ProtocolSAML, at(0))
		got, err := f.s.ListConnections(f.ctx, a.ID)
		f.ok(err, "ListConnections")
		f.utcOnly("ListConnections", got)
		if ids, want := connIDs(got), []string{"conn_c", "conn_a", "conn_d", "conn_b"}; !slices.Equal(ids, want) {
			f.Fatalf("ListConnections = %v, want %v", ids, want)
		}
		got, err = f.s.ListConnectionsByProtocol(f.ctx, store.ProtocolSAML)
		f.ok(err, "ListConnectionsByProtocol")
		if ids, want := connIDs(got), []string{"conn_a", "conn_c", "conn_d", "conn_e"}; !slices.Equal(ids, want) {
			f.Fatalf("ListConnectionsByProtocol(saml) = %v, want %v", ids, want)
		}
		got, err = f.s.ListConnectionsByProtocol(f.ctx, store.ProtocolOIDC)
		f.ok(err, "ListConnectionsByProtocol")
		if ids, want := connIDs(got), []string{"conn_b"}; !slices.Equal(ids, want) {
			f.Fatalf("ListConnectionsByProtocol(oidc) = %v, want %v", ids, want)
		}
	}},
	{"Update", func(f *fixture) {
		org := f.mkOrg()
		c := f.mkConn(org.ID, store.ProtocolSAML)
		cur := f.lastCursor()
		got, err := f.s.UpdateConnection(f.ctx, c.ID, func(x *store.Connection) ([]store.Event, error) {
			f.equal("UpdateConnection function argument", x, c)
			x.State, x.TestedAt, x.UpdatedAt = store.ConnectionActive, at(time.Hour).In(elsewhere), at(time.Hour)
			x.SAML.Certificates = append(x.SAML.Certificates, "cert-3")
			x.AttributeMapping = map[string]string{"groups": "memberOf"}
			return []store.Event{f.ev("connection.activated", org.ID, c.ID)}, nil
		})
		f.ok(err, "UpdateConnection")
		want := normalized(c).(*store.Connection)
		want.State, want.TestedAt, want.UpdatedAt = store.ConnectionActive, at(time.Hour), at(time.Hour)
		want.Version = 2
		want.SAML.Certificates = append(want.SAML.Certificates, "cert-3")
		want.AttributeMapping = map[string]string{"groups": "memberOf"}
		f.utcOnly("UpdateConnection", got)
		f.equal("UpdateConnection result", got, want)
		stored, err := f.s.GetConnection(f.ctx, c.ID)
		f.ok(err, "GetConnection")
		f.equal("connection after update", stored, want)
		f.wantEventTypes(cur, "UpdateConnection", "connection.activated")

		cur = f.lastCursor()
		_, err = f.s.UpdateConnection(f.ctx, c.ID, func(x *store.Connection) ([]store.Event, error) {
			x.State = store.ConnectionInactive
			return []store.Event{f.ev("connection.deactivated", org.ID, c.ID)}, errFn
		})
		f.is(err, errFn, "UpdateConnection whose function fails")
		_, err = f.s.UpdateConnection(f.ctx, "conn_missing", func(x *store.Connection) ([]store.Event, error) { return nil, nil })
		f.is(err, store.ErrNotFound, "UpdateConnection of an unknown id")
		stored, err = f.s.GetConnection(f.ctx, c.ID)
		f.ok(err, "GetConnection")
		f.equal("connection after failed updates", stored, want)
		f.noEventsSince(cur, "failed updates")
	}},
	{"Delete", func(f *fixture) {
		org := f.mkOrg()
		c := f.mkConn(org.ID, store.ProtocolOIDC)
		cur := f.lastCursor()
		f.ok(f.s.DeleteConnection(f.ctx, c.ID, f.ev("connection.deleted", org.ID, c.ID)), "DeleteConnection")
		f.wantEventTypes(cur, "DeleteConnection", "connection.deleted")
		_, err := f.s.GetConnection(f.ctx, c.ID)
		f.is(err, store.ErrNotFound, "GetConnection after delete")
		cur = f.lastCursor()
		f.ok(f.s.DeleteConnection(f.ctx, c.ID, f.ev("connection.deleted", org.ID, c.ID)), "second DeleteConnection")
		f.noEventsSince(cur, "deleting an absent connection")
		if got, err := f.s.ListConnections(f.ctx, org.ID); err != nil || len(got) != 0 {
			f.Fatalf("ListConnections after delete: %v, %v", connIDs(got), err)
		}
	}},
}
