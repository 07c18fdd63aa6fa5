package storetest

import (
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

var directoryTests = []subtest{
	{"CreateGet", func(f *fixture) {
		org := f.mkOrg()
		d := &store.Directory{ID: "dir_1", OrgID: org.ID, Provider: "entra", Name: "Entra", State: store.DirectoryInactive, CreatedAt: t0.In(elsewhere), UpdatedAt: at(time.Hour)}
		c := f.lastCursor()
		f.ok(f.s.CreateDirectory(f.ctx, d, f.ev("directory.created", org.ID, d.ID)), "CreateDirectory")
		f.wantEventTypes(c, "CreateDirectory", "directory.created")
		got, err := f.s.GetDirectory(f.ctx, d.ID)
		f.ok(err, "GetDirectory")
		f.utcOnly("GetDirectory", got)
		f.equal("GetDirectory", got, d)
		got.Name = "mutated"
		again, err := f.s.GetDirectory(f.ctx, d.ID)
		f.ok(err, "GetDirectory")
		f.equal("directory after mutating a copy", again, d)
		_, err = f.s.GetDirectory(f.ctx, "dir_missing")
		f.is(err, store.ErrNotFound, "GetDirectory of an unknown id")
	}},
	{"InvalidNotFoundDuplicates", func(f *fixture) {
		org := f.mkOrg()
		good := store.Directory{ID: "dir_1", OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0}
		for name, mod := range map[string]func(*store.Directory){
			"no id":         func(d *store.Directory) { d.ID = "" },
			"no org":        func(d *store.Directory) { d.OrgID = "" },
			"unknown state": func(d *store.Directory) { d.State = "paused" },
		} {
			d := good
			mod(&d)
			f.is(f.s.CreateDirectory(f.ctx, &d, f.ev("directory.created", org.ID, d.ID)), store.ErrInvalid, "CreateDirectory with %s", name)
		}
		f.is(f.s.CreateDirectory(f.ctx, nil), store.ErrInvalid, "CreateDirectory(nil)")
		_, err := f.s.GetDirectory(f.ctx, "")
		f.is(err, store.ErrInvalid, "GetDirectory(\"\")")
		_, err = f.s.ListDirectories(f.ctx, "")
		f.is(err, store.ErrInvalid, "ListDirectories(\"\")")
		f.is(f.s.DeleteDirectory(f.ctx, ""), store.ErrInvalid, "DeleteDirectory(\"\")")
		bad := good
		bad.OrgID = "org_missing"
		f.is(f.s.CreateDirectory(f.ctx, &bad, f.ev("directory.created", org.ID, bad.ID)), store.ErrNotFound, "CreateDirectory for an unknown organization")
		f.noEventsSince(0, "refused creates")
		f.ok(f.s.CreateDirectory(f.ctx, &good), "CreateDirectory")
		dup := good
		dup.Name = "dup"
		f.is(f.s.CreateDirectory(f.ctx, &dup), store.ErrAlreadyExists, "CreateDirectory with a taken id")
		got, err := f.s.GetDirectory(f.ctx, good.ID)
		f.ok(err, "GetDirectory")
		f.equal("directory after a duplicate create", got, &good)
	}},
	{"List", func(f *fixture) {
		a, b := f.mkOrg(), f.mkOrg()
		for _, d := range []store.Directory{
			{ID: "dir_c", OrgID: a.ID, State: store.DirectoryActive, CreatedAt: at(2 * time.Second)},
			{ID: "dir_b", OrgID: a.ID, State: store.DirectoryActive, CreatedAt: at(3 * time.Second)},
			{ID: "dir_a", OrgID: a.ID, State: store.DirectoryActive, CreatedAt: at(2 * time.Second)},
			{ID: "dir_d", OrgID: b.ID, State: store.DirectoryActive, CreatedAt: at(1 * time.Second)},
		} {
			f.ok(f.s.CreateDirectory(f.ctx, &d), "CreateDirectory")
		}
		got, err := f.s.ListDirectories(f.ctx, a.ID)
		f.ok(err, "ListDirectories")
		f.utcOnly("ListDirectories", got)
		var ids []string
		for _, d := range got {
			ids = append(ids, d.ID)
		}
		if want := []string{"dir_a", "dir_c", "dir_b"}; !slices.Equal(ids, want) {
			f.Fatalf("ListDirectories = %v, want %v", ids, want)
		}
		got, err = f.s.ListDirectories(f.ctx, "org_missing")
		f.ok(err, "ListDirectories of an unknown organization")
		if len(got) != 0 {
			f.Fatalf("ListDirectories of an unknown organization: %d", len(got))
		}
	}},
	{"Update", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		c := f.lastCursor()
		got, err := f.s.UpdateDirectory(f.ctx, d.ID, func(x *store.Directory) ([]store.Event, error) {
			f.equal("UpdateDirectory function argument", x, d)
			x.State, x.Name, x.UpdatedAt = store.DirectoryInactive, "Renamed", at(time.Hour).In(elsewhere)
			return []store.Event{f.ev("directory.deactivated", org.ID, d.ID)}, nil
		})
		f.ok(err, "UpdateDirectory")
		want := *d
		want.State, want.Name, want.UpdatedAt = store.DirectoryInactive, "Renamed", at(time.Hour)
		f.utcOnly("UpdateDirectory", got)
		f.equal("UpdateDirectory result", got, &want)
		f.wantEventTypes(c, "UpdateDirectory", "directory.deactivated")
		c = f.lastCursor()
		_, err = f.s.UpdateDirectory(f.ctx, d.ID, func(x *store.Directory) ([]store.Event, error) {
			x.Name = "changed"
			return []store.Event{f.ev("directory.updated", org.ID, d.ID)}, errFn
		})
		f.is(err, errFn, "UpdateDirectory whose function fails")
		_, err = f.s.UpdateDirectory(f.ctx, d.ID, func(x *store.Directory) ([]store.Event, error) {
			x.State = "paused"
			return nil, nil
		})
		f.is(err, store.ErrInvalid, "UpdateDirectory to an unknown state")
		_, err = f.s.UpdateDirectory(f.ctx, "dir_missing", func(x *store.Directory) ([]store.Event, error) { return nil, nil })
		f.is(err, store.ErrNotFound, "UpdateDirectory of an unknown id")
		stored, err := f.s.GetDirectory(f.ctx, d.ID)
		f.ok(err, "GetDirectory")
		f.equal("directory after failed updates", stored, &want)
		f.noEventsSince(c, "failed updates")
	}},
	{"DeleteCascade", func(f *fixture) {
		org := f.mkOrg()
		d, other := f.mkDir(org.ID), f.mkDir(org.ID)
		tok := f.mkToken(d.ID, t0, time.Time{})
		u := f.mkUser(d.ID, "alice", nil)
		g := f.mkGroup(d.ID, "Admins", u.ID)
		ou := f.mkUser(other.ID, "alice", nil)
		og := f.mkGroup(other.ID, "Admins", ou.ID)
		c := f.lastCursor()
		f.ok(f.s.DeleteDirectory(f.ctx, d.ID, f.ev("directory.deleted", org.ID, d.ID)), "DeleteDirectory")
		f.wantEventTypes(c, "DeleteDirectory", "directory.deleted")
		_, err := f.s.GetDirectory(f.ctx, d.ID)
		f.is(err, store.ErrNotFound, "GetDirectory after delete")
		_, err = f.s.GetDirectoryTokenByDigest(f.ctx, tok.Digest)
		f.is(err, store.ErrNotFound, "token of a deleted directory")
		_, err = f.s.GetDirectoryUser(f.ctx, d.ID, u.ID)
		f.is(err, store.ErrNotFound, "user of a deleted directory")
		_, err = f.s.GetDirectoryGroup(f.ctx, d.ID, g.ID)
		f.is(err, store.ErrNotFound, "group of a deleted directory")
		users, total, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Limit: 10})
		f.ok(err, "ListDirectoryUsers of a deleted directory")
		if len(users) != 0 || total != 0 {
			f.Fatalf("ListDirectoryUsers of a deleted directory: %d rows, total %d", len(users), total)
		}
		groups, err := f.s.ListMemberGroups(f.ctx, d.ID, u.ID)
		f.ok(err, "ListMemberGroups of a deleted directory")
		if len(groups) != 0 {
			f.Fatalf("ListMemberGroups of a deleted directory: %d", len(groups))
		}
		found, err := f.s.FindDirectoryUsersByEmail(f.ctx, org.ID, "alice")
		f.ok(err, "FindDirectoryUsersByEmail")
		if len(found) != 1 || found[0].ID != ou.ID {
			f.Fatalf("FindDirectoryUsersByEmail after deleting a directory: %v", found)
		}
		if ids := f.memberIDs(other.ID, og.ID); !slices.Equal(ids, []string{ou.ID}) {
			f.Fatalf("other directory's group members: %v", ids)
		}
		c = f.lastCursor()
		f.ok(f.s.DeleteDirectory(f.ctx, d.ID, f.ev("directory.deleted", org.ID, d.ID)), "second DeleteDirectory")
		f.noEventsSince(c, "deleting an absent directory")
		// Ids and digests are free again.
		d2 := &store.Directory{ID: d.ID, OrgID: org.ID, State: store.DirectoryActive, CreatedAt: t0}
		f.ok(f.s.CreateDirectory(f.ctx, d2), "re-creating the directory")
		f.ok(f.s.CreateDirectoryToken(f.ctx, tok), "re-creating the token")
		f.ok(f.s.CreateDirectoryUser(f.ctx, u), "re-creating the user")
		f.ok(f.s.CreateDirectoryGroup(f.ctx, g, nil, nil), "re-creating the group")
		if ids := f.memberIDs(d.ID, g.ID); len(ids) != 0 {
			f.Fatalf("re-created group has members %v", ids)
		}
	}},
}

