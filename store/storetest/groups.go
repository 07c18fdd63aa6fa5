package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

func groupIDs(gs []store.DirectoryGroup) []string {
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.ID)
	}
	return ids
}

// groupCall records the arguments of a GroupEvents call.
type groupCall struct {
	group          store.DirectoryGroup
	added, removed []string
}

// recorder returns GroupEvents that records its calls and returns one event
// of type typ.
func (f *fixture) recorder(calls *[]groupCall, typ string) store.GroupEvents {
	return func(g *store.DirectoryGroup, added, removed []string) []store.Event {
		*calls = append(*calls, groupCall{*g, slices.Clone(added), slices.Clone(removed)})
		return []store.Event{f.ev(typ, g.OrgID, g.ID)}
	}
}

func (f *fixture) getGroup(dir, id string) *store.DirectoryGroup {
	f.Helper()
	g, err := f.s.GetDirectoryGroup(f.ctx, dir, id)
	f.ok(err, "GetDirectoryGroup %s", id)
	return g
}

func (f *fixture) wantCall(what string, calls []groupCall, group *store.DirectoryGroup, added, removed []string) {
	f.Helper()
	if len(calls) != 1 {
		f.Fatalf("%s: events called %d times, want once", what, len(calls))
	}
	f.equal(what+": group passed to events", &calls[0].group, group)
	if !slices.Equal(calls[0].added, added) || !slices.Equal(calls[0].removed, removed) {
		f.Fatalf("%s: events(added %v, removed %v), want (%v, %v)", what, calls[0].added, calls[0].removed, added, removed)
	}
}

func sorted(ids ...string) []string {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}

