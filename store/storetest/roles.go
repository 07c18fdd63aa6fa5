package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// groupMapping maps the directory group gid of org to role.
func groupMapping(org, gid, role string) store.RoleMapping {
	return store.RoleMapping{OrgID: org, Source: store.RoleFromDirectoryGroup, Value: gid, Role: role}
}

// rolesChanges returns the user.roles_changed events after cursor c, by
// subject, in order.
func (f *fixture) rolesChanges(c int64) map[string][]store.RolesChange {
	f.Helper()
	out := map[string][]store.RolesChange{}
	for _, e := range f.eventsAfter(c) {
		if e.Type != store.EventUserRolesChanged {
			continue
		}
		var rc store.RolesChange
		f.ok(json.Unmarshal(e.Data, &rc), "decoding %s", e.Type)
		out[e.Subject] = append(out[e.Subject], rc)
	}
	return out
}

// wantRoles fails the test unless the user has exactly roles.
func (f *fixture) wantRoles(dir, user string, roles ...string) {
	f.Helper()
	if got := f.getUser(dir, user).Roles; !slices.Equal(got, roles) {
		f.Fatalf("roles of %s = %q, want %q", user, got, roles)
	}
}

// recomputeAll runs RecomputeRoles with batch until nothing is stale and
// returns how many calls it took.
func (f *fixture) recomputeAll(org string, batch int) int {
	f.Helper()
	for n := 1; ; n++ {
		left, err := f.s.RecomputeRoles(f.ctx, org, batch, "operator:test", t0)
		f.ok(err, "RecomputeRoles")
		if left == 0 {
			return n
		}
		if n > 10000 {
			f.Fatalf("RecomputeRoles never finishes: %d left", left)
		}
	}
}

