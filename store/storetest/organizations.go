package storetest

import (
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

var organizationTests = []subtest{
	{"CreateGet", func(f *fixture) {
		o := &store.Organization{
			ID: "org_1", Name: "Acme", ExternalID: "cust-42",
			CreatedAt: at(1 * time.Second).In(elsewhere), UpdatedAt: at(2 * time.Second).In(elsewhere),
		}
		f.ok(f.s.CreateOrganization(f.ctx, o, f.ev("organization.created", "org_1", "org_1")), "CreateOrganization")
		got, err := f.s.GetOrganization(f.ctx, "org_1")
		f.ok(err, "GetOrganization")
		f.utcOnly("GetOrganization", got)
		f.equal("GetOrganization", got, o)
		byExt, err := f.s.GetOrganizationByExternalID(f.ctx, "cust-42")
		f.ok(err, "GetOrganizationByExternalID")
		f.equal("GetOrganizationByExternalID", byExt, o)
		f.wantEventTypes(0, "CreateOrganization", "organization.created")
	}},
	{"NotFound", func(f *fixture) {
		f.mkOrg()
		_, err := f.s.GetOrganization(f.ctx, "org_missing")
		f.is(err, store.ErrNotFound, "GetOrganization of an unknown id")
		o := &store.Organization{ID: "org_x", Name: "X", ExternalID: "Cust-1", CreatedAt: t0}
		f.ok(f.s.CreateOrganization(f.ctx, o), "CreateOrganization")
		_, err = f.s.GetOrganizationByExternalID(f.ctx, "cust-1")
		f.is(err, store.ErrNotFound, "GetOrganizationByExternalID is case-sensitive")
	}},
	{"Invalid", func(f *fixture) {
		for _, o := range []*store.Organization{
			nil,
			{Name: "no id", CreatedAt: t0},
			{ID: "org_1", CreatedAt: t0},
		} {
			f.is(f.s.CreateOrganization(f.ctx, o, f.ev("organization.created", "", "")), store.ErrInvalid, "CreateOrganization(%+v)", o)
		}
		f.is(f.s.CreateOrganization(f.ctx, &store.Organization{ID: "org_1", Name: "A", CreatedAt: t0}, store.Event{ID: "evt_1"}),
			store.ErrInvalid, "CreateOrganization with an invalid event")
		_, err := f.s.GetOrganization(f.ctx, "org_1")
		f.is(err, store.ErrNotFound, "organization written despite an invalid event")
		_, err = f.s.GetOrganization(f.ctx, "")
		f.is(err, store.ErrInvalid, "GetOrganization(\"\")")
		_, err = f.s.GetOrganizationByExternalID(f.ctx, "")
		f.is(err, store.ErrInvalid, "GetOrganizationByExternalID(\"\")")
		_, err = f.s.UpdateOrganization(f.ctx, "", func(*store.Organization) ([]store.Event, error) { return nil, nil })
		f.is(err, store.ErrInvalid, "UpdateOrganization(\"\")")
		f.is(f.s.DeleteOrganization(f.ctx, ""), store.ErrInvalid, "DeleteOrganization(\"\")")
		f.noEventsSince(0, "failed writes")
	}},
	{"Duplicates", func(f *fixture) {
		f.ok(f.s.CreateOrganization(f.ctx, &store.Organization{ID: "org_1", Name: "A", ExternalID: "ext", CreatedAt: t0}), "CreateOrganization")
		c := f.lastCursor()
		f.is(f.s.CreateOrganization(f.ctx, &store.Organization{ID: "org_1", Name: "B", CreatedAt: t0}, f.ev("organization.created", "org_1", "org_1")),
			store.ErrAlreadyExists, "CreateOrganization with a taken id")
		f.is(f.s.CreateOrganization(f.ctx, &store.Organization{ID: "org_2", Name: "B", ExternalID: "ext", CreatedAt: t0}, f.ev("organization.created", "org_2", "org_2")),
			store.ErrAlreadyExists, "CreateOrganization with a taken external id")
		f.noEventsSince(c, "failed creates")
		got, err := f.s.GetOrganization(f.ctx, "org_1")
		f.ok(err, "GetOrganization")
		if got.Name != "A" {
			f.Fatalf("duplicate create overwrote the organization: %+v", got)
		}
		// An empty external id is not unique.
		f.ok(f.s.CreateOrganization(f.ctx, &store.Organization{ID: "org_3", Name: "C", CreatedAt: t0}), "CreateOrganization without external id")
		f.ok(f.s.CreateOrganization(f.ctx, &store.Organization{ID: "org_4", Name: "D", CreatedAt: t0}), "second CreateOrganization without external id")
		f.ok(f.s.CreateOrganization(f.ctx, &store.Organization{ID: "org_5", Name: "E", ExternalID: "EXT", CreatedAt: t0}), "external ids differing in case")
	}},
	{"Update", func(f *fixture) {
		o := &store.Organization{ID: "org_1", Name: "Acme", ExternalID: "a", CreatedAt: t0, UpdatedAt: t0}
		f.ok(f.s.CreateOrganization(f.ctx, o), "CreateOrganization")
		f.ok(f.s.CreateOrganization(f.ctx, &store.Organization{ID: "org_2", Name: "Other", ExternalID: "b", CreatedAt: t0}), "CreateOrganization")
		c := f.lastCursor()
		got, err := f.s.UpdateOrganization(f.ctx, "org_1", func(o *store.Organization) ([]store.Event, error) {
			if o.Name != "Acme" {
				f.Errorf("update function got %+v", o)
			}
			o.Name, o.ExternalID, o.UpdatedAt = "Acme Corp", "a2", at(time.Hour).In(elsewhere)
			return []store.Event{f.ev("organization.updated", "org_1", "org_1")}, nil
		})
		f.ok(err, "UpdateOrganization")
		want := store.Organization{ID: "org_1", Name: "Acme Corp", ExternalID: "a2", CreatedAt: t0, UpdatedAt: at(time.Hour)}
		f.utcOnly("UpdateOrganization", got)
		f.equal("UpdateOrganization result", got, &want)
		stored, err := f.s.GetOrganization(f.ctx, "org_1")
		f.ok(err, "GetOrganization")
		f.equal("stored after UpdateOrganization", stored, &want)
		f.wantEventTypes(c, "UpdateOrganization", "organization.updated")
		_, err = f.s.GetOrganizationByExternalID(f.ctx, "a")
		f.is(err, store.ErrNotFound, "old external id after it changed")
		f.ok(f.s.CreateOrganization(f.ctx, &store.Organization{ID: "org_3", Name: "C", ExternalID: "a", CreatedAt: t0}), "reusing a freed external id")

		c = f.lastCursor()
		_, err = f.s.UpdateOrganization(f.ctx, "org_1", func(o *store.Organization) ([]store.Event, error) {
			o.Name = "changed"
			return []store.Event{f.ev("organization.updated", "org_1", "org_1")}, errFn
		})
		f.is(err, errFn, "UpdateOrganization whose function fails")
		_, err = f.s.UpdateOrganization(f.ctx, "org_1", func(o *store.Organization) ([]store.Event, error) {
			o.Name, o.ExternalID = "changed", "b"
			return []store.Event{f.ev("organization.updated", "org_1", "org_1")}, nil
		})
		f.is(err, store.ErrAlreadyExists, "UpdateOrganization to a taken external id")
		_, err = f.s.UpdateOrganization(f.ctx, "org_1", func(o *store.Organization) ([]store.Event, error) {
			o.Name = ""
			return nil, nil
		})
		f.is(err, store.ErrInvalid, "UpdateOrganization emptying the name")
		_, err = f.s.UpdateOrganization(f.ctx, "org_missing", func(o *store.Organization) ([]store.Event, error) { return nil, nil })
		f.is(err, store.ErrNotFound, "UpdateOrganization of an unknown id")
		stored, err = f.s.GetOrganization(f.ctx, "org_1")
		f.ok(err, "GetOrganization")
		f.equal("organization after failed updates", stored, &want)
		f.noEventsSince(c, "failed updates")
	}},
	{"List", func(f *fixture) {
		// Two share a creation time: the id breaks the tie.
		orgs := []store.Organization{
			{ID: "org_c", Name: "Gamma", ExternalID: "X-ONE", CreatedAt: at(3 * time.Second)},
			{ID: "org_a", Name: "alpha", CreatedAt: at(1 * time.Second)},
			{ID: "org_e", Name: "Epsilon", CreatedAt: at(2 * time.Second)},
			{ID: "org_b", Name: "Beta", CreatedAt: at(2 * time.Second)},
			{ID: "org_d", Name: "Delta", CreatedAt: at(4 * time.Second)},
		}
		for i := range orgs {
			f.ok(f.s.CreateOrganization(f.ctx, &orgs[i]), "CreateOrganization")
		}
		wantOrder := []string{"org_a", "org_b", "org_e", "org_c", "org_d"}
		var seen []string
		after := ""
		for page := 0; ; page++ {
			got, more, err := f.s.ListOrganizations(f.ctx, store.OrganizationQuery{After: after, Limit: 2})
			f.ok(err, "ListOrganizations page %d", page)
			f.utcOnly("ListOrganizations", got)
			for _, o := range got {
				seen = append(seen, o.ID)
			}
			if wantMore := len(seen) < len(wantOrder); more != wantMore {
				f.Fatalf("page %d: more = %v, want %v", page, more, wantMore)
			}
			if !more {
				break
			}
			if len(got) != 2 {
				f.Fatalf("page %d has %d organizations, want 2", page, len(got))
			}
			after = got[len(got)-1].ID
		}
		if !slices.Equal(seen, wantOrder) {
			f.Fatalf("paged listing %v, want %v", seen, wantOrder)
		}
		all, more, err := f.s.ListOrganizations(f.ctx, store.OrganizationQuery{})
		f.ok(err, "ListOrganizations with no limit")
		if len(all) != 5 || more {
			f.Fatalf("ListOrganizations with Limit 0: %d organizations, more %v; want 5, false", len(all), more)
		}
		exact, more, err := f.s.ListOrganizations(f.ctx, store.OrganizationQuery{Limit: 5})
		f.ok(err, "ListOrganizations Limit 5")
		if len(exact) != 5 || more {
			f.Fatalf("ListOrganizations Limit 5 of 5: %d, more %v; want 5, false", len(exact), more)
		}
		for _, tc := range []struct {
			search string
			want   []string
		}{
			{"ALPHA", []string{"org_a"}},
			{"ta", []string{"org_b", "org_d"}}, // Beta, Delta
			{"org_e", []string{"org_e"}},       // by id
			{"x-one", []string{"org_c"}},       // by external id
			{"nothing", nil},
		} {
			got, _, err := f.s.ListOrganizations(f.ctx, store.OrganizationQuery{Search: tc.search})
			f.ok(err, "ListOrganizations search %q", tc.search)
			var ids []string
			for _, o := range got {
				ids = append(ids, o.ID)
			}
			if !slices.Equal(ids, tc.want) {
				f.Fatalf("search %q: %v, want %v", tc.search, ids, tc.want)
			}
		}
		got, _, err := f.s.ListOrganizations(f.ctx, store.OrganizationQuery{Search: "a", After: "org_b", Limit: 10})
		f.ok(err, "ListOrganizations search with After")
		var ids []string
		for _, o := range got {
			ids = append(ids, o.ID)
		}
		if want := []string{"org_c", "org_d"}; !slices.Equal(ids, want) {
			f.Fatalf("search \"a\" after org_b: %v, want %v", ids, want)
		}
	}},
	{"Copies", func(f *fixture) {
		o := &store.Organization{ID: "org_1", Name: "Acme", ExternalID: "e", CreatedAt: t0}
		f.ok(f.s.CreateOrganization(f.ctx, o), "CreateOrganization")
		o.Name = "mutated input"
		got, err := f.s.GetOrganization(f.ctx, "org_1")
		f.ok(err, "GetOrganization")
		got.Name, got.ExternalID = "mutated output", "z"
		again, err := f.s.GetOrganization(f.ctx, "org_1")
		f.ok(err, "GetOrganization")
		if again.Name != "Acme" || again.ExternalID != "e" {
			f.Fatalf("stored organization changed through a copy: %+v", again)
		}
	}},
	{"DeleteCascade", testDeleteOrganization},
}

// testDeleteOrganization checks that deleting an organization removes
// everything it owns, and nothing of another organization.
func testDeleteOrganization(f *fixture) {
	org := f.mkOrg()
	other := f.mkOrg()
	dom := f.mkDomain(org.ID, "acme.example", store.DomainVerified)
	otherDom := f.mkDomain(other.ID, "other.example", store.DomainVerified)
	conn := f.mkConn(org.ID, store.ProtocolSAML)
	otherConn := f.mkConn(other.ID, store.ProtocolOIDC)
	link := f.mkLink(org.ID, store.LinkShareable, at(24*time.Hour))
	ps := f.newSession(at(6 * time.Hour))
	_, err := f.s.RedeemPortalLink(f.ctx, link.Digest, at(time.Hour), ps)
	f.ok(err, "RedeemPortalLink")
	dir := f.mkDir(org.ID)
	tok := f.mkToken(dir.ID, t0, time.Time{})
	u := f.mkUser(dir.ID, "alice@acme.example", nil)
	g := f.mkGroup(dir.ID, "Admins", u.ID)
	otherDir := f.mkDir(other.ID)
	otherUser := f.mkUser(otherDir.ID, "alice@acme.example", nil)
	f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: "req_1", ConnectionID: conn.ID, OrgID: org.ID, Protocol: store.ProtocolSAML, CreatedAt: t0, ExpiresAt: at(time.Hour)}), "CreateLoginRequest")
	f.ok(f.s.PutBranding(f.ctx, &store.Branding{Scope: org.ID, AccentColor: "#112233", UpdatedAt: t0}), "PutBranding")
	f.ok(f.s.PutBranding(f.ctx, &store.Branding{Scope: other.ID, AccentColor: "#445566", UpdatedAt: t0}), "PutBranding")
	_, err = f.s.AppendEvents(f.ctx, f.ev("organization.note", org.ID, org.ID))
	f.ok(err, "AppendEvents")

	c := f.lastCursor()
	f.ok(f.s.DeleteOrganization(f.ctx, org.ID, f.ev("organization.deleted", org.ID, org.ID)), "DeleteOrganization")
	f.wantEventTypes(c, "DeleteOrganization", "organization.deleted")

	_, err = f.s.GetOrganization(f.ctx, org.ID)
	f.is(err, store.ErrNotFound, "deleted organization")
	_, err = f.s.GetDomain(f.ctx, dom.ID)
	f.is(err, store.ErrNotFound, "domain of a deleted organization")
	_, err = f.s.GetVerifiedDomain(f.ctx, dom.Name)
	f.is(err, store.ErrNotFound, "verified domain of a deleted organization")
	_, err = f.s.GetConnection(f.ctx, conn.ID)
	f.is(err, store.ErrNotFound, "connection of a deleted organization")
	_, err = f.s.GetPortalLink(f.ctx, link.ID)
	f.is(err, store.ErrNotFound, "portal link of a deleted organization")
	_, err = f.s.GetPortalSession(f.ctx, ps.Digest, at(time.Hour))
	f.is(err, store.ErrNotFound, "portal session of a deleted organization")
	_, err = f.s.GetDirectory(f.ctx, dir.ID)
	f.is(err, store.ErrNotFound, "directory of a deleted organization")
	_, err = f.s.GetDirectoryTokenByDigest(f.ctx, tok.Digest)
	f.is(err, store.ErrNotFound, "directory token of a deleted organization")
	_, err = f.s.GetDirectoryUser(f.ctx, dir.ID, u.ID)
	f.is(err, store.ErrNotFound, "directory user of a deleted organization")
	_, err = f.s.GetDirectoryGroup(f.ctx, dir.ID, g.ID)
	f.is(err, store.ErrNotFound, "directory group of a deleted organization")
	_, err = f.s.ConsumeLoginRequest(f.ctx, "req_1", store.LoginRequestMatch{}, t0)
	f.is(err, store.ErrNotFound, "login request of a deleted organization")
	_, err = f.s.GetBranding(f.ctx, org.ID)
	f.is(err, store.ErrNotFound, "branding of a deleted organization")
	if users, err := f.s.FindDirectoryUsersByEmail(f.ctx, org.ID, "alice@acme.example"); err != nil || len(users) != 0 {
		f.Fatalf("FindDirectoryUsersByEmail after delete: %v, %v", users, err)
	}

	// The organization's events stay in the outbox.
	evs, err := f.s.ListEvents(f.ctx, store.EventQuery{OrgID: org.ID, Types: []string{"organization.note"}})
	f.ok(err, "ListEvents")
	if len(evs) != 1 {
		f.Fatalf("events of the deleted organization: %d, want 1", len(evs))
	}

	// The other organization is untouched.
	_, err = f.s.GetOrganization(f.ctx, other.ID)
	f.ok(err, "other organization")
	_, err = f.s.GetVerifiedDomain(f.ctx, otherDom.Name)
	f.ok(err, "other organization's verified domain")
	_, err = f.s.GetConnection(f.ctx, otherConn.ID)
	f.ok(err, "other organization's connection")
	_, err = f.s.GetDirectoryUser(f.ctx, otherDir.ID, otherUser.ID)
	f.ok(err, "other organization's user")
	_, err = f.s.GetBranding(f.ctx, other.ID)
	f.ok(err, "other organization's branding")

	// The verified name is free again; ids are free again.
	f.mkDomain(other.ID, dom.Name, store.DomainVerified)
	f.ok(f.s.CreateOrganization(f.ctx, &store.Organization{ID: org.ID, Name: "Again", CreatedAt: t0}), "re-creating a deleted organization")
	f.ok(f.s.CreateDirectory(f.ctx, &store.Directory{ID: dir.ID, OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0}), "re-creating a deleted directory")
	f.ok(f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: u.ID, DirectoryID: dir.ID, UserName: u.UserName, CreatedAt: t0}), "re-creating a deleted user")

	// Deleting again is a no-op without events.
	c = f.lastCursor()
	f.ok(f.s.DeleteOrganization(f.ctx, "org_never", f.ev("organization.deleted", "org_never", "org_never")), "DeleteOrganization of an unknown id")
	f.noEventsSince(c, "DeleteOrganization of an absent organization")
}
