package storetest

import (
	"errors"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

var googleDirectoryTests = []subtest{
	{"UpdateGetList", func(f *fixture) {
		org := f.mkOrg()
		dir := f.mkDir(org.ID)
		_, err := f.s.GetGoogleDirectory(f.ctx, dir.ID)
		f.is(err, store.ErrNotFound, "GetGoogleDirectory before any was set")
		_, err = f.s.UpdateGoogleDirectory(f.ctx, "dir_absent", func(*store.GoogleDirectory) ([]store.Event, error) { return nil, nil })
		f.is(err, store.ErrNotFound, "UpdateGoogleDirectory of an unknown directory")

		want := &store.GoogleDirectory{
			DirectoryID: dir.ID, Customer: "C01abc", Domain: "example.com", AdminEmail: "admin@example.com",
			ClientEmail: "sync@p.iam.gserviceaccount.com", ClientID: "1234567890", Key: []byte{1, 2, 3},
			SyncInterval: 15 * time.Minute, SyncRequestedAt: at(time.Minute), LastSyncAt: at(2 * time.Minute),
			LastSuccessAt: at(2 * time.Minute), LastError: "", LastStats: []byte(`{"users":1}`),
			Checkpoint: []byte(`{"phase":"users"}`), UpdatedAt: at(3 * time.Minute),
		}
		c := f.lastCursor()
		got, err := f.s.UpdateGoogleDirectory(f.ctx, dir.ID, func(g *store.GoogleDirectory) ([]store.Event, error) {
			if g.DirectoryID != dir.ID || g.AdminEmail != "" || g.Key != nil {
				return nil, errors.New("first update did not start from an empty configuration")
			}
			*g = *want
			g.Key = []byte{1, 2, 3}
			g.UpdatedAt = want.UpdatedAt.In(elsewhere)
			return []store.Event{f.ev("directory.google.updated", org.ID, dir.ID)}, nil
		})
		f.ok(err, "UpdateGoogleDirectory creating")
		f.equal("UpdateGoogleDirectory result", got, want)
		f.wantEventTypes(c, "UpdateGoogleDirectory", "directory.google.updated")
		got, err = f.s.GetGoogleDirectory(f.ctx, dir.ID)
		f.ok(err, "GetGoogleDirectory")
		f.utcOnly("GetGoogleDirectory", got)
		f.equal("GetGoogleDirectory", got, want)
		got.Key[0] = 9
		again, err := f.s.GetGoogleDirectory(f.ctx, dir.ID)
		f.ok(err, "GetGoogleDirectory")
		f.equal("configuration after mutating a copy", again, want)

		c = f.lastCursor()
		_, err = f.s.UpdateGoogleDirectory(f.ctx, dir.ID, func(g *store.GoogleDirectory) ([]store.Event, error) {
			g.LastError = "changed"
			return []store.Event{f.ev("x", org.ID, dir.ID)}, errors.New("abort")
		})
		if err == nil || err.Error() != "abort" {
			f.T.Fatalf("UpdateGoogleDirectory with fn failing: %v, want fn's error", err)
		}
		f.noEventsSince(c, "an aborted UpdateGoogleDirectory")
		_, err = f.s.UpdateGoogleDirectory(f.ctx, dir.ID, func(g *store.GoogleDirectory) ([]store.Event, error) {
			g.DirectoryID = "dir_other"
			return nil, nil
		})
		f.is(err, store.ErrInvalid, "UpdateGoogleDirectory changing DirectoryID")

		upd, err := f.s.UpdateGoogleDirectory(f.ctx, dir.ID, func(g *store.GoogleDirectory) ([]store.Event, error) {
			g.Checkpoint, g.LastError, g.SyncRequestedAt = nil, "quota", time.Time{}
			return nil, nil
		})
		f.ok(err, "UpdateGoogleDirectory clearing")
		want.Checkpoint, want.LastError, want.SyncRequestedAt = nil, "quota", time.Time{}
		f.equal("cleared configuration", upd, want)
		got, err = f.s.GetGoogleDirectory(f.ctx, dir.ID)
		f.ok(err, "GetGoogleDirectory")
		f.equal("GetGoogleDirectory after clearing", got, want)

		other := f.mkDir(org.ID)
		_, err = f.s.UpdateGoogleDirectory(f.ctx, other.ID, func(g *store.GoogleDirectory) ([]store.Event, error) {
			g.AdminEmail, g.UpdatedAt = "a@example.org", t0
			return nil, nil
		})
		f.ok(err, "UpdateGoogleDirectory of a second directory")
		list, err := f.s.ListGoogleDirectories(f.ctx)
		f.ok(err, "ListGoogleDirectories")
		if len(list) != 2 || list[0].DirectoryID > list[1].DirectoryID {
			f.T.Fatalf("ListGoogleDirectories = %d entries, want 2 ordered by DirectoryID", len(list))
		}

		f.ok(f.s.DeleteDirectory(f.ctx, dir.ID), "DeleteDirectory")
		_, err = f.s.GetGoogleDirectory(f.ctx, dir.ID)
		f.is(err, store.ErrNotFound, "GetGoogleDirectory after DeleteDirectory")
		list, err = f.s.ListGoogleDirectories(f.ctx)
		f.ok(err, "ListGoogleDirectories")
		if len(list) != 1 || list[0].DirectoryID != other.ID {
			f.T.Fatalf("ListGoogleDirectories after DeleteDirectory = %v, want only %s", list, other.ID)
		}
	}},
}