var roleTests = []subtest{
	{"SessionRoles", func(f *fixture) {
		// GetSession reads the current roles of the session's user, so
		// that a live session follows a membership change.
		org := f.mkOrg()
		ses := f.mkUserSession(org.ID, "conn_roles", "usr_live", nil)
		anon := f.mkUserSession(org.ID, "conn_roles", "", nil)
		dir := "dir_" + org.ID
		roles := func(s *store.Session) []string {
			f.Helper()
			got, err := f.s.GetSession(f.ctx, s.Digest, at(time.Minute))
			f.ok(err, "GetSession")
			return got.UserRoles
		}
		if r := roles(ses); len(r) != 0 {
			f.Fatalf("roles before any mapping: %q", r)
		}
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{groupMapping(org.ID, "grp_live", "admin")}), "SetRoleMappings")
		g := &store.DirectoryGroup{ID: "grp_live", DirectoryID: dir, DisplayName: "Live", CreatedAt: t0, UpdatedAt: t0}
		f.ok(f.s.CreateDirectoryGroup(f.ctx, g, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{"usr_live"}}}, nil), "CreateDirectoryGroup")
		if r := roles(ses); !slices.Equal(r, []string{"admin"}) {
			f.Fatalf("roles after joining the mapped group: %q", r)
		}
		if r := roles(anon); r != nil {
			f.Fatalf("a session without a directory user has roles %q", r)
		}
		_, err := f.s.UpdateDirectoryGroup(f.ctx, dir, g.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) {
			return []store.MemberOp{{Kind: store.MembersRemove, IDs: []string{"usr_live"}}}, nil
		}, nil)
		f.ok(err, "UpdateDirectoryGroup")
		if r := roles(ses); len(r) != 0 {
			f.Fatalf("roles after leaving the mapped group: %q", r)
		}
	}},
	{"Mappings", func(f *fixture) {
		org := f.mkOrg()
		ms := []store.RoleMapping{
			{OrgID: org.ID, Source: store.RoleFromIdPGroup, Value: "Admins", Role: "admin"},
			groupMapping(org.ID, "grp_b", "viewer"),
			groupMapping(org.ID, "grp_a", "admin"),
		}
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, ms, f.ev("roles.mappings_changed", org.ID, org.ID)), "SetRoleMappings")
		got, err := f.s.ListRoleMappings(f.ctx, org.ID)
		f.ok(err, "ListRoleMappings")
		want := []store.RoleMapping{ms[2], ms[1], ms[0]}
		if !slices.Equal(got, want) {
			f.Fatalf("ListRoleMappings = %+v, want %+v", got, want)
		}
		f.is(f.s.SetRoleMappings(f.ctx, "org_absent", nil), store.ErrNotFound, "SetRoleMappings of an unknown organization")
		f.is(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{groupMapping("org_other", "g", "r")}), store.ErrInvalid, "a mapping of another organization")
		f.is(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{{OrgID: org.ID, Source: "nope", Value: "g", Role: "r"}}), store.ErrInvalid, "an unknown source")
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, nil), "clearing the mappings")
		got, err = f.s.ListRoleMappings(f.ctx, org.ID)
		f.ok(err, "ListRoleMappings")
		if len(got) != 0 {
			f.Fatalf("mappings after clearing: %+v", got)
		}
	}},
	{"MembershipChanges", func(f *fixture) {
		// An Okta group push: the group is created with its members, then
		// members are added and removed (Entra's PATCH).
		org := f.mkOrg()
		dir := f.mkDir(org.ID)
		alice := f.mkUser(dir.ID, "alice@example.com", nil)
		bob := f.mkUser(dir.ID, "bob@example.com", nil)
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{groupMapping(org.ID, "grp_admins", "admin"), groupMapping(org.ID, "grp_eng", "editor")}), "SetRoleMappings")
		c := f.lastCursor()
		g := &store.DirectoryGroup{ID: "grp_admins", DirectoryID: dir.ID, DisplayName: "Admins", CreatedAt: t0, UpdatedAt: t0}
		push := f.ev("directory.group.created", org.ID, g.ID)
		push.Actor = "scim:" + dir.ID
		f.ok(f.s.CreateDirectoryGroup(f.ctx, g, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{alice.ID}}}, func(*store.DirectoryGroup, []string, []string) []store.Event {
			return []store.Event{push}
		}), "CreateDirectoryGroup")
		f.wantRoles(dir.ID, alice.ID, "admin")
		f.wantRoles(dir.ID, bob.ID)
		evs := f.eventsAfter(c)
		if len(evs) != 2 || evs[1].Type != store.EventUserRolesChanged || evs[1].Subject != alice.ID || evs[1].Actor != push.Actor || evs[1].OrgID != org.ID {
			f.Fatalf("events of the group push: %+v", evs)
		}
		if rc := f.rolesChanges(c)[alice.ID]; len(rc) != 1 || len(rc[0].Old) != 0 || !slices.Equal(rc[0].New, []string{"admin"}) || rc[0].DirectoryID != dir.ID {
			f.Fatalf("roles change of alice: %+v", rc)
		}

		eng := &store.DirectoryGroup{ID: "grp_eng", DirectoryID: dir.ID, DisplayName: "Engineering", CreatedAt: t0, UpdatedAt: t0}
		f.ok(f.s.CreateDirectoryGroup(f.ctx, eng, nil, nil), "CreateDirectoryGroup")
		c = f.lastCursor()
		_, err := f.s.UpdateDirectoryGroup(f.ctx, dir.ID, eng.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) {
			return []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{alice.ID, bob.ID}}}, nil
		}, nil)
		f.ok(err, "adding members")
		f.wantRoles(dir.ID, alice.ID, "admin", "editor")
		f.wantRoles(dir.ID, bob.ID, "editor")
		rc := f.rolesChanges(c)
		if len(rc) != 2 || !slices.Equal(rc[alice.ID][0].Old, []string{"admin"}) || !slices.Equal(rc[alice.ID][0].New, []string{"admin", "editor"}) {
			f.Fatalf("roles changes after adding members: %+v", rc)
		}

		// Removing a member falls back to no mapped role (the host's
		// default role).
		c = f.lastCursor()
		_, err = f.s.UpdateDirectoryGroup(f.ctx, dir.ID, eng.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) {
			return []store.MemberOp{{Kind: store.MembersRemove, IDs: []string{bob.ID}}}, nil
		}, nil)
		f.ok(err, "removing a member")
		f.wantRoles(dir.ID, bob.ID)
		if rc := f.rolesChanges(c)[bob.ID]; len(rc) != 1 || len(rc[0].New) != 0 || !slices.Equal(rc[0].Old, []string{"editor"}) {
			f.Fatalf("roles change of bob: %+v", rc)
		}

		// A rename changes nothing: mappings name groups by id.
		c = f.lastCursor()
		_, err = f.s.UpdateDirectoryGroup(f.ctx, dir.ID, eng.ID, func(g *store.DirectoryGroup) ([]store.MemberOp, error) {
			g.DisplayName = "R&D"
			return nil, nil
		}, nil)
		f.ok(err, "renaming")
		if rc := f.rolesChanges(c); len(rc) != 0 {
			f.Fatalf("a rename changed roles: %+v", rc)
		}

		// Deleting a group takes its roles away.
		c = f.lastCursor()
		f.ok(f.s.DeleteDirectoryGroup(f.ctx, dir.ID, eng.ID, nil), "DeleteDirectoryGroup")
		f.wantRoles(dir.ID, alice.ID, "admin")
		if rc := f.rolesChanges(c); len(rc) != 1 {
			f.Fatalf("roles changes after deleting a group: %+v", rc)
		}
	}},
	{"Activation", func(f *fixture) {
		org := f.mkOrg()
		dir := f.mkDir(org.ID)
		u := f.mkUser(dir.ID, "carol@example.com", nil)
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{groupMapping(org.ID, "grp_x", "admin")}), "SetRoleMappings")
		g := &store.DirectoryGroup{ID: "grp_x", DirectoryID: dir.ID, DisplayName: "X", CreatedAt: t0, UpdatedAt: t0}
		f.ok(f.s.CreateDirectoryGroup(f.ctx, g, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{u.ID}}}, nil), "CreateDirectoryGroup")
		set := func(active bool) *store.DirectoryUser {
			out, err := f.s.UpdateDirectoryUser(f.ctx, dir.ID, u.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
				u.Active = active
				u.Roles = []string{"ignored"}
				return []store.Event{f.ev("directory.user.updated", org.ID, u.ID)}, nil
			})
			f.ok(err, "UpdateDirectoryUser")
			return out
		}
		c := f.lastCursor()
		if out := set(false); len(out.Roles) != 0 {
			f.Fatalf("deactivated user returned with roles %q", out.Roles)
		}
		f.wantRoles(dir.ID, u.ID)
		if rc := f.rolesChanges(c)[u.ID]; len(rc) != 1 || len(rc[0].New) != 0 {
			f.Fatalf("roles change on deactivation: %+v", rc)
		}
		if out := set(true); !slices.Equal(out.Roles, []string{"admin"}) {
			f.Fatalf("reactivated user returned with roles %q", out.Roles)
		}
		f.wantRoles(dir.ID, u.ID, "admin")
		c = f.lastCursor()
		_, err := f.s.UpdateDirectoryUser(f.ctx, dir.ID, u.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
			u.DisplayName = "Carol"
			u.Roles = nil
			return nil, nil
		})
		f.ok(err, "UpdateDirectoryUser")
		f.wantRoles(dir.ID, u.ID, "admin")
		if rc := f.rolesChanges(c); len(rc) != 0 {
			f.Fatalf("an update that does not touch roles changed them: %+v", rc)
		}
	}},
	{"DefaultRoleInEvents", func(f *fixture) {
		// With a default role among the mappings, the events carry the
		// effective roles (as Profile.Roles at sign-in): the default for a
		// user no mapping gives a role, none for an inactive user. The
		// stored roles stay the mapped ones.
		org := f.mkOrg()
		dir := f.mkDir(org.ID)
		u := f.mkUser(dir.ID, "erin@example.com", nil)
		def := store.RoleMapping{OrgID: org.ID, Source: store.RoleDefault, Role: "member"}
		f.is(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{def, {OrgID: org.ID, Source: store.RoleDefault, Role: "viewer"}}), store.ErrInvalid, "two default roles")
		f.is(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{{OrgID: org.ID, Source: store.RoleDefault, Value: "x", Role: "member"}}), store.ErrInvalid, "a default role with a value")
		g := f.mkGroup(dir.ID, "Admins")
		c := f.lastCursor()
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{groupMapping(org.ID, g.ID, "admin"), def}), "SetRoleMappings")
		if n := f.recomputeAll(org.ID, 10); n != 1 || len(f.rolesChanges(c)) != 0 {
			f.Fatalf("setting a default role and an empty group's mapping changed roles: %+v", f.rolesChanges(c))
		}
		ms, err := f.s.ListRoleMappings(f.ctx, org.ID)
		f.ok(err, "ListRoleMappings")
		if store.DefaultRole(ms) != "member" || len(ms) != 2 {
			f.Fatalf("mappings: %+v", ms)
		}
		want := func(c int64, old, new []string) {
			f.Helper()
			rc := f.rolesChanges(c)[u.ID]
			if len(rc) != 1 || !slices.Equal(rc[0].Old, old) || !slices.Equal(rc[0].New, new) {
				f.Fatalf("roles changes %+v, want one from %q to %q", rc, old, new)
			}
		}
		members := func(kind store.MemberOpKind) {
			f.Helper()
			_, err := f.s.UpdateDirectoryGroup(f.ctx, dir.ID, g.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) {
				return []store.MemberOp{{Kind: kind, IDs: []string{u.ID}}}, nil
			}, nil)
			f.ok(err, "UpdateDirectoryGroup")
		}
		active := func(on bool) {
			f.Helper()
			_, err := f.s.UpdateDirectoryUser(f.ctx, dir.ID, u.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
				u.Active = on
				return nil, nil
			})
			f.ok(err, "UpdateDirectoryUser")
		}
		c = f.lastCursor()
		members(store.MembersAdd)
		want(c, []string{"member"}, []string{"admin"})
		f.wantRoles(dir.ID, u.ID, "admin")
		c = f.lastCursor()
		members(store.MembersRemove)
		want(c, []string{"admin"}, []string{"member"})
		f.wantRoles(dir.ID, u.ID)
		c = f.lastCursor()
		active(false)
		want(c, []string{"member"}, []string{})
		c = f.lastCursor()
		active(true)
		want(c, []string{}, []string{"member"})
		f.wantRoles(dir.ID, u.ID)
		// A mapping change through RecomputeRoles: the group's role goes,
		// its member falls back to the default role.
		members(store.MembersAdd)
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{def}), "SetRoleMappings")
		c = f.lastCursor()
		f.recomputeAll(org.ID, 10)
		want(c, []string{"admin"}, []string{"member"})
		// A user mapped to the default role itself changes no effective
		// role when the mapping goes.
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{groupMapping(org.ID, g.ID, "member"), def}), "SetRoleMappings")
		f.recomputeAll(org.ID, 10)
		f.wantRoles(dir.ID, u.ID, "member")
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{def}), "SetRoleMappings")
		c = f.lastCursor()
		f.recomputeAll(org.ID, 10)
		f.wantRoles(dir.ID, u.ID)
		if rc := f.rolesChanges(c); len(rc) != 0 {
			f.Fatalf("the effective roles did not change, yet: %+v", rc)
		}
	}},
	{"MappingChangeInBatches", func(f *fixture) {
		org := f.mkOrg()
		dir := f.mkDir(org.ID)
		const n = 25
		var ids []string
		for i := range n {
			ids = append(ids, f.mkUser(dir.ID, fmt.Sprintf("u%02d@example.com", i), nil).ID)
		}
		g := f.mkGroup(dir.ID, "Everyone", ids...)
		other := f.mkUser(dir.ID, "other@example.com", nil)
		c := f.lastCursor()
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{groupMapping(org.ID, g.ID, "member")}, f.ev("roles.mappings_changed", org.ID, org.ID)), "SetRoleMappings")
		if evs := f.eventsAfter(c); len(evs) != 1 {
			f.Fatalf("SetRoleMappings appended %d events, want only its own", len(evs))
		}
		left, err := f.s.RecomputeRoles(f.ctx, org.ID, 10, "operator:test", t0)
		f.ok(err, "RecomputeRoles")
		if left != n-10 {
			f.Fatalf("RecomputeRoles left %d stale, want %d", left, n-10)
		}
		if got := len(f.rolesChanges(c)); got != 10 {
			f.Fatalf("first batch: %d roles changes, want 10", got)
		}
		if calls := f.recomputeAll(org.ID, 10); calls != 2 {
			f.Fatalf("the rest took %d calls, want 2", calls)
		}
		rc := f.rolesChanges(c)
		if len(rc) != n {
			f.Fatalf("%d users' roles changed, want %d", len(rc), n)
		}
		for _, id := range ids {
			f.wantRoles(dir.ID, id, "member")
		}
		f.wantRoles(dir.ID, other.ID)
		// Changing the role recomputes; a membership change of a stale
		// user recomputes it at once.
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{groupMapping(org.ID, g.ID, "staff")}), "SetRoleMappings")
		_, err = f.s.UpdateDirectoryGroup(f.ctx, dir.ID, g.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) {
			return []store.MemberOp{{Kind: store.MembersRemove, IDs: ids[:1]}}, nil
		}, nil)
		f.ok(err, "removing a member")
		f.wantRoles(dir.ID, ids[0])
		left, err = f.s.RecomputeRoles(f.ctx, org.ID, 1000, "operator:test", t0)
		f.ok(err, "RecomputeRoles")
		if left != 0 {
			f.Fatalf("%d stale after recomputing all", left)
		}
		for _, id := range ids[1:] {
			f.wantRoles(dir.ID, id, "staff")
		}
		// Mappings disappear with the organization.
		f.ok(f.s.DeleteOrganization(f.ctx, org.ID), "DeleteOrganization")
		ms, err := f.s.ListRoleMappings(f.ctx, org.ID)
		f.ok(err, "ListRoleMappings")
		if len(ms) != 0 {
			f.Fatalf("mappings of a deleted organization: %+v", ms)
		}
	}},
}

