package storetest

import (
	"fmt"
	"slices"

	"github.com/onboardkit/onboardkit/store"
)

// largeTests check that no internal limit of a Store (statement
// parameters, batch sizes, filter size) refuses a large request that the
// Store's contract accepts: membership changes of more ids than one
// statement names and Filters at store.MaxFilterNodes and
// store.MaxFilterDepth.
var largeTests = []subtest{
	{"MembersAboveEveryBatch", func(f *fixture) {
		// 1,100 ids cross several statement batches with a tail that is
		// not a power of two, and one event per member crosses the event
		// batches.
		const n = 1100
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		ids := make([]string, n)
		for i := range ids {
			ids[i] = f.mkUser(d.ID, fmt.Sprintf("large%04d", i), nil).ID
		}
		perMember := func(calls *[]groupCall) store.GroupEvents {
			return func(g *store.DirectoryGroup, added, removed []string) []store.Event {
				*calls = append(*calls, groupCall{*g, slices.Clone(added), slices.Clone(removed)})
				var evs []store.Event
				for range len(added) + len(removed) {
					evs = append(evs, f.ev("directory.membership.changed", g.OrgID, g.ID))
				}
				return evs
			}
		}
		wantEvents := func(what string, after int64, k int) {
			f.Helper()
			evs := f.eventsAfter(after)
			if len(evs) != k {
				f.Fatalf("%s: %d events, want %d", what, len(evs), k)
			}
			for i, e := range evs {
				if e.Cursor != after+int64(i)+1 {
					f.Fatalf("%s: event %d has cursor %d, want %d", what, i, e.Cursor, after+int64(i)+1)
				}
			}
		}
		update := func(what string, g *store.DirectoryGroup, ops []store.MemberOp, members, added, removed []string) {
			f.Helper()
			cursor, err := f.s.LastEventCursor(f.ctx)
			f.ok(err, "LastEventCursor")
			var calls []groupCall
			got, err := f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) { return ops, nil }, perMember(&calls))
			f.ok(err, "%s", what)
			if got := f.memberIDs(d.ID, g.ID); !slices.Equal(got, members) {
				f.Fatalf("%s: %d members, want %d", what, len(got), len(members))
			}
			f.wantCall(what, calls, got, added, removed)
			wantEvents(what, cursor, len(added)+len(removed))
		}

		// Created with every id, named twice.
		cursor, err := f.s.LastEventCursor(f.ctx)
		f.ok(err, "LastEventCursor")
		g := &store.DirectoryGroup{ID: f.id("grp"), DirectoryID: d.ID, DisplayName: "Large", CreatedAt: t0, UpdatedAt: t0}
		var calls []groupCall
		f.ok(f.s.CreateDirectoryGroup(f.ctx, g, []store.MemberOp{{Kind: store.MembersAdd, IDs: append(slices.Clone(ids), ids...)}}, perMember(&calls)),
			"CreateDirectoryGroup with %d members", n)
		all := sorted(ids...)
		if got := f.memberIDs(d.ID, g.ID); !slices.Equal(got, all) {
			f.Fatalf("created with %d members, want %d", len(got), n)
		}
		if len(calls) != 1 || !slices.Equal(calls[0].added, all) || calls[0].removed != nil {
			f.Fatalf("CreateDirectoryGroup: events called %d times", len(calls))
		}
		wantEvents("CreateDirectoryGroup", cursor, n)

		// An unknown id after the first batches refuses the whole change.
		_, err = f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) {
			return []store.MemberOp{{Kind: store.MembersReplace, IDs: append(slices.Clone(ids[:n-1]), "usr_unknown")}}, nil
		}, nil)
		f.is(err, store.ErrNotFound, "replacing with an unknown id last")
		if got := f.memberIDs(d.ID, g.ID); !slices.Equal(got, all) {
			f.Fatalf("a refused replace left %d members, want %d", len(got), n)
		}

		half := sorted(ids[n/2:]...)
		update("removing half", g, []store.MemberOp{{Kind: store.MembersRemove, IDs: ids[:n/2]}}, half, nil, sorted(ids[:n/2]...))
		update("re-adding everyone", g, []store.MemberOp{{Kind: store.MembersAdd, IDs: ids}}, all, sorted(ids[:n/2]...), nil)
		update("adding everyone again", g, []store.MemberOp{{Kind: store.MembersAdd, IDs: ids}}, all, nil, nil)
		update("replacing with half", g, []store.MemberOp{{Kind: store.MembersReplace, IDs: ids[n/2:]}}, half, nil, sorted(ids[:n/2]...))
		update("replacing with everyone", g, []store.MemberOp{{Kind: store.MembersReplace, IDs: ids}}, all, sorted(ids[:n/2]...), nil)

		// A member of many groups filters them all.
		gs, total, err := f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Filter: store.Compare{Attr: store.AttrMember, Op: store.OpEq, Value: ids[n-1]}, Limit: 10})
		f.ok(err, "ListDirectoryGroups by member")
		if total != 1 || len(gs) != 1 || gs[0].ID != g.ID {
			f.Fatalf("groups of a member: %v (total %d)", groupIDs(gs), total)
		}

		// Deleted with every member.
		cursor, err = f.s.LastEventCursor(f.ctx)
		f.ok(err, "LastEventCursor")
		calls = nil
		f.ok(f.s.DeleteDirectoryGroup(f.ctx, d.ID, g.ID, perMember(&calls)), "DeleteDirectoryGroup with %d members", n)
		if len(calls) != 1 || !slices.Equal(calls[0].removed, all) {
			f.Fatalf("DeleteDirectoryGroup: events called %d times", len(calls))
		}
		wantEvents("DeleteDirectoryGroup", cursor, n)
	}},
	{"FilterAtTheBounds", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		var ids []string
		for i := range 200 {
			ids = append(ids, f.mkUser(d.ID, fmt.Sprintf("bound%03d", i), nil).ID)
		}
		g := f.mkGroup(d.ID, "Bound", ids[:100]...)
		idEq := func(id string) store.Filter { return store.Compare{Attr: store.AttrID, Op: store.OpEq, Value: id} }
		memberEq := func(id string) store.Filter { return store.Compare{Attr: store.AttrMember, Op: store.OpEq, Value: id} }

		// MaxFilterNodes nodes: an And of a Not and a balanced Or of
		// ids, every node counted.
		k := (store.MaxFilterNodes - 2 + 1) / 2 // Compares of the Or
		var terms []store.Filter
		for _, id := range ids[:k] {
			terms = append(terms, idEq(id))
		}
		full := store.Filter(store.And{Left: store.Not{F: idEq(ids[0])}, Right: balancedOr(terms)})
		if nodes, _ := filterSize(full); nodes != store.MaxFilterNodes {
			f.Fatalf("test filter has %d nodes, want %d", nodes, store.MaxFilterNodes)
		}
		us, total, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Filter: full, Limit: 1000})
		f.ok(err, "ListDirectoryUsers with a filter of MaxFilterNodes nodes")
		if total != k-1 || len(us) != k-1 {
			f.Fatalf("filter of MaxFilterNodes nodes: %d users (total %d), want %d", len(us), total, k-1)
		}

		// MaxFilterDepth deep: a chain of Ors.
		var chain store.Filter = idEq(ids[0])
		for _, id := range ids[1 : store.MaxFilterDepth+1] {
			chain = store.Or{Left: chain, Right: idEq(id)}
		}
		if _, depth := filterSize(chain); depth != store.MaxFilterDepth {
			f.Fatalf("test chain is %d deep, want %d", depth, store.MaxFilterDepth)
		}
		_, total, err = f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Filter: chain})
		f.ok(err, "ListDirectoryUsers with a filter MaxFilterDepth deep")
		if total != store.MaxFilterDepth+1 {
			f.Fatalf("filter MaxFilterDepth deep: total %d, want %d", total, store.MaxFilterDepth+1)
		}

		// The membership test of a group over as many ids as fit: is
		// some id not in the state wanted (the first half members, the
		// second not)?
		m := (store.MaxFilterNodes - 2) / 3
		want := ids[100-m/2 : 100-m/2+m]
		build := func(flip string) store.Filter {
			terms = terms[:0]
			for i, id := range want {
				var t store.Filter = memberEq(id)
				if (i < m/2) != (id == flip) {
					t = store.Not{F: t}
				}
				terms = append(terms, t)
			}
			return store.And{Left: store.Compare{Attr: store.AttrID, Op: store.OpEq, Value: g.ID}, Right: balancedOr(terms)}
		}
		for _, tc := range []struct {
			flip  string
			total int
		}{{"", 0}, {want[0], 1}, {want[m-1], 1}} {
			q := build(tc.flip)
			if nodes, _ := filterSize(q); nodes > store.MaxFilterNodes {
				f.Fatalf("membership filter has %d nodes", nodes)
			}
			_, total, err := f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Filter: q})
			f.ok(err, "ListDirectoryGroups with a membership filter of %d ids", m)
			if total != tc.total {
				f.Fatalf("membership filter flipping %q: total %d, want %d", tc.flip, total, tc.total)
			}
		}
	}},
}

// balancedOr joins fs with Or as a balanced tree.
func balancedOr(fs []store.Filter) store.Filter {
	if len(fs) == 1 {
		return fs[0]
	}
	mid := len(fs) / 2
	return store.Or{Left: balancedOr(fs[:mid]), Right: balancedOr(fs[mid:])}
}

// filterSize returns the number of nodes of f and the number of And, Or
// and Not nodes above its deepest Compare.
func filterSize(f store.Filter) (nodes, depth int) {
	switch n := f.(type) {
	case store.And:
		ln, ld := filterSize(n.Left)
		rn, rd := filterSize(n.Right)
		return ln + rn + 1, max(ld, rd) + 1
	case store.Or:
		ln, ld := filterSize(n.Left)
		rn, rd := filterSize(n.Right)
		return ln + rn + 1, max(ld, rd) + 1
	case store.Not:
		in, d := filterSize(n.F)
		return in + 1, d + 1
	}
	return 1, 0
}