var directoryGroupTests = []subtest{
	{"CreateGet", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u1, u2 := f.mkUser(d.ID, "alice", nil), f.mkUser(d.ID, "bob", nil)
		g0 := f.mkGroup(d.ID, "Nested")
		g := &store.DirectoryGroup{
			ID: "grp_main", DirectoryID: d.ID, OrgID: "org_ignored", DisplayName: "Engineering", ExternalID: "00g1",
			Attributes: json.RawMessage(`{"displayName": "Engineering", "members": []}`), Version: 5,
			CreatedAt: t0.In(elsewhere), UpdatedAt: at(time.Hour).In(elsewhere),
		}
		ops := []store.MemberOp{
			{Kind: store.MembersAdd, IDs: []string{u1.ID, u2.ID}},
			{Kind: store.MembersRemove, IDs: []string{u2.ID}},
			{Kind: store.MembersAdd, IDs: []string{g0.ID, u1.ID}},
		}
		var calls []groupCall
		c := f.lastCursor()
		f.ok(f.s.CreateDirectoryGroup(f.ctx, g, ops, f.recorder(&calls, "directory.group.created")), "CreateDirectoryGroup")
		want := normalized(g).(*store.DirectoryGroup)
		want.OrgID, want.Version = org.ID, 1
		f.wantCall("CreateDirectoryGroup", calls, want, sorted(u1.ID, g0.ID), nil)
		f.wantEventTypes(c, "CreateDirectoryGroup", "directory.group.created")
		got := f.getGroup(d.ID, g.ID)
		f.utcOnly("GetDirectoryGroup", got)
		f.equal("GetDirectoryGroup (OrgID from the directory, Version 1)", got, want)
		if ids := f.memberIDs(d.ID, g.ID); !slices.Equal(ids, sorted(u1.ID, g0.ID)) {
			f.Fatalf("members %v, want %v", ids, sorted(u1.ID, g0.ID))
		}
		// Copies.
		g.Attributes[0], got.Attributes[1] = ' ', 'X'
		got.DisplayName = "mutated"
		f.equal("group after mutating copies", f.getGroup(d.ID, g.ID), want)
		// nil ops and nil events.
		c = f.lastCursor()
		f.ok(f.s.CreateDirectoryGroup(f.ctx, &store.DirectoryGroup{ID: "grp_empty", DirectoryID: d.ID, DisplayName: "Empty", CreatedAt: t0}, nil, nil), "CreateDirectoryGroup without members or events")
		f.noEventsSince(c, "nil GroupEvents")
		if ids := f.memberIDs(d.ID, "grp_empty"); len(ids) != 0 {
			f.Fatalf("group created without members has %v", ids)
		}
	}},
	{"InvalidNotFound", func(f *fixture) {
		org := f.mkOrg()
		d, other := f.mkDir(org.ID), f.mkDir(org.ID)
		u := f.mkUser(d.ID, "alice", nil)
		ou := f.mkUser(other.ID, "alice", nil)
		good := store.DirectoryGroup{ID: "grp_1", DirectoryID: d.ID, DisplayName: "Admins", CreatedAt: t0}
		var calls []groupCall
		ev := f.recorder(&calls, "directory.group.created")
		for name, tc := range map[string]struct {
			mod func(*store.DirectoryGroup)
			ops []store.MemberOp
			err error
		}{
			"no id":                    {func(g *store.DirectoryGroup) { g.ID = "" }, nil, store.ErrInvalid},
			"no directory":             {func(g *store.DirectoryGroup) { g.DirectoryID = "" }, nil, store.ErrInvalid},
			"no displayName":           {func(g *store.DirectoryGroup) { g.DisplayName = "" }, nil, store.ErrInvalid},
			"an unknown op":            {nil, []store.MemberOp{{Kind: 0, IDs: []string{u.ID}}}, store.ErrInvalid},
			"an op out of range":       {nil, []store.MemberOp{{Kind: store.MembersReplace + 1, IDs: []string{u.ID}}}, store.ErrInvalid},
			"an empty member id":       {nil, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{u.ID, ""}}}, store.ErrInvalid},
			"an unknown directory":     {func(g *store.DirectoryGroup) { g.DirectoryID = "dir_missing" }, nil, store.ErrNotFound},
			"an unknown member":        {nil, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{u.ID, "usr_missing"}}}, store.ErrNotFound},
			"another directory's user": {nil, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{ou.ID}}}, store.ErrNotFound},
			"an unknown replacement":   {nil, []store.MemberOp{{Kind: store.MembersReplace, IDs: []string{"usr_missing"}}}, store.ErrNotFound},
		} {
			g := good
			if tc.mod != nil {
				tc.mod(&g)
			}
			f.is(f.s.CreateDirectoryGroup(f.ctx, &g, tc.ops, ev), tc.err, "CreateDirectoryGroup with %s", name)
		}
		f.is(f.s.CreateDirectoryGroup(f.ctx, nil, nil, nil), store.ErrInvalid, "CreateDirectoryGroup(nil)")
		err := f.s.CreateDirectoryGroup(f.ctx, &good, nil, func(*store.DirectoryGroup, []string, []string) []store.Event {
			return []store.Event{{ID: "evt_bad"}}
		})
		f.is(err, store.ErrInvalid, "CreateDirectoryGroup with an invalid event")
		_, err = f.s.GetDirectoryGroup(f.ctx, d.ID, good.ID)
		f.is(err, store.ErrNotFound, "group after refused creates")
		gs, total, err := f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Limit: 10})
		f.ok(err, "ListDirectoryGroups")
		if total != 0 || len(gs) != 0 {
			f.Fatalf("refused creates left %d groups", total)
		}
		gs, err = f.s.ListMemberGroups(f.ctx, d.ID, u.ID)
		f.ok(err, "ListMemberGroups")
		if len(gs) != 0 {
			f.Fatalf("refused creates left memberships: %v", groupIDs(gs))
		}

		f.ok(f.s.CreateDirectoryGroup(f.ctx, &good, nil, nil), "CreateDirectoryGroup")
		_, err = f.s.GetDirectoryGroup(f.ctx, other.ID, good.ID)
		f.is(err, store.ErrNotFound, "GetDirectoryGroup through another directory")
		_, err = f.s.GetDirectoryGroup(f.ctx, d.ID, "")
		f.is(err, store.ErrInvalid, "GetDirectoryGroup(\"\")")
		_, _, err = f.s.ListDirectoryGroups(f.ctx, "", store.GroupQuery{})
		f.is(err, store.ErrInvalid, "ListDirectoryGroups(\"\")")
		_, err = f.s.ListGroupMembers(f.ctx, d.ID, "grp_missing")
		f.is(err, store.ErrNotFound, "ListGroupMembers of an unknown group")
		_, err = f.s.ListGroupMembers(f.ctx, other.ID, good.ID)
		f.is(err, store.ErrNotFound, "ListGroupMembers through another directory")
		_, err = f.s.ListMemberGroups(f.ctx, d.ID, "")
		f.is(err, store.ErrInvalid, "ListMemberGroups(\"\")")
		_, err = f.s.UpdateDirectoryGroup(f.ctx, other.ID, good.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) { return nil, nil }, nil)
		f.is(err, store.ErrNotFound, "UpdateDirectoryGroup through another directory")
		f.is(f.s.DeleteDirectoryGroup(f.ctx, other.ID, good.ID, nil), store.ErrNotFound, "DeleteDirectoryGroup through another directory")
		f.is(f.s.DeleteDirectoryGroup(f.ctx, d.ID, "", nil), store.ErrInvalid, "DeleteDirectoryGroup(\"\")")
		f.getGroup(d.ID, good.ID)
		if len(calls) != 0 {
			f.Fatalf("events function called by refused creates: %d", len(calls))
		}
		f.noEventsSince(0, "refused writes")
	}},
	{"Uniqueness", func(f *fixture) {
		org := f.mkOrg()
		d, other := f.mkDir(org.ID), f.mkDir(org.ID)
		g := &store.DirectoryGroup{ID: "grp_1", DirectoryID: d.ID, DisplayName: "Admins", ExternalID: "ext-1", CreatedAt: t0}
		f.ok(f.s.CreateDirectoryGroup(f.ctx, g, nil, nil), "CreateDirectoryGroup")
		for name, x := range map[string]store.DirectoryGroup{
			"a taken id":                          {ID: "grp_1", DirectoryID: other.ID, DisplayName: "Other", CreatedAt: t0},
			"a taken displayName":                 {ID: "grp_2", DirectoryID: d.ID, DisplayName: "Admins", CreatedAt: t0},
			"a taken displayName in another case": {ID: "grp_3", DirectoryID: d.ID, DisplayName: "ADMINS", CreatedAt: t0},
			"a taken externalId":                  {ID: "grp_4", DirectoryID: d.ID, DisplayName: "Ops", ExternalID: "ext-1", CreatedAt: t0},
		} {
			f.is(f.s.CreateDirectoryGroup(f.ctx, &x, nil, nil), store.ErrAlreadyExists, "CreateDirectoryGroup with %s", name)
		}
		f.ok(f.s.CreateDirectoryGroup(f.ctx, &store.DirectoryGroup{ID: "grp_5", DirectoryID: d.ID, DisplayName: "Ops", ExternalID: "EXT-1", CreatedAt: t0}, nil, nil), "externalId in another case")
		f.ok(f.s.CreateDirectoryGroup(f.ctx, &store.DirectoryGroup{ID: "grp_6", DirectoryID: other.ID, DisplayName: "admins", ExternalID: "ext-1", CreatedAt: t0}, nil, nil), "same names in another directory")
		for name, fn := range map[string]func(*store.DirectoryGroup){
			"a taken displayName": func(x *store.DirectoryGroup) { x.DisplayName = "admins" },
			"a taken externalId":  func(x *store.DirectoryGroup) { x.ExternalID = "ext-1" },
		} {
			_, err := f.s.UpdateDirectoryGroup(f.ctx, d.ID, "grp_5", func(x *store.DirectoryGroup) ([]store.MemberOp, error) {
				fn(x)
				return nil, nil
			}, nil)
			f.is(err, store.ErrAlreadyExists, "UpdateDirectoryGroup to %s", name)
		}
		// Renaming one's own displayName in another case is fine.
		_, err := f.s.UpdateDirectoryGroup(f.ctx, d.ID, "grp_1", func(x *store.DirectoryGroup) ([]store.MemberOp, error) {
			x.DisplayName = "ADMINS"
			return nil, nil
		}, nil)
		f.ok(err, "UpdateDirectoryGroup changing the case of its own name")
	}},
	{"Update", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u1, u2, u3 := f.mkUser(d.ID, "alice", nil), f.mkUser(d.ID, "bob", nil), f.mkUser(d.ID, "carol", nil)
		g := f.mkGroup(d.ID, "Admins", u1.ID, u2.ID)
		base := f.getGroup(d.ID, g.ID)
		var calls []groupCall
		c := f.lastCursor()
		got, err := f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, func(x *store.DirectoryGroup) ([]store.MemberOp, error) {
			f.equal("UpdateDirectoryGroup function argument", x, base)
			x.DisplayName, x.ExternalID, x.UpdatedAt = "Administrators", "ext-9", at(time.Hour).In(elsewhere)
			x.Attributes = json.RawMessage(`{"displayName":"Administrators"}`)
			return []store.MemberOp{{Kind: store.MembersReplace, IDs: []string{u2.ID, u3.ID}}}, nil
		}, f.recorder(&calls, "directory.group.updated"))
		f.ok(err, "UpdateDirectoryGroup")
		want := normalized(base).(*store.DirectoryGroup)
		want.DisplayName, want.ExternalID, want.UpdatedAt, want.Version = "Administrators", "ext-9", at(time.Hour), 2
		want.Attributes = json.RawMessage(`{"displayName":"Administrators"}`)
		f.utcOnly("UpdateDirectoryGroup", got)
		f.equal("UpdateDirectoryGroup result", got, want)
		f.equal("group after update", f.getGroup(d.ID, g.ID), want)
		f.wantCall("UpdateDirectoryGroup", calls, want, []string{u3.ID}, []string{u1.ID})
		f.wantEventTypes(c, "UpdateDirectoryGroup", "directory.group.updated")
		if ids := f.memberIDs(d.ID, g.ID); !slices.Equal(ids, sorted(u2.ID, u3.ID)) {
			f.Fatalf("members after replace: %v", ids)
		}

		c = f.lastCursor()
		for _, tc := range []struct {
			name string
			fn   func(*store.DirectoryGroup) ([]store.MemberOp, error)
			err  error
		}{
			{"a failing function", func(x *store.DirectoryGroup) ([]store.MemberOp, error) {
				x.DisplayName = "changed"
				return []store.MemberOp{{Kind: store.MembersRemove, IDs: []string{u2.ID}}}, errFn
			}, errFn},
			{"an unknown member", func(x *store.DirectoryGroup) ([]store.MemberOp, error) {
				x.DisplayName = "changed"
				return []store.MemberOp{{Kind: store.MembersRemove, IDs: []string{u2.ID}}, {Kind: store.MembersAdd, IDs: []string{"usr_missing"}}}, nil
			}, store.ErrNotFound},
			{"an invalid op", func(x *store.DirectoryGroup) ([]store.MemberOp, error) {
				return []store.MemberOp{{Kind: store.MembersRemove, IDs: []string{u2.ID}}, {Kind: 9}}, nil
			}, store.ErrInvalid},
			{"an empty displayName", func(x *store.DirectoryGroup) ([]store.MemberOp, error) {
				x.DisplayName = ""
				return nil, nil
			}, store.ErrInvalid},
		} {
			calls = nil
			_, err := f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, tc.fn, f.recorder(&calls, "directory.group.updated"))
			f.is(err, tc.err, "UpdateDirectoryGroup with %s", tc.name)
			f.equal("group after UpdateDirectoryGroup with "+tc.name, f.getGroup(d.ID, g.ID), want)
			if ids := f.memberIDs(d.ID, g.ID); !slices.Equal(ids, sorted(u2.ID, u3.ID)) {
				f.Fatalf("members after UpdateDirectoryGroup with %s: %v", tc.name, ids)
			}
		}
		_, err = f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, func(x *store.DirectoryGroup) ([]store.MemberOp, error) {
			return []store.MemberOp{{Kind: store.MembersRemove, IDs: []string{u2.ID}}}, nil
		}, func(*store.DirectoryGroup, []string, []string) []store.Event { return []store.Event{{ID: "evt_bad"}} })
		f.is(err, store.ErrInvalid, "UpdateDirectoryGroup with an invalid event")
		if ids := f.memberIDs(d.ID, g.ID); !slices.Equal(ids, sorted(u2.ID, u3.ID)) {
			f.Fatalf("members after an update with an invalid event: %v", ids)
		}
		_, err = f.s.UpdateDirectoryGroup(f.ctx, d.ID, "grp_missing", func(*store.DirectoryGroup) ([]store.MemberOp, error) { return nil, nil }, nil)
		f.is(err, store.ErrNotFound, "UpdateDirectoryGroup of an unknown group")
		f.noEventsSince(c, "failed updates")
	}},
	{"Delete", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u1, u2 := f.mkUser(d.ID, "alice", nil), f.mkUser(d.ID, "bob", nil)
		child := f.mkGroup(d.ID, "Child", u2.ID)
		g := f.mkGroup(d.ID, "Middle", u1.ID, child.ID)
		parent := f.mkGroup(d.ID, "Parent", g.ID, u1.ID)
		stored := f.getGroup(d.ID, g.ID)
		var calls []groupCall
		c := f.lastCursor()
		f.ok(f.s.DeleteDirectoryGroup(f.ctx, d.ID, g.ID, f.recorder(&calls, "directory.group.deleted")), "DeleteDirectoryGroup")
		f.wantCall("DeleteDirectoryGroup", calls, stored, nil, sorted(u1.ID, child.ID))
		f.wantEventTypes(c, "DeleteDirectoryGroup", "directory.group.deleted")
		_, err := f.s.GetDirectoryGroup(f.ctx, d.ID, g.ID)
		f.is(err, store.ErrNotFound, "GetDirectoryGroup after delete")
		if ids := f.memberIDs(d.ID, parent.ID); !slices.Equal(ids, []string{u1.ID}) {
			f.Fatalf("parent members after deleting a member group: %v", ids)
		}
		for _, m := range []string{u1.ID, child.ID} {
			gs, err := f.s.ListMemberGroups(f.ctx, d.ID, m)
			f.ok(err, "ListMemberGroups")
			if slices.Contains(groupIDs(gs), g.ID) {
				f.Fatalf("%s still a member of the deleted group", m)
			}
		}
		var total int
		gs, err := f.s.ListMemberGroups(f.ctx, d.ID, g.ID)
		f.ok(err, "ListMemberGroups of the deleted group")
		if len(gs) != 0 {
			f.Fatalf("the deleted group is still a member of %v", groupIDs(gs))
		}
		gs, total, err = f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Filter: cmp(store.AttrMember, store.OpEq, u1.ID), Limit: 10})
		f.ok(err, "ListDirectoryGroups")
		if ids := groupIDs(gs); !slices.Equal(ids, []string{parent.ID}) || total != 1 {
			f.Fatalf("groups with member %s after delete: %v", u1.ID, ids)
		}
		c = f.lastCursor()
		f.is(f.s.DeleteDirectoryGroup(f.ctx, d.ID, g.ID, f.recorder(&calls, "directory.group.deleted")), store.ErrNotFound, "second DeleteDirectoryGroup")
		f.noEventsSince(c, "deleting an absent group")
		f.ok(f.s.DeleteDirectoryGroup(f.ctx, d.ID, child.ID, nil), "DeleteDirectoryGroup with nil events")
		f.noEventsSince(c, "nil GroupEvents")
		// Its id and name are free again, without its old memberships.
		f.ok(f.s.CreateDirectoryGroup(f.ctx, &store.DirectoryGroup{ID: g.ID, DirectoryID: d.ID, DisplayName: "MIDDLE", CreatedAt: t0}, nil, nil), "re-creating the deleted group")
		if ids := f.memberIDs(d.ID, g.ID); len(ids) != 0 {
			f.Fatalf("re-created group has members %v", ids)
		}
		gs, total, err = f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Filter: cmp(store.AttrMember, store.OpEq, g.ID), Limit: 10})
		f.ok(err, "ListDirectoryGroups")
		if total != 0 {
			f.Fatalf("re-created group is a member of %v", groupIDs(gs))
		}
	}},
	{"Filters", func(f *fixture) {
		org := f.mkOrg()
		d, other := f.mkDir(org.ID), f.mkDir(org.ID)
		u1, u2 := f.mkUser(d.ID, "alice", nil), f.mkUser(d.ID, "bob", nil)
		mk := func(id, name, ext string, n int, members ...string) {
			g := &store.DirectoryGroup{ID: id, DirectoryID: d.ID, DisplayName: name, ExternalID: ext,
				CreatedAt: at(time.Duration(n) * time.Hour), UpdatedAt: at(time.Duration(10-n) * time.Hour)}
			var ops []store.MemberOp
			if len(members) > 0 {
				ops = []store.MemberOp{{Kind: store.MembersAdd, IDs: members}}
			}
			f.ok(f.s.CreateDirectoryGroup(f.ctx, g, ops, nil), "CreateDirectoryGroup %s", id)
		}
		mk("grp_1", "Admins", "EXT-1", 1, u1.ID)
		mk("grp_2", "Engineering", "ext-2", 2, u1.ID, u2.ID)
		mk("grp_3", "Sales", "", 3, "grp_1")
		mk("grp_4", "admin helpers", "EXT-4", 4)
		f.ok(f.s.CreateDirectoryGroup(f.ctx, &store.DirectoryGroup{ID: "grp_decoy", DirectoryID: other.ID, DisplayName: "Admins", ExternalID: "EXT-1", CreatedAt: t0}, nil, nil), "decoy")
		gid := func(n ...int) []string {
			var out []string
			for _, i := range n {
				out = append(out, "grp_"+string(rune('0'+i)))
			}
			return out
		}
		h := func(n int) time.Time { return at(time.Duration(n) * time.Hour).In(elsewhere) }
		for _, tc := range []struct {
			filter store.Filter
			want   []string
		}{
			{nil, gid(1, 2, 3, 4)},
			{cmp(store.AttrDisplayName, store.OpEq, "ADMINS"), gid(1)},
			{cmp(store.AttrDisplayName, store.OpSw, "admin"), gid(1, 4)},
			{cmp(store.AttrDisplayName, store.OpCo, "IN"), gid(1, 2, 4)},
			{cmp(store.AttrDisplayName, store.OpEw, "S"), gid(1, 3, 4)},
			{cmp(store.AttrDisplayName, store.OpNe, "sales"), gid(1, 2, 4)},
			{cmp(store.AttrDisplayName, store.OpGt, "engineering"), gid(3)},
			{cmp(store.AttrDisplayName, store.OpLe, "Engineering"), gid(1, 2, 4)},
			{cmp(store.AttrExternalID, store.OpEq, "EXT-1"), gid(1)},
			{cmp(store.AttrExternalID, store.OpEq, "ext-1"), nil},
			{cmp(store.AttrExternalID, store.OpPr, nil), gid(1, 2, 4)},
			{cmp(store.AttrID, store.OpEq, "grp_3"), gid(3)},
			{cmp(store.AttrID, store.OpEq, "grp_decoy"), nil},
			{cmp(store.AttrMember, store.OpEq, u1.ID), gid(1, 2)},
			{cmp(store.AttrMember, store.OpEq, u2.ID), gid(2)},
			{cmp(store.AttrMember, store.OpEq, "grp_1"), gid(3)},
			{cmp(store.AttrMember, store.OpEq, "usr_missing"), nil},
			{store.Not{F: cmp(store.AttrMember, store.OpEq, u1.ID)}, gid(3, 4)},
			{store.And{Left: cmp(store.AttrMember, store.OpEq, u1.ID), Right: cmp(store.AttrDisplayName, store.OpSw, "eng")}, gid(2)},
			{store.Or{Left: cmp(store.AttrMember, store.OpEq, u2.ID), Right: cmp(store.AttrDisplayName, store.OpEq, "sales")}, gid(2, 3)},
			// Other operators: some member's id compares, case-exactly.
			{cmp(store.AttrMember, store.OpPr, nil), gid(1, 2, 3)},
			{store.Not{F: cmp(store.AttrMember, store.OpPr, nil)}, gid(4)},
			{cmp(store.AttrMember, store.OpNe, u1.ID), gid(2, 3)},
			{cmp(store.AttrMember, store.OpCo, "rp_"), gid(3)},
			{cmp(store.AttrMember, store.OpCo, "RP_"), nil},
			{cmp(store.AttrMember, store.OpSw, u2.ID[:3]), gid(1, 2)},
			{cmp(store.AttrMember, store.OpEw, u2.ID[len(u2.ID)-4:]), gid(2)},
			{cmp(store.AttrMember, store.OpCo, "%"), nil},
			{cmp(store.AttrMember, store.OpGt, u1.ID), gid(2)},
			{cmp(store.AttrMember, store.OpGe, u1.ID), gid(1, 2)},
			{cmp(store.AttrMember, store.OpLt, u1.ID), gid(3)},
			{cmp(store.AttrMember, store.OpLe, "grp_1"), gid(3)},
			{cmp(store.AttrCreated, store.OpGt, h(2)), gid(3, 4)},
			{cmp(store.AttrCreated, store.OpLe, h(2)), gid(1, 2)},
			{cmp(store.AttrLastModified, store.OpEq, h(7)), gid(3)},
			{cmp(store.AttrLastModified, store.OpGe, h(8)), gid(1, 2)},
		} {
			gs, total, err := f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Filter: tc.filter, Limit: 100})
			f.ok(err, "ListDirectoryGroups %s", describe(tc.filter))
			f.utcOnly("ListDirectoryGroups", gs)
			if got := groupIDs(gs); !slices.Equal(got, tc.want) || total != len(tc.want) {
				f.Errorf("group filter %s: %v (total %d), want %v", describe(tc.filter), got, total, tc.want)
			}
		}
		for _, filter := range []store.Filter{
			cmp(store.AttrUserName, store.OpEq, "x"),
			cmp(store.AttrActive, store.OpEq, true),
			cmp(store.AttrEmail, store.OpEq, "x"),
			cmp(store.AttrGivenName, store.OpEq, "x"),
			cmp(store.AttrMember, store.OpNe, 7),
			cmp(store.AttrMember, store.OpPr, "usr"),
			cmp(store.AttrMember, store.OpEq, 3),
			cmp(store.AttrMember, "xx", "usr"),
			cmp(store.AttrDisplayName, "like", "x"),
			store.Compare{Attr: store.AttrDisplayName, Op: store.OpEq, Value: "x", EmailType: "work"},
			store.Not{},
		} {
			_, _, err := f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Filter: filter, Limit: 10})
			f.is(err, store.ErrInvalid, "group filter %s", describe(filter))
		}
		for _, q := range []store.GroupQuery{{SortBy: store.AttrUserName}, {SortBy: store.AttrMember}, {SortOrder: 3}, {Offset: -2}, {Limit: -2}} {
			_, _, err := f.s.ListDirectoryGroups(f.ctx, d.ID, q)
			f.is(err, store.ErrInvalid, "group query %+v", q)
		}
		for _, tc := range []struct {
			q    store.GroupQuery
			want []string
			tot  int
		}{
			{store.GroupQuery{SortBy: store.AttrDisplayName, Limit: 10}, gid(4, 1, 2, 3), 4}, // "admin helpers" < "admins"
			{store.GroupQuery{SortBy: store.AttrDisplayName, SortOrder: store.Descending, Limit: 10}, gid(3, 2, 1, 4), 4},
			{store.GroupQuery{SortBy: store.AttrCreated, SortOrder: store.Descending, Limit: 10}, gid(4, 3, 2, 1), 4},
			{store.GroupQuery{SortBy: store.AttrLastModified, Limit: 10}, gid(4, 3, 2, 1), 4},
			{store.GroupQuery{SortBy: store.AttrID, SortOrder: store.Descending, Limit: 10}, gid(4, 3, 2, 1), 4},
			{store.GroupQuery{SortBy: store.AttrExternalID, Filter: cmp(store.AttrExternalID, store.OpSw, "EXT"), Limit: 10}, gid(1, 4), 2},
			{store.GroupQuery{Limit: 2}, gid(1, 2), 4},
			{store.GroupQuery{Offset: 2, Limit: 2}, gid(3, 4), 4},
			{store.GroupQuery{Offset: 4, Limit: 2}, nil, 4},
			{store.GroupQuery{}, nil, 4},
			{store.GroupQuery{Filter: cmp(store.AttrMember, store.OpEq, u1.ID)}, nil, 2},
			{store.GroupQuery{Filter: cmp(store.AttrID, store.OpEq, "grp_2"), Limit: 10}, gid(2), 1},
			{store.GroupQuery{Filter: cmp(store.AttrID, store.OpEq, "grp_2"), Offset: 1, Limit: 10}, nil, 1},
		} {
			gs, total, err := f.s.ListDirectoryGroups(f.ctx, d.ID, tc.q)
			f.ok(err, "ListDirectoryGroups %+v", tc.q)
			if got := groupIDs(gs); !slices.Equal(got, tc.want) || total != tc.tot {
				f.Errorf("group query %+v: %v (total %d), want %v (total %d)", tc.q, got, total, tc.want, tc.tot)
			}
		}
		gs, total, err := f.s.ListDirectoryGroups(f.ctx, "dir_missing", store.GroupQuery{Limit: 10})
		f.ok(err, "ListDirectoryGroups of an unknown directory")
		if len(gs) != 0 || total != 0 {
			f.Fatalf("ListDirectoryGroups of an unknown directory: %d (total %d)", len(gs), total)
		}
	}},
}