// roleConcurrencyTest races membership changes of one user in many groups
// of one directory: the user's stored roles must be those of the groups it
// ends up in, and its last roles change event must say so.
var roleConcurrencyTest = subtest{"MembershipRoles", func(f *fixture) {
	org := f.mkOrg()
	dir := f.mkDir(org.ID)
	u := f.mkUser(dir.ID, "dana@example.com", nil)
	var maps []store.RoleMapping
	var groups []string
	for i := range workers {
		g := f.mkGroup(dir.ID, fmt.Sprintf("G%02d", i))
		groups = append(groups, g.ID)
		maps = append(maps, groupMapping(org.ID, g.ID, fmt.Sprintf("role%02d", i)))
	}
	f.ok(f.s.SetRoleMappings(f.ctx, org.ID, maps), "SetRoleMappings")
	c := f.lastCursor()
	errs := race(workers, func(i int) error {
		_, err := f.s.UpdateDirectoryGroup(f.ctx, dir.ID, groups[i], func(*store.DirectoryGroup) ([]store.MemberOp, error) {
			return []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{u.ID}}}, nil
		}, nil)
		return err
	})
	if wins := outcomes(f.T, "UpdateDirectoryGroup", errs); wins != workers {
		f.Fatalf("%d of %d membership changes succeeded", wins, workers)
	}
	var want []string
	for _, m := range maps {
		want = append(want, m.Role)
	}
	f.wantRoles(dir.ID, u.ID, want...)
	rc := f.rolesChanges(c)[u.ID]
	if len(rc) != workers || !slices.Equal(rc[len(rc)-1].New, want) {
		f.Fatalf("%d roles changes, the last to %q; want %d, the last to every role", len(rc), rc[len(rc)-1].New, workers)
	}
	// Half leave again, concurrently.
	errs = race(workers, func(i int) error {
		if i%2 == 0 {
			return nil
		}
		_, err := f.s.UpdateDirectoryGroup(f.ctx, dir.ID, groups[i], func(*store.DirectoryGroup) ([]store.MemberOp, error) {
			return []store.MemberOp{{Kind: store.MembersRemove, IDs: []string{u.ID}}}, nil
		}, nil)
		return err
	})
	outcomes(f.T, "UpdateDirectoryGroup", errs)
	want = want[:0]
	for i, m := range maps {
		if i%2 == 0 {
			want = append(want, m.Role)
		}
	}
	f.wantRoles(dir.ID, u.ID, want...)
}}

