package storetest

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

func userIDs(us []store.DirectoryUser) []string {
	var ids []string
	for _, u := range us {
		ids = append(ids, u.ID)
	}
	return ids
}

var directoryUserTests = []subtest{
	{"CreateGet", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u := &store.DirectoryUser{
			ID: "usr_1", DirectoryID: d.ID, OrgID: "org_ignored", UserName: "Alice@Example.com", ExternalID: "00u1",
			Active: true, DisplayName: "Alice Liddell", GivenName: "Alice", FamilyName: "Liddell",
			Emails:         []store.Email{{Value: "alice@example.com", Type: "work", Primary: true}, {Value: "a@home.example", Type: "home"}},
			OutsideDomains: true,
			Attributes:     json.RawMessage(`{"userName": "Alice@Example.com", "name": {"givenName": "Alice"}, "x": [1, 2]}`),
			Version:        7,
			CreatedAt:      t0.In(elsewhere), UpdatedAt: at(time.Hour).In(elsewhere),
		}
		c := f.lastCursor()
		f.ok(f.s.CreateDirectoryUser(f.ctx, u, f.ev("directory.user.created", org.ID, u.ID)), "CreateDirectoryUser")
		f.wantEventTypes(c, "CreateDirectoryUser", "directory.user.created")
		want := normalized(u).(*store.DirectoryUser)
		want.OrgID, want.Version = org.ID, 1
		got, err := f.s.GetDirectoryUser(f.ctx, d.ID, u.ID)
		f.ok(err, "GetDirectoryUser")
		f.utcOnly("GetDirectoryUser", got)
		f.equal("GetDirectoryUser (OrgID from the directory, Version 1)", got, want)

		// Copies, both ways.
		u.Emails[0].Value = "mutated"
		u.Attributes[2] = 'X'
		got.Emails[1].Value = "mutated"
		got.Attributes[3] = 'X'
		again := f.getUser(d.ID, u.ID)
		f.equal("user after mutating copies", again, want)
		list, _, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Limit: 10})
		f.ok(err, "ListDirectoryUsers")
		list[0].Emails[0].Type = "mutated"
		again = f.getUser(d.ID, u.ID)
		f.equal("user after mutating a listed copy", again, want)
	}},
	{"NotFound", func(f *fixture) {
		org := f.mkOrg()
		d, other := f.mkDir(org.ID), f.mkDir(org.ID)
		u := f.mkUser(d.ID, "alice", nil)
		_, err := f.s.GetDirectoryUser(f.ctx, other.ID, u.ID)
		f.is(err, store.ErrNotFound, "GetDirectoryUser through another directory")
		_, err = f.s.GetDirectoryUser(f.ctx, d.ID, "usr_missing")
		f.is(err, store.ErrNotFound, "GetDirectoryUser of an unknown id")
		_, err = f.s.GetDirectoryUser(f.ctx, "dir_missing", u.ID)
		f.is(err, store.ErrNotFound, "GetDirectoryUser of an unknown directory")
		err = f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: "usr_x", DirectoryID: "dir_missing", UserName: "bob", CreatedAt: t0})
		f.is(err, store.ErrNotFound, "CreateDirectoryUser in an unknown directory")
		_, err = f.s.UpdateDirectoryUser(f.ctx, other.ID, u.ID, func(*store.DirectoryUser) ([]store.Event, error) { return nil, nil })
		f.is(err, store.ErrNotFound, "UpdateDirectoryUser through another directory")
		f.is(f.s.DeleteDirectoryUser(f.ctx, other.ID, u.ID, nil), store.ErrNotFound, "DeleteDirectoryUser through another directory")
		f.getUser(d.ID, u.ID)
		users, total, err := f.s.ListDirectoryUsers(f.ctx, "dir_missing", store.UserQuery{Limit: 10})
		f.ok(err, "ListDirectoryUsers of an unknown directory")
		if len(users) != 0 || total != 0 {
			f.Fatalf("ListDirectoryUsers of an unknown directory: %d, total %d", len(users), total)
		}
	}},
	{"Invalid", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		good := store.DirectoryUser{ID: "usr_1", DirectoryID: d.ID, UserName: "alice", CreatedAt: t0}
		for name, mod := range map[string]func(*store.DirectoryUser){
			"no id":          func(u *store.DirectoryUser) { u.ID = "" },
			"no directory":   func(u *store.DirectoryUser) { u.DirectoryID = "" },
			"no userName":    func(u *store.DirectoryUser) { u.UserName = "" },
			"blank userName": func(u *store.DirectoryUser) { u.UserName = "  " },
		} {
			u := good
			mod(&u)
			f.is(f.s.CreateDirectoryUser(f.ctx, &u, f.ev("directory.user.created", org.ID, u.ID)), store.ErrInvalid, "CreateDirectoryUser with %s", name)
		}
		f.is(f.s.CreateDirectoryUser(f.ctx, nil), store.ErrInvalid, "CreateDirectoryUser(nil)")
		f.is(f.s.CreateDirectoryUser(f.ctx, &good, store.Event{ID: "evt_x", Type: "t"}), store.ErrInvalid, "CreateDirectoryUser with an event without time")
		_, err := f.s.GetDirectoryUser(f.ctx, d.ID, good.ID)
		f.is(err, store.ErrNotFound, "user written despite an invalid event")
		_, err = f.s.GetDirectoryUser(f.ctx, "", "usr_1")
		f.is(err, store.ErrInvalid, "GetDirectoryUser with no directory")
		_, err = f.s.GetDirectoryUser(f.ctx, d.ID, "")
		f.is(err, store.ErrInvalid, "GetDirectoryUser with no id")
		_, _, err = f.s.ListDirectoryUsers(f.ctx, "", store.UserQuery{})
		f.is(err, store.ErrInvalid, "ListDirectoryUsers with no directory")
		_, err = f.s.UpdateDirectoryUser(f.ctx, d.ID, "", func(*store.DirectoryUser) ([]store.Event, error) { return nil, nil })
		f.is(err, store.ErrInvalid, "UpdateDirectoryUser with no id")
		f.is(f.s.DeleteDirectoryUser(f.ctx, d.ID, "", nil), store.ErrInvalid, "DeleteDirectoryUser with no id")
		_, err = f.s.FindDirectoryUsersByEmail(f.ctx, "", "a@example.com")
		f.is(err, store.ErrInvalid, "FindDirectoryUsersByEmail with no organization")
		_, err = f.s.FindDirectoryUsersByEmail(f.ctx, org.ID, "")
		f.is(err, store.ErrInvalid, "FindDirectoryUsersByEmail with no email")
		f.noEventsSince(0, "invalid writes")
	}},
	{"Uniqueness", func(f *fixture) {
		org := f.mkOrg()
		d, other := f.mkDir(org.ID), f.mkDir(org.ID)
		u := f.mkUser(d.ID, "Alice@Example.com", func(u *store.DirectoryUser) { u.ExternalID = "ext-1" })
		c := f.lastCursor()
		for name, x := range map[string]store.DirectoryUser{
			"a taken id":                       {ID: u.ID, DirectoryID: other.ID, UserName: "someone", CreatedAt: t0},
			"a taken userName":                 {ID: "usr_a", DirectoryID: d.ID, UserName: "Alice@Example.com", CreatedAt: t0},
			"a taken userName in another case": {ID: "usr_b", DirectoryID: d.ID, UserName: "ALICE@example.COM", CreatedAt: t0},
			"a taken externalId":               {ID: "usr_c", DirectoryID: d.ID, UserName: "carol", ExternalID: "ext-1", CreatedAt: t0},
		} {
			f.is(f.s.CreateDirectoryUser(f.ctx, &x, f.ev("directory.user.created", org.ID, x.ID)), store.ErrAlreadyExists, "CreateDirectoryUser with %s", name)
		}
		f.noEventsSince(c, "refused creates")
		users, total, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Limit: 10})
		f.ok(err, "ListDirectoryUsers")
		if total != 1 || len(users) != 1 {
			f.Fatalf("refused creates left %d users", total)
		}
		// externalId is case-sensitive; empty externalIds do not collide.
		f.mkUser(d.ID, "dave", func(u *store.DirectoryUser) { u.ExternalID = "EXT-1" })
		f.mkUser(d.ID, "erin", nil)
		f.mkUser(d.ID, "frank", nil)
		// The same userName and externalId in another directory are fine.
		f.mkUser(other.ID, "alice@example.com", func(u *store.DirectoryUser) { u.ExternalID = "ext-1" })
	}},
	{"Update", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u := f.mkUser(d.ID, "alice", func(u *store.DirectoryUser) { u.ExternalID = "ext-a" })
		f.mkUser(d.ID, "bob", func(u *store.DirectoryUser) { u.ExternalID = "ext-b" })
		base := f.getUser(d.ID, u.ID)
		c := f.lastCursor()
		got, err := f.s.UpdateDirectoryUser(f.ctx, d.ID, u.ID, func(x *store.DirectoryUser) ([]store.Event, error) {
			f.equal("UpdateDirectoryUser function argument", x, base)
			x.UserName, x.ExternalID, x.Active = "Alice.Liddell", "ext-a2", false
			x.Emails = []store.Email{{Value: "alice@example.com", Primary: true}}
			x.Attributes = json.RawMessage(`{"active": false}`)
			x.UpdatedAt = at(time.Hour).In(elsewhere)
			x.Version = 99 // ignored: the Store increments
			return []store.Event{f.ev("directory.user.updated", org.ID, u.ID), f.ev("directory.user.deactivated", org.ID, u.ID)}, nil
		})
		f.ok(err, "UpdateDirectoryUser")
		want := normalized(base).(*store.DirectoryUser)
		want.UserName, want.ExternalID, want.Active = "Alice.Liddell", "ext-a2", false
		want.Emails = []store.Email{{Value: "alice@example.com", Primary: true}}
		want.Attributes = json.RawMessage(`{"active":false}`)
		want.UpdatedAt, want.Version = at(time.Hour), 2
		f.utcOnly("UpdateDirectoryUser", got)
		f.equal("UpdateDirectoryUser result", got, want)
		f.equal("user after update", f.getUser(d.ID, u.ID), want)
		f.wantEventTypes(c, "UpdateDirectoryUser", "directory.user.updated", "directory.user.deactivated")
		// The old userName and externalId are free, the new ones are taken.
		f.mkUser(d.ID, "ALICE", func(u *store.DirectoryUser) { u.ExternalID = "ext-a" })
		err = f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: "usr_x", DirectoryID: d.ID, UserName: "alice.liddell", CreatedAt: t0})
		f.is(err, store.ErrAlreadyExists, "CreateDirectoryUser with the renamed userName")
		// Changing only the case of one's own userName is fine.
		got, err = f.s.UpdateDirectoryUser(f.ctx, d.ID, u.ID, func(x *store.DirectoryUser) ([]store.Event, error) {
			x.UserName = "alice.liddell"
			return nil, nil
		})
		f.ok(err, "UpdateDirectoryUser changing the case of the userName")
		if got.Version != 3 {
			f.Fatalf("Version after a second update = %d, want 3", got.Version)
		}
		want.UserName, want.Version = "alice.liddell", 3
		f.wantEventTypes(c, "updates", "directory.user.updated", "directory.user.deactivated")
	}},
	{"UpdateAtomic", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u := f.mkUser(d.ID, "alice", func(u *store.DirectoryUser) { u.ExternalID = "ext-a" })
		f.mkUser(d.ID, "bob", func(u *store.DirectoryUser) { u.ExternalID = "ext-b" })
		want := f.getUser(d.ID, u.ID)
		c := f.lastCursor()
		for _, tc := range []struct {
			name string
			fn   func(*store.DirectoryUser) ([]store.Event, error)
			err  error
		}{
			{"a failing function", func(x *store.DirectoryUser) ([]store.Event, error) {
				x.DisplayName = "changed"
				return []store.Event{f.ev("directory.user.updated", org.ID, u.ID)}, errFn
			}, errFn},
			{"a userName collision", func(x *store.DirectoryUser) ([]store.Event, error) {
				x.UserName, x.DisplayName = "BOB", "changed"
				return []store.Event{f.ev("directory.user.updated", org.ID, u.ID)}, nil
			}, store.ErrAlreadyExists},
			{"an externalId collision", func(x *store.DirectoryUser) ([]store.Event, error) {
				x.ExternalID, x.DisplayName = "ext-b", "changed"
				return []store.Event{f.ev("directory.user.updated", org.ID, u.ID)}, nil
			}, store.ErrAlreadyExists},
			{"an empty userName", func(x *store.DirectoryUser) ([]store.Event, error) {
				x.UserName = ""
				return []store.Event{f.ev("directory.user.updated", org.ID, u.ID)}, nil
			}, store.ErrInvalid},
			{"an invalid event", func(x *store.DirectoryUser) ([]store.Event, error) {
				x.DisplayName = "changed"
				return []store.Event{f.ev("directory.user.updated", org.ID, u.ID), {ID: "evt_bad"}}, nil
			}, store.ErrInvalid},
		} {
			_, err := f.s.UpdateDirectoryUser(f.ctx, d.ID, u.ID, tc.fn)
			f.is(err, tc.err, "UpdateDirectoryUser with %s", tc.name)
			f.equal("user after UpdateDirectoryUser with "+tc.name, f.getUser(d.ID, u.ID), want)
			f.noEventsSince(c, "UpdateDirectoryUser with "+tc.name)
		}
		_, err := f.s.UpdateDirectoryUser(f.ctx, d.ID, "usr_missing", func(*store.DirectoryUser) ([]store.Event, error) { return nil, nil })
		f.is(err, store.ErrNotFound, "UpdateDirectoryUser of an unknown id")
		// bob still owns his userName and externalId.
		found, _, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Filter: store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "bob"}, Limit: 10})
		f.ok(err, "ListDirectoryUsers")
		if len(found) != 1 || found[0].ExternalID != "ext-b" {
			f.Fatalf("bob after refused updates: %+v", found)
		}
	}},
	{"Delete", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u := f.mkUser(d.ID, "alice", func(u *store.DirectoryUser) { u.ExternalID = "ext-a" })
		v := f.mkUser(d.ID, "bob", nil)
		g1 := f.mkGroup(d.ID, "One", u.ID, v.ID)
		g2 := f.mkGroup(d.ID, "Two", u.ID)
		f.mkGroup(d.ID, "Three", v.ID)
		stored := f.getUser(d.ID, u.ID)
		c := f.lastCursor()
		called := 0
		err := f.s.DeleteDirectoryUser(f.ctx, d.ID, u.ID, func(x *store.DirectoryUser, groups []string) []store.Event {
			called++
			f.equal("DeleteDirectoryUser events argument", x, stored)
			want := []string{g1.ID, g2.ID}
			if !slices.Equal(groups, want) {
				f.Errorf("DeleteDirectoryUser groups = %v, want %v", groups, want)
			}
			return []store.Event{f.ev("directory.user.deleted", org.ID, u.ID), f.ev("directory.group.user_removed", org.ID, g1.ID)}
		})
		f.ok(err, "DeleteDirectoryUser")
		if called != 1 {
			f.Fatalf("events function called %d times, want 1", called)
		}
		f.wantEventTypes(c, "DeleteDirectoryUser", "directory.user.deleted", "directory.group.user_removed")
		_, err = f.s.GetDirectoryUser(f.ctx, d.ID, u.ID)
		f.is(err, store.ErrNotFound, "GetDirectoryUser after delete")
		if ids := f.memberIDs(d.ID, g1.ID); !slices.Equal(ids, []string{v.ID}) {
			f.Fatalf("members of %s after deleting a member: %v", g1.ID, ids)
		}
		if ids := f.memberIDs(d.ID, g2.ID); len(ids) != 0 {
			f.Fatalf("members of %s after deleting its member: %v", g2.ID, ids)
		}
		gs, err := f.s.ListMemberGroups(f.ctx, d.ID, u.ID)
		f.ok(err, "ListMemberGroups")
		if len(gs) != 0 {
			f.Fatalf("ListMemberGroups of a deleted user: %d", len(gs))
		}
		c = f.lastCursor()
		f.is(f.s.DeleteDirectoryUser(f.ctx, d.ID, u.ID, func(*store.DirectoryUser, []string) []store.Event {
			return []store.Event{f.ev("directory.user.deleted", org.ID, u.ID)}
		}), store.ErrNotFound, "second DeleteDirectoryUser")
		f.noEventsSince(c, "deleting an absent user")
		// A user without groups, with a nil events function.
		w := f.mkUser(d.ID, "carol", nil)
		c = f.lastCursor()
		f.ok(f.s.DeleteDirectoryUser(f.ctx, d.ID, w.ID, nil), "DeleteDirectoryUser with nil events")
		f.noEventsSince(c, "DeleteDirectoryUser with nil events")
		// An invalid event aborts the delete.
		err = f.s.DeleteDirectoryUser(f.ctx, d.ID, v.ID, func(*store.DirectoryUser, []string) []store.Event {
			return []store.Event{{ID: "evt_bad"}}
		})
		f.is(err, store.ErrInvalid, "DeleteDirectoryUser with an invalid event")
		f.getUser(d.ID, v.ID)
		if ids := f.memberIDs(d.ID, g1.ID); !slices.Equal(ids, []string{v.ID}) {
			f.Fatalf("membership lost by a refused delete: %v", ids)
		}
		// userName and externalId are free again.
		f.mkUser(d.ID, "ALICE", func(u *store.DirectoryUser) { u.ExternalID = "ext-a" })
	}},
	{"FindByEmail", func(f *fixture) {
		org, other := f.mkOrg(), f.mkOrg()
		d1 := &store.Directory{ID: "dir_b", OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0}
		d2 := &store.Directory{ID: "dir_a", OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0}
		d3 := &store.Directory{ID: "dir_c", OrgID: other.ID, State: store.DirectoryActive, CreatedAt: t0}
		for _, d := range []*store.Directory{d1, d2, d3} {
			f.ok(f.s.CreateDirectory(f.ctx, d), "CreateDirectory")
		}
		mk := func(id, dir, userName string, emails ...string) {
			u := &store.DirectoryUser{ID: id, DirectoryID: dir, UserName: userName, CreatedAt: t0}
			for _, e := range emails {
				u.Emails = append(u.Emails, store.Email{Value: e, Type: "work"})
			}
			f.ok(f.s.CreateDirectoryUser(f.ctx, u), "CreateDirectoryUser %s", id)
		}
		mk("usr_2", "dir_b", "Ann@Example.com")
		mk("usr_1", "dir_b", "ann2", "x@example.com", "ANN@example.COM")
		mk("usr_3", "dir_a", "ann3", "ann@example.com")
		mk("usr_4", "dir_a", "bob@example.com", "bob@example.com")
		mk("usr_5", "dir_c", "ann@example.com", "ann@example.com")
		mk("usr_6", "dir_a", "ann@example.com.evil", "ann@example.co")
		got, err := f.s.FindDirectoryUsersByEmail(f.ctx, org.ID, "ann@EXAMPLE.com")
		f.ok(err, "FindDirectoryUsersByEmail")
		f.utcOnly("FindDirectoryUsersByEmail", got)
		if ids, want := userIDs(got), []string{"usr_3", "usr_1", "usr_2"}; !slices.Equal(ids, want) {
			f.Fatalf("FindDirectoryUsersByEmail = %v, want %v (by directory, then id)", ids, want)
		}
		got, err = f.s.FindDirectoryUsersByEmail(f.ctx, org.ID, "nobody@example.com")
		f.ok(err, "FindDirectoryUsersByEmail")
		if len(got) != 0 {
			f.Fatalf("FindDirectoryUsersByEmail of an unknown email: %v", userIDs(got))
		}
		got, err = f.s.FindDirectoryUsersByEmail(f.ctx, "org_missing", "ann@example.com")
		f.ok(err, "FindDirectoryUsersByEmail of an unknown organization")
		if len(got) != 0 {
			f.Fatalf("FindDirectoryUsersByEmail of an unknown organization: %v", userIDs(got))
		}
	}},
}