var membershipTests = []subtest{
	{"OpsInOrder", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		a, b, c := f.mkUser(d.ID, "a", nil), f.mkUser(d.ID, "b", nil), f.mkUser(d.ID, "c", nil)
		g := f.mkGroup(d.ID, "G")
		version := int64(1)
		for _, tc := range []struct {
			name           string
			ops            []store.MemberOp
			members        []string
			added, removed []string
		}{
			{"add, remove, add again", []store.MemberOp{
				{Kind: store.MembersAdd, IDs: []string{a.ID, b.ID}},
				{Kind: store.MembersRemove, IDs: []string{a.ID}},
				{Kind: store.MembersAdd, IDs: []string{a.ID}},
			}, sorted(a.ID, b.ID), sorted(a.ID, b.ID), nil},
			{"replace, then add", []store.MemberOp{
				{Kind: store.MembersReplace, IDs: []string{c.ID}},
				{Kind: store.MembersAdd, IDs: []string{b.ID}},
			}, sorted(b.ID, c.ID), []string{c.ID}, []string{a.ID}},
			{"adding a present member and removing an absent one", []store.MemberOp{
				{Kind: store.MembersAdd, IDs: []string{b.ID, b.ID}},
				{Kind: store.MembersRemove, IDs: []string{a.ID}},
			}, sorted(b.ID, c.ID), nil, nil},
			{"removing an id unknown to the directory", []store.MemberOp{
				{Kind: store.MembersRemove, IDs: []string{"usr_unknown"}},
			}, sorted(b.ID, c.ID), nil, nil},
			{"remove then re-add", []store.MemberOp{
				{Kind: store.MembersRemove, IDs: []string{b.ID, c.ID}},
				{Kind: store.MembersAdd, IDs: []string{c.ID}},
			}, []string{c.ID}, nil, []string{b.ID}},
			{"replace with nothing", []store.MemberOp{
				{Kind: store.MembersReplace},
			}, nil, nil, []string{c.ID}},
			{"no ops", nil, nil, nil, nil},
		} {
			var calls []groupCall
			got, err := f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) { return tc.ops, nil },
				f.recorder(&calls, "directory.group.updated"))
			f.ok(err, "UpdateDirectoryGroup with %s", tc.name)
			version++
			if got.Version != version {
				f.Fatalf("%s: Version %d, want %d", tc.name, got.Version, version)
			}
			if ids := f.memberIDs(d.ID, g.ID); !slices.Equal(ids, tc.members) {
				f.Fatalf("%s: members %v, want %v", tc.name, ids, tc.members)
			}
			f.wantCall(tc.name, calls, got, tc.added, tc.removed)
		}
	}},
	{"ManyMembers", func(f *fixture) {
		// More members than a Store may name in one statement, with
		// repeats, users and a group: every one counted once.
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		sub := f.mkGroup(d.ID, "Sub")
		var ids []string
		for i := range 600 {
			ids = append(ids, f.mkUser(d.ID, fmt.Sprintf("user%03d", i), nil).ID)
		}
		g := f.mkGroup(d.ID, "Big")
		add := append(slices.Clone(ids[:300]), ids[:10]...)
		add = append(append(add, sub.ID), ids[300:]...)
		withUnknown := append(slices.Clone(add), "usr_unknown")
		var calls []groupCall
		_, err := f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) {
			return []store.MemberOp{{Kind: store.MembersAdd, IDs: withUnknown}}, nil
		}, f.recorder(&calls, "directory.group.updated"))
		f.is(err, store.ErrNotFound, "adding 601 members, the last unknown")
		if got := f.memberIDs(d.ID, g.ID); len(got) != 0 {
			f.Fatalf("a refused change left %d members", len(got))
		}
		calls = nil
		got, err := f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) {
			return []store.MemberOp{{Kind: store.MembersAdd, IDs: add}}, nil
		}, f.recorder(&calls, "directory.group.updated"))
		f.ok(err, "adding 601 members with repeats")
		want := sorted(append(slices.Clone(ids), sub.ID)...)
		if members := f.memberIDs(d.ID, g.ID); !slices.Equal(members, want) {
			f.Fatalf("%d members, want %d", len(members), len(want))
		}
		f.wantCall("adding 601 members", calls, got, want, nil)
		calls = nil
		got, err = f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) {
			return []store.MemberOp{{Kind: store.MembersRemove, IDs: append(slices.Clone(ids[100:]), "usr_unknown", ids[100])}}, nil
		}, f.recorder(&calls, "directory.group.updated"))
		f.ok(err, "removing 500 members")
		if members := f.memberIDs(d.ID, g.ID); !slices.Equal(members, sorted(append(slices.Clone(ids[:100]), sub.ID)...)) {
			f.Fatalf("%d members left, want 101", len(members))
		}
		f.wantCall("removing 500 members", calls, got, nil, sorted(ids[100:]...))
	}},
	{"MembersAndGroups", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u1 := f.mkUser(d.ID, "alice@example.com", func(u *store.DirectoryUser) { u.ID, u.DisplayName = "usr_b", "Alice Liddell" })
		u2 := f.mkUser(d.ID, "bob@example.com", func(u *store.DirectoryUser) { u.ID = "usr_a" })
		child := &store.DirectoryGroup{ID: "grp_z", DirectoryID: d.ID, DisplayName: "Child", CreatedAt: t0}
		f.ok(f.s.CreateDirectoryGroup(f.ctx, child, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{u1.ID}}}, nil), "CreateDirectoryGroup")
		g := &store.DirectoryGroup{ID: "grp_y", DirectoryID: d.ID, DisplayName: "Parent", CreatedAt: t0}
		f.ok(f.s.CreateDirectoryGroup(f.ctx, g, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{u1.ID, child.ID, u2.ID}}}, nil), "CreateDirectoryGroup")
		other := &store.DirectoryGroup{ID: "grp_x", DirectoryID: d.ID, DisplayName: "Other", CreatedAt: t0}
		f.ok(f.s.CreateDirectoryGroup(f.ctx, other, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{u1.ID}}}, nil), "CreateDirectoryGroup")
		ms, err := f.s.ListGroupMembers(f.ctx, d.ID, g.ID)
		f.ok(err, "ListGroupMembers")
		want := []store.Member{
			{ID: "grp_z", Type: store.MemberGroup, Display: "Child"},
			{ID: "usr_a", Type: store.MemberUser, Display: "bob@example.com"},
			{ID: "usr_b", Type: store.MemberUser, Display: "Alice Liddell"},
		}
		f.equal("ListGroupMembers", ms, want)
		// Display follows renames.
		_, err = f.s.UpdateDirectoryUser(f.ctx, d.ID, u2.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
			u.DisplayName = "Bob"
			return nil, nil
		})
		f.ok(err, "UpdateDirectoryUser")
		_, err = f.s.UpdateDirectoryGroup(f.ctx, d.ID, child.ID, func(x *store.DirectoryGroup) ([]store.MemberOp, error) {
			x.DisplayName = "Kids"
			return nil, nil
		}, nil)
		f.ok(err, "UpdateDirectoryGroup")
		ms, err = f.s.ListGroupMembers(f.ctx, d.ID, g.ID)
		f.ok(err, "ListGroupMembers")
		want[0].Display, want[1].Display = "Kids", "Bob"
		f.equal("ListGroupMembers after renames", ms, want)
		ms[0].Display = "mutated"
		again, err := f.s.ListGroupMembers(f.ctx, d.ID, g.ID)
		f.ok(err, "ListGroupMembers")
		f.equal("members after mutating a copy", again, want)

		gs, err := f.s.ListMemberGroups(f.ctx, d.ID, u1.ID)
		f.ok(err, "ListMemberGroups")
		f.utcOnly("ListMemberGroups", gs)
		if ids := groupIDs(gs); !slices.Equal(ids, []string{"grp_x", "grp_y", "grp_z"}) {
			f.Fatalf("ListMemberGroups(user) = %v, want ordered by id", ids)
		}
		gs, err = f.s.ListMemberGroups(f.ctx, d.ID, child.ID)
		f.ok(err, "ListMemberGroups")
		if ids := groupIDs(gs); !slices.Equal(ids, []string{"grp_y"}) {
			f.Fatalf("ListMemberGroups(group) = %v", ids)
		}
		gs, err = f.s.ListMemberGroups(f.ctx, d.ID, "usr_unknown")
		f.ok(err, "ListMemberGroups of an unknown member")
		if len(gs) != 0 {
			f.Fatalf("ListMemberGroups of an unknown member: %v", groupIDs(gs))
		}
		// An empty group lists no members.
		empty := f.mkGroup(d.ID, "Empty")
		ms, err = f.s.ListGroupMembers(f.ctx, d.ID, empty.ID)
		f.ok(err, "ListGroupMembers of an empty group")
		if len(ms) != 0 {
			f.Fatalf("empty group lists %v", ms)
		}
	}},
}