var policyTests = []subtest{
	{"PutGet", func(f *fixture) {
		org := f.mkOrg()
		p, err := f.s.GetProvisioningPolicy(f.ctx, org.ID)
		f.ok(err, "GetProvisioningPolicy")
		if *p != (store.ProvisioningPolicy{OrgID: org.ID}) {
			f.Fatalf("default policy = %+v", p)
		}
		_, err = f.s.GetProvisioningPolicy(f.ctx, "org_absent")
		f.is(err, store.ErrNotFound, "GetProvisioningPolicy of an unknown organization")
		f.is(f.s.PutProvisioningPolicy(f.ctx, &store.ProvisioningPolicy{OrgID: "org_absent"}), store.ErrNotFound, "PutProvisioningPolicy of an unknown organization")
		f.is(f.s.PutProvisioningPolicy(f.ctx, &store.ProvisioningPolicy{OrgID: org.ID, SignIn: "whoever"}), store.ErrInvalid, "an unknown policy")
		c := f.lastCursor()
		f.is(f.s.PutProvisioningPolicy(f.ctx, &store.ProvisioningPolicy{OrgID: org.ID, OutsideDomains: "ignore"}), store.ErrInvalid, "an unknown outside-domains action")
		want := store.ProvisioningPolicy{OrgID: org.ID, SignIn: store.SignInDirectoryOnly, OutsideDomains: store.OutsideDomainsRefuse, UpdatedAt: at(time.Minute).In(elsewhere)}
		f.ok(f.s.PutProvisioningPolicy(f.ctx, &want, f.ev("organization.policy_updated", org.ID, org.ID)), "PutProvisioningPolicy")
		if n := len(f.eventsAfter(c)); n != 1 {
			f.Fatalf("%d events, want 1", n)
		}
		p, err = f.s.GetProvisioningPolicy(f.ctx, org.ID)
		f.ok(err, "GetProvisioningPolicy")
		if p.SignIn != store.SignInDirectoryOnly || p.OutsideDomains != store.OutsideDomainsRefuse || !p.UpdatedAt.Equal(want.UpdatedAt) || p.UpdatedAt.Location() != time.UTC {
			f.Fatalf("policy = %+v", p)
		}
		want.SignIn, want.OutsideDomains = store.SignInVerifiedDomain, store.OutsideDomainsAccept
		f.ok(f.s.PutProvisioningPolicy(f.ctx, &want), "replacing the policy")
		p, err = f.s.GetProvisioningPolicy(f.ctx, org.ID)
		f.ok(err, "GetProvisioningPolicy")
		if p.SignIn != store.SignInVerifiedDomain || p.OutsideDomains != store.OutsideDomainsAccept || p.Deprovision != store.DeprovisionDeactivate {
			f.Fatalf("policy = %+v", p)
		}
		f.is(f.s.PutProvisioningPolicy(f.ctx, &store.ProvisioningPolicy{OrgID: org.ID, Deprovision: "archive"}), store.ErrInvalid, "an unknown deprovisioning action")
		want.Deprovision = store.DeprovisionDelete
		f.ok(f.s.PutProvisioningPolicy(f.ctx, &want), "the delete deprovisioning action")
		p, err = f.s.GetProvisioningPolicy(f.ctx, org.ID)
		f.ok(err, "GetProvisioningPolicy")
		if p.Deprovision != store.DeprovisionDelete || p.OutsideDomains != store.OutsideDomainsAccept {
			f.Fatalf("policy = %+v", p)
		}
	}},
	{"Deprovisioned", func(f *fixture) {
		org, other := f.mkOrg(), f.mkOrg()
		conn := f.mkConn(org.ID, store.ProtocolSAML)
		dir, dir2 := f.mkDir(org.ID), f.mkDir(org.ID)
		u := f.mkUser(dir.ID, "alice@example.com", func(u *store.DirectoryUser) {
			u.Emails = []store.Email{{Value: "Alice.Work@Example.com", Type: "work", Primary: true}}
		})
		facts := func(orgID, email string) *store.Deprovisioned {
			f.Helper()
			var got *store.Deprovisioned
			_, err := f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, Now: t0, OrgID: orgID, Email: email}, func(lf *store.LoginFacts) ([]store.Event, error) {
				got = lf.Deprovisioned
				return nil, nil
			})
			f.ok(err, "CompleteLogin")
			return got
		}
		if d := facts(org.ID, "alice@example.com"); d != nil {
			f.Fatalf("a provisioned user has a deprovisioned record: %+v", d)
		}
		ev := f.ev("directory.user.deleted", org.ID, u.ID)
		ev.CreatedAt = at(time.Hour)
		f.ok(f.s.DeleteDirectoryUser(f.ctx, dir.ID, u.ID, func(*store.DirectoryUser, []string) []store.Event { return []store.Event{ev} }), "DeleteDirectoryUser")
		want := store.Deprovisioned{OrgID: org.ID, DirectoryID: dir.ID, UserID: u.ID, At: ev.CreatedAt}
		for _, email := range []string{"alice@example.com", "ALICE.WORK@example.COM"} {
			d := facts(org.ID, email)
			if d == nil || *d != want || d.At.Location() != time.UTC {
				f.Fatalf("record of %s = %+v, want %+v", email, d, want)
			}
		}
		if d := facts(other.ID, "alice@example.com"); d != nil {
			f.Fatalf("another organization sees the record: %+v", d)
		}
		// An inactive user with the address does not lift the record; an
		// active one, of any directory of the organization, does, for
		// its own addresses only.
		back := f.mkUser(dir2.ID, "alice@example.com", func(u *store.DirectoryUser) { u.Active = false })
		if facts(org.ID, "alice@example.com") == nil {
			f.Fatalf("an inactive user lifted the record")
		}
		_, err := f.s.UpdateDirectoryUser(f.ctx, dir2.ID, back.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
			u.Active = true
			return nil, nil
		})
		f.ok(err, "UpdateDirectoryUser")
		if d := facts(org.ID, "alice@example.com"); d != nil {
			f.Fatalf("reactivated user still deprovisioned: %+v", d)
		}
		if facts(org.ID, "alice.work@example.com") == nil {
			f.Fatalf("the record of an address the new user does not have was lifted")
		}
		f.mkUser(dir.ID, "bob@example.com", func(u *store.DirectoryUser) {
			u.Emails = []store.Email{{Value: "alice.work@example.com"}}
		})
		if d := facts(org.ID, "alice.work@example.com"); d != nil {
			f.Fatalf("a new user with the address did not lift the record: %+v", d)
		}
		// A delete without events still leaves a record.
		gone := f.mkUser(dir.ID, "carol@example.com", nil)
		f.ok(f.s.DeleteDirectoryUser(f.ctx, dir.ID, gone.ID, nil), "DeleteDirectoryUser")
		if facts(org.ID, "carol@example.com") == nil {
			f.Fatalf("no record after a delete without events")
		}
	}},
	{"LoginFacts", func(f *fixture) {
		org := f.mkOrg()
		conn := f.mkConn(org.ID, store.ProtocolSAML)
		f.ok(f.s.PutProvisioningPolicy(f.ctx, &store.ProvisioningPolicy{OrgID: org.ID, SignIn: store.SignInDirectoryOnly}), "PutProvisioningPolicy")
		idp := store.RoleMapping{OrgID: org.ID, Source: store.RoleFromIdPGroup, Value: "Admins", Role: "admin"}
		f.ok(f.s.SetRoleMappings(f.ctx, org.ID, []store.RoleMapping{idp, groupMapping(org.ID, "grp_x", "viewer")}), "SetRoleMappings")
		var got *store.LoginFacts
		_, err := f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, Now: t0, OrgID: org.ID, OrgFacts: true}, func(lf *store.LoginFacts) ([]store.Event, error) {
			got = lf
			return nil, nil
		})
		f.ok(err, "CompleteLogin")
		if got.Policy == nil || got.Policy.SignIn != store.SignInDirectoryOnly || !slices.Equal(got.RoleMappings, []store.RoleMapping{idp}) {
			f.Fatalf("facts = %+v", got)
		}
		_, err = f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, Now: t0, OrgID: org.ID}, func(lf *store.LoginFacts) ([]store.Event, error) {
			got = lf
			return nil, nil
		})
		f.ok(err, "CompleteLogin")
		if got.Policy != nil || got.RoleMappings != nil {
			f.Fatalf("facts not asked for: %+v", got)
		}
	}},
}
