package storetest

import (
	"context"
	"errors"
	"fmt"

	"github.com/onboardkit/onboardkit/store"
)

// batchTests race writes of every outcome at once. A Store may run writes
// that arrive together in one transaction (SQLite's group commit); each
// must still be all-or-nothing on its own, told of success only once it
// is committed, and the outbox must stay gap-free in commit order.
var batchTests = []subtest{
	{"MixedWrites", testMixedWrites},
}

// testMixedWrites has each of many workers create a user, fail to create
// a group after adding that user to it (a member that does not exist),
// update the user it created, append two events, and create a user with a
// context cancelled meanwhile. It checks that every write that succeeded
// is there with its events, that no trace is left of the failed and
// cancelled ones, and that cursors are gap-free with each worker's events
// in its order.
func testMixedWrites(f *fixture) {
	org := f.mkOrg()
	d := f.mkDir(org.ID)
	base := f.lastCursor()
	type result struct {
		events    []string // ids of the events of the writes that succeeded, in order
		cancelled error    // the cancelled create's outcome
	}
	results := make([]result, workers)
	ev := func(i int, name string) store.Event {
		return store.Event{ID: fmt.Sprintf("evt_%02d_%s", i, name), Type: "test." + name, OrgID: org.ID, Subject: fmt.Sprintf("usr_b%02d", i), CreatedAt: t0}
	}
	errs := race(workers, func(i int) error {
		r := &results[i]
		uid := fmt.Sprintf("usr_b%02d", i)
		u := &store.DirectoryUser{ID: uid, DirectoryID: d.ID, UserName: uid + "@example.com", Active: true, CreatedAt: t0, UpdatedAt: t0}
		if err := f.s.CreateDirectoryUser(f.ctx, u, ev(i, "created")); err != nil {
			return fmt.Errorf("CreateDirectoryUser: %w", err)
		}
		r.events = append(r.events, ev(i, "created").ID)

		g := &store.DirectoryGroup{ID: fmt.Sprintf("grp_b%02d", i), DirectoryID: d.ID, DisplayName: fmt.Sprintf("Group %02d", i), CreatedAt: t0, UpdatedAt: t0}
		ops := []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{uid}}, {Kind: store.MembersAdd, IDs: []string{"usr_missing"}}}
		err := f.s.CreateDirectoryGroup(f.ctx, g, ops, func(*store.DirectoryGroup, []string, []string) []store.Event {
			return []store.Event{ev(i, "group")}
		})
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("CreateDirectoryGroup with a missing member: %v, want ErrNotFound", err)
		}

		// The write acknowledged above is visible to the next one.
		_, err = f.s.UpdateDirectoryUser(f.ctx, d.ID, uid, func(cur *store.DirectoryUser) ([]store.Event, error) {
			if cur.Version != 1 || cur.UserName != u.UserName {
				return nil, fmt.Errorf("update sees version %d of %q, want version 1 of %q", cur.Version, cur.UserName, u.UserName)
			}
			cur.DisplayName = "Updated " + uid
			return []store.Event{ev(i, "updated")}, nil
		})
		if err != nil {
			return fmt.Errorf("UpdateDirectoryUser: %w", err)
		}
		r.events = append(r.events, ev(i, "updated").ID)

		out, err := f.s.AppendEvents(f.ctx, ev(i, "append1"), ev(i, "append2"))
		if err != nil {
			return fmt.Errorf("AppendEvents: %w", err)
		}
		if len(out) != 2 || out[0].Cursor <= base || out[1].Cursor <= out[0].Cursor {
			return fmt.Errorf("AppendEvents of two events returned %v, want new increasing cursors", out)
		}
		r.events = append(r.events, ev(i, "append1").ID, ev(i, "append2").ID)

		ctx, cancel := context.WithCancel(f.ctx)
		go cancel()
		c := &store.DirectoryUser{ID: "usr_c" + uid[5:], DirectoryID: d.ID, UserName: "c" + u.UserName, Active: true, CreatedAt: t0, UpdatedAt: t0}
		r.cancelled = f.s.CreateDirectoryUser(ctx, c, ev(i, "cancelled"))
		cancel()
		switch {
		case r.cancelled == nil:
			r.events = append(r.events, ev(i, "cancelled").ID)
		case !errors.Is(r.cancelled, context.Canceled):
			return fmt.Errorf("CreateDirectoryUser with a cancelled context: %v, want nil or context.Canceled", r.cancelled)
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			f.Fatalf("worker %d: %v", i, err)
		}
	}

	// Every event of a write that succeeded, once, gap-free, each worker's
	// in its order; none of the others.
	evs := f.eventsAfter(base)
	pos := map[string]int{}
	for k, e := range evs {
		if e.Cursor != base+int64(k)+1 {
			f.Fatalf("event %s has cursor %d, want %d: cursors must be gap-free", e.ID, e.Cursor, base+int64(k)+1)
		}
		if _, dup := pos[e.ID]; dup {
			f.Fatalf("event %s appended twice", e.ID)
		}
		pos[e.ID] = k
	}
	want := 0
	for i, r := range results {
		want += len(r.events)
		last := -1
		for _, id := range r.events {
			k, ok := pos[id]
			if !ok {
				f.Fatalf("worker %d: event %s of a write that succeeded is missing", i, id)
			}
			if k < last {
				f.Fatalf("worker %d: event %s precedes the worker's earlier events", i, id)
			}
			last = k
		}
	}
	if len(evs) != want {
		f.Fatalf("%d events appended, want %d (those of the writes that succeeded)", len(evs), want)
	}

	// The users: each updated; each cancelled create there exactly when it
	// succeeded. No group at all.
	for i, r := range results {
		uid := fmt.Sprintf("usr_b%02d", i)
		if got := f.getUser(d.ID, uid); got.DisplayName != "Updated "+uid || got.Version != 2 {
			f.Fatalf("user %s: %q version %d, want the update (version 2)", uid, got.DisplayName, got.Version)
		}
		_, err := f.s.GetDirectoryUser(f.ctx, d.ID, "usr_c"+uid[5:])
		if r.cancelled == nil {
			f.ok(err, "GetDirectoryUser of a create that succeeded with a cancelled context")
		} else {
			f.is(err, store.ErrNotFound, "GetDirectoryUser of a create cancelled")
		}
		groups, err := f.s.ListMemberGroups(f.ctx, d.ID, uid)
		f.ok(err, "ListMemberGroups")
		if len(groups) != 0 {
			f.Fatalf("user %s is a member of %d groups, want none: a failed create left its membership", uid, len(groups))
		}
	}
	gs, n, err := f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Limit: workers})
	f.ok(err, "ListDirectoryGroups")
	if n != 0 || len(gs) != 0 {
		f.Fatalf("directory has %d groups (%d listed), want none: failed creates left them", n, len(gs))
	}
	_, users, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{})
	f.ok(err, "ListDirectoryUsers")
	wantUsers := workers
	for _, r := range results {
		if r.cancelled == nil {
			wantUsers++
		}
	}
	if users != wantUsers {
		f.Fatalf("directory counts %d users, want %d", users, wantUsers)
	}
}
