package sqlitestore_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// TestWritersNeverBusy runs writers and readers at once, through two Stores
// opened on one file (as two processes would), and expects every call to
// succeed: writers queue instead of failing with SQLITE_BUSY, and the
// outbox stays gap-free.
func TestWritersNeverBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onboardkit.db")
	ctx := t.Context()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var stores [2]*sqlitestore.Store
	for i := range stores {
		s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Keyring: testKeyring})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	if err := stores[0].CreateOrganization(ctx, &store.Organization{ID: "org", Name: "Org", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := stores[0].CreateDirectory(ctx, &store.Directory{ID: "dir", OrgID: "org", State: store.DirectoryActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	const writers, perWriter, readers = 8, 40, 4
	var wg sync.WaitGroup
	for w := range writers {
		s := stores[w%2]
		wg.Go(func() {
			for i := range perWriter {
				id := fmt.Sprintf("usr_%d_%d", w, i)
				u := &store.DirectoryUser{ID: id, DirectoryID: "dir", UserName: id + "@example.com", Active: true, CreatedAt: now}
				ev := store.Event{ID: "evt_" + id, Type: "directory.user.created", OrgID: "org", Subject: id, CreatedAt: now}
				if err := s.CreateDirectoryUser(ctx, u, ev); err != nil {
					t.Errorf("CreateDirectoryUser %s: %v", id, err)
					return
				}
				if _, err := s.UpdateDirectoryUser(ctx, "dir", id, func(u *store.DirectoryUser) ([]store.Event, error) {
					u.Active = false
					return nil, nil
				}); err != nil {
					t.Errorf("UpdateDirectoryUser %s: %v", id, err)
					return
				}
			}
		})
	}
	for r := range readers {
		s := stores[r%2]
		wg.Go(func() {
			for range perWriter {
				if _, _, err := s.ListDirectoryUsers(ctx, "dir", store.UserQuery{Limit: 10}); err != nil {
					t.Errorf("ListDirectoryUsers: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	_, total, err := stores[1].ListDirectoryUsers(ctx, "dir", store.UserQuery{Filter: store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: false}})
	if err != nil || total != writers*perWriter {
		t.Errorf("inactive users: %d, %v; want %d", total, err, writers*perWriter)
	}
	evs, err := stores[0].ListEvents(ctx, store.EventQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		if e.Cursor != int64(i+1) {
			t.Fatalf("event %d has cursor %d", i, e.Cursor)
		}
	}
	if len(evs) != writers*perWriter {
		t.Errorf("%d events, want %d", len(evs), writers*perWriter)
	}
}
