package migratetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// listRow is a user or group that WriteListRows writes.
type listRow struct {
	id      string
	created time.Time
}

// listUsers are 1,300 users (more than two of the list buckets the
// migration makes), created out of order and with equal times; listGroups
// three groups.
var listUsers, listGroups = func() ([]listRow, []listRow) {
	var us, gs []listRow
	for i := range 1300 {
		us = append(us, listRow{fmt.Sprintf("lu%04d", i*7%1300), t0.Add(time.Duration(i%97) * time.Second)})
	}
	for i := range 3 {
		gs = append(gs, listRow{fmt.Sprintf("lg%d", i), t0.Add(time.Duration(3-i) * time.Second)})
	}
	return us, gs
}()

// WriteListRows writes, into a database migrated up to the version before
// the list buckets, an organization and the directory "dirl" of listUsers
// and listGroups, and the empty directory "dirl0".
func WriteListRows(t testing.TB, db DB) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Exec(ctx, `INSERT INTO organizations (id, id_lower, name, name_lower, external_id, external_id_lower, created_at, updated_at) VALUES ('orgl', 'orgl', 'Org', 'org', '', '', ?, ?)`, db.Time(t0), db.Time(t0)))
	for _, d := range []string{"dirl", "dirl0"} {
		must(db.Exec(ctx, `INSERT INTO directories (id, org_id, provider, name, state, created_at, updated_at) VALUES (?, 'orgl', 'okta', 'Okta', 'active', ?, ?)`, d, db.Time(t0), db.Time(t0)))
	}
	for _, u := range listUsers {
		must(db.Exec(ctx, `INSERT INTO directory_users (id, directory_id, org_id, user_name, user_name_lower, active, version, created_at, updated_at)
VALUES (?, 'dirl', 'orgl', ?, ?, ?, 1, ?, ?)`, u.id, u.id, u.id, true, db.Time(u.created), db.Time(u.created)))
	}
	for _, g := range listGroups {
		must(db.Exec(ctx, `INSERT INTO directory_groups (id, directory_id, org_id, display_name, display_name_lower, version, created_at, updated_at)
VALUES (?, 'dirl', 'orgl', ?, ?, 1, ?, ?)`, g.id, g.id, g.id, db.Time(g.created), db.Time(g.created)))
	}
}

// CheckListJumps checks, on a Store opened on the database WriteListRows
// wrote to, that a page at any offset of the directories' unfiltered
// lists is the one LIMIT/OFFSET gives, before and after creates and
// deletes through the Store.
func CheckListJumps(t testing.TB, st store.Store) {
	t.Helper()
	ctx := context.Background()
	users := slices.Clone(listUsers)
	order := func(rows []listRow) []string {
		rows = slices.Clone(rows)
		slices.SortFunc(rows, func(a, b listRow) int {
			return cmp.Or(a.created.Compare(b.created), strings.Compare(a.id, b.id))
		})
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.id
		}
		return ids
	}
	check := func(what string) {
		t.Helper()
		all := order(users)
		for _, off := range []int{1, 300, 511, 512, 513, 1000, 1023, 1024, 1025, len(all) - 2} {
			got, total, err := st.ListDirectoryUsers(ctx, "dirl", store.UserQuery{Offset: off, Limit: 3})
			if err != nil {
				t.Fatalf("%s: ListDirectoryUsers at %d: %v", what, off, err)
			}
			var ids []string
			for _, u := range got {
				ids = append(ids, u.ID)
			}
			if want := all[off:min(off+3, len(all))]; total != len(all) || !slices.Equal(ids, want) {
				t.Fatalf("%s: page at %d: %v (total %d), want %v (total %d)", what, off, ids, total, want, len(all))
			}
		}
		got, total, err := st.ListDirectoryGroups(ctx, "dirl", store.GroupQuery{Offset: 1, Limit: 5})
		if err != nil || total != 3 || len(got) != 2 || got[0].ID != "lg1" || got[1].ID != "lg0" {
			t.Fatalf("%s: groups at 1: %v (total %d, %v), want [lg1 lg0]", what, got, total, err)
		}
	}
	check("migrated")
	// Creates through the Store, among the migrated users, split the
	// buckets the migration made.
	var created []listRow
	for i := range 900 {
		created = append(created, listRow{fmt.Sprintf("ln%04d", i), t0.Add(time.Duration(i%13)*time.Second + time.Millisecond)})
	}
	inParallel(t, len(created), func(i int) error {
		u := created[i]
		return st.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: u.id, DirectoryID: "dirl", UserName: u.id, Active: true, CreatedAt: u.created, UpdatedAt: u.created})
	})
	users = append(users, created...)
	check("after creates")
	inParallel(t, 700, func(i int) error { return st.DeleteDirectoryUser(ctx, "dirl", users[i].id, nil) })
	users = users[700:]
	check("after deletes")
	// The empty directory got its buckets too.
	for _, id := range []string{"lone1", "lone2"} {
		if err := st.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: id, DirectoryID: "dirl0", UserName: id, Active: true, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if got, total, err := st.ListDirectoryUsers(ctx, "dirl0", store.UserQuery{Offset: 1, Limit: 3}); err != nil || total != 2 || len(got) != 1 || got[0].ID != "lone2" {
		t.Fatalf("the directory that was empty, at 1: %v (total %d, %v), want lone2", got, total, err)
	}
}

// inParallel runs fn(i) for i in [0, n) on 8 goroutines.
func inParallel(t testing.TB, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				if err := fn(i); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