var directoryTokenTests = []subtest{
	{"CreateGet", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		tok := &store.DirectoryToken{ID: "tok_1", DirectoryID: d.ID, Digest: digest("tok_1"), Hint: "wxyz", CreatedAt: t0.In(elsewhere), ExpiresAt: at(90 * 24 * time.Hour).In(elsewhere)}
		c := f.lastCursor()
		f.ok(f.s.CreateDirectoryToken(f.ctx, tok, f.ev("directory.token.created", org.ID, tok.ID)), "CreateDirectoryToken")
		f.wantEventTypes(c, "CreateDirectoryToken", "directory.token.created")
		want := normalized(tok)
		tok.Digest[0] ^= 0xff
		got, err := f.s.GetDirectoryTokenByDigest(f.ctx, digest("tok_1"))
		f.ok(err, "GetDirectoryTokenByDigest")
		f.utcOnly("GetDirectoryTokenByDigest", got)
		f.equal("GetDirectoryTokenByDigest", got, want)
		got.Digest[0] ^= 0xff
		got, err = f.s.GetDirectoryTokenByDigest(f.ctx, digest("tok_1"))
		f.ok(err, "GetDirectoryTokenByDigest after mutating a copy")
		f.equal("token after mutating copies", got, want)
		_, err = f.s.GetDirectoryTokenByDigest(f.ctx, digest("unknown"))
		f.is(err, store.ErrNotFound, "GetDirectoryTokenByDigest of an unknown digest")
	}},
	{"InvalidNotFoundDuplicates", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		good := store.DirectoryToken{ID: "tok_1", DirectoryID: d.ID, Digest: digest("tok_1"), CreatedAt: t0}
		for name, mod := range map[string]func(*store.DirectoryToken){
			"no id":        func(t *store.DirectoryToken) { t.ID = "" },
			"no directory": func(t *store.DirectoryToken) { t.DirectoryID = "" },
			"short digest": func(t *store.DirectoryToken) { t.Digest = t.Digest[:31] },
		} {
			t := good
			mod(&t)
			f.is(f.s.CreateDirectoryToken(f.ctx, &t, f.ev("directory.token.created", org.ID, t.ID)), store.ErrInvalid, "CreateDirectoryToken with %s", name)
		}
		f.is(f.s.CreateDirectoryToken(f.ctx, nil), store.ErrInvalid, "CreateDirectoryToken(nil)")
		_, err := f.s.GetDirectoryTokenByDigest(f.ctx, nil)
		f.is(err, store.ErrInvalid, "GetDirectoryTokenByDigest(nil)")
		_, err = f.s.ListDirectoryTokens(f.ctx, "")
		f.is(err, store.ErrInvalid, "ListDirectoryTokens(\"\")")
		f.is(f.s.RevokeDirectoryToken(f.ctx, "", t0), store.ErrInvalid, "RevokeDirectoryToken(\"\")")
		f.is(f.s.TouchDirectoryToken(f.ctx, "", t0), store.ErrInvalid, "TouchDirectoryToken(\"\")")
		bad := good
		bad.DirectoryID = "dir_missing"
		f.is(f.s.CreateDirectoryToken(f.ctx, &bad, f.ev("directory.token.created", org.ID, bad.ID)), store.ErrNotFound, "CreateDirectoryToken for an unknown directory")
		f.noEventsSince(0, "refused creates")
		f.ok(f.s.CreateDirectoryToken(f.ctx, &good), "CreateDirectoryToken")
		dup := good
		dup.Digest = digest("other")
		f.is(f.s.CreateDirectoryToken(f.ctx, &dup), store.ErrAlreadyExists, "CreateDirectoryToken with a taken id")
		dup = good
		dup.ID = "tok_2"
		f.is(f.s.CreateDirectoryToken(f.ctx, &dup), store.ErrAlreadyExists, "CreateDirectoryToken with a taken digest")
		f.is(f.s.RevokeDirectoryToken(f.ctx, "tok_missing", t0), store.ErrNotFound, "RevokeDirectoryToken of an unknown id")
		f.ok(f.s.TouchDirectoryToken(f.ctx, "tok_missing", t0), "TouchDirectoryToken of an unknown id")
	}},
	{"ActiveLimit", func(f *fixture) {
		org := f.mkOrg()
		d, other := f.mkDir(org.ID), f.mkDir(org.ID)
		t1 := f.mkToken(d.ID, t0, time.Time{})
		f.mkToken(d.ID, at(time.Hour), at(48*time.Hour))
		c := f.lastCursor()
		third := &store.DirectoryToken{ID: "tok_third", DirectoryID: d.ID, Digest: digest("tok_third"), CreatedAt: at(2 * time.Hour)}
		f.is(f.s.CreateDirectoryToken(f.ctx, third, f.ev("directory.token.created", org.ID, third.ID)), store.ErrConflict, "a third active token")
		f.noEventsSince(c, "refused token")
		_, err := f.s.GetDirectoryTokenByDigest(f.ctx, third.Digest)
		f.is(err, store.ErrNotFound, "refused token")
		// Other directories are not limited by this one.
		f.mkToken(other.ID, at(2*time.Hour), time.Time{})
		// Once the second token expires, a third may be created...
		third.CreatedAt = at(48 * time.Hour)
		f.ok(f.s.CreateDirectoryToken(f.ctx, third), "a token once another expired")
		// ...and once one is revoked, a fourth.
		fourth := &store.DirectoryToken{ID: "tok_fourth", DirectoryID: d.ID, Digest: digest("tok_fourth"), CreatedAt: at(49 * time.Hour)}
		f.is(f.s.CreateDirectoryToken(f.ctx, fourth), store.ErrConflict, "a fourth token while two are active")
		f.ok(f.s.RevokeDirectoryToken(f.ctx, t1.ID, at(49*time.Hour)), "RevokeDirectoryToken")
		f.ok(f.s.CreateDirectoryToken(f.ctx, fourth), "a token once another was revoked")
	}},
	{"ListRevokeTouch", func(f *fixture) {
		org := f.mkOrg()
		d, other := f.mkDir(org.ID), f.mkDir(org.ID)
		t1 := f.mkToken(d.ID, t0, time.Time{})
		t2 := f.mkToken(d.ID, at(time.Hour), time.Time{})
		f.mkToken(other.ID, at(2*time.Hour), time.Time{})
		got, err := f.s.ListDirectoryTokens(f.ctx, d.ID)
		f.ok(err, "ListDirectoryTokens")
		f.utcOnly("ListDirectoryTokens", got)
		if len(got) != 2 || got[0].ID != t2.ID || got[1].ID != t1.ID {
			f.Fatalf("ListDirectoryTokens = %+v, want %s then %s (newest first)", got, t2.ID, t1.ID)
		}
		c := f.lastCursor()
		f.ok(f.s.RevokeDirectoryToken(f.ctx, t1.ID, at(3*time.Hour).In(elsewhere), f.ev("directory.token.revoked", org.ID, t1.ID)), "RevokeDirectoryToken")
		f.wantEventTypes(c, "RevokeDirectoryToken", "directory.token.revoked")
		f.ok(f.s.RevokeDirectoryToken(f.ctx, t1.ID, at(4*time.Hour)), "second RevokeDirectoryToken")
		// A revoked token is still returned; the caller judges it.
		got1, err := f.s.GetDirectoryTokenByDigest(f.ctx, t1.Digest)
		f.ok(err, "GetDirectoryTokenByDigest of a revoked token")
		f.utcOnly("revoked token", got1)
		if !got1.RevokedAt.Equal(at(3 * time.Hour)) {
			f.Fatalf("RevokedAt = %v, want the first revocation %v", got1.RevokedAt, at(3*time.Hour))
		}
		if got1.ActiveAt(at(5 * time.Hour)) {
			f.Fatalf("revoked token reported active")
		}
		f.ok(f.s.TouchDirectoryToken(f.ctx, t2.ID, at(5*time.Hour).In(elsewhere)), "TouchDirectoryToken")
		got2, err := f.s.GetDirectoryTokenByDigest(f.ctx, t2.Digest)
		f.ok(err, "GetDirectoryTokenByDigest")
		f.utcOnly("touched token", got2)
		// A touch may be coalesced or deferred, but never records another time.
		if !got2.LastUsedAt.IsZero() && !got2.LastUsedAt.Equal(at(5*time.Hour)) {
			f.Fatalf("LastUsedAt = %v, want %v (or not yet recorded)", got2.LastUsedAt, at(5*time.Hour))
		}
		got, err = f.s.ListDirectoryTokens(f.ctx, "dir_missing")
		f.ok(err, "ListDirectoryTokens of an unknown directory")
		if len(got) != 0 {
			f.Fatalf("ListDirectoryTokens of an unknown directory: %d", len(got))
		}
	}},
}
